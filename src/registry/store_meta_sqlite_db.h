/* store_meta_sqlite_db.h: what the files of the SQLite metadata store
 * share: the connection pool, the cached statements and small helpers.
 * Internal to store_meta_sqlite*.c. */
#pragma once

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/store_meta.h"

struct wh_error;

enum stmt_id {
  S_BEGIN, S_COMMIT, S_ROLLBACK,
  S_REPO_ID, S_REPO_INSERT,
  S_BLOB_LINK, S_BLOB_GET, S_BLOB_UNLINK, S_BLOB_CHECK, S_BLOB_SEEN,
  S_MF_CHECK, S_MF_INSERT, S_TAG_UPSERT, S_MF_BY_TAG, S_MF_BY_DIGEST,
  S_MF_PULLED, S_MF_DELETE, S_TAGS_DELETE_FOR, S_TAG_DELETE, S_TAGS_LIST, S_CATALOG,
  S_REFERRERS,
  S_UP_CREATE, S_UP_GET, S_UP_TOUCH, S_UP_DELETE, S_UP_LIST,
  S_COUNT
};

struct conn {
  struct conn *next;
  sqlite3 *db;
  sqlite3_stmt *st[S_COUNT];
};

struct sq_store {
  struct meta_store base;
  char *path;
  bool sync_full;
  pthread_mutex_t lock;
  struct conn *idle;
};

/* A connection of the pool (opened on demand) and its return. */
struct conn *sqlm_conn_get(struct sq_store *s, struct wh_error **err);
void sqlm_conn_put(struct sq_store *s, struct conn *c);
/* A cached statement, reset and unbound, ready for binding. */
sqlite3_stmt *sqlm_stmt(struct conn *c, enum stmt_id id, struct wh_error **err);
/* Text or NULL, bound without a copy. */
void sqlm_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Run a statement that returns no rows. */
int sqlm_step_done(struct conn *c, sqlite3_stmt *st, struct wh_error **err);
int sqlm_db_error(sqlite3 *db, struct wh_error **err, const char *what);
char *sqlm_col_strdup(sqlite3_stmt *st, int i);
/* Column 0 of up to limit rows; *more if the statement (asked for
 * limit + 1) had another. */
int sqlm_collect_names(struct conn *c, sqlite3_stmt *st, size_t limit, char ***out,
                       bool *more, struct wh_error **err);

#define WITH_CONN(s, c, err)                                  \
  struct conn *c = sqlm_conn_get((struct sq_store *) (s), err);    \
  if (!c)                                                     \
    return -1

/* store_meta_sqlite_uploads.c */
int sq_upload_create(struct meta_store *m, const char *id, const char *repo, int64_t now,
                     struct wh_error **err);
int sq_upload_get(struct meta_store *m, const char *id, const char *repo, int64_t *updated,
                  struct wh_error **err);
int sq_upload_touch(struct meta_store *m, const char *id, int64_t now, struct wh_error **err);
int sq_upload_delete(struct meta_store *m, const char *id, struct wh_error **err);
int sq_upload_list(struct meta_store *m, int64_t before, char ***ids, struct wh_error **err);
