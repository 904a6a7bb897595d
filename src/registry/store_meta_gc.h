/* store_meta_gc.h: the metadata side of garbage collection and quotas.
 *
 * A second, narrow interface over the same metadata database: what GC
 * and quotas need (reachability, deletion of unreachable rows, the queue
 * of blob files to delete, usage and quota rows) stays out of the request
 * path's store_meta.h. It has its own connection, used by one GC run at a
 * time and by the quota checks, serialized by a mutex. SQLite
 * implementation: store_meta_gc.c.
 *
 * What a manifest references is read from its raw bytes by a callback
 * (the storage does not parse manifests) and kept in gc_refs, keyed by
 * (repository, manifest digest): a manifest's bytes never change under its
 * digest, so an entry is written once and stays right. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wh_error;
struct meta_gc;

/* Blobs (config, layers) and child manifests of one manifest: NULL-
 * terminated arrays the callback allocates (freed by the caller with
 * free() on each string and the array). */
typedef int (*meta_gc_refs_fn)(void *cls, const char *media_type, const void *raw,
                               size_t len, char ***blobs, char ***children,
                               struct wh_error **err);

struct meta_gc *meta_gc_open(const char *data_dir, struct wh_error **err);
void meta_gc_close(struct meta_gc *g);

/* Something GC removed (or would remove, in a dry run). */
struct meta_gc_item {
  char *repo;          /* NULL for a blob file */
  char *digest;
  uint64_t size;
};

struct meta_gc_mark {
  /* in */
  int64_t cutoff_ns;        /* rows pushed or linked at or after this stay */
  bool delete_untagged;     /* roots: tags (and young manifests) only */
  bool dry_run;             /* roll back at the end */
  /* out: owned arrays, meta_gc_mark_clear frees */
  struct meta_gc_item *manifests;
  size_t n_manifests;
  struct meta_gc_item *blob_links;  /* (repository, blob) rows removed */
  size_t n_blob_links;
  char **files;            /* digests of blobs no repository links any more */
  size_t n_files;
  bool more;               /* a cap was reached: mark again for the rest */
};
void meta_gc_mark_clear(struct meta_gc_mark *mk);

/* Index manifests not yet in gc_refs, in short transactions (so the
 * marking transaction has little left to parse while it holds the
 * database's write lock). */
int meta_gc_index(struct meta_gc *g, meta_gc_refs_fn refs, void *cls, struct wh_error **err);

/* One write transaction: index what is left, compute what is reachable
 * from the roots (every manifest; or with delete_untagged the tagged
 * ones and those pushed since the cutoff), following index children and
 * referrers of reachable subjects; delete unreachable manifests and the
 * repositories' links to blobs no remaining manifest references (unless
 * linked since the cutoff); queue the digests no repository links any
 * more in gc_pending. Commits, or rolls back for a dry run. At most a
 * few thousand rows of each kind go per call (all in a dry run); *more
 * then says to call again. */
int meta_gc_mark(struct meta_gc *g, struct meta_gc_mark *mk, meta_gc_refs_fn refs, void *cls,
                 struct wh_error **err);

/* Digests queued for file deletion (from this run and from runs that
 * stopped before deleting). NULL-terminated. */
int meta_gc_pending(struct meta_gc *g, char ***out, struct wh_error **err);
/* Queue digests (files found on disk without a row). */
int meta_gc_queue(struct meta_gc *g, char *const *digests, size_t n, struct wh_error **err);

/* For the sweep, under the registry's GC lock: in one transaction, for
 * each digest: if some repository links it again, drop it from the queue
 * (*dead[i] false); otherwise *dead[i] true and it stays queued until
 * meta_gc_done. */
int meta_gc_claim(struct meta_gc *g, char *const *digests, size_t n, bool *dead,
                  struct wh_error **err);
int meta_gc_done(struct meta_gc *g, char *const *digests, size_t n, struct wh_error **err);
/* 1 if any repository links digest, 0 if none. */
int meta_gc_linked(struct meta_gc *g, const char *digest, struct wh_error **err);

/* Give back the page cache a run filled (the server keeps the
 * connection between runs). */
void meta_gc_trim(struct meta_gc *g);

/* Quotas: bytes (0: none). */
int meta_quota_set(struct meta_gc *g, const char *repo, uint64_t bytes, struct wh_error **err);
int meta_quota_get(struct meta_gc *g, const char *repo, uint64_t *bytes, struct wh_error **err);
/* Usage of a repository: the sizes of the distinct blobs it links plus
 * those of its manifests. */
int meta_quota_usage(struct meta_gc *g, const char *repo, uint64_t *usage,
                     struct wh_error **err);
/* Rows of repo_quotas: names and bytes, NULL-terminated names. */
int meta_quota_list(struct meta_gc *g, char ***repos, uint64_t **bytes, size_t *n,
                    struct wh_error **err);
