/* internal.h: what the files of src/runtime share and nobody else sees.
 *
 * container.c  create: clone, sync with the child, state
 * child.c      the container side between clone() and execve()
 * rootfs.c     mounts, devices, masked/readonly paths, pivot_root
 * process.c    user, capabilities, rlimits, no_new_privs, exec
 * seccomp.c    the spec's seccomp through libseccomp
 * seccomp_cache.c  compiled filters kept under the state root
 * hooks.c      OCI hooks with the state on stdin and timeouts
 * state.c      the state directory, its lock, state.json, status
 * lifecycle.c  start, kill, delete, pause, resume, ps, update, stats
 * exec.c       exec into a running container
 * cgroup*.c    cgroups behind one vtable (v1, v2)
 * spec.c       default config.json and features */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/runtime_spec.h"
#include "runtime/cgroup.h"
#include "runtime/runtime.h"

struct wh_error;
struct rt_seccomp_prog;

/* ---- state.c ---- */

/* An open state directory with its lock held. */
struct rt_container {
  int dirfd;        /* <root>/<id> */
  int lockfd;       /* flock held */
  char *id;
  char *state_dir;  /* absolute */
  /* from state.json */
  pid_t pid;
  unsigned long long start_time;   /* /proc/PID/stat field 22 */
  char *bundle;
  char *rootfs;
  char *created;
  char *cgroup_path;   /* relative to each hierarchy */
  bool systemd_cgroup;
  bool no_pivot;
};

const char *rt_root(const struct runtime_ctx *ctx);
int rt_check_id(const char *id, struct wh_error **err);
/* Create <root>/<id> (EEXIST: the id is taken) and lock it. */
int rt_container_new(const struct runtime_ctx *ctx, const char *id,
                     struct rt_container *c, struct wh_error **err);
/* Open and lock an existing container and read its state.json. */
int rt_container_open(const struct runtime_ctx *ctx, const char *id,
                      bool exclusive, struct rt_container *c,
                      struct wh_error **err);
void rt_container_close(struct rt_container *c);
int rt_state_write(struct rt_container *c, struct wh_error **err);
/* Remove the state directory (the lock stays held until close). */
int rt_state_remove(const struct runtime_ctx *ctx, struct rt_container *c,
                    struct wh_error **err);
enum runtime_status rt_status(struct rt_container *c);
/* Is pid alive with this start time (not a zombie)? */
bool rt_pid_alive(pid_t pid, unsigned long long start_time);
unsigned long long rt_pid_start_time(pid_t pid);
/* The saved config.json of the container, parsed. */
int rt_load_spec(struct rt_container *c, struct oci_spec *spec,
                 struct wh_error **err);
/* rt_load_spec only if config.json can have a member named key (a hook
 * list, say): *loaded says whether spec was filled. */
int rt_load_spec_with(struct rt_container *c, const char *key, struct oci_spec *spec,
                      bool *loaded, struct wh_error **err);
int rt_fill_state(struct rt_container *c, const struct oci_spec *spec,
                  struct runtime_state *st, struct wh_error **err);

