/* cp.c: `cp` between a container's root file system and the host.
 *
 * The container side is resolved under the rootfs with path.h (a link in
 * the container cannot point the copy at the host's files), and the tree
 * below it is walked with *at() calls and O_NOFOLLOW from directories the
 * copy itself opened. docker's rules: a destination that is an existing
 * directory receives the source under its own name; otherwise the source
 * is copied to the destination path. Files in volumes (mounted only in the
 * container's namespace) are not reached. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/path.h"
#include "internal.h"

#define CP_MAX_DEPTH 256

static int copy_file(int sfd, int ddir, const char *name, mode_t mode, struct wh_error **err)
{
  _cleanup_close_ int d = openat(ddir, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                                 mode & 07777);
  if (d < 0)
    return wh_error_errno(err, "create %s", name);
  char buf[65536];
  ssize_t n;
  while ((n = read(sfd, buf, sizeof(buf))) > 0)
    if (wh_write_all(d, buf, (size_t) n, err) < 0)
      return -1;
  if (n < 0)
    return wh_error_errno(err, "read %s", name);
  fchmod(d, mode & 07777);
  return 0;
}

/* Copy the entry `sname` of directory sdir to `dname` in ddir. */
static int copy_at(int sdir, const char *sname, int ddir, const char *dname, int depth,
                   struct wh_error **err)
{
  if (depth > CP_MAX_DEPTH)
    return wh_error_set(err, WH_ERR_TOO_LARGE, "%s: directories nested too deep", sname);
  struct stat st;
  if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0)
    return wh_error_errno(err, "stat %s", sname);
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(sdir, sname, target, sizeof(target) - 1);
    if (n < 0)
      return wh_error_errno(err, "readlink %s", sname);
    target[n] = 0;
    unlinkat(ddir, dname, 0);
    if (symlinkat(target, ddir, dname) < 0)
      return wh_error_errno(err, "symlink %s", dname);
    return 0;
  }
  if (S_ISREG(st.st_mode)) {
    _cleanup_close_ int s = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0)
      return wh_error_errno(err, "open %s", sname);
    return copy_file(s, ddir, dname, st.st_mode, err);
  }
  if (!S_ISDIR(st.st_mode))
    return 0; /* devices, fifos, sockets: not copied */
  if (mkdirat(ddir, dname, st.st_mode & 07777) < 0 && errno != EEXIST)
    return wh_error_errno(err, "mkdir %s", dname);
  _cleanup_close_ int d = openat(ddir, dname, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int s = openat(sdir, sname, O_DIRECTORY | O_NOFOLLOW | O_RDONLY | O_CLOEXEC);
  if (d < 0 || s < 0) {
    if (s >= 0)
      close(s);
    return wh_error_errno(err, "open directory %s", sname);
  }
  _cleanup_closedir_ DIR *dir = fdopendir(s);
  if (!dir) {
    close(s);
    return wh_error_errno(err, "read directory %s", sname);
  }
  struct dirent *de;
  while ((de = readdir(dir)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      if (copy_at(dirfd(dir), de->d_name, d, de->d_name, depth + 1, err) < 0)
        return -1;
  return 0;
}

int cp_tree(int sdir, const char *sname, int ddir, const char *dname, struct wh_error **err)
{
  return copy_at(sdir, sname, ddir, dname, 0, err);
}

static int split_ref(const char *s, char **ctr, const char **path)
{
  const char *c = strchr(s, ':');
  if (!c || c == s || s[0] == '/' || s[0] == '.')
    return 0;
  *ctr = strndup(s, (size_t) (c - s));
  *path = c + 1;
  return 1;
}

static const char *base_of(const char *p, char *buf, size_t n)
{
  _cleanup_free_ char *clean = wh_path_clean(p);
  if (!clean)
    return NULL;
  const char *b = strrchr(clean, '/');
  snprintf(buf, n, "%s", b ? b + 1 : clean);
  return buf;
}

int engine_container_cp(struct engine *e, const char *src, const char *dst,
                        struct wh_error **err)
{
  _cleanup_free_ char *sctr = NULL, *dctr = NULL;
  const char *spath = src, *dpath = dst;
  bool from = split_ref(src, &sctr, &spath) == 1;
  bool to = split_ref(dst, &dctr, &dpath) == 1;
  if (from == to)
    return wh_error_set(err, WH_ERR_INVALID, "cp: exactly one of source and destination must be CONTAINER:PATH");
  _cleanup_free_ char *id = NULL;
  _cleanup_ctr_ struct ctr c = {0};
  if (engine_container_resolve(e, from ? sctr : dctr, &id, err) < 0 ||
      ctr_load(e, id, &c, err) < 0)
    return -1;
  if (rootfs_mount(e, &c, err) < 0)
    return -1;
  _cleanup_free_ char *dir = ctr_dir(e, id), *root = NULL;
  if (asprintf(&root, "%s/rootfs", dir) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  _cleanup_close_ int rootfd = open(root, O_DIRECTORY | O_PATH | O_CLOEXEC);
  if (rootfd < 0)
    return wh_error_errno(err, "open %s", root);
  char name[NAME_MAX + 1];
  if (!base_of(spath, name, sizeof(name)) || !*name || !strcmp(name, "."))
    snprintf(name, sizeof(name), "%s", "root");
  /* Source: the parent directory and the entry name. */
  _cleanup_free_ char *sparent = NULL, *sbase = NULL;
  if (wh_path_split(spath, &sparent, &sbase, err) < 0)
    return -1;
  _cleanup_close_ int sdir = -1;
  if (from) {
    sdir = wh_open_in_root(rootfd, sparent, O_DIRECTORY | O_RDONLY, 0, err);
    if (sdir < 0)
      return wh_error_wrap(err, "%s", src);
  } else {
    _cleanup_free_ char *abs = NULL;
    if (asprintf(&abs, "%s%s", spath[0] == '/' ? "/" : "", sparent) < 0)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    sdir = open(abs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (sdir < 0)
      return wh_error_errno(err, "%s", src);
  }
  struct stat st;
  if (fstatat(sdir, sbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return wh_error_errno(err, "cp: %s", src);
  /* Destination: into an existing directory, else as the named path. */
  _cleanup_close_ int ddir = -1;
  _cleanup_free_ char *dparent = NULL, *dbase = NULL;
  const char *dname;
  int dfd = to ? wh_open_in_root(rootfd, dpath, O_DIRECTORY | O_RDONLY, 0, NULL)
               : open(dpath, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd >= 0) {
    ddir = dfd;
    dname = strcmp(sbase, ".") ? sbase : name;
  } else {
    if (wh_path_split(dpath, &dparent, &dbase, err) < 0)
      return -1;
    if (to) {
      ddir = wh_open_in_root(rootfd, dparent, O_DIRECTORY | O_RDONLY, 0, err);
    } else {
      _cleanup_free_ char *abs = NULL;
      if (asprintf(&abs, "%s%s", dpath[0] == '/' ? "/" : "", dparent) < 0)
        return -1;
      ddir = open(abs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
      if (ddir < 0)
        wh_error_errno(err, "%s", dst);
    }
    if (ddir < 0)
      return wh_error_wrap(err, "cp: destination");
    dname = dbase;
  }
  if (copy_at(sdir, sbase, ddir, dname, 0, err) < 0)
    return wh_error_wrap(err, "cp %s %s", src, dst);
  return 0;
}
