/* spec.c: a container's runtime spec (config.json) from the image config
 * and the flags, by docker's rules:
 *
 * - argv: --entrypoint replaces the image's Entrypoint and then drops the
 *   image's Cmd; a command given on the line replaces the image's Cmd.
 * - env: image Env, then -e/--env-file by key; PATH, HOSTNAME, HOME and
 *   TERM (with -t) filled in when missing.
 * - user and workdir: the flag, else the image's, else root and "/"; a
 *   missing workdir is created.
 * - secure defaults: docker's capability set, podman's seccomp profile,
 *   masked and read-only /proc and /sys paths; --privileged drops all of
 *   them and gives every capability. */
#include <ctype.h>
#include <errno.h>
#include <strings.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "base/path.h"
#include "image_link.h"
#include "internal.h"
#include "oci/runtime_spec.h"

static const char *const default_caps[] = {
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
  "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
};

static const char *const masked_paths[] = {
  "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
  "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
  "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
  "/sys/devices/virtual/powercap",
};

static const char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* wharf-init: $WHARF_INIT, else next to the running wharf binary (the
 * build tree keeps it in src/engine/), else the installed libexec copy. */
static char *init_path(struct wh_error **err)
{
  const char *env = getenv("WHARF_INIT");
  if (env && *env)
    return strdup(env);
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash) {
      *slash = 0;
      static const char *const rel[] = {"wharf-init", "src/engine/wharf-init",
                                        "../libexec/wharf/wharf-init"};
      for (size_t i = 0; i < WH_ARRAY_SIZE(rel); i++) {
        char *p = NULL;
        if (asprintf(&p, "%s/%s", self, rel[i]) < 0)
          return NULL;
        if (access(p, X_OK) == 0)
          return p;
        free(p);
      }
    }
  }
  wh_error_set(err, WH_ERR_NOT_FOUND, "--init: wharf-init not found (set WHARF_INIT)");
  return NULL;
}

json_t *ctr_image_config(struct engine *e, const struct ctr *c,
                         struct wh_error **err)
{
  if (!c->image_id)
    return json_object();
  return image_config_by_id(e, c->image_id, err);
}

static int strv_append(json_t *arr, const json_t *from)
{
  size_t i;
  json_t *v;
  json_array_foreach(from, i, v)
    if (json_is_string(v) && json_array_append(arr, v) < 0)
      return -1;
  return 0;
}

int spec_process_args(const json_t *config, const json_t *image_config,
                      char ***argv_out, struct wh_error **err)
{
  const json_t *ep = json_object_get(config, "Entrypoint");
  const json_t *cmd = json_object_get(config, "Cmd");
  _cleanup_json_ json_t *argv = json_array();
  if (json_is_array(ep)) {
    strv_append(argv, ep);
    if (json_is_array(cmd))
      strv_append(argv, cmd);
  } else {
    const json_t *iep = json_object_get(image_config, "Entrypoint");
    if (json_is_array(iep))
      strv_append(argv, iep);
    if (json_is_array(cmd) && json_array_size(cmd) > 0)
      strv_append(argv, cmd);
    else if (json_is_array(json_object_get(image_config, "Cmd")))
      strv_append(argv, json_object_get(image_config, "Cmd"));
  }
  size_t n = json_array_size(argv);
  if (n == 0)
    return wh_error_set(err, WH_ERR_INVALID, "no command specified: the image has no Entrypoint or Cmd and none was given");
  char **v = calloc(n + 1, sizeof(char *));
  if (!v)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  for (size_t i = 0; i < n; i++)
    v[i] = strdup(json_string_value(json_array_get(argv, i)));
  *argv_out = v;
  return 0;
}

/* Set KEY=VALUE in an env array, replacing an entry with the same key. */
static void env_set(json_t *env, const char *kv, bool replace)
{
  const char *eq = strchr(kv, '=');
  size_t klen = eq ? (size_t) (eq - kv) : strlen(kv);
  size_t i;
  json_t *v;
  json_array_foreach(env, i, v) {
    const char *s = json_string_value(v);
    if (s && !strncmp(s, kv, klen) && (s[klen] == '=' || s[klen] == 0)) {
      if (replace)
        json_array_set_new(env, i, json_string(kv));
      return;
    }
  }
  json_array_append_new(env, json_string(kv));
}

static const char *env_get(const json_t *env, const char *key)
{
  size_t klen = strlen(key), i;
  json_t *v;
  json_array_foreach(env, i, v) {
    const char *s = json_string_value(v);
    if (s && !strncmp(s, key, klen) && s[klen] == '=')
      return s + klen + 1;
  }
  return NULL;
}

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
  const char *s = json_string_value(json_object_get(o, key));
  return s && *s ? s : dflt;
}

