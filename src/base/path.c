/* path.c: paths resolved under a root they cannot escape (see path.h).
 *
 * openat2(2) with RESOLVE_IN_ROOT does the resolution in the kernel, which
 * is both the fastest and the only race-free way. Where it is missing the
 * walk below does the same job in user space: it never hands the kernel
 * more than one component, never lets the kernel follow a link
 * (O_NOFOLLOW) and never uses the kernel's "..": it keeps its own stack of
 * directory fds, so ".." can only pop back towards the root. */
#include "base/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"

/* As the kernel's MAXSYMLINKS. */
#define WH_MAX_LINKS 40

bool wh_have_openat2(void)
{
  /* A size below OPEN_HOW_SIZE_VER0 is EINVAL on kernels that have the
   * call; ENOSYS (or EPERM from a seccomp filter) means it is missing. */
  long r = syscall(SYS_openat2, -1, NULL, (size_t) 0);
  return !(r < 0 && (errno == ENOSYS || errno == EPERM));
}

static int open_openat2(int rootfd, const char *path, int flags, mode_t mode)
{
  struct open_how how = {
    .flags = (uint64_t) flags,
    /* openat2 rejects a mode without O_CREAT/O_TMPFILE. */
    .mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  for (int attempt = 0;; attempt++) {
    long fd = syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
    if (fd >= 0)
      return (int) fd;
    /* EAGAIN: a concurrent rename made RESOLVE_IN_ROOT unsure; retry. */
    if (errno == EINTR || (errno == EAGAIN && attempt < 32))
      continue;
    return -1;
  }
}

/* The walk's directory stack: fds[0] is the root (not owned). */
struct walk {
  int *fds;
  size_t n, cap;
};

static void walk_free(struct walk *w)
{
  for (size_t i = 1; i < w->n; i++)
    close(w->fds[i]);
  free(w->fds);
  w->fds = NULL;
  w->n = w->cap = 0;
}

static int walk_push(struct walk *w, int fd)
{
  if (w->n == w->cap) {
    size_t ncap = w->cap ? w->cap * 2 : 16;
    int *p = realloc(w->fds, ncap * sizeof(*p));
    if (!p) {
      close(fd);
      return -1;
    }
    w->fds = p;
    w->cap = ncap;
  }
  w->fds[w->n++] = fd;
  return 0;
}

static void walk_pop_to(struct walk *w, size_t n)
{
  while (w->n > n)
    close(w->fds[--w->n]);
}

/* Read the target of the link open as O_PATH fd. */
static char *read_link_fd(int fd)
{
  char buf[PATH_MAX];
  ssize_t n = readlinkat(fd, "", buf, sizeof(buf));
  if (n < 0)
    return NULL;
  if ((size_t) n >= sizeof(buf)) {
    errno = ENAMETOOLONG;
    return NULL;
  }
  return strndup(buf, (size_t) n);
}

/* Returns an fd or -1 with errno; no wh_error so the caller names the
 * path once. */
static int walk_open(int rootfd, const char *path, int flags, mode_t mode)
{
  /* O_CREAT|O_EXCL never follows a final link either (open(2)). */
  bool follow_last = !(flags & O_NOFOLLOW) &&
                     (flags & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL);
  _cleanup_(walk_free) struct walk w = { 0 };
  if (walk_push(&w, rootfd) < 0)
    return -1;
  /* `rest` is what remains to resolve; a link's target is put in front. */
  _cleanup_free_ char *rest = strdup(path);
  if (!rest)
    return -1;
  char *p = rest;
  int links = 0;

  for (;;) {
    while (*p == '/')
      p++;
    char *end = strchrnul(p, '/');
    size_t clen = (size_t) (end - p);
    const char *after = end;
    while (*after == '/')
      after++;
    bool last = *after == '\0';
    int cur = w.fds[w.n - 1];

    if (clen == 0)
      /* The path ends at a directory we already hold. */
      return openat(cur, ".", flags | O_CLOEXEC, mode);

    char comp[NAME_MAX + 1];
    if (clen > NAME_MAX) {
      errno = ENAMETOOLONG;
      return -1;
    }
    memcpy(comp, p, clen);
    comp[clen] = '\0';

    if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
      /* ".." at the root stays at the root, as under chroot. */
      if (comp[1] == '.' && w.n > 1)
        walk_pop_to(&w, w.n - 1);
      if (last)
        return openat(w.fds[w.n - 1], ".", flags | O_CLOEXEC, mode);
      p = (char *) after;
      continue;
    }

    /* A trailing slash, as in the kernel, follows a final link and
     * requires a directory. */
    bool slash_after = last && *end == '/';
    _cleanup_close_ int fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT && last && (flags & O_CREAT)) {
        if (slash_after) {
          errno = EISDIR;
          return -1;
        }
        return openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
      }
      return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
      return -1;

    if (S_ISLNK(st.st_mode) && (!last || follow_last || slash_after)) {
      if (++links > WH_MAX_LINKS) {
        errno = ELOOP;
        return -1;
      }
      _cleanup_free_ char *target = read_link_fd(fd);
      if (!target)
        return -1;
      /* An absolute target starts again at the root. */
      if (target[0] == '/')
        walk_pop_to(&w, 1);
      char *nrest = NULL;
      if (asprintf(&nrest, "%s%s%s", target, *after || slash_after ? "/" : "",
                   after) < 0)
        return -1;
      free(rest);
      rest = p = nrest;
      continue;
    }

    if (last) {
      /* O_NOFOLLOW: if the entry was swapped for a link since fstat, the
       * open fails (ELOOP) instead of following it out of the root; the
       * kernel also gives the same EEXIST/ELOOP answers as openat2. */
      return openat(cur, comp,
                    flags | O_NOFOLLOW | O_CLOEXEC | (slash_after ? O_DIRECTORY : 0),
                    mode);
    }

    if (!S_ISDIR(st.st_mode)) {
      errno = ENOTDIR;
      return -1;
    }
    if (walk_push(&w, steal_fd(&fd)) < 0)
      return -1;
    p = (char *) after;
  }
}

