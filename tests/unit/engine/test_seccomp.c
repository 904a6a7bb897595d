/* test_seccomp.c: the default seccomp profile (seccomp_profile.c): the
 * allow list, the errno rules, and rules that depend on capabilities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "engine/internal.h"

/* The action of the first rule naming syscall without argument filters,
 * or NULL. */
static const char *action_of(json_t *prof, const char *syscall)
{
  size_t i, k;
  json_t *r, *n;
  json_array_foreach(json_object_get(prof, "syscalls"), i, r) {
    if (json_object_get(r, "args"))
      continue;
    json_array_foreach(json_object_get(r, "names"), k, n)
      if (!strcmp(json_string_value(n), syscall))
        return json_string_value(json_object_get(r, "action"));
  }
  return NULL;
}

static void test_defaults_and_allow_list(void **state)
{
  char *caps[] = {"CAP_CHOWN", NULL};
  json_t *p = seccomp_default_json(caps);
  assert_string_equal(json_string_value(json_object_get(p, "defaultAction")), "SCMP_ACT_ERRNO");
  assert_int_equal(json_integer_value(json_object_get(p, "defaultErrnoRet")), 38);
  assert_string_equal(action_of(p, "read"), "SCMP_ACT_ALLOW");
  assert_string_equal(action_of(p, "execve"), "SCMP_ACT_ALLOW");
  /* unknown to the profile: the default (ENOSYS), no rule */
  assert_null(action_of(p, "no_such_syscall"));
  /* always refused, whatever the capabilities */
  assert_string_equal(action_of(p, "kexec_load"), "SCMP_ACT_ERRNO");
  assert_string_equal(action_of(p, "swapon"), "SCMP_ACT_ERRNO");
  json_decref(p);
}

static void test_capability_conditions(void **state)
{
  char *none[] = {NULL};
  char *admin[] = {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", NULL};
  json_t *p = seccomp_default_json(none);
  json_t *q = seccomp_default_json(admin);
  /* bpf and fanotify_init: only with CAP_SYS_ADMIN */
  assert_string_equal(action_of(p, "bpf"), "SCMP_ACT_ERRNO");
  assert_string_equal(action_of(q, "bpf"), "SCMP_ACT_ALLOW");
  /* kcmp: only with CAP_SYS_PTRACE */
  assert_string_equal(action_of(p, "kcmp"), "SCMP_ACT_ERRNO");
  assert_string_equal(action_of(q, "kcmp"), "SCMP_ACT_ALLOW");
  json_decref(p);
  json_decref(q);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_defaults_and_allow_list),
    cmocka_unit_test(test_capability_conditions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
