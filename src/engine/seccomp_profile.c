/* seccomp_profile.c: the default profile as a runtime-spec linux.seccomp
 * object. Rules conditional on a capability are resolved against the
 * container's bounding set, as podman does, so a container given
 * CAP_SYS_ADMIN (--cap-add) may also call mount(2). */
#include <string.h>

#include "internal.h"
#include "seccomp_profile.h"

static bool has_cap(char *const *caps, const char *cap)
{
  for (size_t i = 0; caps && caps[i]; i++)
    if (!strcmp(caps[i], cap))
      return true;
  return false;
}

json_t *seccomp_default_json(char *const *caps)
{
  json_t *syscalls = json_array();
  for (size_t i = 0; i < seccomp_default_n_rules; i++) {
    const struct seccomp_rule *r = &seccomp_default_rules[i];
    if (r->if_cap && !has_cap(caps, r->if_cap))
      continue;
    if (r->unless_cap && has_cap(caps, r->unless_cap))
      continue;
    json_t *names = json_array();
    for (const char *const *n = r->names; *n; n++)
      json_array_append_new(names, json_string(*n));
    json_t *rule = json_pack("{s:o,s:s}", "names", names, "action", r->action);
    if (r->errno_ret >= 0)
      json_object_set_new(rule, "errnoRet", json_integer(r->errno_ret));
    if (r->n_args) {
      json_t *args = json_array();
      for (size_t a = 0; a < r->n_args; a++)
        json_array_append_new(args, json_pack("{s:i,s:I,s:I,s:s}",
                                              "index", (int) r->args[a].index,
                                              "value", (json_int_t) r->args[a].value,
                                              "valueTwo", (json_int_t) r->args[a].value_two,
                                              "op", r->args[a].op));
      json_object_set_new(rule, "args", args);
    }
    json_array_append_new(syscalls, rule);
  }
  /* ENOSYS for syscalls the profile does not know, so new libc wrappers
   * fall back (clone3 → clone) instead of failing with EPERM. */
  return json_pack("{s:s,s:i,s:[sss],s:o}", "defaultAction", "SCMP_ACT_ERRNO",
                   "defaultErrnoRet", 38, "architectures", "SCMP_ARCH_X86_64",
                   "SCMP_ARCH_X86", "SCMP_ARCH_X32", "syscalls", syscalls);
}
