/* runtime_spec.c: config.json → struct oci_spec, validated as it is read.
 *
 * The only reader of an untrusted config.json (fuzzed). Each helper gets
 * the field's place ("process.capabilities.bounding[3]") so every error
 * names it. Getters here work on jansson directly because the places of
 * array elements are built as we walk. This file reads the top level
 * (root, mounts, hostname, hooks, annotations); process, linux,
 * linux.resources and linux.seccomp have runtime_spec_<section>.c. */
#include "oci/runtime_spec.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "oci/runtime_spec_internal.h"

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

/* ---- names ---------------------------------------------------------- */

static const char *const hook_names[OCI_HOOK_NKINDS] = {
  "prestart", "createRuntime", "createContainer", "startContainer",
  "poststart", "poststop"
};
const char *oci_hook_kind_name(enum oci_hook_kind k) { return hook_names[k]; }

/* ---- typed getters that name the field ------------------------------ */

int spec_type_error(const char *path, const char *what, struct wh_error **err)
{
  return wh_error_set(err, WH_ERR_INVALID, "%s: expected %s", path, what);
}

/* The place of member key of parent ("process.cwd"; "hostname" at the
 * top, where parent is ""). */
static void place(char path[static PATH_MAX_LEN], const char *parent, const char *key)
{
  snprintf(path, PATH_MAX_LEN, "%s%s%s", parent, *parent ? "." : "", key);
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

int spec_str_dup(json_t *v, const char *path, char **out, struct wh_error **err)
{
  if (!json_is_string(v))
    return spec_type_error(path, "a string", err);
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

int spec_get_str(json_t *obj, const char *key, const char *parent,
                 bool required, char **out, struct wh_error **err)
{
  char path[PATH_MAX_LEN];
  place(path, parent, key);
  json_t *v;
  if (member(obj, key, path, required, &v, err) < 0)
    return -1;
  if (!v)
    return 0;
  free(*out);
  *out = NULL;
  return spec_str_dup(v, path, out, err);
}

int spec_get_bool(json_t *obj, const char *key, const char *parent,
                  bool *out, struct wh_error **err)
{
  char path[PATH_MAX_LEN];
  place(path, parent, key);
  json_t *v;
  if (member(obj, key, path, false, &v, err) < 0)
    return -1;
  if (!v)
    return 0;
  if (!json_is_boolean(v))
    return spec_type_error(path, "true or false", err);
  *out = json_is_true(v);
  return 0;
}

/* An integer, or an integral double when numbers were read as doubles
 * (see load()). */
bool spec_as_int(json_t *v, json_int_t *out)
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

int spec_get_i64(json_t *obj, const char *key, const char *parent,
                 bool required, int64_t min, int64_t max,
                 struct oci_opt_i64 *out, struct wh_error **err)
{
  char path[PATH_MAX_LEN];
  place(path, parent, key);
  json_t *v;
  if (member(obj, key, path, required, &v, err) < 0)
    return -1;
  if (!v)
    return 0;
  json_int_t n;
  if (!spec_as_int(v, &n))
    return spec_type_error(path, "an integer", err);
  if (n < min || n > max)
    return wh_error_set(err, WH_ERR_INVALID,
                        "%s: %lld is out of range [%" PRId64 ", %" PRId64 "]",
                        path, (long long) n, min, max);
  out->set = true;
  out->v = n;
  return 0;
}

int spec_get_u32(json_t *obj, const char *key, const char *parent,
                 bool required, uint32_t *out, struct wh_error **err)
{
  struct oci_opt_i64 o = { 0 };
  if (spec_get_i64(obj, key, parent, required, 0, UINT32_MAX, &o, err) < 0)
    return -1;
  if (o.set)
    *out = (uint32_t) o.v;
  return 0;
}

/* An unsigned 64-bit value: jansson holds integers as long long, so the
 * upper half of the range (rlimit "infinity" = 2^64-1) arrives as a
 * negative number or a real; accept both as the spec's uint64. */
int spec_get_u64(json_t *obj, const char *key, const char *parent,
                 bool required, uint64_t *out, struct wh_error **err)
{
  char path[PATH_MAX_LEN];
  place(path, parent, key);
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
  return spec_type_error(path, "an unsigned integer", err);
}

/* An array member with a bounded length; absent gives NULL. */
int spec_get_array(json_t *obj, const char *key, const char *parent,
                   bool required, json_t **out, struct wh_error **err)
{
  char path[PATH_MAX_LEN];
  place(path, parent, key);
  if (member(obj, key, path, required, out, err) < 0)
    return -1;
  if (!*out)
    return 0;
  if (!json_is_array(*out))
    return spec_type_error(path, "an array", err);
  if (json_array_size(*out) > OCI_SPEC_MAX_ARRAY)
    return wh_error_set(err, WH_ERR_TOO_LARGE, "%s: more than %u entries",
                        path, OCI_SPEC_MAX_ARRAY);
  return 0;
}

int spec_get_object(json_t *obj, const char *key, const char *parent,
                    bool required, json_t **out, struct wh_error **err)
{
  char path[PATH_MAX_LEN];
  place(path, parent, key);
  if (member(obj, key, path, required, out, err) < 0)
    return -1;
  if (*out && !json_is_object(*out))
    return spec_type_error(path, "an object", err);
  if (*out && json_object_size(*out) > OCI_SPEC_MAX_ARRAY)
    return wh_error_set(err, WH_ERR_TOO_LARGE, "%s: more than %u members",
                        path, OCI_SPEC_MAX_ARRAY);
  return 0;
}

int spec_get_strv(json_t *obj, const char *key, const char *parent,
                  bool required, char ***out, struct wh_error **err)
{
  char path[PATH_MAX_LEN];
  place(path, parent, key);
  json_t *a;
  if (spec_get_array(obj, key, parent, required, &a, err) < 0)
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
    if (spec_str_dup(json_array_get(a, i), ep, &v[i], err) < 0)
      return -1;
  }
  wh_strvfreep(out);
  *out = steal_pointer(&v);
  return 0;
}

void spec_strv_free(char **v)
{
  wh_strvfreep(&v);
}

int spec_lookup(const char *const *names, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (names[i] && strcmp(names[i], s) == 0)
      return (int) i;
  return -1;
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
  if (spec_get_array(root, "mounts", "", false, &a, err) < 0)
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
      return spec_type_error(path, "an object", err);
    struct oci_mount *om = &s->mounts[i];
    s->n_mounts = i + 1;
    if (spec_get_str(m, "destination", path, true, &om->destination, err) < 0 ||
        spec_get_str(m, "type", path, false, &om->type, err) < 0 ||
        spec_get_str(m, "source", path, false, &om->source, err) < 0 ||
        spec_get_strv(m, "options", path, false, &om->options, err) < 0)
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
  spec_strv_free(m->options);
  free(m->data);
}

/* ---- hooks ---------------------------------------------------------- */

static int parse_hooks(json_t *root, struct oci_spec *s, struct wh_error **err)
{
  json_t *h;
  if (spec_get_object(root, "hooks", "", false, &h, err) < 0)
    return -1;
  if (!h)
    return 0;
  for (int k = 0; k < OCI_HOOK_NKINDS; k++) {
    json_t *a;
    if (spec_get_array(h, hook_names[k], "hooks", false, &a, err) < 0)
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
        return spec_type_error(path, "an object", err);
      struct oci_hook *hk = &s->hooks[k][i];
      s->n_hooks[k] = i + 1;
      struct oci_opt_i64 t = { 0 };
      if (spec_get_str(e, "path", path, true, &hk->path, err) < 0 ||
          spec_get_strv(e, "args", path, false, &hk->args, err) < 0 ||
          spec_get_strv(e, "env", path, false, &hk->env, err) < 0 ||
          spec_get_i64(e, "timeout", path, false, 1, 86400, &t, err) < 0)
        return -1;
      if (hk->path[0] != '/')
        return wh_error_set(err, WH_ERR_INVALID, "%s.path: must be absolute", path);
      hk->timeout = (int) t.v;
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
  if (spec_get_str(root, "ociVersion", "", true, &s->oci_version, err) < 0)
    return -1;
  if (strncmp(s->oci_version, "1.", 2) != 0)
    return wh_error_set(err, WH_ERR_UNSUPPORTED,
                        "ociVersion: %.32s is not a 1.x version", s->oci_version);
  json_t *r;
  if (spec_get_object(root, "root", "", false, &r, err) < 0)
    return -1;
  if (r && (spec_get_str(r, "path", "root", true, &s->root_path, err) < 0 ||
            spec_get_bool(r, "readonly", "root", &s->root_readonly, err) < 0))
    return -1;
  if (spec_get_str(root, "hostname", "", false, &s->hostname, err) < 0 ||
      spec_get_str(root, "domainname", "", false, &s->domainname, err) < 0 ||
      parse_mounts(root, s, err) < 0 || parse_hooks(root, s, err) < 0)
    return -1;
  json_t *p;
  if (spec_get_object(root, "process", "", false, &p, err) < 0)
    return -1;
  if (p) {
    s->has_process = true;
    if (spec_parse_process(p, "process", &s->process, err) < 0)
      return -1;
  }
  json_t *an;
  if (spec_get_object(root, "annotations", "", false, &an, err) < 0)
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
  if (spec_get_object(root, "linux", "", false, &l, err) < 0)
    return -1;
  if (l && spec_parse_linux(l, s, err) < 0)
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
      spec_strv_free(s->hooks[k][i].args);
      spec_strv_free(s->hooks[k][i].env);
    }
    free(s->hooks[k]);
  }
  free(s->annotations_json);
  spec_linux_free(s);
  memset(s, 0, sizeof(*s));
}

int oci_process_parse(const char *data, size_t len, struct oci_process *out,
                      struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  _cleanup_json_ json_t *root = load(data, len, "process.json", err);
  if (!root)
    return -1;
  if (spec_parse_process(root, "process", out, err) < 0) {
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
  if (spec_parse_resources(root, "resources", out, err) < 0) {
    oci_resources_free(out);
    return -1;
  }
  return 0;
}
