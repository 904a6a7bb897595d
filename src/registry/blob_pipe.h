/* blob_pipe.h: hash and write an upload's bytes on a thread of its own.
 *
 * A large upload costs three passes over its bytes: receiving them,
 * hashing them, writing them to the file. The request thread receives;
 * this thread hashes and writes, one buffer behind, so the passes overlap
 * on two cores. Buffers are handed over in order and processed in order
 * (two buffers: one being filled, one being written). */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct wh_error;
struct wh_hasher;
struct blob_pipe;

/* Start the thread for fd (written at its current end). h (may be NULL)
 * is updated with every byte written; the caller must not touch it until
 * blob_pipe_finish(). `first` (a malloc'd buffer of bufsize bytes holding
 * `len` bytes) is taken over and submitted. */
struct blob_pipe *blob_pipe_start(int fd, struct wh_hasher *h, char *first, size_t len,
                                  size_t bufsize, struct wh_error **err);
/* The buffer to fill next (bufsize bytes). */
char *blob_pipe_buffer(struct blob_pipe *p);
/* Hand over the buffer from blob_pipe_buffer() with len bytes in it.
 * Fails if an earlier write failed. */
int blob_pipe_submit(struct blob_pipe *p, size_t len, struct wh_error **err);
/* Wait for everything submitted, stop the thread and free p; *written gets
 * the bytes written to fd. Fails if any write failed (then the file holds
 * a prefix of the data and h is not to be trusted). */
int blob_pipe_finish(struct blob_pipe *p, uint64_t *written, struct wh_error **err);
