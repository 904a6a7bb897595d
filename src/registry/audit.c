/* audit.c: the audit log (audit.h): JSON lines, one write(2) each, on an
 * O_APPEND file descriptor. */
#include "registry/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "registry/registry.h"

struct audit_log {
  int fd;
  _Atomic uint64_t lines;
  _Atomic uint64_t errors;
};

struct audit_log *audit_open(int dirfd, const char *path, struct wh_error **err)
{
  struct audit_log *a = calloc(1, sizeof(*a));
  if (!a) {
    wh_error_errno(err, "audit log");
    return NULL;
  }
  a->fd = openat(dirfd, path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (a->fd < 0) {
    wh_error_errno(err, "open audit log %s", path);
    free(a);
    return NULL;
  }
  return a;
}

void audit_close(struct audit_log *a)
{
  if (!a)
    return;
  close(a->fd);
  free(a);
}

uint64_t audit_lines_written(const struct audit_log *a)
{
  return a ? atomic_load(&a->lines) : 0;
}

uint64_t audit_write_errors(const struct audit_log *a)
{
  return a ? atomic_load(&a->errors) : 0;
}

static json_t *str_or_null(const char *s)
{
  return s ? json_string(s) : json_null();
}

static json_t *header(const char *event, const char *principal, const char *repo)
{
  json_t *o = json_object();
  if (!o)
    return NULL;
  char ts[WH_RFC3339_MAX];
  wh_rfc3339(wh_now_real_ns(), 3, ts);
  json_object_set_new(o, "time", json_string(ts));
  json_object_set_new(o, "event", json_string(event));
  json_object_set_new(o, "principal", str_or_null(principal));
  json_object_set_new(o, "repository", str_or_null(repo));
  return o;
}

/* One line, one write: O_APPEND makes the offset and the write one step,
 * so concurrent writers (threads or processes) never interleave. */
static void emit(struct audit_log *a, const char *event, json_t *o)
{
  char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
  json_decref(o);
  if (!line) {
    atomic_fetch_add(&a->errors, 1);
    wh_log(WH_LOG_ERROR, "audit", "cannot format event %s", event);
    return;
  }
  size_t n = strlen(line);
  char *withnl = realloc(line, n + 2);
  if (!withnl) {
    free(line);
    atomic_fetch_add(&a->errors, 1);
    return;
  }
  withnl[n] = '\n';
  withnl[n + 1] = '\0';
  ssize_t w;
  do
    w = write(a->fd, withnl, n + 1);
  while (w < 0 && errno == EINTR);
  if (w != (ssize_t) (n + 1)) {
    atomic_fetch_add(&a->errors, 1);
    wh_log(WH_LOG_ERROR, "audit", "cannot append event %s to the audit log: %s", event,
           w < 0 ? strerror(errno) : "short write");
  } else {
    atomic_fetch_add(&a->lines, 1);
  }
  free(withnl);
}

void audit_log(struct registry *reg, const char *event, const char *principal,
               const char *repo, ...)
{
  if (!reg || !reg->audit)
    return;
  json_t *fields = json_object();
  va_list ap;
  va_start(ap, repo);
  const char *k;
  while (fields && (k = va_arg(ap, const char *)) != NULL) {
    const char *v = va_arg(ap, const char *);
    json_object_set_new(fields, k, str_or_null(v));
  }
  va_end(ap);
  audit_log_json(reg, event, principal, repo, fields);
}

void audit_log_json(struct registry *reg, const char *event, const char *principal,
                    const char *repo, json_t *fields)
{
  if (!reg || !reg->audit) {
    json_decref(fields);
    return;
  }
  json_t *o = header(event, principal, repo);
  if (o && fields)
    json_object_update(o, fields);
  json_decref(fields);
  if (o)
    emit(reg->audit, event, o);
}

void audit_log_counts(struct registry *reg, const char *event, const char *principal,
                      const char *repo, ...)
{
  if (!reg || !reg->audit)
    return;
  json_t *fields = json_object();
  va_list ap;
  va_start(ap, repo);
  const char *k;
  while (fields && (k = va_arg(ap, const char *)) != NULL) {
    int64_t v = va_arg(ap, int64_t);
    json_object_set_new(fields, k, json_integer((json_int_t) v));
  }
  va_end(ap);
  audit_log_json(reg, event, principal, repo, fields);
}
