/* timeutil.c: clocks and RFC 3339 timestamps (see timeutil.h). */
#include "base/timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

int64_t wh_now_mono_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t wh_now_real_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void wh_rfc3339(int64_t real_ns, int digits, char out[WH_RFC3339_MAX])
{
  time_t secs = (time_t) (real_ns / 1000000000LL);
  long frac = (long) (real_ns % 1000000000LL);
  if (frac < 0) {
    frac += 1000000000L;
    secs -= 1;
  }
  struct tm tm;
  gmtime_r(&secs, &tm);
  size_t n = strftime(out, WH_RFC3339_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
  if (digits > 0) {
    if (digits > 9)
      digits = 9;
    char fbuf[16];
    snprintf(fbuf, sizeof(fbuf), "%09ld", frac);
    fbuf[digits] = '\0';
    snprintf(out + n, WH_RFC3339_MAX - n, ".%sZ", fbuf);
  } else {
    snprintf(out + n, WH_RFC3339_MAX - n, "Z");
  }
}

static int digits_at(const char *s, int n, int *out)
{
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char) s[i]))
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

int wh_rfc3339_parse(const char *s, int64_t *ns_out)
{
  int y, mo, d, h, mi, sec;
  if (strlen(s) < 20 || digits_at(s, 4, &y) || s[4] != '-' ||
      digits_at(s + 5, 2, &mo) || s[7] != '-' || digits_at(s + 8, 2, &d) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      digits_at(s + 11, 2, &h) || s[13] != ':' || digits_at(s + 14, 2, &mi) ||
      s[16] != ':' || digits_at(s + 17, 2, &sec))
    goto invalid;
  /* timegm() would silently turn February 30 into March 2. */
  static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
      sec > 60)
    goto invalid;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap)
    goto invalid;
  const char *p = s + 19;
  long frac = 0;
  if (*p == '.') {
    p++;
    int nd = 0;
    long scale = 100000000L;
    while (isdigit((unsigned char) *p)) {
      if (nd < 9) {
        frac += (*p - '0') * scale;
        scale /= 10;
      }
      nd++;
      p++;
    }
    if (nd == 0)
      goto invalid;
  }
  long offset = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (digits_at(p + 1, 2, &oh) || p[3] != ':' || digits_at(p + 4, 2, &om) ||
        oh > 23 || om > 59)
      goto invalid;
    offset = (oh * 3600L + om * 60L) * (*p == '+' ? 1 : -1);
    p += 6;
  } else {
    goto invalid;
  }
  if (*p != '\0')
    goto invalid;
  struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                   .tm_hour = h, .tm_min = mi, .tm_sec = sec };
  time_t t = timegm(&tm);
  /* Nanoseconds since the epoch fit int64 only from 1677 to 2262; a time
   * outside that is refused rather than wrapped. */
  int64_t secs = (int64_t) t - offset;
  if (secs > INT64_MAX / 1000000000LL - 1 || secs < INT64_MIN / 1000000000LL + 1)
    goto invalid;
  *ns_out = secs * 1000000000LL + frac;
  return 0;
invalid:
  errno = EINVAL;
  return -1;
}
