/* image/unpack.c: layer tar → directory (see unpack.h).
 *
 * Two libarchive readers are chained: the outer one ("raw" format with the
 * gzip and zstd filters) only decompresses, so the uncompressed bytes pass
 * through our hands to be hashed and counted; the inner one parses tar
 * from them. */
#include "image/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/path.h"
#include "image/tarentry.h"

struct dir_time {
  char *path;
  struct timespec ts[2];
};

struct unpack {
  int rootfd;
  image_read_fn src;
  void *src_ctx;
  struct archive *outer;
  struct archive *inner;
  struct wh_hasher *diff;
  uint64_t bytes;
  uint64_t max_bytes;
  bool too_large;
  bool src_failed;
  struct dir_time *dirs;
  size_t n_dirs, cap_dirs;
};

static la_ssize_t outer_read(struct archive *a, void *ud, const void **buf)
{
  struct unpack *u = ud;
  ssize_t n = u->src(u->src_ctx, buf);
  if (n < 0) {
    u->src_failed = true;
    archive_set_error(a, EIO, "layer source failed");
    return -1;
  }
  return n;
}

static la_ssize_t inner_read(struct archive *a, void *ud, const void **buf)
{
  struct unpack *u = ud;
  size_t size;
  la_int64_t off;
  int r = archive_read_data_block(u->outer, buf, &size, &off);
  if (r == ARCHIVE_EOF)
    return 0;
  if (r < ARCHIVE_WARN) {
    archive_set_error(a, archive_errno(u->outer) ? archive_errno(u->outer) : EIO, "%s",
                      archive_error_string(u->outer) ? archive_error_string(u->outer)
                                                     : "decompression failed");
    return -1;
  }
  u->bytes += size;
  if (u->bytes > u->max_bytes) {
    u->too_large = true;
    archive_set_error(a, EFBIG, "layer too large");
    return -1;
  }
  wh_hasher_update(u->diff, *buf, size);
  return (la_ssize_t) size;
}

static int archive_fail(struct unpack *u, struct archive *a, const char *what,
                        struct wh_error **err)
{
  if (u->too_large)
    return wh_error_set(err, WH_ERR_TOO_LARGE,
                        "layer is larger than the limit of %llu uncompressed bytes",
                        (unsigned long long) u->max_bytes);
  if (u->src_failed)
    return wh_error_set(err, WH_ERR_IO, "reading the layer failed");
  const char *s = archive_error_string(a);
  return wh_error_set(err, WH_ERR_INVALID, "%s: %s", what, s ? s : "malformed archive");
}

static void fill_times(struct archive_entry *e, struct timespec ts[2])
{
  ts[1].tv_sec = archive_entry_mtime(e);
  ts[1].tv_nsec = archive_entry_mtime_nsec(e);
  if (archive_entry_atime_is_set(e)) {
    ts[0].tv_sec = archive_entry_atime(e);
    ts[0].tv_nsec = archive_entry_atime_nsec(e);
  } else {
    ts[0] = ts[1];
  }
}

/* Layers must not forge overlay metadata (a whiteout is expressed with a
 * .wh. name), and the SELinux label is the host's business. */
static bool xattr_allowed(const char *name)
{
  return strncmp(name, "trusted.overlay.", 16) != 0 && strcmp(name, "security.selinux") != 0;
}

static int apply_xattrs(int fd, struct archive_entry *e, const char *path,
                        struct wh_error **err)
{
  const char *name;
  const void *value;
  size_t size;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    if (!xattr_allowed(name))
      continue;
    if (fsetxattr(fd, name, value, size, 0) < 0 && errno != ENOTSUP)
      return wh_error_errno(err, "%s: set xattr %s", path, name);
  }
  return 0;
}

/* Owner, mode, xattrs and times of a just-created regular file or
 * directory; chown first because it clears set-id bits. */
static int apply_meta_fd(int fd, struct archive_entry *e, const char *path, bool times,
                         struct wh_error **err)
{
  if (fchown(fd, (uid_t) archive_entry_uid(e), (gid_t) archive_entry_gid(e)) < 0)
    return wh_error_errno(err, "%s: chown", path);
  if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
    return wh_error_errno(err, "%s: chmod", path);
  if (apply_xattrs(fd, e, path, err) < 0)
    return -1;
  if (times) {
    struct timespec ts[2];
    fill_times(e, ts);
    if (futimens(fd, ts) < 0)
      return wh_error_errno(err, "%s: set times", path);
  }
  return 0;
}

/* Make room for the new entry `base` in dirfd: an existing directory is
 * kept when the entry is a directory too (tar semantics), anything else
 * is removed. */
