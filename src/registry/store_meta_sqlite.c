/* store_meta_sqlite.c: the metadata store in SQLite (store_meta.h).
 *
 * One database file, WAL mode, so readers never wait for the writer and a
 * crash leaves either the whole last transaction or none of it. A small
 * pool of connections, each used by one request thread at a time, each
 * with its prepared statements cached: a manifest GET by tag is one
 * indexed SELECT on a warm statement. Writers take BEGIN IMMEDIATE so two
 * pushes serialize instead of failing on a lock upgrade. */
#include "registry/store_meta.h"
#include "registry/store_meta_sqlite_db.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/timeutil.h"

/* The SQL of each cached statement (enum stmt_id in store_meta_sqlite_db.h). */
static const char *const stmt_sql[S_COUNT] = {
  [S_BEGIN] = "BEGIN IMMEDIATE",
  [S_COMMIT] = "COMMIT",
  [S_ROLLBACK] = "ROLLBACK",
  [S_REPO_ID] = "SELECT id FROM repos WHERE name=?1",
  [S_REPO_INSERT] = "INSERT INTO repos(name, created_at) VALUES(?1, ?2) "
                    "ON CONFLICT(name) DO NOTHING",
  [S_BLOB_LINK] = "INSERT INTO blobs(repo_id, digest, size, linked_at) VALUES(?1, ?2, ?3, ?4) "
                  "ON CONFLICT(repo_id, digest) DO UPDATE SET linked_at=excluded.linked_at",
  [S_BLOB_GET] = "SELECT b.size, b.linked_at, b.repo_id FROM repos r JOIN blobs b ON b.repo_id=r.id "
                 "WHERE r.name=?1 AND b.digest=?2",
  [S_BLOB_UNLINK] = "DELETE FROM blobs WHERE repo_id=(SELECT id FROM repos WHERE name=?1) "
                    "AND digest=?2",
  [S_BLOB_CHECK] = "SELECT 1 FROM blobs WHERE repo_id=?1 AND digest=?2",
  [S_BLOB_SEEN] = "UPDATE blobs SET linked_at=?3 WHERE repo_id=?1 AND digest=?2 AND linked_at < ?3",
  [S_MF_CHECK] = "SELECT 1 FROM manifests WHERE repo_id=?1 AND digest=?2",
  [S_MF_INSERT] = "INSERT INTO manifests(repo_id, digest, media_type, size, raw, subject, "
                  "artifact_type, annotations, pushed_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9) "
                  "ON CONFLICT(repo_id, digest) DO UPDATE SET media_type=excluded.media_type, "
                  "pushed_at=excluded.pushed_at",
  [S_TAG_UPSERT] = "INSERT INTO tags(repo_id, name, digest, pushed_at) VALUES(?1,?2,?3,?4) "
                   "ON CONFLICT(repo_id, name) DO UPDATE SET digest=excluded.digest, "
                   "pushed_at=excluded.pushed_at",
  [S_MF_BY_TAG] = "SELECT m.digest, m.media_type, m.size, m.subject, m.raw, m.repo_id, "
                  "m.pulled_at "
                  "FROM repos r JOIN tags t ON t.repo_id=r.id "
                  "JOIN manifests m ON m.repo_id=r.id AND m.digest=t.digest "
                  "WHERE r.name=?1 AND t.name=?2",
  [S_MF_BY_DIGEST] = "SELECT m.digest, m.media_type, m.size, m.subject, m.raw, m.repo_id, "
                     "m.pulled_at "
                     "FROM repos r JOIN manifests m ON m.repo_id=r.id "
                     "WHERE r.name=?1 AND m.digest=?2",
  [S_MF_PULLED] = "UPDATE manifests SET pulled_at=?3 WHERE repo_id=?1 AND digest=?2",
  [S_MF_DELETE] = "DELETE FROM manifests WHERE repo_id=?1 AND digest=?2",
  [S_TAGS_DELETE_FOR] = "DELETE FROM tags WHERE repo_id=?1 AND digest=?2",
  [S_TAG_DELETE] = "DELETE FROM tags WHERE repo_id=(SELECT id FROM repos WHERE name=?1) "
                   "AND name=?2",
  [S_TAGS_LIST] = "SELECT name FROM tags WHERE repo_id=?1 AND name > ?2 ORDER BY name LIMIT ?3",
  [S_CATALOG] = "SELECT name FROM repos WHERE name > ?1 ORDER BY name LIMIT ?2",
  [S_REFERRERS] = "SELECT digest, media_type, size, artifact_type, annotations FROM manifests "
                  "WHERE repo_id=(SELECT id FROM repos WHERE name=?1) AND subject=?2 "
                  "AND (?3 IS NULL OR artifact_type=?3) ORDER BY digest",
  [S_UP_CREATE] = "INSERT INTO uploads(id, repo, created_at, updated_at) VALUES(?1,?2,?3,?3)",
  [S_UP_GET] = "SELECT updated_at FROM uploads WHERE id=?1 AND repo=?2",
  [S_UP_TOUCH] = "UPDATE uploads SET updated_at=?2 WHERE id=?1",
  [S_UP_DELETE] = "DELETE FROM uploads WHERE id=?1",
  [S_UP_LIST] = "SELECT id FROM uploads WHERE updated_at < ?1",
};

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS repos("
  "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS blobs("
  "  repo_id INTEGER NOT NULL, digest TEXT NOT NULL, size INTEGER NOT NULL,"
  "  linked_at INTEGER NOT NULL, PRIMARY KEY(repo_id, digest)) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS manifests("
  "  repo_id INTEGER NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL,"
  "  size INTEGER NOT NULL, raw BLOB NOT NULL, subject TEXT, artifact_type TEXT,"
  "  annotations TEXT, pushed_at INTEGER NOT NULL, pulled_at INTEGER,"
  "  PRIMARY KEY(repo_id, digest));"
  "CREATE INDEX IF NOT EXISTS manifests_subject ON manifests(repo_id, subject)"
  "  WHERE subject IS NOT NULL;"
  "CREATE TABLE IF NOT EXISTS tags("
  "  repo_id INTEGER NOT NULL, name TEXT NOT NULL, digest TEXT NOT NULL,"
  "  pushed_at INTEGER NOT NULL, PRIMARY KEY(repo_id, name)) WITHOUT ROWID;"
  "CREATE INDEX IF NOT EXISTS tags_digest ON tags(repo_id, digest);"
  "CREATE TABLE IF NOT EXISTS uploads("
  "  id TEXT PRIMARY KEY, repo TEXT NOT NULL, created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL) WITHOUT ROWID;";

int sqlm_db_error(sqlite3 *db, struct wh_error **err, const char *what)
{
  return wh_error_set(err, WH_ERR_IO, "metadata %s: %s", what, sqlite3_errmsg(db));
}

static int conn_exec(struct conn *c, const char *sql, struct wh_error **err)
{
  char *msg = NULL;
  if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    wh_error_set(err, WH_ERR_IO, "metadata: %s", msg ? msg : "error");
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

static void conn_free(struct conn *c)
{
  if (!c)
    return;
  for (int i = 0; i < S_COUNT; i++)
    sqlite3_finalize(c->st[i]);
  sqlite3_close(c->db);
  free(c);
}

static struct conn *conn_open(struct sq_store *s, struct wh_error **err)
{
  struct conn *c = calloc(1, sizeof(*c));
  if (!c) {
    wh_error_errno(err, "metadata connection");
    return NULL;
  }
  int rc = sqlite3_open_v2(s->path, &c->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                           SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL);
  if (rc != SQLITE_OK) {
    wh_error_set(err, WH_ERR_IO, "open metadata database %s: %s", s->path,
                 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
    conn_free(c);
    return NULL;
  }
  sqlite3_busy_timeout(c->db, 10000);
  if (conn_exec(c, s->sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", err) < 0) {
    conn_free(c);
    return NULL;
  }
  return c;
}

struct conn *sqlm_conn_get(struct sq_store *s, struct wh_error **err)
{
  pthread_mutex_lock(&s->lock);
  struct conn *c = s->idle;
  if (c)
    s->idle = c->next;
  pthread_mutex_unlock(&s->lock);
  if (c)
    return c;
  /* The pool grows to the number of threads that use it at once (the
   * request threads): no cap needed beyond theirs. */
  return conn_open(s, err);
}

void sqlm_conn_put(struct sq_store *s, struct conn *c)
{
  pthread_mutex_lock(&s->lock);
  c->next = s->idle;
  s->idle = c;
  pthread_mutex_unlock(&s->lock);
}

/* A cached statement, reset and unbound, ready for binding. */
sqlite3_stmt *sqlm_stmt(struct conn *c, enum stmt_id id, struct wh_error **err)
{
  sqlite3_stmt *st = c->st[id];
  if (!st) {
    if (sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                           &c->st[id], NULL) != SQLITE_OK) {
      sqlm_db_error(c->db, err, "prepare");
      return NULL;
    }
    return c->st[id];
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return st;
}

void sqlm_bind_text(sqlite3_stmt *st, int i, const char *s)
{
  if (s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

/* Run a statement that returns no rows. */
int sqlm_step_done(struct conn *c, sqlite3_stmt *st, struct wh_error **err)
{
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    return sqlm_db_error(c->db, err, "write");
  return 0;
}

static int tx_begin(struct conn *c, struct wh_error **err)
{
  sqlite3_stmt *st = sqlm_stmt(c, S_BEGIN, err);
  return st ? sqlm_step_done(c, st, err) : -1;
}

static int tx_commit(struct conn *c, struct wh_error **err)
{
  sqlite3_stmt *st = sqlm_stmt(c, S_COMMIT, err);
  return st ? sqlm_step_done(c, st, err) : -1;
}

static void tx_rollback(struct conn *c)
{
  sqlite3_stmt *st = sqlm_stmt(c, S_ROLLBACK, NULL);
  if (st)
    sqlm_step_done(c, st, NULL);
}

/* The id of repo, or 0 if unknown (-1 on error). */
static int64_t repo_id(struct conn *c, const char *repo, struct wh_error **err)
{
  sqlite3_stmt *st = sqlm_stmt(c, S_REPO_ID, err);
  if (!st)
    return -1;
  sqlm_bind_text(st, 1, repo);
  int rc = sqlite3_step(st);
  int64_t id = 0;
  if (rc == SQLITE_ROW)
    id = sqlite3_column_int64(st, 0);
  else if (rc != SQLITE_DONE)
    id = sqlm_db_error(c->db, err, "read repository");
  sqlite3_reset(st);
  return id;
}

/* Inside a transaction: the repository's id, created if new. */
static int64_t repo_ensure(struct conn *c, const char *repo, struct wh_error **err)
{
  sqlite3_stmt *st = sqlm_stmt(c, S_REPO_INSERT, err);
  if (!st)
    return -1;
  sqlm_bind_text(st, 1, repo);
  sqlite3_bind_int64(st, 2, wh_now_real_ns());
  if (sqlm_step_done(c, st, err) < 0)
    return -1;
  int64_t id = repo_id(c, repo, err);
  if (id == 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "repository %s vanished", repo);
  return id;
}

static int sq_blob_link(struct meta_store *m, const char *repo, const char *digest,
                        uint64_t size, struct wh_error **err)
{
  WITH_CONN(m, c, err);
  int ret = -1;
  if (tx_begin(c, err) < 0)
    goto out;
  int64_t rid = repo_ensure(c, repo, err);
  sqlite3_stmt *st = rid > 0 ? sqlm_stmt(c, S_BLOB_LINK, err) : NULL;
  if (!st)
    goto fail;
  sqlite3_bind_int64(st, 1, rid);
  sqlm_bind_text(st, 2, digest);
  sqlite3_bind_int64(st, 3, (sqlite3_int64) size);
  sqlite3_bind_int64(st, 4, wh_now_real_ns());
  if (sqlm_step_done(c, st, err) < 0 || tx_commit(c, err) < 0)
    goto fail;
  ret = 0;
  goto out;
fail:
  tx_rollback(c);
out:
  sqlm_conn_put((struct sq_store *) m, c);
  return ret;
}

#define BLOB_SEEN_RESOLUTION_NS (60 * 1000000000LL)

static int sq_blob_get(struct meta_store *m, const char *repo, const char *digest,
                       uint64_t *size, struct wh_error **err)
{
  WITH_CONN(m, c, err);
  int ret = -1;
  int64_t linked = 0, rid = 0;
  sqlite3_stmt *st = sqlm_stmt(c, S_BLOB_GET, err);
  if (st) {
    sqlm_bind_text(st, 1, repo);
    sqlm_bind_text(st, 2, digest);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      *size = (uint64_t) sqlite3_column_int64(st, 0);
      linked = sqlite3_column_int64(st, 1);
      rid = sqlite3_column_int64(st, 2);
      ret = 0;
    } else if (rc == SQLITE_DONE) {
      wh_error_set(err, WH_ERR_NOT_FOUND, "blob %s is not in repository %s", digest, repo);
    } else {
      sqlm_db_error(c->db, err, "read blob");
    }
    sqlite3_reset(st);
  }
  /* A pusher checks a blob (HEAD) before it references it in a manifest:
   * refresh the link time, so GC's grace period protects the blob until
   * the manifest arrives (at most one write a minute per blob). */
  int64_t now = ret == 0 ? wh_now_real_ns() : 0;
  if (ret == 0 && now - linked >= BLOB_SEEN_RESOLUTION_NS) {
    sqlite3_stmt *up = sqlm_stmt(c, S_BLOB_SEEN, NULL);
    if (up) {
      sqlite3_bind_int64(up, 1, rid);
      sqlm_bind_text(up, 2, digest);
      sqlite3_bind_int64(up, 3, now);
      /* Never wait for the write lock (a GC run may hold it): skip this
       * time instead, as pull times do when busy. */
      sqlite3_busy_timeout(c->db, 0);
      sqlm_step_done(c, up, NULL);
      sqlite3_busy_timeout(c->db, 10000);
    }
  }
  sqlm_conn_put((struct sq_store *) m, c);
  return ret;
}

/* DELETE by (repository name, key); NOT_FOUND naming `what` if no row went. */
static int delete_row(struct meta_store *m, enum stmt_id id, const char *repo, const char *key,
                      const char *what, struct wh_error **err)
{
  WITH_CONN(m, c, err);
  int ret = -1;
  sqlite3_stmt *st = sqlm_stmt(c, id, err);
  if (st) {
    sqlm_bind_text(st, 1, repo);
    sqlm_bind_text(st, 2, key);
    if (sqlm_step_done(c, st, err) == 0) {
      if (sqlite3_changes(c->db) == 0)
        wh_error_set(err, WH_ERR_NOT_FOUND, "%s %s is not in repository %s", what, key, repo);
      else
        ret = 0;
    }
  }
  sqlm_conn_put((struct sq_store *) m, c);
  return ret;
}

static int sq_blob_unlink(struct meta_store *m, const char *repo, const char *digest,
                          struct wh_error **err)
{
  return delete_row(m, S_BLOB_UNLINK, repo, digest, "blob", err);
}

/* 1 if (repo_id, digest) is a row of the table the statement reads. */
static int exists(struct conn *c, enum stmt_id id, int64_t rid, const char *digest,
                  struct wh_error **err)
{
  sqlite3_stmt *st = sqlm_stmt(c, id, err);
  if (!st)
    return -1;
  sqlite3_bind_int64(st, 1, rid);
  sqlm_bind_text(st, 2, digest);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW)
    return 1;
  if (rc == SQLITE_DONE)
    return 0;
  return sqlm_db_error(c->db, err, "read");
}

static int sq_manifest_put(struct meta_store *m, const struct meta_manifest_put *p,
                           struct wh_error **err)
{
  WITH_CONN(m, c, err);
  int ret = -1;
  int64_t now = wh_now_real_ns();
  if (tx_begin(c, err) < 0)
    goto out;
  int64_t rid = repo_ensure(c, p->repo, err);
  if (rid < 0)
    goto fail;
  /* The references are checked inside the transaction that writes the
   * manifest, so a concurrent blob DELETE cannot slip in between. */
  for (size_t i = 0; i < p->n_blobs; i++) {
    int e = exists(c, S_BLOB_CHECK, rid, p->blobs[i], err);
    if (e < 0)
      goto fail;
    if (e == 0) {
      wh_error_set(err, WH_ERR_NOT_FOUND, "blob %s is not in repository %s: push it first",
                   p->blobs[i], p->repo);
      goto fail;
    }
  }
  for (size_t i = 0; i < p->n_children; i++) {
    int e = exists(c, S_MF_CHECK, rid, p->children[i], err);
    if (e < 0)
      goto fail;
    if (e == 0) {
      wh_error_set(err, WH_ERR_NOT_FOUND,
                   "manifest %s is not in repository %s: push it before the index",
                   p->children[i], p->repo);
      goto fail;
    }
  }
  sqlite3_stmt *st = sqlm_stmt(c, S_MF_INSERT, err);
  if (!st)
    goto fail;
  sqlite3_bind_int64(st, 1, rid);
  sqlm_bind_text(st, 2, p->digest);
  sqlm_bind_text(st, 3, p->media_type);
  sqlite3_bind_int64(st, 4, (sqlite3_int64) p->size);
  sqlite3_bind_blob64(st, 5, p->raw, p->size, SQLITE_STATIC);
  sqlm_bind_text(st, 6, p->subject);
  sqlm_bind_text(st, 7, p->artifact_type);
  sqlm_bind_text(st, 8, p->annotations);
  sqlite3_bind_int64(st, 9, now);
  if (sqlm_step_done(c, st, err) < 0)
    goto fail;
  if (p->tag) {
    /* Same transaction as the manifest row: a tag never names a missing
     * manifest. */
    st = sqlm_stmt(c, S_TAG_UPSERT, err);
    if (!st)
      goto fail;
    sqlite3_bind_int64(st, 1, rid);
    sqlm_bind_text(st, 2, p->tag);
    sqlm_bind_text(st, 3, p->digest);
    sqlite3_bind_int64(st, 4, now);
    if (sqlm_step_done(c, st, err) < 0)
      goto fail;
  }
  if (tx_commit(c, err) < 0)
    goto fail;
  ret = 0;
  goto out;
fail:
  tx_rollback(c);
out:
  sqlm_conn_put((struct sq_store *) m, c);
  return ret;
}

char *sqlm_col_strdup(sqlite3_stmt *st, int i)
{
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? strdup((const char *) s) : NULL;
}

/* A manifest's pull time is recorded at most this often, so a GET stays a
 * read almost always (a write per GET would cap GETs at the commit rate). */
#define PULL_TIME_RESOLUTION_NS (60 * 1000000000LL)

static void record_pull(struct conn *c, int64_t rid, const char *digest, int64_t now)
{
  sqlite3_stmt *st = sqlm_stmt(c, S_MF_PULLED, NULL);
  if (!st)
    return;
  sqlite3_bind_int64(st, 1, rid);
  sqlm_bind_text(st, 2, digest);
  sqlite3_bind_int64(st, 3, now);
  /* Best effort: a busy database skips this minute's record. */
  sqlm_step_done(c, st, NULL);
}

static int sq_manifest_get(struct meta_store *m, const char *repo, const char *ref,
                           bool is_digest, bool want_raw, struct meta_manifest *out,
                           struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  WITH_CONN(m, c, err);
  int ret = -1;
  int64_t rid = 0, pulled = 0;
  sqlite3_stmt *st = sqlm_stmt(c, is_digest ? S_MF_BY_DIGEST : S_MF_BY_TAG, err);
  if (st) {
    sqlm_bind_text(st, 1, repo);
    sqlm_bind_text(st, 2, ref);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      out->digest = sqlm_col_strdup(st, 0);
      out->media_type = sqlm_col_strdup(st, 1);
      out->size = (uint64_t) sqlite3_column_int64(st, 2);
      out->subject = sqlm_col_strdup(st, 3);
      rid = sqlite3_column_int64(st, 5);
      pulled = sqlite3_column_int64(st, 6); /* 0 when NULL */
      bool ok = out->digest && out->media_type;
      if (want_raw) {
        const void *b = sqlite3_column_blob(st, 4);
        size_t n = (size_t) sqlite3_column_bytes(st, 4);
        out->raw = malloc(n + 1);
        if (out->raw) {
          if (n)
            memcpy(out->raw, b, n);
          out->raw[n] = '\0';
          out->size = n;
        } else {
          ok = false;
        }
      }
      if (ok)
        ret = 0;
      else {
        wh_error_errno(err, "read manifest");
        meta_manifest_clear(out);
      }
    } else if (rc == SQLITE_DONE) {
      wh_error_set(err, WH_ERR_NOT_FOUND, "manifest %s is not in repository %s", ref, repo);
    } else {
      sqlm_db_error(c->db, err, "read manifest");
    }
    sqlite3_reset(st);
  }
  if (ret == 0 && want_raw) {
    int64_t now = wh_now_real_ns();
    if (now - pulled >= PULL_TIME_RESOLUTION_NS)
      record_pull(c, rid, out->digest, now);
  }
  sqlm_conn_put((struct sq_store *) m, c);
  return ret;
}

static int sq_manifest_delete(struct meta_store *m, const char *repo, const char *digest,
                              struct wh_error **err)
{
  WITH_CONN(m, c, err);
  int ret = -1;
  if (tx_begin(c, err) < 0)
    goto out;
  int64_t rid = repo_id(c, repo, err);
  if (rid < 0)
    goto fail;
  sqlite3_stmt *st = sqlm_stmt(c, S_MF_DELETE, err);
  if (!st)
    goto fail;
  sqlite3_bind_int64(st, 1, rid);
  sqlm_bind_text(st, 2, digest);
  if (sqlm_step_done(c, st, err) < 0)
    goto fail;
  if (sqlite3_changes(c->db) == 0) {
    wh_error_set(err, WH_ERR_NOT_FOUND, "manifest %s is not in repository %s", digest, repo);
    goto fail;
  }
  st = sqlm_stmt(c, S_TAGS_DELETE_FOR, err);
  if (!st)
    goto fail;
  sqlite3_bind_int64(st, 1, rid);
  sqlm_bind_text(st, 2, digest);
  if (sqlm_step_done(c, st, err) < 0 || tx_commit(c, err) < 0)
    goto fail;
  ret = 0;
  goto out;
fail:
  tx_rollback(c);
out:
  sqlm_conn_put((struct sq_store *) m, c);
  return ret;
}

static int sq_tag_delete(struct meta_store *m, const char *repo, const char *tag,
                         struct wh_error **err)
{
  return delete_row(m, S_TAG_DELETE, repo, tag, "tag", err);
}

/* Collect column 0 of up to limit rows, and whether one more exists
 * (the statement asks for limit + 1). */
int sqlm_collect_names(struct conn *c, sqlite3_stmt *st, size_t limit, char ***out,
                         bool *more, struct wh_error **err)
{
  _cleanup_strv_ char **v = calloc(limit + 1, sizeof(char *));
  if (!v)
    return wh_error_errno(err, "list");
  size_t n = 0;
  *more = false;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == limit) {
      *more = true;
      break;
    }
    if (!(v[n] = sqlm_col_strdup(st, 0))) {
      sqlite3_reset(st);
      return wh_error_errno(err, "list");
    }
    n++;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sqlm_db_error(c->db, err, "list");
  *out = steal_pointer(&v);
  return 0;
}

static int sq_tags_list(struct meta_store *m, const char *repo, const char *last,
                        size_t limit, char ***out, bool *more, struct wh_error **err)
{
  WITH_CONN(m, c, err);
  int ret = -1;
  int64_t rid = repo_id(c, repo, err);
  if (rid == 0)
    wh_error_set(err, WH_ERR_NOT_FOUND, "repository %s is not known", repo);
  sqlite3_stmt *st = rid > 0 ? sqlm_stmt(c, S_TAGS_LIST, err) : NULL;
  if (st) {
    sqlite3_bind_int64(st, 1, rid);
    sqlm_bind_text(st, 2, last ? last : "");
    sqlite3_bind_int64(st, 3, (sqlite3_int64) limit + 1);
    ret = sqlm_collect_names(c, st, limit, out, more, err);
  }
  sqlm_conn_put((struct sq_store *) m, c);
  return ret;
}

static int sq_catalog(struct meta_store *m, const char *last, size_t limit, char ***out,
                      bool *more, struct wh_error **err)
{
  WITH_CONN(m, c, err);
  int ret = -1;
  sqlite3_stmt *st = sqlm_stmt(c, S_CATALOG, err);
  if (st) {
    sqlm_bind_text(st, 1, last ? last : "");
    sqlite3_bind_int64(st, 2, (sqlite3_int64) limit + 1);
    ret = sqlm_collect_names(c, st, limit, out, more, err);
  }
  sqlm_conn_put((struct sq_store *) m, c);
  return ret;
}

void meta_referrers_free(struct meta_referrer *r, size_t n)
{
  if (!r)
    return;
  for (size_t i = 0; i < n; i++) {
    free(r[i].digest);
    free(r[i].media_type);
    free(r[i].artifact_type);
    free(r[i].annotations);
  }
  free(r);
}

static int sq_referrers(struct meta_store *m, const char *repo, const char *subject,
                        const char *artifact_type, struct meta_referrer **out, size_t *n_out,
                        struct wh_error **err)
{
  WITH_CONN(m, c, err);
  int ret = -1;
  struct meta_referrer *v = NULL;
  size_t n = 0, cap = 0;
  sqlite3_stmt *st = sqlm_stmt(c, S_REFERRERS, err);
  if (st) {
    sqlm_bind_text(st, 1, repo);
    sqlm_bind_text(st, 2, subject);
    sqlm_bind_text(st, 3, artifact_type);
    int rc;
    ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      if (n == cap) {
        cap = cap ? cap * 2 : 8;
        struct meta_referrer *nv = realloc(v, cap * sizeof(*v));
        if (!nv) {
          ret = wh_error_errno(err, "referrers");
          break;
        }
        v = nv;
      }
      struct meta_referrer *r = &v[n++];
      memset(r, 0, sizeof(*r));
      r->digest = sqlm_col_strdup(st, 0);
      r->media_type = sqlm_col_strdup(st, 1);
      r->size = (uint64_t) sqlite3_column_int64(st, 2);
      r->artifact_type = sqlm_col_strdup(st, 3);
      r->annotations = sqlm_col_strdup(st, 4);
      if (!r->digest || !r->media_type) {
        ret = wh_error_errno(err, "referrers");
        break;
      }
    }
    if (ret == 0 && rc != SQLITE_DONE)
      ret = sqlm_db_error(c->db, err, "referrers");
    sqlite3_reset(st);
  }
  sqlm_conn_put((struct sq_store *) m, c);
  if (ret < 0) {
    meta_referrers_free(v, n);
    return -1;
  }
  *out = v;
  *n_out = n;
  return 0;
}

static void sq_close(struct meta_store *m)
{
  struct sq_store *s = (struct sq_store *) m;
  while (s->idle) {
    struct conn *c = s->idle;
    s->idle = c->next;
    conn_free(c);
  }
  pthread_mutex_destroy(&s->lock);
  free(s->path);
  free(s);
}

void meta_manifest_clear(struct meta_manifest *mf)
{
  free(mf->digest);
  free(mf->media_type);
  free(mf->raw);
  free(mf->subject);
  memset(mf, 0, sizeof(*mf));
}

static const struct meta_store_ops sq_ops = {
  .blob_link = sq_blob_link,
  .blob_get = sq_blob_get,
  .blob_unlink = sq_blob_unlink,
  .manifest_put = sq_manifest_put,
  .manifest_get = sq_manifest_get,
  .manifest_delete = sq_manifest_delete,
  .tag_delete = sq_tag_delete,
  .tags_list = sq_tags_list,
  .catalog = sq_catalog,
  .referrers = sq_referrers,
  .upload_create = sq_upload_create,
  .upload_get = sq_upload_get,
  .upload_touch = sq_upload_touch,
  .upload_delete = sq_upload_delete,
  .upload_list = sq_upload_list,
  .close = sq_close,
};

struct meta_store *meta_store_sqlite_open(int dirfd, const char *dir_path, bool sync_full,
                                          struct wh_error **err)
{
  (void) dirfd;
  struct sq_store *s = calloc(1, sizeof(*s));
  if (!s || asprintf(&s->path, "%s/meta.db", dir_path) < 0) {
    free(s);
    wh_error_errno(err, "metadata store");
    return NULL;
  }
  s->base.ops = &sq_ops;
  s->sync_full = sync_full;
  pthread_mutex_init(&s->lock, NULL);
  struct conn *c = conn_open(s, err);
  if (!c || conn_exec(c, "PRAGMA journal_mode=WAL", err) < 0 ||
      conn_exec(c, schema, err) < 0) {
    conn_free(c);
    sq_close(&s->base);
    return NULL;
  }
  sqlm_conn_put(s, c);
  return &s->base;
}
