/* test_error.c: errors that carry context (error.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "base/error.h"

static void test_set_formats_message_and_kind(void **state)
{
  struct wh_error *err = NULL;
  assert_int_equal(wh_error_set(&err, WH_ERR_INVALID, "tag %s: %d", "v1", 3), -1);
  assert_non_null(err);
  assert_int_equal(err->kind, WH_ERR_INVALID);
  assert_int_equal(err->errnum, 0);
  assert_string_equal(err->msg, "tag v1: 3");
  wh_error_free(err);
}

static void test_first_error_is_kept(void **state)
{
  struct wh_error *err = NULL;
  wh_error_set(&err, WH_ERR_NOT_FOUND, "first");
  wh_error_set(&err, WH_ERR_INTERNAL, "second");
  errno = EIO;
  wh_error_errno(&err, "third");
  assert_string_equal(err->msg, "first");
  assert_int_equal(err->kind, WH_ERR_NOT_FOUND);
  wh_error_free(err);
}

static void test_null_err_is_allowed_and_returns_minus_one(void **state)
{
  assert_int_equal(wh_error_set(NULL, WH_ERR_IO, "dropped"), -1);
  errno = ENOENT;
  assert_int_equal(wh_error_errno(NULL, "dropped"), -1);
  assert_int_equal(wh_error_wrap(NULL, "ctx"), -1);
  struct wh_error *none = NULL;
  assert_int_equal(wh_error_wrap(&none, "ctx"), -1);
  assert_null(none);
  wh_error_free(NULL);
}

static void test_wrap_prefixes_context_and_keeps_kind(void **state)
{
  struct wh_error *err = NULL;
  errno = ENOENT;
  wh_error_errno(&err, "open %s", "blobs/x");
  wh_error_wrap(&err, "layer %s", "sha256:ab");
  wh_error_wrap(&err, "pull %s", "app:1");
  assert_string_equal(err->msg, "pull app:1: layer sha256:ab: open blobs/x: No such file or directory");
  assert_int_equal(err->kind, WH_ERR_NOT_FOUND);
  assert_int_equal(err->errnum, ENOENT);
  wh_error_free(err);
}

static void test_errno_maps_to_kinds(void **state)
{
  static const struct { int errnum; enum wh_err_kind kind; } cases[] = {
    { ENOENT, WH_ERR_NOT_FOUND }, { EEXIST, WH_ERR_EXISTS },
    { ENOTEMPTY, WH_ERR_EXISTS }, { EACCES, WH_ERR_DENIED },
    { EPERM, WH_ERR_DENIED },     { ELOOP, WH_ERR_INVALID },
    { EFBIG, WH_ERR_TOO_LARGE },  { EBUSY, WH_ERR_BUSY },
    { ETIMEDOUT, WH_ERR_TIMEOUT }, { ENOSYS, WH_ERR_UNSUPPORTED },
    { EIO, WH_ERR_IO },           { ENOSPC, WH_ERR_IO },
    { EDQUOT, WH_ERR_IO },
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct wh_error *err = NULL;
    errno = cases[i].errnum;
    wh_error_errno(&err, "op");
    assert_int_equal(err->kind, cases[i].kind);
    assert_int_equal(err->errnum, cases[i].errnum);
    wh_error_free(err);
  }
}

static void test_errno_is_preserved_across_the_call(void **state)
{
  struct wh_error *err = NULL;
  errno = EACCES;
  wh_error_errno(&err, "open");
  assert_int_equal(errno, EACCES);
  wh_error_free(err);
}

static void test_errnum_accepts_negative_values(void **state)
{
  struct wh_error *err = NULL;
  wh_error_errnum(&err, -EEXIST, "seccomp %s", "rule");
  assert_int_equal(err->errnum, EEXIST);
  assert_int_equal(err->kind, WH_ERR_EXISTS);
  assert_string_equal(err->msg, "seccomp rule: File exists");
  assert_int_equal(errno, EEXIST);
  wh_error_free(err);
}

static void test_kind_names(void **state)
{
  assert_string_equal(wh_error_kind_name(WH_ERR_NOT_FOUND), "not found");
  assert_string_equal(wh_error_kind_name(WH_ERR_TIMEOUT), "timeout");
  assert_string_equal(wh_error_kind_name((enum wh_err_kind) 999), "unknown");
}

static void test_cleanup_frees_error(void **state)
{
  _cleanup_error_ struct wh_error *err = NULL;
  wh_error_set(&err, WH_ERR_IO, "freed by cleanup");
  assert_non_null(err);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_set_formats_message_and_kind),
    cmocka_unit_test(test_first_error_is_kept),
    cmocka_unit_test(test_null_err_is_allowed_and_returns_minus_one),
    cmocka_unit_test(test_wrap_prefixes_context_and_keeps_kind),
    cmocka_unit_test(test_errno_maps_to_kinds),
    cmocka_unit_test(test_errno_is_preserved_across_the_call),
    cmocka_unit_test(test_errnum_accepts_negative_values),
    cmocka_unit_test(test_kind_names),
    cmocka_unit_test(test_cleanup_frees_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
