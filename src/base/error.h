/* error.h: the error type that carries context.
 *
 * Functions that can fail take `struct wh_error **err` last, return a
 * negative value (or NULL), and leave a message saying what was being
 * done. Callers add context with wh_error_wrap() as the error travels up, so
 * main() prints one line that explains the whole chain:
 *   "pull localhost:5000/app:1: layer sha256:ab…: digest mismatch"
 *
 * `kind` is a typed category the caller can map (the registry turns
 * WH_ERR_NOT_FOUND on a blob into 404 BLOB_UNKNOWN); `errnum` keeps the
 * errno of a failed system call, 0 otherwise. Passing err == NULL is
 * allowed: the error is then dropped. */
#pragma once

#include <stdarg.h>

enum wh_err_kind {
  WH_ERR_INTERNAL = 0,   /* a bug or an unexpected failure */
  WH_ERR_IO,             /* a system call failed; see errnum */
  WH_ERR_INVALID,        /* bad input: the message says which field/what */
  WH_ERR_NOT_FOUND,
  WH_ERR_EXISTS,
  WH_ERR_DIGEST,         /* content does not match its digest */
  WH_ERR_TOO_LARGE,      /* over a configured bound */
  WH_ERR_RANGE,          /* a byte range or an offset that does not fit */
  WH_ERR_DENIED,         /* authentication or authorization */
  WH_ERR_UNSUPPORTED,
  WH_ERR_BUSY,           /* locked or in a state that forbids the action */
  WH_ERR_TIMEOUT,
};

struct wh_error {
  enum wh_err_kind kind;
  int errnum;
  char *msg;
};

/* Set *err to a new error (if err is non-NULL and *err is empty) and return
 * -1. An existing *err is kept: the first failure is the one reported. */
int wh_error_set(struct wh_error **err, enum wh_err_kind kind,
                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* As wh_error_set() with kind from errno (ENOENT → NOT_FOUND, EEXIST and
 * ENOTEMPTY → EXISTS, EACCES/EPERM → DENIED, EINVAL/ENAMETOOLONG/ELOOP/
 * EXDEV → INVALID, EFBIG → TOO_LARGE, EBUSY/EAGAIN → BUSY, ETIMEDOUT →
 * TIMEOUT, ENOSYS/EOPNOTSUPP → UNSUPPORTED, else IO, ENOSPC included),
 * and ": strerror(errno)" appended. Reads errno at entry and leaves it
 * unchanged. */
int wh_error_errno(struct wh_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* As wh_error_errno() with an explicit errno value (for APIs that return
 * a negative errno, such as libseccomp). */
int wh_error_errnum(struct wh_error **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the message of *err with context: "ctx: old message". Keeps kind
 * and errnum. Returns -1 so `return wh_error_wrap(err, "…")` reads well. */
int wh_error_wrap(struct wh_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void wh_error_free(struct wh_error *e);

static inline void wh_error_freep(struct wh_error **e)
{
  wh_error_free(*e);
  *e = (struct wh_error *) 0;
}
#define _cleanup_error_ __attribute__((cleanup(wh_error_freep)))

const char *wh_error_kind_name(enum wh_err_kind kind);
