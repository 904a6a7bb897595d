/* internal.h: what the engine's files share and nothing outside uses. */
#pragma once

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"

struct wh_error;

struct image_store;

struct engine {
  char *root, *runroot;
  int rootfd;
  sqlite3 *db;
  struct image_store *store;  /* opened on first use (image_link.c) */
  char *bridge, *subnet, *nft_table;
};

/* A container's row. Strings owned; config/host_config owned refs. */
struct ctr {
  char *id, *name, *image, *image_id, *rootfs_src;
  json_t *config, *host_config;
  char *state;      /* creating, created, running, exited, removing */
  int64_t created_ns, started_ns, finished_ns;
  int pid;          /* container init, while running */
  int owner_pid;    /* the command creating/removing it, or its monitor */
  int64_t owner_start; /* owner's start time (/proc/PID/stat field 22) */
  int exit_code;
  int restart_count;
  bool stop_requested;
  char *error;
};
void ctr_clear(struct ctr *c);
#define _cleanup_ctr_ __attribute__((cleanup(ctr_clear)))

/* --- db.c --- */
int db_open(struct engine *e, struct wh_error **err);
/* Run sql with arguments bound from types: s (const char *, NULL → NULL),
 * i (int64_t), d (int). */
int db_exec(struct engine *e, const char *sql, const char *types,
            struct wh_error **err, ...);
/* Rows as a JSON array of objects keyed by column name. */
json_t *db_query(struct engine *e, const char *sql, const char *types,
                 struct wh_error **err, ...);
int db_begin(struct engine *e, struct wh_error **err);
int db_commit(struct engine *e, struct wh_error **err);
void db_rollback(struct engine *e);
int db_setting_get(struct engine *e, const char *key, char **value,
                   struct wh_error **err);
int db_setting_set(struct engine *e, const char *key, const char *value,
                   struct wh_error **err);
int ctr_insert(struct engine *e, const struct ctr *c, struct wh_error **err);
int ctr_load(struct engine *e, const char *id, struct ctr *out,
             struct wh_error **err);
/* ids of every container (in creation order), as a strv. */
int ctr_ids(struct engine *e, char ***out, struct wh_error **err);
int ctr_set_state(struct engine *e, const char *id, const char *state,
                  struct wh_error **err);
int ctr_set_owner(struct engine *e, const char *id, int pid, int64_t start,
                  struct wh_error **err);
int ctr_set_running(struct engine *e, const char *id, int pid,
                    struct wh_error **err);
int ctr_set_exited(struct engine *e, const char *id, int code,
                   const char *error, struct wh_error **err);
int ctr_delete_row(struct engine *e, const char *id, struct wh_error **err);

/* --- proc.c --- */
int proc_starttime(pid_t pid, int64_t *out);
/* The process pid exists, is not a zombie and started at start. */
bool proc_alive(pid_t pid, int64_t start);
int64_t proc_self_start(void);

/* --- umount.c --- */
/* path is a mount point (its device differs from its directory's). */
bool mount_is_mounted(const char *path);
/* Detach the mount at path (MNT_DETACH) without waiting for the kernel's
 * grace period: returns once path is no longer a mount point. */
int mount_detach_nowait(const char *path, struct wh_error **err);

/* --- paths (container.c) --- */
char *ctr_dir(struct engine *e, const char *id);      /* ROOT/containers/ID */
char *ctr_rundir(struct engine *e, const char *id);   /* RUNROOT/containers/ID */
char *runtime_root(struct engine *e);                 /* RUNROOT/runtime */

/* --- rootfs.c --- */
/* Mount the overlay (lower: image layers or the --rootfs dir) at
 * ROOT/containers/ID/rootfs unless mounted. */
int rootfs_mount(struct engine *e, const struct ctr *c, struct wh_error **err);
int rootfs_umount(struct engine *e, const char *id, struct wh_error **err);
bool rootfs_is_mounted(struct engine *e, const char *id);
/* Resolve a user spec ("name", "uid", "name:group", "uid:gid") against the
 * rootfs's /etc/passwd and /etc/group. */
