/* log.c: key=value log lines (see log.h).
 *
 * The configuration is set once by main() before threads start and only
 * read afterwards; each line goes out in a single write(2). */
#include "base/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/timeutil.h"

static struct {
  enum wh_log_level level;
  int fd;
  enum wh_log_format format;
} log_config = { WH_LOG_INFO, 2, WH_LOG_TEXT };

void wh_log_setup(enum wh_log_level level, int fd, enum wh_log_format format)
{
  log_config.level = level;
  log_config.fd = fd;
  log_config.format = format;
}

int wh_log_level_parse(const char *s)
{
  static const struct { const char *name; enum wh_log_level level; } names[] = {
    { "debug", WH_LOG_DEBUG }, { "info", WH_LOG_INFO },
    { "warn", WH_LOG_WARN },   { "warning", WH_LOG_WARN },
    { "error", WH_LOG_ERROR }, { "off", WH_LOG_OFF },
  };
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcasecmp(s, names[i].name) == 0)
      return (int) names[i].level;
  return -1;
}

const char *wh_log_level_name(enum wh_log_level level)
{
  switch (level) {
  case WH_LOG_DEBUG: return "debug";
  case WH_LOG_INFO: return "info";
  case WH_LOG_WARN: return "warn";
  case WH_LOG_ERROR: return "error";
  default: return "off";
  }
}

bool wh_log_enabled(enum wh_log_level level)
{
  return level != WH_LOG_OFF && level >= log_config.level && log_config.fd >= 0;
}

static bool safe_char(unsigned char c)
{
  return c > 0x20 && c < 0x7f && c != '"' && c != '=' && c != '\\';
}

int wh_log_quote(struct wh_buf *b, const char *value)
{
  if (!value)
    value = "";
  bool bare = *value != '\0';
  for (const unsigned char *p = (const unsigned char *) value; *p; p++)
    if (!safe_char(*p)) {
      bare = false;
      break;
    }
  if (bare)
    return wh_buf_append_str(b, value);
  if (wh_buf_append_char(b, '"') < 0)
    return -1;
  for (const unsigned char *p = (const unsigned char *) value; *p; p++) {
    int r;
    switch (*p) {
    case '"': r = wh_buf_append_str(b, "\\\""); break;
    case '\\': r = wh_buf_append_str(b, "\\\\"); break;
    case '\n': r = wh_buf_append_str(b, "\\n"); break;
    case '\t': r = wh_buf_append_str(b, "\\t"); break;
    case '\r': r = wh_buf_append_str(b, "\\r"); break;
    default:
      if (*p < 0x20 || *p == 0x7f)
        r = wh_buf_printf(b, "\\x%02x", *p);
      else
        r = wh_buf_append_char(b, (char) *p);
    }
    if (r < 0)
      return -1;
  }
  return wh_buf_append_char(b, '"');
}

/* JSON string escaping for the json format. */
static int json_quote(struct wh_buf *b, const char *value)
{
  if (wh_buf_append_char(b, '"') < 0)
    return -1;
  for (const unsigned char *p = (const unsigned char *) (value ? value : ""); *p; p++) {
    int r;
    if (*p == '"' || *p == '\\')
      r = wh_buf_printf(b, "\\%c", *p);
    else if (*p < 0x20 || *p == 0x7f)
      r = wh_buf_printf(b, "\\u%04x", *p);
    else
      r = wh_buf_append_char(b, (char) *p);
    if (r < 0)
      return -1;
  }
  return wh_buf_append_char(b, '"');
}

static void add_key(struct wh_logline *l, const char *key)
{
  if (l->json) {
    wh_buf_append_str(&l->buf, l->buf.len > 1 ? "," : "");
    json_quote(&l->buf, key);
    wh_buf_append_char(&l->buf, ':');
  } else {
    wh_buf_printf(&l->buf, " %s=", key);
  }
}

void wh_logline_begin(struct wh_logline *l, enum wh_log_level level,
                      const char *event)
{
  l->level = level;
  l->buf = (struct wh_buf) WH_BUF_INIT;
  l->json = log_config.format == WH_LOG_JSON;
  if (!wh_log_enabled(level)) {
    l->level = WH_LOG_OFF;
    return;
  }
  char ts[WH_RFC3339_MAX];
  wh_rfc3339(wh_now_real_ns(), 3, ts);
  if (l->json) {
    wh_buf_append_char(&l->buf, '{');
    add_key(l, "ts");
    json_quote(&l->buf, ts);
  } else {
    wh_buf_printf(&l->buf, "ts=%s", ts);
  }
  wh_logline_str(l, "level", wh_log_level_name(level));
  if (event)
    wh_logline_str(l, "event", event);
}

void wh_logline_str(struct wh_logline *l, const char *key, const char *value)
{
  if (l->level == WH_LOG_OFF)
    return;
  add_key(l, key);
  if (l->json)
    json_quote(&l->buf, value);
  else
    wh_log_quote(&l->buf, value);
}

void wh_logline_int(struct wh_logline *l, const char *key, long long value)
{
  if (l->level == WH_LOG_OFF)
    return;
  add_key(l, key);
  wh_buf_printf(&l->buf, "%lld", value);
}

void wh_logline_double(struct wh_logline *l, const char *key, double value)
{
  if (l->level == WH_LOG_OFF)
    return;
  add_key(l, key);
  wh_buf_printf(&l->buf, "%.3f", value);
}

void wh_logline_end(struct wh_logline *l)
{
  if (l->level != WH_LOG_OFF && l->buf.data) {
    if (l->json)
      wh_buf_append_char(&l->buf, '}');
    wh_buf_append_char(&l->buf, '\n');
    /* One write per line; a short write to a pipe or tty is retried, but
     * an error is dropped: logging must never fail the operation. */
    const char *p = l->buf.data;
    size_t left = l->buf.len;
    while (left > 0) {
      ssize_t n = write(log_config.fd, p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      p += n;
      left -= (size_t) n;
    }
  }
  wh_buf_free(&l->buf);
  l->level = WH_LOG_OFF;
}

void wh_log(enum wh_log_level level, const char *event, const char *fmt, ...)
{
  if (!wh_log_enabled(level))
    return;
  struct wh_logline l;
  wh_logline_begin(&l, level, event);
  char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  wh_logline_str(&l, "msg", msg ? msg : "(out of memory)");
  free(msg);
  wh_logline_end(&l);
}
