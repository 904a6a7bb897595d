/* store_meta_gc.c: garbage collection and quotas on the SQLite metadata
 * (store_meta_gc.h).
 *
 * Soundness rests on one write transaction (BEGIN IMMEDIATE, the same
 * lock every push takes): reachability is computed and unreachable rows
 * are deleted inside it, so a manifest PUT either commits before it (and
 * its blobs are reachable) or after it (and its own check of the blob
 * rows, in its own transaction, sees them gone and refuses the push with
 * MANIFEST_BLOB_UNKNOWN). Blob files are only queued here; gc.c deletes
 * them after the commit, under the registry's GC lock. */
#include "registry/store_meta_gc.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/timeutil.h"

struct meta_gc {
  sqlite3 *db;
  pthread_mutex_t lock;
  sqlite3_stmt *linked;   /* meta_gc_linked's, kept between calls */
};

static const char gc_schema[] =
  /* What each manifest references: kind 0 a blob, 1 a child manifest. */
  "CREATE TABLE IF NOT EXISTS gc_refs("
  "  repo_id INTEGER NOT NULL, manifest TEXT NOT NULL, kind INTEGER NOT NULL,"
  "  ref TEXT NOT NULL, PRIMARY KEY(repo_id, manifest, kind, ref)) WITHOUT ROWID;"
  "CREATE INDEX IF NOT EXISTS gc_refs_ref ON gc_refs(repo_id, ref);"
  "CREATE TABLE IF NOT EXISTS gc_indexed("
  "  repo_id INTEGER NOT NULL, manifest TEXT NOT NULL,"
  "  PRIMARY KEY(repo_id, manifest)) WITHOUT ROWID;"
  /* Blob files to delete once no repository links them. */
  "CREATE TABLE IF NOT EXISTS gc_pending(digest TEXT PRIMARY KEY) WITHOUT ROWID;"
  /* Is a digest linked anywhere: the sweep asks per file. */
  "CREATE INDEX IF NOT EXISTS blobs_digest ON blobs(digest);"
  "CREATE TABLE IF NOT EXISTS repo_quotas("
  "  repo TEXT PRIMARY KEY, bytes INTEGER NOT NULL) WITHOUT ROWID;";

static int db_err(struct meta_gc *g, struct wh_error **err, const char *what)
{
  return wh_error_set(err, WH_ERR_IO, "metadata %s: %s", what, sqlite3_errmsg(g->db));
}

