/* rootfs.c: a container's root file system and what is looked up in it.
 *
 * The rootfs is an overlay: the image's layers (or a --rootfs directory)
 * read-only below, ROOT/containers/ID/upper on top, mounted at
 * ROOT/containers/ID/rootfs from create until rm. Users and executables
 * are looked up through a directory fd of that mount with path.h, so a
 * link in the image can never lead the engine out of it. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/path.h"
#include "image_link.h"
#include "internal.h"

bool rootfs_is_mounted(struct engine *e, const char *id)
{
  _cleanup_free_ char *dir = ctr_dir(e, id);
  _cleanup_free_ char *mnt = NULL;
  if (!dir || asprintf(&mnt, "%s/rootfs", dir) < 0)
    return false;
  struct stat a, b;
  if (stat(mnt, &a) < 0 || stat(dir, &b) < 0)
    return false;
  return a.st_dev != b.st_dev;
}

int rootfs_mount(struct engine *e, const struct ctr *c, struct wh_error **err)
{
  if (rootfs_is_mounted(e, c->id))
    return 0;
  _cleanup_free_ char *dir = ctr_dir(e, c->id);
  _cleanup_free_ char *lower = NULL;
  if (c->rootfs_src) {
    lower = strdup(c->rootfs_src);
  } else if (image_lowerdirs(e, c->image_id, &lower, err) < 0) {
    return wh_error_wrap(err, "image %s", c->image);
  }
  if (!lower)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  _cleanup_free_ char *opts = NULL, *mnt = NULL;
  /* --rm: the upper layer is thrown away with the container, so it is
   * never synced (overlay's volatile, as podman mounts such containers):
   * no writeback at unmount, which the removal would wait for. A volatile
   * overlay cannot be mounted again from the same work dir, and an --rm
   * container's rootfs stays mounted from create until it is removed. */
  bool rm = json_is_true(json_object_get(c->host_config, "AutoRemove"));
  if (asprintf(&opts, "lowerdir=%s,upperdir=%s/upper,workdir=%s/work%s", lower,
               dir, dir, rm ? ",volatile" : "") < 0 ||
      asprintf(&mnt, "%s/rootfs", dir) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  /* The mount option string has a page as its limit; long layer chains
   * would need relative lowerdirs from a chdir, which images here do not
   * reach. */
  if (strlen(opts) >= 4000)
    return wh_error_set(err, WH_ERR_TOO_LARGE, "overlay options for %s too long", c->id);
  if (mount("overlay", mnt, "overlay", 0, opts) < 0)
    return wh_error_errno(err, "mount overlay at %s", mnt);
  return 0;
}

int rootfs_umount(struct engine *e, const char *id, struct wh_error **err)
{
  _cleanup_free_ char *dir = ctr_dir(e, id);
  _cleanup_free_ char *mnt = NULL;
  if (!dir || asprintf(&mnt, "%s/rootfs", dir) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  /* A container's bind mounts were made in its own mount namespace, so
   * only the overlay itself is in ours; MNT_DETACH lets rm succeed while
   * a `cp` or `exec` still holds a file open in it, and the grace period
   * the unmount waits for is waited out by a child (umount.c). */
  return mount_detach_nowait(mnt, err);
}

/* Find a passwd/group line whose first field is name (or whose id field
 * is the number). Returns the fields split in place. */
static int find_entry(char *data, const char *key, bool numeric, int idfield,
                      char **fields, int nfields)
{
  char *save = NULL;
  for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    int n = 0;
    char *p = l;
    while (n < nfields) {
      fields[n++] = p;
      char *c = strchr(p, ':');
      if (!c)
        break;
      *c = 0;
      p = c + 1;
    }
    if (n < idfield + 1)
      continue;
    if (numeric ? !strcmp(fields[idfield], key) : !strcmp(fields[0], key))
      return n;
  }
  return -1;
}

static bool is_number(const char *s)
{
  if (!*s)
    return false;
  for (; *s; s++)
    if (!isdigit((unsigned char) *s))
      return false;
  return true;
}

static int read_in_root(int rootfd, const char *path, char **out)
{
  _cleanup_close_ int fd = wh_open_in_root(rootfd, path, O_RDONLY, 0, NULL);
  if (fd < 0)
    return -1;
  return wh_read_fd(fd, 4 << 20, out, NULL, NULL);
}

