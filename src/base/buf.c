/* buf.c: growable byte buffers (see buf.h). */
#include "base/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wh_buf_reserve(struct wh_buf *b, size_t more)
{
  if (more > SIZE_MAX - b->len - 1) {
    errno = ENOMEM;
    return -1;
  }
  size_t need = b->len + more + 1;
  if (need <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) {
      cap = need;
      break;
    }
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (!p)
    return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

int wh_buf_append(struct wh_buf *b, const void *data, size_t len)
{
  if (wh_buf_reserve(b, len) < 0)
    return -1;
  if (len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return 0;
}

int wh_buf_append_str(struct wh_buf *b, const char *s)
{
  return wh_buf_append(b, s, strlen(s));
}

int wh_buf_append_char(struct wh_buf *b, char c)
{
  return wh_buf_append(b, &c, 1);
}

int wh_buf_vprintf(struct wh_buf *b, const char *fmt, va_list ap)
{
  va_list ap2;
  va_copy(ap2, ap);
  char tmp[256];
  int n = vsnprintf(tmp, sizeof(tmp), fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return -1;
  if ((size_t) n < sizeof(tmp))
    return wh_buf_append(b, tmp, (size_t) n);
  if (wh_buf_reserve(b, (size_t) n) < 0)
    return -1;
  vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
  b->len += (size_t) n;
  return 0;
}

int wh_buf_printf(struct wh_buf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int r = wh_buf_vprintf(b, fmt, ap);
  va_end(ap);
  return r;
}

void wh_buf_clear(struct wh_buf *b)
{
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

char *wh_buf_steal(struct wh_buf *b)
{
  if (!b->data) {
    if (wh_buf_reserve(b, 0) < 0)
      return NULL;
    b->data[0] = '\0';
  }
  char *p = b->data;
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}

void wh_buf_free(struct wh_buf *b)
{
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
