/* runtime_spec_process.c: the spec's "process" object (also process.json
 * for exec): args, env, cwd, user, capabilities, rlimits, console size.
 * Part of the config.json reader (runtime_spec.c has the getters); the
 * capability and rlimit name tables live here with their only parser. */
#include "oci/runtime_spec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "oci/runtime_spec_internal.h"

static const char *const cap_names[] = {
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
  "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
  "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
  "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
};

int oci_cap_from_name(const char *name)
{
  for (size_t i = 0; i < WH_ARRAY_SIZE(cap_names); i++)
    if (strcasecmp(name, cap_names[i]) == 0)
      return (int) i;
  return -1;
}

const char *oci_cap_name(int cap)
{
  if (cap < 0 || (size_t) cap >= WH_ARRAY_SIZE(cap_names))
    return NULL;
  return cap_names[cap];
}

static const char *const cap_set_names[OCI_CAP_NSETS] = {
  "bounding", "effective", "inheritable", "permitted", "ambient"
};
const char *oci_cap_set_name(enum oci_cap_set s) { return cap_set_names[s]; }

static const struct { const char *name; int res; } rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU }, { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

int oci_rlimit_from_name(const char *name)
{
  for (size_t i = 0; i < WH_ARRAY_SIZE(rlimit_names); i++)
    if (strcmp(name, rlimit_names[i].name) == 0)
      return rlimit_names[i].res;
  return -1;
}

/* ---- process -------------------------------------------------------- */

static int parse_caps(json_t *caps, const char *parent, struct oci_process *p,
                      struct wh_error **err)
{
  p->has_caps = true;
  for (int s = 0; s < OCI_CAP_NSETS; s++) {
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof(path), "%s.%s", parent, cap_set_names[s]);
    json_t *a;
    if (spec_get_array(caps, cap_set_names[s], parent, false, &a, err) < 0)
      return -1;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
      char ep[PATH_MAX_LEN + 16];
      snprintf(ep, sizeof(ep), "%s[%zu]", path, i);
      if (!json_is_string(v))
        return spec_type_error(ep, "a capability name", err);
      int c = oci_cap_from_name(json_string_value(v));
      if (c < 0)
        return wh_error_set(err, WH_ERR_INVALID, "%s: unknown capability %.64s",
                            ep, json_string_value(v));
      p->caps[s] |= UINT64_C(1) << c;
    }
  }
  return 0;
}

int spec_parse_process(json_t *o, const char *path, struct oci_process *p,
                       struct wh_error **err)
{
  char sub[PATH_MAX_LEN];
  if (!json_is_object(o))
    return spec_type_error(path, "an object", err);
  if (spec_get_bool(o, "terminal", path, &p->terminal, err) < 0 ||
      spec_get_str(o, "cwd", path, true, &p->cwd, err) < 0 ||
      spec_get_strv(o, "args", path, false, &p->args, err) < 0 ||
      spec_get_strv(o, "env", path, false, &p->env, err) < 0 ||
      spec_get_bool(o, "noNewPrivileges", path, &p->no_new_privileges, err) < 0 ||
      spec_get_str(o, "apparmorProfile", path, false, &p->apparmor_profile, err) < 0 ||
      spec_get_str(o, "selinuxLabel", path, false, &p->selinux_label, err) < 0 ||
      spec_get_i64(o, "oomScoreAdj", path, false, -1000, 1000, &p->oom_score_adj, err) < 0)
    return -1;
  if (p->cwd[0] != '/')
    return wh_error_set(err, WH_ERR_INVALID, "%s.cwd: must be an absolute path", path);
  json_t *cs;
  snprintf(sub, sizeof(sub), "%s.consoleSize", path);
  if (spec_get_object(o, "consoleSize", path, false, &cs, err) < 0)
    return -1;
  if (cs && (spec_get_u32(cs, "height", sub, true, &p->console_height, err) < 0 ||
             spec_get_u32(cs, "width", sub, true, &p->console_width, err) < 0))
    return -1;

  json_t *u;
  snprintf(sub, sizeof(sub), "%s.user", path);
  if (spec_get_object(o, "user", path, true, &u, err) < 0)
    return -1;
  if (spec_get_u32(u, "uid", sub, true, &p->uid, err) < 0 ||
      spec_get_u32(u, "gid", sub, true, &p->gid, err) < 0)
    return -1;
  struct oci_opt_i64 um = { 0 };
  if (spec_get_i64(u, "umask", sub, false, 0, 0777, &um, err) < 0)
    return -1;
  p->has_umask = um.set;
  p->umask = (mode_t) um.v;
  json_t *ag;
  if (spec_get_array(u, "additionalGids", sub, false, &ag, err) < 0)
    return -1;
  if (ag) {
    p->n_additional_gids = json_array_size(ag);
    p->additional_gids = calloc(p->n_additional_gids + 1, sizeof(uint32_t));
    if (!p->additional_gids)
      return wh_error_errno(err, "%s", sub);
    for (size_t i = 0; i < p->n_additional_gids; i++) {
      json_int_t g = -1;
      if (!spec_as_int(json_array_get(ag, i), &g) || g < 0 || g > UINT32_MAX)
        return wh_error_set(err, WH_ERR_INVALID,
                            "%s.additionalGids[%zu]: expected a gid", sub, i);
      p->additional_gids[i] = (uint32_t) g;
    }
  }

  json_t *caps;
  snprintf(sub, sizeof(sub), "%s.capabilities", path);
  if (spec_get_object(o, "capabilities", path, false, &caps, err) < 0)
    return -1;
  if (caps && parse_caps(caps, sub, p, err) < 0)
    return -1;

  json_t *rl;
  snprintf(sub, sizeof(sub), "%s.rlimits", path);
  if (spec_get_array(o, "rlimits", path, false, &rl, err) < 0)
    return -1;
  if (rl) {
    p->rlimits = calloc(json_array_size(rl) + 1, sizeof(*p->rlimits));
    if (!p->rlimits)
      return wh_error_errno(err, "%s", sub);
    size_t i;
    json_t *r;
    json_array_foreach(rl, i, r) {
      char ep[PATH_MAX_LEN + 16];
      snprintf(ep, sizeof(ep), "%s[%zu]", sub, i);
      if (!json_is_object(r))
        return spec_type_error(ep, "an object", err);
      _cleanup_free_ char *type = NULL;
      struct oci_rlimit *l = &p->rlimits[i];
      if (spec_get_str(r, "type", ep, true, &type, err) < 0 ||
          spec_get_u64(r, "soft", ep, true, &l->soft, err) < 0 ||
          spec_get_u64(r, "hard", ep, true, &l->hard, err) < 0)
        return -1;
      l->resource = oci_rlimit_from_name(type);
      if (l->resource < 0)
        return wh_error_set(err, WH_ERR_INVALID, "%s.type: unknown rlimit %.64s",
                            ep, type);
      for (size_t j = 0; j < i; j++)
        if (p->rlimits[j].resource == l->resource)
          return wh_error_set(err, WH_ERR_INVALID, "%s.type: %s given twice",
                              ep, type);
      p->n_rlimits = i + 1;
    }
  }
  return 0;
}

void oci_process_free(struct oci_process *p)
{
  free(p->cwd);
  spec_strv_free(p->args);
  spec_strv_free(p->env);
  free(p->additional_gids);
  free(p->rlimits);
  free(p->apparmor_profile);
  free(p->selinux_label);
  memset(p, 0, sizeof(*p));
}