static bool has_str(const json_t *arr, const char *s)
{
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v)
    if (json_is_string(v) && !strcasecmp(json_string_value(v), s))
      return true;
  return false;
}

static int cap_normalize(const char *in, char *out, size_t n)
{
  if (strncasecmp(in, "CAP_", 4))
    snprintf(out, n, "CAP_%s", in);
  else
    snprintf(out, n, "%s", in);
  for (char *p = out; *p; p++)
    *p = (char) toupper((unsigned char) *p);
  return oci_cap_from_name(out) < 0 && strcmp(out, "CAP_ALL") ? -1 : 0;
}

/* "All" capabilities: those in the engine's own bounding set, since a
 * runtime cannot give more (this host lacks CAP_SYS_RESOURCE, for one). */
static void all_caps(json_t *caps)
{
  uint64_t bnd = 0;
  _cleanup_free_ char *st = NULL;
  if (wh_read_file_at(AT_FDCWD, "/proc/self/status", 65536, &st, NULL, NULL) == 0) {
    char *p = strstr(st, "\nCapBnd:");
    if (p)
      bnd = strtoull(p + 8, NULL, 16);
  }
  for (int c = 0; c <= 63; c++) {
    const char *n = oci_cap_name(c);
    if (n && (bnd >> c & 1))
      json_array_append_new(caps, json_string(n));
  }
}

/* The bounding set: docker's defaults (or all with --privileged), then
 * --cap-drop, then --cap-add, each accepting ALL. */
static json_t *capabilities(const json_t *hc, bool privileged, struct wh_error **err)
{
  json_t *caps = json_array();
  if (privileged) {
    all_caps(caps);
    return caps;
  }
  const json_t *drop = json_object_get(hc, "CapDrop");
  const json_t *add = json_object_get(hc, "CapAdd");
  char name[64];
  size_t i;
  json_t *v;
  json_array_foreach(drop, i, v)
    if (cap_normalize(json_string_value(v), name, sizeof(name)) < 0) {
      json_decref(caps);
      wh_error_set(err, WH_ERR_INVALID, "--cap-drop: unknown capability \"%s\"", json_string_value(v));
      return NULL;
    }
  json_array_foreach(add, i, v)
    if (cap_normalize(json_string_value(v), name, sizeof(name)) < 0) {
      json_decref(caps);
      wh_error_set(err, WH_ERR_INVALID, "--cap-add: unknown capability \"%s\"", json_string_value(v));
      return NULL;
    }
  bool drop_all = has_str(drop, "ALL");
  if (!drop_all)
    for (size_t k = 0; k < WH_ARRAY_SIZE(default_caps); k++) {
      bool dropped = has_str(drop, default_caps[k]) || has_str(drop, default_caps[k] + 4);
      if (!dropped)
        json_array_append_new(caps, json_string(default_caps[k]));
    }
  if (has_str(add, "ALL")) {
    json_array_clear(caps);
    all_caps(caps);
    return caps;
  }
  json_array_foreach(add, i, v) {
    cap_normalize(json_string_value(v), name, sizeof(name));
    if (!has_str(caps, name))
      json_array_append_new(caps, json_string(name));
  }
  return caps;
}

static json_t *mount_obj(const char *dst, const char *type, const char *src,
                         const char *opts_csv)
{
  json_t *opts = json_array();
  _cleanup_free_ char *w = strdup(opts_csv);
  for (char *o = w ? strtok(w, ",") : NULL; o; o = strtok(NULL, ","))
    json_array_append_new(opts, json_string(o));
  return json_pack("{s:s,s:s,s:s,s:o}", "destination", dst, "type", type,
                   "source", src, "options", opts);
}

