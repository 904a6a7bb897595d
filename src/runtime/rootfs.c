/* rootfs.c: the container's file system, built from inside its mount
 * namespace: mounts, /dev, pivot_root, masked and read-only paths.
 *
 * Every destination is resolved under the rootfs with base/path.h (links
 * cannot lead out of it) into an O_PATH fd, and the mount goes onto
 * /proc/self/fd/N of that fd, so nothing can swap a component for a link
 * between the check and the mount. */
/* Paths are built in fixed buffers larger than any valid cgroup path
 * (bounded to 4096 by rt_cgroup_resolve); longer ones fail at open. */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/path.h"
#include "runtime/internal.h"

#define FDPATH_MAX 48

static void fd_path(int fd, char out[FDPATH_MAX])
{
  snprintf(out, FDPATH_MAX, "/proc/self/fd/%d", fd);
}

static int do_mount(const char *src, int dst_fd, const char *dst_name,
                    const char *type, unsigned long flags, const char *data,
                    struct wh_error **err)
{
  char p[FDPATH_MAX];
  fd_path(dst_fd, p);
  if (mount(src, p, type, flags, data) < 0)
    return wh_error_errno(err, "mount %s on %s", src ? src : type ? type : "", dst_name);
  return 0;
}

/* Make (or find) the mount point under rootfd: a directory, or for a
 * bind mount of a non-directory, an empty file. Returns an O_PATH fd. */
static int mount_point(int rootfd, const char *dest, bool want_dir,
                       struct wh_error **err)
{
  if (want_dir) {
    int dfd = wh_mkdir_in_root(rootfd, dest, 0755, err);
    if (dfd < 0)
      return -1;
    return dfd;
  }
  _cleanup_free_ char *dir = NULL, *base = NULL;
  if (wh_path_split(dest, &dir, &base, err) < 0)
    return -1;
  _cleanup_close_ int dfd = wh_mkdir_in_root(rootfd, dir, 0755, err);
  if (dfd < 0)
    return -1;
  int fd = wh_open_in_root(rootfd, dest, O_PATH, 0, NULL);
  if (fd >= 0)
    return fd;
  _cleanup_close_ int nf = openat(dfd, base, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
                                  0644);
  if (nf < 0 && errno != EEXIST)
    return wh_error_errno(err, "mount point %s", dest);
  return wh_open_in_root(rootfd, dest, O_PATH, 0, err);
}

/* Reopen a destination after mounting on it, to reach the new mount. */
static int reopen(int rootfd, const char *dest, struct wh_error **err)
{
  return wh_open_in_root(rootfd, dest, O_PATH, 0, err);
}

static int mount_setattr_fd(int fd, uint64_t set, uint64_t clr, struct wh_error **err)
{
  struct mount_attr a = { .attr_set = set, .attr_clr = clr };
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
    return wh_error_errno(err, "mount_setattr");
  return 0;
}

/* Flags from an existing mount that a remount must keep (in a user
 * namespace the kernel refuses to drop locked ones). */