int rootfs_lookup_user(int rootfd, const char *spec, uid_t *uid, gid_t *gid,
                       gid_t **groups, size_t *n_groups, char **home,
                       struct wh_error **err);
/* Find argv0 in the rootfs along PATH (from env): 0 if found and
 * executable, else an error whose exit code (engine_error_exit_code) is
 * 127 (not found) or 126 (not executable). */
int rootfs_check_exec(int rootfd, const char *argv0, const char *path_env,
                      const char *workdir, struct wh_error **err);

/* --- spec.c --- */
/* The runtime spec for a container whose rootfs is mounted. */
json_t *spec_build(struct engine *e, const struct ctr *c, int rootfd,
                   struct wh_error **err);
/* Image config + flags → the process (argv, env, user, cwd), docker's
 * rules. Shared by spec and exec. */
int spec_process_args(const json_t *config, const json_t *image_config,
                      char ***argv_out, struct wh_error **err);
/* The image config's "config" object for a container (or an empty
 * object for --rootfs containers); new reference. */
json_t *ctr_image_config(struct engine *e, const struct ctr *c,
                         struct wh_error **err);

/* --- seccomp_profile.c --- */
json_t *seccomp_default_json(char *const *caps);

/* --- ocirt.c: the OCI runtime behind the engine --- */
struct ocirt_create {
  const char *bundle;
  const char *pid_file;
  const char *console_socket; /* NULL: no terminal; relative to bundle */
  int stdio[3];
  const char *log_path;
  bool start;                 /* start it too (runc run --detach) */
};
int ocirt_create(struct engine *e, const struct ctr *c,
                 const struct ocirt_create *o, pid_t *pid_out,
                 struct wh_error **err);
int ocirt_start(struct engine *e, const struct ctr *c, struct wh_error **err);
int ocirt_kill(struct engine *e, const struct ctr *c, int sig, bool all,
               struct wh_error **err);
int ocirt_delete(struct engine *e, const struct ctr *c, bool force,
                 struct wh_error **err);
/* Exec: runs the runtime's exec with the given stdio (no terminal) or
 * console socket; returns the runtime process's pid (its exit status is
 * the process's). */
int ocirt_exec(struct engine *e, const struct ctr *c, const char *process_json,
               const char *console_socket, const char *cwd, bool detach,
               const int stdio[3], pid_t *pid_out, struct wh_error **err);
const char *ocirt_path(const struct ctr *c);
/* Pids in the container's cgroup, from the runtime (runtime_ps or
 * `RUNTIME ps --format json`), so either cgroup hierarchy works. */
int ocirt_pids(struct engine *e, const struct ctr *c, pid_t **pids, size_t *n,
               struct wh_error **err);
/* runc's `events --stats` object ({"type":"stats","data":{cpu,memory,
 * pids,...}}) from the runtime's cgroup backend (v1 or v2). */
json_t *ocirt_stats(struct engine *e, const struct ctr *c, struct wh_error **err);

/* --- exec.c --- */
/* The figures `stats` shows, taken from a runtime stats object; -1 where
 * the runtime gave none. A limit of 0 or above 2^62 means "no limit". */
struct stats_sample {
  int64_t cpu_ns, mem_usage, mem_limit, pids;
};
void stats_sample_parse(const json_t *runtime_stats, struct stats_sample *out);

/* --- monitor.c --- */
/* Fork the monitor for c (its row as just loaded and updated by the
 * caller: the monitor starts from this copy, not from the database);
 * `client` (or -1) is a socket the monitor treats as an attached client
 * from the start. Returns once the monitor has been forked; the client
 * learns the start's outcome from frames. */
int monitor_spawn(struct engine *e, const struct ctr *c, int client,
                  struct wh_error **err);

