/* cgroup_v2.c: the unified (v2) backend for hosts where /sys/fs/cgroup is
 * cgroup2. Controllers are enabled in every ancestor's subtree_control;
 * spec values are converted as runc converts them (shares → weight,
 * memory+swap → swap.max). */
/* Paths are built in fixed buffers larger than any valid cgroup path
 * (bounded to 4096 by rt_cgroup_resolve); longer ones fail at open. */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "oci/runtime_spec.h"
#include "runtime/cgroup.h"

static void dir_of(const struct rt_cgroup *cg, char *out, size_t size)
{
  snprintf(out, size, "%s%s", cg->v2_root, cg->path);
}

static int v2_create(struct rt_cgroup *cg, struct wh_error **err)
{
  if (rt_cg_mkdir(cg->v2_root, cg->path, err) < 0)
    return -1;
  /* enable every available controller down to our parent */
  char dir[4200], avail[1024];
  snprintf(dir, sizeof(dir), "%s", cg->v2_root);
  const char *p = cg->path;
  while ((p = strchr(p + 1, '/')) || 1) {
    if (rt_cg_read(dir, "cgroup.controllers", avail, sizeof(avail)) == 0) {
      char *save, *tok;
      for (tok = strtok_r(avail, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char v[64];
        snprintf(v, sizeof(v), "+%s", tok);
        rt_cg_write(dir, "cgroup.subtree_control", v, NULL);
      }
    }
    if (!p)
      break;
    snprintf(dir, sizeof(dir), "%s%.*s", cg->v2_root, (int) (p - cg->path), cg->path);
  }
  return 0;
}

static int v2_join(const struct rt_cgroup *cg, pid_t pid, struct wh_error **err)
{
  char dir[4200], v[32];
  dir_of(cg, dir, sizeof(dir));
  snprintf(v, sizeof(v), "%d", (int) pid);
  return rt_cg_write(dir, "cgroup.procs", v, err);
}

static int w64(const char *dir, const char *file, int64_t v, struct wh_error **err)
{
  char buf[32];
  if (v < 0)
    return rt_cg_write(dir, file, "max", err);
  snprintf(buf, sizeof(buf), "%" PRId64, v);
  return rt_cg_write(dir, file, buf, err);
}

/* blkio weight 10..1000 → io weight 1..10000, as runc converts */
static int64_t io_weight(int64_t blkio)
{
  int64_t w = 1 + (blkio - 10) * 9999 / 990;
  return w < 1 ? 1 : w;
}

static int v2_apply(const struct rt_cgroup *cg, const struct oci_resources *r,
                    struct wh_error **err)
{
  char dir[4200], buf[256];
  dir_of(cg, dir, sizeof(dir));
  const typeof(r->memory) *m = &r->memory;
  if (m->limit.set && w64(dir, "memory.max", m->limit.v, err) < 0)
    return -1;
  if (m->reservation.set && w64(dir, "memory.low", m->reservation.v, err) < 0)
    return -1;
  if (m->swap.set) {
    int64_t s = m->swap.v;
    if (s > 0 && m->limit.set && m->limit.v > 0) {
      if (s < m->limit.v)
        return wh_error_set(err, WH_ERR_INVALID,
                            "linux.resources.memory.swap: below the memory limit");
      s -= m->limit.v;
    }
    if (w64(dir, "memory.swap.max", s, err) < 0)
      return -1;
  }
  const typeof(r->cpu) *c = &r->cpu;
  if (c->shares.set && c->shares.v) {
    int64_t w = 1 + ((c->shares.v - 2) * 9999) / 262142;
    if (w64(dir, "cpu.weight", w < 1 ? 1 : w, err) < 0)
      return -1;
  }
  if (c->quota.set || c->period.set) {
    int64_t period = c->period.set && c->period.v ? c->period.v : 100000;
    if (c->quota.set && c->quota.v > 0)
      snprintf(buf, sizeof(buf), "%" PRId64 " %" PRId64, c->quota.v, period);
    else
      snprintf(buf, sizeof(buf), "max %" PRId64, period);
    if (rt_cg_write(dir, "cpu.max", buf, err) < 0)
      return -1;
  }
  if (c->idle.set && w64(dir, "cpu.idle", c->idle.v, err) < 0)
    return -1;
  if (c->cpus && *c->cpus && rt_cg_write(dir, "cpuset.cpus", c->cpus, err) < 0)
    return -1;
  if (c->mems && *c->mems && rt_cg_write(dir, "cpuset.mems", c->mems, err) < 0)
    return -1;
  if (r->pids_limit.set && w64(dir, "pids.max", r->pids_limit.v <= 0 ? -1 : r->pids_limit.v, err) < 0)
    return -1;
  const typeof(r->blkio) *b = &r->blkio;
  if (b->weight.set) {
    snprintf(buf, sizeof(buf), "default %" PRId64, io_weight(b->weight.v));
    if (rt_cg_write(dir, "io.weight", buf, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < b->n_weight_devices; i++) {
    const struct oci_weight_device *d = &b->weight_devices[i];
    if (!d->weight.set)
      continue;
    snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRId64, d->major, d->minor,
             io_weight(d->weight.v));
    if (rt_cg_write(dir, "io.weight", buf, err) < 0)
      return wh_error_wrap(err, "blkio.weightDevice[%zu]", i);
  }
  static const char *const keys[4] = { "rbps", "wbps", "riops", "wiops" };
  for (int t = 0; t < 4; t++)
    for (size_t i = 0; i < b->n_throttle[t]; i++) {
      const struct oci_throttle_device *d = &b->throttle[t][i];
      snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %s=%" PRIu64, d->major,
               d->minor, keys[t], d->rate);
      if (rt_cg_write(dir, "io.max", buf, err) < 0)
        return -1;
    }
  for (size_t i = 0; i < r->n_hugepages; i++) {
    char file[64];
    snprintf(file, sizeof(file), "hugetlb.%s.max", r->hugepages[i].page_size);
    snprintf(buf, sizeof(buf), "%" PRIu64, r->hugepages[i].limit);
    if (rt_cg_write(dir, file, buf, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < r->n_unified; i++)
    if (rt_cg_write(dir, r->unified[i].key, r->unified[i].value, err) < 0)
      return -1;
  return rt_cgroup_bpf_devices(dir, r, err);
}

static int v2_destroy(const struct rt_cgroup *cg, struct wh_error **err)
{
  char dir[4200];
  dir_of(cg, dir, sizeof(dir));
  rt_cg_write(dir, "cgroup.freeze", "0", NULL);
  /* cgroup.kill (5.14+) kills everything at once, new forks included */
  rt_cg_write(dir, "cgroup.kill", "1", NULL);
  return rt_cg_rmdir(dir, err);
}

static int v2_pids(const struct rt_cgroup *cg, pid_t **out, size_t *n,
                   struct wh_error **err)
{
  char dir[4200];
  dir_of(cg, dir, sizeof(dir));
  return rt_cg_read_pids(dir, out, n, err);
}

static int v2_is_frozen(const struct rt_cgroup *cg, bool *frozen)
{
  char dir[4200], buf[4096];
  dir_of(cg, dir, sizeof(dir));
  *frozen = false;
  if (rt_cg_read(dir, "cgroup.events", buf, sizeof(buf)) < 0)
    return -1;
  *frozen = strstr(buf, "frozen 1") != NULL;
  return 0;
}

static int v2_freeze(const struct rt_cgroup *cg, bool frozen, struct wh_error **err)
{
  char dir[4200];
  dir_of(cg, dir, sizeof(dir));
  if (rt_cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  for (int i = 0; i < 1000; i++) {
    bool f;
    if (v2_is_frozen(cg, &f) == 0 && f == frozen)
      return 0;
    usleep(1000);
  }
  return wh_error_set(err, WH_ERR_TIMEOUT, "cgroup %s: freeze did not settle", dir);
}

static json_int_t read_i64(const char *dir, const char *file)
{
  char buf[64];
  if (rt_cg_read(dir, file, buf, sizeof(buf)) < 0 || strcmp(buf, "max") == 0)
    return 0;
  return (json_int_t) strtoull(buf, NULL, 10);
}

static bool v2_memory_dir(const struct rt_cgroup *cg, char *out, size_t size)
{
  dir_of(cg, out, size);
  return true;
}

static int v2_stats(const struct rt_cgroup *cg, json_t *data, struct wh_error **err)
{
  char dir[4200], buf[4096];
  dir_of(cg, dir, sizeof(dir));
  json_object_set_new(data, "memory", json_pack("{s:{s:I, s:I}}", "usage",
      "usage", read_i64(dir, "memory.current"), "limit", read_i64(dir, "memory.max")));
  json_object_set_new(data, "pids", json_pack("{s:I, s:I}",
      "current", read_i64(dir, "pids.current"), "limit", read_i64(dir, "pids.max")));
  json_int_t usec = 0;
  if (rt_cg_read(dir, "cpu.stat", buf, sizeof(buf)) == 0) {
    char *p = strstr(buf, "usage_usec ");
    if (p)
      usec = (json_int_t) strtoull(p + 11, NULL, 10);
  }
  json_object_set_new(data, "cpu", json_pack("{s:{s:I}}", "usage", "total", usec * 1000));
  (void) err;
  return 0;
}

const struct rt_cgroup_ops rt_cgroup_v2_ops = {
  .name = "v2",
  .create = v2_create,
  .join = v2_join,
  .apply = v2_apply,
  .destroy = v2_destroy,
  .pids = v2_pids,
  .freeze = v2_freeze,
  .is_frozen = v2_is_frozen,
  .stats = v2_stats,
  .memory_dir = v2_memory_dir,
};
