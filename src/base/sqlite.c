/* sqlite.c: see sqlite.h. */
#include "base/sqlite.h"

#include <stddef.h>
#include <unistd.h>

int wh_sqlite_user_version(sqlite3 *db)
{
  sqlite3_stmt *st = NULL;
  int version = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return version;
}

/* SQLite restarts the WAL only when the connection that completed a
 * checkpoint writes again, which a short-lived one seldom does; with the
 * automatic checkpoint every commit past the WAL's size checkpointed
 * with fsyncs. */
static int wal_truncate_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
  const struct wh_sqlite_busy *busy = arg;
  if (frames < WH_SQLITE_WAL_TRUNCATE_FRAMES)
    return SQLITE_OK;
  /* TRUNCATE waits (through the busy handler) for readers and writers
   * to be done: give them 20 ms, not the usual seconds; a busy
   * checkpoint is retried at the next commit. */
  sqlite3_busy_timeout(db, 20);
  sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  if (busy->handler)
    sqlite3_busy_handler(db, busy->handler, NULL);
  else
    sqlite3_busy_timeout(db, busy->timeout_ms);
  return SQLITE_OK;
}

void wh_sqlite_wal_truncate(sqlite3 *db, const struct wh_sqlite_busy *busy)
{
  sqlite3_wal_hook(db, wal_truncate_hook, (void *) busy);
}

int wh_sqlite_create_schema(sqlite3 *db, int version, const char *schema, char **msg)
{
  int rc;
  for (int i = 0;; i++) {
    rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL;", NULL, NULL, msg);
    if (rc == SQLITE_OK)
      break;
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || i >= 5000)
      return rc;
    if (msg) {
      sqlite3_free(*msg);
      *msg = NULL;
    }
    usleep(1000);
  }
  if ((rc = sqlite3_exec(db, "BEGIN IMMEDIATE;", NULL, NULL, msg)) != SQLITE_OK)
    return rc;
  if (wh_sqlite_user_version(db) < version) {
    char *set = sqlite3_mprintf("PRAGMA user_version=%d;", version);
    rc = set ? sqlite3_exec(db, schema, NULL, NULL, msg) : SQLITE_NOMEM;
    if (rc == SQLITE_OK)
      rc = sqlite3_exec(db, set, NULL, NULL, msg);
    sqlite3_free(set);
    if (rc != SQLITE_OK) {
      sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
      return rc;
    }
  }
  if ((rc = sqlite3_exec(db, "COMMIT;", NULL, NULL, msg)) != SQLITE_OK)
    sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
  return rc;
}
