/* child.c: the container's init between clone() and execve().
 *
 * It runs our code, not a re-executed binary: nothing of the runtime is
 * reachable from inside once execve() replaces it. Until then the process
 * is not dumpable, so other processes in the container cannot open
 * /proc/PID/exe (which points at our binary) or ptrace it; see
 * docs/runtime.md on CVE-2019-5736.
 *
 * Errors are sent to the parent over the sync socket (RT_SYNC_ERROR) and
 * the child exits; the parent then cleans up. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "runtime/internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int fail(int sync_fd, struct wh_error *e)
{
  rt_sync_send(sync_fd, RT_SYNC_ERROR, e && e->msg ? e->msg : "container setup failed",
               NULL);
  wh_error_free(e);
  return 1;
}

static int join_namespaces(const struct rt_child_cfg *cfg, struct wh_error **err)
{
  /* the user namespace first: joining the others needs its capabilities */
  static const enum oci_ns_type order[] = {
    OCI_NS_USER, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK, OCI_NS_CGROUP,
    OCI_NS_TIME, OCI_NS_MOUNT,
  };
  for (size_t i = 0; i < WH_ARRAY_SIZE(order); i++) {
    enum oci_ns_type t = order[i];
    if (cfg->ns_fds[t] >= 0 && setns(cfg->ns_fds[t], oci_ns_clone_flag(t)) < 0)
      return wh_error_errno(err, "join %s namespace %s", oci_ns_name(t),
                            cfg->spec->ns[t].path);
  }
  return 0;
}

static int write_proc_self(const char *file, const char *value, struct wh_error **err)
{
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/%s", file);
  return rt_write_str_at(AT_FDCWD, path, value, err);
}

static int new_time_ns(const struct oci_spec *s, struct wh_error **err)
{
  if (unshare(CLONE_NEWTIME) < 0)
    return wh_error_errno(err, "time namespace");
  char buf[128];
  int n = 0;
  if (s->time_monotonic.set)
    n += snprintf(buf + n, sizeof(buf) - (size_t) n, "monotonic %lld %u\n",
                  (long long) s->time_monotonic.secs, s->time_monotonic.nanosecs);
  if (s->time_boottime.set)
    n += snprintf(buf + n, sizeof(buf) - (size_t) n, "boottime %lld %u\n",
                  (long long) s->time_boottime.secs, s->time_boottime.nanosecs);
  if (n && write_proc_self("timens_offsets", buf, err) < 0)
    return wh_error_wrap(err, "linux.timeOffsets");
  /* unshare() only moves our children; enter it ourselves too */
  _cleanup_close_ int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0)
    return wh_error_errno(err, "enter time namespace");
  return 0;
}

/* Block until `start` opens the fifo, through our own fd of it. host_proc
 * is the host's /proc: the container may have none mounted. */