/* --- attach.c: frames between the monitor and its clients --- */
enum frame_type {
  FRAME_STDIN = 0,
  FRAME_STDOUT = 1,
  FRAME_STDERR = 2,
  FRAME_EXIT = 3,      /* 4 bytes big-endian exit code */
  FRAME_RESIZE = 4,    /* rows, cols as 2+2 bytes big-endian */
  FRAME_STDIN_EOF = 5,
  FRAME_STARTED = 6,   /* the container runs (payload: pid, 4 bytes) */
  FRAME_ERROR = 7,     /* payload: 4-byte exit code + message */
  FRAME_SIGNAL = 8,    /* 4-byte signal to forward */
};
#define FRAME_MAX 32768
int frame_write(int fd, enum frame_type t, const void *data, uint32_t len);
/* Read one frame: 1 ok, 0 EOF at a frame boundary, -1 error. buf holds
 * FRAME_MAX bytes. */
int frame_read(int fd, enum frame_type *t, char *buf, uint32_t *len);
/* The client side: relay stdio to/from the monitor socket until an EXIT
 * or ERROR frame (exit code in *exit_code; error message into err). */
int attach_client(int sock, const struct engine_start *s, bool tty,
                  int *exit_code, struct wh_error **err);
/* A sockaddr for path; paths too long for sun_path go through
 * /proc/self/fd/N of their directory (*dirfd, to close after bind or
 * connect; -1 when unused). */
struct sockaddr_un;
int unix_addr(const char *path, struct sockaddr_un *sa, int *dirfd, struct wh_error **err);
/* The fd a runtime sent over a console socket connection (SCM_RIGHTS). */
int recv_fd(int sock);
/* Connect to a running container's monitor. */
int attach_connect(struct engine *e, const char *id, struct wh_error **err);

/* --- container.c --- */
/* Everything a container holds on the host, torn down (idempotent). */
int ctr_teardown(struct engine *e, const struct ctr *c, struct wh_error **err);
/* A removed container's directories, moved out of the way (renamed into
 * ROOT/.trash and RUNROOT/.trash) to be deleted after the removal is
 * reported: on this host deleting them costs ~1.5 ms (ext4 with discard).
 * Anything left there is deleted by the next command's reconcile. */
struct ctr_trash {
  char *path[2];
};
void ctr_trash_empty(struct ctr_trash *t);
/* teardown + files + row (+ anonymous volumes). With later, the
 * directories are only moved into the trash (ctr_trash_empty deletes). */
int ctr_destroy(struct engine *e, const struct ctr *c, bool volumes,
                struct ctr_trash *later, struct wh_error **err);
int ctr_lock(struct engine *e, const char *id, struct wh_error **err);

/* --- cp.c --- */
/* Copy sdir/sname (a tree, links as links, no following) to ddir/dname. */
int cp_tree(int sdir, const char *sname, int ddir, const char *dname, struct wh_error **err);

/* --- volume.c --- */
/* Prepare HostConfig.Mounts for c: named volumes created on demand,
 * bind sources checked; fills spec mounts (OCI JSON array). */
int volume_spec_mounts(struct engine *e, const struct ctr *c, int rootfd, json_t *mounts,
                       struct wh_error **err);
int volume_ensure(struct engine *e, const char *name, bool anonymous,
                  char **path_out, struct wh_error **err);

/* --- network.c --- */
/* Set up the container's networking before its process starts (netns at
 * RUNROOT/netns/ID, veth, address, hosts, ports) / undo it. */
/* The container's network exists (create fails early otherwise). */
int net_check(struct engine *e, const struct ctr *c, struct wh_error **err);
int net_setup(struct engine *e, const struct ctr *c, struct wh_error **err);
int net_teardown(struct engine *e, const struct ctr *c, struct wh_error **err);
char *net_ns_path(struct engine *e, const char *id);
/* NetworkSettings for inspect (new reference). */
json_t *net_inspect(struct engine *e, const struct ctr *c);
/* The container's published ports as docker's "Ports" list. */
json_t *net_ports(struct engine *e, const struct ctr *c);
