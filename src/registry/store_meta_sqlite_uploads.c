/* store_meta_sqlite_uploads.c: upload sessions in the SQLite metadata
 * store: which repository a session belongs to and when it was last
 * used, for expiry. The bytes are the blob store's. */
#include "registry/store_meta_sqlite_db.h"

#include "base/error.h"

int sq_upload_create(struct meta_store *m, const char *id, const char *repo,
                            int64_t now, struct wh_error **err)
{
  WITH_CONN(m, c, err);
  int ret = -1;
  sqlite3_stmt *st = sqlm_stmt(c, S_UP_CREATE, err);
  if (st) {
    sqlm_bind_text(st, 1, id);
    sqlm_bind_text(st, 2, repo);
    sqlite3_bind_int64(st, 3, now);
    ret = sqlm_step_done(c, st, err);
  }
  sqlm_conn_put((struct sq_store *) m, c);
  return ret;
}

int sq_upload_get(struct meta_store *m, const char *id, const char *repo,
                         int64_t *updated, struct wh_error **err)
{
  WITH_CONN(m, c, err);
  int ret = -1;
  sqlite3_stmt *st = sqlm_stmt(c, S_UP_GET, err);
  if (st) {
    sqlm_bind_text(st, 1, id);
    sqlm_bind_text(st, 2, repo);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      *updated = sqlite3_column_int64(st, 0);
      ret = 0;
    } else if (rc == SQLITE_DONE) {
      wh_error_set(err, WH_ERR_NOT_FOUND, "upload %s is not known in repository %s", id, repo);
    } else {
      sqlm_db_error(c->db, err, "read upload");
    }
    sqlite3_reset(st);
  }
  sqlm_conn_put((struct sq_store *) m, c);
  return ret;
}

int sq_upload_touch(struct meta_store *m, const char *id, int64_t now,
                           struct wh_error **err)
{
  WITH_CONN(m, c, err);
  int ret = -1;
  sqlite3_stmt *st = sqlm_stmt(c, S_UP_TOUCH, err);
  if (st) {
    sqlm_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    ret = sqlm_step_done(c, st, err);
  }
  sqlm_conn_put((struct sq_store *) m, c);
  return ret;
}

int sq_upload_delete(struct meta_store *m, const char *id, struct wh_error **err)
{
  WITH_CONN(m, c, err);
  int ret = -1;
  sqlite3_stmt *st = sqlm_stmt(c, S_UP_DELETE, err);
  if (st)
    ret = (sqlm_bind_text(st, 1, id), sqlm_step_done(c, st, err));
  sqlm_conn_put((struct sq_store *) m, c);
  return ret;
}

int sq_upload_list(struct meta_store *m, int64_t before, char ***ids,
                          struct wh_error **err)
{
  WITH_CONN(m, c, err);
  int ret = -1;
  sqlite3_stmt *st = sqlm_stmt(c, S_UP_LIST, err);
  if (st) {
    bool more;
    sqlite3_bind_int64(st, 1, before);
    ret = sqlm_collect_names(c, st, 100000, ids, &more, err);
  }
  sqlm_conn_put((struct sq_store *) m, c);
  return ret;
}
