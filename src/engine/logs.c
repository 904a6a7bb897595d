/* logs.c: `logs` from a container's JSON-lines log (written by its
 * monitor): --since/--until by the line's timestamp, --tail N lines, -t to
 * show the timestamps, -f to follow while the container runs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "internal.h"

/* Print one log line; returns 0 (also for lines filtered out). */
static int emit(const struct engine_logs *l, const char *line, size_t len)
{
  json_error_t je;
  json_t *j = json_loadb(line, len, 0, &je);
  if (!j)
    return 0; /* a line cut by a crash: skip it */
  const char *log = json_string_value(json_object_get(j, "log"));
  size_t loglen = json_string_length(json_object_get(j, "log"));
  const char *stream = json_string_value(json_object_get(j, "stream"));
  const char *time = json_string_value(json_object_get(j, "time"));
  int64_t t = 0;
  if (log && time && wh_rfc3339_parse(time, &t) == 0 &&
      (!l->since_ns || t >= l->since_ns) && (!l->until_ns || t <= l->until_ns)) {
    int fd = stream && !strcmp(stream, "stderr") ? l->err_fd : l->out_fd;
    if (l->timestamps) {
      wh_write_all(fd, time, strlen(time), NULL);
      wh_write_all(fd, " ", 1, NULL);
    }
    wh_write_all(fd, log, loglen, NULL);
  }
  json_decref(j);
  return 0;
}

/* Print complete lines of buf[0..len) and return how many bytes were
 * consumed (a trailing partial line waits for more). */
static size_t emit_lines(const struct engine_logs *l, char *buf, size_t len, long skip)
{
  size_t start = 0;
  long n = 0;
  for (size_t i = 0; i < len; i++)
    if (buf[i] == '\n') {
      if (n++ >= skip)
        emit(l, buf + start, i - start);
      start = i + 1;
    }
  return start;
}

static long count_lines(const char *buf, size_t len)
{
  long n = 0;
  for (size_t i = 0; i < len; i++)
    n += buf[i] == '\n';
  return n;
}

int engine_container_logs(struct engine *e, const char *ref,
                          const struct engine_logs *l, struct wh_error **err)
{
  _cleanup_free_ char *id = NULL;
  if (engine_container_resolve(e, ref, &id, err) < 0)
    return -1;
  _cleanup_free_ char *dir = ctr_dir(e, id);
  _cleanup_free_ char *path = NULL;
  if (asprintf(&path, "%s/ctr.log", dir) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT)
    return wh_error_errno(err, "open %s", path);
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (fd >= 0 && wh_read_fd(fd, (size_t) 1 << 31, &data, &len, err) < 0)
    return wh_error_wrap(err, "read %s", path);
  long skip = 0;
  if (l->tail >= 0) {
    long total = count_lines(data, len);
    skip = total > l->tail ? total - l->tail : 0;
  }
  size_t used = data ? emit_lines(l, data, len, skip) : 0;
  if (!l->follow)
    return 0;
  /* Follow: poll the file for growth until the container is no longer
   * running and nothing more arrived. */
  off_t off = (off_t) used;
  char buf[65536];
  size_t have = 0;
  if (len > used) {
    size_t rest = len - used < sizeof(buf) ? len - used : sizeof(buf);
    memcpy(buf, data + used, rest);
    have = rest;
    off = (off_t) len;
  }
  while (true) {
    _cleanup_ctr_ struct ctr c = {0};
    bool running = ctr_load(e, id, &c, NULL) == 0 && !strcmp(c.state, "running") &&
                   proc_alive(c.owner_pid, c.owner_start);
    if (fd < 0)
      fd = open(path, O_RDONLY | O_CLOEXEC);
    bool got = false;
    if (fd >= 0) {
      ssize_t n;
      while ((n = pread(fd, buf + have, sizeof(buf) - have, off)) > 0) {
        off += n;
        have += (size_t) n;
        got = true;
        size_t u = emit_lines(l, buf, have, 0);
        if (u == 0 && have == sizeof(buf)) {
          u = have; /* a line longer than the buffer: drop it */
        }
        memmove(buf, buf + u, have - u);
        have -= u;
      }
    }
    if (!running && !got)
      return 0;
    if (!got)
      usleep(50000);
  }
}
