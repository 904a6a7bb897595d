/* runtime_spec.c: config.json → struct oci_spec, validated as it is read.
 *
 * The only reader of an untrusted config.json (fuzzed). Each helper gets
 * the field's place ("process.capabilities.bounding[3]") so every error
 * names it. Getters here work on jansson directly because the places of
 * array elements are built as we walk. */
#include "oci/runtime_spec.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#define MOUNT_ATTR__ATIME 0x00000070
#define MOUNT_ATTR_RELATIME 0x00000000
#define MOUNT_ATTR_NOATIME 0x00000010
#define MOUNT_ATTR_STRICTATIME 0x00000020
#define MOUNT_ATTR_NODIRATIME 0x00000080
#endif

/* Field places are built in fixed buffers; a place longer than that is
 * cut short on purpose (the message stays readable and bounded). */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#define PATH_MAX_LEN 256

/* ---- names ---------------------------------------------------------- */

static const char *const ns_names[OCI_NS_COUNT] = {
  "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"
};
static const char *const ns_proc_names[OCI_NS_COUNT] = {
  "pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time"
};
static const int ns_flags[OCI_NS_COUNT] = {
  CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUTS,
  CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME
};

const char *oci_ns_name(enum oci_ns_type t) { return ns_names[t]; }
const char *oci_ns_proc_name(enum oci_ns_type t) { return ns_proc_names[t]; }
int oci_ns_clone_flag(enum oci_ns_type t) { return ns_flags[t]; }

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

static const char *const hook_names[OCI_HOOK_NKINDS] = {
  "prestart", "createRuntime", "createContainer", "startContainer",
  "poststart", "poststop"
};
const char *oci_hook_kind_name(enum oci_hook_kind k) { return hook_names[k]; }

/* ---- typed getters that name the field ------------------------------ */

static int type_error(const char *path, const char *what, struct wh_error **err)
{
  return wh_error_set(err, WH_ERR_INVALID, "%s: expected %s", path, what);
}

/* Borrow a member; absent (or null) and optional gives NULL and 0. */
static int member(json_t *obj, const char *key, const char *path, bool required,
                  json_t **out, struct wh_error **err)
{
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) {
    *out = NULL;
    if (required)
      return wh_error_set(err, WH_ERR_INVALID, "%s: missing", path);
    return 0;
  }
  *out = v;
  return 0;
}

static int str_dup(json_t *v, const char *path, char **out, struct wh_error **err)
{
  if (!json_is_string(v))
    return type_error(path, "a string", err);
  size_t len = json_string_length(v);
  if (len > OCI_SPEC_MAX_STRING)
    return wh_error_set(err, WH_ERR_TOO_LARGE, "%s: longer than %u bytes",
                        path, OCI_SPEC_MAX_STRING);
  if (memchr(json_string_value(v), 0, len))
    return wh_error_set(err, WH_ERR_INVALID, "%s: contains a NUL byte", path);
  *out = strdup(json_string_value(v));
  if (!*out)
    return wh_error_errno(err, "%s", path);
  return 0;
}

static int get_str(json_t *obj, const char *key, const char *parent,
                   bool required, char **out, struct wh_error **err)
{
  char path[PATH_MAX_LEN];
  snprintf(path, sizeof(path), "%s%s%s", parent, *parent ? "." : "", key);
  json_t *v;
  if (member(obj, key, path, required, &v, err) < 0)
    return -1;
  if (!v)
    return 0;
  free(*out);
  *out = NULL;
  return str_dup(v, path, out, err);
}

static int get_bool(json_t *obj, const char *key, const char *parent,
                    bool *out, struct wh_error **err)
{
  char path[PATH_MAX_LEN];
  snprintf(path, sizeof(path), "%s%s%s", parent, *parent ? "." : "", key);
  json_t *v;
  if (member(obj, key, path, false, &v, err) < 0)
    return -1;
  if (!v)
    return 0;
  if (!json_is_boolean(v))
    return type_error(path, "true or false", err);
  *out = json_is_true(v);
  return 0;
}

/* An integer, or an integral double when numbers were read as doubles
 * (see load()). */
static bool as_int(json_t *v, json_int_t *out)
{
  if (json_is_integer(v)) {
    *out = json_integer_value(v);
    return true;
  }
  if (!json_is_real(v))
    return false;
  double d = json_real_value(v);
  if (!(d > -9.2e18 && d < 9.2e18) || d != (double) (json_int_t) d)
    return false;
  *out = (json_int_t) d;
  return true;
}

static int get_i64(json_t *obj, const char *key, const char *parent,
                   bool required, int64_t min, int64_t max,
                   struct oci_opt_i64 *out, struct wh_error **err)
{
  char path[PATH_MAX_LEN];
  snprintf(path, sizeof(path), "%s%s%s", parent, *parent ? "." : "", key);
  json_t *v;
  if (member(obj, key, path, required, &v, err) < 0)
    return -1;
  if (!v)
    return 0;
  json_int_t n;
  if (!as_int(v, &n))
    return type_error(path, "an integer", err);
  if (n < min || n > max)
    return wh_error_set(err, WH_ERR_INVALID,
                        "%s: %lld is out of range [%" PRId64 ", %" PRId64 "]",
                        path, (long long) n, min, max);
  out->set = true;
  out->v = n;
  return 0;
}

static int get_u32(json_t *obj, const char *key, const char *parent,
                   bool required, uint32_t *out, struct wh_error **err)
{
  struct oci_opt_i64 o = { 0 };
  if (get_i64(obj, key, parent, required, 0, UINT32_MAX, &o, err) < 0)
    return -1;
  if (o.set)
    *out = (uint32_t) o.v;
  return 0;
}

/* An unsigned 64-bit value: jansson holds integers as long long, so the
 * upper half of the range (rlimit "infinity" = 2^64-1) arrives as a
 * negative number or a real; accept both as the spec's uint64. */
static int get_u64(json_t *obj, const char *key, const char *parent,
                   bool required, uint64_t *out, struct wh_error **err)
{
  char path[PATH_MAX_LEN];
  snprintf(path, sizeof(path), "%s%s%s", parent, *parent ? "." : "", key);
  json_t *v;
  if (member(obj, key, path, required, &v, err) < 0)
    return -1;
  if (!v)
    return 0;
  if (json_is_integer(v)) {
    *out = (uint64_t) json_integer_value(v);
    return 0;
  }
  if (json_is_real(v)) {
    double d = json_real_value(v);
    if (d >= 0 && d <= 18446744073709551615.0 && d == (double) (uint64_t) d) {
      *out = (uint64_t) d;
      return 0;
    }
    if (d >= 18446744073709551615.0 && d < 18446744073709551616.0 * 1.0000001) {
      *out = UINT64_MAX;
      return 0;
    }
  }
  return type_error(path, "an unsigned integer", err);
}