static int clear_target(int dirfd, const char *base, bool new_is_dir, const char *path,
                        struct wh_error **err)
{
  struct stat st;
  if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT)
      return 0;
    return wh_error_errno(err, "%s: stat", path);
  }
  if (S_ISDIR(st.st_mode)) {
    if (new_is_dir)
      return 1;
    return wh_rm_rf_at(dirfd, base, err);
  }
  if (unlinkat(dirfd, base, 0) < 0)
    return wh_error_errno(err, "%s: remove", path);
  return 0;
}

static int write_file(struct unpack *u, int dirfd, const char *base, const char *path,
                      struct archive_entry *e, uint64_t *content, struct wh_error **err)
{
  _cleanup_close_ int fd =
      openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return wh_error_errno(err, "%s: create", path);
  const void *buf;
  size_t size;
  la_int64_t off;
  int64_t pos = 0;
  int r;
  while ((r = archive_read_data_block(u->inner, &buf, &size, &off)) == ARCHIVE_OK) {
    if (off != pos) {
      /* sparse member: leave a hole */
      if (lseek(fd, off, SEEK_SET) < 0)
        return wh_error_errno(err, "%s: seek", path);
      pos = off;
    }
    if (wh_write_all(fd, buf, size, err) < 0)
      return wh_error_wrap(err, "%s", path);
    pos += (int64_t) size;
  }
  if (r != ARCHIVE_EOF)
    return archive_fail(u, u->inner, path, err);
  int64_t want = archive_entry_size(e);
  if (want > pos && ftruncate(fd, want) < 0)
    return wh_error_errno(err, "%s: truncate", path);
  *content += (uint64_t) (want > 0 ? want : 0);
  return apply_meta_fd(fd, e, path, true, err);
}

static int remember_dir_time(struct unpack *u, const char *path, struct archive_entry *e,
                             struct wh_error **err)
{
  if (u->n_dirs == u->cap_dirs) {
    size_t ncap = u->cap_dirs ? u->cap_dirs * 2 : 64;
    struct dir_time *nd = realloc(u->dirs, ncap * sizeof(*nd));
    if (!nd)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    u->dirs = nd;
    u->cap_dirs = ncap;
  }
  struct dir_time *d = &u->dirs[u->n_dirs];
  d->path = strdup(path);
  if (!d->path)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  fill_times(e, d->ts);
  u->n_dirs++;
  return 0;
}

