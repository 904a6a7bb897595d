/* cgroup.c: picks the cgroup backend, resolves cgroupsPath, and holds the
 * file helpers both backends use (see cgroup.h). */
/* Paths are built in fixed buffers larger than any valid cgroup path
 * (bounded to 4096 by rt_cgroup_resolve); longer ones fail at open. */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include "runtime/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CG_ROOT "/sys/fs/cgroup"

/* systemd's "a-b-c.slice" → "/a.slice/a-b.slice/a-b-c.slice". */
static int expand_slice(struct wh_buf *b, const char *slice, struct wh_error **err)
{
  size_t n = strlen(slice);
  if (n < 6 || strcmp(slice + n - 6, ".slice") != 0 || strchr(slice, '/'))
    return wh_error_set(err, WH_ERR_INVALID,
                        "cgroupsPath: %.64s is not a systemd slice name", slice);
  if (strcmp(slice, "-.slice") == 0)
    return 0;
  const char *base_end = slice + n - 6;
  for (const char *p = slice; p <= base_end; p++) {
    if (p == base_end || *p == '-') {
      if (p == slice || p[-1] == '-' || (p < base_end && p[1] == '.'))
        return wh_error_set(err, WH_ERR_INVALID,
                            "cgroupsPath: %.64s is not a systemd slice name", slice);
      if (wh_buf_append_char(b, '/') < 0 ||
          wh_buf_append(b, slice, (size_t) (p - slice)) < 0 ||
          wh_buf_append_str(b, ".slice") < 0)
        return wh_error_errno(err, "cgroupsPath");
    }
  }
  return 0;
}

static bool path_safe(const char *p)
{
  /* no ".." component: a cgroup path must stay under the hierarchy */
  for (const char *s = p; (s = strstr(s, "..")); s += 2)
    if ((s == p || s[-1] == '/') && (s[2] == 0 || s[2] == '/'))
      return false;
  return true;
}

char *rt_cgroup_resolve(const char *cgroups_path, const char *id, bool systemd,
                        const char *own_cgroup, struct wh_error **err)
{
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  if (systemd && cgroups_path && *cgroups_path) {
    _cleanup_free_ char *copy = strdup(cgroups_path);
    if (!copy) {
      wh_error_errno(err, "cgroupsPath");
      return NULL;
    }
    char *c1 = strchr(copy, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2 || strchr(c2 + 1, ':') || strchr(c2 + 1, '/') ||
        strchr(c1 + 1, '/') || !c2[1]) {
      wh_error_set(err, WH_ERR_INVALID,
                   "cgroupsPath: %.128s is not slice:prefix:name", cgroups_path);
      return NULL;
    }
    *c1 = *c2 = 0;
    const char *slice = *copy ? copy : "system.slice";
    if (expand_slice(&b, slice, err) < 0)
      return NULL;
    const char *prefix = c1 + 1, *name = c2 + 1;
    size_t nl = strlen(name);
    int r;
    if (nl > 6 && strcmp(name + nl - 6, ".slice") == 0)
      r = wh_buf_printf(&b, "/%s", name);
    else if (*prefix)
      r = wh_buf_printf(&b, "/%s-%s.scope", prefix, name);
    else
      r = wh_buf_printf(&b, "/%s.scope", name);
    if (r < 0) {
      wh_error_errno(err, "cgroupsPath");
      return NULL;
    }
  } else if (!cgroups_path || !*cgroups_path) {
    if (wh_buf_printf(&b, "/%s", id) < 0) {
      wh_error_errno(err, "cgroupsPath");
      return NULL;
    }
  } else if (cgroups_path[0] == '/') {
    if (wh_buf_append_str(&b, cgroups_path) < 0) {
      wh_error_errno(err, "cgroupsPath");
      return NULL;
    }
  } else {
    const char *own = own_cgroup && *own_cgroup ? own_cgroup : "/";
    if (wh_buf_printf(&b, "%s%s%s", own, own[strlen(own) - 1] == '/' ? "" : "/",
                      cgroups_path) < 0) {
      wh_error_errno(err, "cgroupsPath");
      return NULL;
    }
  }
  if (!path_safe(b.data) || strlen(b.data) > 4096) {
    wh_error_set(err, WH_ERR_INVALID, "cgroupsPath: %.128s leaves the hierarchy",
                 b.data);
    return NULL;
  }
  /* drop trailing slashes (but keep "/") */
  while (b.len > 1 && b.data[b.len - 1] == '/')
    b.data[--b.len] = 0;
  if (strcmp(b.data, "/") == 0) {
    wh_error_set(err, WH_ERR_INVALID, "cgroupsPath: the root cgroup cannot be used");
    return NULL;
  }
  return wh_buf_steal(&b);
}

/* The runtime's own cgroup: the v2 line of /proc/self/cgroup on a v2 host,
 * the memory controller's on v1. */
static char *own_cgroup(bool v2)
{
  _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
  if (!f)
    return NULL;
  char line[4096];
  while (fgets(line, sizeof(line), f)) {
    line[strcspn(line, "\n")] = 0;
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2)
      continue;
    *c2 = 0;
    if (v2 ? strcmp(c1 + 1, "") == 0 && strncmp(line, "0", 1) == 0
           : strstr(c1 + 1, "memory") != NULL)
      return strdup(c2 + 1);
  }
  return NULL;
}

