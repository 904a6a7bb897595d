/* test_json.c: strict parsing and typed getters (json.c).
 *
 * The messages matter as much as the results: a user fixing a
 * config.json reads "process.args[1]: expected a string", so the tests
 * check the field path and the line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"

static json_t *parse(const char *s)
{
  json_t *j = wh_json_parse(s, strlen(s), "test", NULL);
  assert_non_null(j);
  return j;
}

static void expect_parse_error(const char *s, const char *want_in_msg)
{
  struct wh_error *err = NULL;
  json_t *j = wh_json_parse(s, strlen(s), "manifest", &err);
  assert_null(j);
  assert_non_null(err);
  assert_int_equal(err->kind, WH_ERR_INVALID);
  if (!strstr(err->msg, want_in_msg))
    fail_msg("message '%s' lacks '%s'", err->msg, want_in_msg);
  assert_true(strncmp(err->msg, "manifest: ", 10) == 0);
  wh_error_free(err);
}

static void test_parse_error_carries_line_and_column(void **state)
{
  expect_parse_error("{\n  \"a\": 1,\n  \"b\": tru\n}", "line 3, column");
  expect_parse_error("{\"a\": }", "line 1, column 7");
}

static void test_parse_rejects_duplicate_keys(void **state)
{
  expect_parse_error("{\"layers\": [], \"layers\": [1]}", "duplicate");
}

static void test_parse_rejects_nul_in_strings_and_trailing_data(void **state)
{
  expect_parse_error("{\"a\": \"x\\u0000y\"}", "line 1");
  expect_parse_error("{} {}", "line 1");
  struct wh_error *err = NULL;
  /* An embedded NUL byte in the buffer itself is not JSON either. */
  assert_null(wh_json_parse("{}\0{}", 5, "m", &err));
  wh_error_free(err);
}

static void test_parse_accepts_array_roots_rejects_scalar_roots(void **state)
{
  _cleanup_json_ json_t *a = parse("[1, 2]");
  assert_true(json_is_array(a));
  /* Every document we read is an object or an array. */
  expect_parse_error("\"x\"", "line 1");
}

static void test_parse_file_at_reads_and_names_the_file(void **state)
{
  char dir[] = "/tmp/wh-test-json-XXXXXX";
  assert_non_null(mkdtemp(dir));
  _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  const char *good = "{\"a\": 1}";
  assert_int_equal(wh_write_file_atomic(dfd, "good.json", good, strlen(good), 0644, NULL), 0);
  assert_int_equal(wh_write_file_atomic(dfd, "bad.json", "{", 1, 0644, NULL), 0);
  _cleanup_json_ json_t *j = wh_json_parse_file_at(dfd, "good.json", 1024, NULL);
  assert_non_null(j);
  struct wh_error *err = NULL;
  assert_null(wh_json_parse_file_at(dfd, "bad.json", 1024, &err));
  assert_non_null(strstr(err->msg, "bad.json: line 1"));
  wh_error_free(err);
  err = NULL;
  assert_null(wh_json_parse_file_at(dfd, "good.json", 3, &err));
  assert_int_equal(err->kind, WH_ERR_TOO_LARGE);
  wh_error_free(err);
  err = NULL;
  assert_null(wh_json_parse_file_at(dfd, "missing.json", 1024, &err));
  assert_int_equal(err->kind, WH_ERR_NOT_FOUND);
  wh_error_free(err);
  wh_rm_rf_at(AT_FDCWD, dir, NULL);
}

static void test_dump_is_compact_in_insertion_order(void **state)
{
  _cleanup_json_ json_t *j = json_object();
  assert_int_equal(wh_json_set_str(j, "z", "last?"), 0);
  assert_int_equal(wh_json_set_int(j, "a", -5), 0);
  _cleanup_free_ char *s = wh_json_dump(j, NULL);
  assert_string_equal(s, "{\"z\":\"last?\",\"a\":-5}");
}

static void test_get_string_required_optional_and_wrong_type(void **state)
{
  _cleanup_json_ json_t *j = parse("{\"user\": \"root\", \"uid\": 0}");
  const char *s = "untouched";
  assert_int_equal(wh_json_get_string(j, "user", "process.user", true, &s, NULL), 0);
  assert_string_equal(s, "root");

  s = "untouched";
  assert_int_equal(wh_json_get_string(j, "cwd", "process.cwd", false, &s, NULL), 0);
  assert_string_equal(s, "untouched");

  struct wh_error *err = NULL;
  assert_true(wh_json_get_string(j, "cwd", "process.cwd", true, &s, &err) < 0);
  assert_string_equal(err->msg, "process.cwd: required field missing");
  assert_int_equal(err->kind, WH_ERR_INVALID);
  wh_error_free(err);

  err = NULL;
  assert_true(wh_json_get_string(j, "uid", "process.uid", false, &s, &err) < 0);
  assert_string_equal(err->msg, "process.uid: expected a string");
  wh_error_free(err);
}