static int exec(struct meta_gc *g, const char *sql, struct wh_error **err)
{
  char *msg = NULL;
  if (sqlite3_exec(g->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    wh_error_set(err, WH_ERR_IO, "metadata: %s", msg ? msg : "error");
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

static void finalizep(sqlite3_stmt **st)
{
  sqlite3_finalize(*st);
}
#define _cleanup_stmt_ __attribute__((cleanup(finalizep)))

static sqlite3_stmt *prep(struct meta_gc *g, const char *sql, struct wh_error **err)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(g->db, sql, -1, &st, NULL) != SQLITE_OK) {
    db_err(g, err, "prepare");
    return NULL;
  }
  return st;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
  const unsigned char *s = sqlite3_column_text(st, i);
  return strdup(s ? (const char *) s : "");
}

struct meta_gc *meta_gc_open(const char *data_dir, struct wh_error **err)
{
  struct meta_gc *g = calloc(1, sizeof(*g));
  _cleanup_free_ char *path = NULL;
  if (!g || asprintf(&path, "%s/meta.db", data_dir) < 0) {
    free(g);
    wh_error_errno(err, "metadata for GC");
    return NULL;
  }
  pthread_mutex_init(&g->lock, NULL);
  if (sqlite3_open_v2(path, &g->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                      SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
    wh_error_set(err, WH_ERR_IO, "open metadata database %s: %s", path,
                 g->db ? sqlite3_errmsg(g->db) : "out of memory");
    meta_gc_close(g);
    return NULL;
  }
  sqlite3_busy_timeout(g->db, 30000);
  /* A run reads every manifest, link and reference: give this one
   * connection room to keep them (and the temporary tables) in memory. */
  if (exec(g, "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; "
              "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456", err) < 0 ||
      exec(g, gc_schema, err) < 0) {
    meta_gc_close(g);
    return NULL;
  }
  return g;
}

void meta_gc_close(struct meta_gc *g)
{
  if (!g)
    return;
  sqlite3_finalize(g->linked);
  sqlite3_close(g->db);
  pthread_mutex_destroy(&g->lock);
  free(g);
}

static void items_free(struct meta_gc_item *v, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(v[i].repo);
    free(v[i].digest);
  }
  free(v);
}

void meta_gc_mark_clear(struct meta_gc_mark *mk)
{
  items_free(mk->manifests, mk->n_manifests);
  items_free(mk->blob_links, mk->n_blob_links);
  for (size_t i = 0; i < mk->n_files; i++)
    free(mk->files[i]);
  free(mk->files);
  mk->manifests = mk->blob_links = NULL;
  mk->files = NULL;
  mk->n_manifests = mk->n_blob_links = mk->n_files = 0;
}

static void strv_free_n(char **v)
{
  if (!v)
    return;
  for (char **p = v; *p; p++)
    free(*p);
  free(v);
}

/* Index up to `limit` unindexed manifests (0: all) after rowid *after
 * in the current transaction; *n gets how many, *after the last rowid
 * seen (batches go on from there instead of rescanning the table). */
static int index_some(struct meta_gc *g, meta_gc_refs_fn refs, void *cls, int limit,
                      int64_t *after, int *n, struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *sel = prep(g,
      "SELECT m.repo_id, m.digest, m.media_type, m.raw, m.rowid FROM manifests m "
      "WHERE m.rowid > ?2 AND NOT EXISTS (SELECT 1 FROM gc_indexed i "
      "WHERE i.repo_id=m.repo_id AND i.manifest=m.digest) ORDER BY m.rowid LIMIT ?1", err);
  _cleanup_stmt_ sqlite3_stmt *ins = prep(g,
      "INSERT OR IGNORE INTO gc_refs(repo_id, manifest, kind, ref) VALUES(?1,?2,?3,?4)", err);
  _cleanup_stmt_ sqlite3_stmt *done = prep(g,
      "INSERT OR IGNORE INTO gc_indexed(repo_id, manifest) VALUES(?1,?2)", err);
  if (!sel || !ins || !done)
    return -1;
  sqlite3_bind_int(sel, 1, limit > 0 ? limit : -1);
  sqlite3_bind_int64(sel, 2, *after);
  *n = 0;
  int rc;
  while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
    int64_t rid = sqlite3_column_int64(sel, 0);
    const char *digest = (const char *) sqlite3_column_text(sel, 1);
    const char *mt = (const char *) sqlite3_column_text(sel, 2);
    const void *raw = sqlite3_column_blob(sel, 3);
    size_t len = (size_t) sqlite3_column_bytes(sel, 3);
    *after = sqlite3_column_int64(sel, 4);
    char **blobs = NULL, **children = NULL;
    if (refs(cls, mt, raw ? raw : "", len, &blobs, &children, err) < 0)
      return wh_error_wrap(err, "manifest %s", digest);
    int bad = 0;
    for (int kind = 0; kind < 2 && !bad; kind++) {
      for (char **p = kind ? children : blobs; p && *p && !bad; p++) {
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, rid);
        sqlite3_bind_text(ins, 2, digest, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(ins, 3, kind);
        sqlite3_bind_text(ins, 4, *p, -1, SQLITE_TRANSIENT);
        bad = sqlite3_step(ins) != SQLITE_DONE;
      }
    }
    strv_free_n(blobs);
    strv_free_n(children);
    sqlite3_reset(done);
    sqlite3_bind_int64(done, 1, rid);
    sqlite3_bind_text(done, 2, digest, -1, SQLITE_TRANSIENT);
    if (bad || sqlite3_step(done) != SQLITE_DONE)
      return db_err(g, err, "index manifest references");
    (*n)++;
  }
  if (rc != SQLITE_DONE)
    return db_err(g, err, "read manifests");
  return 0;
}

