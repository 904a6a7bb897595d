/* test_timeutil.c: clocks and RFC 3339 (timeutil.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "base/timeutil.h"

/* 2026-11-23T16:20:01Z */
#define T0 1795450801LL
#define NS 1000000000LL

static void test_rfc3339_formats_utc_with_digits(void **state)
{
  char out[WH_RFC3339_MAX];
  int64_t t = T0 * NS + 123456789;
  wh_rfc3339(t, 0, out);
  assert_string_equal(out, "2026-11-23T16:20:01Z");
  wh_rfc3339(t, 3, out);
  assert_string_equal(out, "2026-11-23T16:20:01.123Z");
  wh_rfc3339(t, 6, out);
  assert_string_equal(out, "2026-11-23T16:20:01.123456Z");
  wh_rfc3339(t, 9, out);
  assert_string_equal(out, "2026-11-23T16:20:01.123456789Z");
  wh_rfc3339(0, 3, out);
  assert_string_equal(out, "1970-01-01T00:00:00.000Z");
}

static void test_rfc3339_before_epoch(void **state)
{
  char out[WH_RFC3339_MAX];
  wh_rfc3339(-1, 9, out);
  assert_string_equal(out, "1969-12-31T23:59:59.999999999Z");
}

static void test_parse_round_trips_format(void **state)
{
  int64_t vals[] = { 0, T0 * NS, T0 * NS + 1, T0 * NS + 999999999, -NS / 2 };
  for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
    char out[WH_RFC3339_MAX];
    int64_t back = 0;
    wh_rfc3339(vals[i], 9, out);
    assert_int_equal(wh_rfc3339_parse(out, &back), 0);
    assert_true(back == vals[i]);
  }
}

static void test_parse_applies_offsets(void **state)
{
  int64_t ns = 0;
  assert_int_equal(wh_rfc3339_parse("2026-11-23T18:20:01+02:00", &ns), 0);
  assert_true(ns == T0 * NS);
  assert_int_equal(wh_rfc3339_parse("2026-11-23T11:50:01-04:30", &ns), 0);
  assert_true(ns == T0 * NS);
  assert_int_equal(wh_rfc3339_parse("2026-11-23t16:20:01.5z", &ns), 0);
  assert_true(ns == T0 * NS + NS / 2);
  /* Digits past nanoseconds are dropped, not rounded. */
  assert_int_equal(wh_rfc3339_parse("2026-11-23T16:20:01.1234567899Z", &ns), 0);
  assert_true(ns == T0 * NS + 123456789);
}

static void test_parse_rejects_malformed(void **state)
{
  const char *bad[] = {
    "", "2026-11-23", "2026-11-23T16:20:01", "2026-11-23T16:20:01+0200",
    "2026-11-23T16:20:01.Z", "2026-13-01T00:00:00Z", "2026-11-23T24:00:00Z",
    "2026-11-23T16:20:01Zjunk", "2026/11/23T16:20:01Z", "2026-11-23T16:20:01+24:00",
    "2026-02-30T00:00:00Z", "2026-04-31T00:00:00Z", "2026-02-29T00:00:00Z",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int64_t ns = 42;
    errno = 0;
    if (wh_rfc3339_parse(bad[i], &ns) != -1)
      fail_msg("accepted '%s'", bad[i]);
    assert_int_equal(errno, EINVAL);
    assert_true(ns == 42);
  }
}

static void test_parse_accepts_leap_day(void **state)
{
  int64_t ns = 0;
  assert_int_equal(wh_rfc3339_parse("2024-02-29T00:00:00Z", &ns), 0);
  assert_int_equal(wh_rfc3339_parse("2000-02-29T00:00:00Z", &ns), 0);
  assert_int_equal(wh_rfc3339_parse("1900-02-29T00:00:00Z", &ns), -1);
}

static void test_parse_refuses_times_outside_int64_nanoseconds(void **state)
{
  int64_t ns = 0;
  assert_int_equal(wh_rfc3339_parse("2262-04-11T00:00:00Z", &ns), 0);
  assert_int_equal(wh_rfc3339_parse("2263-01-01T00:00:00Z", &ns), -1);
  assert_int_equal(wh_rfc3339_parse("9999-12-31T23:59:59Z", &ns), -1);
  assert_int_equal(wh_rfc3339_parse("1677-09-22T00:00:00Z", &ns), 0);
  assert_int_equal(wh_rfc3339_parse("0001-01-01T00:00:00Z", &ns), -1);
}

static void test_clocks_advance(void **state)
{
  int64_t a = wh_now_mono_ns(), b = wh_now_mono_ns();
  assert_true(b >= a);
  assert_true(wh_now_real_ns() > T0 * NS - 365LL * 86400 * NS);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rfc3339_formats_utc_with_digits),
    cmocka_unit_test(test_rfc3339_before_epoch),
    cmocka_unit_test(test_parse_round_trips_format),
    cmocka_unit_test(test_parse_applies_offsets),
    cmocka_unit_test(test_parse_rejects_malformed),
    cmocka_unit_test(test_parse_accepts_leap_day),
    cmocka_unit_test(test_parse_refuses_times_outside_int64_nanoseconds),
    cmocka_unit_test(test_clocks_advance),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
