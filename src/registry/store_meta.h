/* store_meta.h: the metadata store interface: repositories, manifests,
 * tags, blob membership, referrers and upload sessions.
 *
 * Every state change is one transaction: a manifest push writes the
 * manifest row, its tag and the checks of what it references together, so
 * a tag never names a missing manifest and a manifest never names a blob
 * the repository does not have. The SQLite backend is store_meta_sqlite.c;
 * PostgreSQL would implement the same operations. Errors are typed:
 * WH_ERR_NOT_FOUND for an unknown repository, manifest, tag, blob or
 * session, with a message naming which. The store never sees HTTP. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wh_error;
struct meta_store;

/* A manifest read back; strings owned (meta_manifest_clear frees). */
struct meta_manifest {
  char *digest;
  char *media_type;
  char *raw;            /* the pushed bytes, exactly; NULL unless asked */
  uint64_t size;
  char *subject;        /* NULL if none */
};

/* A manifest to store; nothing owned. */
struct meta_manifest_put {
  const char *repo;
  const char *digest;
  const char *media_type;
  const char *tag;                 /* NULL: push by digest */
  const void *raw;
  size_t size;
  const char *subject;             /* NULL if none */
  const char *artifact_type;       /* NULL if none */
  const char *annotations;         /* compact JSON object or NULL */
  const char *const *blobs;        /* must be blobs of repo */
  size_t n_blobs;
  const char *const *children;     /* must be manifests of repo */
  size_t n_children;
};

struct meta_referrer {
  char *digest;
  char *media_type;
  char *artifact_type;  /* NULL if none */
  char *annotations;    /* compact JSON or NULL */
  uint64_t size;
};

struct meta_store_ops {
  int (*blob_link)(struct meta_store *m, const char *repo, const char *digest,
                   uint64_t size, struct wh_error **err);
  int (*blob_get)(struct meta_store *m, const char *repo, const char *digest,
                  uint64_t *size, struct wh_error **err);
  int (*blob_unlink)(struct meta_store *m, const char *repo,
                     const char *digest, struct wh_error **err);
  int (*manifest_put)(struct meta_store *m, const struct meta_manifest_put *p,
                      struct wh_error **err);
  /* ref is a tag, or a digest when is_digest. want_raw (a GET, not a
   * HEAD) also records the pull time, at most once a minute. */
  int (*manifest_get)(struct meta_store *m, const char *repo, const char *ref,
                      bool is_digest, bool want_raw, struct meta_manifest *out,
                      struct wh_error **err);
  /* Removes the manifest and every tag naming it. */
  int (*manifest_delete)(struct meta_store *m, const char *repo,
                         const char *digest, struct wh_error **err);
  int (*tag_delete)(struct meta_store *m, const char *repo, const char *tag,
                    struct wh_error **err);
  /* Names after `last` (NULL: from the start) in lexical order, at most
   * limit; *more tells whether further names exist. */
  int (*tags_list)(struct meta_store *m, const char *repo, const char *last,
                   size_t limit, char ***out, bool *more, struct wh_error **err);
  int (*catalog)(struct meta_store *m, const char *last, size_t limit,
                 char ***out, bool *more, struct wh_error **err);
  int (*referrers)(struct meta_store *m, const char *repo, const char *subject,
                   const char *artifact_type, struct meta_referrer **out,
                   size_t *n, struct wh_error **err);
  /* Upload sessions: times in ns since the epoch. */
  int (*upload_create)(struct meta_store *m, const char *id, const char *repo,
                       int64_t now, struct wh_error **err);
  /* NOT_FOUND unless the session exists for this repository. */
  int (*upload_get)(struct meta_store *m, const char *id, const char *repo,
                    int64_t *updated, struct wh_error **err);
  int (*upload_touch)(struct meta_store *m, const char *id, int64_t now,
                      struct wh_error **err);
  int (*upload_delete)(struct meta_store *m, const char *id,
                       struct wh_error **err);
  /* Sessions last touched before `before` (INT64_MAX: all). */
  int (*upload_list)(struct meta_store *m, int64_t before, char ***ids,
                     struct wh_error **err);
  void (*close)(struct meta_store *m);
};

