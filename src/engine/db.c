/* db.c: the engine's records in SQLite (ROOT/engine.db, WAL).
 *
 * Commands and monitors are separate processes that write the same rows;
 * WAL plus a busy timeout serialises them. A row is the truth about a
 * container's existence: files and mounts under ROOT count only while a
 * row names them, so reconcile can remove anything else. */
#include <stdarg.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "base/sqlite.h"
#include "base/timeutil.h"
#include "internal.h"

/* Bump both when the schema changes (and migrate in db_open). */
#define DB_VERSION 1

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT);"
  "CREATE TABLE IF NOT EXISTS containers ("
  " id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, image TEXT, image_id TEXT,"
  " rootfs_src TEXT, config TEXT NOT NULL, host_config TEXT NOT NULL,"
  " state TEXT NOT NULL, created_ns INTEGER, started_ns INTEGER DEFAULT 0,"
  " finished_ns INTEGER DEFAULT 0, pid INTEGER DEFAULT 0,"
  " owner_pid INTEGER DEFAULT 0, owner_start INTEGER DEFAULT 0,"
  " exit_code INTEGER DEFAULT 0, restart_count INTEGER DEFAULT 0,"
  " stop_requested INTEGER DEFAULT 0, error TEXT, seq INTEGER);"
  "CREATE TABLE IF NOT EXISTS volumes (name TEXT PRIMARY KEY,"
  " created_ns INTEGER, anonymous INTEGER DEFAULT 0);"
  "CREATE TABLE IF NOT EXISTS volume_users (volume TEXT, container TEXT,"
  " PRIMARY KEY (volume, container));"
  "CREATE TABLE IF NOT EXISTS networks (id TEXT PRIMARY KEY, name TEXT UNIQUE,"
  " bridge TEXT UNIQUE, subnet TEXT, gateway TEXT, internal INTEGER,"
  " created_ns INTEGER);"
  "CREATE TABLE IF NOT EXISTS endpoints (container TEXT, network TEXT,"
  " ip TEXT, mac TEXT, veth TEXT, PRIMARY KEY (container, network),"
  " UNIQUE (network, ip));"
  "CREATE TABLE IF NOT EXISTS ports (container TEXT, host_ip TEXT,"
  " host_port INTEGER, proto TEXT, ctr_port INTEGER, ctr_ip TEXT,"
  " UNIQUE (host_ip, host_port, proto));";

/* Wait for another process's write in short steps (SQLite's own timeout
 * sleeps 10, 15, 20 … ms): a monitor and a command write small
 * transactions at the same moments, and waiting longer than they take
 * would be most of `run`'s time. Gives up after about 10 s. */
static int busy_wait(void *arg, int count)
{
  (void) arg;
  if (count >= 20000)
    return 0;
  usleep(count < 100 ? 200 : 1000);
  return 1;
}

/* How this connection waits for a lock: busy_wait above. */
static const struct wh_sqlite_busy busy = {.handler = busy_wait};

