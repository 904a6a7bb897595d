/* cgroup_v1.c: the cgroup v1 backend (one hierarchy per controller group).
 *
 * Hierarchies come from /proc/self/mountinfo, so co-mounted controllers
 * ("cpu,cpuacct"), named hierarchies (name=systemd) and any mount point
 * work. On a hybrid host the v2
 * hierarchy (/sys/fs/cgroup/unified) is driven too: the container joins it
 * and hugetlb limits go there when no v1 hugetlb hierarchy exists. */
/* Paths are built in fixed buffers larger than any valid cgroup path
 * (bounded to 4096 by rt_cgroup_resolve); longer ones fail at open. */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "oci/runtime_spec.h"
#include "runtime/cgroup.h"

#define MAX_HIER 24

struct hier {
  char mount[512];
  char opts[256];   /* "cpu,cpuacct" or "" for the v2 one */
  bool v2;
};

struct hiers {
  size_t n;
  struct hier h[MAX_HIER];
};

static int read_hierarchies(struct hier *h, size_t *n)
{
  *n = 0;
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return -1;
  /* one read for the whole file (procfs says 1024-byte blocks) */
  setvbuf(f, NULL, _IOFBF, 1 << 16);
  char line[4096];
  while (fgets(line, sizeof(line), f) && *n < MAX_HIER) {
    char *sep = strstr(line, " - ");
    if (!sep)
      continue;
    char fstype[32], src[256], super[1024];
    if (sscanf(sep + 3, "%31s %255s %1023s", fstype, src, super) != 3)
      continue;
    bool v2 = strcmp(fstype, "cgroup2") == 0;
    if (!v2 && strcmp(fstype, "cgroup") != 0)
      continue;
    char root[512], mnt[512];
    if (sscanf(line, "%*d %*d %*s %511s %511s", root, mnt) != 2)
      continue;
    struct hier *e = &h[*n];
    memset(e, 0, sizeof(*e));
    snprintf(e->mount, sizeof(e->mount), "%s", mnt);
    e->v2 = v2;
    if (!v2) {
      /* keep only controller names from the super options */
      char *save, *tok;
      for (tok = strtok_r(super, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!strcmp(tok, "rw") || !strcmp(tok, "ro") ||
            (strchr(tok, '=') && strncmp(tok, "name=", 5) != 0) ||
            !strcmp(tok, "noprefix") || !strcmp(tok, "clone_children") ||
            !strcmp(tok, "xattr"))
          continue;
        size_t l = strlen(e->opts);
        snprintf(e->opts + l, sizeof(e->opts) - l, "%s%s", l ? "," : "", tok);
      }
      /* named hierarchies (name=systemd) are kept: runc puts containers
       * in them too, and a cgroup mount without a cgroup namespace binds
       * the container's directory of each */
      if (!e->opts[0])
        continue;
    }
    /* one mount per hierarchy is enough */
    bool dup = false;
    for (size_t i = 0; i < *n; i++)
      if (strcmp(h[i].opts, e->opts) == 0 && h[i].v2 == v2)
        dup = true;
    if (!dup)
      (*n)++;
  }
  return 0;
}

static int v1_init(struct rt_cgroup *cg, struct wh_error **err)
{
  struct hiers *hs = calloc(1, sizeof(*hs));
  if (!hs)
    return wh_error_errno(err, "cgroup");
  if (read_hierarchies(hs->h, &hs->n) < 0) {
    free(hs);
    return wh_error_errno(err, "cgroup: /proc/self/mountinfo");
  }
  cg->priv = hs;
  return 0;
}

size_t rt_cgroup_v1_hierarchies(const struct rt_cgroup *cg, struct rt_cg_hier *out,
                                 size_t max)
{
  const struct hiers *hs = cg->ops == &rt_cgroup_v1_ops ? cg->priv : NULL;
  size_t n = 0;
  for (size_t i = 0; hs && i < hs->n && n < max; i++, n++) {
    out[n].mount = hs->h[i].mount;
    out[n].opts = hs->h[i].opts;
    out[n].v2 = hs->h[i].v2;
  }
  return n;
}