static void test_get_int_and_uint_check_type_and_sign(void **state)
{
  _cleanup_json_ json_t *j = parse("{\"n\": -3, \"big\": 9007199254740993, \"f\": 1.5}");
  int64_t i = 0;
  uint64_t u = 0;
  assert_int_equal(wh_json_get_int(j, "n", "n", true, &i, NULL), 0);
  assert_int_equal(i, -3);
  assert_int_equal(wh_json_get_uint(j, "big", "big", true, &u, NULL), 0);
  assert_true(u == 9007199254740993ULL);

  struct wh_error *err = NULL;
  assert_true(wh_json_get_uint(j, "n", "size", true, &u, &err) < 0);
  assert_non_null(strstr(err->msg, "size: expected a non-negative integer"));
  wh_error_free(err);
  err = NULL;
  assert_true(wh_json_get_int(j, "f", "x.f", true, &i, &err) < 0);
  assert_string_equal(err->msg, "x.f: expected an integer");
  wh_error_free(err);
}

static void test_get_bool_object_array(void **state)
{
  _cleanup_json_ json_t *j = parse("{\"t\": true, \"o\": {}, \"a\": [], \"s\": \"x\"}");
  bool b = false;
  json_t *o = NULL, *a = NULL;
  assert_int_equal(wh_json_get_bool(j, "t", "t", true, &b, NULL), 0);
  assert_true(b);
  assert_int_equal(wh_json_get_object(j, "o", "o", true, &o, NULL), 0);
  assert_true(json_is_object(o));
  assert_int_equal(wh_json_get_array(j, "a", "a", true, &a, NULL), 0);
  assert_true(json_is_array(a));
  assert_int_equal(wh_json_get_object(j, "none", "none", false, &o, NULL), 0);
  assert_null(o);
  assert_int_equal(wh_json_get_array(j, "none", "none", false, &a, NULL), 0);
  assert_null(a);

  struct wh_error *err = NULL;
  assert_true(wh_json_get_bool(j, "s", "root.terminal", true, &b, &err) < 0);
  assert_string_equal(err->msg, "root.terminal: expected a boolean");
  wh_error_free(err);
  err = NULL;
  assert_true(wh_json_get_object(j, "a", "linux", true, &o, &err) < 0);
  assert_string_equal(err->msg, "linux: expected an object");
  wh_error_free(err);
  err = NULL;
  assert_true(wh_json_get_array(j, "o", "mounts", true, &a, &err) < 0);
  assert_string_equal(err->msg, "mounts: expected an array");
  wh_error_free(err);
}

static void test_get_strv_copies_and_names_bad_element(void **state)
{
  _cleanup_json_ json_t *j = parse("{\"args\": [\"sh\", \"-c\", \"true\"], \"bad\": [\"a\", 1], \"str\": \"x\"}");
  _cleanup_strv_ char **v = NULL;
  assert_int_equal(wh_json_get_strv(j, "args", "process.args", true, &v, NULL), 0);
  assert_string_equal(v[0], "sh");
  assert_string_equal(v[2], "true");
  assert_null(v[3]);

  char **none = (char **) 1;
  assert_int_equal(wh_json_get_strv(j, "env", "process.env", false, &none, NULL), 0);
  assert_null(none);

  struct wh_error *err = NULL;
  char **out = NULL;
  assert_true(wh_json_get_strv(j, "bad", "process.args", true, &out, &err) < 0);
  assert_string_equal(err->msg, "process.args[1]: expected a string");
  assert_null(out);
  wh_error_free(err);
  err = NULL;
  assert_true(wh_json_get_strv(j, "str", "process.args", true, &out, &err) < 0);
  assert_string_equal(err->msg, "process.args: expected an array of strings");
  wh_error_free(err);
}

static void test_getter_on_non_object_parent_is_invalid(void **state)
{
  _cleanup_json_ json_t *j = parse("[1]");
  const char *s = NULL;
  struct wh_error *err = NULL;
  assert_true(wh_json_get_string(j, "a", "x.a", false, &s, &err) < 0);
  assert_int_equal(err->kind, WH_ERR_INVALID);
  wh_error_free(err);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_parse_error_carries_line_and_column),
    cmocka_unit_test(test_parse_rejects_duplicate_keys),
    cmocka_unit_test(test_parse_rejects_nul_in_strings_and_trailing_data),
    cmocka_unit_test(test_parse_accepts_array_roots_rejects_scalar_roots),
    cmocka_unit_test(test_parse_file_at_reads_and_names_the_file),
    cmocka_unit_test(test_dump_is_compact_in_insertion_order),
    cmocka_unit_test(test_get_string_required_optional_and_wrong_type),
    cmocka_unit_test(test_get_int_and_uint_check_type_and_sign),
    cmocka_unit_test(test_get_bool_object_array),
    cmocka_unit_test(test_get_strv_copies_and_names_bad_element),
    cmocka_unit_test(test_getter_on_non_object_parent_is_invalid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