bool rt_cgroup_host_is_v2(void)
{
  struct statfs sf;
  return statfs(CG_ROOT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

int rt_cgroup_open(struct rt_cgroup *cg, const char *resolved_path,
                   struct wh_error **err)
{
  memset(cg, 0, sizeof(*cg));
  bool v2 = rt_cgroup_host_is_v2();
  cg->ops = v2 ? &rt_cgroup_v2_ops : &rt_cgroup_v1_ops;
  cg->path = strdup(resolved_path);
  cg->v2_root = strdup(CG_ROOT);
  if (!cg->path || !cg->v2_root) {
    rt_cgroup_clear(cg);
    return wh_error_errno(err, "cgroup");
  }
  if (cg->ops->init && cg->ops->init(cg, err) < 0) {
    rt_cgroup_clear(cg);
    return -1;
  }
  return 0;
}

int rt_cgroup_init(struct rt_cgroup *cg, const char *cgroups_path,
                   const char *id, bool systemd, struct wh_error **err)
{
  memset(cg, 0, sizeof(*cg));
  _cleanup_free_ char *own = NULL;
  if (cgroups_path && *cgroups_path && cgroups_path[0] != '/' && !systemd)
    own = own_cgroup(rt_cgroup_host_is_v2());
  _cleanup_free_ char *p = rt_cgroup_resolve(cgroups_path, id, systemd, own, err);
  if (!p)
    return -1;
  return rt_cgroup_open(cg, p, err);
}

void rt_cgroup_clear(struct rt_cgroup *cg)
{
  free(cg->path);
  free(cg->v2_root);
  free(cg->priv);
  memset(cg, 0, sizeof(*cg));
}

int rt_cg_write(const char *dir, const char *file, const char *value,
                struct wh_error **err)
{
  char path[4200];
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return wh_error_errno(err, "cgroup %s", path);
  size_t len = strlen(value);
  if (write(fd, value, len) != (ssize_t) len)
    return wh_error_errno(err, "cgroup %s: write %s", path, value);
  return 0;
}

int rt_cg_read(const char *dir, const char *file, char *buf, size_t size)
{
  char path[4200];
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, size - 1);
  if (n < 0)
    return -1;
  buf[n] = 0;
  while (n > 0 && buf[n - 1] == '\n')
    buf[--n] = 0;
  return 0;
}

int rt_cg_read_pids(const char *dir, pid_t **out, size_t *n, struct wh_error **err)
{
  char path[4200];
  snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
  _cleanup_free_ char *data = NULL;
  *out = NULL;
  *n = 0;
  if (wh_read_file_at(AT_FDCWD, path, 16u << 20, &data, NULL, err) < 0)
    return -1;
  size_t cap = 0;
  for (char *p = data; *p;) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p)
      break;
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      pid_t *np = realloc(*out, cap * sizeof(pid_t));
      if (!np) {
        free(*out);
        *out = NULL;
        return wh_error_errno(err, "cgroup.procs");
      }
      *out = np;
    }
    (*out)[(*n)++] = (pid_t) v;
    p = end;
    while (*p == '\n')
      p++;
  }
  return 0;
}

int rt_cg_mkdir(const char *root, const char *path, struct wh_error **err)
{
  /* the parent usually exists: one mkdir, else the walk */
  char full[4200];
  int l = snprintf(full, sizeof(full), "%s%s%s", root, path[0] == '/' ? "" : "/", path);
  if (l > 0 && (size_t) l < sizeof(full) && (mkdir(full, 0755) == 0 || errno == EEXIST))
    return 0;
  _cleanup_close_ int fd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return wh_error_errno(err, "cgroup %s", root);
  if (wh_mkdir_p_at(fd, path[0] == '/' ? path + 1 : path, 0755, err) < 0)
    return wh_error_wrap(err, "cgroup %s%s", root, path);
  return 0;
}

int rt_cg_rmdir(const char *dir, struct wh_error **err)
{
  /* an empty cgroup, the usual case, goes at once */
  if (rmdir(dir) == 0 || errno == ENOENT)
    return 0;
  /* Processes may take a moment to leave after SIGKILL: retry briefly. */
  for (int i = 0; i < 200; i++) {
    pid_t *pids = NULL;
    size_t n = 0;
    if (rt_cg_read_pids(dir, &pids, &n, NULL) == 0) {
      for (size_t k = 0; k < n; k++)
        kill(pids[k], SIGKILL);
      free(pids);
    }
    /* child cgroups (made by the container) go first */
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d)
      return errno == ENOENT ? 0 : wh_error_errno(err, "cgroup %s", dir);
    struct dirent *de;
    while ((de = readdir(d)))
      if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
        char sub[4200];
        snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
        rt_cg_rmdir(sub, NULL);
      }
    if (rmdir(dir) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY)
      return wh_error_errno(err, "cgroup %s: rmdir", dir);
    usleep(5000);
  }
  return wh_error_errno(err, "cgroup %s: rmdir", dir);
}
