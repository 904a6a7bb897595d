/* lifecycle.c: the commands on an existing container: start, kill,
 * delete, pause, resume, ps, update, stats. Each holds the container's
 * lock for the whole transition (state.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "runtime/internal.h"

static void container_closep(struct rt_container *c)
{
  rt_container_close(c);
}
#define _cleanup_container_ __attribute__((cleanup(container_closep)))

static void spec_freep(struct oci_spec *s)
{
  oci_spec_free(s);
}
#define _cleanup_spec_ __attribute__((cleanup(spec_freep)))

static void cgroup_clearp(struct rt_cgroup *cg)
{
  rt_cgroup_clear(cg);
}
#define _cleanup_cgroup_ __attribute__((cleanup(cgroup_clearp)))

static char *state_for_hooks(struct rt_container *c, const struct oci_spec *spec)
{
  struct runtime_state st;
  if (rt_fill_state(c, spec, &st, NULL) < 0)
    return NULL;
  char *s = runtime_state_json(&st, false, NULL);
  runtime_state_clear(&st);
  return s;
}

int runtime_start(const struct runtime_ctx *ctx, const char *id, struct wh_error **err)
{
  _cleanup_container_ struct rt_container c;
  if (rt_container_open(ctx, id, true, &c, err) < 0)
    return -1;
  enum runtime_status st = rt_status(&c);
  if (st != RUNTIME_CREATED)
    return wh_error_set(err, WH_ERR_BUSY, "start %s: container is %s, not created", id,
                        runtime_status_name(st));
  _cleanup_spec_ struct oci_spec spec;
  if (rt_load_spec(&c, &spec, err) < 0)
    return -1;
  /* init blocks in open(O_WRONLY) until we open for reading; a
   * non-blocking open cannot hang if init died meanwhile */
  _cleanup_close_ int fd = openat(c.dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return wh_error_errno(err, "start %s: exec.fifo", id);
  for (;;) {
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int r = poll(&p, 1, 100);
    if (r < 0 && errno != EINTR)
      return wh_error_errno(err, "start %s: poll", id);
    if (r > 0 && (p.revents & POLLIN)) {
      char b;
      if (read(fd, &b, 1) == 1)
        break;
    }
    if (!rt_pid_alive(c.pid, c.start_time))
      return wh_error_set(err, WH_ERR_INTERNAL, "start %s: init exited before start", id);
  }
  unlinkat(c.dirfd, "exec.fifo", 0);
  rt_debug(id, "start", "init pid %d released through exec.fifo", (int) c.pid);
  _cleanup_free_ char *s = state_for_hooks(&c, &spec);
  struct wh_error *hook_err = NULL;
  if (rt_run_hooks(&spec, OCI_HOOK_POSTSTART, s, ctx->log_fd, &hook_err) < 0) {
    /* the spec: a poststart failure is logged, the container runs on */
    dprintf(ctx->log_fd >= 0 ? ctx->log_fd : 2, "wharf-runtime: warning: %s\n",
            hook_err->msg);
    wh_error_free(hook_err);
  }
  return 0;
}

