/* file.h: whole-file reads with a bound, atomic writes, directory helpers.
 *
 * Atomic write: a temporary file in the same directory, written, fsync'd,
 * renamed over the target, and the directory fsync'd, so after a crash the
 * target holds either the old or the new contents, never a mix, and after
 * the call returns the new contents survive a power loss. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct wh_error;

/* Write all of buf to fd, retrying on EINTR and short writes. */
int wh_write_all(int fd, const void *buf, size_t len, struct wh_error **err);
/* Read until EOF or len bytes; returns bytes read (≥ 0) or -1. */
ssize_t wh_read_all(int fd, void *buf, size_t len, struct wh_error **err);

/* Read a whole file (relative to dirfd, AT_FDCWD allowed) into a new
 * NUL-terminated buffer. Files larger than max_size fail with
 * WH_ERR_TOO_LARGE. *len_out (optional) gets the size. */
int wh_read_file_at(int dirfd, const char *path, size_t max_size,
                    char **data_out, size_t *len_out, struct wh_error **err);
/* The same from an open fd (read from its current offset to EOF). */
int wh_read_fd(int fd, size_t max_size, char **data_out, size_t *len_out,
               struct wh_error **err);

/* Atomically replace dirfd/name (name: one path component) with data. */
int wh_write_file_atomic(int dirfd, const char *name, const void *data,
                         size_t len, mode_t mode, struct wh_error **err);

/* fsync a directory (after creating, renaming or unlinking in it). */
int wh_fsync_dir(int dirfd, struct wh_error **err);

/* Create a temporary file in dirfd named ".tmp-<prefix>-<random>" opened
 * O_RDWR|O_CLOEXEC|O_EXCL; the name goes to name_out (caller frees). */
int wh_tmpfile_at(int dirfd, const char *prefix, mode_t mode, char **name_out,
                  struct wh_error **err);

/* mkdir -p relative to dirfd (no link check: use path.h under an untrusted
 * root). Existing directories are fine. */
int wh_mkdir_p_at(int dirfd, const char *path, mode_t mode,
                  struct wh_error **err);

/* rm -rf of dirfd/name without following symlinks and without leaving the
 * file system it starts on. A missing target is success. */
int wh_rm_rf_at(int dirfd, const char *name, struct wh_error **err);
