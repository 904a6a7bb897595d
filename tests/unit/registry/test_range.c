/* test_range.c: Content-Range and Range parsing (registry/range.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "registry/range.h"

static void test_content_range_distribution_form(void **state)
{
  uint64_t a, b;
  assert_int_equal(content_range_parse("0-0", &a, &b), 0);
  assert_true(a == 0 && b == 0);
  assert_int_equal(content_range_parse("100-199", &a, &b), 0);
  assert_true(a == 100 && b == 199);
  assert_int_equal(content_range_parse("18446744073709551614-18446744073709551615", &a, &b), 0);
}

static void test_content_range_rfc_form(void **state)
{
  uint64_t a, b;
  assert_int_equal(content_range_parse("bytes 5-9/*", &a, &b), 0);
  assert_true(a == 5 && b == 9);
  assert_int_equal(content_range_parse("bytes 5-9/10", &a, &b), 0);
  assert_int_equal(content_range_parse("bytes 5-9/9", &a, &b), -1);
  assert_int_equal(content_range_parse("bytes=5-9", &a, &b), 0);
}

static void test_content_range_rejects_malformed(void **state)
{
  uint64_t a, b;
  const char *bad[] = { NULL, "", "-", "1-", "-1", "5-4", "a-b", "1-2x", " 1-2", "1 - 2",
                        "+1-2", "1--2", "18446744073709551616-18446744073709551617",
                        "bytes 1-2/x", "0x1-2" };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(content_range_parse(bad[i], &a, &b), -1);
}

static void test_range_forms(void **state)
{
  uint64_t off, len;
  assert_int_equal(range_parse("bytes=0-9", 10, &off, &len), RANGE_OK);
  assert_true(off == 0 && len == 10);
  assert_int_equal(range_parse("bytes=3-", 10, &off, &len), RANGE_OK);
  assert_true(off == 3 && len == 7);
  assert_int_equal(range_parse("bytes=-3", 10, &off, &len), RANGE_OK);
  assert_true(off == 7 && len == 3);
  assert_int_equal(range_parse("bytes=-30", 10, &off, &len), RANGE_OK);
  assert_true(off == 0 && len == 10);
  assert_int_equal(range_parse("bytes=8-100", 10, &off, &len), RANGE_OK);
  assert_true(off == 8 && len == 2);
}

static void test_range_unsatisfiable(void **state)
{
  uint64_t off, len;
  assert_int_equal(range_parse("bytes=10-", 10, &off, &len), RANGE_UNSATISFIABLE);
  assert_int_equal(range_parse("bytes=-0", 10, &off, &len), RANGE_UNSATISFIABLE);
  assert_int_equal(range_parse("bytes=0-0", 0, &off, &len), RANGE_UNSATISFIABLE);
}

static void test_range_ignored(void **state)
{
  uint64_t off, len;
  const char *ignored[] = { NULL, "", "bytes=", "bytes=5-2", "bytes=0-1,3-4", "items=0-1",
                            "bytes=x-1", "bytes=1-x", "bytes=-", "bytes=99999999999999999999-" };
  for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
    assert_int_equal(range_parse(ignored[i], 10, &off, &len), RANGE_NONE);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_content_range_distribution_form),
    cmocka_unit_test(test_content_range_rfc_form),
    cmocka_unit_test(test_content_range_rejects_malformed),
    cmocka_unit_test(test_range_forms),
    cmocka_unit_test(test_range_unsatisfiable),
    cmocka_unit_test(test_range_ignored),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