/* An array member with a bounded length; absent gives NULL. */
static int get_array(json_t *obj, const char *key, const char *parent,
                     bool required, json_t **out, struct wh_error **err)
{
  char path[PATH_MAX_LEN];
  snprintf(path, sizeof(path), "%s%s%s", parent, *parent ? "." : "", key);
  if (member(obj, key, path, required, out, err) < 0)
    return -1;
  if (!*out)
    return 0;
  if (!json_is_array(*out))
    return type_error(path, "an array", err);
  if (json_array_size(*out) > OCI_SPEC_MAX_ARRAY)
    return wh_error_set(err, WH_ERR_TOO_LARGE, "%s: more than %u entries",
                        path, OCI_SPEC_MAX_ARRAY);
  return 0;
}

static int get_object(json_t *obj, const char *key, const char *parent,
                      bool required, json_t **out, struct wh_error **err)
{
  char path[PATH_MAX_LEN];
  snprintf(path, sizeof(path), "%s%s%s", parent, *parent ? "." : "", key);
  if (member(obj, key, path, required, out, err) < 0)
    return -1;
  if (*out && !json_is_object(*out))
    return type_error(path, "an object", err);
  if (*out && json_object_size(*out) > OCI_SPEC_MAX_ARRAY)
    return wh_error_set(err, WH_ERR_TOO_LARGE, "%s: more than %u members",
                        path, OCI_SPEC_MAX_ARRAY);
  return 0;
}

static int get_strv(json_t *obj, const char *key, const char *parent,
                    bool required, char ***out, struct wh_error **err)
{
  char path[PATH_MAX_LEN];
  snprintf(path, sizeof(path), "%s%s%s", parent, *parent ? "." : "", key);
  json_t *a;
  if (get_array(obj, key, parent, required, &a, err) < 0)
    return -1;
  if (!a)
    return 0;
  size_t n = json_array_size(a);
  _cleanup_strv_ char **v = calloc(n + 1, sizeof(char *));
  if (!v)
    return wh_error_errno(err, "%s", path);
  for (size_t i = 0; i < n; i++) {
    char ep[PATH_MAX_LEN + 16];
    snprintf(ep, sizeof(ep), "%s[%zu]", path, i);
    if (str_dup(json_array_get(a, i), ep, &v[i], err) < 0)
      return -1;
  }
  wh_strvfreep(out);
  *out = steal_pointer(&v);
  return 0;
}

static void strv_free(char **v)
{
  wh_strvfreep(&v);
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
    if (get_array(caps, cap_set_names[s], parent, false, &a, err) < 0)
      return -1;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
      char ep[PATH_MAX_LEN + 16];
      snprintf(ep, sizeof(ep), "%s[%zu]", path, i);
      if (!json_is_string(v))
        return type_error(ep, "a capability name", err);
      int c = oci_cap_from_name(json_string_value(v));
      if (c < 0)
        return wh_error_set(err, WH_ERR_INVALID, "%s: unknown capability %.64s",
                            ep, json_string_value(v));
      p->caps[s] |= UINT64_C(1) << c;
    }
  }
  return 0;
}

static int parse_process(json_t *o, const char *path, struct oci_process *p,
                         struct wh_error **err)
{
  char sub[PATH_MAX_LEN];
  if (!json_is_object(o))
    return type_error(path, "an object", err);
  if (get_bool(o, "terminal", path, &p->terminal, err) < 0 ||
      get_str(o, "cwd", path, true, &p->cwd, err) < 0 ||
      get_strv(o, "args", path, false, &p->args, err) < 0 ||
      get_strv(o, "env", path, false, &p->env, err) < 0 ||
      get_bool(o, "noNewPrivileges", path, &p->no_new_privileges, err) < 0 ||
      get_str(o, "apparmorProfile", path, false, &p->apparmor_profile, err) < 0 ||
      get_str(o, "selinuxLabel", path, false, &p->selinux_label, err) < 0 ||
      get_i64(o, "oomScoreAdj", path, false, -1000, 1000, &p->oom_score_adj, err) < 0)
    return -1;
  if (p->cwd[0] != '/')
    return wh_error_set(err, WH_ERR_INVALID, "%s.cwd: must be an absolute path", path);
  json_t *cs;
  snprintf(sub, sizeof(sub), "%s.consoleSize", path);
  if (get_object(o, "consoleSize", path, false, &cs, err) < 0)
    return -1;
  if (cs && (get_u32(cs, "height", sub, true, &p->console_height, err) < 0 ||
             get_u32(cs, "width", sub, true, &p->console_width, err) < 0))
    return -1;

  json_t *u;
  snprintf(sub, sizeof(sub), "%s.user", path);
  if (get_object(o, "user", path, true, &u, err) < 0)
    return -1;
  if (get_u32(u, "uid", sub, true, &p->uid, err) < 0 ||
      get_u32(u, "gid", sub, true, &p->gid, err) < 0)
    return -1;
  struct oci_opt_i64 um = { 0 };
  if (get_i64(u, "umask", sub, false, 0, 0777, &um, err) < 0)
    return -1;
  p->has_umask = um.set;
  p->umask = (mode_t) um.v;
  json_t *ag;
  if (get_array(u, "additionalGids", sub, false, &ag, err) < 0)
    return -1;
  if (ag) {
    p->n_additional_gids = json_array_size(ag);
    p->additional_gids = calloc(p->n_additional_gids + 1, sizeof(uint32_t));
    if (!p->additional_gids)
      return wh_error_errno(err, "%s", sub);
    for (size_t i = 0; i < p->n_additional_gids; i++) {
      json_int_t g = -1;
      if (!as_int(json_array_get(ag, i), &g) || g < 0 || g > UINT32_MAX)
        return wh_error_set(err, WH_ERR_INVALID,
                            "%s.additionalGids[%zu]: expected a gid", sub, i);
      p->additional_gids[i] = (uint32_t) g;
    }
  }

  json_t *caps;
  snprintf(sub, sizeof(sub), "%s.capabilities", path);
  if (get_object(o, "capabilities", path, false, &caps, err) < 0)
    return -1;
  if (caps && parse_caps(caps, sub, p, err) < 0)
    return -1;

