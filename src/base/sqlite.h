/* sqlite.h: what the engine's and the image store's SQLite files share
 * (their own static library, wh_base_sqlite, so that only programs with a
 * database link SQLite). */
#pragma once

#include <sqlite3.h>

/* How a connection waits for another process's lock: a busy handler
 * (handler != NULL) or SQLite's timeout in milliseconds. */
struct wh_sqlite_busy {
  int (*handler)(void *arg, int count);
  int timeout_ms;
};

/* The database's PRAGMA user_version (0 when unreadable). */
int wh_sqlite_user_version(sqlite3 *db);

/* Short-lived connections that skip the checkpoint at close would let
 * the WAL grow without end, and every first opener rebuilds the WAL
 * index from all of it: a commit that leaves WH_SQLITE_WAL_TRUNCATE_FRAMES
 * frames runs a TRUNCATE checkpoint instead (giving other connections
 * 20 ms, then restoring *busy). busy must outlive the connection. */
#define WH_SQLITE_WAL_TRUNCATE_FRAMES 128
void wh_sqlite_wal_truncate(sqlite3 *db, const struct wh_sqlite_busy *busy);

/* A new file, which several processes may open at once: switch it to WAL
 * (retrying the SQLITE_BUSY that switch can answer without asking the
 * busy handler), then run schema and set user_version to version in one
 * IMMEDIATE transaction, re-checked inside it, so a second opener waits
 * or finds it done. Returns an SQLite result code; on failure *msg (when
 * not NULL) is SQLite's message, to be freed with sqlite3_free. */
int wh_sqlite_create_schema(sqlite3 *db, int version, const char *schema, char **msg);
