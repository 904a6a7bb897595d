/* error.c: the error type that carries context (see error.h). */
#include "base/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Used when even the message cannot be allocated: the error still carries
 * its kind, and callers never see a NULL message. */
static char oom_msg[] = "out of memory while reporting an error";

__attribute__((format(printf, 5, 0)))
static int error_vset(struct wh_error **err, enum wh_err_kind kind, int errnum,
                      const char *suffix, const char *fmt, va_list ap)
{
  if (!err || *err)
    return -1;
  struct wh_error *e = calloc(1, sizeof(*e));
  if (!e)
    return -1;
  e->kind = kind;
  e->errnum = errnum;
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  if (msg && suffix) {
    char *full = NULL;
    if (asprintf(&full, "%s: %s", msg, suffix) < 0)
      full = NULL;
    free(msg);
    msg = full;
  }
  e->msg = msg ? msg : oom_msg;
  *err = e;
  return -1;
}

int wh_error_set(struct wh_error **err, enum wh_err_kind kind, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  error_vset(err, kind, 0, NULL, fmt, ap);
  va_end(ap);
  return -1;
}

static enum wh_err_kind kind_of_errno(int errnum)
{
  switch (errnum) {
  case ENOENT:
    return WH_ERR_NOT_FOUND;
  case EEXIST:
  case ENOTEMPTY:
    return WH_ERR_EXISTS;
  case EACCES:
  case EPERM:
    return WH_ERR_DENIED;
  case EINVAL:
  case ENAMETOOLONG:
  case ELOOP:
  case EXDEV:
    return WH_ERR_INVALID;
  case EFBIG:
    return WH_ERR_TOO_LARGE;
  /* ENOSPC and EDQUOT stay WH_ERR_IO: a full disk is the server's
   * problem, not a request that was too large (the registry must not turn
   * it into a 4xx). */
  case EBUSY:
  case EAGAIN:
    return WH_ERR_BUSY;
  case ETIMEDOUT:
    return WH_ERR_TIMEOUT;
  case ENOSYS:
  case EOPNOTSUPP:
    return WH_ERR_UNSUPPORTED;
  default:
    return WH_ERR_IO;
  }
}

int wh_error_errnum(struct wh_error **err, int errnum, const char *fmt, ...)
{
  if (errnum < 0)
    errnum = -errnum;
  char sbuf[128];
  const char *s = strerror_r(errnum, sbuf, sizeof(sbuf));
  va_list ap;
  va_start(ap, fmt);
  error_vset(err, kind_of_errno(errnum), errnum, s, fmt, ap);
  va_end(ap);
  errno = errnum;
  return -1;
}

int wh_error_errno(struct wh_error **err, const char *fmt, ...)
{
  int errnum = errno;
  char sbuf[128];
  const char *s = strerror_r(errnum, sbuf, sizeof(sbuf));
  va_list ap;
  va_start(ap, fmt);
  error_vset(err, kind_of_errno(errnum), errnum, s, fmt, ap);
  va_end(ap);
  errno = errnum;
  return -1;
}

int wh_error_wrap(struct wh_error **err, const char *fmt, ...)
{
  if (!err || !*err)
    return -1;
  struct wh_error *e = *err;
  char *ctx = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&ctx, fmt, ap);
  va_end(ap);
  if (n < 0)
    return -1; /* keep the inner message rather than lose it */
  char *full = NULL;
  if (asprintf(&full, "%s: %s", ctx, e->msg) < 0) {
    free(ctx);
    return -1;
  }
  free(ctx);
  if (e->msg != oom_msg)
    free(e->msg);
  e->msg = full;
  return -1;
}

void wh_error_free(struct wh_error *e)
{
  if (!e)
    return;
  if (e->msg != oom_msg)
    free(e->msg);
  free(e);
}

const char *wh_error_kind_name(enum wh_err_kind kind)
{
  static const char *const names[] = {
    [WH_ERR_INTERNAL] = "internal", [WH_ERR_IO] = "io",
    [WH_ERR_INVALID] = "invalid",   [WH_ERR_NOT_FOUND] = "not found",
    [WH_ERR_EXISTS] = "exists",     [WH_ERR_DIGEST] = "digest mismatch",
    [WH_ERR_TOO_LARGE] = "too large", [WH_ERR_RANGE] = "range",
    [WH_ERR_DENIED] = "denied",     [WH_ERR_UNSUPPORTED] = "unsupported",
    [WH_ERR_BUSY] = "busy",         [WH_ERR_TIMEOUT] = "timeout",
  };
  if ((unsigned) kind >= sizeof(names) / sizeof(names[0]) || !names[kind])
    return "unknown";
  return names[kind];
}