static int signal_all(const struct rt_container *c, int sig, struct wh_error **err)
{
  _cleanup_cgroup_ struct rt_cgroup cg;
  if (rt_cgroup_open(&cg, c->cgroup_path, err) < 0)
    return -1;
  pid_t *pids = NULL;
  size_t n = 0;
  if (cg.ops->pids(&cg, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    kill(pids[i], sig);
  free(pids);
  return 0;
}

int runtime_kill(const struct runtime_ctx *ctx, const char *id, int sig, bool all,
                 struct wh_error **err)
{
  _cleanup_container_ struct rt_container c;
  if (rt_container_open(ctx, id, true, &c, err) < 0)
    return -1;
  enum runtime_status st = rt_status(&c);
  if (st == RUNTIME_STOPPED && !all)
    return wh_error_set(err, WH_ERR_BUSY, "kill %s: container is stopped", id);
  if (all)
    return signal_all(&c, sig, err);
  if (kill(c.pid, sig) < 0)
    return wh_error_errno(err, "kill %s", id);
  return 0;
}

int runtime_delete(const struct runtime_ctx *ctx, const char *id, bool force,
                   struct wh_error **err)
{
  _cleanup_container_ struct rt_container c;
  if (rt_container_open(ctx, id, true, &c, err) < 0)
    return -1;
  enum runtime_status st = rt_status(&c);
  /* runc deletes a "created" container without --force (containerd and
   * podman rely on it); running and paused ones need --force */
  if ((st == RUNTIME_RUNNING || st == RUNTIME_PAUSED) && !force)
    return wh_error_set(err, WH_ERR_BUSY,
                        "delete %s: container is %s (use --force)", id,
                        runtime_status_name(st));
  /* the spec is parsed only for poststop hooks */
  _cleanup_spec_ struct oci_spec spec;
  memset(&spec, 0, sizeof(spec));
  bool have_spec = false;
  if (rt_load_spec_with(&c, "poststop", &spec, &have_spec, NULL) < 0)
    have_spec = false;
  if (st != RUNTIME_STOPPED && rt_pid_alive(c.pid, c.start_time))
    kill(c.pid, SIGKILL);
  _cleanup_cgroup_ struct rt_cgroup cg;
  if (c.cgroup_path[0] && rt_cgroup_open(&cg, c.cgroup_path, err) == 0) {
    /* everything left in the cgroup dies with it */
    if (cg.ops->destroy(&cg, err) < 0)
      return wh_error_wrap(err, "delete %s", id);
  }
  /* wait (briefly) for init to be gone, so a poststop hook sees it dead */
  for (int i = 0; i < 200 && rt_pid_alive(c.pid, c.start_time); i++)
    usleep(5000);
  if (have_spec) {
    _cleanup_free_ char *s = state_for_hooks(&c, &spec);
    struct wh_error *hook_err = NULL;
    if (rt_run_hooks(&spec, OCI_HOOK_POSTSTOP, s, ctx->log_fd, &hook_err) < 0) {
      dprintf(ctx->log_fd >= 0 ? ctx->log_fd : 2, "wharf-runtime: warning: %s\n",
              hook_err->msg);
      wh_error_free(hook_err);
    }
  }
  return rt_state_remove(ctx, &c, err);
}

static int with_cgroup(const struct runtime_ctx *ctx, const char *id, bool exclusive,
                       struct rt_container *c, struct rt_cgroup *cg,
                       struct wh_error **err)
{
  if (rt_container_open(ctx, id, exclusive, c, err) < 0)
    return -1;
  if (rt_cgroup_open(cg, c->cgroup_path, err) < 0)
    return -1;
  return 0;
}

static int set_frozen(const struct runtime_ctx *ctx, const char *id, bool frozen,
                      struct wh_error **err)
{
  _cleanup_container_ struct rt_container c;
  _cleanup_cgroup_ struct rt_cgroup cg = { 0 };
  if (with_cgroup(ctx, id, true, &c, &cg, err) < 0)
    return -1;
  enum runtime_status st = rt_status(&c);
  if (frozen && st != RUNTIME_RUNNING)
    return wh_error_set(err, WH_ERR_BUSY, "pause %s: container is %s, not running", id,
                        runtime_status_name(st));
  if (!frozen && st != RUNTIME_PAUSED)
    return wh_error_set(err, WH_ERR_BUSY, "resume %s: container is %s, not paused", id,
                        runtime_status_name(st));
  return cg.ops->freeze(&cg, frozen, err);
}

int runtime_pause(const struct runtime_ctx *ctx, const char *id, struct wh_error **err)
{
  return set_frozen(ctx, id, true, err);
}

int runtime_resume(const struct runtime_ctx *ctx, const char *id, struct wh_error **err)
{
  return set_frozen(ctx, id, false, err);
}

int runtime_ps(const struct runtime_ctx *ctx, const char *id, pid_t **pids_out,
               size_t *n_out, struct wh_error **err)
{
  _cleanup_container_ struct rt_container c;
  _cleanup_cgroup_ struct rt_cgroup cg = { 0 };
  if (with_cgroup(ctx, id, false, &c, &cg, err) < 0)
    return -1;
  return cg.ops->pids(&cg, pids_out, n_out, err);
}

int runtime_update(const struct runtime_ctx *ctx, const char *id,
                   const char *resources_json, size_t len, struct wh_error **err)
{
  struct oci_resources r;
  if (oci_resources_parse(resources_json, len, &r, err) < 0)
    return wh_error_wrap(err, "update %s", id);
  _cleanup_container_ struct rt_container c;
  _cleanup_cgroup_ struct rt_cgroup cg = { 0 };
  int rc = -1;
  if (with_cgroup(ctx, id, true, &c, &cg, err) == 0) {
    if (rt_status(&c) == RUNTIME_STOPPED)
      wh_error_set(err, WH_ERR_BUSY, "update %s: container is stopped", id);
    else
      rc = cg.ops->apply(&cg, &r, err);
  }
  oci_resources_free(&r);
  return rc < 0 ? wh_error_wrap(err, "update %s", id) : 0;
}

char *runtime_stats_json(const struct runtime_ctx *ctx, const char *id,
                         struct wh_error **err)
{
  _cleanup_container_ struct rt_container c;
  _cleanup_cgroup_ struct rt_cgroup cg = { 0 };
  if (with_cgroup(ctx, id, false, &c, &cg, err) < 0)
    return NULL;
  json_t *data = json_object();
  json_t *j = json_pack("{s:s, s:s, s:o}", "type", "stats", "id", id, "data", data);
  if (!j) {
    wh_error_set(err, WH_ERR_INTERNAL, "stats: cannot build JSON");
    return NULL;
  }
  char *s = NULL;
  if (cg.ops->stats(&cg, data, err) == 0)
    s = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  return s;
}