/* The hierarchies read by v1_init. */
static int hierarchies_of(const struct rt_cgroup *cg, struct hier *h, size_t *n)
{
  const struct hiers *hs = cg->priv;
  if (!hs)
    return read_hierarchies(h, n);
  memcpy(h, hs->h, hs->n * sizeof(*h));
  *n = hs->n;
  return 0;
}

static bool has_controller(const struct hier *h, const char *c)
{
  size_t l = strlen(c);
  for (const char *p = h->opts; (p = strstr(p, c)); p += l)
    if ((p == h->opts || p[-1] == ',') && (p[l] == 0 || p[l] == ','))
      return true;
  return false;
}

/* The directory of controller c for this cgroup; false if not mounted. */
static bool dir_of(const struct rt_cgroup *cg, const char *c, char *out, size_t size)
{
  struct hier h[MAX_HIER];
  size_t n;
  if (hierarchies_of(cg, h, &n) < 0)
    return false;
  for (size_t i = 0; i < n; i++)
    if ((c == NULL && h[i].v2) || (c && !h[i].v2 && has_controller(&h[i], c))) {
      snprintf(out, size, "%s%s", h[i].mount, cg->path);
      return true;
    }
  return false;
}

/* A new cpuset cgroup starts with empty cpus/mems: copy from the parent
 * at each level we created, or nothing can join it. */
static int cpuset_fill(const char *mount, const char *path, struct wh_error **err)
{
  char dir[4200], parent[4200], buf[4096];
  snprintf(dir, sizeof(dir), "%s", mount);
  const char *p = path;
  while (*p) {
    const char *next = strchr(p + 1, '/');
    size_t l = next ? (size_t) (next - path) : strlen(path);
    snprintf(parent, sizeof(parent), "%s", dir);
    snprintf(dir, sizeof(dir), "%s%.*s", mount, (int) l, path);
    for (int k = 0; k < 2; k++) {
      const char *f = k ? "cpuset.mems" : "cpuset.cpus";
      if (rt_cg_read(dir, f, buf, sizeof(buf)) == 0 && buf[0])
        continue;
      if (rt_cg_read(parent, f, buf, sizeof(buf)) < 0)
        return wh_error_errno(err, "cgroup %s/%s", parent, f);
      if (rt_cg_write(dir, f, buf[0] ? buf : "\n", err) < 0)
        return -1;
    }
    if (!next)
      break;
    p = next;
  }
  return 0;
}

static int v1_create(struct rt_cgroup *cg, struct wh_error **err)
{
  struct hier h[MAX_HIER];
  size_t n;
  if (hierarchies_of(cg, h, &n) < 0)
    return wh_error_errno(err, "cgroup: /proc/self/mountinfo");
  for (size_t i = 0; i < n; i++) {
    if (rt_cg_mkdir(h[i].mount, cg->path, err) < 0)
      return -1;
    if (!h[i].v2 && has_controller(&h[i], "cpuset") &&
        cpuset_fill(h[i].mount, cg->path, err) < 0)
      return -1;
  }
  return 0;
}

static int v1_join(const struct rt_cgroup *cg, pid_t pid, struct wh_error **err)
{
  struct hier h[MAX_HIER];
  size_t n;
  if (hierarchies_of(cg, h, &n) < 0)
    return wh_error_errno(err, "cgroup: /proc/self/mountinfo");
  char val[32];
  snprintf(val, sizeof(val), "%d", (int) pid);
  for (size_t i = 0; i < n; i++) {
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s%s", h[i].mount, cg->path);
    if (rt_cg_write(dir, "cgroup.procs", val, err) < 0)
      return -1;
  }
  return 0;
}

static int w64(const char *dir, const char *file, int64_t v, struct wh_error **err)
{
  char buf[32];
  snprintf(buf, sizeof(buf), "%" PRId64, v);
  return rt_cg_write(dir, file, buf, err);
}