int meta_gc_index(struct meta_gc *g, meta_gc_refs_fn refs, void *cls, struct wh_error **err)
{
  pthread_mutex_lock(&g->lock);
  int ret = 0, n;
  int64_t after = 0;
  do {
    if (exec(g, "BEGIN IMMEDIATE", err) < 0) {
      ret = -1;
      break;
    }
    if (index_some(g, refs, cls, 500, &after, &n, err) < 0 || exec(g, "COMMIT", err) < 0) {
      exec(g, "ROLLBACK", NULL);
      ret = -1;
      break;
    }
  } while (n == 500);
  pthread_mutex_unlock(&g->lock);
  return ret;
}

/* Run a SELECT of (repo name, digest, size) rows into items. */
static int collect_items(struct meta_gc *g, const char *sql, int64_t cutoff,
                         struct meta_gc_item **out, size_t *n_out, struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = prep(g, sql, err);
  if (!st)
    return -1;
  if (sqlite3_bind_parameter_count(st) >= 1)
    sqlite3_bind_int64(st, 1, cutoff);
  struct meta_gc_item *v = NULL;
  size_t n = 0, cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      struct meta_gc_item *nv = realloc(v, cap * sizeof(*v));
      if (!nv) {
        items_free(v, n);
        return wh_error_errno(err, "GC");
      }
      v = nv;
    }
    v[n].repo = col_dup(st, 0);
    v[n].digest = col_dup(st, 1);
    v[n].size = (uint64_t) sqlite3_column_int64(st, 2);
    n++;
  }
  if (rc != SQLITE_DONE) {
    items_free(v, n);
    return db_err(g, err, "GC");
  }
  *out = v;
  *n_out = n;
  return 0;
}

static int exec_bind(struct meta_gc *g, const char *sql, int64_t a, int64_t b,
                     struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = prep(g, sql, err);
  if (!st)
    return -1;
  int np = sqlite3_bind_parameter_count(st);
  if (np >= 1)
    sqlite3_bind_int64(st, 1, a);
  if (np >= 2)
    sqlite3_bind_int64(st, 2, b);
  if (sqlite3_step(st) != SQLITE_DONE)
    return db_err(g, err, "GC");
  return sqlite3_changes(g->db);
}

