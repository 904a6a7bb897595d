/* timeutil.h: clocks and timestamps. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Nanoseconds on CLOCK_MONOTONIC (durations) and CLOCK_REALTIME. */
int64_t wh_now_mono_ns(void);
int64_t wh_now_real_ns(void);

/* RFC 3339 in UTC with nanoseconds trimmed to `digits` (0, 3, 6 or 9):
 * "2026-11-23T16:20:01.123Z". out needs WH_RFC3339_MAX bytes. */
#define WH_RFC3339_MAX 40
void wh_rfc3339(int64_t real_ns, int digits, char out[WH_RFC3339_MAX]);
/* Parse RFC 3339 (with Z or ±hh:mm, optional fraction) to ns since the
 * epoch; -1 with errno EINVAL if malformed. */
int wh_rfc3339_parse(const char *s, int64_t *ns_out);