static int make_hardlink(struct unpack *u, int dirfd, const char *base, const char *path,
                         const char *link, struct wh_error **err)
{
  _cleanup_free_ char *target = NULL;
  if (image_tar_clean_path(link, "hard link target", &target, err) < 0)
    return wh_error_wrap(err, "%s", path);
  _cleanup_free_ char *tdir = NULL, *tbase = NULL;
  if (wh_path_split(target, &tdir, &tbase, err) < 0)
    return -1;
  _cleanup_close_ int tdirfd = -1;
  if (strcmp(target, ".") != 0) {
    tdirfd = wh_open_in_root_nofollow(u->rootfd, tdir, O_PATH | O_DIRECTORY, 0, NULL);
  }
  struct stat st;
  if (tdirfd < 0 ||
      fstatat(tdirfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
    return wh_error_set(err, WH_ERR_INVALID,
                        "%s: hard link target \"%.200s\" is not a file in the layer", path, link);
  if (clear_target(dirfd, base, false, path, err) < 0)
    return -1;
  if (linkat(tdirfd, tbase, dirfd, base, 0) < 0)
    return wh_error_errno(err, "%s: link to %s", path, target);
  return 0;
}

/* The directory `dir` (cleaned, relative) under the layer root, created
 * as needed. A component that is a symlink is refused: tar producers never
 * write through a link, and a member that does is how layers try to
 * escape (the link pointing out of the layer). */
static int open_parent(int rootfd, const char *dir, const char *path, struct wh_error **err)
{
  int cur = dup(rootfd);
  if (cur < 0)
    return wh_error_errno(err, "dup");
  if (strcmp(dir, ".") == 0)
    return cur;
  _cleanup_free_ char *copy = strdup(dir);
  if (!copy) {
    close(cur);
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  char *save = NULL;
  for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    int next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT) {
      if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST) {
        int e = errno;
        close(cur);
        return wh_error_errnum(err, e, "%s: mkdir %s", path, c);
      }
      next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (next < 0) {
      int e = errno;
      struct stat st;
      bool link = fstatat(cur, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
      close(cur);
      if (link)
        return wh_error_set(err, WH_ERR_INVALID,
                            "entry \"%.200s\": goes through the symlink \"%s\" (a layer may not "
                            "write through links)", path, c);
      if (e == ENOTDIR)
        return wh_error_set(err, WH_ERR_INVALID, "entry \"%.200s\": \"%s\" is not a directory",
                            path, c);
      return wh_error_errnum(err, e, "%s: open %s", path, c);
    }
    close(cur);
    cur = next;
  }
  return cur;
}

/* A relative symlink target may not climb above the layer root (docker
 * refuses these too); absolute targets are resolved inside the
 * container's root when used, so they stay. */
static int check_symlink(const char *path, const char *target, struct wh_error **err)
{
  if (target[0] == '/')
    return 0;
  long depth = 0;
  for (const char *p = path; *p; p++)
    if (*p == '/')
      depth++;
  const char *t = target;
  while (*t) {
    const char *e = strchr(t, '/');
    size_t n = e ? (size_t) (e - t) : strlen(t);
    if (n == 2 && t[0] == '.' && t[1] == '.') {
      if (--depth < 0)
        return wh_error_set(err, WH_ERR_INVALID,
                            "symlink \"%.200s\" -> \"%.200s\" points out of the layer", path,
                            target);
    } else if (n > 0 && !(n == 1 && t[0] == '.')) {
      depth++;
    }
    t += n;
    while (*t == '/')
      t++;
  }
  return 0;
}

static int apply_whiteout(struct unpack *u, const char *dir, enum image_whiteout kind,
                          const char *target, const char *path, struct wh_error **err)
{
  _cleanup_close_ int dirfd = open_parent(u->rootfd, dir, path, err);
  if (dirfd < 0)
    return -1;
  if (kind == IMAGE_WHITEOUT_OPAQUE) {
    _cleanup_close_ int d = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0 || fsetxattr(d, "trusted.overlay.opaque", "y", 1, 0) < 0)
      return wh_error_errno(err, "%s: mark opaque", path);
    return 0;
  }
  if (clear_target(dirfd, target, false, path, err) < 0)
    return -1;
  if (mknodat(dirfd, target, S_IFCHR | 0, makedev(0, 0)) < 0)
    return wh_error_errno(err, "%s: create whiteout", path);
  return 0;
}

static int apply_entry(struct unpack *u, struct archive_entry *e, uint64_t *content,
                       struct wh_error **err)
{
  const char *name = archive_entry_pathname(e);
  if (!name)
    return wh_error_set(err, WH_ERR_INVALID, "entry without a name");
  _cleanup_free_ char *path = NULL;
  if (image_tar_clean_path(name, "entry", &path, err) < 0)
    return -1;
  if (strcmp(path, ".") == 0)
    return 0; /* the layer root: its metadata belongs to the image's rootfs, not a layer */
  _cleanup_free_ char *dir = NULL, *base = NULL;
  if (wh_path_split(path, &dir, &base, err) < 0)
    return -1;
  enum image_whiteout wo;
  const char *wo_target;
  if (image_tar_whiteout(base, &wo, &wo_target, err) < 0)
    return wh_error_wrap(err, "entry \"%.200s\"", name);
  if (wo != IMAGE_WHITEOUT_NONE)
    return apply_whiteout(u, dir, wo, wo_target, path, err);

  _cleanup_close_ int dirfd = open_parent(u->rootfd, dir, path, err);
  if (dirfd < 0)
    return -1;

  const char *link = archive_entry_hardlink(e);
  if (link)
    return make_hardlink(u, dirfd, base, path, link, err);

  mode_t type = archive_entry_filetype(e);
  int keep = clear_target(dirfd, base, type == AE_IFDIR, path, err);
  if (keep < 0)
    return -1;
  switch (type) {
  case AE_IFREG:
    return write_file(u, dirfd, base, path, e, content, err);
  case AE_IFDIR: {
    if (!keep && mkdirat(dirfd, base, 0700) < 0)
      return wh_error_errno(err, "%s: mkdir", path);
    _cleanup_close_ int fd =
        openat(dirfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return wh_error_errno(err, "%s: open", path);
    if (apply_meta_fd(fd, e, path, false, err) < 0)
      return -1;
    return remember_dir_time(u, path, e, err);
  }
  case AE_IFLNK: {
    const char *target = archive_entry_symlink(e);
    if (!target || !*target || strlen(target) >= IMAGE_TAR_PATH_MAX)
      return wh_error_set(err, WH_ERR_INVALID, "%s: bad symlink target", path);
    if (check_symlink(path, target, err) < 0)
      return -1;
    /* Stored as is: resolved later inside the container's root; here no
     * later member may write through it (open_parent). */
    if (symlinkat(target, dirfd, base) < 0)
      return wh_error_errno(err, "%s: symlink", path);
    break;
  }
  case AE_IFCHR:
  case AE_IFBLK:
  case AE_IFIFO:
    if (mknodat(dirfd, base, type | (archive_entry_perm(e) & 07777),
                type == AE_IFIFO ? 0 : archive_entry_rdev(e)) < 0)
      return wh_error_errno(err, "%s: mknod", path);
    break;
  case AE_IFSOCK:
    return 0; /* sockets are not carried in images */
  default:
    return wh_error_set(err, WH_ERR_INVALID, "%s: unknown entry type 0%o", path,
                        (unsigned) type);
  }
  /* symlinks and nodes: no fd to work on, so the *at forms without
   * following the final link */
  if (fchownat(dirfd, base, (uid_t) archive_entry_uid(e), (gid_t) archive_entry_gid(e),
               AT_SYMLINK_NOFOLLOW) < 0)
    return wh_error_errno(err, "%s: chown", path);
  if (type != AE_IFLNK && fchmodat(dirfd, base, archive_entry_perm(e) & 07777, 0) < 0)
    return wh_error_errno(err, "%s: chmod", path);
  struct timespec ts[2];
  fill_times(e, ts);
  if (utimensat(dirfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return wh_error_errno(err, "%s: set times", path);
  return 0;
}

/* Directory times last: creating their children changed them. */
static int apply_dir_times(struct unpack *u, struct wh_error **err)
{
  for (size_t i = u->n_dirs; i-- > 0;) {
    _cleanup_close_ int fd = wh_open_in_root_nofollow(u->rootfd, u->dirs[i].path,
                                                      O_RDONLY | O_DIRECTORY, 0, NULL);
    if (fd < 0)
      continue; /* replaced by a later member */
    if (futimens(fd, u->dirs[i].ts) < 0)
      return wh_error_errno(err, "%s: set times", u->dirs[i].path);
  }
  return 0;
}

static void unpack_free(struct unpack *u)
{
  if (u->inner)
    archive_read_free(u->inner);
  if (u->outer)
    archive_read_free(u->outer);
  wh_hasher_free(u->diff);
  for (size_t i = 0; i < u->n_dirs; i++)
    free(u->dirs[i].path);
  free(u->dirs);
}

int image_unpack(int layer_dirfd, image_read_fn read, void *ctx,
                 const struct image_unpack_limits *limits,
                 struct image_unpack_result *res, struct wh_error **err)
{
  memset(res, 0, sizeof(*res));
  _cleanup_(unpack_free) struct unpack u = {
    .rootfd = layer_dirfd,
    .src = read,
    .src_ctx = ctx,
    .max_bytes = limits && limits->max_bytes ? limits->max_bytes : IMAGE_UNPACK_DEFAULT_MAX_BYTES,
  };
  uint64_t max_entries = limits && limits->max_entries ? limits->max_entries
                                                       : IMAGE_UNPACK_DEFAULT_MAX_ENTRIES;
  u.diff = wh_hasher_new(WH_SHA256, err);
  if (!u.diff)
    return -1;
  u.outer = archive_read_new();
  u.inner = archive_read_new();
  if (!u.outer || !u.inner)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  archive_read_support_filter_gzip(u.outer);
  archive_read_support_filter_zstd(u.outer);
  archive_read_support_format_raw(u.outer);
  if (archive_read_open(u.outer, &u, NULL, outer_read, NULL) != ARCHIVE_OK)
    return archive_fail(&u, u.outer, "layer", err);
  struct archive_entry *raw;
  if (archive_read_next_header(u.outer, &raw) != ARCHIVE_OK)
    return archive_fail(&u, u.outer, "layer", err);

  archive_read_support_format_tar(u.inner);
  if (archive_read_open(u.inner, &u, NULL, inner_read, NULL) != ARCHIVE_OK)
    return archive_fail(&u, u.inner, "layer", err);
  for (;;) {
    struct archive_entry *e;
    int r = archive_read_next_header(u.inner, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN)
      return archive_fail(&u, u.inner, "layer tar", err);
    if (++res->entries > max_entries)
      return wh_error_set(err, WH_ERR_TOO_LARGE, "layer has more than %llu entries",
                          (unsigned long long) max_entries);
    if (apply_entry(&u, e, &res->content_bytes, err) < 0)
      return -1;
  }
  /* The tar ends with zero blocks libarchive need not read: the diff id
   * covers every byte, so drain the rest. */
  for (;;) {
    const void *b;
    la_ssize_t n = inner_read(u.inner, &u, &b);
    if (n == 0)
      break;
    if (n < 0)
      return archive_fail(&u, u.inner, "layer", err);
  }
  if (apply_dir_times(&u, err) < 0)
    return -1;
  wh_hasher_final(u.diff, res->diff_id);
  res->tar_bytes = u.bytes;
  return 0;
}