/* Rows deleted per marking transaction (see mark_locked). */
#define MARK_CAP 20000

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static int mark_locked(struct meta_gc *g, struct meta_gc_mark *mk, meta_gc_refs_fn refs,
                       void *cls, struct wh_error **err)
{
  int n;
  int64_t after = 0;
  /* With the write lock held no manifest can appear: after this every
   * manifest's references are known. */
  if (index_some(g, refs, cls, 0, &after, &n, err) < 0)
    return -1;
  static const char temp[] =
      "CREATE TEMP TABLE IF NOT EXISTS %s(repo_id INTEGER NOT NULL, "
      "digest TEXT NOT NULL, PRIMARY KEY(repo_id, digest)) WITHOUT ROWID; DELETE FROM %s;";
  static const char *const temps[] = { "gc_live", "gc_live_blobs", "gc_dead_m", "gc_dead_b" };
  for (size_t i = 0; i < sizeof(temps) / sizeof(temps[0]); i++) {
    char sql[256];
    snprintf(sql, sizeof(sql), temp, temps[i], temps[i]);
    if (exec(g, sql, err) < 0)
      return -1;
  }
  /* A run with a large backlog deletes it in several transactions, so
   * pushes get the write lock in between (none for a dry run, which
   * must see everything at once). */
  int64_t cap = mk->dry_run ? -1 : MARK_CAP;
  /* Roots. */
  if (exec_bind(g, "INSERT OR IGNORE INTO gc_live SELECT repo_id, digest FROM manifests m "
                   "WHERE ?1 = 0 OR m.pushed_at >= ?2 OR EXISTS (SELECT 1 FROM tags t "
                   "WHERE t.repo_id=m.repo_id AND t.digest=m.digest)",
                mk->delete_untagged ? 1 : 0, mk->cutoff_ns, err) < 0)
    return -1;
  /* Closure over index children and referrers of reachable subjects,
   * until nothing is added (depth is small: index → manifest → referrer
   * → its referrers). */
  for (;;) {
    int a = exec_bind(g, "INSERT OR IGNORE INTO gc_live SELECT r.repo_id, r.ref FROM gc_refs r "
                         "JOIN gc_live l ON l.repo_id=r.repo_id AND l.digest=r.manifest "
                         "WHERE r.kind=1 AND EXISTS (SELECT 1 FROM manifests m "
                         "WHERE m.repo_id=r.repo_id AND m.digest=r.ref)", 0, 0, err);
    if (a < 0)
      return -1;
    int b = exec_bind(g, "INSERT OR IGNORE INTO gc_live SELECT m.repo_id, m.digest "
                         "FROM manifests m JOIN gc_live l ON l.repo_id=m.repo_id "
                         "AND m.subject=l.digest", 0, 0, err);
    if (b < 0)
      return -1;
    if (a == 0 && b == 0)
      break;
  }
  if (exec_bind(g, "INSERT INTO gc_dead_m SELECT m.repo_id, m.digest FROM manifests m "
                   "WHERE NOT EXISTS (SELECT 1 FROM gc_live l WHERE l.repo_id=m.repo_id "
                   "AND l.digest=m.digest) LIMIT ?1", cap, 0, err) < 0 ||
      collect_items(g, "SELECT r.name, m.digest, m.size FROM gc_dead_m d JOIN manifests m "
                       "ON m.repo_id=d.repo_id AND m.digest=d.digest JOIN repos r ON r.id=m.repo_id "
                       "ORDER BY r.name, m.digest",
                    0, &mk->manifests, &mk->n_manifests, err) < 0)
    return -1;
  /* The blobs kept are those of every manifest that stays, not only of
   * the reachable ones: an unreachable manifest left for the next
   * transaction (over the cap) keeps its blobs until it goes, so an
   * index pushed meanwhile can never name a child with missing blobs. */
  if (exec(g, "DELETE FROM tags WHERE EXISTS (SELECT 1 FROM gc_dead_m d "
              "WHERE d.repo_id=tags.repo_id AND d.digest=tags.digest);"
              "DELETE FROM manifests WHERE EXISTS (SELECT 1 FROM gc_dead_m d "
              "WHERE d.repo_id=manifests.repo_id AND d.digest=manifests.digest);"
              "INSERT OR IGNORE INTO gc_live_blobs SELECT r.repo_id, r.ref FROM gc_refs r "
              "JOIN manifests m ON m.repo_id=r.repo_id AND m.digest=r.manifest WHERE r.kind=0;",
           err) < 0)
    return -1;
  if (exec_bind(g, "INSERT INTO gc_dead_b SELECT b.repo_id, b.digest FROM blobs b "
                   "WHERE b.linked_at < ?1 AND NOT EXISTS (SELECT 1 FROM gc_live_blobs l "
                   "WHERE l.repo_id=b.repo_id AND l.digest=b.digest) LIMIT ?2",
                mk->cutoff_ns, cap, err) < 0 ||
      collect_items(g, "SELECT r.name, b.digest, b.size FROM gc_dead_b d JOIN blobs b "
                       "ON b.repo_id=d.repo_id AND b.digest=d.digest JOIN repos r ON r.id=b.repo_id "
                       "ORDER BY r.name, b.digest",
                    0, &mk->blob_links, &mk->n_blob_links, err) < 0 ||
      exec(g, "DELETE FROM blobs WHERE EXISTS (SELECT 1 FROM gc_dead_b d "
              "WHERE d.repo_id=blobs.repo_id AND d.digest=blobs.digest)", err) < 0)
    return -1;
  mk->more = cap > 0 && ((int64_t) mk->n_manifests == cap || (int64_t) mk->n_blob_links == cap);
  /* The references of manifests that are gone are no longer needed. */
  if (exec(g, "DELETE FROM gc_refs WHERE NOT EXISTS (SELECT 1 FROM manifests m "
              "WHERE m.repo_id=gc_refs.repo_id AND m.digest=gc_refs.manifest);"
              "DELETE FROM gc_indexed WHERE NOT EXISTS (SELECT 1 FROM manifests m "
              "WHERE m.repo_id=gc_indexed.repo_id AND m.digest=gc_indexed.manifest);", err) < 0)
    return -1;
  /* Blob files that no repository links any more. */
  _cleanup_stmt_ sqlite3_stmt *linked = prep(g, "SELECT 1 FROM blobs WHERE digest=?1", err);
  _cleanup_stmt_ sqlite3_stmt *queue = prep(g,
      "INSERT OR IGNORE INTO gc_pending(digest) VALUES(?1)", err);
  if (!linked || !queue)
    return -1;
  mk->files = calloc(mk->n_blob_links + 1, sizeof(char *));
  _cleanup_free_ const char **sorted = calloc(mk->n_blob_links + 1, sizeof(char *));
  if (!mk->files || !sorted)
    return wh_error_errno(err, "GC");
  /* Each digest once, however many repositories dropped it. */
  for (size_t i = 0; i < mk->n_blob_links; i++)
    sorted[i] = mk->blob_links[i].digest;
  qsort(sorted, mk->n_blob_links, sizeof(char *), cmp_str);
  for (size_t i = 0; i < mk->n_blob_links; i++) {
    const char *d = sorted[i];
    if (i > 0 && strcmp(sorted[i - 1], d) == 0)
      continue;
    sqlite3_reset(linked);
    sqlite3_bind_text(linked, 1, d, -1, SQLITE_STATIC);
    int rc = sqlite3_step(linked);
    if (rc == SQLITE_ROW)
      continue;
    if (rc != SQLITE_DONE)
      return db_err(g, err, "GC");
    sqlite3_reset(queue);
    sqlite3_bind_text(queue, 1, d, -1, SQLITE_STATIC);
    if (sqlite3_step(queue) != SQLITE_DONE)
      return db_err(g, err, "GC queue");
    if (!(mk->files[mk->n_files++] = strdup(d)))
      return wh_error_errno(err, "GC");
  }
  return 0;
}

