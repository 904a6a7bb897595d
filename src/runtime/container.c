/* container.c: create, the runtime's side.
 *
 * The parent prepares everything it can (config parsed, cgroup made and
 * limited, namespace paths opened, console socket connected), clone()s
 * init into new namespaces, writes its id maps and cgroup membership,
 * runs prestart/createRuntime hooks when init asks, and records the state
 * once init reports it is ready. Any failure kills init and removes the
 * cgroup and the state directory. The child side is child.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "runtime/internal.h"

/* fork-like clone: the child continues here with a copy of the stack, so
 * no separate stack has to be managed. */
static pid_t clone_fork(unsigned long flags)
{
  return (pid_t) syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
}

/* On cgroup v2, clone3(CLONE_INTO_CGROUP) starts init in its cgroup:
 * no write to cgroup.procs, whose write lock costs an RCU grace period.
 * Returns -1 with ENOSYS/E2BIG/EINVAL where the kernel lacks it. */
static pid_t clone_into_cgroup(unsigned long flags, int cgroup_fd)
{
  struct clone_args a;
  memset(&a, 0, sizeof(a));
  a.flags = flags | CLONE_INTO_CGROUP;
  a.exit_signal = SIGCHLD;
  a.cgroup = (uint64_t) cgroup_fd;
  return (pid_t) syscall(SYS_clone3, &a, sizeof(a));
}

/* UTC "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" computed by hand: glibc's
 * gmtime_r() and strftime() read the time zone database on first use,
 * which costs more than a millisecond of `create`. Days to civil date
 * after Howard Hinnant's algorithm. */
static void rt_now_rfc3339(char *out, size_t size)
{
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  long long secs = now.tv_sec, days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
  long long doe = z - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  long long y = yoe + era * 400 + (m <= 2);
  snprintf(out, size, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%09ldZ", y, m, d,
           rem / 3600, rem / 60 % 60, rem % 60, now.tv_nsec);
}

static int write_map(pid_t pid, const char *file, const struct oci_id_mapping *m,
                     size_t n, struct wh_error **err)
{
  char path[64], buf[8192];
  size_t len = 0;
  for (size_t i = 0; i < n; i++)
    len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n",
                             m[i].container_id, m[i].host_id, m[i].size);
  snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, buf, len) != (ssize_t) len)
    return wh_error_errno(err, "user namespace: %s", file);
  return 0;
}

static int connect_console(const char *path, struct wh_error **err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof(sa.sun_path))
    return wh_error_set(err, WH_ERR_INVALID, "console socket %s: path too long", path);
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return wh_error_errno(err, "console socket");
  if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
    wh_error_errno(err, "console socket %s", path);
    close(fd);
    return -1;
  }
  return fd;
}

