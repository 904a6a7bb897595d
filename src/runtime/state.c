/* state.c: the state directory <root>/<id>/, its lock and state.json.
 *
 * state.json holds what later commands need (init's pid and start time,
 * bundle, rootfs, cgroup path); config.json next to it is the bundle's
 * config as create read it, so poststop hooks, exec and update use the
 * config the container was made with even if the bundle changes. The
 * status is never stored: it is derived from init and the exec fifo. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/id.h"
#include "base/json.h"
#include "runtime/internal.h"

#define STATE_MAX_SIZE (1u << 20)

const char *rt_root(const struct runtime_ctx *ctx)
{
  const char *r = ctx ? ctx->root : NULL;
  return r && *r ? r : RUNTIME_DEFAULT_ROOT;
}

/* "<root>/<id>", or NULL on ENOMEM. */
static char *state_dir_of(const struct runtime_ctx *ctx, const char *id)
{
  char *s = NULL;
  const char *root = rt_root(ctx);
  size_t n = strlen(root) + strlen(id) + 2;
  s = malloc(n);
  if (s)
    snprintf(s, n, "%s/%s", root, id);
  return s;
}

const char *runtime_status_name(enum runtime_status s)
{
  static const char *const names[] = { "creating", "created", "running",
                                       "paused", "stopped" };
  return names[s];
}

int rt_check_id(const char *id, struct wh_error **err)
{
  size_t n = id ? strlen(id) : 0;
  if (n == 0)
    return wh_error_set(err, WH_ERR_INVALID, "container id: empty");
  if (n > RUNTIME_ID_MAX)
    return wh_error_set(err, WH_ERR_INVALID, "container id: longer than %d bytes",
                        RUNTIME_ID_MAX);
  static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789_.+-";
  if (strspn(id, ok) != n || id[0] == '.' || id[0] == '-' || id[0] == '+' ||
      id[0] == '_')
    return wh_error_set(err, WH_ERR_INVALID,
                        "container id %.64s: only letters, digits and _.+- allowed, "
                        "starting with a letter or digit", id);
  return 0;
}

static int open_root(const struct runtime_ctx *ctx, bool create,
                     struct wh_error **err)
{
  const char *root = rt_root(ctx);
  if (create && mkdir(root, 0700) < 0 && errno != EEXIST) {
    if (errno != ENOENT || wh_mkdir_p_at(AT_FDCWD, root, 0700, err) < 0)
      return wh_error_errno(err, "state root %s", root);
  }
  int fd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return wh_error_errno(err, "state root %s", root);
  return fd;
}

static void container_init(struct rt_container *c)
{
  memset(c, 0, sizeof(*c));
  c->dirfd = c->lockfd = -1;
}

/* A directory <id> whose creator died: its lock is free (the creator holds
 * it from before the name exists, see rt_container_new) and it has no
 * state.json. Removed so the id can be used again. */