static unsigned long locked_flags(const char *path)
{
  struct statvfs sv;
  unsigned long f = 0;
  if (statvfs(path, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_NOSUID)
    f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    f |= MS_NOEXEC;
  return f;
}

static const unsigned long remount_mask = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC |
                                          MS_NOATIME | MS_NODIRATIME | MS_RELATIME |
                                          MS_STRICTATIME | MS_SYNCHRONOUS | MS_MANDLOCK |
                                          MS_DIRSYNC;

/* v1: each hierarchy of the host, as a new cgroup mount when we have a
 * cgroup namespace, else as a bind of the container's own cgroup. */
static int mount_cgroup_v1(int rootfd, const struct rt_child_cfg *cfg,
                           const struct oci_mount *m, unsigned long flags,
                           struct wh_error **err)
{
  _cleanup_close_ int top = mount_point(rootfd, m->destination, true, err);
  if (top < 0 || do_mount("tmpfs", top, m->destination, "tmpfs",
                          MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755", err) < 0)
    return -1;
  /* the hierarchies the parent found (cgroup_v1.c), not mountinfo again */
  struct rt_cg_hier hs[32];
  size_t n = rt_cgroup_v1_hierarchies(cfg->cgroup, hs, 32);
  bool cgns = cfg->spec->ns[OCI_NS_CGROUP].present;
  for (size_t i = 0; i < n; i++) {
    bool v2 = hs[i].v2;
    const char *mnt = hs[i].mount;
    if (strncmp(mnt, "/sys/fs/cgroup/", 15))
      continue;
    const char *name = mnt + 15;
    if (strchr(name, '/') || !*name)
      continue;
    char sub[4200];
    snprintf(sub, sizeof(sub), "%s/%s", m->destination, name);
    _cleanup_close_ int fd = mount_point(rootfd, sub, true, err);
    if (fd < 0)
      return -1;
    if (cgns) {
      /* the controllers (and name=) of the hierarchy */
      if (do_mount(v2 ? "cgroup2" : "cgroup", fd, sub, v2 ? "cgroup2" : "cgroup",
                   flags & ~(unsigned long) (MS_BIND | MS_REC), v2 ? NULL : hs[i].opts,
                   err) < 0)
        return -1;
    } else {
      char host[4200];
      snprintf(host, sizeof(host), "%s%s", mnt, cfg->cgroup_path);
      if (do_mount(host, fd, sub, NULL, MS_BIND | MS_REC, NULL, err) < 0)
        return -1;
      _cleanup_close_ int again = reopen(rootfd, sub, err);
      if (again < 0 || do_mount(NULL, again, sub, NULL,
                                MS_REMOUNT | MS_BIND | (flags & remount_mask), NULL, err) < 0)
        return -1;
    }
  }
  if (flags & MS_RDONLY) {
    _cleanup_close_ int again = reopen(rootfd, m->destination, err);
    if (again < 0 || do_mount(NULL, again, m->destination, NULL,
                              MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                              NULL, err) < 0)
      return -1;
  }
  return 0;
}

static bool host_is_v2(void)
{
  struct stat st;
  return stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
}

static int mount_one(int rootfd, const struct rt_child_cfg *cfg,
                     const struct oci_mount *m, struct wh_error **err)
{
  unsigned long flags = m->flags;
  bool bind = flags & MS_BIND;
  const char *type = m->type;
  if (type && strcmp(type, "cgroup") == 0 && !host_is_v2())
    return mount_cgroup_v1(rootfd, cfg, m, flags, err);
  if (type && (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0))
    type = "cgroup2";

  bool want_dir = true;
  if (bind) {
    struct stat st;
    if (stat(m->source, &st) < 0)
      return wh_error_errno(err, "bind source %s", m->source);
    want_dir = S_ISDIR(st.st_mode);
  }
  _cleanup_close_ int fd = mount_point(rootfd, m->destination, want_dir, err);
  if (fd < 0)
    return -1;
  if (bind) {
    if (do_mount(m->source, fd, m->destination, NULL, flags & (MS_BIND | MS_REC), NULL,
                 err) < 0)
      return -1;
    if (flags & remount_mask) {
      _cleanup_close_ int again = reopen(rootfd, m->destination, err);
      char p[FDPATH_MAX];
      if (again < 0)
        return -1;
      fd_path(again, p);
      unsigned long keep = locked_flags(p);
      if (do_mount(NULL, again, m->destination, NULL,
                   MS_REMOUNT | MS_BIND | keep | (flags & remount_mask), NULL, err) < 0)
        return -1;
    }
  } else {
    const char *src = m->source ? m->source : type;
    int r = do_mount(src, fd, m->destination, type, flags & ~(unsigned long) MS_REMOUNT,
                     m->data, err);
    if (r < 0 && type && strcmp(type, "sysfs") == 0 && err && *err &&
        (*err)->errnum == EPERM && !cfg->spec->ns[OCI_NS_NETWORK].present) {
      /* sysfs can only be mounted with a network namespace of our own:
       * without one, show the host's read-only, as runc does */
      wh_error_freep(err);
      r = do_mount("/sys", fd, m->destination, NULL, MS_BIND | MS_REC, NULL, err);
      if (r == 0) {
        _cleanup_close_ int again = reopen(rootfd, m->destination, err);
        r = again < 0 ? -1 : do_mount(NULL, again, m->destination, NULL,
                                      MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
                                      MS_NODEV | MS_NOEXEC, NULL, err);
      }
    }
    if (r < 0)
      return -1;
  }
  if (m->propagation || m->attr_set || m->attr_clr) {
    _cleanup_close_ int again = reopen(rootfd, m->destination, err);
    if (again < 0)
      return -1;
    if (m->propagation &&
        do_mount(NULL, again, m->destination, NULL, m->propagation, NULL, err) < 0)
      return -1;
    if ((m->attr_set || m->attr_clr) &&
        mount_setattr_fd(again, m->attr_set, m->attr_clr, err) < 0)
      return wh_error_wrap(err, "mount %s", m->destination);
  }
  return 0;
}

static const struct {
  const char *name;
  unsigned maj, min;
} default_devs[] = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
  { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

/* A device node at path under rootfd: mknod, or in a user namespace
 * (where mknod is refused) a bind mount of the host's node. */
static int make_device(int rootfd, const char *path, char type, unsigned maj,
                       unsigned min, mode_t mode, uid_t uid, gid_t gid, bool userns,
                       struct wh_error **err)
{
  _cleanup_free_ char *dir = NULL, *base = NULL;
  if (wh_path_split(path, &dir, &base, err) < 0)
    return -1;
  _cleanup_close_ int dfd = wh_mkdir_in_root(rootfd, dir, 0755, err);
  if (dfd < 0)
    return -1;
  if (userns) {
    char host[4200];
    snprintf(host, sizeof(host), "/%s", path);
    _cleanup_close_ int fd = mount_point(rootfd, path, false, err);
    if (fd < 0)
      return -1;
    return do_mount(host, fd, path, NULL, MS_BIND, NULL, err);
  }
  mode_t t = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
  unlinkat(dfd, base, 0);
  if (mknodat(dfd, base, t | (mode & 07777), makedev(maj, min)) < 0)
    return wh_error_errno(err, "device %s", path);
  if (fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return wh_error_errno(err, "device %s: chown", path);
  return 0;
}

static int setup_dev(int rootfd, const struct rt_child_cfg *cfg, struct wh_error **err)
{
  const struct oci_spec *s = cfg->spec;
  bool dev_mounted = false;
  for (size_t i = 0; i < s->n_mounts; i++) {
    _cleanup_free_ char *d = wh_path_clean(s->mounts[i].destination);
    if (d && strcmp(d, "dev") == 0 && !(s->mounts[i].flags & MS_BIND))
      dev_mounted = true;
  }
  /* a bind-mounted /dev (privileged containers) is the host's: leave it */
  if (!dev_mounted)
    return 0;
  bool userns = s->ns[OCI_NS_USER].present;
  for (size_t i = 0; i < WH_ARRAY_SIZE(default_devs); i++) {
    char p[32];
    snprintf(p, sizeof(p), "dev/%s", default_devs[i].name);
    if (make_device(rootfd, p, 'c', default_devs[i].maj, default_devs[i].min, 0666, 0, 0,
                    userns, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < s->n_devices; i++) {
    const struct oci_device *d = &s->devices[i];
    _cleanup_free_ char *p = wh_path_clean(d->path);
    if (!p)
      return wh_error_errno(err, "linux.devices");
    if (make_device(rootfd, p, d->type, (unsigned) d->major, (unsigned) d->minor,
                    d->has_mode ? d->mode : 0666, d->has_uid ? d->uid : 0,
                    d->has_gid ? d->gid : 0, userns, err) < 0)
      return wh_error_wrap(err, "linux.devices[%zu]", i);
  }
  static const struct { const char *target, *name; } links[] = {
    { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
    { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
    { "pts/ptmx", "ptmx" }, { "/proc/kcore", "core" },
  };
  _cleanup_close_ int dev = wh_mkdir_in_root(rootfd, "dev", 0755, err);
  if (dev < 0)
    return -1;
  for (size_t i = 0; i < WH_ARRAY_SIZE(links); i++) {
    if (strcmp(links[i].name, "ptmx") == 0)
      unlinkat(dev, "ptmx", 0);
    if (symlinkat(links[i].target, dev, links[i].name) < 0 && errno != EEXIST)
      return wh_error_errno(err, "/dev/%s", links[i].name);
  }
  return 0;
}

static bool is_cgroup_mount(const struct oci_mount *m)
{
  return m->type && (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0);
}

int rt_rootfs_prepare(const struct rt_child_cfg *cfg, struct wh_error **err)
{
  const struct oci_spec *s = cfg->spec;
  /* our mounts must not reach the host; runc's default is rslave */
  unsigned long prop = s->rootfs_propagation ? s->rootfs_propagation : MS_SLAVE | MS_REC;
  if (mount(NULL, "/", NULL, prop | MS_REC, NULL) < 0)
    return wh_error_errno(err, "make / %s", "slave");
  /* pivot_root needs the new root to be a mount point whose parent is
   * not shared */
  if (mount(cfg->rootfs, cfg->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return wh_error_errno(err, "bind rootfs %s", cfg->rootfs);
  if (s->rootfs_propagation & MS_SHARED)
    mount(NULL, cfg->rootfs, NULL, MS_PRIVATE, NULL);
  _cleanup_close_ int rootfd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return wh_error_errno(err, "rootfs %s", cfg->rootfs);
  for (size_t i = 0; i < s->n_mounts; i++)
    if (!is_cgroup_mount(&s->mounts[i]) && mount_one(rootfd, cfg, &s->mounts[i], err) < 0)
      return wh_error_wrap(err, "mounts[%zu] (%s)", i, s->mounts[i].destination);
  return setup_dev(rootfd, cfg, err);
}

int rt_rootfs_cgroup_mounts(const struct rt_child_cfg *cfg, struct wh_error **err)
{
  const struct oci_spec *s = cfg->spec;
  _cleanup_close_ int rootfd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return wh_error_errno(err, "rootfs %s", cfg->rootfs);
  for (size_t i = 0; i < s->n_mounts; i++)
    if (is_cgroup_mount(&s->mounts[i]) && mount_one(rootfd, cfg, &s->mounts[i], err) < 0)
      return wh_error_wrap(err, "mounts[%zu] (%s)", i, s->mounts[i].destination);
  return 0;
}

int rt_rootfs_pivot(const struct rt_child_cfg *cfg, struct wh_error **err)
{
  _cleanup_close_ int newroot = open(cfg->rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0 || fchdir(newroot) < 0)
    return wh_error_errno(err, "rootfs %s", cfg->rootfs);
  if (cfg->no_pivot) {
    if (mount(cfg->rootfs, "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0)
      return wh_error_errno(err, "move rootfs (--no-pivot)");
    if (chdir("/") < 0)
      return wh_error_errno(err, "chdir /");
    return 0;
  }
  _cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return wh_error_errno(err, "open /");
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return wh_error_errno(err, "pivot_root %s", cfg->rootfs);
  /* the old root is now stacked under "."; detach it without letting
   * the unmount propagate to the host */
  if (fchdir(oldroot) < 0 || mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 ||
      umount2(".", MNT_DETACH) < 0)
    return wh_error_errno(err, "detach old root");
  if (chdir("/") < 0)
    return wh_error_errno(err, "chdir /");
  return 0;
}

/* Without /proc in the container, mounts after pivot_root cannot name
 * their target as /proc/self/fd/N: these use the fd-based mount API. */
static bool have_proc_fds(void)
{
  return access("/proc/self/fd", F_OK) == 0;
}

/* Attach the detached mount tree onto the directory or file at fd. */
static int attach_at(int tree, int fd, const char *what, struct wh_error **err)
{
  if (syscall(SYS_move_mount, tree, "", fd, "",
              MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return wh_error_errno(err, "%s: move_mount", what);
  return 0;
}

static int mask_at(int fd, bool dir, const char *path, struct wh_error **err)
{
  _cleanup_close_ int tree = -1;
  if (dir) {
    /* an empty read-only tmpfs */
    _cleanup_close_ int fs = (int) syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "0k", 0) < 0 ||
        syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
      return wh_error_errno(err, "masked path %s: tmpfs", path);
    tree = (int) syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
  } else {
    tree = (int) syscall(SYS_open_tree, AT_FDCWD, "/dev/null",
                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  }
  if (tree < 0)
    return wh_error_errno(err, "masked path %s", path);
  return attach_at(tree, fd, path, err);
}

static int readonly_at(int fd, const char *path, struct wh_error **err)
{
  _cleanup_close_ int tree = (int) syscall(SYS_open_tree, fd, "",
                                           OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                           AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree < 0)
    return wh_error_errno(err, "readonly path %s", path);
  if (mount_setattr_fd(tree, MOUNT_ATTR_RDONLY, 0, err) < 0)
    return wh_error_wrap(err, "readonly path %s", path);
  return attach_at(tree, fd, path, err);
}

static int mask_path(int rootfd, const char *path, struct wh_error **err)
{
  _cleanup_close_ int fd = wh_open_in_root_nofollow(rootfd, path, O_PATH, 0, NULL);
  if (fd < 0)
    return 0;   /* absent paths need no mask */
  struct stat st;
  if (fstat(fd, &st) < 0)
    return wh_error_errno(err, "masked path %s", path);
  if (S_ISLNK(st.st_mode))
    return 0;
  if (!have_proc_fds())
    return mask_at(fd, S_ISDIR(st.st_mode), path, err);
  if (S_ISDIR(st.st_mode))
    return do_mount("tmpfs", fd, path, "tmpfs", MS_RDONLY, "size=0k", err);
  return do_mount("/dev/null", fd, path, NULL, MS_BIND, NULL, err);
}

static int readonly_path(int rootfd, const char *path, struct wh_error **err)
{
  _cleanup_close_ int fd = wh_open_in_root_nofollow(rootfd, path, O_PATH, 0, NULL);
  if (fd < 0)
    return 0;
  if (!have_proc_fds())
    return readonly_at(fd, path, err);
  char p[FDPATH_MAX];
  fd_path(fd, p);
  if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
    return wh_error_errno(err, "readonly path %s", path);
  _cleanup_close_ int again = wh_open_in_root_nofollow(rootfd, path, O_PATH, 0, err);
  if (again < 0)
    return -1;
  fd_path(again, p);
  if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC | locked_flags(p),
            NULL) < 0)
    return wh_error_errno(err, "readonly path %s", path);
  return 0;
}

int rt_rootfs_finish(const struct rt_child_cfg *cfg, struct wh_error **err)
{
  const struct oci_spec *s = cfg->spec;
  _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return wh_error_errno(err, "open /");
  for (size_t i = 0; i < s->n_sysctl; i++) {
    char path[600];
    snprintf(path, sizeof(path), "proc/sys/%s", s->sysctl[i].key);
    for (char *c = path + 9; *c; c++)
      if (*c == '.')
        *c = '/';
    _cleanup_close_ int fd = wh_open_in_root(rootfd, path, O_WRONLY, 0, err);
    size_t len = strlen(s->sysctl[i].value);
    if (fd < 0)
      return wh_error_wrap(err, "linux.sysctl.%s", s->sysctl[i].key);
    if (write(fd, s->sysctl[i].value, len) != (ssize_t) len)
      return wh_error_errno(err, "linux.sysctl.%s", s->sysctl[i].key);
  }
  for (size_t i = 0; s->readonly_paths && s->readonly_paths[i]; i++)
    if (readonly_path(rootfd, s->readonly_paths[i], err) < 0)
      return -1;
  for (size_t i = 0; s->masked_paths && s->masked_paths[i]; i++)
    if (mask_path(rootfd, s->masked_paths[i], err) < 0)
      return -1;
  if (s->root_readonly &&
      mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags("/"), NULL) < 0)
    return wh_error_errno(err, "root.readonly");
  if (s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
    return wh_error_errno(err, "linux.rootfsPropagation");
  return 0;
}
