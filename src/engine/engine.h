/* engine.h: the daemonless container engine as a library.
 *
 * cmd/wharf_container*.c parse the command line into docker-shaped JSON
 * ("Config" and "HostConfig" objects, as `docker inspect` shows them) and
 * call one function here per command. State:
 *
 *   ROOT/engine.db            SQLite (WAL): containers, volumes, networks,
 *                             endpoints, published ports, settings
 *   ROOT/containers/ID/       bundle (config.json), overlay upper/work,
 *                             rootfs mount point, ctr.log (JSON lines),
 *                             hosts, hostname, resolv.conf
 *   ROOT/volumes/NAME/_data   named volumes
 *   RUNROOT/containers/ID/    monitor pid, attach socket, runtime log
 *   RUNROOT/runtime/          the OCI runtime's state root
 *   RUNROOT/netns/ID          the container's network namespace (bind mount)
 *
 * Every container has a monitor process (monitor.c) that outlives the
 * command that started it: it is the container's parent (a subreaper),
 * writes its logs, records its exit, applies the restart policy and, for
 * --rm, removes it. Commands find what a killed command left half done
 * (engine_reconcile) before they act. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct wh_error;
struct engine;

#define ENGINE_DEFAULT_ROOT "/var/lib/wharf"
#define ENGINE_DEFAULT_RUNROOT "/run/wharf"
#define ENGINE_DEFAULT_BRIDGE "wharf0"
#define ENGINE_DEFAULT_SUBNET "10.89.0.0/16"
#define ENGINE_DEFAULT_NFT_TABLE "wharf"

/* Exit codes as docker's. */
enum {
  ENGINE_EXIT_ERROR = 125,     /* the engine failed */
  ENGINE_EXIT_CANNOT_RUN = 126,/* the command cannot be invoked */
  ENGINE_EXIT_NOT_FOUND = 127, /* the command was not found */
};

struct engine_opts {
  const char *root;      /* NULL: ENGINE_DEFAULT_ROOT */
  const char *runroot;   /* NULL: ENGINE_DEFAULT_RUNROOT */
  /* Network settings recorded when the state is first created (later
   * values must match or be NULL): the default bridge, its subnet and
   * the nftables table the engine owns. Tests pass names of their own. */
  const char *bridge;
  const char *subnet;
  const char *nft_table;
};

int engine_open(const struct engine_opts *o, struct engine **out,
                struct wh_error **err);
void engine_close(struct engine *e);

/* Before `run` or `start` on a cgroup v1 host: start early the kernel
 * grace period that moving the container into its cgroups waits for
 * (runtime_warm_cgroups), so it passes while the engine prepares the
 * container. Returns a helper pid (or -1) for engine_warm_done. */
pid_t engine_warm_start(void);
void engine_warm_done(pid_t *pid);
static inline void engine_closep(struct engine **e)
{
  if (*e)
    engine_close(*e);
}
#define _cleanup_engine_ __attribute__((cleanup(engine_closep)))

const char *engine_root(const struct engine *e);
const char *engine_runroot(const struct engine *e);

/* Which exit status a failed engine call maps to (125, 126 or 127). */
int engine_error_exit_code(const struct wh_error *err);

/* --- containers --- */

/* What the command line gives `create`/`run`: docker's Config and
 * HostConfig objects (see docs/engine.md for the fields read), plus the
 * name. Ownership of the JSON stays with the caller. */
struct engine_create {
  const char *name;        /* NULL: a generated name */
  json_t *config;          /* Image, Cmd, Entrypoint, Env, User, ... */
  json_t *host_config;     /* Binds, Mounts, PortBindings, ... */
  /* Testing and bootstrap: run from a root file system directory instead
   * of an image (used read-only as the overlay's lower layer). */
  const char *rootfs;
};

/* Create a container (records, rootfs mount, bundle); id_out gets the
 * full id. Everything is undone on failure. */