  json_t *rl;
  snprintf(sub, sizeof(sub), "%s.rlimits", path);
  if (get_array(o, "rlimits", path, false, &rl, err) < 0)
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
        return type_error(ep, "an object", err);
      _cleanup_free_ char *type = NULL;
      struct oci_rlimit *l = &p->rlimits[i];
      if (get_str(r, "type", ep, true, &type, err) < 0 ||
          get_u64(r, "soft", ep, true, &l->soft, err) < 0 ||
          get_u64(r, "hard", ep, true, &l->hard, err) < 0)
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
  strv_free(p->args);
  strv_free(p->env);
  free(p->additional_gids);
  free(p->rlimits);
  free(p->apparmor_profile);
  free(p->selinux_label);
  memset(p, 0, sizeof(*p));
}

/* ---- mounts --------------------------------------------------------- */

struct mount_opt {
  const char *name;
  bool clear;              /* the option clears `flag` */
  unsigned long flag;
  unsigned long propagation;
  uint64_t attr;           /* recursive ("r…") options */
  bool attr_clear;
};

static const struct mount_opt mount_opts[] = {
  { "defaults", false, 0, 0, 0, false },
  { "ro", false, MS_RDONLY, 0, 0, false },
  { "rw", true, MS_RDONLY, 0, 0, false },
  { "suid", true, MS_NOSUID, 0, 0, false },
  { "nosuid", false, MS_NOSUID, 0, 0, false },
  { "dev", true, MS_NODEV, 0, 0, false },
  { "nodev", false, MS_NODEV, 0, 0, false },
  { "exec", true, MS_NOEXEC, 0, 0, false },
  { "noexec", false, MS_NOEXEC, 0, 0, false },
  { "sync", false, MS_SYNCHRONOUS, 0, 0, false },
  { "async", true, MS_SYNCHRONOUS, 0, 0, false },
  { "dirsync", false, MS_DIRSYNC, 0, 0, false },
  { "remount", false, MS_REMOUNT, 0, 0, false },
  { "mand", false, MS_MANDLOCK, 0, 0, false },
  { "nomand", true, MS_MANDLOCK, 0, 0, false },
  { "atime", true, MS_NOATIME, 0, 0, false },
  { "noatime", false, MS_NOATIME, 0, 0, false },
  { "diratime", true, MS_NODIRATIME, 0, 0, false },
  { "nodiratime", false, MS_NODIRATIME, 0, 0, false },
  { "relatime", false, MS_RELATIME, 0, 0, false },
  { "norelatime", true, MS_RELATIME, 0, 0, false },
  { "strictatime", false, MS_STRICTATIME, 0, 0, false },
  { "nostrictatime", true, MS_STRICTATIME, 0, 0, false },
  { "bind", false, MS_BIND, 0, 0, false },
  { "rbind", false, MS_BIND | MS_REC, 0, 0, false },
  { "shared", false, 0, MS_SHARED, 0, false },
  { "rshared", false, 0, MS_SHARED | MS_REC, 0, false },
  { "slave", false, 0, MS_SLAVE, 0, false },
  { "rslave", false, 0, MS_SLAVE | MS_REC, 0, false },
  { "private", false, 0, MS_PRIVATE, 0, false },
  { "rprivate", false, 0, MS_PRIVATE | MS_REC, 0, false },
  { "unbindable", false, 0, MS_UNBINDABLE, 0, false },
  { "runbindable", false, 0, MS_UNBINDABLE | MS_REC, 0, false },
  { "rro", false, 0, 0, MOUNT_ATTR_RDONLY, false },
  { "rrw", false, 0, 0, MOUNT_ATTR_RDONLY, true },
  { "rnosuid", false, 0, 0, MOUNT_ATTR_NOSUID, false },
  { "rsuid", false, 0, 0, MOUNT_ATTR_NOSUID, true },
  { "rnodev", false, 0, 0, MOUNT_ATTR_NODEV, false },
  { "rdev", false, 0, 0, MOUNT_ATTR_NODEV, true },
  { "rnoexec", false, 0, 0, MOUNT_ATTR_NOEXEC, false },
  { "rexec", false, 0, 0, MOUNT_ATTR_NOEXEC, true },
  { "rnoatime", false, 0, 0, MOUNT_ATTR_NOATIME, false },
  { "rstrictatime", false, 0, 0, MOUNT_ATTR_STRICTATIME, false },
  { "rnodiratime", false, 0, 0, MOUNT_ATTR_NODIRATIME, false },
  { "rdiratime", false, 0, 0, MOUNT_ATTR_NODIRATIME, true },
  /* podman passes these; they need nothing from us */
  { "tmpcopyup", false, 0, 0, 0, false },
  { "notmpcopyup", false, 0, 0, 0, false },
  { "copy-symlink", false, 0, 0, 0, false },
  { "z", false, 0, 0, 0, false },
  { "Z", false, 0, 0, 0, false },
};

int oci_mount_options(struct oci_mount *m, const char *path,
                      struct wh_error **err)
{
  m->flags = m->clear_flags = m->propagation = 0;
  m->attr_set = m->attr_clr = 0;
  free(m->data);
  m->data = NULL;
  size_t data_len = 0;
  for (size_t i = 0; m->options && m->options[i]; i++) {
    const char *o = m->options[i];
    const struct mount_opt *mo = NULL;
    for (size_t j = 0; j < WH_ARRAY_SIZE(mount_opts); j++)
      if (strcmp(o, mount_opts[j].name) == 0) {
        mo = &mount_opts[j];
        break;
      }
    if (!mo) {
      if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0)
        return wh_error_set(err, WH_ERR_UNSUPPORTED,
                            "%s.options[%zu]: %s mounts are not supported", path, i, o);
      /* fs-specific (size=64m, mode=755, newinstance, …): kept as data */
      size_t ol = strlen(o);
      char *d = realloc(m->data, data_len + ol + 2);
      if (!d)
        return wh_error_errno(err, "%s.options", path);
      m->data = d;
      if (data_len)
        d[data_len++] = ',';
      memcpy(d + data_len, o, ol + 1);
      data_len += ol;
      continue;
    }
    if (mo->propagation)
      m->propagation = mo->propagation;
    else if (mo->attr) {
      if (mo->attr_clear) {
        m->attr_clr |= mo->attr;
        m->attr_set &= ~mo->attr;
      } else {
        m->attr_set |= mo->attr;
        m->attr_clr &= ~mo->attr;
      }
    } else if (mo->clear) {
      m->flags &= ~mo->flag;
      m->clear_flags |= mo->flag;
    } else {
      m->flags |= mo->flag;
      m->clear_flags &= ~mo->flag;
    }
  }
  if (m->type && strcmp(m->type, "bind") == 0 && !(m->flags & MS_BIND))
    m->flags |= MS_BIND;
  return 0;
}