static int add_device_rules(json_t *resources, json_t *devices, const json_t *hc,
                            bool privileged, struct wh_error **err)
{
  json_t *rules = json_array();
  json_object_set_new(resources, "devices", rules);
  if (privileged) {
    json_array_append_new(rules, json_pack("{s:b,s:s}", "allow", true, "access", "rwm"));
    return 0;
  }
  json_array_append_new(rules, json_pack("{s:b,s:s}", "allow", false, "access", "rwm"));
  /* The devices every container gets (runc's and docker's list). */
  static const struct { char type; int major, minor; } std[] = {
    {'c', 1, 3}, {'c', 1, 5}, {'c', 1, 7}, {'c', 1, 8}, {'c', 1, 9},
    {'c', 5, 0}, {'c', 5, 1}, {'c', 5, 2}, {'c', 136, -1}, {'c', 10, 200},
  };
  for (size_t i = 0; i < WH_ARRAY_SIZE(std); i++) {
    char t[2] = {std[i].type, 0};
    json_t *r = json_pack("{s:b,s:s,s:i,s:s}", "allow", true, "type", t,
                          "major", std[i].major, "access", "rwm");
    if (std[i].minor >= 0)
      json_object_set_new(r, "minor", json_integer(std[i].minor));
    json_array_append_new(rules, r);
  }
  size_t i;
  json_t *d;
  json_array_foreach(json_object_get(hc, "Devices"), i, d) {
    const char *host = json_string_value(json_object_get(d, "PathOnHost"));
    const char *in = json_string_value(json_object_get(d, "PathInContainer"));
    const char *perm = json_string_value(json_object_get(d, "CgroupPermissions"));
    struct stat st;
    if (!host || !in || stat(host, &st) < 0)
      return wh_error_errno(err, "--device %s", host ? host : "?");
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
      return wh_error_set(err, WH_ERR_INVALID, "--device %s: not a device", host);
    const char *t = S_ISCHR(st.st_mode) ? "c" : "b";
    json_array_append_new(devices, json_pack("{s:s,s:s,s:I,s:I,s:i,s:i,s:i}",
        "path", in, "type", t, "major", (json_int_t) major(st.st_rdev),
        "minor", (json_int_t) minor(st.st_rdev), "fileMode", (int) (st.st_mode & 07777),
        "uid", 0, "gid", 0));
    json_array_append_new(rules, json_pack("{s:b,s:s,s:I,s:I,s:s}", "allow", true,
        "type", t, "major", (json_int_t) major(st.st_rdev),
        "minor", (json_int_t) minor(st.st_rdev), "access", perm ? perm : "rwm"));
  }
  return 0;
}

static json_t *resources(const json_t *hc, json_t *devices, bool privileged,
                         struct wh_error **err)
{
  _cleanup_json_ json_t *r = json_object();
  json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
  if (mem > 0)
    json_object_set_new(r, "memory", json_pack("{s:I}", "limit", mem));
  json_int_t nano = json_integer_value(json_object_get(hc, "NanoCpus"));
  if (nano > 0)
    json_object_set_new(r, "cpu", json_pack("{s:I,s:I}", "quota", nano / 10000,
                                            "period", (json_int_t) 100000));
  json_int_t pids = json_integer_value(json_object_get(hc, "PidsLimit"));
  if (pids > 0)
    json_object_set_new(r, "pids", json_pack("{s:I}", "limit", pids));
  if (add_device_rules(r, devices, hc, privileged, err) < 0)
    return NULL;
  return steal_pointer(&r);
}

static int seccomp_for(const json_t *hc, json_t *caps, bool privileged,
                       json_t **out, bool *nnp, struct wh_error **err)
{
  *out = NULL;
  const char *mode = NULL;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v) {
    const char *o = json_string_value(v);
    if (!o)
      continue;
    if (!strncmp(o, "seccomp=", 8) || !strncmp(o, "seccomp:", 8))
      mode = o + 8;
    else if (!strcmp(o, "no-new-privileges") || !strcmp(o, "no-new-privileges:true") ||
             !strcmp(o, "no-new-privileges=true"))
      *nnp = true;
    else if (strcmp(o, "no-new-privileges:false") && strcmp(o, "no-new-privileges=false"))
      return wh_error_set(err, WH_ERR_INVALID, "--security-opt \"%s\": expected seccomp=unconfined|FILE or no-new-privileges", o);
  }
  if (mode && !strcmp(mode, "unconfined"))
    return 0;
  if (mode) {
    _cleanup_json_ json_t *prof = wh_json_parse_file_at(AT_FDCWD, mode, 4 << 20, err);
    if (!prof)
      return wh_error_wrap(err, "--security-opt seccomp=%s", mode);
    if (!json_is_string(json_object_get(prof, "defaultAction")))
      return wh_error_set(err, WH_ERR_INVALID, "--security-opt seccomp=%s: no defaultAction", mode);
    *out = steal_pointer(&prof);
    return 0;
  }
  if (privileged)
    return 0;
  _cleanup_strv_ char **names = calloc(json_array_size(caps) + 1, sizeof(char *));
  json_array_foreach(caps, i, v)
    names[i] = strdup(json_string_value(v));
  *out = seccomp_default_json(names);
  return 0;
}