int wh_open_in_root_walk(int rootfd, const char *path, int flags, mode_t mode,
                         struct wh_error **err)
{
  int fd = walk_open(rootfd, path, flags, mode);
  if (fd < 0)
    return wh_error_errno(err, "open %s in root", path);
  return fd;
}

static int open_in_root(int rootfd, const char *path, int flags, mode_t mode,
                        struct wh_error **err)
{
  flags |= O_CLOEXEC;
  int fd = open_openat2(rootfd, path, flags, mode);
  /* ENOSYS: an old kernel; EPERM may be a seccomp filter that denies the
   * call itself, which the probe tells apart from a real EPERM. */
  if (fd < 0 && (errno == ENOSYS || (errno == EPERM && !wh_have_openat2())))
    fd = walk_open(rootfd, path, flags, mode);
  if (fd < 0)
    return wh_error_errno(err, "open %s in root", path);
  return fd;
}

int wh_open_in_root(int rootfd, const char *path, int flags, mode_t mode,
                    struct wh_error **err)
{
  return open_in_root(rootfd, path, flags, mode, err);
}

int wh_open_in_root_nofollow(int rootfd, const char *path, int flags,
                             mode_t mode, struct wh_error **err)
{
  return open_in_root(rootfd, path, flags | O_NOFOLLOW, mode, err);
}

int wh_mkdir_in_root(int rootfd, const char *path, mode_t mode,
                     struct wh_error **err)
{
  /* Resolve each prefix in the root and create what is missing in its
   * (already resolved) parent. Quadratic in the depth, but depths are
   * small and every step stays inside the root, links included. */
  /* usually it exists already: one lookup */
  int whole = open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY, 0, NULL);
  if (whole >= 0)
    return whole;
  _cleanup_free_ char *copy = strdup(path);
  if (!copy)
    return wh_error_errno(err, "mkdir %s in root", path);
  size_t len = strlen(copy);
  _cleanup_close_ int dirfd = -1;
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (copy[i] != '/' && copy[i] != '\0')
      continue;
    if (i == start) {
      start = i + 1;
      continue;
    }
    char saved = copy[i];
    copy[i] = '\0';
    const char *name = copy + start;
    int fd = open_in_root(rootfd, copy, O_RDONLY | O_DIRECTORY, 0, NULL);
    if (fd < 0 && errno == ENOENT) {
      int parent = dirfd >= 0 ? dirfd : rootfd;
      if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
        return wh_error_errno(err, "mkdir %s in root", copy);
      fd = open_in_root(rootfd, copy, O_RDONLY | O_DIRECTORY, 0, NULL);
    }
    if (fd < 0) {
      if (errno == ENOTDIR)
        return wh_error_set(err, WH_ERR_EXISTS,
                            "mkdir %s in root: exists and is not a directory",
                            copy);
      return wh_error_errno(err, "mkdir %s in root", copy);
    }
    wh_closep(&dirfd);
    dirfd = fd;
    copy[i] = saved;
    start = i + 1;
  }
  if (dirfd < 0)
    return open_in_root(rootfd, ".", O_RDONLY | O_DIRECTORY, 0, err);
  return steal_fd(&dirfd);
}

char *wh_path_clean(const char *path)
{
  /* The result is never longer than the input (or "."). */
  size_t len = strlen(path);
  char *out = malloc(len + 2);
  if (!out)
    return NULL;
  size_t o = 0;
  const char *p = path;
  while (*p) {
    while (*p == '/')
      p++;
    if (!*p)
      break;
    const char *end = strchrnul(p, '/');
    size_t clen = (size_t) (end - p);
    if (clen == 1 && p[0] == '.') {
      /* skip */
    } else if (clen == 2 && p[0] == '.' && p[1] == '.') {
      /* Back up one component; at the start there is nothing to undo. */
      while (o > 0 && out[o - 1] != '/')
        o--;
      if (o > 0)
        o--;
    } else {
      if (o > 0)
        out[o++] = '/';
      memcpy(out + o, p, clen);
      o += clen;
    }
    p = end;
  }
  if (o == 0)
    out[o++] = '.';
  out[o] = '\0';
  return out;
}

int wh_path_split(const char *path, char **dir_out, char **base_out,
                  struct wh_error **err)
{
  _cleanup_free_ char *clean = wh_path_clean(path);
  if (!clean)
    return wh_error_errno(err, "split path %s", path);
  char *slash = strrchr(clean, '/');
  _cleanup_free_ char *dir = NULL, *base = NULL;
  if (slash) {
    dir = strndup(clean, (size_t) (slash - clean));
    base = strdup(slash + 1);
  } else {
    dir = strdup(".");
    base = strdup(clean);
  }
  if (!dir || !base)
    return wh_error_errno(err, "split path %s", path);
  *dir_out = steal_pointer(&dir);
  *base_out = steal_pointer(&base);
  return 0;
}
