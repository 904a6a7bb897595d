/* ecr_glob.h: the wildcard match shared by repository policies (IAM
 * action patterns: '*' and '?', case-insensitive) and lifecycle policies
 * (tag patterns: '*' only, case-sensitive).
 *
 * Greedy with a single backtrack point: linear in practice and without
 * recursion, so a hostile pattern such as "*a*a*a…" cannot blow up. */
#pragma once

#include <ctype.h>
#include <stdbool.h>

static inline bool ecr_glob_match(const char *pattern, const char *s,
                                  bool fold_case, bool question)
{
  const char *p = pattern, *star = NULL, *retry = NULL;
  while (*s) {
    bool same = fold_case ? tolower((unsigned char) *p) ==
                            tolower((unsigned char) *s)
                          : *p == *s;
    if (*p == '*') {
      star = p++;
      retry = s;
    } else if (*p && ((question && *p == '?') || same)) {
      p++;
      s++;
    } else if (star) {
      p = star + 1;
      s = ++retry;
    } else {
      return false;
    }
  }
  while (*p == '*')
    p++;
  return *p == '\0';
}