static int wait_fifo(int host_proc, int fifo_fd, struct wh_error **err)
{
  char path[64];
  snprintf(path, sizeof(path), "self/fd/%d", fifo_fd);
  int fd;
  do
    fd = openat(host_proc, path, O_WRONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return wh_error_errno(err, "exec.fifo");
  ssize_t n = write(fd, "0", 1);
  close(fd);
  if (n != 1)
    return wh_error_errno(err, "exec.fifo");
  return 0;
}

static int child_setup(const struct rt_child_cfg *cfg, int *host_proc,
                       char **state_json, struct wh_error **err)
{
  const struct oci_spec *s = cfg->spec;
  /* "go" says the id maps of a new user namespace are written */
  if (cfg->wait_go && rt_sync_expect(cfg->sync_fd, RT_SYNC_GO, err) < 0)
    return -1;
  if (join_namespaces(cfg, err) < 0)
    return -1;
  rt_debug(cfg->id, "namespaces", "init pid %d: joined the namespaces given by path",
           (int) getpid());
  /* in a new user namespace we start without ids: become its root */
  if (s->ns[OCI_NS_USER].present &&
      (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
    return wh_error_errno(err, "user namespace: become root");
  if (s->ns[OCI_NS_TIME].present && !s->ns[OCI_NS_TIME].path && new_time_ns(s, err) < 0)
    return -1;
  if (!cfg->no_new_keyring &&
      syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, cfg->id) < 0 &&
      errno != ENOSYS && errno != EPERM)
    return wh_error_errno(err, "session keyring");
  if (s->process.oom_score_adj.set) {
    char v[16];
    snprintf(v, sizeof(v), "%d", (int) s->process.oom_score_adj.v);
    if (write_proc_self("oom_score_adj", v, err) < 0)
      return wh_error_wrap(err, "process.oomScoreAdj");
  }

  *host_proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*host_proc < 0)
    return wh_error_errno(err, "/proc");
  /* The rootfs is made while the parent moves us into the cgroup (on v1
   * its cgroup.procs write waits for an RCU grace period, see
   * cgroup_warm.c). Only a new cgroup namespace must wait for that here,
   * to be rooted in our cgroup, and hooks, which run in it (the parent
   * answers them only after the move); otherwise the whole setup goes on
   * and we wait just before running anything of the container's. */
  bool new_cgroupns = s->ns[OCI_NS_CGROUP].present && !s->ns[OCI_NS_CGROUP].path;
  bool hooks = s->n_hooks[OCI_HOOK_PRESTART] || s->n_hooks[OCI_HOOK_CREATE_RUNTIME] ||
               s->n_hooks[OCI_HOOK_CREATE_CONTAINER] || s->n_hooks[OCI_HOOK_START_CONTAINER];
  bool early = new_cgroupns || hooks;
  if (rt_rootfs_prepare(cfg, err) < 0)
    return -1;
  rt_debug(cfg->id, "mounts", "%zu mounts, devices made under %s", s->n_mounts, cfg->rootfs);
  /* the cgroup mounts (and a cgroup namespace) need the cgroups made */
  if (cfg->cgroup_made_later && rt_sync_expect(cfg->sync_fd, RT_SYNC_CGROUP_MADE, err) < 0)
    return -1;
  if (early && rt_sync_expect(cfg->sync_fd, RT_SYNC_CGROUP, err) < 0)
    return -1;
  if (new_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
    return wh_error_errno(err, "cgroup namespace");
  if (rt_rootfs_cgroup_mounts(cfg, err) < 0)
    return -1;
  if (s->hostname && s->ns[OCI_NS_UTS].present &&
      sethostname(s->hostname, strlen(s->hostname)) < 0)
    return wh_error_errno(err, "hostname %s", s->hostname);
  if (s->domainname && s->ns[OCI_NS_UTS].present &&
      setdomainname(s->domainname, strlen(s->domainname)) < 0)
    return wh_error_errno(err, "domainname %s", s->domainname);

  /* The parent runs prestart and createRuntime hooks and sends the
   * state the container's own hooks read; with none of those hooks the
   * round trip (two wake-ups, each a wait for a core on a busy host) is
   * skipped: the parent only answers when asked. */
  if (hooks) {
    if (rt_sync_send(cfg->sync_fd, RT_SYNC_HOOKS, NULL, err) < 0)
      return -1;
    enum rt_sync t;
    if (rt_sync_recv(cfg->sync_fd, &t, state_json, err) < 0)
      return -1;
    if (t != RT_SYNC_HOOKS_DONE)
      return wh_error_set(err, WH_ERR_INTERNAL, "sync: expected hooks done");
    if (rt_run_hooks(s, OCI_HOOK_CREATE_CONTAINER, *state_json, cfg->log_fd, err) < 0)
      return -1;
  }

  if (rt_rootfs_pivot(cfg, err) < 0)
    return -1;
  rt_debug(cfg->id, "pivot", "%s %s", cfg->no_pivot ? "chroot (--no-pivot) into" : "pivot_root into",
           cfg->rootfs);
  if (rt_rootfs_finish(cfg, err) < 0)
    return -1;
  if (cfg->console_fd >= 0 && rt_setup_console(cfg->console_fd, &s->process, err) < 0)
    return -1;
  else if (cfg->console_fd < 0 && setsid() < 0 && errno != EPERM)
    return wh_error_errno(err, "setsid");
  if (!early && rt_sync_expect(cfg->sync_fd, RT_SYNC_CGROUP, err) < 0)
    return -1;
  return 0;
}

int rt_child_main(void *arg)
{
  const struct rt_child_cfg *cfg = arg;
  struct wh_error *e = NULL;
  /* until execve: no core dumps, no /proc/PID/exe for others, and gone
   * with the runtime if it dies during setup */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  umask(0);
  /* default dispositions: the runtime (or the engine) may ignore some */
  rt_default_signals();
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);

  _cleanup_close_ int host_proc = -1;
  _cleanup_free_ char *state_json = NULL;
  if (child_setup(cfg, &host_proc, &state_json, &e) < 0)
    return fail(cfg->sync_fd, e);

  const struct oci_spec *s = cfg->spec;
  int listener = -1;
  if (rt_process_prepare(&s->process, s->seccomp, cfg->seccomp, &listener, &e) < 0)
    return fail(cfg->sync_fd, e);
  if (listener >= 0) {
    if (rt_sync_send(cfg->sync_fd, RT_SYNC_SECCOMP_FD, NULL, &e) < 0 ||
        rt_send_fd(cfg->sync_fd, listener, "seccomp", &e) < 0)
      return fail(cfg->sync_fd, e);
    close(listener);
  }
  /* the parent may leave now (create returns): stay alive without it */
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (rt_sync_send(cfg->sync_fd, RT_SYNC_READY, NULL, &e) < 0)
    return fail(cfg->sync_fd, e);
  /* create: wait for start (exec.fifo); run: go on at once, the parent
   * records the state meanwhile (a round trip less) */
  if (cfg->fifo_fd >= 0 && wait_fifo(host_proc, cfg->fifo_fd, &e) < 0)
    return 1;
  wh_closep(&host_proc);
  if (rt_run_hooks(s, OCI_HOOK_START_CONTAINER, state_json, cfg->log_fd, &e) < 0) {
    dprintf(cfg->log_fd >= 0 ? cfg->log_fd : 2, "wharf-runtime: %s\n", e->msg);
    return 1;
  }
  rt_debug(cfg->id, "exec", "execve %s", s->process.args[0]);
  rt_process_exec(&s->process, cfg->preserve_fds, &e);
  /* only on failure; the parent may be gone, so tell the log too */
  dprintf(cfg->log_fd >= 0 ? cfg->log_fd : 2, "wharf-runtime: %s\n",
          e ? e->msg : "exec failed");
  wh_error_free(e);
  return 127;
}
