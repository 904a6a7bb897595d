/* test_log.c: key=value log lines (log.c).
 *
 * Lines go to a pipe and are compared byte for byte after the timestamp:
 * the format is read by people and by log shippers, and a value from a
 * request must never be able to forge a field or start a new line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"

struct pipe_fds {
  int r, w;
};

static int setup(void **state)
{
  struct pipe_fds *p = malloc(sizeof(*p));
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
    return -1;
  p->r = fds[0];
  p->w = fds[1];
  wh_log_setup(WH_LOG_DEBUG, p->w, WH_LOG_TEXT);
  *state = p;
  return 0;
}

static int teardown(void **state)
{
  struct pipe_fds *p = *state;
  wh_log_setup(WH_LOG_INFO, 2, WH_LOG_TEXT);
  close(p->r);
  close(p->w);
  free(p);
  return 0;
}

/* Everything written so far; "" if nothing. */
static char *drain(struct pipe_fds *p)
{
  static char buf[65536];
  ssize_t n = read(p->r, buf, sizeof(buf) - 1);
  buf[n > 0 ? n : 0] = '\0';
  return buf;
}

/* Check "ts=<24-char RFC 3339 ms>Z" and return what follows it. */
static const char *after_ts(const char *line)
{
  assert_true(strncmp(line, "ts=", 3) == 0);
  const char *ts = line + 3;
  assert_true(strlen(ts) > 24);
  assert_int_equal(ts[4], '-');
  assert_int_equal(ts[10], 'T');
  assert_int_equal(ts[19], '.');
  assert_int_equal(ts[23], 'Z');
  return ts + 24;
}

static void expect_quote(const char *v, const char *want)
{
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  assert_int_equal(wh_log_quote(&b, v), 0);
  assert_string_equal(b.data, want);
}

static void test_line_has_ts_level_event_and_fields(void **state)
{
  struct pipe_fds *p = *state;
  struct wh_logline l;
  wh_logline_begin(&l, WH_LOG_INFO, "access");
  wh_logline_str(&l, "method", "GET");
  wh_logline_str(&l, "path", "/v2/");
  wh_logline_int(&l, "status", 200);
  wh_logline_double(&l, "secs", 0.25);
  wh_logline_end(&l);
  const char *line = drain(p);
  assert_string_equal(after_ts(line),
                      " level=info event=access method=GET path=/v2/ status=200 secs=0.250\n");
}

static void test_wh_log_puts_message_in_msg(void **state)
{
  struct pipe_fds *p = *state;
  wh_warn("gc", "removed %d blobs", 3);
  assert_string_equal(after_ts(drain(p)), " level=warn event=gc msg=\"removed 3 blobs\"\n");
}

static void test_values_with_spaces_quotes_and_newlines_are_quoted(void **state)
{
  expect_quote("plain", "plain");
  expect_quote("a b", "\"a b\"");
  expect_quote("say \"hi\"", "\"say \\\"hi\\\"\"");
  expect_quote("back\\slash", "\"back\\\\slash\"");
  expect_quote("l1\nl2\r\tx", "\"l1\\nl2\\r\\tx\"");
  expect_quote("\x01\x7f", "\"\\x01\\x7f\"");
  expect_quote("", "\"\"");
  expect_quote(NULL, "\"\"");
  /* UTF-8 is kept as is, but quoted. */
  expect_quote("caf\xc3\xa9", "\"caf\xc3\xa9\"");
}

static void test_value_cannot_forge_fields_or_lines(void **state)
{
  struct pipe_fds *p = *state;
  struct wh_logline l;
  wh_logline_begin(&l, WH_LOG_INFO, "access");
  wh_logline_str(&l, "path", "/x status=500 user=admin");
  wh_logline_str(&l, "name", "a=b");
  wh_logline_str(&l, "agent", "x\nts=2020-01-01T00:00:00.000Z level=error event=forged");
  wh_logline_end(&l);
  const char *out = drain(p);
  /* One line only, and every injected '=' sits inside quotes. */
  const char *nl = strchr(out, '\n');
  assert_non_null(nl);
  assert_int_equal(nl[1], '\0');
  assert_string_equal(after_ts(out),
                      " level=info event=access path=\"/x status=500 user=admin\" name=\"a=b\""
                      " agent=\"x\\nts=2020-01-01T00:00:00.000Z level=error event=forged\"\n");
}

static void test_event_from_outside_is_quoted_too(void **state)
{
  struct pipe_fds *p = *state;
  struct wh_logline l;
  wh_logline_begin(&l, WH_LOG_ERROR, "bad event");
  wh_logline_end(&l);
  assert_string_equal(after_ts(drain(p)), " level=error event=\"bad event\"\n");
}

static void test_disabled_level_writes_nothing(void **state)
{
  struct pipe_fds *p = *state;
  wh_log_setup(WH_LOG_WARN, p->w, WH_LOG_TEXT);
  assert_false(wh_log_enabled(WH_LOG_INFO));
  assert_true(wh_log_enabled(WH_LOG_ERROR));
  wh_info("quiet", "not shown");
  struct wh_logline l;
  wh_logline_begin(&l, WH_LOG_DEBUG, "quiet");
  wh_logline_str(&l, "k", "v");
  wh_logline_end(&l);
  assert_string_equal(drain(p), "");
  wh_log_setup(WH_LOG_OFF, p->w, WH_LOG_TEXT);
  wh_err("quiet", "off means off");
  assert_string_equal(drain(p), "");
  wh_log_setup(WH_LOG_DEBUG, p->w, WH_LOG_TEXT);
}

static void test_json_format_escapes_values(void **state)
{
  struct pipe_fds *p = *state;
  wh_log_setup(WH_LOG_DEBUG, p->w, WH_LOG_JSON);
  struct wh_logline l;
  wh_logline_begin(&l, WH_LOG_INFO, "access");
  wh_logline_str(&l, "path", "a\"b\\c\nd");
  wh_logline_int(&l, "status", 404);
  wh_logline_end(&l);
  wh_log_setup(WH_LOG_DEBUG, p->w, WH_LOG_TEXT);
  const char *out = drain(p);
  assert_true(strncmp(out, "{\"ts\":\"", 7) == 0);
  const char *rest = strstr(out, "Z\",");
  assert_non_null(rest);
  assert_string_equal(rest, "Z\",\"level\":\"info\",\"event\":\"access\","
                            "\"path\":\"a\\\"b\\\\c\\u000ad\",\"status\":404}\n");
}

static void test_level_parse_and_names(void **state)
{
  assert_int_equal(wh_log_level_parse("debug"), WH_LOG_DEBUG);
  assert_int_equal(wh_log_level_parse("WARNING"), WH_LOG_WARN);
  assert_int_equal(wh_log_level_parse("warn"), WH_LOG_WARN);
  assert_int_equal(wh_log_level_parse("off"), WH_LOG_OFF);
  assert_int_equal(wh_log_level_parse("verbose"), -1);
  assert_string_equal(wh_log_level_name(WH_LOG_ERROR), "error");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_line_has_ts_level_event_and_fields),
    cmocka_unit_test(test_wh_log_puts_message_in_msg),
    cmocka_unit_test(test_values_with_spaces_quotes_and_newlines_are_quoted),
    cmocka_unit_test(test_value_cannot_forge_fields_or_lines),
    cmocka_unit_test(test_event_from_outside_is_quoted_too),
    cmocka_unit_test(test_disabled_level_writes_nothing),
    cmocka_unit_test(test_json_format_escapes_values),
    cmocka_unit_test(test_level_parse_and_names),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
