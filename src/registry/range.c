/* range.c: Content-Range and Range parsing (range.h). */
#include "registry/range.h"

#include <stdbool.h>
#include <string.h>

/* Decimal digits at *p into *v; advances *p. No sign, no overflow. */
static bool parse_u64(const char **p, uint64_t *v)
{
  const char *s = *p;
  uint64_t x = 0;
  if (*s < '0' || *s > '9')
    return false;
  while (*s >= '0' && *s <= '9') {
    unsigned d = (unsigned) (*s - '0');
    if (x > (UINT64_MAX - d) / 10)
      return false;
    x = x * 10 + d;
    s++;
  }
  *p = s;
  *v = x;
  return true;
}

int content_range_parse(const char *s, uint64_t *start, uint64_t *end)
{
  if (!s)
    return -1;
  bool rfc = false;
  if (strncmp(s, "bytes ", 6) == 0 || strncmp(s, "bytes=", 6) == 0) {
    rfc = s[5] == ' ';
    s += 6;
  }
  uint64_t a, b;
  if (!parse_u64(&s, &a) || *s++ != '-' || !parse_u64(&s, &b) || a > b)
    return -1;
  if (rfc && *s == '/') {
    s++;
    uint64_t total;
    if (*s == '*')
      s++;
    else if (!parse_u64(&s, &total) || total <= b)
      return -1;
  }
  if (*s != '\0')
    return -1;
  *start = a;
  *end = b;
  return 0;
}

enum range_result range_parse(const char *s, uint64_t size, uint64_t *off, uint64_t *len)
{
  if (!s || strncmp(s, "bytes=", 6) != 0)
    return RANGE_NONE;
  s += 6;
  while (*s == ' ')
    s++;
  uint64_t a = 0, b = 0;
  bool suffix = false, open_end = false;
  if (*s == '-') {
    s++;
    if (!parse_u64(&s, &b))
      return RANGE_NONE;
    suffix = true;
  } else {
    if (!parse_u64(&s, &a) || *s++ != '-')
      return RANGE_NONE;
    if (*s >= '0' && *s <= '9') {
      if (!parse_u64(&s, &b) || b < a)
        return RANGE_NONE;
    } else {
      open_end = true;
    }
  }
  while (*s == ' ')
    s++;
  if (*s != '\0') /* several ranges, or junk: serve the whole entity */
    return RANGE_NONE;
  if (suffix) {
    if (b == 0 || size == 0)
      return RANGE_UNSATISFIABLE;
    if (b > size)
      b = size;
    *off = size - b;
    *len = b;
    return RANGE_OK;
  }
  if (a >= size)
    return RANGE_UNSATISFIABLE;
  if (open_end || b >= size)
    b = size - 1;
  *off = a;
  *len = b - a + 1;
  return RANGE_OK;
}
