/* file.c: bounded whole-file reads, atomic writes, directory helpers
 * (see file.h). */
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/id.h"

int wh_write_all(int fd, const void *buf, size_t len, struct wh_error **err)
{
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return wh_error_errno(err, "write");
    }
    if (n == 0)
      return wh_error_set(err, WH_ERR_IO, "write: no progress");
    p += n;
    len -= (size_t) n;
  }
  return 0;
}

ssize_t wh_read_all(int fd, void *buf, size_t len, struct wh_error **err)
{
  char *p = buf;
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, p + got, len - got);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return wh_error_errno(err, "read");
    }
    if (n == 0)
      break;
    got += (size_t) n;
  }
  return (ssize_t) got;
}

int wh_read_fd(int fd, size_t max_size, char **data_out, size_t *len_out,
               struct wh_error **err)
{
  size_t cap = 4096, len = 0;
  /* Keep max_size + 2 below SIZE_MAX so callers can pass SIZE_MAX for
   * "no limit" without the bound arithmetic wrapping to 0. */
  if (max_size > SIZE_MAX - 2)
    max_size = SIZE_MAX - 2;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    if ((uint64_t) st.st_size > max_size)
      return wh_error_set(err, WH_ERR_TOO_LARGE,
                          "file is %lld bytes, more than the limit of %zu",
                          (long long) st.st_size, max_size);
    cap = (size_t) st.st_size + 1;
  }
  _cleanup_free_ char *data = malloc(cap);
  if (!data)
    return wh_error_errno(err, "read");
  for (;;) {
    if (len + 1 >= cap) {
      if (cap > max_size + 1)
        return wh_error_set(err, WH_ERR_TOO_LARGE,
                            "file is larger than the limit of %zu bytes", max_size);
      size_t ncap = cap * 2 > max_size + 2 ? max_size + 2 : cap * 2;
      char *nd = realloc(data, ncap);
      if (!nd)
        return wh_error_errno(err, "read");
      data = nd;
      cap = ncap;
    }
    ssize_t n = read(fd, data + len, cap - len - 1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return wh_error_errno(err, "read");
    }
    if (n == 0)
      break;
    len += (size_t) n;
    if (len > max_size)
      return wh_error_set(err, WH_ERR_TOO_LARGE,
                          "file is larger than the limit of %zu bytes", max_size);
  }
  data[len] = '\0';
  *data_out = steal_pointer(&data);
  if (len_out)
    *len_out = len;
  return 0;
}

int wh_read_file_at(int dirfd, const char *path, size_t max_size,
                    char **data_out, size_t *len_out, struct wh_error **err)
{
  _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return wh_error_errno(err, "open %s", path);
  if (wh_read_fd(fd, max_size, data_out, len_out, err) < 0)
    return wh_error_wrap(err, "%s", path);
  return 0;
}

int wh_fsync_dir(int dirfd, struct wh_error **err)
{
  if (fsync(dirfd) < 0 && errno != EINVAL && errno != EROFS)
    return wh_error_errno(err, "fsync directory");
  return 0;
}

int wh_tmpfile_at(int dirfd, const char *prefix, mode_t mode, char **name_out,
                  struct wh_error **err)
{
  for (int attempt = 0; attempt < 16; attempt++) {
    unsigned char rnd[8];
    if (wh_random_bytes(rnd, sizeof(rnd), err) < 0)
      return -1;
    char hex[sizeof(rnd) * 2 + 1];
    wh_hex_encode(rnd, sizeof(rnd), hex);
    _cleanup_free_ char *name = NULL;
    if (asprintf(&name, ".tmp-%s-%s", prefix, hex) < 0)
      return wh_error_errno(err, "temporary file name");
    int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd >= 0) {
      *name_out = steal_pointer(&name);
      return fd;
    }
    if (errno != EEXIST)
      return wh_error_errno(err, "create temporary file");
  }
  return wh_error_set(err, WH_ERR_EXISTS, "create temporary file: too many collisions");
}

