/* test_id.c: random ids and version-4 UUIDs (id.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/id.h"

static int is_lower_hex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void test_random_id_is_64_lowercase_hex(void **state)
{
  char id[WH_ID_LEN + 1];
  assert_int_equal(wh_random_id(id, NULL), 0);
  assert_int_equal(strlen(id), 64);
  for (int i = 0; i < 64; i++)
    assert_true(is_lower_hex(id[i]));
}

static void test_random_ids_differ(void **state)
{
  char a[WH_ID_LEN + 1], b[WH_ID_LEN + 1];
  wh_random_id(a, NULL);
  wh_random_id(b, NULL);
  assert_string_not_equal(a, b);
}

static void test_uuid4_has_version_and_variant(void **state)
{
  for (int n = 0; n < 200; n++) {
    char u[WH_UUID_LEN + 1];
    assert_int_equal(wh_uuid4(u, NULL), 0);
    assert_int_equal(strlen(u), 36);
    for (int i = 0; i < 36; i++) {
      if (i == 8 || i == 13 || i == 18 || i == 23)
        assert_int_equal(u[i], '-');
      else
        assert_true(is_lower_hex(u[i]));
    }
    assert_int_equal(u[14], '4');
    assert_non_null(strchr("89ab", u[19]));
  }
}

static void test_hex_encode(void **state)
{
  char out[9];
  wh_hex_encode("\x00\x9f\xff\x10", 4, out);
  assert_string_equal(out, "009fff10");
  wh_hex_encode("", 0, out);
  assert_string_equal(out, "");
}

static void test_random_bytes_fill_large_buffers(void **state)
{
  unsigned char buf[4096] = { 0 };
  assert_int_equal(wh_random_bytes(buf, sizeof(buf), NULL), 0);
  int zeros = 0;
  for (size_t i = 0; i < sizeof(buf); i++)
    zeros += buf[i] == 0;
  /* About 16 expected; all-zero would mean nothing was written. */
  assert_true(zeros < 100);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_random_id_is_64_lowercase_hex),
    cmocka_unit_test(test_random_ids_differ),
    cmocka_unit_test(test_uuid4_has_version_and_variant),
    cmocka_unit_test(test_hex_encode),
    cmocka_unit_test(test_random_bytes_fill_large_buffers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