int engine_container_create(struct engine *e, const struct engine_create *c,
                            char **id_out, struct wh_error **err);

/* How the caller wants to be connected to a container it starts. */
#define ENGINE_DETACH_KEYS_MAX 16
/* *exit_code of an attach the user detached from (the container runs on). */
#define ENGINE_DETACHED (-2)

struct engine_start {
  bool attach;        /* stream output to the caller, return the exit code */
  bool attach_stdin;  /* and stdin (-i) */
  int in_fd, out_fd, err_fd; /* the caller's stdio */
  bool forward_signals; /* SIGINT/SIGTERM/... go to the container */
  /* With a -t container and stdin attached: typing these bytes detaches
   * the client and leaves the container running (*exit_code is then
   * ENGINE_DETACHED). detach_len 0: docker's ctrl-p,ctrl-q. */
  unsigned char detach_keys[ENGINE_DETACH_KEYS_MAX];
  size_t detach_len;
};

/* Start a created (or exited) container with its monitor. With attach,
 * waits for the exit and sets *exit_code. */
int engine_container_start(struct engine *e, const char *ref,
                           const struct engine_start *s, int *exit_code,
                           struct wh_error **err);

/* Resolve a name, full id or unique id prefix to the full id. */
int engine_container_resolve(struct engine *e, const char *ref, char **id_out,
                             struct wh_error **err);

int engine_container_stop(struct engine *e, const char *ref, int timeout_s,
                          struct wh_error **err);
int engine_container_kill(struct engine *e, const char *ref, int sig,
                          struct wh_error **err);
int engine_container_remove(struct engine *e, const char *ref, bool force,
                            bool volumes, struct wh_error **err);
int engine_container_wait(struct engine *e, const char *ref, int *exit_code,
                          struct wh_error **err);
int engine_container_rename(struct engine *e, const char *ref,
                            const char *new_name, struct wh_error **err);
/* Remove every stopped container; ids removed go to *ids (strv). */
int engine_container_prune(struct engine *e, char ***ids, struct wh_error **err);
int engine_container_attach(struct engine *e, const char *ref,
                            const struct engine_start *s, int *exit_code,
                            struct wh_error **err);

/* ps: docker-shaped summaries (array of objects: Id, Names, Image,
 * Command, Created, State, Status, Ports). */
json_t *engine_container_list(struct engine *e, bool all, struct wh_error **err);
/* inspect: the docker-shaped object. */
json_t *engine_container_inspect(struct engine *e, const char *ref,
                                 struct wh_error **err);

struct engine_logs {
  bool follow, timestamps;
  int64_t since_ns;   /* 0: from the start */
  int64_t until_ns;   /* 0: no end */
  long tail;          /* -1: all */
  int out_fd, err_fd;
};
int engine_container_logs(struct engine *e, const char *ref,
                          const struct engine_logs *l, struct wh_error **err);

struct engine_exec {
  char **argv;
  char **env;          /* KEY=VALUE added to the container's */
  const char *user;
  const char *workdir;
  bool tty, interactive, detach, privileged;
  int in_fd, out_fd, err_fd;
};
int engine_container_exec(struct engine *e, const char *ref,
                          const struct engine_exec *x, int *exit_code,
                          struct wh_error **err);

/* top: `ps`-like rows of the container's processes. */
json_t *engine_container_top(struct engine *e, const char *ref,
                             struct wh_error **err);
/* stats: one sample per running container (or the one named). */
json_t *engine_container_stats(struct engine *e, const char *ref,
                               struct wh_error **err);
/* port: "80/tcp -> 0.0.0.0:8080" lines, or only those of private_port. */
json_t *engine_container_ports(struct engine *e, const char *ref,
                               struct wh_error **err);

/* cp: exactly one of the two is "CONTAINER:PATH". */
int engine_container_cp(struct engine *e, const char *src, const char *dst,
                        struct wh_error **err);

