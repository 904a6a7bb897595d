/* buf.h: growable byte buffers.
 *
 * data is always NUL-terminated after len bytes (when non-NULL), so a
 * buffer of text can be used as a C string. Growth is geometric. */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct wh_error;

struct wh_buf {
  char *data;
  size_t len;
  size_t cap;
};

#define WH_BUF_INIT { NULL, 0, 0 }

/* Make room for `more` further bytes (plus the NUL). Returns 0 or -1 with
 * ENOMEM in errno (on overflow too). */
int wh_buf_reserve(struct wh_buf *b, size_t more);
int wh_buf_append(struct wh_buf *b, const void *data, size_t len);
int wh_buf_append_str(struct wh_buf *b, const char *s);
int wh_buf_append_char(struct wh_buf *b, char c);
int wh_buf_printf(struct wh_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int wh_buf_vprintf(struct wh_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Drop the contents, keep the allocation. */
void wh_buf_clear(struct wh_buf *b);
/* Hand the NUL-terminated data to the caller (never NULL on success: an
 * empty buffer yields ""), leaving the buffer empty. NULL on ENOMEM. */
char *wh_buf_steal(struct wh_buf *b);
void wh_buf_free(struct wh_buf *b);

#define _cleanup_buf_ __attribute__((cleanup(wh_buf_free)))