static int parse_mounts(json_t *root, struct oci_spec *s, struct wh_error **err)
{
  json_t *a;
  if (get_array(root, "mounts", "", false, &a, err) < 0)
    return -1;
  if (!a)
    return 0;
  s->mounts = calloc(json_array_size(a) + 1, sizeof(*s->mounts));
  if (!s->mounts)
    return wh_error_errno(err, "mounts");
  size_t i;
  json_t *m;
  json_array_foreach(a, i, m) {
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof(path), "mounts[%zu]", i);
    if (!json_is_object(m))
      return type_error(path, "an object", err);
    struct oci_mount *om = &s->mounts[i];
    s->n_mounts = i + 1;
    if (get_str(m, "destination", path, true, &om->destination, err) < 0 ||
        get_str(m, "type", path, false, &om->type, err) < 0 ||
        get_str(m, "source", path, false, &om->source, err) < 0 ||
        get_strv(m, "options", path, false, &om->options, err) < 0)
      return -1;
    if (om->destination[0] != '/')
      return wh_error_set(err, WH_ERR_INVALID,
                          "%s.destination: %.128s is not an absolute path", path,
                          om->destination);
    if (oci_mount_options(om, path, err) < 0)
      return -1;
    if (!om->type && !(om->flags & MS_BIND))
      return wh_error_set(err, WH_ERR_INVALID,
                          "%s: no type and no bind/rbind option", path);
    if ((om->flags & MS_BIND) && !om->source)
      return wh_error_set(err, WH_ERR_INVALID, "%s.source: missing for a bind mount",
                          path);
  }
  return 0;
}

static void mount_free(struct oci_mount *m)
{
  free(m->destination);
  free(m->type);
  free(m->source);
  strv_free(m->options);
  free(m->data);
}

/* ---- hooks ---------------------------------------------------------- */

static int parse_hooks(json_t *root, struct oci_spec *s, struct wh_error **err)
{
  json_t *h;
  if (get_object(root, "hooks", "", false, &h, err) < 0)
    return -1;
  if (!h)
    return 0;
  for (int k = 0; k < OCI_HOOK_NKINDS; k++) {
    json_t *a;
    if (get_array(h, hook_names[k], "hooks", false, &a, err) < 0)
      return -1;
    if (!a)
      continue;
    s->hooks[k] = calloc(json_array_size(a) + 1, sizeof(struct oci_hook));
    if (!s->hooks[k])
      return wh_error_errno(err, "hooks");
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
      char path[PATH_MAX_LEN];
      snprintf(path, sizeof(path), "hooks.%s[%zu]", hook_names[k], i);
      if (!json_is_object(e))
        return type_error(path, "an object", err);
      struct oci_hook *hk = &s->hooks[k][i];
      s->n_hooks[k] = i + 1;
      struct oci_opt_i64 t = { 0 };
      if (get_str(e, "path", path, true, &hk->path, err) < 0 ||
          get_strv(e, "args", path, false, &hk->args, err) < 0 ||
          get_strv(e, "env", path, false, &hk->env, err) < 0 ||
          get_i64(e, "timeout", path, false, 1, 86400, &t, err) < 0)
        return -1;
      if (hk->path[0] != '/')
        return wh_error_set(err, WH_ERR_INVALID, "%s.path: must be absolute", path);
      hk->timeout = (int) t.v;
    }
  }
  return 0;
}

/* ---- linux.resources ------------------------------------------------ */

static int parse_dev_numbers(json_t *o, const char *path, bool required,
                             int64_t *major, int64_t *minor, struct wh_error **err)
{
  struct oci_opt_i64 ma = { 0 }, mi = { 0 };
  if (get_i64(o, "major", path, required, -1, UINT32_MAX, &ma, err) < 0 ||
      get_i64(o, "minor", path, required, -1, UINT32_MAX, &mi, err) < 0)
    return -1;
  *major = ma.set ? ma.v : -1;
  *minor = mi.set ? mi.v : -1;
  return 0;
}

static int parse_throttle(json_t *blk, const char *key, const char *parent,
                          struct oci_throttle_device **out, size_t *n,
                          struct wh_error **err)
{
  json_t *a;
  if (get_array(blk, key, parent, false, &a, err) < 0)
    return -1;
  if (!a)
    return 0;
  *out = calloc(json_array_size(a) + 1, sizeof(**out));
  if (!*out)
    return wh_error_errno(err, "%s", key);
  size_t i;
  json_t *e;
  json_array_foreach(a, i, e) {
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof(path), "%s.%s[%zu]", parent, key, i);
    if (!json_is_object(e))
      return type_error(path, "an object", err);
    if (parse_dev_numbers(e, path, true, &(*out)[i].major, &(*out)[i].minor, err) < 0 ||
        get_u64(e, "rate", path, true, &(*out)[i].rate, err) < 0)
      return -1;
    *n = i + 1;
  }
  return 0;
}

static int parse_resources_obj(json_t *r, const char *path,
                               struct oci_resources *res, struct wh_error **err)
{
  char sub[PATH_MAX_LEN];
  json_t *o;
  if (!json_is_object(r))
    return type_error(path, "an object", err);

  snprintf(sub, sizeof(sub), "%s.memory", path);
  if (get_object(r, "memory", path, false, &o, err) < 0)
    return -1;
  if (o) {
    if (get_i64(o, "limit", sub, false, -1, INT64_MAX, &res->memory.limit, err) < 0 ||
        get_i64(o, "reservation", sub, false, -1, INT64_MAX, &res->memory.reservation, err) < 0 ||
        get_i64(o, "swap", sub, false, -1, INT64_MAX, &res->memory.swap, err) < 0 ||
        get_i64(o, "kernel", sub, false, -1, INT64_MAX, &res->memory.kernel, err) < 0 ||
        get_i64(o, "kernelTCP", sub, false, -1, INT64_MAX, &res->memory.kernel_tcp, err) < 0 ||
        get_i64(o, "swappiness", sub, false, 0, 100, &res->memory.swappiness, err) < 0 ||
        get_bool(o, "useHierarchy", sub, &res->memory.use_hierarchy, err) < 0)
      return -1;
    if (json_object_get(o, "disableOOMKiller")) {
      res->memory.has_disable_oom_killer = true;
      if (get_bool(o, "disableOOMKiller", sub, &res->memory.disable_oom_killer, err) < 0)
        return -1;
    }
  }

