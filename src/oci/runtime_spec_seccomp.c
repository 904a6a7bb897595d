/* runtime_spec_seccomp.c: linux.seccomp: default action, architectures,
 * flags, listener, and the syscall rules with their argument conditions,
 * checked against the names libseccomp knows. Part of the config.json
 * reader (runtime_spec.c has the getters). */
#include "oci/runtime_spec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "oci/runtime_spec_internal.h"

/* ---- linux.seccomp -------------------------------------------------- */

static const char *const scmp_actions[] = {
  [OCI_SCMP_KILL] = "SCMP_ACT_KILL",
  [OCI_SCMP_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
  [OCI_SCMP_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
  [OCI_SCMP_TRAP] = "SCMP_ACT_TRAP",
  [OCI_SCMP_ERRNO] = "SCMP_ACT_ERRNO",
  [OCI_SCMP_TRACE] = "SCMP_ACT_TRACE",
  [OCI_SCMP_ALLOW] = "SCMP_ACT_ALLOW",
  [OCI_SCMP_LOG] = "SCMP_ACT_LOG",
  [OCI_SCMP_NOTIFY] = "SCMP_ACT_NOTIFY",
};
static const char *const scmp_ops[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};
static const char *const scmp_arches[] = {
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
};
static const char *const scmp_flags[] = {
  "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

static int parse_action(json_t *o, const char *key, const char *parent,
                        enum oci_seccomp_action *out, struct wh_error **err)
{
  _cleanup_free_ char *a = NULL;
  if (spec_get_str(o, key, parent, true, &a, err) < 0)
    return -1;
  int i = spec_lookup(scmp_actions, WH_ARRAY_SIZE(scmp_actions), a);
  if (i < 0)
    return wh_error_set(err, WH_ERR_INVALID, "%s.%s: unknown seccomp action %.64s",
                        parent, key, a);
  *out = (enum oci_seccomp_action) i;
  return 0;
}

static int check_names(char **v, const char *const *names, size_t n,
                       const char *path, const char *what, struct wh_error **err)
{
  for (size_t i = 0; v && v[i]; i++)
    if (spec_lookup(names, n, v[i]) < 0)
      return wh_error_set(err, WH_ERR_INVALID, "%s[%zu]: unknown %s %.64s", path, i,
                          what, v[i]);
  return 0;
}

int spec_parse_seccomp(json_t *o, struct oci_seccomp *sc, struct wh_error **err)
{
  const char *path = "linux.seccomp";
  struct oci_opt_i64 e = { 0 };
  if (parse_action(o, "defaultAction", path, &sc->default_action, err) < 0 ||
      spec_get_i64(o, "defaultErrnoRet", path, false, 0, 4095, &e, err) < 0 ||
      spec_get_strv(o, "architectures", path, false, &sc->architectures, err) < 0 ||
      spec_get_strv(o, "flags", path, false, &sc->flags, err) < 0 ||
      spec_get_str(o, "listenerPath", path, false, &sc->listener_path, err) < 0 ||
      spec_get_str(o, "listenerMetadata", path, false, &sc->listener_metadata, err) < 0 ||
      check_names(sc->architectures, scmp_arches, WH_ARRAY_SIZE(scmp_arches),
                  "linux.seccomp.architectures", "architecture", err) < 0 ||
      check_names(sc->flags, scmp_flags, WH_ARRAY_SIZE(scmp_flags),
                  "linux.seccomp.flags", "flag", err) < 0)
    return -1;
  sc->has_default_errno_ret = e.set;
  sc->default_errno_ret = (uint32_t) e.v;
  json_t *a;
  if (spec_get_array(o, "syscalls", path, false, &a, err) < 0)
    return -1;
  bool notify = sc->default_action == OCI_SCMP_NOTIFY;
  if (a) {
    sc->rules = calloc(json_array_size(a) + 1, sizeof(*sc->rules));
    if (!sc->rules)
      return wh_error_errno(err, "%s", path);
    size_t i;
    json_t *r;
    json_array_foreach(a, i, r) {
      char rp[PATH_MAX_LEN];
      snprintf(rp, sizeof(rp), "linux.seccomp.syscalls[%zu]", i);
      if (!json_is_object(r))
        return spec_type_error(rp, "an object", err);
      struct oci_seccomp_rule *ru = &sc->rules[i];
      sc->n_rules = i + 1;
      struct oci_opt_i64 er = { 0 };
      if (spec_get_strv(r, "names", rp, true, &ru->names, err) < 0 ||
          parse_action(r, "action", rp, &ru->action, err) < 0 ||
          spec_get_i64(r, "errnoRet", rp, false, 0, 4095, &er, err) < 0)
        return -1;
      ru->has_errno_ret = er.set;
      ru->errno_ret = (uint32_t) er.v;
      if (ru->action == OCI_SCMP_NOTIFY)
        notify = true;
      json_t *args;
      if (spec_get_array(r, "args", rp, false, &args, err) < 0)
        return -1;
      if (!args)
        continue;
      if (json_array_size(args) > 6)
        return wh_error_set(err, WH_ERR_INVALID, "%s.args: more than 6 conditions", rp);
      ru->args = calloc(json_array_size(args) + 1, sizeof(*ru->args));
      if (!ru->args)
        return wh_error_errno(err, "%s", rp);
      size_t j;
      json_t *ar;
      json_array_foreach(args, j, ar) {
        char ap[PATH_MAX_LEN + 16];
        snprintf(ap, sizeof(ap), "%s.args[%zu]", rp, j);
        if (!json_is_object(ar))
          return spec_type_error(ap, "an object", err);
        struct oci_seccomp_arg *sa = &ru->args[j];
        ru->n_args = j + 1;
        struct oci_opt_i64 idx = { 0 };
        _cleanup_free_ char *op = NULL;
        if (spec_get_i64(ar, "index", ap, true, 0, 5, &idx, err) < 0 ||
            spec_get_u64(ar, "value", ap, true, &sa->value, err) < 0 ||
            spec_get_u64(ar, "valueTwo", ap, false, &sa->value_two, err) < 0 ||
            spec_get_str(ar, "op", ap, true, &op, err) < 0)
          return -1;
        sa->index = (unsigned) idx.v;
        int k = spec_lookup(scmp_ops, WH_ARRAY_SIZE(scmp_ops), op);
        if (k < 0)
          return wh_error_set(err, WH_ERR_INVALID, "%s.op: unknown operator %.64s", ap, op);
        sa->op = (enum oci_seccomp_op) k;
      }
    }
  }
  if (notify && !sc->listener_path)
    return wh_error_set(err, WH_ERR_INVALID,
                        "linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY");
  return 0;
}

void spec_seccomp_free(struct oci_seccomp *sc)
{
  if (!sc)
    return;
  spec_strv_free(sc->architectures);
  spec_strv_free(sc->flags);
  free(sc->listener_path);
  free(sc->listener_metadata);
  for (size_t i = 0; i < sc->n_rules; i++) {
    spec_strv_free(sc->rules[i].names);
    free(sc->rules[i].args);
  }
  free(sc->rules);
  free(sc);
}