int rootfs_lookup_user(int rootfd, const char *spec, uid_t *uid, gid_t *gid,
                       gid_t **groups, size_t *n_groups, char **home,
                       struct wh_error **err)
{
  _cleanup_free_ char *user = strdup(spec && *spec ? spec : "0");
  if (!user)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  char *group = strchr(user, ':');
  if (group)
    *group++ = 0;
  *groups = NULL;
  *n_groups = 0;
  *home = NULL;
  bool have_gid = false;
  _cleanup_free_ char *passwd = NULL;
  read_in_root(rootfd, "/etc/passwd", &passwd);
  char *pw[7];
  const char *uname = NULL;
  if (passwd && find_entry(passwd, user, is_number(user), 2, pw, 7) >= 4) {
    *uid = (uid_t) strtoul(pw[2], NULL, 10);
    *gid = (gid_t) strtoul(pw[3], NULL, 10);
    have_gid = true;
    uname = pw[0];
    if (pw[5])
      *home = strdup(pw[5]);
  } else if (is_number(user)) {
    unsigned long v = strtoul(user, NULL, 10);
    if (v > UINT32_MAX - 1)
      return wh_error_set(err, WH_ERR_INVALID, "user \"%s\": uid out of range", spec);
    *uid = (uid_t) v;
    *gid = 0;
  } else {
    return wh_error_set(err, WH_ERR_INVALID, "unable to find user %s: no matching entries in passwd file", user);
  }
  (void) have_gid;
  _cleanup_free_ char *grp = NULL;
  read_in_root(rootfd, "/etc/group", &grp);
  if (group) {
    _cleanup_free_ char *g2 = grp ? strdup(grp) : NULL;
    char *gr[4];
    if (g2 && find_entry(g2, group, is_number(group), 2, gr, 4) >= 3)
      *gid = (gid_t) strtoul(gr[2], NULL, 10);
    else if (is_number(group))
      *gid = (gid_t) strtoul(group, NULL, 10);
    else
      return wh_error_set(err, WH_ERR_INVALID, "unable to find group %s: no matching entries in group file", group);
  }
  /* Supplementary groups: every group listing the user by name. */
  if (grp && uname) {
    size_t cap = 0;
    char *save = NULL;
    for (char *l = strtok_r(grp, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
      char *f[4] = {0};
      int n = 0;
      char *p = l;
      while (n < 4) {
        f[n++] = p;
        char *c = strchr(p, ':');
        if (!c)
          break;
        *c = 0;
        p = c + 1;
      }
      if (n < 4 || !*f[3])
        continue;
      for (char *m = strtok(f[3], ","); m; m = strtok(NULL, ","))
        if (!strcmp(m, uname)) {
          if (*n_groups == cap) {
            cap = cap ? cap * 2 : 8;
            gid_t *ng = realloc(*groups, cap * sizeof(gid_t));
            if (!ng)
              return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
            *groups = ng;
          }
          (*groups)[(*n_groups)++] = (gid_t) strtoul(f[2], NULL, 10);
        }
    }
  }
  return 0;
}

static int check_one(int rootfd, const char *path, struct wh_error **err)
{
  _cleanup_close_ int fd = wh_open_in_root(rootfd, path, O_PATH, 0, NULL);
  if (fd < 0)
    return 1; /* not here */
  struct stat st;
  if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode) || !(st.st_mode & 0111))
    return wh_error_set(err, WH_ERR_DENIED, "%s: permission denied", path);
  return 0;
}

static int check_exec(int rootfd, const char *argv0, const char *path_env,
                      const char *workdir, struct wh_error **err);

int rootfs_check_exec(int rootfd, const char *argv0, const char *path_env,
                      const char *workdir, struct wh_error **err)
{
  if (check_exec(rootfd, argv0, path_env, workdir, err) == 0)
    return 0;
  /* errnum carries docker's exit code for engine_error_exit_code(). */
  if (err && *err)
    (*err)->errnum = (*err)->kind == WH_ERR_NOT_FOUND ? -ENGINE_EXIT_NOT_FOUND
                                                      : -ENGINE_EXIT_CANNOT_RUN;
  return -1;
}

static int check_exec(int rootfd, const char *argv0, const char *path_env,
                      const char *workdir, struct wh_error **err)
{
  if (strchr(argv0, '/')) {
    _cleanup_free_ char *full = NULL;
    if (argv0[0] != '/' && asprintf(&full, "%s/%s", workdir ? workdir : "/", argv0) < 0)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    int r = check_one(rootfd, full ? full : argv0, err);
    if (r == 1)
      return wh_error_set(err, WH_ERR_NOT_FOUND, "%s: no such file or directory", argv0);
    return r;
  }
  const char *p = path_env ? path_env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  bool denied = false;
  while (*p) {
    const char *c = strchr(p, ':');
    size_t len = c ? (size_t) (c - p) : strlen(p);
    _cleanup_free_ char *full = NULL;
    if (len > 0 && asprintf(&full, "%.*s/%s", (int) len, p, argv0) < 0)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    if (full) {
      _cleanup_error_ struct wh_error *e2 = NULL;
      int r = check_one(rootfd, full, &e2);
      if (r == 0)
        return 0;
      if (r < 0)
        denied = true;
    }
    p += len;
    if (*p == ':')
      p++;
  }
  if (denied)
    return wh_error_set(err, WH_ERR_DENIED, "%s: permission denied", argv0);
  return wh_error_set(err, WH_ERR_NOT_FOUND, "%s: executable file not found in $PATH", argv0);
}