/* info: counts, paths, runtime, versions. */
json_t *engine_info(struct engine *e, struct wh_error **err);

/* Finish or undo what commands killed mid-way left: containers stuck in
 * "creating", monitors that died, mounts of removed containers. Called
 * by engine_open() for writers; cheap when nothing is left. */
int engine_reconcile(struct engine *e, struct wh_error **err);

/* --- volumes --- */
json_t *engine_volume_create(struct engine *e, const char *name,
                             struct wh_error **err);
json_t *engine_volume_list(struct engine *e, struct wh_error **err);
json_t *engine_volume_inspect(struct engine *e, const char *name,
                              struct wh_error **err);
int engine_volume_remove(struct engine *e, const char *name, bool force,
                         struct wh_error **err);
int engine_volume_prune(struct engine *e, char ***names, struct wh_error **err);

/* --- networks --- */
struct engine_network_create {
  const char *name;
  const char *subnet;   /* NULL: allocate a free /24 */
  const char *gateway;  /* NULL: first address of the subnet */
  const char *bridge;   /* NULL: "wh-" + id prefix */
  bool internal;        /* no masquerade */
};
json_t *engine_network_create(struct engine *e, const struct engine_network_create *n,
                              struct wh_error **err);
json_t *engine_network_list(struct engine *e, struct wh_error **err);
json_t *engine_network_inspect(struct engine *e, const char *ref,
                               struct wh_error **err);
int engine_network_remove(struct engine *e, const char *ref, struct wh_error **err);
int engine_network_prune(struct engine *e, char ***names, struct wh_error **err);

/* --- command-line values (parse.c), each names what was wrong --- */

/* "1g", "512m", "100k", "1024" (bytes) → bytes. */
int engine_parse_size(const char *s, int64_t *out, struct wh_error **err);
/* -p [ip:][hostport:]containerport[/proto]: adds to HostConfig.PortBindings
 * and Config.ExposedPorts. */
int engine_parse_publish(const char *s, json_t *config, json_t *host_config,
                         struct wh_error **err);
/* -v SRC:DST[:ro|rw] (SRC absolute: bind; else a volume name) or DST
 * alone (anonymous volume): an entry of HostConfig.Mounts. */
json_t *engine_parse_volume(const char *s, struct wh_error **err);
/* --mount type=bind|volume|tmpfs,source=…,target=…[,readonly][,tmpfs-size=…] */
json_t *engine_parse_mount(const char *s, struct wh_error **err);
/* --tmpfs DST[:OPTIONS] */
json_t *engine_parse_tmpfs(const char *s, struct wh_error **err);
/* --ulimit name=soft[:hard] → {"Name","Soft","Hard"} */
json_t *engine_parse_ulimit(const char *s, struct wh_error **err);
/* --restart no|always|unless-stopped|on-failure[:N] → {"Name","MaximumRetryCount"} */
json_t *engine_parse_restart(const char *s, struct wh_error **err);
/* --device HOST[:CTR[:PERMS]] → {"PathOnHost","PathInContainer","CgroupPermissions"} */
json_t *engine_parse_device(const char *s, struct wh_error **err);
/* --add-host NAME:IP */
int engine_parse_add_host(const char *s, struct wh_error **err);
/* --env-file: KEY=VALUE lines (KEY alone takes the caller's value);
 * appended to env (a JSON array). */
int engine_parse_env_file(const char *path, json_t *env, struct wh_error **err);
/* A signal by name ("TERM", "SIGKILL") or number. */
int engine_parse_signal(const char *s, int *sig, struct wh_error **err);
/* --detach-keys: comma-separated keys, each one character or ctrl-X
 * (X one of a-z @ [ \\ ] ^ _), as docker's; into at most
 * ENGINE_DETACH_KEYS_MAX bytes. */
int engine_parse_detach_keys(const char *s, unsigned char *out, size_t *len,
                             struct wh_error **err);
