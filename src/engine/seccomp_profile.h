/* seccomp_profile.h: the default profile's rule table (seccomp_default.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct seccomp_arg {
  unsigned index;
  uint64_t value, value_two;
  const char *op;
};

struct seccomp_rule {
  const char *const *names;
  const char *action;
  int errno_ret;          /* -1: none */
  const struct seccomp_arg *args;
  size_t n_args;
  const char *if_cap;     /* applies only with this capability */
  const char *unless_cap; /* applies only without it */
};

extern const struct seccomp_rule seccomp_default_rules[];
extern const size_t seccomp_default_n_rules;
