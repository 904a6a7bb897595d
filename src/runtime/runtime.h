/* runtime.h: the OCI runtime as a library.
 *
 * cmd/wharf-runtime.c (runc's command line) and engine/ (in process) call
 * these functions. Everything a call needs is in a `struct runtime_ctx`
 * the caller owns: there is no global state, nothing here calls exit(),
 * and every failure comes back as -1 with a `struct wh_error` naming what
 * failed, after undoing what the call had done (cgroups, mounts, state
 * directory, processes).
 *
 * State: one directory per container, <root>/<id>/, holding state.json
 * (replaced atomically), exec.fifo while the container is "created", and
 * a lock file. Every command that changes a container takes an exclusive
 * flock on <root>/<id>/lock (a read-only `state` takes a shared one), so
 * transitions of one id are serialised across processes; different ids
 * never contend.
 *
 * Processes: runtime_create() clone()s the container's init from the
 * calling process, so the caller is its parent and can waitpid() it. When
 * the caller exits first (runc's `create` does), init is reparented to
 * the nearest subreaper (conmon, containerd's shim, or a process that set
 * PR_SET_CHILD_SUBREAPER) or PID 1, which then collects its status.
 * runtime_create() must be called from a single-threaded process (the
 * engine's per-container monitor): the child runs our code between clone()
 * and execve(), where another thread's locks would be held forever.
 *
 * See docs/runtime.md for the lifecycle and the choices made where runc
 * and the spec differ. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct wh_error;
struct oci_spec;

#define RUNTIME_DEFAULT_ROOT "/run/wharf-runtime"
/* Container ids: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most this long. */
#define RUNTIME_ID_MAX 1024

enum runtime_flags {
  RUNTIME_SYSTEMD_CGROUP = 1 << 0, /* cgroupsPath is slice:prefix:name */
  RUNTIME_DEBUG = 1 << 1,
};

struct runtime_ctx {
  const char *root;  /* state root; NULL means RUNTIME_DEFAULT_ROOT */
  unsigned flags;    /* enum runtime_flags */
  /* Where the container side reports failures between clone() and
   * execve() and where hook output that is not captured goes: a log file
   * descriptor, or -1 for standard error. */
  int log_fd;
};

enum runtime_status {
  RUNTIME_CREATING = 0,
  RUNTIME_CREATED,
  RUNTIME_RUNNING,
  RUNTIME_PAUSED,
  RUNTIME_STOPPED,
};
const char *runtime_status_name(enum runtime_status s);

/* What `state` reports (the spec's state plus what `list` shows). */
struct runtime_state {
  char *id;
  enum runtime_status status;
  pid_t pid;               /* 0 once stopped */
  char *bundle;            /* absolute */
  char *rootfs;            /* absolute */
  char *created;           /* RFC 3339 */
  char *owner;             /* "" (runc prints the uid name; we keep "") */
  char *annotations_json;  /* the spec's annotations object, or "{}" */
};
void runtime_state_clear(struct runtime_state *st);
/* The spec's state JSON ({"ociVersion","id","status","pid","bundle",
 * "annotations"}) as hooks and `state` print it; caller frees. */
char *runtime_state_json(const struct runtime_state *st, bool pretty,
                         struct wh_error **err);

struct runtime_create_opts {
  const char *bundle;          /* directory with config.json; NULL = cwd */
  const char *config_path;     /* NULL = <bundle>/config.json */
  const char *pid_file;        /* written (atomically) with init's pid */
  const char *console_socket;  /* AF_UNIX path: the pty master is sent there */
  bool no_pivot;               /* chroot-like move instead of pivot_root */
  bool no_new_keyring;
  int preserve_fds;            /* fds 3 .. 3+n-1 are passed to the process */
  /* Run mode (runc run): no exec fifo; the process starts as soon as the
   * container is set up, and the caller waits with runtime_wait(). */
  bool start_now;
};

/* Create the container: namespaces, cgroup, rootfs, hooks createRuntime,
 * createContainer (and prestart), then leave init waiting on exec.fifo in
 * state "created". *pid_out gets init's pid as the caller sees it. */
int runtime_create(const struct runtime_ctx *ctx, const char *id,
                   const struct runtime_create_opts *opts, pid_t *pid_out,
                   struct wh_error **err);

/* Let a created container's process run (startContainer runs inside,
 * poststart after). Fails unless the state is "created". */
int runtime_start(const struct runtime_ctx *ctx, const char *id,
                  struct wh_error **err);