int wh_write_file_atomic(int dirfd, const char *name, const void *data,
                         size_t len, mode_t mode, struct wh_error **err)
{
  if (!*name || strchr(name, '/'))
    return wh_error_set(err, WH_ERR_INVALID,
                        "atomic write: '%s' is not a single path component", name);
  _cleanup_free_ char *tmp = NULL;
  _cleanup_close_ int fd = wh_tmpfile_at(dirfd, name, mode, &tmp, err);
  if (fd < 0)
    return wh_error_wrap(err, "write %s", name);
  if (wh_write_all(fd, data, len, err) < 0 || fchmod(fd, mode) < 0 ||
      fsync(fd) < 0) {
    if (!err || !*err)
      wh_error_errno(err, "write %s", name);
    else
      wh_error_wrap(err, "write %s", name);
    unlinkat(dirfd, tmp, 0);
    return -1;
  }
  if (renameat(dirfd, tmp, dirfd, name) < 0) {
    wh_error_errno(err, "rename into %s", name);
    unlinkat(dirfd, tmp, 0);
    return -1;
  }
  return wh_fsync_dir(dirfd, err);
}

int wh_mkdir_p_at(int dirfd, const char *path, mode_t mode, struct wh_error **err)
{
  if (!*path)
    return wh_error_set(err, WH_ERR_INVALID, "mkdir: empty path");
  /* usually it exists already: one stat, not two calls per component */
  struct stat whole;
  if (fstatat(dirfd, path, &whole, 0) == 0 && S_ISDIR(whole.st_mode))
    return 0;
  _cleanup_free_ char *copy = strdup(path);
  if (!copy)
    return wh_error_errno(err, "mkdir %s", path);
  size_t len = strlen(copy);
  while (len > 1 && copy[len - 1] == '/')
    copy[--len] = '\0';
  /* copy is non-empty, so copy + 1 is at most its terminator. */
  for (char *p = copy + 1; ; p++) {
    if (*p == '/' || *p == '\0') {
      char saved = *p;
      *p = '\0';
      if (mkdirat(dirfd, copy, mode) < 0) {
        if (errno != EEXIST)
          return wh_error_errno(err, "mkdir %s", copy);
        struct stat st;
        if (fstatat(dirfd, copy, &st, 0) < 0)
          return wh_error_errno(err, "mkdir %s", copy);
        if (!S_ISDIR(st.st_mode))
          return wh_error_set(err, WH_ERR_EXISTS, "mkdir %s: exists and is not a directory", copy);
      }
      *p = saved;
      if (saved == '\0')
        break;
    }
  }
  return 0;
}

static int rm_rf_children(int fd, dev_t dev, struct wh_error **err);

static int rm_entry(int dirfd, const char *name, dev_t dev, struct wh_error **err)
{
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT)
      return 0;
    return wh_error_errno(err, "stat %s", name);
  }
  if (S_ISDIR(st.st_mode)) {
    if (st.st_dev != dev)
      return wh_error_set(err, WH_ERR_BUSY, "remove %s: a mount point or another file system", name);
    _cleanup_close_ int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
      return wh_error_errno(err, "open %s", name);
    if (rm_rf_children(sub, dev, err) < 0)
      return wh_error_wrap(err, "%s", name);
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
      return wh_error_errno(err, "rmdir %s", name);
    return 0;
  }
  if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
    return wh_error_errno(err, "unlink %s", name);
  return 0;
}

static int rm_rf_children(int fd, dev_t dev, struct wh_error **err)
{
  int dfd = dup(fd);
  if (dfd < 0)
    return wh_error_errno(err, "dup");
  _cleanup_closedir_ DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return wh_error_errno(err, "opendir");
  }
  struct dirent *de;
  errno = 0;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (rm_entry(fd, de->d_name, dev, err) < 0)
      return -1;
    errno = 0;
  }
  if (errno)
    return wh_error_errno(err, "readdir");
  return 0;
}

int wh_rm_rf_at(int dirfd, const char *name, struct wh_error **err)
{
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT)
      return 0;
    return wh_error_errno(err, "stat %s", name);
  }
  return rm_entry(dirfd, name, st.st_dev, err);
}
