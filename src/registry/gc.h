/* gc.h: online garbage collection of manifests and blobs.
 *
 * A run has three steps (the rule and its reasoning are in
 * docs/registry.md, "Garbage collection"):
 *
 *  1. mark (one metadata write transaction, store_meta_gc.h): compute
 *     what is reachable, delete unreachable manifests (only with
 *     delete_untagged) and each repository's links to blobs that none of
 *     its reachable manifests references and that were linked before the
 *     grace cutoff; queue blobs no repository links any more;
 *  2. find blob files on disk that no repository links (a crash between
 *     a blob's commit and its link, a blob DELETE) and queue them too;
 *  3. sweep: under the registry's GC lock, which blob uploads and mounts
 *     hold shared from putting the file in place to linking it, check
 *     again that no repository links each queued blob, then delete the
 *     file.
 *
 * Pushes and pulls go on meanwhile; the only wait a push can see is the
 * mark transaction (the database's write lock) and the sweep of one
 * batch of files. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct wh_error;
struct registry;

struct gc_options {
  int64_t grace_ns;          /* content younger than this stays */
  bool dry_run;              /* report only */
  bool delete_untagged;      /* also remove unreachable untagged manifests */
};

struct gc_report {
  uint64_t manifests;        /* manifests removed */
  uint64_t manifest_bytes;
  uint64_t blob_links;       /* (repository, blob) links removed */
  uint64_t files;            /* blob files deleted */
  uint64_t bytes_freed;      /* blob file bytes deleted + manifest bytes */
  uint64_t kept_relinked;    /* queued files found linked again: kept */
  int64_t duration_ns;
  bool dry_run;
};

/* One run now. reg needs data_fd, blobs and cfg.data_dir; reg->gc (the
 * lock) may be NULL when nothing else uses the data directory (the
 * command line with the directory locked). Writes the summary to the
 * audit log and the metrics when reg has them. */
int registry_gc(struct registry *reg, const struct gc_options *o, struct gc_report *rep,
                struct wh_error **err);

/* The report as one JSON object (malloc'd). */
char *gc_report_json(const struct gc_report *rep);

/* The server's GC: the lock, a thread that runs GC every
 * cfg.gc_interval_s (if not 0), and a control socket <data>/gc.sock on
 * which `wharf-registry gc` asks a running server for a run. */
int gc_sched_start(struct registry *reg, struct wh_error **err);
void gc_sched_stop(struct registry *reg);

/* Held shared by a blob upload's commit + link and by a mount's check +
 * link, so the sweep never deletes a file between the two. No-ops when
 * reg->gc is NULL. */
void gc_push_lock(struct registry *reg);
void gc_push_unlock(struct registry *reg);

/* Ask the server that holds data_dir for a run over its control
 * socket; the report comes back as JSON. WH_ERR_BUSY when no server
 * listens. */
int gc_request(const char *data_dir, const struct gc_options *o, char **report_json,
               struct wh_error **err);