int db_open(struct engine *e, struct wh_error **err)
{
  _cleanup_free_ char *path = NULL;
  if (asprintf(&path, "%s/engine.db", e->root) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  if (sqlite3_open_v2(path, &e->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                      SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    return wh_error_set(err, WH_ERR_IO, "open %s: %s", path,
                        e->db ? sqlite3_errmsg(e->db) : "out of memory");
  sqlite3_busy_handler(e->db, busy_wait, NULL);
  /* Every command is a short-lived connection; a checkpoint at each
   * close would fsync the database each time. */
  sqlite3_db_config(e->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  char *msg = NULL;
  /* synchronous=NORMAL in WAL keeps the database consistent after a crash
   * (only the last transactions may be lost), which is all container
   * records need; FULL would cost an fsync per state change. Per
   * connection, no lock taken. */
  if (sqlite3_exec(e->db, "PRAGMA synchronous=NORMAL;", NULL, NULL, &msg) != SQLITE_OK)
    goto fail;
  /* the WAL is emptied as it grows (base/sqlite.h) */
  wh_sqlite_wal_truncate(e->db, &busy);
  /* The schema (and WAL mode, which is persistent) only when the file is
   * new: DDL takes the write lock, and a command opening the database
   * must not make a monitor that writes at the same moment wait. */
  if (wh_sqlite_user_version(e->db) == DB_VERSION)
    return 0;
  if (wh_sqlite_create_schema(e->db, DB_VERSION, schema, &msg) != SQLITE_OK)
    goto fail;
  return 0;
fail:
  wh_error_set(err, WH_ERR_IO, "%s: %s", path, msg ? msg : "schema");
  sqlite3_free(msg);
  return -1;
}

/* Prepare on the connection, opening it first if a fork closed it
 * (monitor_spawn): a command reopens only if it needs the database again. */
static int db_prepare(struct engine *e, const char *sql, int len, sqlite3_stmt **st,
                      const char **tail)
{
  if (!e->db && db_open(e, NULL) < 0)
    return SQLITE_CANTOPEN;
  return sqlite3_prepare_v2(e->db, sql, len, st, tail);
}

static int bindv(sqlite3_stmt *st, const char *types, va_list ap)
{
  for (int i = 0; types[i]; i++) {
    int r;
    switch (types[i]) {
    case 's': {
      const char *s = va_arg(ap, const char *);
      r = s ? sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT)
            : sqlite3_bind_null(st, i + 1);
      break;
    }
    case 'i':
      r = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
      break;
    case 'd':
      r = sqlite3_bind_int(st, i + 1, va_arg(ap, int));
      break;
    default:
      return -1;
    }
    if (r != SQLITE_OK)
      return -1;
  }
  return 0;
}

static void finalizep(sqlite3_stmt **st)
{
  if (*st)
    sqlite3_finalize(*st);
}
#define _cleanup_stmt_ __attribute__((cleanup(finalizep)))

static int db_error(struct engine *e, struct wh_error **err, const char *sql)
{
  int code = sqlite3_extended_errcode(e->db);
  enum wh_err_kind k = WH_ERR_IO;
  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
    k = WH_ERR_EXISTS;
  else if (code == SQLITE_BUSY)
    k = WH_ERR_BUSY;
  (void) sql;
  return wh_error_set(err, k, "engine database: %s",
                      e->db ? sqlite3_errmsg(e->db) : "cannot open");
}

int db_exec(struct engine *e, const char *sql, const char *types,
            struct wh_error **err, ...)
{
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (db_prepare(e, sql, -1, &st, NULL) != SQLITE_OK)
    return db_error(e, err, sql);
  va_list ap;
  va_start(ap, err);
  int r = bindv(st, types, ap);
  va_end(ap);
  if (r < 0)
    return db_error(e, err, sql);
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW)
    ;
  if (s != SQLITE_DONE)
    return db_error(e, err, sql);
  return 0;
}

int db_begin(struct engine *e, struct wh_error **err)
{
  /* IMMEDIATE: take the write lock now, so two commands allocating the
   * same name, address or port serialise instead of failing at commit. */
  return db_exec(e, "BEGIN IMMEDIATE", "", err);
}

int db_commit(struct engine *e, struct wh_error **err)
{
  return db_exec(e, "COMMIT", "", err);
}

void db_rollback(struct engine *e)
{
  if (e->db)
    sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
}

int db_setting_get(struct engine *e, const char *key, char **value,
                   struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  *value = NULL;
  if (db_prepare(e, "SELECT value FROM settings WHERE key=?", -1,
                         &st, NULL) != SQLITE_OK)
    return db_error(e, err, "settings");
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    const char *v = (const char *) sqlite3_column_text(st, 0);
    *value = strdup(v ? v : "");
    if (!*value)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    return 0;
  }
  if (s != SQLITE_DONE)
    return db_error(e, err, "settings");
  return 0;
}

int db_setting_set(struct engine *e, const char *key, const char *value,
                   struct wh_error **err)
{
  return db_exec(e, "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                 "ss", err, key, value);
}

void ctr_clear(struct ctr *c)
{
  free(c->id);
  free(c->name);
  free(c->image);
  free(c->image_id);
  free(c->rootfs_src);
  free(c->state);
  free(c->error);
  if (c->config)
    json_decref(c->config);
  if (c->host_config)
    json_decref(c->host_config);
  memset(c, 0, sizeof(*c));
}

int ctr_insert(struct engine *e, const struct ctr *c, struct wh_error **err)
{
  _cleanup_free_ char *cfg = wh_json_dump(c->config, err);
  if (!cfg)
    return -1;
  _cleanup_free_ char *hc = wh_json_dump(c->host_config, err);
  if (!hc)
    return -1;
  if (db_exec(e,
              "INSERT INTO containers (id, name, image, image_id, rootfs_src,"
              " config, host_config, state, created_ns, owner_pid, owner_start, seq)"
              " VALUES (?,?,?,?,?,?,?,?,?,?,?,"
              " (SELECT IFNULL(MAX(seq), 0) + 1 FROM containers))",
              "ssssssssidi", err, c->id, c->name, c->image, c->image_id,
              c->rootfs_src, cfg, hc, c->state, c->created_ns, c->owner_pid,
              c->owner_start) < 0) {
    if (*err && (*err)->kind == WH_ERR_EXISTS)
      return wh_error_wrap(err, "the container name \"%s\" is already in use", c->name);
    return -1;
  }
  return 0;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
  const char *s = (const char *) sqlite3_column_text(st, i);
  return s ? strdup(s) : NULL;
}

int ctr_load(struct engine *e, const char *id, struct ctr *out,
             struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  memset(out, 0, sizeof(*out));
  if (db_prepare(e,
                         "SELECT id, name, image, image_id, rootfs_src, config,"
                         " host_config, state, created_ns, started_ns, finished_ns,"
                         " pid, owner_pid, owner_start, exit_code, restart_count,"
                         " stop_requested, error FROM containers WHERE id=?",
                         -1, &st, NULL) != SQLITE_OK)
    return db_error(e, err, "load");
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int s = sqlite3_step(st);
  if (s == SQLITE_DONE)
    return wh_error_set(err, WH_ERR_NOT_FOUND, "no such container: %s", id);
  if (s != SQLITE_ROW)
    return db_error(e, err, "load");
  out->id = col_dup(st, 0);
  out->name = col_dup(st, 1);
  out->image = col_dup(st, 2);
  out->image_id = col_dup(st, 3);
  out->rootfs_src = col_dup(st, 4);
  const char *cfg = (const char *) sqlite3_column_text(st, 5);
  const char *hc = (const char *) sqlite3_column_text(st, 6);
  out->state = col_dup(st, 7);
  out->created_ns = sqlite3_column_int64(st, 8);
  out->started_ns = sqlite3_column_int64(st, 9);
  out->finished_ns = sqlite3_column_int64(st, 10);
  out->pid = sqlite3_column_int(st, 11);
  out->owner_pid = sqlite3_column_int(st, 12);
  out->owner_start = sqlite3_column_int64(st, 13);
  out->exit_code = sqlite3_column_int(st, 14);
  out->restart_count = sqlite3_column_int(st, 15);
  out->stop_requested = sqlite3_column_int(st, 16) != 0;
  out->error = col_dup(st, 17);
  if (!out->id || !out->name || !out->state || !cfg || !hc) {
    ctr_clear(out);
    return wh_error_set(err, WH_ERR_INTERNAL, "container %s: incomplete record", id);
  }
  out->config = wh_json_parse(cfg, strlen(cfg), "container config", err);
  out->host_config = wh_json_parse(hc, strlen(hc), "container host config", err);
  if (!out->config || !out->host_config) {
    ctr_clear(out);
    return -1;
  }
  return 0;
}

int ctr_ids(struct engine *e, char ***out, struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (db_prepare(e, "SELECT id FROM containers ORDER BY seq DESC",
                         -1, &st, NULL) != SQLITE_OK)
    return db_error(e, err, "list");
  size_t n = 0, cap = 8;
  _cleanup_strv_ char **v = calloc(cap, sizeof(char *));
  if (!v)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    if (n + 2 > cap) {
      char **nv = realloc(v, 2 * cap * sizeof(char *));
      if (!nv)
        return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
      v = nv;
      cap *= 2;
    }
    v[n] = col_dup(st, 0);
    if (!v[n])
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    v[++n] = NULL;
  }
  if (s != SQLITE_DONE)
    return db_error(e, err, "list");
  *out = steal_pointer(&v);
  return 0;
}

int ctr_set_state(struct engine *e, const char *id, const char *state,
                  struct wh_error **err)
{
  return db_exec(e, "UPDATE containers SET state=? WHERE id=?", "ss", err,
                 state, id);
}

int ctr_set_owner(struct engine *e, const char *id, int pid, int64_t start,
                  struct wh_error **err)
{
  return db_exec(e, "UPDATE containers SET owner_pid=?, owner_start=? WHERE id=?",
                 "dis", err, pid, start, id);
}

int ctr_set_running(struct engine *e, const char *id, int pid,
                    struct wh_error **err)
{
  /* the caller, the monitor, owns the container from now on */
  return db_exec(e,
                 "UPDATE containers SET state='running', pid=?, started_ns=?,"
                 " error=NULL, owner_pid=?, owner_start=? WHERE id=?",
                 "didis", err, pid, wh_now_real_ns(), (int) getpid(), proc_self_start(), id);
}

int ctr_set_exited(struct engine *e, const char *id, int code,
                   const char *error, struct wh_error **err)
{
  return db_exec(e,
                 "UPDATE containers SET state='exited', pid=0, exit_code=?,"
                 " finished_ns=?, error=? WHERE id=?",
                 "diss", err, code, wh_now_real_ns(), error, id);
}

int ctr_delete_row(struct engine *e, const char *id, struct wh_error **err)
{
  if (db_exec(e, "DELETE FROM ports WHERE container=?", "s", err, id) < 0 ||
      db_exec(e, "DELETE FROM endpoints WHERE container=?", "s", err, id) < 0 ||
      db_exec(e, "DELETE FROM volume_users WHERE container=?", "s", err, id) < 0)
    return -1;
  return db_exec(e, "DELETE FROM containers WHERE id=?", "s", err, id);
}

json_t *db_query(struct engine *e, const char *sql, const char *types,
                 struct wh_error **err, ...)
{
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (db_prepare(e, sql, -1, &st, NULL) != SQLITE_OK) {
    db_error(e, err, sql);
    return NULL;
  }
  va_list ap;
  va_start(ap, err);
  int r = bindv(st, types, ap);
  va_end(ap);
  if (r < 0) {
    db_error(e, err, sql);
    return NULL;
  }
  _cleanup_json_ json_t *rows = json_array();
  if (!rows)
    return NULL;
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *row = json_object();
    if (!row || json_array_append_new(rows, row) < 0) {
      wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
      return NULL;
    }
    for (int i = 0; i < sqlite3_column_count(st); i++) {
      json_t *v;
      switch (sqlite3_column_type(st, i)) {
      case SQLITE_INTEGER:
        v = json_integer(sqlite3_column_int64(st, i));
        break;
      case SQLITE_NULL:
        v = json_null();
        break;
      default:
        v = json_string((const char *) sqlite3_column_text(st, i));
      }
      json_object_set_new(row, sqlite3_column_name(st, i), v ? v : json_null());
    }
  }
  if (s != SQLITE_DONE) {
    db_error(e, err, sql);
    return NULL;
  }
  return steal_pointer(&rows);
}
