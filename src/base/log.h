/* log.h: one line per event, key=value, with levels.
 *
 *   ts=2026-11-23T16:20:01.123Z level=info event=access method=GET path=/v2/ status=200
 *
 * main() calls wh_log_setup() once; after that the logger is read-only
 * (the only process-wide state, set before any thread starts). A line is
 * written with one write(2), so lines from threads never interleave.
 * Values from outside (request paths, names) go through wh_logline_str(),
 * which quotes and escapes them so a value cannot forge a field or a line. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

enum wh_log_level {
  WH_LOG_DEBUG = 0,
  WH_LOG_INFO,
  WH_LOG_WARN,
  WH_LOG_ERROR,
  WH_LOG_OFF,
};

enum wh_log_format { WH_LOG_TEXT = 0, WH_LOG_JSON };

void wh_log_setup(enum wh_log_level level, int fd, enum wh_log_format format);
/* "debug", "info", "warn"/"warning", "error", "off"; -1 if unknown. */
int wh_log_level_parse(const char *s);
const char *wh_log_level_name(enum wh_log_level level);
bool wh_log_enabled(enum wh_log_level level);

/* A line built field by field. */
struct wh_logline {
  enum wh_log_level level;
  struct wh_buf buf;
  bool json;
};

/* Starts a line: ts, level and event. Does nothing (and the other calls do
 * nothing) when the level is disabled. */
void wh_logline_begin(struct wh_logline *l, enum wh_log_level level,
                      const char *event);
void wh_logline_str(struct wh_logline *l, const char *key, const char *value);
void wh_logline_int(struct wh_logline *l, const char *key, long long value);
void wh_logline_double(struct wh_logline *l, const char *key, double value);
/* Writes the line and frees it. */
void wh_logline_end(struct wh_logline *l);

/* A whole line in one call: event plus msg="formatted message". */
void wh_log(enum wh_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define wh_debug(event, ...) wh_log(WH_LOG_DEBUG, event, __VA_ARGS__)
#define wh_info(event, ...) wh_log(WH_LOG_INFO, event, __VA_ARGS__)
#define wh_warn(event, ...) wh_log(WH_LOG_WARN, event, __VA_ARGS__)
#define wh_err(event, ...) wh_log(WH_LOG_ERROR, event, __VA_ARGS__)

/* Append `value` to b as a logfmt value: bare when it has only safe
 * characters, else double-quoted with \" \\ \n \t and \xNN escapes. */
int wh_log_quote(struct wh_buf *b, const char *value);
