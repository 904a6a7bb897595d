/* test_sqlite.c: schema creation and WAL truncation (sqlite.c), on real
 * SQLite files in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/sqlite.h"

static const char schema[] = "CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT);";

struct fixture {
  char dir[64];
  char db[96];
};

static int setup(void **state)
{
  struct fixture *f = calloc(1, sizeof(*f));
  snprintf(f->dir, sizeof(f->dir), "/tmp/wh-test-sqlite-XXXXXX");
  if (!f || !mkdtemp(f->dir))
    return -1;
  snprintf(f->db, sizeof(f->db), "%s/t.db", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  char p[128];
  const char *sfx[] = {"", "-wal", "-shm"};
  for (size_t i = 0; i < 3; i++) {
    snprintf(p, sizeof(p), "%s%s", f->db, sfx[i]);
    unlink(p);
  }
  rmdir(f->dir);
  free(f);
  return 0;
}

static sqlite3 *open_db(const char *path)
{
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  return db;
}

static void test_schema_created_once_in_wal_mode(void **state)
{
  struct fixture *f = *state;
  sqlite3 *db = open_db(f->db);
  assert_int_equal(wh_sqlite_user_version(db), 0);
  char *msg = NULL;
  assert_int_equal(wh_sqlite_create_schema(db, 3, schema, &msg), SQLITE_OK);
  assert_null(msg);
  assert_int_equal(wh_sqlite_user_version(db), 3);
  assert_int_equal(sqlite3_exec(db, "INSERT INTO t VALUES (1, 'kept')", NULL, NULL, NULL),
                   SQLITE_OK);
  /* a second creation (another opener) finds it done and keeps the rows */
  assert_int_equal(wh_sqlite_create_schema(db, 3, schema, &msg), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *) sqlite3_column_text(st, 0), "wal");
  sqlite3_finalize(st);
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(st, 0), 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static void test_bad_schema_is_rolled_back_with_a_message(void **state)
{
  struct fixture *f = *state;
  sqlite3 *db = open_db(f->db);
  char *msg = NULL;
  assert_int_not_equal(wh_sqlite_create_schema(db, 1, "CREATE TABLE a (x); NOT SQL;", &msg),
                       SQLITE_OK);
  assert_non_null(msg);
  assert_non_null(strstr(msg, "syntax error"));
  sqlite3_free(msg);
  /* nothing half made: no table, no version */
  assert_int_equal(wh_sqlite_user_version(db), 0);
  assert_int_not_equal(sqlite3_exec(db, "SELECT * FROM a", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
}

static off_t wal_size(const struct fixture *f)
{
  char p[128];
  struct stat st;
  snprintf(p, sizeof(p), "%s-wal", f->db);
  return stat(p, &st) == 0 ? st.st_size : -1;
}

static void test_wal_is_truncated_as_it_grows(void **state)
{
  struct fixture *f = *state;
  static const struct wh_sqlite_busy busy = {.timeout_ms = 1000};
  sqlite3 *db = open_db(f->db);
  assert_int_equal(wh_sqlite_create_schema(db, 1, schema, NULL), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0;", NULL, NULL, NULL);
  wh_sqlite_wal_truncate(db, &busy);
  off_t biggest = 0;
  char sql[128];
  for (int i = 0; i < WH_SQLITE_WAL_TRUNCATE_FRAMES + 10; i++) {
    snprintf(sql, sizeof(sql), "INSERT INTO t (v) VALUES ('row %d')", i);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    off_t n = wal_size(f);
    if (n > biggest)
      biggest = n;
  }
  /* it grew by a frame or more per commit, and was emptied on the way */
  assert_true(biggest >= 64 * 4096);
  assert_true(wal_size(f) < biggest / 4);
  sqlite3_close(db);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_schema_created_once_in_wal_mode, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_schema_is_rolled_back_with_a_message, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_wal_is_truncated_as_it_grows, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