/* Kill and reap a child that did not make it. */
static void reap_failed(pid_t pid)
{
  if (pid <= 0)
    return;
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

static char *hook_state(const char *id, enum runtime_status st, pid_t pid,
                        const char *bundle, const char *annotations)
{
  struct runtime_state s = {
    .id = (char *) id, .status = st, .pid = pid, .bundle = (char *) bundle,
    .rootfs = (char *) "", .created = (char *) "", .owner = (char *) "",
    .annotations_json = (char *) annotations,
  };
  return runtime_state_json(&s, false, NULL);
}

static int read_config(const struct runtime_create_opts *o, const char *bundle,
                       char **data, size_t *len, struct wh_error **err)
{
  char path[PATH_MAX + 32];
  if (o->config_path)
    snprintf(path, sizeof(path), "%s", o->config_path);
  else
    snprintf(path, sizeof(path), "%s/config.json", bundle);
  if (wh_read_file_at(AT_FDCWD, path, OCI_SPEC_MAX_SIZE, data, len, err) < 0)
    return wh_error_wrap(err, "bundle %s", bundle);
  return 0;
}

struct create_job {
  const struct runtime_ctx *ctx;
  const struct runtime_create_opts *opts;
  struct rt_container c;
  struct oci_spec spec;
  struct rt_cgroup cg;
  bool cg_made;
  pid_t pid;
  int sync[2];
  int console_fd;
  int fifo_fd;
  int ns_fds[OCI_NS_COUNT];
  struct rt_seccomp_prog seccomp;
};

static void job_cleanup(struct create_job *j, bool failed)
{
  if (failed) {
    reap_failed(j->pid);
    if (j->cg_made)
      j->cg.ops->destroy(&j->cg, NULL);
    if (j->c.dirfd >= 0)
      rt_state_remove(j->ctx, &j->c, NULL);
  }
  for (int i = 0; i < 2; i++)
    wh_closep(&j->sync[i]);
  wh_closep(&j->console_fd);
  wh_closep(&j->fifo_fd);
  for (int t = 0; t < OCI_NS_COUNT; t++)
    wh_closep(&j->ns_fds[t]);
  rt_cgroup_clear(&j->cg);
  rt_seccomp_prog_free(&j->seccomp);
  oci_spec_free(&j->spec);
  rt_container_close(&j->c);
}

/* Talk to init until it is ready: hooks on request, errors relayed. */
static int parent_sync(struct create_job *j, struct wh_error **err)
{
  for (;;) {
    enum rt_sync t;
    _cleanup_free_ char *msg = NULL;
    if (t = 0, rt_sync_recv(j->sync[0], &t, &msg, err) < 0)
      return -1;
    switch (t) {
    case RT_SYNC_HOOKS: {
      _cleanup_free_ char *st = hook_state(j->c.id, RUNTIME_CREATING, j->pid,
                                           j->c.bundle, j->spec.annotations_json);
      if (rt_run_hooks(&j->spec, OCI_HOOK_PRESTART, st, j->ctx->log_fd, err) < 0 ||
          rt_run_hooks(&j->spec, OCI_HOOK_CREATE_RUNTIME, st, j->ctx->log_fd, err) < 0)
        return -1;
      if (rt_sync_send(j->sync[0], RT_SYNC_HOOKS_DONE, st, err) < 0)
        return -1;
      break;
    }
    case RT_SYNC_SECCOMP_FD: {
      _cleanup_close_ int fd = rt_recv_fd(j->sync[0], err);
      if (fd < 0)
        return -1;
      _cleanup_free_ char *st = hook_state(j->c.id, RUNTIME_CREATING, j->pid,
                                           j->c.bundle, j->spec.annotations_json);
      if (rt_seccomp_send_listener(j->spec.seccomp, fd, st, err) < 0)
        return -1;
      break;
    }
    case RT_SYNC_READY:
      return 0;
    case RT_SYNC_ERROR:
      return wh_error_set(err, WH_ERR_INTERNAL, "%s", msg);
    default:
      return wh_error_set(err, WH_ERR_INTERNAL, "sync: unexpected message %d", t);
    }
  }
}

/* Make the container's cgroups and apply its resources. */
static int cgroup_setup(struct create_job *j, struct wh_error **err)
{
  const struct oci_spec *s = &j->spec;
  j->cg_made = true;   /* even partly made: destroy what exists */
  if (j->cg.ops->create(&j->cg, err) < 0)
    return -1;
  static const struct oci_resources none;
  if (j->cg.ops->apply(&j->cg, s->has_resources ? &s->resources : &none, err) < 0)
    return wh_error_wrap(err, "linux.resources");
  rt_debug(j->c.id, "cgroup", "created %s (cgroup %s), resources applied", j->cg.path,
           j->cg.ops == &rt_cgroup_v2_ops ? "v2" : "v1");
  return 0;
}

/* The intermediate of spawn(): join the user namespace given by path,
 * unshare the new namespaces but pid inside it, clone init with
 * CLONE_PARENT (so it is our child, in a new pid namespace owned by that
 * user namespace), tell us its pid over a pipe and exit. An error goes to
 * the sync socket as init's would. */
static int spawn_in_userns(struct create_job *j, unsigned long flags,
                           const struct rt_child_cfg *cfg_in, struct wh_error **err)
{
  int pp[2];
  if (pipe2(pp, O_CLOEXEC) < 0)
    return wh_error_errno(err, "pipe");
  pid_t mid = clone_fork(0);
  if (mid < 0) {
    close(pp[0]);
    close(pp[1]);
    return wh_error_errno(err, "fork");
  }
  if (mid == 0) {
    close(pp[0]);
    close(j->c.lockfd);
    close(j->sync[0]);
    struct rt_child_cfg cfg = *cfg_in;
    cfg.ns_fds[OCI_NS_USER] = -1;   /* joined here */
    const char *what = "join user namespace";
    pid_t init = -1;
    if (setns(j->ns_fds[OCI_NS_USER], CLONE_NEWUSER) == 0) {
      what = "make namespaces in the joined user namespace";
      if (unshare((int) (flags & ~(unsigned long) CLONE_NEWPID)) == 0) {
        what = "clone";
        init = (pid_t) syscall(SYS_clone, CLONE_PARENT | (flags & CLONE_NEWPID), 0, NULL,
                               NULL, 0);
        if (init == 0) {
          close(pp[1]);
          _exit(rt_child_main(&cfg));
        }
      }
    }
    if (init < 0) {
      char msg[256];
      snprintf(msg, sizeof(msg), "%s %s: %s", what, j->spec.ns[OCI_NS_USER].path,
               strerror(errno));
      rt_sync_send(j->sync[1], RT_SYNC_ERROR, msg, NULL);
      _exit(1);
    }
    ssize_t w = write(pp[1], &init, sizeof(init));
    _exit(w == (ssize_t) sizeof(init) ? 0 : 1);
  }
  close(pp[1]);
  pid_t init = -1;
  ssize_t n;
  do
    n = read(pp[0], &init, sizeof(init));
  while (n < 0 && errno == EINTR);
  close(pp[0]);
  while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (n != (ssize_t) sizeof(init) || init <= 0) {
    /* its message, or init's, is in the sync socket */
    wh_closep(&j->sync[1]);
    if (parent_sync(j, err) < 0)
      return -1;
    return wh_error_set(err, WH_ERR_INTERNAL, "user namespace: init was not started");
  }
  j->pid = init;
  return 0;
}

static int spawn(struct create_job *j, struct wh_error **err)
{
  const struct oci_spec *s = &j->spec;
  unsigned long flags = 0;
  for (int t = 0; t < OCI_NS_COUNT; t++)
    if (s->ns[t].present && !s->ns[t].path && t != OCI_NS_CGROUP && t != OCI_NS_TIME)
      flags |= (unsigned long) oci_ns_clone_flag(t);

  struct rt_child_cfg cfg = {
    .spec = s, .id = j->c.id, .rootfs = j->c.rootfs, .no_pivot = j->opts->no_pivot,
    .no_new_keyring = j->opts->no_new_keyring, .sync_fd = j->sync[1],
    .fifo_fd = j->fifo_fd, .console_fd = j->console_fd, .log_fd = j->ctx->log_fd,
    .preserve_fds = j->opts->preserve_fds, .cgroup_path = j->cg.path, .cgroup = &j->cg,
    .cgroup_made_later = !j->cg_made,
    .wait_go = s->ns[OCI_NS_USER].present && !s->ns[OCI_NS_USER].path,
    .seccomp = &j->seccomp,
  };
  memcpy(cfg.ns_fds, j->ns_fds, sizeof(cfg.ns_fds));

  /* Joining a pid namespace by path only affects children: enter it for
   * the clone and go back to our own right after. */
  _cleanup_close_ int own_pidns = -1;
  if (j->ns_fds[OCI_NS_PID] >= 0) {
    own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (own_pidns < 0 || setns(j->ns_fds[OCI_NS_PID], CLONE_NEWPID) < 0)
      return wh_error_errno(err, "join pid namespace %s", s->ns[OCI_NS_PID].path);
  }
  bool joined = false;
  j->pid = -1;
  /* A user namespace given by path with new namespaces besides: those
   * must belong to it (or init has no rights over its own mounts), so an
   * intermediate process joins it, makes them and clones init. */
  bool via_userns = j->ns_fds[OCI_NS_USER] >= 0 && flags != 0;
  if (via_userns) {
    int r = spawn_in_userns(j, flags, &cfg, err);
    if (own_pidns >= 0)
      setns(own_pidns, CLONE_NEWPID);
    if (r < 0)
      return -1;
  } else if (j->cg.ops == &rt_cgroup_v2_ops) {
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s%s", j->cg.v2_root, j->cg.path);
    _cleanup_close_ int cgfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (cgfd >= 0) {
      j->pid = clone_into_cgroup(flags, cgfd);
      joined = j->pid >= 0;
    }
  }
  if (!via_userns) {
    if (j->pid < 0)
      j->pid = clone_fork(flags);
    int clone_errno = errno;
    if (own_pidns >= 0)
      setns(own_pidns, CLONE_NEWPID);
    if (j->pid < 0) {
      errno = clone_errno;
      return wh_error_errno(err, "clone");
    }
  }
  if (j->pid > 0)
    rt_debug(j->c.id, "namespaces", "init pid %d cloned with flags 0x%lx%s", (int) j->pid,
             flags, joined ? " into its cgroup" : "");
  if (j->pid == 0) {
    /* the lock belongs to this create command, not to init (which may
     * wait on the fifo for a long time): drop our copy of it */
    close(j->c.lockfd);
    close(j->sync[0]);
    _exit(rt_child_main(&cfg));
  }
  wh_closep(&j->sync[1]);

  if (s->ns[OCI_NS_USER].present && !s->ns[OCI_NS_USER].path) {
    if (write_map(j->pid, "uid_map", s->uid_mappings, s->n_uid_mappings, err) < 0 ||
        write_map(j->pid, "gid_map", s->gid_mappings, s->n_gid_mappings, err) < 0)
      return -1;
  }
  /* init sets up its mounts while we make its cgroups (v1) and put it
   * in them: on v1 the move waits for an RCU grace period (cgroup_warm.c) */
  if (cfg.wait_go && rt_sync_send(j->sync[0], RT_SYNC_GO, NULL, err) < 0)
    return -1;
  if (!j->cg_made) {
    if (cgroup_setup(j, err) < 0)
      return -1;
    /* init failed meanwhile: its message is in the socket */
    if (rt_sync_send(j->sync[0], RT_SYNC_CGROUP_MADE, NULL, err) < 0) {
      wh_error_freep(err);
      return parent_sync(j, err);
    }
  }
  if (!joined && j->cg.ops->join(&j->cg, j->pid, err) < 0) {
    /* a dead init cannot join: say why it died, if it did */
    struct pollfd p = { .fd = j->sync[0], .events = POLLIN };
    if (poll(&p, 1, 0) == 1) {
      wh_error_freep(err);
      return parent_sync(j, err);
    }
    return wh_error_wrap(err, "join cgroup");
  }
  rt_debug(j->c.id, "cgroup", "init pid %d in cgroup %s", (int) j->pid, j->cg.path);
  if (rt_sync_send(j->sync[0], RT_SYNC_CGROUP, NULL, err) < 0) {
    /* init failed meanwhile: its message is still in the socket */
    wh_error_freep(err);
  }
  return parent_sync(j, err);
}

static int create_job_run(struct create_job *j, const char *id, pid_t *pid_out,
                          struct wh_error **err)
{
  const struct runtime_create_opts *o = j->opts;
  if (rt_container_new(j->ctx, id, &j->c, err) < 0)
    return -1;
  char bundle[PATH_MAX];
  if (!realpath(o->bundle ? o->bundle : ".", bundle))
    return wh_error_errno(err, "bundle %s", o->bundle ? o->bundle : ".");
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (read_config(o, bundle, &data, &len, err) < 0 ||
      oci_spec_parse(data, len, &j->spec, err) < 0)
    return -1;
  const struct oci_spec *s = &j->spec;
  if (!s->root_path)
    return wh_error_set(err, WH_ERR_INVALID, "root.path: missing");
  char rp[PATH_MAX * 2 + 2], rootfs[PATH_MAX];
  if (s->root_path[0] == '/')
    snprintf(rp, sizeof(rp), "%s", s->root_path);
  else
    snprintf(rp, sizeof(rp), "%s/%s", bundle, s->root_path);
  if (!realpath(rp, rootfs))
    return wh_error_errno(err, "root.path %s", rp);
  if (!s->has_process)
    return wh_error_set(err, WH_ERR_INVALID, "process: missing (nothing to run)");
  if (!s->process.args || !s->process.args[0])
    return wh_error_set(err, WH_ERR_INVALID, "process.args: empty");
  if (s->process.terminal && !o->console_socket)
    return wh_error_set(err, WH_ERR_INVALID,
                        "process.terminal needs --console-socket");
  if (!s->ns[OCI_NS_MOUNT].present)
    return wh_error_set(err, WH_ERR_UNSUPPORTED,
                        "linux.namespaces: a mount namespace is required");
  j->c.bundle = strdup(bundle);
  j->c.rootfs = strdup(rootfs);
  char ts[160];
  rt_now_rfc3339(ts, sizeof(ts));
  j->c.created = strdup(ts);
  j->c.systemd_cgroup = j->ctx->flags & RUNTIME_SYSTEMD_CGROUP;
  j->c.no_pivot = o->no_pivot;
  if (!j->c.bundle || !j->c.rootfs || !j->c.created)
    return wh_error_errno(err, "create");

  if (rt_cgroup_init(&j->cg, s->cgroups_path, id, j->c.systemd_cgroup, err) < 0)
    return -1;
  j->c.cgroup_path = strdup(j->cg.path);
  if (!j->c.cgroup_path)
    return wh_error_errno(err, "create");
  /* v2: init is cloned into its cgroup, which must exist first; v1: the
   * cgroups are made after the clone, while init makes its mounts */
  if (j->cg.ops == &rt_cgroup_v2_ops && cgroup_setup(j, err) < 0)
    return -1;

  if (rt_write_file_replace(j->c.dirfd, "config.json", data, len, 0600, err) < 0)
    return -1;
  for (int t = 0; t < OCI_NS_COUNT; t++)
    if (s->ns[t].path) {
      j->ns_fds[t] = open(s->ns[t].path, O_RDONLY | O_CLOEXEC);
      if (j->ns_fds[t] < 0)
        return wh_error_errno(err, "linux.namespaces: %s %s", oci_ns_name(t),
                              s->ns[t].path);
    }
  if (o->console_socket &&
      (j->console_fd = connect_console(o->console_socket, err)) < 0)
    return -1;
  if (!o->start_now) {
    if (mkfifoat(j->c.dirfd, "exec.fifo", 0622) < 0)
      return wh_error_errno(err, "exec.fifo");
    /* mkfifo honours the umask; the fifo must be writable by init after
     * it switched to the process's uid */
    if (fchmodat(j->c.dirfd, "exec.fifo", 0622, 0) < 0)
      return wh_error_errno(err, "exec.fifo");
    j->fifo_fd = openat(j->c.dirfd, "exec.fifo", O_PATH | O_CLOEXEC);
    if (j->fifo_fd < 0)
      return wh_error_errno(err, "exec.fifo");
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, j->sync) < 0)
    return wh_error_errno(err, "socketpair");
  if (rt_seccomp_compile(j->ctx, s->seccomp, &j->seccomp, err) < 0)
    return -1;

  rt_debug(id, "create", "bundle %s rootfs %s", bundle, rootfs);
  if (spawn(j, err) < 0)
    return -1;
  j->c.pid = j->pid;
  j->c.start_time = rt_pid_start_time(j->pid);
  if (rt_state_write(&j->c, err) < 0)
    return -1;
  rt_debug(j->c.id, "created", "init pid %d ready, state in %s", (int) j->pid,
           j->c.state_dir);
  if (o->pid_file && rt_write_pid_file(o->pid_file, j->pid, err) < 0)
    return -1;
  if (o->start_now) {
    _cleanup_free_ char *st = hook_state(j->c.id, RUNTIME_RUNNING, j->pid, j->c.bundle,
                                         s->annotations_json);
    if (rt_run_hooks(s, OCI_HOOK_POSTSTART, st, j->ctx->log_fd, err) < 0)
      return -1;
  }
  *pid_out = j->pid;
  return 0;
}

int runtime_create(const struct runtime_ctx *ctx, const char *id,
                   const struct runtime_create_opts *opts, pid_t *pid_out,
                   struct wh_error **err)
{
  struct create_job j;
  memset(&j, 0, sizeof(j));
  j.ctx = ctx;
  j.opts = opts;
  j.c.dirfd = j.c.lockfd = -1;
  j.sync[0] = j.sync[1] = j.console_fd = j.fifo_fd = -1;
  for (int t = 0; t < OCI_NS_COUNT; t++)
    j.ns_fds[t] = -1;
  pid_t pid = 0;
  int r = create_job_run(&j, id, &pid, err);
  job_cleanup(&j, r < 0);
  if (r < 0)
    return wh_error_wrap(err, "create %s", id);
  *pid_out = pid;
  return 0;
}

int runtime_wait(pid_t pid, int *exit_code, struct wh_error **err)
{
  int status;
  pid_t r;
  do
    r = waitpid(pid, &status, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return wh_error_errno(err, "wait for %d", (int) pid);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return 0;
}