  snprintf(sub, sizeof(sub), "%s.cpu", path);
  if (get_object(r, "cpu", path, false, &o, err) < 0)
    return -1;
  if (o) {
    if (get_i64(o, "shares", sub, false, 0, 262144, &res->cpu.shares, err) < 0 ||
        get_i64(o, "quota", sub, false, -1, INT64_MAX, &res->cpu.quota, err) < 0 ||
        get_i64(o, "period", sub, false, 0, 1000000, &res->cpu.period, err) < 0 ||
        get_i64(o, "burst", sub, false, 0, INT64_MAX, &res->cpu.burst, err) < 0 ||
        get_i64(o, "realtimeRuntime", sub, false, -1, INT64_MAX, &res->cpu.realtime_runtime, err) < 0 ||
        get_i64(o, "realtimePeriod", sub, false, 0, INT64_MAX, &res->cpu.realtime_period, err) < 0 ||
        get_i64(o, "idle", sub, false, 0, 1, &res->cpu.idle, err) < 0 ||
        get_str(o, "cpus", sub, false, &res->cpu.cpus, err) < 0 ||
        get_str(o, "mems", sub, false, &res->cpu.mems, err) < 0)
      return -1;
    if (res->cpu.period.set && res->cpu.period.v > 0 && res->cpu.period.v < 1000)
      return wh_error_set(err, WH_ERR_INVALID, "%s.period: below 1000 microseconds", sub);
  }

  snprintf(sub, sizeof(sub), "%s.pids", path);
  if (get_object(r, "pids", path, false, &o, err) < 0)
    return -1;
  if (o && get_i64(o, "limit", sub, true, INT64_MIN, INT64_MAX, &res->pids_limit, err) < 0)
    return -1;

  snprintf(sub, sizeof(sub), "%s.blockIO", path);
  if (get_object(r, "blockIO", path, false, &o, err) < 0)
    return -1;
  if (o) {
    if (get_i64(o, "weight", sub, false, 0, 10000, &res->blkio.weight, err) < 0 ||
        get_i64(o, "leafWeight", sub, false, 0, 10000, &res->blkio.leaf_weight, err) < 0)
      return -1;
    json_t *a;
    if (get_array(o, "weightDevice", sub, false, &a, err) < 0)
      return -1;
    if (a) {
      res->blkio.weight_devices = calloc(json_array_size(a) + 1,
                                         sizeof(*res->blkio.weight_devices));
      if (!res->blkio.weight_devices)
        return wh_error_errno(err, "%s", sub);
      size_t i;
      json_t *e;
      json_array_foreach(a, i, e) {
        char ep[PATH_MAX_LEN + 32];
        snprintf(ep, sizeof(ep), "%s.weightDevice[%zu]", sub, i);
        struct oci_weight_device *w = &res->blkio.weight_devices[i];
        if (!json_is_object(e))
          return type_error(ep, "an object", err);
        if (parse_dev_numbers(e, ep, true, &w->major, &w->minor, err) < 0 ||
            get_i64(e, "weight", ep, false, 0, 10000, &w->weight, err) < 0 ||
            get_i64(e, "leafWeight", ep, false, 0, 10000, &w->leaf_weight, err) < 0)
          return -1;
        res->blkio.n_weight_devices = i + 1;
      }
    }
    static const char *const tk[4] = {
      "throttleReadBpsDevice", "throttleWriteBpsDevice",
      "throttleReadIOPSDevice", "throttleWriteIOPSDevice"
    };
    for (int t = 0; t < 4; t++)
      if (parse_throttle(o, tk[t], sub, &res->blkio.throttle[t],
                         &res->blkio.n_throttle[t], err) < 0)
        return -1;
  }

  json_t *a;
  snprintf(sub, sizeof(sub), "%s.hugepageLimits", path);
  if (get_array(r, "hugepageLimits", path, false, &a, err) < 0)
    return -1;
  if (a) {
    res->hugepages = calloc(json_array_size(a) + 1, sizeof(*res->hugepages));
    if (!res->hugepages)
      return wh_error_errno(err, "%s", sub);
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
      char ep[PATH_MAX_LEN + 16];
      snprintf(ep, sizeof(ep), "%s[%zu]", sub, i);
      if (!json_is_object(e))
        return type_error(ep, "an object", err);
      struct oci_hugepage_limit *h = &res->hugepages[i];
      res->n_hugepages = i + 1;
      if (get_str(e, "pageSize", ep, true, &h->page_size, err) < 0 ||
          get_u64(e, "limit", ep, true, &h->limit, err) < 0)
        return -1;
      size_t k = strspn(h->page_size, "0123456789");
      if (k == 0 || k > 6 || (strcmp(h->page_size + k, "KB") != 0 &&
                              strcmp(h->page_size + k, "MB") != 0 &&
                              strcmp(h->page_size + k, "GB") != 0))
        return wh_error_set(err, WH_ERR_INVALID,
                            "%s.pageSize: %.32s is not a size like 2MB", ep, h->page_size);
    }
  }

  snprintf(sub, sizeof(sub), "%s.devices", path);
  if (get_array(r, "devices", path, false, &a, err) < 0)
    return -1;
  if (a) {
    res->devices = calloc(json_array_size(a) + 1, sizeof(*res->devices));
    if (!res->devices)
      return wh_error_errno(err, "%s", sub);
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
      char ep[PATH_MAX_LEN + 16];
      snprintf(ep, sizeof(ep), "%s[%zu]", sub, i);
      if (!json_is_object(e))
        return type_error(ep, "an object", err);
      struct oci_device_rule *d = &res->devices[i];
      res->n_devices = i + 1;
      _cleanup_free_ char *type = NULL, *access = NULL;
      if (get_bool(e, "allow", ep, &d->allow, err) < 0 ||
          get_str(e, "type", ep, false, &type, err) < 0 ||
          get_str(e, "access", ep, false, &access, err) < 0 ||
          parse_dev_numbers(e, ep, false, &d->major, &d->minor, err) < 0)
        return -1;
      if (!json_object_get(e, "allow"))
        return wh_error_set(err, WH_ERR_INVALID, "%s.allow: missing", ep);
      d->type = type ? type[0] : 'a';
      if (type && (strlen(type) != 1 || !strchr("acb", type[0])))
        return wh_error_set(err, WH_ERR_INVALID, "%s.type: %.16s is not a, c or b", ep, type);
      const char *acc = access ? access : "rwm";
      if (strlen(acc) > 3 || strspn(acc, "rwm") != strlen(acc))
        return wh_error_set(err, WH_ERR_INVALID, "%s.access: %.16s is not made of r, w, m",
                            ep, acc);
      strcpy(d->access, acc);
    }
  }

  snprintf(sub, sizeof(sub), "%s.unified", path);
  if (get_object(r, "unified", path, false, &o, err) < 0)
    return -1;
  if (o) {
    res->unified = calloc(json_object_size(o) + 1, sizeof(*res->unified));
    if (!res->unified)
      return wh_error_errno(err, "%s", sub);
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
      char ep[PATH_MAX_LEN + 64];
      snprintf(ep, sizeof(ep), "%s.%.60s", sub, k);
      if (strchr(k, '/') || k[0] == '.' || !strchr(k, '.'))
        return wh_error_set(err, WH_ERR_INVALID, "%s: not a cgroup file name", ep);
      struct oci_kv *kv = &res->unified[res->n_unified];
      if (str_dup(v, ep, &kv->value, err) < 0)
        return -1;
      res->n_unified++;
      kv->key = strdup(k);
      if (!kv->key)
        return wh_error_errno(err, "%s", ep);
    }
  }
  return 0;
}