static int apply_memory(const struct rt_cgroup *cg, const struct oci_resources *r,
                        struct wh_error **err)
{
  const typeof(r->memory) *m = &r->memory;
  if (!m->limit.set && !m->reservation.set && !m->swap.set && !m->swappiness.set &&
      !m->has_disable_oom_killer && !m->kernel.set && !m->kernel_tcp.set)
    return 0;
  char dir[4200];
  if (!dir_of(cg, "memory", dir, sizeof(dir)))
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "cgroup: no memory controller");
  /* memsw must stay ≥ limit: when raising, write memsw first; when
   * lowering, the limit first. Try one order, then the other. */
  if (m->limit.set) {
    int64_t swap = m->swap.set ? m->swap.v : -2;
    if (swap != -2 && swap != -1 && swap < m->limit.v && m->limit.v != -1)
      return wh_error_set(err, WH_ERR_INVALID,
                          "linux.resources.memory.swap: %" PRId64 " is below the limit "
                          "%" PRId64 " (swap is memory+swap)", swap, m->limit.v);
    bool have_memsw = access(dir, F_OK) == 0 &&
                      faccessat(AT_FDCWD, dir, F_OK, 0) == 0;
    char memsw[4300];
    snprintf(memsw, sizeof(memsw), "%s/memory.memsw.limit_in_bytes", dir);
    have_memsw = access(memsw, W_OK) == 0;
    if (swap != -2 && have_memsw) {
      if (w64(dir, "memory.memsw.limit_in_bytes", swap, NULL) < 0) {
        if (w64(dir, "memory.limit_in_bytes", m->limit.v, err) < 0 ||
            w64(dir, "memory.memsw.limit_in_bytes", swap, err) < 0)
          return -1;
      } else if (w64(dir, "memory.limit_in_bytes", m->limit.v, err) < 0)
        return -1;
    } else {
      if (w64(dir, "memory.limit_in_bytes", m->limit.v, err) < 0)
        return -1;
      /* without an explicit swap, runc sets memsw = limit only when
       * told; leave memsw as is (unlimited) */
    }
  } else if (m->swap.set &&
             w64(dir, "memory.memsw.limit_in_bytes", m->swap.v, err) < 0)
    return -1;
  if (m->reservation.set &&
      w64(dir, "memory.soft_limit_in_bytes", m->reservation.v, err) < 0)
    return -1;
  if (m->swappiness.set && w64(dir, "memory.swappiness", m->swappiness.v, err) < 0)
    return -1;
  if (m->has_disable_oom_killer &&
      rt_cg_write(dir, "memory.oom_control", m->disable_oom_killer ? "1" : "0", err) < 0)
    return -1;
  if (m->kernel_tcp.set &&
      w64(dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp.v, err) < 0)
    return -1;
  return 0;
}

static int apply_cpu(const struct rt_cgroup *cg, const struct oci_resources *r,
                     struct wh_error **err)
{
  const typeof(r->cpu) *c = &r->cpu;
  char dir[4200];
  if (c->shares.set || c->quota.set || c->period.set || c->realtime_runtime.set ||
      c->realtime_period.set) {
    if (!dir_of(cg, "cpu", dir, sizeof(dir)))
      return wh_error_set(err, WH_ERR_UNSUPPORTED, "cgroup: no cpu controller");
    if (c->shares.set && c->shares.v && w64(dir, "cpu.shares", c->shares.v, err) < 0)
      return -1;
    if (c->period.set && c->period.v && w64(dir, "cpu.cfs_period_us", c->period.v, err) < 0)
      return -1;
    if (c->quota.set && c->quota.v && w64(dir, "cpu.cfs_quota_us", c->quota.v, err) < 0)
      return -1;
    if (c->realtime_period.set &&
        w64(dir, "cpu.rt_period_us", c->realtime_period.v, err) < 0)
      return -1;
    if (c->realtime_runtime.set &&
        w64(dir, "cpu.rt_runtime_us", c->realtime_runtime.v, err) < 0)
      return -1;
  }
  if (c->cpus || c->mems) {
    if (!dir_of(cg, "cpuset", dir, sizeof(dir)))
      return wh_error_set(err, WH_ERR_UNSUPPORTED, "cgroup: no cpuset controller");
    if (c->cpus && *c->cpus && rt_cg_write(dir, "cpuset.cpus", c->cpus, err) < 0)
      return -1;
    if (c->mems && *c->mems && rt_cg_write(dir, "cpuset.mems", c->mems, err) < 0)
      return -1;
  }
  return 0;
}

