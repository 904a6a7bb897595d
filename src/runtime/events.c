/* events.c: the OOM event stream of `events` (runc's notifyOnOOM).
 *
 * cgroup v1: an eventfd registered for memory.oom_control through
 * cgroup.event_control; the kernel signals it on each OOM in the cgroup and
 * also when the cgroup is removed (then cgroup.event_control is gone).
 * cgroup v2: inotify on memory.events; an event is an increase of its
 * "oom_kill" counter. Both end when init is no longer alive and
 * nothing is pending. The container's lock is only held while opening, so
 * the stream never blocks delete. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "runtime/internal.h"

struct runtime_events {
  char *id;
  char memdir[4200];
  bool v2;
  int fd;                     /* v1 eventfd or v2 inotify */
  int pidfd;                  /* init's: readable when it exits, -1 */
  pid_t pid;
  unsigned long long start_time;
  unsigned long long oom_seen;   /* v2: last oom_kill count */
};

static unsigned long long v2_oom_count(const char *dir)
{
  char buf[1024];
  if (rt_cg_read(dir, "memory.events", buf, sizeof(buf)) < 0)
    return 0;
  unsigned long long n = 0;
  /* one event per kill: "oom" rises too, for the same OOM */
  char *save = NULL;
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
    if (strncmp(line, "oom_kill ", 9) == 0)
      n = strtoull(line + 9, NULL, 10);
  return n;
}

static int watch_v1(struct runtime_events *ev, struct wh_error **err)
{
  char path[4300];
  snprintf(path, sizeof(path), "%s/memory.oom_control", ev->memdir);
  _cleanup_close_ int oom = open(path, O_RDONLY | O_CLOEXEC);
  if (oom < 0)
    return wh_error_errno(err, "events: %s", path);
  ev->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (ev->fd < 0)
    return wh_error_errno(err, "events: eventfd");
  char reg[32];
  snprintf(reg, sizeof(reg), "%d %d", ev->fd, oom);
  return rt_cg_write(ev->memdir, "cgroup.event_control", reg, err);
}

static int watch_v2(struct runtime_events *ev, struct wh_error **err)
{
  ev->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (ev->fd < 0)
    return wh_error_errno(err, "events: inotify");
  char path[4300];
  snprintf(path, sizeof(path), "%s/memory.events", ev->memdir);
  if (inotify_add_watch(ev->fd, path, IN_MODIFY) < 0)
    return wh_error_errno(err, "events: watch %s", path);
  ev->oom_seen = v2_oom_count(ev->memdir);
  return 0;
}

void runtime_events_close(struct runtime_events *ev)
{
  if (!ev)
    return;
  if (ev->fd >= 0)
    close(ev->fd);
  if (ev->pidfd >= 0)
    close(ev->pidfd);
  free(ev->id);
  free(ev);
}

struct runtime_events *runtime_events_open(const struct runtime_ctx *ctx, const char *id,
                                           struct wh_error **err)
{
  struct runtime_events *ev = calloc(1, sizeof(*ev));
  if (!ev || !(ev->id = strdup(id))) {
    free(ev);
    wh_error_errno(err, "events");
    return NULL;
  }
  ev->fd = ev->pidfd = -1;
  struct rt_container c;
  struct rt_cgroup cg = { 0 };
  int r = -1;
  if (rt_container_open(ctx, id, false, &c, err) == 0) {
    if (rt_cgroup_open(&cg, c.cgroup_path, err) == 0) {
      ev->pid = c.pid;
      ev->start_time = c.start_time;
      /* wakes us when init exits; checked against start_time below */
      ev->pidfd = (int) syscall(SYS_pidfd_open, c.pid, 0);
      ev->v2 = cg.ops == &rt_cgroup_v2_ops;
      if (!cg.ops->memory_dir(&cg, ev->memdir, sizeof(ev->memdir)))
        wh_error_set(err, WH_ERR_UNSUPPORTED, "no memory cgroup");
      else
        r = ev->v2 ? watch_v2(ev, err) : watch_v1(ev, err);
    }
    rt_cgroup_clear(&cg);
  }
  rt_container_close(&c);   /* initialised by open even when it fails */
  if (r < 0) {
    runtime_events_close(ev);
    wh_error_wrap(err, "events %s", id);
    return NULL;
  }
  return ev;
}

static int oom_event(const struct runtime_events *ev, char **out, struct wh_error **err)
{
  json_t *j = json_pack("{s:s, s:s}", "type", "oom", "id", ev->id);
  *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!*out)
    return wh_error_set(err, WH_ERR_INTERNAL, "events: cannot build JSON");
  return 1;
}

/* Something arrived on fd: was it an OOM? */
static bool drain(struct runtime_events *ev)
{
  if (!ev->v2) {
    uint64_t n;
    if (read(ev->fd, &n, sizeof(n)) != sizeof(n))
      return false;
    /* also signalled when the cgroup goes away */
    char path[4300];
    snprintf(path, sizeof(path), "%s/cgroup.event_control", ev->memdir);
    return access(path, F_OK) == 0;
  }
  char buf[4096];
  while (read(ev->fd, buf, sizeof(buf)) > 0)
    ;
  unsigned long long n = v2_oom_count(ev->memdir);
  bool more = n > ev->oom_seen;
  ev->oom_seen = n;
  return more;
}

int runtime_events_wait(struct runtime_events *ev, int timeout_ms, char **event_json,
                        struct wh_error **err)
{
  *event_json = NULL;
  /* a stopped container's last OOM is still reported, then the end */
  bool alive = rt_pid_alive(ev->pid, ev->start_time);
  struct pollfd p[2] = { { .fd = ev->fd, .events = POLLIN },
                         { .fd = ev->pidfd, .events = POLLIN } };
  /* without a pidfd, look at init at least once a second */
  if (ev->pidfd < 0 && timeout_ms > 1000)
    timeout_ms = 1000;
  int r = poll(p, 2, alive ? timeout_ms : 0);
  if (r < 0 && errno != EINTR)
    return wh_error_errno(err, "events %s: poll", ev->id);
  if (r > 0 && (p[0].revents & POLLIN) && drain(ev))
    return oom_event(ev, event_json, err);
  if (ev->v2 && v2_oom_count(ev->memdir) > ev->oom_seen) {
    /* an inotify event can be merged with an earlier one */
    ev->oom_seen = v2_oom_count(ev->memdir);
    return oom_event(ev, event_json, err);
  }
  if (alive && rt_pid_alive(ev->pid, ev->start_time))
    return 0;
  /* an OOM kill's notification may trail init's exit by a moment */
  p[0].revents = 0;
  if (poll(p, 1, 100) > 0 && drain(ev))
    return oom_event(ev, event_json, err);
  return 2;
}