int meta_gc_mark(struct meta_gc *g, struct meta_gc_mark *mk, meta_gc_refs_fn refs, void *cls,
                 struct wh_error **err)
{
  pthread_mutex_lock(&g->lock);
  int ret = -1;
  if (exec(g, "BEGIN IMMEDIATE", err) == 0) {
    ret = mark_locked(g, mk, refs, cls, err);
    if (ret == 0 && !mk->dry_run)
      ret = exec(g, "COMMIT", err);
    if (ret < 0 || mk->dry_run)
      exec(g, "ROLLBACK", NULL);
  }
  pthread_mutex_unlock(&g->lock);
  if (ret < 0)
    meta_gc_mark_clear(mk);
  return ret;
}

int meta_gc_pending(struct meta_gc *g, char ***out, struct wh_error **err)
{
  pthread_mutex_lock(&g->lock);
  int ret = -1;
  size_t n = 0, cap = 16;
  char **v = calloc(cap + 1, sizeof(char *));
  _cleanup_stmt_ sqlite3_stmt *st = v ? prep(g, "SELECT digest FROM gc_pending", err) : NULL;
  if (st) {
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      if (n == cap) {
        char **nv = realloc(v, (cap * 2 + 1) * sizeof(char *));
        if (!nv)
          break;
        v = nv;
        cap *= 2;
      }
      v[n++] = col_dup(st, 0);
      v[n] = NULL;
    }
    if (rc == SQLITE_DONE)
      ret = 0;
    else
      db_err(g, err, "GC queue");
  } else if (!v) {
    wh_error_errno(err, "GC queue");
  }
  pthread_mutex_unlock(&g->lock);
  if (ret < 0) {
    strv_free_n(v);
    return -1;
  }
  *out = v;
  return 0;
}

