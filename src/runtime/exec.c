/* exec.c: one more process in a running container.
 *
 * The caller enters the container's pid namespace for its children only
 * (setns on pid_for_children) and clone()s, so the new process is its
 * direct child (runtime_wait works) and is in the container's pid
 * namespace from the start; the child joins the other namespaces, the
 * cgroup (done by the parent) and the container's root, then goes through
 * the same process setup as init (process.c). Like init, it runs our code
 * only until execve and is not dumpable meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "runtime/internal.h"

#define PROCESS_MAX_SIZE (1u << 20)

struct exec_job {
  struct rt_container c;
  struct oci_spec spec;
  struct oci_process own;    /* from --process, owned */
  struct oci_process proc;   /* what runs; borrows from spec/own/opts */
  char **env;                /* merged env, owned (strings borrowed) */
  int ns_fds[OCI_NS_COUNT];
  int rootfd;
  int sync[2];
  int console_fd;
  struct rt_seccomp_prog seccomp;
  pid_t pid;
};

static void job_free(struct exec_job *j)
{
  rt_container_close(&j->c);
  oci_spec_free(&j->spec);
  oci_process_free(&j->own);
  free(j->env);
  for (int t = 0; t < OCI_NS_COUNT; t++)
    wh_closep(&j->ns_fds[t]);
  wh_closep(&j->rootfd);
  wh_closep(&j->sync[0]);
  wh_closep(&j->sync[1]);
  wh_closep(&j->console_fd);
  rt_seccomp_prog_free(&j->seccomp);
}

static bool same_ns(pid_t pid, const char *name)
{
  char a[64], b[64];
  struct stat sa, sb;
  snprintf(a, sizeof(a), "/proc/%d/ns/%s", (int) pid, name);
  snprintf(b, sizeof(b), "/proc/self/ns/%s", name);
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
         sa.st_dev == sb.st_dev;
}

static int merge_env(struct exec_job *j, char *const *extra, struct wh_error **err)
{
  size_t n0 = 0, n1 = 0;
  while (j->proc.env && j->proc.env[n0])
    n0++;
  while (extra && extra[n1])
    n1++;
  j->env = calloc(n0 + n1 + 1, sizeof(char *));
  if (!j->env)
    return wh_error_errno(err, "exec: env");
  size_t n = 0;
  for (size_t i = 0; i < n0; i++) {
    const char *eq = strchr(j->proc.env[i], '=');
    size_t kl = eq ? (size_t) (eq - j->proc.env[i]) : strlen(j->proc.env[i]);
    bool overridden = false;
    for (size_t k = 0; k < n1; k++)
      if (strncmp(extra[k], j->proc.env[i], kl) == 0 && extra[k][kl] == '=')
        overridden = true;
    if (!overridden)
      j->env[n++] = j->proc.env[i];
  }
  for (size_t k = 0; k < n1; k++)
    j->env[n++] = extra[k];
  j->proc.env = j->env;
  return 0;
}

static int build_process(struct exec_job *j, const struct runtime_exec_opts *o,
                         struct wh_error **err)
{
  if (o->process_path) {
    _cleanup_free_ char *data = NULL;
    size_t len;
    if (wh_read_file_at(AT_FDCWD, o->process_path, PROCESS_MAX_SIZE, &data, &len, err) < 0 ||
        oci_process_parse(data, len, &j->own, err) < 0)
      return wh_error_wrap(err, "--process %s", o->process_path);
    j->proc = j->own;
  } else {
    j->proc = j->spec.process;
    j->proc.terminal = false;
    j->proc.args = (char **) o->args;
  }
  if (!j->proc.args || !j->proc.args[0])
    return wh_error_set(err, WH_ERR_INVALID, "exec: no command");
  if (o->cwd)
    j->proc.cwd = (char *) o->cwd;
  if (o->tty)
    j->proc.terminal = true;
  if (o->no_new_privs)
    j->proc.no_new_privileges = true;
  if (o->user) {
    unsigned uid, gid;
    int n = sscanf(o->user, "%u:%u", &uid, &gid);
    if (n < 1)
      return wh_error_set(err, WH_ERR_INVALID, "exec --user %s: expected uid[:gid]", o->user);
    j->proc.uid = uid;
    j->proc.gid = n == 2 ? gid : j->proc.gid;
    j->proc.n_additional_gids = 0;
  }
  for (size_t i = 0; o->caps && o->caps[i]; i++) {
    int c = oci_cap_from_name(o->caps[i]);
    if (c < 0)
      return wh_error_set(err, WH_ERR_INVALID, "exec --cap %s: unknown capability",
                          o->caps[i]);
    j->proc.has_caps = true;
    for (int s = 0; s < OCI_CAP_NSETS; s++)
      if (s != OCI_CAP_AMBIENT)
        j->proc.caps[s] |= UINT64_C(1) << c;
  }
  if (j->proc.terminal && !o->console_socket)
    return wh_error_set(err, WH_ERR_INVALID, "exec -t needs --console-socket");
  return merge_env(j, o->env, err);
}