void oci_resources_free(struct oci_resources *r)
{
  free(r->cpu.cpus);
  free(r->cpu.mems);
  free(r->blkio.weight_devices);
  for (int t = 0; t < 4; t++)
    free(r->blkio.throttle[t]);
  for (size_t i = 0; i < r->n_hugepages; i++)
    free(r->hugepages[i].page_size);
  free(r->hugepages);
  free(r->devices);
  for (size_t i = 0; i < r->n_unified; i++) {
    free(r->unified[i].key);
    free(r->unified[i].value);
  }
  free(r->unified);
  memset(r, 0, sizeof(*r));
}

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

static int lookup(const char *const *names, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (names[i] && strcmp(names[i], s) == 0)
      return (int) i;
  return -1;
}

static int parse_action(json_t *o, const char *key, const char *parent,
                        enum oci_seccomp_action *out, struct wh_error **err)
{
  _cleanup_free_ char *a = NULL;
  if (get_str(o, key, parent, true, &a, err) < 0)
    return -1;
  int i = lookup(scmp_actions, WH_ARRAY_SIZE(scmp_actions), a);
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
    if (lookup(names, n, v[i]) < 0)
      return wh_error_set(err, WH_ERR_INVALID, "%s[%zu]: unknown %s %.64s", path, i,
                          what, v[i]);
  return 0;
}

static int parse_seccomp(json_t *o, struct oci_seccomp *sc, struct wh_error **err)
{
  const char *path = "linux.seccomp";
  struct oci_opt_i64 e = { 0 };
  if (parse_action(o, "defaultAction", path, &sc->default_action, err) < 0 ||
      get_i64(o, "defaultErrnoRet", path, false, 0, 4095, &e, err) < 0 ||
      get_strv(o, "architectures", path, false, &sc->architectures, err) < 0 ||
      get_strv(o, "flags", path, false, &sc->flags, err) < 0 ||
      get_str(o, "listenerPath", path, false, &sc->listener_path, err) < 0 ||
      get_str(o, "listenerMetadata", path, false, &sc->listener_metadata, err) < 0 ||
      check_names(sc->architectures, scmp_arches, WH_ARRAY_SIZE(scmp_arches),
                  "linux.seccomp.architectures", "architecture", err) < 0 ||
      check_names(sc->flags, scmp_flags, WH_ARRAY_SIZE(scmp_flags),
                  "linux.seccomp.flags", "flag", err) < 0)
    return -1;
  sc->has_default_errno_ret = e.set;
  sc->default_errno_ret = (uint32_t) e.v;
  json_t *a;
  if (get_array(o, "syscalls", path, false, &a, err) < 0)
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
        return type_error(rp, "an object", err);
      struct oci_seccomp_rule *ru = &sc->rules[i];
      sc->n_rules = i + 1;
      struct oci_opt_i64 er = { 0 };
      if (get_strv(r, "names", rp, true, &ru->names, err) < 0 ||
          parse_action(r, "action", rp, &ru->action, err) < 0 ||
          get_i64(r, "errnoRet", rp, false, 0, 4095, &er, err) < 0)
        return -1;
      ru->has_errno_ret = er.set;
      ru->errno_ret = (uint32_t) er.v;
      if (ru->action == OCI_SCMP_NOTIFY)
        notify = true;
      json_t *args;
      if (get_array(r, "args", rp, false, &args, err) < 0)
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
          return type_error(ap, "an object", err);
        struct oci_seccomp_arg *sa = &ru->args[j];
        ru->n_args = j + 1;
        struct oci_opt_i64 idx = { 0 };
        _cleanup_free_ char *op = NULL;
        if (get_i64(ar, "index", ap, true, 0, 5, &idx, err) < 0 ||
            get_u64(ar, "value", ap, true, &sa->value, err) < 0 ||
            get_u64(ar, "valueTwo", ap, false, &sa->value_two, err) < 0 ||
            get_str(ar, "op", ap, true, &op, err) < 0)
          return -1;
        sa->index = (unsigned) idx.v;
        int k = lookup(scmp_ops, WH_ARRAY_SIZE(scmp_ops), op);
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

static void seccomp_free(struct oci_seccomp *sc)
{
  if (!sc)
    return;
  strv_free(sc->architectures);
  strv_free(sc->flags);
  free(sc->listener_path);
  free(sc->listener_metadata);
  for (size_t i = 0; i < sc->n_rules; i++) {
    strv_free(sc->rules[i].names);
    free(sc->rules[i].args);
  }
  free(sc->rules);
  free(sc);
}

/* ---- linux ---------------------------------------------------------- */

static int parse_mappings(json_t *l, const char *key, struct oci_id_mapping **out,
                          size_t *n, struct wh_error **err)
{
  json_t *a;
  if (get_array(l, key, "linux", false, &a, err) < 0)
    return -1;
  if (!a)
    return 0;
  if (json_array_size(a) > 340)
    return wh_error_set(err, WH_ERR_INVALID, "linux.%s: more than 340 ranges", key);
  *out = calloc(json_array_size(a) + 1, sizeof(**out));
  if (!*out)
    return wh_error_errno(err, "linux.%s", key);
  size_t i;
  json_t *e;
  json_array_foreach(a, i, e) {
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof(path), "linux.%s[%zu]", key, i);
    if (!json_is_object(e))
      return type_error(path, "an object", err);
    if (get_u32(e, "containerID", path, true, &(*out)[i].container_id, err) < 0 ||
        get_u32(e, "hostID", path, true, &(*out)[i].host_id, err) < 0 ||
        get_u32(e, "size", path, true, &(*out)[i].size, err) < 0)
      return -1;
    *n = i + 1;
  }
  return 0;
}