/* Run one statement per digest inside one transaction. */
static int per_digest(struct meta_gc *g, const char *sql, char *const *digests, size_t n,
                      struct wh_error **err)
{
  if (exec(g, "BEGIN IMMEDIATE", err) < 0)
    return -1;
  _cleanup_stmt_ sqlite3_stmt *st = prep(g, sql, err);
  for (size_t i = 0; st && i < n; i++) {
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, digests[i], -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
      db_err(g, err, "GC queue");
      break;
    }
    if (i + 1 == n)
      return exec(g, "COMMIT", err) < 0 ? (exec(g, "ROLLBACK", NULL), -1) : 0;
  }
  if (st && n == 0)
    return exec(g, "COMMIT", err);
  exec(g, "ROLLBACK", NULL);
  return -1;
}

int meta_gc_queue(struct meta_gc *g, char *const *digests, size_t n, struct wh_error **err)
{
  pthread_mutex_lock(&g->lock);
  int ret = per_digest(g, "INSERT OR IGNORE INTO gc_pending(digest) VALUES(?1)", digests, n, err);
  pthread_mutex_unlock(&g->lock);
  return ret;
}

int meta_gc_done(struct meta_gc *g, char *const *digests, size_t n, struct wh_error **err)
{
  pthread_mutex_lock(&g->lock);
  int ret = per_digest(g, "DELETE FROM gc_pending WHERE digest=?1", digests, n, err);
  pthread_mutex_unlock(&g->lock);
  return ret;
}

static int linked_locked(struct meta_gc *g, sqlite3_stmt *st, const char *digest,
                         struct wh_error **err)
{
  sqlite3_reset(st);
  sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    return 1;
  if (rc == SQLITE_DONE)
    return 0;
  return db_err(g, err, "GC");
}

int meta_gc_linked(struct meta_gc *g, const char *digest, struct wh_error **err)
{
  pthread_mutex_lock(&g->lock);
  /* Asked once per file of the walk: the statement is kept. */
  if (!g->linked)
    g->linked = prep(g, "SELECT 1 FROM blobs WHERE digest=?1 LIMIT 1", err);
  int ret = g->linked ? linked_locked(g, g->linked, digest, err) : -1;
  if (g->linked)
    sqlite3_reset(g->linked);
  pthread_mutex_unlock(&g->lock);
  return ret;
}

int meta_gc_claim(struct meta_gc *g, char *const *digests, size_t n, bool *dead,
                  struct wh_error **err)
{
  pthread_mutex_lock(&g->lock);
  int ret = -1;
  if (exec(g, "BEGIN IMMEDIATE", err) < 0)
    goto out;
  {
    _cleanup_stmt_ sqlite3_stmt *st = prep(g, "SELECT 1 FROM blobs WHERE digest=?1 LIMIT 1", err);
    _cleanup_stmt_ sqlite3_stmt *drop = prep(g, "DELETE FROM gc_pending WHERE digest=?1", err);
    if (!st || !drop)
      goto fail;
    for (size_t i = 0; i < n; i++) {
      int l = linked_locked(g, st, digests[i], err);
      if (l < 0)
        goto fail;
      dead[i] = l == 0;
      if (l == 1) {
        /* Linked again since it was queued (a push of the same bytes):
         * it lives. */
        sqlite3_reset(drop);
        sqlite3_bind_text(drop, 1, digests[i], -1, SQLITE_STATIC);
        if (sqlite3_step(drop) != SQLITE_DONE) {
          db_err(g, err, "GC queue");
          goto fail;
        }
      }
    }
  }
  if (exec(g, "COMMIT", err) < 0)
    goto fail;
  ret = 0;
  goto out;
fail:
  exec(g, "ROLLBACK", NULL);
out:
  pthread_mutex_unlock(&g->lock);
  return ret;
}

