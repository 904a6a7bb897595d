/* cgroup.h: cgroups behind one vtable.
 *
 * cgroup.c picks the backend (v2 where /sys/fs/cgroup is cgroup2, else
 * v1: hybrid hosts are driven through their v1 controllers) and turns
 * cgroupsPath into a path relative to each hierarchy's root, as runc does:
 * absolute paths are taken as they are, relative ones are put under the
 * runtime's own cgroup, "" becomes "/<id>", and with --systemd-cgroup
 * "slice:prefix:name" becomes "/a.slice/a-b.slice/prefix-name.scope". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

struct wh_error;
struct oci_resources;

struct rt_cgroup;

struct rt_cgroup_ops {
  const char *name;   /* "v1" / "v2" */
  /* Read what the backend needs once per use (v1: the hierarchies from
   * mountinfo) into cg->priv; freed by rt_cgroup_clear(). */
  int (*init)(struct rt_cgroup *cg, struct wh_error **err);
  /* Make the directories (remembering which were new, for destroy). */
  int (*create)(struct rt_cgroup *cg, struct wh_error **err);
  int (*join)(const struct rt_cgroup *cg, pid_t pid, struct wh_error **err);
  int (*apply)(const struct rt_cgroup *cg, const struct oci_resources *r,
               struct wh_error **err);
  /* SIGKILL everything left, then remove the directories. */
  int (*destroy)(const struct rt_cgroup *cg, struct wh_error **err);
  int (*pids)(const struct rt_cgroup *cg, pid_t **out, size_t *n,
              struct wh_error **err);
  int (*freeze)(const struct rt_cgroup *cg, bool frozen, struct wh_error **err);
  int (*is_frozen)(const struct rt_cgroup *cg, bool *frozen);
  /* Fill runc's stats object ("cpu", "memory", "pids", …). */
  int (*stats)(const struct rt_cgroup *cg, json_t *data, struct wh_error **err);
  /* The memory controller's directory of this cgroup (for OOM events). */
  bool (*memory_dir)(const struct rt_cgroup *cg, char *out, size_t size);
};

struct rt_cgroup {
  const struct rt_cgroup_ops *ops;
  char *path;        /* relative to a hierarchy root, begins with '/' */
  char *v2_root;     /* v2: the unified mount point */
  void *priv;        /* the backend's (see init) */
};

/* The backend of this host and the resolved path. */
int rt_cgroup_init(struct rt_cgroup *cg, const char *cgroups_path,
                   const char *id, bool systemd, struct wh_error **err);
/* Open an existing container's cgroup (path already resolved). */
int rt_cgroup_open(struct rt_cgroup *cg, const char *resolved_path,
                   struct wh_error **err);
void rt_cgroup_clear(struct rt_cgroup *cg);

/* cgroupsPath → path (exported for unit tests). own_cgroup is the
 * runtime's cgroup for relative paths. */
char *rt_cgroup_resolve(const char *cgroups_path, const char *id, bool systemd,
                        const char *own_cgroup, struct wh_error **err);

/* v1: the hierarchies found at init, one per hierarchy (mount point;
 * controllers and name= options, "" for a hybrid host's v2 one), into
 * out; returns how many (0 for other backends). */
struct rt_cg_hier {
  const char *mount;
  const char *opts;
  bool v2;
};
size_t rt_cgroup_v1_hierarchies(const struct rt_cgroup *cg, struct rt_cg_hier *out,
                                 size_t max);

/* Whether /sys/fs/cgroup is a pure v2 mount. */
bool rt_cgroup_host_is_v2(void);

/* cgroup_warm.c: fork a helper whose no-op v1 migration starts the RCU
 * grace period init's migration will wait for (-1 if none was forked);
 * reap it once init has joined or on failure. */
pid_t rt_cgroup_warm_start(void);
void rt_cgroup_warm_end(pid_t *pid);

extern const struct rt_cgroup_ops rt_cgroup_v1_ops;
extern const struct rt_cgroup_ops rt_cgroup_v2_ops;

/* Helpers shared by the backends. */
int rt_cg_write(const char *dir, const char *file, const char *value,
                struct wh_error **err);
int rt_cg_read(const char *dir, const char *file, char *buf, size_t size);
int rt_cg_read_pids(const char *dir, pid_t **out, size_t *n,
                    struct wh_error **err);
/* mkdir -p of root+path; mode 0755. */
int rt_cg_mkdir(const char *root, const char *path, struct wh_error **err);
/* rmdir path and its now-empty parents up to (not including) the first
 * one that existed before (depth levels), after killing what's inside. */
int rt_cg_rmdir(const char *dir, struct wh_error **err);
/* Attach a BPF_CGROUP_DEVICE program made from r's device rules (plus
 * the default allows) to the v2 cgroup directory dir, replacing ours. */
int rt_cgroup_bpf_devices(const char *dir, const struct oci_resources *r,
                          struct wh_error **err);
