/* test_buf.c: growable buffers (buf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

static void test_append_keeps_nul_terminated(void **state)
{
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  assert_int_equal(wh_buf_append(&b, "ab", 2), 0);
  assert_int_equal(wh_buf_append_str(&b, "cd"), 0);
  assert_int_equal(wh_buf_append_char(&b, 'e'), 0);
  assert_int_equal(b.len, 5);
  assert_string_equal(b.data, "abcde");
  assert_true(b.cap > b.len);
}

static void test_append_binary_with_nul_bytes(void **state)
{
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  assert_int_equal(wh_buf_append(&b, "a\0b", 3), 0);
  assert_int_equal(b.len, 3);
  assert_memory_equal(b.data, "a\0b\0", 4);
}

static void test_grows_across_many_appends(void **state)
{
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  for (int i = 0; i < 10000; i++)
    assert_int_equal(wh_buf_append_char(&b, (char) ('a' + i % 26)), 0);
  assert_int_equal(b.len, 10000);
  assert_int_equal(strlen(b.data), 10000);
  assert_int_equal(b.data[9999], 'a' + 9999 % 26);
}

static void test_printf_short_and_long(void **state)
{
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  assert_int_equal(wh_buf_printf(&b, "%s=%d", "n", 42), 0);
  assert_string_equal(b.data, "n=42");
  char big[1000];
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  /* Longer than the stack scratch buffer: the second path. */
  assert_int_equal(wh_buf_printf(&b, "[%s]", big), 0);
  assert_int_equal(b.len, 4 + 2 + 999);
  assert_int_equal(b.data[4], '[');
  assert_int_equal(b.data[b.len - 1], ']');
  assert_int_equal(b.data[b.len], '\0');
}

static void test_clear_keeps_allocation(void **state)
{
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  wh_buf_append_str(&b, "hello");
  char *p = b.data;
  wh_buf_clear(&b);
  assert_int_equal(b.len, 0);
  assert_ptr_equal(b.data, p);
  assert_string_equal(b.data, "");
  wh_buf_clear(&(struct wh_buf) WH_BUF_INIT);
}

static void test_steal_empty_gives_empty_string(void **state)
{
  struct wh_buf b = WH_BUF_INIT;
  char *s = wh_buf_steal(&b);
  assert_non_null(s);
  assert_string_equal(s, "");
  free(s);
  assert_null(b.data);
}

static void test_steal_leaves_buffer_empty(void **state)
{
  struct wh_buf b = WH_BUF_INIT;
  wh_buf_append_str(&b, "mine");
  char *s = wh_buf_steal(&b);
  assert_string_equal(s, "mine");
  assert_null(b.data);
  assert_int_equal(b.len, 0);
  assert_int_equal(b.cap, 0);
  free(s);
  wh_buf_free(&b);
}

static void test_reserve_overflow_is_enomem(void **state)
{
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  wh_buf_append_str(&b, "x");
  errno = 0;
  assert_int_equal(wh_buf_reserve(&b, SIZE_MAX), -1);
  assert_int_equal(errno, ENOMEM);
  assert_int_equal(wh_buf_reserve(&b, SIZE_MAX - 1), -1);
  assert_string_equal(b.data, "x");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_append_keeps_nul_terminated),
    cmocka_unit_test(test_append_binary_with_nul_bytes),
    cmocka_unit_test(test_grows_across_many_appends),
    cmocka_unit_test(test_printf_short_and_long),
    cmocka_unit_test(test_clear_keeps_allocation),
    cmocka_unit_test(test_steal_empty_gives_empty_string),
    cmocka_unit_test(test_steal_leaves_buffer_empty),
    cmocka_unit_test(test_reserve_overflow_is_enomem),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