static int apply_blkio(const struct rt_cgroup *cg, const struct oci_resources *r,
                       struct wh_error **err)
{
  const typeof(r->blkio) *b = &r->blkio;
  bool any = b->weight.set || b->leaf_weight.set || b->n_weight_devices;
  for (int t = 0; t < 4; t++)
    any = any || b->n_throttle[t];
  if (!any)
    return 0;
  char dir[4200], buf[128];
  if (!dir_of(cg, "blkio", dir, sizeof(dir)))
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "cgroup: no blkio controller");
  /* weight files exist only with the BFQ/CFQ schedulers (not on this
   * kind of host): the kernel's refusal is reported. */
  if (b->weight.set && w64(dir, "blkio.weight", b->weight.v, err) < 0)
    return -1;
  if (b->leaf_weight.set && w64(dir, "blkio.leaf_weight", b->leaf_weight.v, err) < 0)
    return -1;
  for (size_t i = 0; i < b->n_weight_devices; i++) {
    const struct oci_weight_device *w = &b->weight_devices[i];
    if (w->weight.set) {
      snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRId64, w->major, w->minor,
               w->weight.v);
      if (rt_cg_write(dir, "blkio.weight_device", buf, err) < 0)
        return -1;
    }
    if (w->leaf_weight.set) {
      snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRId64, w->major, w->minor,
               w->leaf_weight.v);
      if (rt_cg_write(dir, "blkio.leaf_weight_device", buf, err) < 0)
        return -1;
    }
  }
  static const char *const files[4] = {
    "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
    "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"
  };
  for (int t = 0; t < 4; t++)
    for (size_t i = 0; i < b->n_throttle[t]; i++) {
      const struct oci_throttle_device *d = &b->throttle[t][i];
      snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
               d->rate);
      if (rt_cg_write(dir, files[t], buf, err) < 0)
        return -1;
    }
  return 0;
}

static int apply_hugetlb(const struct rt_cgroup *cg, const struct oci_resources *r,
                         struct wh_error **err)
{
  char dir[4200], file[128], val[32];
  for (size_t i = 0; i < r->n_hugepages; i++) {
    const struct oci_hugepage_limit *h = &r->hugepages[i];
    snprintf(val, sizeof(val), "%" PRIu64, h->limit);
    if (dir_of(cg, "hugetlb", dir, sizeof(dir))) {
      snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", h->page_size);
    } else if (dir_of(cg, NULL, dir, sizeof(dir))) {
      /* hybrid: hugetlb lives in the v2 hierarchy */
      char parent[4200];
      snprintf(parent, sizeof(parent), "%s", dir);
      char *slash = strrchr(parent, '/');
      if (slash)
        *slash = 0;
      rt_cg_write(parent, "cgroup.subtree_control", "+hugetlb", NULL);
      snprintf(file, sizeof(file), "hugetlb.%s.max", h->page_size);
    } else
      return wh_error_set(err, WH_ERR_UNSUPPORTED, "cgroup: no hugetlb controller");
    if (rt_cg_write(dir, file, val, err) < 0)
      return -1;
  }
  return 0;
}

/* The default devices every container gets (runc's AllowedDevices), so a
 * spec without device rules still has a working /dev. */
static const char *const default_allow[] = {
  "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
  "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm",
};

static int rule_write(int fd, const char *dir, const char *file, const char *rule,
                      struct wh_error **err)
{
  size_t len = strlen(rule);
  if (write(fd, rule, len) != (ssize_t) len)
    return wh_error_errno(err, "cgroup %s/%s: write %s", dir, file, rule);
  return 0;
}

