/* crash_shim.c: an LD_PRELOAD library for the registry's crash-safety
 * test (test_reg_crash.py). It wraps the calls that make state durable or
 * visible — fsync, fdatasync, rename, renameat, renameat2 — and, with
 * SQLite at synchronous=FULL, every commit (a WAL fdatasync):
 *
 *   WHARF_CRASH_LOG=FILE   append one line per call ("fsync 12"), to count
 *   WHARF_CRASH_AT=N       SIGKILL the process at the Nth call, before it
 *                          runs, as a power cut or OOM kill would
 *
 * Built by tests/unit/registry/meson.build; not linked into any program. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_long calls;

static void point(const char *op)
{
  long n = atomic_fetch_add(&calls, 1) + 1;
  const char *log = getenv("WHARF_CRASH_LOG");
  if (log) {
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
      char line[64];
      int len = snprintf(line, sizeof(line), "%s %ld\n", op, n);
      if (write(fd, line, (size_t) len) < 0) {
        /* nothing to do: the count is best effort in log mode */
      }
      close(fd);
    }
  }
  const char *at = getenv("WHARF_CRASH_AT");
  if (at && atol(at) == n)
    kill(getpid(), SIGKILL);
}

typedef int (*fd_fn)(int);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat_fn)(int, const char *, int, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned);

#define REAL(name, type) \
  static type real; \
  if (!real) \
    real = (type) dlsym(RTLD_NEXT, name)

int fsync(int fd)
{
  REAL("fsync", fd_fn);
  point("fsync");
  return real(fd);
}

int fdatasync(int fd)
{
  REAL("fdatasync", fd_fn);
  point("fdatasync");
  return real(fd);
}

int rename(const char *a, const char *b)
{
  REAL("rename", rename_fn);
  point("rename");
  return real(a, b);
}

int renameat(int da, const char *a, int db, const char *b)
{
  REAL("renameat", renameat_fn);
  point("renameat");
  return real(da, a, db, b);
}

int renameat2(int da, const char *a, int db, const char *b, unsigned flags)
{
  REAL("renameat2", renameat2_fn);
  point("renameat2");
  return real(da, a, db, b, flags);
}