static int exec_child(struct exec_job *j, const struct runtime_exec_opts *o)
{
  struct wh_error *e = NULL;
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  close(j->sync[0]);
  close(j->c.lockfd);
  rt_default_signals();
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  static const enum oci_ns_type order[] = { OCI_NS_USER, OCI_NS_IPC, OCI_NS_UTS,
                                            OCI_NS_NETWORK, OCI_NS_CGROUP, OCI_NS_TIME,
                                            OCI_NS_MOUNT };
  int listener = -1;
  if (rt_sync_expect(j->sync[1], RT_SYNC_GO, &e) < 0)
    goto fail;
  for (size_t i = 0; i < WH_ARRAY_SIZE(order); i++)
    if (j->ns_fds[order[i]] >= 0 && setns(j->ns_fds[order[i]], 0) < 0) {
      wh_error_errno(&e, "exec: join %s namespace", oci_ns_name(order[i]));
      goto fail;
    }
  rt_debug(j->c.id, "namespaces", "exec pid %d joined the container's namespaces",
           (int) getpid());
  if (fchdir(j->rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
    wh_error_errno(&e, "exec: enter the container's root");
    goto fail;
  }
  if (j->console_fd >= 0) {
    if (rt_setup_console(j->console_fd, &j->proc, &e) < 0)
      goto fail;
  } else
    setsid();
  if (rt_process_prepare(&j->proc, j->spec.seccomp, &j->seccomp, &listener, &e) < 0)
    goto fail;
  if (listener >= 0)
    close(listener);   /* the container's notify listener already has one */
  if (rt_sync_send(j->sync[1], RT_SYNC_READY, NULL, &e) < 0)
    goto fail;
  rt_debug(j->c.id, "exec", "execve %s", j->proc.args[0]);
  rt_process_exec(&j->proc, o->preserve_fds, &e);
  dprintf(2, "wharf-runtime: %s\n", e ? e->msg : "exec failed");
  return 127;
fail:
  rt_sync_send(j->sync[1], RT_SYNC_ERROR, e ? e->msg : "exec failed", NULL);
  return 1;
}

static int exec_run(const struct runtime_ctx *ctx, const char *id,
                    const struct runtime_exec_opts *o, struct exec_job *j,
                    struct wh_error **err)
{
  if (rt_container_open(ctx, id, false, &j->c, err) < 0)
    return -1;
  enum runtime_status st = rt_status(&j->c);
  if (st != RUNTIME_RUNNING && st != RUNTIME_CREATED)
    return wh_error_set(err, WH_ERR_BUSY, "container is %s, not running",
                        runtime_status_name(st));
  if (rt_load_spec(&j->c, &j->spec, err) < 0 || build_process(j, o, err) < 0)
    return -1;
  pid_t ipid = j->c.pid;
  for (int t = 0; t < OCI_NS_COUNT; t++) {
    if (!j->spec.ns[t].present || same_ns(ipid, oci_ns_proc_name(t)))
      continue;
    char p[64];
    snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int) ipid, oci_ns_proc_name(t));
    j->ns_fds[t] = open(p, O_RDONLY | O_CLOEXEC);
    if (j->ns_fds[t] < 0)
      return wh_error_errno(err, "%s", p);
  }
  char p[64];
  snprintf(p, sizeof(p), "/proc/%d/root", (int) ipid);
  j->rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (j->rootfd < 0)
    return wh_error_errno(err, "%s", p);
  if (o->console_socket) {
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(o->console_socket) >= sizeof(sa.sun_path))
      return wh_error_set(err, WH_ERR_INVALID, "console socket: path too long");
    strcpy(sa.sun_path, o->console_socket);
    j->console_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (j->console_fd < 0 ||
        connect(j->console_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
      return wh_error_errno(err, "console socket %s", o->console_socket);
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, j->sync) < 0)
    return wh_error_errno(err, "socketpair");
  if (rt_seccomp_compile(ctx, j->spec.seccomp, &j->seccomp, err) < 0)
    return -1;

  _cleanup_close_ int own_pidns = -1;
  if (j->ns_fds[OCI_NS_PID] >= 0) {
    own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (own_pidns < 0 || setns(j->ns_fds[OCI_NS_PID], CLONE_NEWPID) < 0)
      return wh_error_errno(err, "enter pid namespace");
  }
  j->pid = (pid_t) syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
  int e = errno;
  if (own_pidns >= 0)
    setns(own_pidns, CLONE_NEWPID);
  if (j->pid < 0) {
    errno = e;
    return wh_error_errno(err, "clone");
  }
  if (j->pid == 0)
    _exit(exec_child(j, o));
  wh_closep(&j->sync[1]);
  struct rt_cgroup cg;
  if (rt_cgroup_open(&cg, j->c.cgroup_path, err) < 0)
    return -1;
  int r = cg.ops->join(&cg, j->pid, err);
  rt_cgroup_clear(&cg);
  if (r < 0 || rt_sync_send(j->sync[0], RT_SYNC_GO, NULL, err) < 0 ||
      rt_sync_expect(j->sync[0], RT_SYNC_READY, err) < 0)
    return -1;
  if (o->pid_file && rt_write_pid_file(o->pid_file, j->pid, err) < 0)
    return -1;
  return 0;
}

int runtime_exec(const struct runtime_ctx *ctx, const char *id,
                 const struct runtime_exec_opts *opts, pid_t *pid_out,
                 struct wh_error **err)
{
  struct exec_job j;
  memset(&j, 0, sizeof(j));
  j.c.dirfd = j.c.lockfd = j.rootfd = j.console_fd = -1;
  j.sync[0] = j.sync[1] = -1;
  for (int t = 0; t < OCI_NS_COUNT; t++)
    j.ns_fds[t] = -1;
  int r = exec_run(ctx, id, opts, &j, err);
  if (r < 0 && j.pid > 0) {
    kill(j.pid, SIGKILL);
    waitpid(j.pid, NULL, 0);
  }
  pid_t pid = j.pid;
  job_free(&j);
  if (r < 0)
    return wh_error_wrap(err, "exec %s", id);
  *pid_out = pid;
  return 0;
}