static int apply_devices(const struct rt_cgroup *cg, const struct oci_resources *r,
                         struct wh_error **err)
{
  char dir[4200], buf[64];
  if (!dir_of(cg, "devices", dir, sizeof(dir))) {
    /* no v1 devices controller: a hybrid host's v2 hierarchy can still
     * enforce the rules with the eBPF program; else nothing can */
    if (dir_of(cg, NULL, dir, sizeof(dir)) && access(dir, F_OK) == 0)
      return rt_cgroup_bpf_devices(dir, r, err);
    return 0;
  }
  /* The v1 allow-list is the device control, as with runc and crun; a
   * second copy of the rules as an eBPF program in the hybrid v2
   * hierarchy cost a verifier run per container and added nothing. */
  /* one open per file: the kernel takes one rule per write() */
  char path[4300];
  snprintf(path, sizeof(path), "%s/devices.deny", dir);
  _cleanup_close_ int deny = open(path, O_WRONLY | O_CLOEXEC);
  snprintf(path, sizeof(path), "%s/devices.allow", dir);
  _cleanup_close_ int allow = open(path, O_WRONLY | O_CLOEXEC);
  if (deny < 0 || allow < 0)
    return wh_error_errno(err, "cgroup %s", path);
  if (rule_write(deny, dir, "devices.deny", "a", err) < 0)
    return -1;
  for (size_t i = 0; i < r->n_devices; i++) {
    const struct oci_device_rule *d = &r->devices[i];
    char ma[24], mi[24];
    if (d->major < 0)
      strcpy(ma, "*");
    else
      snprintf(ma, sizeof(ma), "%" PRId64, d->major);
    if (d->minor < 0)
      strcpy(mi, "*");
    else
      snprintf(mi, sizeof(mi), "%" PRId64, d->minor);
    if (d->type == 'a')
      snprintf(buf, sizeof(buf), "a");
    else
      snprintf(buf, sizeof(buf), "%c %s:%s %s", d->type, ma, mi,
               d->access[0] ? d->access : "rwm");
    if (rule_write(d->allow ? allow : deny, dir, d->allow ? "devices.allow" : "devices.deny",
                   buf, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < WH_ARRAY_SIZE(default_allow); i++)
    if (rule_write(allow, dir, "devices.allow", default_allow[i], err) < 0)
      return -1;
  return 0;
}

static int v1_apply(const struct rt_cgroup *cg, const struct oci_resources *r,
                    struct wh_error **err)
{
  char dir[4200];
  if (apply_memory(cg, r, err) < 0 || apply_cpu(cg, r, err) < 0 ||
      apply_blkio(cg, r, err) < 0 || apply_hugetlb(cg, r, err) < 0 ||
      apply_devices(cg, r, err) < 0)
    return -1;
  if (r->pids_limit.set) {
    if (!dir_of(cg, "pids", dir, sizeof(dir)))
      return wh_error_set(err, WH_ERR_UNSUPPORTED, "cgroup: no pids controller");
    if (r->pids_limit.v <= 0 ? rt_cg_write(dir, "pids.max", "max", err) < 0
                             : w64(dir, "pids.max", r->pids_limit.v, err) < 0)
      return -1;
  }
  if (r->n_unified) {
    if (!dir_of(cg, NULL, dir, sizeof(dir)))
      return wh_error_set(err, WH_ERR_UNSUPPORTED,
                          "linux.resources.unified: needs cgroup v2");
    for (size_t i = 0; i < r->n_unified; i++)
      if (rt_cg_write(dir, r->unified[i].key, r->unified[i].value, err) < 0)
        return -1;
  }
  return 0;
}

static int v1_destroy(const struct rt_cgroup *cg, struct wh_error **err)
{
  struct hier h[MAX_HIER];
  size_t n;
  if (hierarchies_of(cg, h, &n) < 0)
    return wh_error_errno(err, "cgroup: /proc/self/mountinfo");
  /* thaw first, or frozen processes never die */
  char dir[4200];
  if (dir_of(cg, "freezer", dir, sizeof(dir)))
    rt_cg_write(dir, "freezer.state", "THAWED", NULL);
  int r = 0;
  for (size_t i = 0; i < n; i++) {
    snprintf(dir, sizeof(dir), "%s%s", h[i].mount, cg->path);
    if (rt_cg_rmdir(dir, err) < 0)
      r = -1;
  }
  return r;
}

static int v1_pids(const struct rt_cgroup *cg, pid_t **out, size_t *n,
                   struct wh_error **err)
{
  char dir[4200];
  if (!dir_of(cg, "pids", dir, sizeof(dir)) && !dir_of(cg, "memory", dir, sizeof(dir)) &&
      !dir_of(cg, "freezer", dir, sizeof(dir)))
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "cgroup: no hierarchy to list pids");
  return rt_cg_read_pids(dir, out, n, err);
}

static int v1_freeze(const struct rt_cgroup *cg, bool frozen, struct wh_error **err)
{
  char dir[4200], buf[64];
  if (!dir_of(cg, "freezer", dir, sizeof(dir)))
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "cgroup: no freezer controller");
  if (rt_cg_write(dir, "freezer.state", frozen ? "FROZEN" : "THAWED", err) < 0)
    return -1;
  for (int i = 0; i < 1000; i++) {
    if (rt_cg_read(dir, "freezer.state", buf, sizeof(buf)) < 0)
      return wh_error_errno(err, "cgroup %s/freezer.state", dir);
    if (strcmp(buf, frozen ? "FROZEN" : "THAWED") == 0)
      return 0;
    usleep(1000);
    if (frozen)
      rt_cg_write(dir, "freezer.state", "FROZEN", NULL);
  }
  return wh_error_set(err, WH_ERR_TIMEOUT, "cgroup %s: freezer stuck in %s", dir, buf);
}

