/* test_tarentry.c: cleaning layer member names and classifying whiteouts
 * (tarentry.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "image/tarentry.h"

static void expect_clean(const char *in, const char *want)
{
  char *out = NULL;
  struct wh_error *err = NULL;
  assert_int_equal(image_tar_clean_path(in, "entry", &out, &err), 0);
  assert_string_equal(out, want);
  free(out);
}

static void expect_refused(const char *in, const char *msg_part)
{
  char *out = NULL;
  struct wh_error *err = NULL;
  assert_int_equal(image_tar_clean_path(in, "entry", &out, &err), -1);
  assert_null(out);
  assert_non_null(err);
  assert_int_equal(err->kind, WH_ERR_INVALID);
  assert_non_null(strstr(err->msg, msg_part));
  wh_error_free(err);
}

static void clean_strips_leading_dot_and_slashes(void **state)
{
  expect_clean("./bin/sh", "bin/sh");
  expect_clean("/etc//passwd", "etc/passwd");
  expect_clean("usr/./lib/", "usr/lib");
  expect_clean("./", ".");
  expect_clean("/", ".");
  expect_clean("a/.b/..c", "a/.b/..c");
}

static void clean_refuses_dotdot_anywhere(void **state)
{
  expect_refused("../etc/passwd", "would leave the layer");
  expect_refused("a/../../b", "would leave the layer");
  expect_refused("a/..", "would leave the layer");
  expect_refused("/..", "would leave the layer");
}

static void clean_refuses_empty_and_long(void **state)
{
  expect_refused("", "empty name");
  char comp[300];
  memset(comp, 'x', sizeof(comp) - 1);
  comp[sizeof(comp) - 1] = '\0';
  expect_refused(comp, "longer than");
  char *big = malloc(IMAGE_TAR_PATH_MAX + 10);
  memset(big, 'a', IMAGE_TAR_PATH_MAX + 9);
  for (size_t i = 100; i < IMAGE_TAR_PATH_MAX + 9; i += 100)
    big[i] = '/';
  big[IMAGE_TAR_PATH_MAX + 9] = '\0';
  expect_refused(big, "longer than");
  free(big);
}

static void whiteouts_are_classified(void **state)
{
  enum image_whiteout k;
  const char *t;
  struct wh_error *err = NULL;
  assert_int_equal(image_tar_whiteout("passwd", &k, &t, &err), 0);
  assert_int_equal(k, IMAGE_WHITEOUT_NONE);
  assert_int_equal(image_tar_whiteout(".wh..wh..opq", &k, &t, &err), 0);
  assert_int_equal(k, IMAGE_WHITEOUT_OPAQUE);
  assert_int_equal(image_tar_whiteout(".wh.gone", &k, &t, &err), 0);
  assert_int_equal(k, IMAGE_WHITEOUT_FILE);
  assert_string_equal(t, "gone");
  assert_int_equal(image_tar_whiteout(".whatever", &k, &t, &err), 0);
  assert_int_equal(k, IMAGE_WHITEOUT_NONE);
}

static void whiteouts_naming_nothing_are_refused(void **state)
{
  const char *bad[] = {".wh.", ".wh..", ".wh...", ".wh..wh.x"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    enum image_whiteout k;
    const char *t;
    struct wh_error *err = NULL;
    assert_int_equal(image_tar_whiteout(bad[i], &k, &t, &err), -1);
    assert_non_null(strstr(err->msg, "names no file"));
    wh_error_free(err);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(clean_strips_leading_dot_and_slashes),
    cmocka_unit_test(clean_refuses_dotdot_anywhere),
    cmocka_unit_test(clean_refuses_empty_and_long),
    cmocka_unit_test(whiteouts_are_classified),
    cmocka_unit_test(whiteouts_naming_nothing_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
