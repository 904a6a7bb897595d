/* store_blob.h: the blob store interface: content-addressed bytes.
 *
 * Blobs are keyed by digest and shared by every repository (which blob
 * belongs to which repository is metadata, store_meta.h). An upload is a
 * temporary object named by its session id; bytes are appended in order
 * and hashed as they stream; commit checks the digest and only then makes
 * the blob visible under its digest. The filesystem backend is
 * store_blob_fs.c; an S3 backend would implement the same operations.
 * The store never sees HTTP. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wh_error;
struct blob_store;
struct blob_writer;

struct blob_store_ops {
  /* Size of a committed blob; WH_ERR_NOT_FOUND if absent. */
  int (*stat)(struct blob_store *s, const char *digest, uint64_t *size,
              struct wh_error **err);
  /* An fd open for reading (the caller owns it) and the size. */
  int (*open)(struct blob_store *s, const char *digest, int *fd,
              uint64_t *size, struct wh_error **err);
  /* The bytes of a blob of at most max bytes, as a malloc'd copy;
   * WH_ERR_TOO_LARGE for larger ones. Blobs are immutable, so a backend
   * may answer this from memory. */
  int (*read_small)(struct blob_store *s, const char *digest, size_t max,
                    char **data, size_t *len, struct wh_error **err);
  /* Start an empty upload named id. */
  int (*upload_create)(struct blob_store *s, const char *id,
                       struct wh_error **err);
  /* Take an upload for appending; *size is the bytes so far. At most one
   * writer per upload: a second gets WH_ERR_BUSY. NOT_FOUND if absent. */
  int (*upload_open)(struct blob_store *s, const char *id,
                     struct blob_writer **w, uint64_t *size,
                     struct wh_error **err);
  int (*write)(struct blob_writer *w, const void *data, size_t len,
               struct wh_error **err);
  uint64_t (*writer_size)(const struct blob_writer *w);
  /* Give the writer back; the upload stays for later chunks. */
  void (*writer_release)(struct blob_writer *w);
  /* Check the upload against digest and make it the blob digest; the
   * upload is gone afterwards on success and on WH_ERR_DIGEST. The writer
   * is consumed. *size gets the blob's size. */
  int (*commit)(struct blob_writer *w, const char *digest, uint64_t *size,
                struct wh_error **err);
  /* Bytes so far of an upload that is not open. */
  int (*upload_size)(struct blob_store *s, const char *id, uint64_t *size,
                     struct wh_error **err);
  int (*upload_delete)(struct blob_store *s, const char *id,
                       struct wh_error **err);
  /* Ids of all uploads (for cleaning up after a restart). */
  int (*upload_list)(struct blob_store *s, char ***ids, struct wh_error **err);
  void (*close)(struct blob_store *s);
  /* Garbage collection (gc.c): delete a committed blob, *size its size
   * (NOT_FOUND if absent); and call fn for each committed blob last
   * modified before before_ns (fn returns < 0 to stop). */
  int (*remove)(struct blob_store *s, const char *digest, uint64_t *size,
                struct wh_error **err);
  int (*walk)(struct blob_store *s, int64_t before_ns,
              int (*fn)(void *cls, const char *digest, uint64_t size), void *cls,
              struct wh_error **err);
};

struct blob_store {
  const struct blob_store_ops *ops;
};

/* The filesystem backend under dirfd: blobs/<alg>/<2 hex>/<hex> and
 * uploads/<id>. sync_full adds a directory fsync after every rename and
 * unlink, so a committed blob survives a power loss. */
struct blob_store *blob_store_fs_open(int dirfd, bool sync_full,
                                      struct wh_error **err);

static inline int blob_stat(struct blob_store *s, const char *digest,
                            uint64_t *size, struct wh_error **err)
{ return s->ops->stat(s, digest, size, err); }
static inline int blob_open(struct blob_store *s, const char *digest, int *fd,
                            uint64_t *size, struct wh_error **err)
{ return s->ops->open(s, digest, fd, size, err); }
static inline int blob_read_small(struct blob_store *s, const char *digest,
                                  size_t max, char **data, size_t *len,
                                  struct wh_error **err)
{ return s->ops->read_small(s, digest, max, data, len, err); }
static inline int blob_upload_create(struct blob_store *s, const char *id,
                                     struct wh_error **err)
{ return s->ops->upload_create(s, id, err); }
static inline int blob_upload_open(struct blob_store *s, const char *id,
                                   struct blob_writer **w, uint64_t *size,
                                   struct wh_error **err)
{ return s->ops->upload_open(s, id, w, size, err); }
static inline int blob_upload_size(struct blob_store *s, const char *id,
                                   uint64_t *size, struct wh_error **err)
{ return s->ops->upload_size(s, id, size, err); }
static inline int blob_upload_delete(struct blob_store *s, const char *id,
                                     struct wh_error **err)
{ return s->ops->upload_delete(s, id, err); }
static inline int blob_upload_list(struct blob_store *s, char ***ids,
                                   struct wh_error **err)
{ return s->ops->upload_list(s, ids, err); }
static inline int blob_remove(struct blob_store *s, const char *digest,
                              uint64_t *size, struct wh_error **err)
{ return s->ops->remove(s, digest, size, err); }
static inline int blob_walk(struct blob_store *s, int64_t before_ns,
                            int (*fn)(void *cls, const char *digest, uint64_t size),
                            void *cls, struct wh_error **err)
{ return s->ops->walk(s, before_ns, fn, cls, err); }
static inline void blob_store_close(struct blob_store *s)
{ if (s) s->ops->close(s); }

/* Writer calls go through the store that made the writer; each writer
 * starts with a pointer to its store's ops. */
struct blob_writer {
  const struct blob_store_ops *ops;
};
static inline int blob_write(struct blob_writer *w, const void *data,
                             size_t len, struct wh_error **err)
{ return w->ops->write(w, data, len, err); }
static inline uint64_t blob_writer_size(const struct blob_writer *w)
{ return w->ops->writer_size(w); }
static inline void blob_writer_release(struct blob_writer *w)
{ if (w) w->ops->writer_release(w); }
static inline int blob_commit(struct blob_writer *w, const char *digest,
                              uint64_t *size, struct wh_error **err)
{ return w->ops->commit(w, digest, size, err); }
