/* runtime_spec_linux.c: the spec's "linux" object: namespaces, id
 * mappings, time offsets, devices, sysctl, masked/readonly paths, rootfs
 * propagation; hands linux.resources and linux.seccomp to their own files.
 * Part of the config.json reader (runtime_spec.c has the getters). */
#include "oci/runtime_spec.h"

#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "oci/runtime_spec_internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

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

/* ---- linux ---------------------------------------------------------- */

static int parse_mappings(json_t *l, const char *key, struct oci_id_mapping **out,
                          size_t *n, struct wh_error **err)
{
  json_t *a;
  if (spec_get_array(l, key, "linux", false, &a, err) < 0)
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
      return spec_type_error(path, "an object", err);
    if (spec_get_u32(e, "containerID", path, true, &(*out)[i].container_id, err) < 0 ||
        spec_get_u32(e, "hostID", path, true, &(*out)[i].host_id, err) < 0 ||
        spec_get_u32(e, "size", path, true, &(*out)[i].size, err) < 0)
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
  if (spec_get_object(o, key, "linux.timeOffsets", false, &e, err) < 0)
    return -1;
  if (!e)
    return 0;
  struct oci_opt_i64 s = { 0 }, ns = { 0 };
  if (spec_get_i64(e, "secs", path, false, INT32_MIN, INT32_MAX, &s, err) < 0 ||
      spec_get_i64(e, "nanosecs", path, false, 0, 999999999, &ns, err) < 0)
    return -1;
  t->set = true;
  t->secs = s.v;
  t->nanosecs = (uint32_t) ns.v;
  return 0;
}

int spec_parse_linux(json_t *l, struct oci_spec *s, struct wh_error **err)
{
  if (!json_is_object(l))
    return spec_type_error("linux", "an object", err);
  json_t *a;
  if (spec_get_array(l, "namespaces", "linux", false, &a, err) < 0)
    return -1;
  size_t i;
  json_t *e;
  json_array_foreach(a, i, e) {
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof(path), "linux.namespaces[%zu]", i);
    if (!json_is_object(e))
      return spec_type_error(path, "an object", err);
    _cleanup_free_ char *type = NULL, *nspath = NULL;
    if (spec_get_str(e, "type", path, true, &type, err) < 0 ||
        spec_get_str(e, "path", path, false, &nspath, err) < 0)
      return -1;
    int t = spec_lookup(ns_names, OCI_NS_COUNT, type);
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
  if (spec_get_object(l, "timeOffsets", "linux", false, &to, err) < 0)
    return -1;
  if (to && (parse_time_offset(to, "monotonic", &s->time_monotonic, err) < 0 ||
             parse_time_offset(to, "boottime", &s->time_boottime, err) < 0))
    return -1;

  if (spec_get_array(l, "devices", "linux", false, &a, err) < 0)
    return -1;
  if (a) {
    s->devices = calloc(json_array_size(a) + 1, sizeof(*s->devices));
    if (!s->devices)
      return wh_error_errno(err, "linux.devices");
    json_array_foreach(a, i, e) {
      char path[PATH_MAX_LEN];
      snprintf(path, sizeof(path), "linux.devices[%zu]", i);
      if (!json_is_object(e))
        return spec_type_error(path, "an object", err);
      struct oci_device *d = &s->devices[i];
      s->n_devices = i + 1;
      _cleanup_free_ char *type = NULL;
      struct oci_opt_i64 mode = { 0 }, uid = { 0 }, gid = { 0 };
      if (spec_get_str(e, "path", path, true, &d->path, err) < 0 ||
          spec_get_str(e, "type", path, true, &type, err) < 0 ||
          spec_parse_dev_numbers(e, path, false, &d->major, &d->minor, err) < 0 ||
          spec_get_i64(e, "fileMode", path, false, 0, 07777, &mode, err) < 0 ||
          spec_get_i64(e, "uid", path, false, 0, UINT32_MAX, &uid, err) < 0 ||
          spec_get_i64(e, "gid", path, false, 0, UINT32_MAX, &gid, err) < 0)
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

  if (spec_get_str(l, "cgroupsPath", "linux", false, &s->cgroups_path, err) < 0 ||
      spec_get_strv(l, "maskedPaths", "linux", false, &s->masked_paths, err) < 0 ||
      spec_get_strv(l, "readonlyPaths", "linux", false, &s->readonly_paths, err) < 0 ||
      spec_get_str(l, "mountLabel", "linux", false, &s->mount_label, err) < 0)
    return -1;

  _cleanup_free_ char *prop = NULL;
  if (spec_get_str(l, "rootfsPropagation", "linux", false, &prop, err) < 0)
    return -1;
  if (prop) {
    s->rootfs_propagation = propagation_of(prop);
    if (!s->rootfs_propagation)
      return wh_error_set(err, WH_ERR_INVALID,
                          "linux.rootfsPropagation: unknown propagation %.32s", prop);
  }

  json_t *r;
  if (spec_get_object(l, "resources", "linux", false, &r, err) < 0)
    return -1;
  if (r) {
    s->has_resources = true;
    if (spec_parse_resources(r, "linux.resources", &s->resources, err) < 0)
      return -1;
  }

  json_t *sc;
  if (spec_get_object(l, "seccomp", "linux", false, &sc, err) < 0)
    return -1;
  if (sc) {
    s->seccomp = calloc(1, sizeof(*s->seccomp));
    if (!s->seccomp)
      return wh_error_errno(err, "linux.seccomp");
    if (spec_parse_seccomp(sc, s->seccomp, err) < 0)
      return -1;
  }

  json_t *sy;
  if (spec_get_object(l, "sysctl", "linux", false, &sy, err) < 0)
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
      if (spec_str_dup(v, path, &kv->value, err) < 0)
        return -1;
      s->n_sysctl++;
      kv->key = strdup(k);
      if (!kv->key)
        return wh_error_errno(err, "%s", path);
    }
  }
  return 0;
}

void spec_linux_free(struct oci_spec *s)
{
  for (int t = 0; t < OCI_NS_COUNT; t++)
    free(s->ns[t].path);
  free(s->uid_mappings);
  free(s->gid_mappings);
  for (size_t i = 0; i < s->n_devices; i++)
    free(s->devices[i].path);
  free(s->devices);
  free(s->cgroups_path);
  oci_resources_free(&s->resources);
  spec_seccomp_free(s->seccomp);
  for (size_t i = 0; i < s->n_sysctl; i++) {
    free(s->sysctl[i].key);
    free(s->sysctl[i].value);
  }
  free(s->sysctl);
  spec_strv_free(s->masked_paths);
  spec_strv_free(s->readonly_paths);
  free(s->mount_label);
}