static json_t *rlimits(const json_t *hc)
{
  json_t *out = json_array();
  size_t i;
  json_t *u;
  json_array_foreach(json_object_get(hc, "Ulimits"), i, u) {
    char name[32];
    snprintf(name, sizeof(name), "RLIMIT_%s", json_string_value(json_object_get(u, "Name")));
    for (char *p = name; *p; p++)
      *p = (char) toupper((unsigned char) *p);
    json_int_t s = json_integer_value(json_object_get(u, "Soft"));
    json_int_t h = json_integer_value(json_object_get(u, "Hard"));
    json_array_append_new(out, json_pack("{s:s,s:I,s:I}", "type", name,
                                         "soft", s < 0 ? (json_int_t) -1 : s,
                                         "hard", h < 0 ? (json_int_t) -1 : h));
  }
  return out;
}

json_t *spec_build(struct engine *e, const struct ctr *c, int rootfd,
                   struct wh_error **err)
{
  const json_t *cfg = c->config, *hc = c->host_config;
  _cleanup_json_ json_t *img = ctr_image_config(e, c, err);
  if (!img)
    return NULL;
  _cleanup_strv_ char **argv = NULL;
  if (spec_process_args(cfg, img, &argv, err) < 0)
    return NULL;
  bool privileged = json_is_true(json_object_get(hc, "Privileged"));
  bool tty = json_is_true(json_object_get(cfg, "Tty"));