void meta_gc_trim(struct meta_gc *g)
{
  pthread_mutex_lock(&g->lock);
  sqlite3_db_release_memory(g->db);
  pthread_mutex_unlock(&g->lock);
}

/* --- quotas ------------------------------------------------------------ */

int meta_quota_set(struct meta_gc *g, const char *repo, uint64_t bytes, struct wh_error **err)
{
  pthread_mutex_lock(&g->lock);
  int ret = -1;
  _cleanup_stmt_ sqlite3_stmt *st = prep(g, bytes
      ? "INSERT INTO repo_quotas(repo, bytes) VALUES(?1, ?2) "
        "ON CONFLICT(repo) DO UPDATE SET bytes=excluded.bytes"
      : "DELETE FROM repo_quotas WHERE repo=?1", err);
  if (st) {
    sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
    if (bytes)
      sqlite3_bind_int64(st, 2, (sqlite3_int64) bytes);
    ret = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(g, err, "set quota");
  }
  pthread_mutex_unlock(&g->lock);
  return ret;
}

int meta_quota_get(struct meta_gc *g, const char *repo, uint64_t *bytes, struct wh_error **err)
{
  pthread_mutex_lock(&g->lock);
  int ret = -1;
  *bytes = 0;
  _cleanup_stmt_ sqlite3_stmt *st = prep(g, "SELECT bytes FROM repo_quotas WHERE repo=?1", err);
  if (st) {
    sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
      *bytes = (uint64_t) sqlite3_column_int64(st, 0);
    ret = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_err(g, err, "read quota");
  }
  pthread_mutex_unlock(&g->lock);
  return ret;
}

int meta_quota_usage(struct meta_gc *g, const char *repo, uint64_t *usage,
                     struct wh_error **err)
{
  pthread_mutex_lock(&g->lock);
  int ret = -1;
  *usage = 0;
  /* Blob rows are unique per (repository, digest): each distinct blob
   * counts once however many manifests share it. */
  _cleanup_stmt_ sqlite3_stmt *st = prep(g,
      "SELECT (SELECT coalesce(sum(b.size), 0) FROM blobs b WHERE b.repo_id=r.id) + "
      "(SELECT coalesce(sum(m.size), 0) FROM manifests m WHERE m.repo_id=r.id) "
      "FROM repos r WHERE r.name=?1", err);
  if (st) {
    sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
      *usage = (uint64_t) sqlite3_column_int64(st, 0);
    ret = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_err(g, err, "read usage");
  }
  pthread_mutex_unlock(&g->lock);
  return ret;
}

int meta_quota_list(struct meta_gc *g, char ***repos, uint64_t **bytes, size_t *n_out,
                    struct wh_error **err)
{
  pthread_mutex_lock(&g->lock);
  int ret = -1;
  size_t n = 0, cap = 0;
  char **names = calloc(1, sizeof(char *));
  uint64_t *b = NULL;
  _cleanup_stmt_ sqlite3_stmt *st = names
      ? prep(g, "SELECT repo, bytes FROM repo_quotas ORDER BY repo", err) : NULL;
  if (st) {
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      if (n == cap) {
        cap = cap ? cap * 2 : 8;
        char **nn = realloc(names, (cap + 1) * sizeof(char *));
        if (nn)
          names = nn;
        uint64_t *nb = nn ? realloc(b, cap * sizeof(uint64_t)) : NULL;
        if (!nb)
          break;
        b = nb;
      }
      names[n] = col_dup(st, 0);
      b[n] = (uint64_t) sqlite3_column_int64(st, 1);
      names[++n] = NULL;
    }
    ret = rc == SQLITE_DONE ? 0 : db_err(g, err, "list quotas");
  } else if (!names) {
    wh_error_errno(err, "list quotas");
  }
  pthread_mutex_unlock(&g->lock);
  if (ret < 0) {
    strv_free_n(names);
    free(b);
    return -1;
  }
  *repos = names;
  *bytes = b;
  *n_out = n;
  return 0;
}