static unsigned long propagation_of(const char *s)
{
  static const struct { const char *n; unsigned long f; } p[] = {
    { "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
    { "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  for (size_t i = 0; i < WH_ARRAY_SIZE(p); i++)
    if (strcmp(s, p[i].n) == 0)
      return p[i].f;
  return 0;
}

static int parse_time_offset(json_t *o, const char *key, struct oci_time_offset *t,
                             struct wh_error **err)
{
  json_t *e;
  char path[PATH_MAX_LEN];
  snprintf(path, sizeof(path), "linux.timeOffsets.%s", key);
  if (get_object(o, key, "linux.timeOffsets", false, &e, err) < 0)
    return -1;
  if (!e)
    return 0;
  struct oci_opt_i64 s = { 0 }, ns = { 0 };
  if (get_i64(e, "secs", path, false, INT32_MIN, INT32_MAX, &s, err) < 0 ||
      get_i64(e, "nanosecs", path, false, 0, 999999999, &ns, err) < 0)
    return -1;
  t->set = true;
  t->secs = s.v;
  t->nanosecs = (uint32_t) ns.v;
  return 0;
}

static int parse_linux(json_t *l, struct oci_spec *s, struct wh_error **err)
{
  if (!json_is_object(l))
    return type_error("linux", "an object", err);
  json_t *a;
  if (get_array(l, "namespaces", "linux", false, &a, err) < 0)
    return -1;
  size_t i;
  json_t *e;
  json_array_foreach(a, i, e) {
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof(path), "linux.namespaces[%zu]", i);
    if (!json_is_object(e))
      return type_error(path, "an object", err);
    _cleanup_free_ char *type = NULL, *nspath = NULL;
    if (get_str(e, "type", path, true, &type, err) < 0 ||
        get_str(e, "path", path, false, &nspath, err) < 0)
      return -1;
    int t = lookup(ns_names, OCI_NS_COUNT, type);
    if (t < 0)
      return wh_error_set(err, WH_ERR_INVALID, "%s.type: unknown namespace %.32s",
                          path, type);
    if (s->ns[t].present)
      return wh_error_set(err, WH_ERR_INVALID, "%s.type: %s given twice", path, type);
    if (nspath && nspath[0] != '/')
      return wh_error_set(err, WH_ERR_INVALID, "%s.path: must be absolute", path);
    s->ns[t].present = true;
    s->ns[t].path = steal_pointer(&nspath);
  }
  if (parse_mappings(l, "uidMappings", &s->uid_mappings, &s->n_uid_mappings, err) < 0 ||
      parse_mappings(l, "gidMappings", &s->gid_mappings, &s->n_gid_mappings, err) < 0)
    return -1;
  if (s->ns[OCI_NS_USER].present && !s->ns[OCI_NS_USER].path &&
      (!s->n_uid_mappings || !s->n_gid_mappings))
    return wh_error_set(err, WH_ERR_INVALID,
                        "linux.uidMappings: a new user namespace needs uid and gid mappings");
  json_t *to;
  if (get_object(l, "timeOffsets", "linux", false, &to, err) < 0)
    return -1;
  if (to && (parse_time_offset(to, "monotonic", &s->time_monotonic, err) < 0 ||
             parse_time_offset(to, "boottime", &s->time_boottime, err) < 0))
    return -1;

  if (get_array(l, "devices", "linux", false, &a, err) < 0)
    return -1;
  if (a) {
    s->devices = calloc(json_array_size(a) + 1, sizeof(*s->devices));
    if (!s->devices)
      return wh_error_errno(err, "linux.devices");
    json_array_foreach(a, i, e) {
      char path[PATH_MAX_LEN];
      snprintf(path, sizeof(path), "linux.devices[%zu]", i);
      if (!json_is_object(e))
        return type_error(path, "an object", err);
      struct oci_device *d = &s->devices[i];
      s->n_devices = i + 1;
      _cleanup_free_ char *type = NULL;
      struct oci_opt_i64 mode = { 0 }, uid = { 0 }, gid = { 0 };
      if (get_str(e, "path", path, true, &d->path, err) < 0 ||
          get_str(e, "type", path, true, &type, err) < 0 ||
          parse_dev_numbers(e, path, false, &d->major, &d->minor, err) < 0 ||
          get_i64(e, "fileMode", path, false, 0, 07777, &mode, err) < 0 ||
          get_i64(e, "uid", path, false, 0, UINT32_MAX, &uid, err) < 0 ||
          get_i64(e, "gid", path, false, 0, UINT32_MAX, &gid, err) < 0)
        return -1;
      if (strlen(type) != 1 || !strchr("cbup", type[0]))
        return wh_error_set(err, WH_ERR_INVALID, "%s.type: %.16s is not c, b, u or p",
                            path, type);
      d->type = type[0];
      if (d->type != 'p' && (d->major < 0 || d->minor < 0))
        return wh_error_set(err, WH_ERR_INVALID, "%s: major and minor are required", path);
      if (d->path[0] != '/')
        return wh_error_set(err, WH_ERR_INVALID, "%s.path: must be absolute", path);
      d->has_mode = mode.set;
      d->mode = (mode_t) mode.v;
      d->has_uid = uid.set;
      d->uid = (uint32_t) uid.v;
      d->has_gid = gid.set;
      d->gid = (uint32_t) gid.v;
    }
  }

  if (get_str(l, "cgroupsPath", "linux", false, &s->cgroups_path, err) < 0 ||
      get_strv(l, "maskedPaths", "linux", false, &s->masked_paths, err) < 0 ||
      get_strv(l, "readonlyPaths", "linux", false, &s->readonly_paths, err) < 0 ||
      get_str(l, "mountLabel", "linux", false, &s->mount_label, err) < 0)
    return -1;

  _cleanup_free_ char *prop = NULL;
  if (get_str(l, "rootfsPropagation", "linux", false, &prop, err) < 0)
    return -1;
  if (prop) {
    s->rootfs_propagation = propagation_of(prop);
    if (!s->rootfs_propagation)
      return wh_error_set(err, WH_ERR_INVALID,
                          "linux.rootfsPropagation: unknown propagation %.32s", prop);
  }

  json_t *r;
  if (get_object(l, "resources", "linux", false, &r, err) < 0)
    return -1;
  if (r) {
    s->has_resources = true;
    if (parse_resources_obj(r, "linux.resources", &s->resources, err) < 0)
      return -1;
  }

  json_t *sc;
  if (get_object(l, "seccomp", "linux", false, &sc, err) < 0)
    return -1;
  if (sc) {
    s->seccomp = calloc(1, sizeof(*s->seccomp));
    if (!s->seccomp)
      return wh_error_errno(err, "linux.seccomp");
    if (parse_seccomp(sc, s->seccomp, err) < 0)
      return -1;
  }

  json_t *sy;
  if (get_object(l, "sysctl", "linux", false, &sy, err) < 0)
    return -1;
  if (sy) {
    s->sysctl = calloc(json_object_size(sy) + 1, sizeof(*s->sysctl));
    if (!s->sysctl)
      return wh_error_errno(err, "linux.sysctl");
    const char *k;
    json_t *v;
    json_object_foreach(sy, k, v) {
      char path[PATH_MAX_LEN];
      snprintf(path, sizeof(path), "linux.sysctl.%.200s", k);
      if (!*k || strstr(k, "..") || k[0] == '.' || k[0] == '/' ||
          strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/")
          != strlen(k))
        return wh_error_set(err, WH_ERR_INVALID, "%s: not a sysctl name", path);
      struct oci_kv *kv = &s->sysctl[s->n_sysctl];
      if (str_dup(v, path, &kv->value, err) < 0)
        return -1;
      s->n_sysctl++;
      kv->key = strdup(k);
      if (!kv->key)
        return wh_error_errno(err, "%s", path);
    }
  }
  return 0;
}

/* ---- top level ------------------------------------------------------ */

static json_t *load(const char *data, size_t len, const char *what,
                    struct wh_error **err)
{
  if (len > OCI_SPEC_MAX_SIZE) {
    wh_error_set(err, WH_ERR_TOO_LARGE, "%s: larger than %u bytes", what,
                 OCI_SPEC_MAX_SIZE);
    return NULL;
  }
  json_error_t je;
  json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
  if (!j && strncmp(je.text, "too big integer", 15) == 0)
    /* rlimits say "unlimited" as 2^64-1, beyond jansson's long long:
     * read numbers as doubles then (exact below 2^53; the getters take
     * integral doubles) */
    j = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &je);
  if (!j) {
    wh_error_set(err, WH_ERR_INVALID, "%s: line %d column %d: %s", what, je.line,
                 je.column, je.text);
    return NULL;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    wh_error_set(err, WH_ERR_INVALID, "%s: expected an object", what);
    return NULL;
  }
  return j;
}

static int parse_spec(json_t *root, struct oci_spec *s, struct wh_error **err)
{
  if (get_str(root, "ociVersion", "", true, &s->oci_version, err) < 0)
    return -1;
  if (strncmp(s->oci_version, "1.", 2) != 0)
    return wh_error_set(err, WH_ERR_UNSUPPORTED,
                        "ociVersion: %.32s is not a 1.x version", s->oci_version);
  json_t *r;
  if (get_object(root, "root", "", false, &r, err) < 0)
    return -1;
  if (r && (get_str(r, "path", "root", true, &s->root_path, err) < 0 ||
            get_bool(r, "readonly", "root", &s->root_readonly, err) < 0))
    return -1;
  if (get_str(root, "hostname", "", false, &s->hostname, err) < 0 ||
      get_str(root, "domainname", "", false, &s->domainname, err) < 0 ||
      parse_mounts(root, s, err) < 0 || parse_hooks(root, s, err) < 0)
    return -1;
  json_t *p;
  if (get_object(root, "process", "", false, &p, err) < 0)
    return -1;
  if (p) {
    s->has_process = true;
    if (parse_process(p, "process", &s->process, err) < 0)
      return -1;
  }
  json_t *an;
  if (get_object(root, "annotations", "", false, &an, err) < 0)
    return -1;
  if (an) {
    const char *k;
    json_t *v;
    json_object_foreach(an, k, v)
      if (!json_is_string(v))
        return wh_error_set(err, WH_ERR_INVALID, "annotations.%.64s: expected a string", k);
  }
  s->annotations_json = an ? json_dumps(an, JSON_COMPACT) : strdup("{}");
  if (!s->annotations_json)
    return wh_error_errno(err, "annotations");
  json_t *l;
  if (get_object(root, "linux", "", false, &l, err) < 0)
    return -1;
  if (l && parse_linux(l, s, err) < 0)
    return -1;
  return 0;
}

int oci_spec_parse(const char *data, size_t len, struct oci_spec *out,
                   struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  _cleanup_json_ json_t *root = load(data, len, "config.json", err);
  if (!root)
    return -1;
  if (parse_spec(root, out, err) < 0) {
    oci_spec_free(out);
    return -1;
  }
  return 0;
}

void oci_spec_free(struct oci_spec *s)
{
  free(s->oci_version);
  free(s->root_path);
  free(s->hostname);
  free(s->domainname);
  for (size_t i = 0; i < s->n_mounts; i++)
    mount_free(&s->mounts[i]);
  free(s->mounts);
  oci_process_free(&s->process);
  for (int k = 0; k < OCI_HOOK_NKINDS; k++) {
    for (size_t i = 0; i < s->n_hooks[k]; i++) {
      free(s->hooks[k][i].path);
      strv_free(s->hooks[k][i].args);
      strv_free(s->hooks[k][i].env);
    }
    free(s->hooks[k]);
  }
  free(s->annotations_json);
  for (int t = 0; t < OCI_NS_COUNT; t++)
    free(s->ns[t].path);
  free(s->uid_mappings);
  free(s->gid_mappings);
  for (size_t i = 0; i < s->n_devices; i++)
    free(s->devices[i].path);
  free(s->devices);
  free(s->cgroups_path);
  oci_resources_free(&s->resources);
  seccomp_free(s->seccomp);
  for (size_t i = 0; i < s->n_sysctl; i++) {
    free(s->sysctl[i].key);
    free(s->sysctl[i].value);
  }
  free(s->sysctl);
  strv_free(s->masked_paths);
  strv_free(s->readonly_paths);
  free(s->mount_label);
  memset(s, 0, sizeof(*s));
}

int oci_process_parse(const char *data, size_t len, struct oci_process *out,
                      struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  _cleanup_json_ json_t *root = load(data, len, "process.json", err);
  if (!root)
    return -1;
  if (parse_process(root, "process", out, err) < 0) {
    oci_process_free(out);
    return -1;
  }
  return 0;
}

int oci_resources_parse(const char *data, size_t len, struct oci_resources *out,
                        struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  _cleanup_json_ json_t *root = load(data, len, "resources", err);
  if (!root)
    return -1;
  if (parse_resources_obj(root, "resources", out, err) < 0) {
    oci_resources_free(out);
    return -1;
  }
  return 0;
}