  /* env */
  _cleanup_json_ json_t *env = json_array();
  if (json_is_array(json_object_get(img, "Env")))
    strv_append(env, json_object_get(img, "Env"));
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(cfg, "Env"), i, v)
    if (json_is_string(v))
      env_set(env, json_string_value(v), true);
  env_set(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", false);
  const char *hostname = str_or(cfg, "Hostname", NULL);
  char short_id[13];
  snprintf(short_id, sizeof(short_id), "%s", c->id);
  if (!hostname)
    hostname = short_id;
  _cleanup_free_ char *hn = NULL;
  if (asprintf(&hn, "HOSTNAME=%s", hostname) < 0)
    return NULL;
  env_set(env, hn, false);
  if (tty)
    env_set(env, "TERM=xterm", false);

  /* user */
  const char *user = str_or(cfg, "User", str_or(img, "User", "0"));
  uid_t uid;
  gid_t gid;
  _cleanup_free_ gid_t *groups = NULL;
  size_t n_groups = 0;
  _cleanup_free_ char *home = NULL;
  if (rootfs_lookup_user(rootfd, user, &uid, &gid, &groups, &n_groups, &home, err) < 0)
    return NULL;
  _cleanup_free_ char *homekv = NULL;
  if (asprintf(&homekv, "HOME=%s", home ? home : "/") < 0)
    return NULL;
  env_set(env, homekv, false);

  /* workdir, created like docker does */
  const char *cwd = str_or(cfg, "WorkingDir", str_or(img, "WorkingDir", "/"));
  if (cwd[0] != '/') {
    wh_error_set(err, WH_ERR_INVALID, "working directory \"%s\" is not absolute", cwd);
    return NULL;
  }
  int wfd = wh_mkdir_in_root(rootfd, cwd, 0755, err);
  if (wfd < 0) {
    wh_error_wrap(err, "working directory %s", cwd);
    return NULL;
  }
  close(wfd);
  if (rootfs_check_exec(rootfd, argv[0], env_get(env, "PATH"), cwd, err) < 0)
    return NULL;
  _cleanup_free_ char *init = NULL;
  if (json_is_true(json_object_get(hc, "Init"))) {
    init = init_path(err);
    if (!init)
      return NULL;
    size_t n = 0;
    while (argv[n])
      n++;
    char **nv = calloc(n + 3, sizeof(char *));
    if (!nv)
      return NULL;
    nv[0] = strdup("/dev/init");
    nv[1] = strdup("--");
    for (size_t k = 0; k < n; k++)
      nv[k + 2] = argv[k];
    free(argv);
    argv = nv;
  }

  bool nnp = false;
  _cleanup_json_ json_t *caps = capabilities(hc, privileged, err);
  if (!caps)
    return NULL;
  _cleanup_json_ json_t *seccomp = NULL;
  if (seccomp_for(hc, caps, privileged, &seccomp, &nnp, err) < 0)
    return NULL;

  json_t *jargv = json_array();
  for (char **a = argv; *a; a++)
    json_array_append_new(jargv, json_string(*a));
  json_t *agids = json_array();
  for (size_t k = 0; k < n_groups; k++)
    json_array_append_new(agids, json_integer(groups[k]));
  json_t *process = json_pack(
      "{s:b,s:{s:I,s:I,s:o},s:o,s:O,s:s,s:{s:O,s:O,s:O,s:O},s:b,s:o}",
      "terminal", tty, "user", "uid", (json_int_t) uid, "gid", (json_int_t) gid,
      "additionalGids", agids, "args", jargv, "env", env, "cwd", cwd,
      "capabilities", "bounding", caps, "effective", caps, "permitted", caps,
      "inheritable", caps, "noNewPrivileges", nnp, "rlimits", rlimits(hc));
  if (!json_is_true(json_object_get(hc, "Privileged")) && !nnp)
    json_object_set_new(process, "noNewPrivileges", json_false());

  /* mounts */
  _cleanup_free_ char *dir = ctr_dir(e, c->id);
  json_t *mounts = json_array();
  json_array_append_new(mounts, mount_obj("/proc", "proc", "proc", "nosuid,noexec,nodev"));
  json_array_append_new(mounts, mount_obj("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
  json_array_append_new(mounts, mount_obj("/dev/pts", "devpts", "devpts", "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
  json_array_append_new(mounts, mount_obj("/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k"));
  json_array_append_new(mounts, mount_obj("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
  json_array_append_new(mounts, mount_obj("/sys", "sysfs", "sysfs", privileged ? "nosuid,noexec,nodev" : "nosuid,noexec,nodev,ro"));
  json_array_append_new(mounts, mount_obj("/sys/fs/cgroup", "cgroup", "cgroup", privileged ? "nosuid,noexec,nodev,relatime" : "nosuid,noexec,nodev,relatime,ro"));
  static const char *const etc[] = {"hosts", "hostname", "resolv.conf"};
  for (size_t k = 0; k < WH_ARRAY_SIZE(etc); k++) {
    _cleanup_free_ char *src = NULL, *dst = NULL;
    if (asprintf(&src, "%s/%s", dir, etc[k]) < 0 || asprintf(&dst, "/etc/%s", etc[k]) < 0)
      return NULL;
    json_array_append_new(mounts, mount_obj(dst, "bind", src, "rbind,rprivate"));
  }
  if (init)
    json_array_append_new(mounts, mount_obj("/dev/init", "bind", init, "bind,ro"));
  if (volume_spec_mounts(e, c, rootfd, mounts, err) < 0) {
    json_decref(process);
    json_decref(mounts);
    return NULL;
  }

  /* linux */
  json_t *namespaces = json_pack("[{s:s},{s:s},{s:s},{s:s}]", "type", "pid",
                                 "type", "ipc", "type", "uts", "type", "mount");
  const char *netmode = str_or(hc, "NetworkMode", "bridge");
  if (!strcmp(netmode, "none")) {
    json_array_append_new(namespaces, json_pack("{s:s}", "type", "network"));
  } else if (strcmp(netmode, "host")) {
    _cleanup_free_ char *ns = net_ns_path(e, c->id);
    json_array_append_new(namespaces, json_pack("{s:s,s:s}", "type", "network", "path", ns));
  }
  json_t *devices = json_array();
  json_t *res = resources(hc, devices, privileged, err);
  if (!res) {
    json_decref(process);
    json_decref(mounts);
    json_decref(namespaces);
    json_decref(devices);
    return NULL;
  }
  _cleanup_free_ char *cgpath = NULL;
  if (asprintf(&cgpath, "/wharf/%s", c->id) < 0)
    return NULL;
  json_t *linux_ = json_pack("{s:o,s:o,s:o,s:s}", "namespaces", namespaces,
                             "resources", res, "devices", devices, "cgroupsPath", cgpath);
  if (!privileged) {
    json_t *mp = json_array(), *rp = json_array();
    for (size_t k = 0; k < WH_ARRAY_SIZE(masked_paths); k++)
      json_array_append_new(mp, json_string(masked_paths[k]));
    for (size_t k = 0; k < WH_ARRAY_SIZE(readonly_paths); k++)
      json_array_append_new(rp, json_string(readonly_paths[k]));
    json_object_set_new(linux_, "maskedPaths", mp);
    json_object_set_new(linux_, "readonlyPaths", rp);
  }
  if (seccomp)
    json_object_set(linux_, "seccomp", seccomp);

  _cleanup_free_ char *root = NULL;
  if (asprintf(&root, "%s/rootfs", dir) < 0)
    return NULL;
  bool ro = json_is_true(json_object_get(hc, "ReadonlyRootfs"));
  /* With --network host the host's name stays; UTS still gets its own
   * namespace, so setting the hostname cannot leak. */
  return json_pack("{s:s,s:{s:s,s:b},s:o,s:s,s:o,s:o}", "ociVersion", "1.0.2",
                   "root", "path", root, "readonly", ro, "process", process,
                   "hostname", hostname, "mounts", mounts, "linux", linux_);
}