/* ---- debug.c ---- */
/* A debug-level line event=<step> id=<id> msg=<fmt...> (only with --debug). */
void rt_debug(const char *id, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- hooks.c ---- */
int rt_run_hooks(const struct oci_spec *spec, enum oci_hook_kind kind,
                 const char *state_json, int log_fd, struct wh_error **err);

/* ---- rootfs.c (child side) ---- */
struct rt_child_cfg;
/* Every mount but the cgroup ones (those need the cgroup namespace, which
 * needs init in its cgroup: the parent does that meanwhile), /dev. */
int rt_rootfs_prepare(const struct rt_child_cfg *cfg, struct wh_error **err);
int rt_rootfs_cgroup_mounts(const struct rt_child_cfg *cfg, struct wh_error **err);
int rt_rootfs_pivot(const struct rt_child_cfg *cfg, struct wh_error **err);
int rt_rootfs_finish(const struct rt_child_cfg *cfg, struct wh_error **err);

/* ---- process.c (child side) ---- */
/* After the rootfs, in runc's order: cwd, rlimits, umask, groups and
 * ids, capabilities, no_new_privs, seccomp (a notify listener fd goes to
 * *listener_fd, else -1). */
int rt_process_prepare(const struct oci_process *p, const struct oci_seccomp *sc,
                       const struct rt_seccomp_prog *prog, int *listener_fd,
                       struct wh_error **err);
/* Close what must not leak (fds above 2 + preserve_fds) and execve the
 * process (PATH from its env). Returns only on failure. */
int rt_process_exec(const struct oci_process *p, int preserve_fds,
                    struct wh_error **err);
/* Open the pty, send its master to console_fd, make the slave the
 * controlling terminal and stdio. */
int rt_setup_console(int console_fd, const struct oci_process *p,
                     struct wh_error **err);

/* ---- seccomp.c ---- */
/* A filter compiled by the parent before clone; the child only loads it.
 * insns NULL: the child builds and loads it with libseccomp (a profile
 * with a notify action: the listener fd comes from that load). */
struct sock_filter;
struct rt_seccomp_prog {
  struct sock_filter *insns;
  size_t len;
  unsigned flags;         /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  bool use_prctl;         /* no seccomp(2) here (API level 1) */
};
/* Compile sc (NULL: nothing) into prog, from the cache when it has it. */
int rt_seccomp_compile(const struct runtime_ctx *ctx, const struct oci_seccomp *sc,
                       struct rt_seccomp_prog *prog, struct wh_error **err);
void rt_seccomp_prog_free(struct rt_seccomp_prog *prog);
/* Load the filter (prog, or sc through libseccomp when prog has none);
 * with a notify action, *listener_fd gets the fd. */
int rt_seccomp_load(const struct oci_seccomp *sc, const struct rt_seccomp_prog *prog,
                    int *listener_fd, struct wh_error **err);

/* ---- seccomp_cache.c ---- */
struct wh_buf;
/* Everything the program depends on, as bytes. -1 (ENOMEM) on failure. */
int rt_seccomp_cache_key(const struct oci_seccomp *sc, int major, int minor, int micro,
                         unsigned api, uint32_t native_arch, struct wh_buf *key);
/* 0 and prog->insns/len filled on a hit, -1 on a miss. */
int rt_seccomp_cache_get(const struct runtime_ctx *ctx, const struct wh_buf *key,
                         struct rt_seccomp_prog *prog);
/* Best effort: a failure to cache is only a later miss. */
void rt_seccomp_cache_put(const struct runtime_ctx *ctx, const struct wh_buf *key,
                          const struct rt_seccomp_prog *prog);
/* Send a listener fd to listenerPath with the container state (as runc). */
int rt_seccomp_send_listener(const struct oci_seccomp *sc, int fd,
                             const char *state_json, struct wh_error **err);

/* ---- the child's configuration, prepared by the parent before clone ---- */
struct rt_child_cfg {
  const struct oci_spec *spec;
  const char *id;
  const char *rootfs;         /* absolute */
  bool no_pivot;
  bool no_new_keyring;
  int sync_fd;                /* SOCK_SEQPACKET to the parent */
  int fifo_fd;                /* O_PATH of exec.fifo, -1 in run mode */
  int console_fd;             /* connected console socket, -1 */
  int log_fd;
  int preserve_fds;
  int ns_fds[OCI_NS_COUNT];   /* opened paths, -1 = none */
  const char *cgroup_path;    /* for cgroup mounts */
  const struct rt_cgroup *cgroup;
  bool wait_go;               /* a new user namespace: wait for its id maps */
  bool cgroup_made_later;     /* v1: the parent makes the cgroups after the
                                 clone and says RT_SYNC_CGROUP_MADE */
  const struct rt_seccomp_prog *seccomp;   /* compiled by the parent */
};

/* The child's entry point (never returns). */
int rt_child_main(void *arg);

/* Sync messages over the SOCK_SEQPACKET pair. */
enum rt_sync {
  RT_SYNC_GO = 1,           /* parent → child: id maps written */
  RT_SYNC_HOOKS,            /* child → parent: run prestart/createRuntime */
  RT_SYNC_HOOKS_DONE,       /* parent → child */
  RT_SYNC_READY,            /* child → parent: set up, waiting */
  RT_SYNC_ERROR,            /* child → parent, payload = message */
  RT_SYNC_SECCOMP_FD,       /* child → parent: a notify fd follows */
  RT_SYNC_CGROUP,           /* parent → child: init is in its cgroup */
  RT_SYNC_CGROUP_MADE,      /* parent → child: the cgroups exist (v1, made after clone) */
};
int rt_sync_send(int fd, enum rt_sync type, const char *msg,
                 struct wh_error **err);
/* Receive one message; payload (if any) into msg (caller frees). A closed
 * peer gives -1 with "closed". */
int rt_sync_recv(int fd, enum rt_sync *type, char **msg, struct wh_error **err);
int rt_sync_expect(int fd, enum rt_sync want, struct wh_error **err);

/* ---- misc ---- */
/* Caught signals revert at execve by themselves; ignored ones do not:
 * put back the ones a caller (the engine, a shell) commonly ignores. */
void rt_default_signals(void);
int rt_write_str_at(int dirfd, const char *path, const char *value,
                    struct wh_error **err);
int rt_write_file_replace(int dirfd, const char *name, const void *data, size_t len,
                          mode_t mode, struct wh_error **err);
int rt_write_pid_file(const char *path, pid_t pid, struct wh_error **err);

/* ---- sync.c: fd passing ---- */
int rt_send_fd(int sock, int fd, const char *payload, struct wh_error **err);
/* Returns the received fd (O_CLOEXEC) or -1. */
int rt_recv_fd(int sock, struct wh_error **err);
