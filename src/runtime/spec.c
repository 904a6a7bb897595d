/* spec.c: `spec` (a default config.json, as runc and crun write it) and
 * `features` (what this runtime supports, in runc's JSON shape). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "runtime/internal.h"

static json_t *strs(const char *const *v)
{
  json_t *a = json_array();
  for (; *v; v++)
    json_array_append_new(a, json_string(*v));
  return a;
}

static json_t *mount(const char *dst, const char *type, const char *src,
                     const char *const *opts)
{
  return json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", type, "source",
                   src, "options", strs(opts));
}

char *runtime_default_spec(bool rootless, struct wh_error **err)
{
  static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL",
                                      "CAP_NET_BIND_SERVICE", NULL };
  static const char *const env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
    NULL };
  static const char *const args[] = { "sh", NULL };
  static const char *const o_proc[] = { NULL };
  static const char *const o_dev[] = { "nosuid", "strictatime", "mode=755",
                                       "size=65536k", NULL };
  static const char *const o_pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                       "mode=0620", "gid=5", NULL };
  static const char *const o_pts_rootless[] = { "nosuid", "noexec", "newinstance",
                                                "ptmxmode=0666", "mode=0620", NULL };
  static const char *const o_shm[] = { "nosuid", "noexec", "nodev", "mode=1777",
                                       "size=65536k", NULL };
  static const char *const o_mq[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const o_sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const o_sys_rootless[] = { "rbind", "nosuid", "noexec", "nodev",
                                                "ro", NULL };
  static const char *const o_cg[] = { "nosuid", "noexec", "nodev", "relatime", "ro",
                                      NULL };
  static const char *const masked[] = {
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
    "/proc/scsi", NULL };
  static const char *const ro[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                    "/proc/sysrq-trigger", NULL };

  json_t *mounts = json_array();
  json_array_append_new(mounts, mount("/proc", "proc", "proc", o_proc));
  json_array_append_new(mounts, mount("/dev", "tmpfs", "tmpfs", o_dev));
  json_array_append_new(mounts, mount("/dev/pts", "devpts", "devpts",
                                      rootless ? o_pts_rootless : o_pts));
  json_array_append_new(mounts, mount("/dev/shm", "tmpfs", "shm", o_shm));
  json_array_append_new(mounts, mount("/dev/mqueue", "mqueue", "mqueue", o_mq));
  if (rootless)
    json_array_append_new(mounts, mount("/sys", "none", "/sys", o_sys_rootless));
  else {
    json_array_append_new(mounts, mount("/sys", "sysfs", "sysfs", o_sys));
    json_array_append_new(mounts, mount("/sys/fs/cgroup", "cgroup", "cgroup", o_cg));
  }

  json_t *ns = json_array();
  static const char *const nss[] = { "pid", "network", "ipc", "uts", "mount", "cgroup",
                                     NULL };
  for (const char *const *n = nss; *n; n++)
    if (!rootless || strcmp(*n, "network") != 0)
      json_array_append_new(ns, json_pack("{s:s}", "type", *n));
  json_t *lx = json_pack("{s:o, s:o, s:o}", "namespaces", ns, "maskedPaths",
                            strs(masked), "readonlyPaths", strs(ro));
  if (rootless) {
    json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
    json_object_set_new(lx, "uidMappings", json_pack("[{s:i, s:i, s:i}]",
        "containerID", 0, "hostID", (int) getuid(), "size", 1));
    json_object_set_new(lx, "gidMappings", json_pack("[{s:i, s:i, s:i}]",
        "containerID", 0, "hostID", (int) getgid(), "size", 1));
  } else {
    json_object_set_new(lx, "resources", json_pack("{s:[{s:b, s:s}]}", "devices",
                                                      "allow", 0, "access", "rwm"));
  }

  _cleanup_json_ json_t *j = json_pack(
      "{s:s, s:{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:{s:o, s:o, s:o, s:o}, "
      "s:[{s:s, s:i, s:i}], s:b}, s:{s:s, s:b}, s:s, s:o, s:o}",
      "ociVersion", "1.1.0",
      "process", "terminal", 1, "user", "uid", 0, "gid", 0, "args", strs(args), "env",
      strs(env), "cwd", "/", "capabilities", "bounding", strs(caps), "effective",
      strs(caps), "permitted", strs(caps), "ambient", strs(caps), "rlimits", "type",
      "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1,
      "root", "path", "rootfs", "readonly", 1,
      "hostname", "wharf", "mounts", mounts, "linux", lx);
  if (!j) {
    wh_error_set(err, WH_ERR_INTERNAL, "spec: cannot build JSON");
    return NULL;
  }
  char *s = json_dumps(j, JSON_INDENT(2));
  if (!s)
    wh_error_errno(err, "spec");
  return s;
}

char *runtime_features_json(struct wh_error **err)
{
  static const char *const hooks[] = { "prestart", "createRuntime", "createContainer",
                                       "startContainer", "poststart", "poststop", NULL };
  static const char *const mopts[] = {
    "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
    "mand", "noatime", "nodev", "nodiratime", "noexec", "nomand", "norelatime",
    "nostrictatime", "nosuid", "private", "rbind", "rdev", "rdiratime", "relatime",
    "remount", "rexec", "rnoatime", "rnodev", "rnodiratime", "rnoexec", "rnosuid",
    "ro", "rprivate", "rro", "rrw", "rshared", "rslave", "rstrictatime", "rsuid",
    "runbindable", "rw", "shared", "slave", "strictatime", "suid", "sync",
    "unbindable", NULL };
  static const char *const nss[] = { "cgroup", "ipc", "mount", "network", "pid", "time",
                                     "user", "uts", NULL };
  static const char *const actions[] = {
    "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
    "SCMP_ACT_TRAP", NULL };
  static const char *const ops[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                                     "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
                                     "SCMP_CMP_NE", NULL };
  static const char *const archs[] = { "SCMP_ARCH_X86", "SCMP_ARCH_X86_64",
                                       "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
                                       "SCMP_ARCH_ARM", NULL };
  static const char *const flags[] = { "SECCOMP_FILTER_FLAG_LOG",
                                       "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                       "SECCOMP_FILTER_FLAG_TSYNC", NULL };
  json_t *caps = json_array();
  for (int c = 0; oci_cap_name(c); c++)
    json_array_append_new(caps, json_string(oci_cap_name(c)));
  _cleanup_json_ json_t *j = json_pack(
      "{s:s, s:s, s:o, s:o, s:{s:o, s:o, s:{s:b, s:b, s:b, s:b}, s:{s:b, s:o, s:o, s:o, "
      "s:o, s:o}, s:{s:b}, s:{s:b}, s:{s:b}}, s:{s:s}}",
      "ociVersionMin", "1.0.0", "ociVersionMax", "1.1.0", "hooks", strs(hooks),
      "mountOptions", strs(mopts), "linux", "namespaces", strs(nss), "capabilities", caps,
      "cgroup", "v1", 1, "v2", 1, "systemd", 0, "systemdUser", 0, "seccomp", "enabled", 1,
      "actions", strs(actions), "operators", strs(ops), "archs", strs(archs),
      "knownFlags", strs(flags), "supportedFlags", strs(flags), "apparmor", "enabled", 0,
      "selinux", "enabled", 0, "intelRdt", "enabled", 0, "annotations",
      "io.github.wharf.runtime.version", WHARF_VERSION);
  if (!j) {
    wh_error_set(err, WH_ERR_INTERNAL, "features: cannot build JSON");
    return NULL;
  }
  char *s = json_dumps(j, JSON_INDENT(2));
  if (!s)
    wh_error_errno(err, "features");
  return s;
}