struct meta_store {
  const struct meta_store_ops *ops;
};


/* Callers go through these, never through ops directly. */
static inline int meta_blob_link(struct meta_store *m, const char *repo, const char *digest, uint64_t size, struct wh_error **err)
{ return m->ops->blob_link(m, repo, digest, size, err); }
static inline int meta_blob_get(struct meta_store *m, const char *repo, const char *digest, uint64_t *size, struct wh_error **err)
{ return m->ops->blob_get(m, repo, digest, size, err); }
static inline int meta_blob_unlink(struct meta_store *m, const char *repo, const char *digest, struct wh_error **err)
{ return m->ops->blob_unlink(m, repo, digest, err); }
static inline int meta_manifest_put(struct meta_store *m, const struct meta_manifest_put *p, struct wh_error **err)
{ return m->ops->manifest_put(m, p, err); }
static inline int meta_manifest_get(struct meta_store *m, const char *repo, const char *ref, bool is_digest, bool want_raw, struct meta_manifest *out, struct wh_error **err)
{ return m->ops->manifest_get(m, repo, ref, is_digest, want_raw, out, err); }
static inline int meta_manifest_delete(struct meta_store *m, const char *repo, const char *digest, struct wh_error **err)
{ return m->ops->manifest_delete(m, repo, digest, err); }
static inline int meta_tag_delete(struct meta_store *m, const char *repo, const char *tag, struct wh_error **err)
{ return m->ops->tag_delete(m, repo, tag, err); }
static inline int meta_tags_list(struct meta_store *m, const char *repo, const char *last, size_t limit, char ***out, bool *more, struct wh_error **err)
{ return m->ops->tags_list(m, repo, last, limit, out, more, err); }
static inline int meta_catalog(struct meta_store *m, const char *last, size_t limit, char ***out, bool *more, struct wh_error **err)
{ return m->ops->catalog(m, last, limit, out, more, err); }
static inline int meta_referrers(struct meta_store *m, const char *repo, const char *subject, const char *artifact_type, struct meta_referrer **out, size_t *n, struct wh_error **err)
{ return m->ops->referrers(m, repo, subject, artifact_type, out, n, err); }
static inline int meta_upload_create(struct meta_store *m, const char *id, const char *repo, int64_t now, struct wh_error **err)
{ return m->ops->upload_create(m, id, repo, now, err); }
static inline int meta_upload_get(struct meta_store *m, const char *id, const char *repo, int64_t *updated, struct wh_error **err)
{ return m->ops->upload_get(m, id, repo, updated, err); }
static inline int meta_upload_touch(struct meta_store *m, const char *id, int64_t now, struct wh_error **err)
{ return m->ops->upload_touch(m, id, now, err); }
static inline int meta_upload_delete(struct meta_store *m, const char *id, struct wh_error **err)
{ return m->ops->upload_delete(m, id, err); }
static inline int meta_upload_list(struct meta_store *m, int64_t before, char ***ids, struct wh_error **err)
{ return m->ops->upload_list(m, before, ids, err); }
static inline void meta_store_close(struct meta_store *m)
{ m->ops->close(m); }

/* SQLite at dirfd/meta.db (WAL). sync_full: synchronous=FULL, so a
 * committed transaction survives a power loss; otherwise NORMAL (survives
 * a process crash; a power loss may drop the last transactions but never
 * leaves them half-applied). */
struct meta_store *meta_store_sqlite_open(int dirfd, const char *dir_path,
                                          bool sync_full, struct wh_error **err);

void meta_manifest_clear(struct meta_manifest *mf);
void meta_referrers_free(struct meta_referrer *r, size_t n);