static bool remove_if_stale(int rootfd, const char *id)
{
  _cleanup_close_ int dfd = openat(rootfd, id, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (dfd < 0)
    return false;
  _cleanup_close_ int lfd = openat(dfd, "lock", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) < 0)
    return false;
  if (faccessat(dfd, "state.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return false;
  return wh_rm_rf_at(rootfd, id, NULL) == 0;
}

int rt_container_new(const struct runtime_ctx *ctx, const char *id,
                     struct rt_container *c, struct wh_error **err)
{
  container_init(c);
  if (rt_check_id(id, err) < 0)
    return -1;
  _cleanup_close_ int rootfd = open_root(ctx, true, err);
  if (rootfd < 0)
    return -1;
  /* The directory is made under a temporary name, locked, and only then
   * renamed to <id> (never replacing one): a directory named <id> is
   * locked by its creator from the first moment, so one without a lock
   * holder and without state.json is known to be stale. */
  char tmp[64];
  unsigned long long r = 0;
  if (wh_random_bytes(&r, sizeof(r), err) < 0)
    return -1;
  snprintf(tmp, sizeof(tmp), ".new-%016llx", r);
  if (mkdirat(rootfd, tmp, 0711) < 0)
    return wh_error_errno(err, "state directory %s", rt_root(ctx));
  c->dirfd = openat(rootfd, tmp, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (c->dirfd >= 0)
    c->lockfd = openat(c->dirfd, "lock", O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (c->dirfd < 0 || c->lockfd < 0 || flock(c->lockfd, LOCK_EX) < 0) {
    wh_error_errno(err, "state directory %s/%s", rt_root(ctx), tmp);
    wh_rm_rf_at(rootfd, tmp, NULL);
    rt_container_close(c);
    return -1;
  }
  int rc = (int) syscall(SYS_renameat2, rootfd, tmp, rootfd, id, RENAME_NOREPLACE);
  if (rc < 0 && errno == EEXIST && remove_if_stale(rootfd, id))
    rc = (int) syscall(SYS_renameat2, rootfd, tmp, rootfd, id, RENAME_NOREPLACE);
  if (rc < 0) {
    if (errno == EEXIST)
      wh_error_set(err, WH_ERR_EXISTS, "container %s already exists", id);
    else
      wh_error_errno(err, "state directory %s/%s", rt_root(ctx), id);
    wh_rm_rf_at(rootfd, tmp, NULL);
    rt_container_close(c);
    return -1;
  }
  c->id = strdup(id);
  c->state_dir = state_dir_of(ctx, id);
  if (!c->id || !c->state_dir) {
    wh_error_errno(err, "create");
    wh_rm_rf_at(rootfd, id, NULL);
    rt_container_close(c);
    return -1;
  }
  return 0;
}

void rt_container_close(struct rt_container *c)
{
  wh_closep(&c->dirfd);
  wh_closep(&c->lockfd);   /* releases the flock */
  free(c->id);
  free(c->state_dir);
  free(c->bundle);
  free(c->rootfs);
  free(c->created);
  free(c->cgroup_path);
  container_init(c);
}

/* Replace dirfd/name atomically (temporary file + rename) without fsync:
 * runtime state lives in /run (tmpfs) and means nothing after a reboot,
 * so readers only need never to see a half-written file; an fsync here
 * would cost more than the rest of `create`. */
int rt_write_file_replace(int dirfd, const char *name, const void *data, size_t len,
                          mode_t mode, struct wh_error **err)
{
  char tmp[300];
  if (strlen(name) > 200)
    return wh_error_set(err, WH_ERR_INVALID, "%s: name too long", name);
  unsigned r = 0;
  if (wh_random_bytes(&r, sizeof(r), err) < 0)
    return -1;
  snprintf(tmp, sizeof(tmp), ".tmp-%s-%08x", name, r);
  _cleanup_close_ int fd = openat(dirfd, tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC |
                                  O_NOFOLLOW, mode);
  if (fd < 0)
    return wh_error_errno(err, "%s", name);
  if (wh_write_all(fd, data, len, err) < 0 || renameat(dirfd, tmp, dirfd, name) < 0) {
    int e = errno;
    unlinkat(dirfd, tmp, 0);
    errno = e;
    return err && *err ? -1 : wh_error_errno(err, "%s", name);
  }
  return 0;
}

int rt_state_write(struct rt_container *c, struct wh_error **err)
{
  _cleanup_json_ json_t *j = json_pack(
      "{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:b, s:b}",
      "ociVersion", "1.1.0", "id", c->id, "pid", (json_int_t) c->pid,
      "start_time", (json_int_t) c->start_time, "bundle", c->bundle ? c->bundle : "",
      "rootfs", c->rootfs ? c->rootfs : "", "created", c->created ? c->created : "",
      "cgroup_path", c->cgroup_path ? c->cgroup_path : "",
      "systemd_cgroup", c->systemd_cgroup, "no_pivot", c->no_pivot);
  if (!j)
    return wh_error_set(err, WH_ERR_INTERNAL, "state.json: cannot build");
  _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
  if (!s)
    return wh_error_errno(err, "state.json");
  if (rt_write_file_replace(c->dirfd, "state.json", s, strlen(s), 0600, err) < 0)
    return wh_error_wrap(err, "container %s", c->id);
  return 0;
}

static int state_read(struct rt_container *c, struct wh_error **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (wh_read_file_at(c->dirfd, "state.json", STATE_MAX_SIZE, &data, &len, err) < 0)
    return -1;
  _cleanup_json_ json_t *j = wh_json_parse(data, len, "state.json", err);
  if (!j)
    return -1;
  const char *bundle = "", *rootfs = "", *created = "", *cg = "";
  int64_t pid = 0, st = 0;
  bool sd = false, np = false;
  if (wh_json_get_int(j, "pid", "state", true, &pid, err) < 0 ||
      wh_json_get_int(j, "start_time", "state", false, &st, err) < 0 ||
      wh_json_get_string(j, "bundle", "state", false, &bundle, err) < 0 ||
      wh_json_get_string(j, "rootfs", "state", false, &rootfs, err) < 0 ||
      wh_json_get_string(j, "created", "state", false, &created, err) < 0 ||
      wh_json_get_string(j, "cgroup_path", "state", false, &cg, err) < 0 ||
      wh_json_get_bool(j, "systemd_cgroup", "state", false, &sd, err) < 0 ||
      wh_json_get_bool(j, "no_pivot", "state", false, &np, err) < 0)
    return -1;
  c->pid = (pid_t) pid;
  c->start_time = (unsigned long long) st;
  c->bundle = strdup(bundle);
  c->rootfs = strdup(rootfs);
  c->created = strdup(created);
  c->cgroup_path = strdup(cg);
  c->systemd_cgroup = sd;
  c->no_pivot = np;
  if (!c->bundle || !c->rootfs || !c->created || !c->cgroup_path)
    return wh_error_errno(err, "state.json");
  return 0;
}

int rt_container_open(const struct runtime_ctx *ctx, const char *id,
                      bool exclusive, struct rt_container *c,
                      struct wh_error **err)
{
  container_init(c);
  if (rt_check_id(id, err) < 0)
    return -1;
  _cleanup_close_ int rootfd = open_root(ctx, false, err);
  if (rootfd < 0) {
    if (err && *err && (*err)->kind == WH_ERR_NOT_FOUND) {
      wh_error_freep(err);
      return wh_error_set(err, WH_ERR_NOT_FOUND, "container %s does not exist", id);
    }
    return -1;
  }
  c->dirfd = openat(rootfd, id, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (c->dirfd < 0) {
    if (errno == ENOENT)
      return wh_error_set(err, WH_ERR_NOT_FOUND, "container %s does not exist", id);
    return wh_error_errno(err, "container %s", id);
  }
  c->lockfd = openat(c->dirfd, "lock", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (c->lockfd < 0 || flock(c->lockfd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
    int e = errno;
    rt_container_close(c);
    errno = e;
    if (e == ENOENT)
      return wh_error_set(err, WH_ERR_NOT_FOUND, "container %s does not exist", id);
    return wh_error_errno(err, "container %s: lock", id);
  }
  c->id = strdup(id);
  c->state_dir = state_dir_of(ctx, id);
  /* Locked: a concurrent delete may have removed it while we waited, or a
   * create may still be in progress (no state.json yet). */
  if (faccessat(c->dirfd, "state.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
    rt_container_close(c);
    return wh_error_set(err, WH_ERR_NOT_FOUND, "container %s does not exist", id);
  }
  if (!c->id || !c->state_dir || state_read(c, err) < 0) {
    rt_container_close(c);
    return wh_error_wrap(err, "container %s", id);
  }
  return 0;
}

int rt_state_remove(const struct runtime_ctx *ctx, struct rt_container *c,
                    struct wh_error **err)
{
  _cleanup_close_ int rootfd = open_root(ctx, false, err);
  if (rootfd < 0)
    return -1;
  if (wh_rm_rf_at(rootfd, c->id, err) < 0)
    return wh_error_wrap(err, "container %s: state directory", c->id);
  return 0;
}

unsigned long long rt_pid_start_time(pid_t pid)
{
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  if (n <= 0)
    return 0;
  buf[n] = 0;
  /* comm may hold spaces and parentheses: fields start after the last ')' */
  char *p = strrchr(buf, ')');
  if (!p)
    return 0;
  char state = p[2];
  if (state == 'Z' || state == 'X')
    return 0;
  p += 2;
  /* p is at field 3 (state); start time is field 22 */
  for (int f = 3; f < 22 && p; f++) {
    p = strchr(p, ' ');
    if (p)
      p++;
  }
  return p ? strtoull(p, NULL, 10) : 0;
}

bool rt_pid_alive(pid_t pid, unsigned long long start_time)
{
  if (pid <= 0)
    return false;
  unsigned long long st = rt_pid_start_time(pid);
  return st != 0 && st == start_time;
}

enum runtime_status rt_status(struct rt_container *c)
{
  if (c->pid <= 0)
    return RUNTIME_CREATING;
  if (!rt_pid_alive(c->pid, c->start_time))
    return RUNTIME_STOPPED;
  if (faccessat(c->dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return RUNTIME_CREATED;
  struct rt_cgroup cg = { 0 };
  bool frozen = false;
  if (c->cgroup_path[0] && rt_cgroup_open(&cg, c->cgroup_path, NULL) == 0) {
    cg.ops->is_frozen(&cg, &frozen);
    rt_cgroup_clear(&cg);
  }
  return frozen ? RUNTIME_PAUSED : RUNTIME_RUNNING;
}

int rt_load_spec(struct rt_container *c, struct oci_spec *spec,
                 struct wh_error **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (wh_read_file_at(c->dirfd, "config.json", OCI_SPEC_MAX_SIZE, &data, &len, err) < 0 ||
      oci_spec_parse(data, len, spec, err) < 0)
    return wh_error_wrap(err, "container %s", c->id);
  return 0;
}

int rt_load_spec_with(struct rt_container *c, const char *key, struct oci_spec *spec,
                      bool *loaded, struct wh_error **err)
{
  *loaded = false;
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (wh_read_file_at(c->dirfd, "config.json", OCI_SPEC_MAX_SIZE, &data, &len, err) < 0)
    return wh_error_wrap(err, "container %s", c->id);
  /* A member named key appears as "key" unless written with \u escapes:
   * without either, the spec cannot have it, and parsing can wait. */
  char quoted[64];
  snprintf(quoted, sizeof(quoted), "\"%s\"", key);
  if (!memmem(data, len, quoted, strlen(quoted)) && !memmem(data, len, "\\u", 2))
    return 0;
  if (oci_spec_parse(data, len, spec, err) < 0)
    return wh_error_wrap(err, "container %s", c->id);
  *loaded = true;
  return 0;
}

void runtime_state_clear(struct runtime_state *st)
{
  free(st->id);
  free(st->bundle);
  free(st->rootfs);
  free(st->created);
  free(st->owner);
  free(st->annotations_json);
  memset(st, 0, sizeof(*st));
}

int rt_fill_state(struct rt_container *c, const struct oci_spec *spec,
                  struct runtime_state *st, struct wh_error **err)
{
  memset(st, 0, sizeof(*st));
  st->status = rt_status(c);
  st->pid = st->status == RUNTIME_STOPPED ? 0 : c->pid;
  st->id = strdup(c->id);
  st->bundle = strdup(c->bundle);
  st->rootfs = strdup(c->rootfs);
  st->created = strdup(c->created);
  st->owner = strdup("");
  st->annotations_json = strdup(spec && spec->annotations_json ? spec->annotations_json
                                                                : "{}");
  if (!st->id || !st->bundle || !st->rootfs || !st->created || !st->owner ||
      !st->annotations_json) {
    runtime_state_clear(st);
    return wh_error_errno(err, "state");
  }
  return 0;
}

char *runtime_state_json(const struct runtime_state *st, bool pretty,
                         struct wh_error **err)
{
  json_error_t je;
  json_t *ann = json_loads(st->annotations_json ? st->annotations_json : "{}", 0, &je);
  _cleanup_json_ json_t *j = json_pack(
      "{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:o}", "ociVersion", "1.1.0", "id",
      st->id, "status", runtime_status_name(st->status), "pid", (int) st->pid,
      "bundle", st->bundle, "rootfs", st->rootfs, "created", st->created, "owner",
      st->owner ? st->owner : "", "annotations", ann ? ann : json_object());
  if (!j) {
    wh_error_set(err, WH_ERR_INTERNAL, "state: cannot build JSON");
    return NULL;
  }
  char *s = json_dumps(j, pretty ? JSON_INDENT(2) : JSON_COMPACT);
  if (!s)
    wh_error_errno(err, "state");
  return s;
}

int runtime_state(const struct runtime_ctx *ctx, const char *id,
                  struct runtime_state *out, struct wh_error **err)
{
  struct rt_container c;
  if (rt_container_open(ctx, id, false, &c, err) < 0)
    return -1;
  struct oci_spec spec;
  int r = -1;
  if (rt_load_spec(&c, &spec, err) == 0) {
    r = rt_fill_state(&c, &spec, out, err);
    oci_spec_free(&spec);
  }
  rt_container_close(&c);
  return r;
}

static int cmp_state(const void *a, const void *b)
{
  return strcmp(((const struct runtime_state *) a)->id,
                ((const struct runtime_state *) b)->id);
}

int runtime_list(const struct runtime_ctx *ctx, struct runtime_state **out,
                 size_t *n_out, struct wh_error **err)
{
  *out = NULL;
  *n_out = 0;
  _cleanup_closedir_ DIR *d = opendir(rt_root(ctx));
  if (!d) {
    if (errno == ENOENT)
      return 0;
    return wh_error_errno(err, "state root %s", rt_root(ctx));
  }
  struct runtime_state *list = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' || rt_check_id(de->d_name, NULL) < 0)
      continue;
    struct runtime_state st;
    if (runtime_state(ctx, de->d_name, &st, NULL) < 0)
      continue;   /* being created or deleted right now */
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      struct runtime_state *nl = realloc(list, cap * sizeof(*list));
      if (!nl) {
        runtime_state_clear(&st);
        runtime_list_free(list, n);
        return wh_error_errno(err, "list");
      }
      list = nl;
    }
    list[n++] = st;
  }
  if (n)
    qsort(list, n, sizeof(*list), cmp_state);
  *out = list;
  *n_out = n;
  return 0;
}

void runtime_list_free(struct runtime_state *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    runtime_state_clear(&list[i]);
  free(list);
}

int rt_write_str_at(int dirfd, const char *path, const char *value,
                    struct wh_error **err)
{
  _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return wh_error_errno(err, "open %s", path);
  size_t len = strlen(value);
  ssize_t w = write(fd, value, len);
  if (w < 0)
    return wh_error_errno(err, "write %s to %s", value, path);
  if ((size_t) w != len)
    return wh_error_set(err, WH_ERR_IO, "write %s to %s: short write", value, path);
  return 0;
}

int rt_write_pid_file(const char *path, pid_t pid, struct wh_error **err)
{
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%d", (int) pid);
  _cleanup_free_ char *copy = strdup(path);
  if (!copy)
    return wh_error_errno(err, "pid file");
  char *slash = strrchr(copy, '/');
  const char *dir = ".", *name = copy;
  if (slash) {
    *slash = 0;
    dir = slash == copy ? "/" : copy;
    name = slash + 1;
  }
  _cleanup_close_ int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0)
    return wh_error_errno(err, "pid file %s", path);
  if (rt_write_file_replace(dfd, name, buf, (size_t) n, 0644, err) < 0)
    return wh_error_wrap(err, "pid file %s", path);
  return 0;
}
