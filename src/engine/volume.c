/* volume.c: named and anonymous volumes, and every mount a container gets
 * from -v, --mount and --tmpfs.
 *
 * A volume is a directory ROOT/volumes/NAME/_data and a row; containers
 * that use it are rows in volume_users, so rm of a used volume is refused
 * and prune takes only unused ones. An empty volume mounted where the
 * image has a directory is first filled with that directory's contents,
 * as docker does. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/id.h"
#include "base/json.h"
#include "base/path.h"
#include "base/timeutil.h"
#include "internal.h"

static char *volume_dir(struct engine *e, const char *name)
{
  char *p = NULL;
  if (asprintf(&p, "%s/volumes/%s", e->root, name) < 0)
    return NULL;
  return p;
}

static bool valid_name(const char *n)
{
  if (!n || !isalnum((unsigned char) n[0]) || strlen(n) > 128)
    return false;
  for (const char *p = n; *p; p++)
    if (!isalnum((unsigned char) *p) && *p != '_' && *p != '.' && *p != '-')
      return false;
  return true;
}

int volume_ensure(struct engine *e, const char *name, bool anonymous,
                  char **path_out, struct wh_error **err)
{
  if (!valid_name(name))
    return wh_error_set(err, WH_ERR_INVALID, "invalid volume name \"%s\"", name);
  _cleanup_free_ char *dir = volume_dir(e, name);
  _cleanup_free_ char *data = NULL;
  if (!dir || asprintf(&data, "%s/_data", dir) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  if (db_exec(e, "INSERT OR IGNORE INTO volumes (name, created_ns, anonymous) VALUES (?,?,?)",
              "sid", err, name, wh_now_real_ns(), anonymous ? 1 : 0) < 0)
    return -1;
  if (wh_mkdir_p_at(AT_FDCWD, data, 0755, err) < 0)
    return wh_error_wrap(err, "volume %s", name);
  if (path_out)
    *path_out = steal_pointer(&data);
  return 0;
}

json_t *engine_volume_create(struct engine *e, const char *name,
                             struct wh_error **err)
{
  char id[WH_ID_LEN + 1];
  if (!name || !*name) {
    if (wh_random_id(id, err) < 0)
      return NULL;
    name = id;
  }
  _cleanup_json_ json_t *exists = db_query(e, "SELECT name FROM volumes WHERE name=?", "s", err, name);
  if (!exists)
    return NULL;
  if (volume_ensure(e, name, false, NULL, err) < 0)
    return NULL;
  return engine_volume_inspect(e, name, err);
}

static json_t *volume_obj(struct engine *e, json_t *row)
{
  const char *name = json_string_value(json_object_get(row, "name"));
  _cleanup_free_ char *dir = volume_dir(e, name);
  _cleanup_free_ char *data = NULL;
  if (!dir || asprintf(&data, "%s/_data", dir) < 0)
    return NULL;
  char ts[WH_RFC3339_MAX];
  wh_rfc3339(json_integer_value(json_object_get(row, "created_ns")), 0, ts);
  return json_pack("{s:s,s:s,s:s,s:s,s:{},s:{},s:s,s:b}", "Name", name, "Driver", "local",
                   "Mountpoint", data, "CreatedAt", ts, "Labels", "Options",
                   "Scope", "local", "Anonymous",
                   json_integer_value(json_object_get(row, "anonymous")) != 0);
}

json_t *engine_volume_list(struct engine *e, struct wh_error **err)
{
  _cleanup_json_ json_t *rows = db_query(e, "SELECT * FROM volumes ORDER BY name", "", err);
  if (!rows)
    return NULL;
  json_t *out = json_array();
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r)
    json_array_append_new(out, volume_obj(e, r));
  return out;
}

json_t *engine_volume_inspect(struct engine *e, const char *name,
                              struct wh_error **err)
{
  _cleanup_json_ json_t *rows = db_query(e, "SELECT * FROM volumes WHERE name=?", "s", err, name);
  if (!rows)
    return NULL;
  if (json_array_size(rows) == 0) {
    wh_error_set(err, WH_ERR_NOT_FOUND, "no such volume: %s", name);
    return NULL;
  }
  return volume_obj(e, json_array_get(rows, 0));
}

static int volume_delete(struct engine *e, const char *name, struct wh_error **err)
{
  _cleanup_free_ char *dir = volume_dir(e, name);
  if (!dir)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  if (wh_rm_rf_at(AT_FDCWD, dir, err) < 0)
    return wh_error_wrap(err, "remove volume %s", name);
  return db_exec(e, "DELETE FROM volumes WHERE name=?", "s", err, name);
}

int engine_volume_remove(struct engine *e, const char *name, bool force,
                         struct wh_error **err)
{
  _cleanup_json_ json_t *v = engine_volume_inspect(e, name, err);
  if (!v)
    return -1;
  _cleanup_json_ json_t *users = db_query(e, "SELECT container FROM volume_users WHERE volume=?",
                                          "s", err, name);
  if (!users)
    return -1;
  if (json_array_size(users) > 0 && !force) {
    const char *cid = json_string_value(json_object_get(json_array_get(users, 0), "container"));
    return wh_error_set(err, WH_ERR_BUSY, "volume %s is in use by container %.12s", name, cid);
  }
  return volume_delete(e, name, err);
}

int engine_volume_prune(struct engine *e, char ***names, struct wh_error **err)
{
  _cleanup_json_ json_t *rows = db_query(e,
      "SELECT name FROM volumes WHERE name NOT IN (SELECT volume FROM volume_users)"
      " ORDER BY name", "", err);
  if (!rows)
    return -1;
  size_t n = json_array_size(rows);
  _cleanup_strv_ char **out = calloc(n + 1, sizeof(char *));
  if (!out)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const char *name = json_string_value(json_object_get(json_array_get(rows, i), "name"));
    if (volume_delete(e, name, err) < 0)
      return -1;
    out[k++] = strdup(name);
  }
  *names = steal_pointer(&out);
  return 0;
}

/* Fill an empty volume directory with what the image has at target. */
static int seed(int rootfd, const char *target, const char *data, struct wh_error **err)
{
  _cleanup_close_ int src = wh_open_in_root(rootfd, target, O_DIRECTORY | O_RDONLY, 0, NULL);
  if (src < 0)
    return 0; /* nothing there in the image */
  _cleanup_close_ int dst = open(data, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dst < 0)
    return wh_error_errno(err, "open %s", data);
  _cleanup_closedir_ DIR *d = fdopendir(dup(dst));
  if (!d)
    return wh_error_errno(err, "read %s", data);
  struct dirent *de;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      return 0; /* not empty: keep what it has */
  _cleanup_closedir_ DIR *sd = fdopendir(dup(src));
  if (!sd)
    return wh_error_errno(err, "read %s in the image", target);
  while ((de = readdir(sd)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      if (cp_tree(src, de->d_name, dst, de->d_name, err) < 0)
        return wh_error_wrap(err, "copy %s of the image into the volume", target);
  return 0;
}

int volume_spec_mounts(struct engine *e, const struct ctr *c, int rootfd, json_t *mounts,
                       struct wh_error **err)
{
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(c->host_config, "Mounts"), i, m) {
    const char *type = json_string_value(json_object_get(m, "Type"));
    const char *src = json_string_value(json_object_get(m, "Source"));
    const char *dst = json_string_value(json_object_get(m, "Target"));
    bool ro = json_is_true(json_object_get(m, "ReadOnly"));
    if (!type || !dst)
      return wh_error_set(err, WH_ERR_INVALID, "mount %zu: missing Type or Target", i);
    json_t *opts = json_array();
    json_t *obj;
    if (!strcmp(type, "tmpfs")) {
      json_array_append_new(opts, json_string("nosuid"));
      json_array_append_new(opts, json_string("nodev"));
      json_int_t size = json_integer_value(json_object_get(json_object_get(m, "TmpfsOptions"), "SizeBytes"));
      if (size > 0) {
        char s[48];
        snprintf(s, sizeof(s), "size=%lld", (long long) size);
        json_array_append_new(opts, json_string(s));
      }
      obj = json_pack("{s:s,s:s,s:s}", "destination", dst, "type", "tmpfs", "source", "tmpfs");
    } else if (!strcmp(type, "bind")) {
      struct stat st;
      if (!src || stat(src, &st) < 0) {
        json_decref(opts);
        return wh_error_errno(err, "bind mount source path \"%s\" does not exist", src ? src : "");
      }
      json_array_append_new(opts, json_string("rbind"));
      json_array_append_new(opts, json_string("rprivate"));
      obj = json_pack("{s:s,s:s,s:s}", "destination", dst, "type", "bind", "source", src);
    } else {
      _cleanup_free_ char *path = NULL;
      char anon[WH_ID_LEN + 1];
      bool anonymous = !src || !*src;
      if (anonymous) {
        if (wh_random_id(anon, err) < 0) {
          json_decref(opts);
          return -1;
        }
        src = anon;
        json_object_set_new(m, "Source", json_string(anon));
      }
      if (volume_ensure(e, src, anonymous, &path, err) < 0 ||
          db_exec(e, "INSERT OR IGNORE INTO volume_users (volume, container) VALUES (?,?)",
                  "ss", err, src, c->id) < 0 || seed(rootfd, dst, path, err) < 0) {
        json_decref(opts);
        return -1;
      }
      json_array_append_new(opts, json_string("rbind"));
      json_array_append_new(opts, json_string("rprivate"));
      obj = json_pack("{s:s,s:s,s:s}", "destination", dst, "type", "bind", "source", path);
    }
    if (ro)
      json_array_append_new(opts, json_string("ro"));
    json_object_set_new(obj, "options", opts);
    json_array_append_new(mounts, obj);
  }
  return 0;
}