/* Wait for a container whose init is the caller's child (or, for a
 * subreaper, its adopted child) and return its status the way a shell
 * reports it: the exit code, or 128 + signal number. */
int runtime_wait(pid_t pid, int *exit_code, struct wh_error **err);

int runtime_state(const struct runtime_ctx *ctx, const char *id,
                  struct runtime_state *out, struct wh_error **err);

/* Send sig to init, or with all to every process in the container's
 * cgroup. Fails when the container is stopped (as runc does). */
int runtime_kill(const struct runtime_ctx *ctx, const char *id, int sig,
                 bool all, struct wh_error **err);

/* Remove a stopped (or, with force, any) container: SIGKILL to all its
 * processes, cgroup, state directory; poststop hooks run. */
int runtime_delete(const struct runtime_ctx *ctx, const char *id, bool force,
                   struct wh_error **err);

/* Every container under the root, sorted by id. Caller frees with
 * runtime_list_free(). */
int runtime_list(const struct runtime_ctx *ctx, struct runtime_state **out,
                 size_t *n_out, struct wh_error **err);
void runtime_list_free(struct runtime_state *list, size_t n);

struct runtime_exec_opts {
  const char *process_path;   /* a process.json (the spec's "process") */
  char *const *args;          /* or args (then the fields below apply) */
  const char *cwd;
  char *const *env;           /* added to / overriding the config's env */
  const char *user;           /* "uid[:gid]" */
  char *const *caps;          /* added to every capability set */
  bool tty;
  bool no_new_privs;
  bool detach;
  const char *console_socket;
  const char *pid_file;
  int preserve_fds;
};

/* Run one more process in a running container; *pid_out gets its pid
 * (a child of the caller). Without detach the caller waits with
 * runtime_wait(). */
int runtime_exec(const struct runtime_ctx *ctx, const char *id,
                 const struct runtime_exec_opts *opts, pid_t *pid_out,
                 struct wh_error **err);

/* Change resources of a created/running container. resources_json is a
 * LinuxResources object (what `update -r FILE` reads). */
int runtime_update(const struct runtime_ctx *ctx, const char *id,
                   const char *resources_json, size_t len,
                   struct wh_error **err);

int runtime_pause(const struct runtime_ctx *ctx, const char *id,
                  struct wh_error **err);
int runtime_resume(const struct runtime_ctx *ctx, const char *id,
                   struct wh_error **err);

/* Pids in the container's cgroup (as the host sees them). */
int runtime_ps(const struct runtime_ctx *ctx, const char *id, pid_t **pids_out,
               size_t *n_out, struct wh_error **err);

/* Resource usage as runc's `events --stats` prints it: a JSON object
 * {"type":"stats","id":...,"data":{cpu,memory,pids,blkio,hugetlb}}. */
char *runtime_stats_json(const struct runtime_ctx *ctx, const char *id,
                         struct wh_error **err);

/* The event stream of `events` (without --stats): OOM notifications from
 * the memory cgroup (v1: memory.oom_control through cgroup.event_control
 * and an eventfd; v2: memory.events watched with inotify). The container's
 * lock is not held while the stream is open. */
struct runtime_events;
struct runtime_events *runtime_events_open(const struct runtime_ctx *ctx, const char *id,
                                           struct wh_error **err);
/* Wait up to timeout_ms for an event. Returns 1 with *event_json (caller
 * frees) set to {"type":"oom","id":...}, 0 on timeout, 2 once the
 * container has stopped (or its cgroup is gone) and no event is pending,
 * -1 on error. */
int runtime_events_wait(struct runtime_events *ev, int timeout_ms, char **event_json,
                        struct wh_error **err);
void runtime_events_close(struct runtime_events *ev);

/* For callers that will start a container soon (the engine's run and
 * start): on a cgroup v1 host, fork a helper whose no-op cgroup migration
 * starts the RCU grace period that moving the container's init into its
 * cgroups waits for (up to ~30 ms here; see cgroup_warm.c), so it passes
 * while the caller does other work. Call it before any cgroup is made
 * (the helper holds the kernel's cgroup_mutex while it waits). Returns
 * the helper's pid, or -1 (pure v2 host, or fork failed); reap it with
 * runtime_warm_cgroups_done. */
pid_t runtime_warm_cgroups(void);
void runtime_warm_cgroups_done(pid_t *pid);

/* A default config.json (`spec`), rootless or not; caller frees. */
char *runtime_default_spec(bool rootless, struct wh_error **err);

/* `features` JSON, as runc and crun print it; caller frees. */
char *runtime_features_json(struct wh_error **err);