static int v1_is_frozen(const struct rt_cgroup *cg, bool *frozen)
{
  char dir[4200], buf[64];
  *frozen = false;
  if (!dir_of(cg, "freezer", dir, sizeof(dir)) ||
      rt_cg_read(dir, "freezer.state", buf, sizeof(buf)) < 0)
    return -1;
  *frozen = strcmp(buf, "FROZEN") == 0;
  return 0;
}

static json_int_t read_i64(const char *dir, const char *file)
{
  char buf[64];
  if (rt_cg_read(dir, file, buf, sizeof(buf)) < 0)
    return 0;
  if (strcmp(buf, "max") == 0)
    return 0;
  return (json_int_t) strtoull(buf, NULL, 10);
}

static bool v1_memory_dir(const struct rt_cgroup *cg, char *out, size_t size)
{
  return dir_of(cg, "memory", out, size);
}

static int v1_stats(const struct rt_cgroup *cg, json_t *data, struct wh_error **err)
{
  char dir[4200];
  if (dir_of(cg, "memory", dir, sizeof(dir))) {
    json_t *usage = json_pack("{s:I, s:I, s:I, s:I}",
        "usage", read_i64(dir, "memory.usage_in_bytes"),
        "max", read_i64(dir, "memory.max_usage_in_bytes"),
        "limit", read_i64(dir, "memory.limit_in_bytes"),
        "failcnt", read_i64(dir, "memory.failcnt"));
    json_object_set_new(data, "memory", json_pack("{s:o}", "usage", usage));
  }
  if (dir_of(cg, "pids", dir, sizeof(dir)))
    json_object_set_new(data, "pids", json_pack("{s:I, s:I}",
        "current", read_i64(dir, "pids.current"), "limit", read_i64(dir, "pids.max")));
  if (dir_of(cg, "cpuacct", dir, sizeof(dir)))
    json_object_set_new(data, "cpu", json_pack("{s:{s:I}}", "usage",
        "total", read_i64(dir, "cpuacct.usage")));
  (void) err;
  return 0;
}

const struct rt_cgroup_ops rt_cgroup_v1_ops = {
  .name = "v1",
  .init = v1_init,
  .create = v1_create,
  .join = v1_join,
  .apply = v1_apply,
  .destroy = v1_destroy,
  .pids = v1_pids,
  .freeze = v1_freeze,
  .is_frozen = v1_is_frozen,
  .stats = v1_stats,
  .memory_dir = v1_memory_dir,
};
