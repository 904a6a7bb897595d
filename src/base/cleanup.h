/* cleanup.h: scope-bound ownership with __attribute__((cleanup)).
 *
 * Every function frees what its scope owns on every return path by
 * declaring owners with these macros; ownership moves out explicitly with
 * steal_pointer() / steal_fd(), so a reader sees where it goes. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void wh_freep(void *p)
{
  void **pp = (void **) p;
  free(*pp);
  *pp = NULL;
}

/* close() that keeps errno: cleanup runs on error paths where the caller
 * still reads errno. */
static inline void wh_closep(int *fd)
{
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
  *fd = -1;
}

static inline void wh_fclosep(FILE **f)
{
  if (*f) {
    int saved = errno;
    fclose(*f);
    errno = saved;
  }
  *f = NULL;
}

static inline void wh_closedirp(DIR **d)
{
  if (*d) {
    int saved = errno;
    closedir(*d);
    errno = saved;
  }
  *d = NULL;
}

/* A NULL-terminated vector of heap strings, each owned. */
static inline void wh_strvfreep(char ***v)
{
  if (*v) {
    for (char **s = *v; *s; s++)
      free(*s);
    free(*v);
  }
  *v = NULL;
}

#define _cleanup_free_ _cleanup_(wh_freep)
#define _cleanup_close_ _cleanup_(wh_closep)
#define _cleanup_fclose_ _cleanup_(wh_fclosep)
#define _cleanup_closedir_ _cleanup_(wh_closedirp)
#define _cleanup_strv_ _cleanup_(wh_strvfreep)

/* Take the value out of an owner, leaving it empty. */
#define steal_pointer(pp) \
  ({ __typeof__(*(pp)) _p = *(pp); *(pp) = NULL; _p; })

static inline int steal_fd(int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}

#define WH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
