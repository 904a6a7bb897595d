/* exec.c: `exec`, `top` and `stats` of a running container.
 *
 * top and stats ask the container's runtime (the in-process one, or
 * `ps`/`events --stats` of a --runtime binary), which knows the cgroup
 * hierarchy (v1 or v2) the container is in.
 *
 * exec runs one more process through the container's runtime with the
 * container's capability set and seccomp profile (the runtime takes them
 * from the container's config); the command is looked up in the rootfs
 * first, so "not found" and "not executable" exit 127 and 126 as
 * docker's do. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/id.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "internal.h"

static int load_running(struct engine *e, const char *ref, struct ctr *c,
                        struct wh_error **err)
{
  _cleanup_free_ char *id = NULL;
  if (engine_container_resolve(e, ref, &id, err) < 0 || ctr_load(e, id, c, err) < 0)
    return -1;
  if (strcmp(c->state, "running") || !proc_alive(c->owner_pid, c->owner_start))
    return wh_error_set(err, WH_ERR_BUSY, "container %s is not running", c->name);
  return 0;
}

/* Relay the caller's terminal and the exec's pty until the pty closes. */
static void relay_pty(int master, const struct engine_exec *x)
{
  struct termios saved;
  bool raw = false;
  if (isatty(x->in_fd) && tcgetattr(x->in_fd, &saved) == 0) {
    struct termios t = saved;
    cfmakeraw(&t);
    raw = tcsetattr(x->in_fd, TCSANOW, &t) == 0;
    struct winsize ws;
    if (ioctl(x->in_fd, TIOCGWINSZ, &ws) == 0)
      ioctl(master, TIOCSWINSZ, &ws);
  }
  char buf[8192];
  bool in_open = x->interactive;
  while (true) {
    struct pollfd p[2] = {{master, POLLIN, 0}, {in_open ? x->in_fd : -1, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (p[0].revents) {
      ssize_t n = read(master, buf, sizeof(buf));
      if (n <= 0)
        break;
      wh_write_all(x->out_fd, buf, (size_t) n, NULL);
    }
    if (p[1].revents) {
      ssize_t n = read(x->in_fd, buf, sizeof(buf));
      if (n <= 0)
        in_open = false;
      else
        wh_write_all(master, buf, (size_t) n, NULL);
    }
  }
  if (raw)
    tcsetattr(x->in_fd, TCSANOW, &saved);
}

/* The holder of a detached exec (double forked, in its own session, so
 * it belongs to no command): it runs the exec, takes the pty master from
 * the console socket when there is one and reads it until the process
 * is gone. The output goes nowhere, as with docker's `exec -d -t` (podman
 * keeps it in an exec log that no command shows). What became of the
 * start is written to status: nothing when it went well, else the
 * error. */
static void exec_holder(struct engine *e, const struct ctr *c, const char *procp,
                        const char *console, int lfd, const char *rundir, int status)
{
  struct wh_error *err = NULL;
  pid_t pid;
  int stdio[3] = {-1, -1, -1};
  int master = -1;
  /* A runtime binary uses a console socket only when it detaches (runc
   * refuses one otherwise); its process is then reparented to this
   * subreaper, which reaps it. */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  int r = ocirt_exec(e, c, procp, console, rundir, ocirt_path(c) != NULL, stdio, &pid, &err);
  if (r == 0 && ocirt_path(c)) {
    /* runc exec --detach returns once the process runs: its status is
     * the start's. */
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
      ;
    if (!WIFEXITED(st) || WEXITSTATUS(st)) {
      r = -1;
      wh_error_set(&err, WH_ERR_IO, "%s exec failed (status %d)", ocirt_path(c),
                   WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    }
  }
  if (r == 0 && console) {
    struct pollfd p = {lfd, POLLIN, 0};
    int afd = poll(&p, 1, 10000) == 1 ? accept4(lfd, NULL, NULL, SOCK_CLOEXEC) : -1;
    master = afd >= 0 ? recv_fd(afd) : -1;
    if (afd >= 0)
      close(afd);
    if (master < 0) {
      wh_error_set(&err, WH_ERR_IO, "the runtime sent no terminal");
      kill(pid, SIGKILL);
    }
  }
  if (lfd >= 0)
    close(lfd);
  if (err)
    wh_write_all(status, err->msg, strlen(err->msg), NULL);
  close(status);
  if (!err) {
    char buf[4096];
    while (master >= 0) {
      ssize_t n = read(master, buf, sizeof(buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
    }
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
      ;
  }
  unlink(procp);
  wh_error_free(err);
  _exit(0);
}

static int exec_detached(struct engine *e, const struct ctr *c, const char *procp,
                         const char *console, int lfd, const char *rundir,
                         struct wh_error **err)
{
  int sp[2];
  if (pipe2(sp, O_CLOEXEC) < 0)
    return wh_error_errno(err, "pipe");
  pid_t a = fork();
  if (a < 0) {
    close(sp[0]);
    close(sp[1]);
    return wh_error_errno(err, "fork");
  }
  if (a == 0) {
    close(sp[0]);
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      if (null > 2)
        close(null);
    }
    signal(SIGPIPE, SIG_IGN);
    pid_t b = fork();
    if (b == 0)
      exec_holder(e, c, procp, console, lfd, rundir, sp[1]);
    _exit(b < 0 ? 1 : 0);
  }
  close(sp[1]);
  int st = 0;
  while (waitpid(a, &st, 0) < 0 && errno == EINTR)
    ;
  char msg[1024];
  size_t len = 0;
  while (len < sizeof(msg) - 1) {
    ssize_t n = read(sp[0], msg + len, sizeof(msg) - 1 - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t) n;
  }
  close(sp[0]);
  msg[len] = 0;
  if (!WIFEXITED(st) || WEXITSTATUS(st))
    return wh_error_set(err, WH_ERR_INTERNAL, "cannot fork the detached process's holder");
  if (len)
    return wh_error_set(err, WH_ERR_IO, "%s", msg);
  return 0;
}

int engine_container_exec(struct engine *e, const char *ref,
                          const struct engine_exec *x, int *exit_code,
                          struct wh_error **err)
{
  _cleanup_ctr_ struct ctr c = {0};
  if (load_running(e, ref, &c, err) < 0)
    return -1;
  if (!x->argv || !x->argv[0])
    return wh_error_set(err, WH_ERR_INVALID, "exec: no command given");
  _cleanup_free_ char *dir = ctr_dir(e, c.id), *rundir = ctr_rundir(e, c.id);
  _cleanup_free_ char *cfgp = NULL, *root = NULL;
  if (asprintf(&cfgp, "%s/bundle/config.json", dir) < 0 || asprintf(&root, "%s/rootfs", dir) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  _cleanup_json_ json_t *spec = wh_json_parse_file_at(AT_FDCWD, cfgp, 16 << 20, err);
  if (!spec)
    return -1;
  _cleanup_json_ json_t *proc = json_deep_copy(json_object_get(spec, "process"));
  if (!proc)
    return wh_error_set(err, WH_ERR_INTERNAL, "container %s: no process in its config", c.name);
  json_t *args = json_array();
  for (char **a = x->argv; *a; a++)
    json_array_append_new(args, json_string(*a));
  json_object_set_new(proc, "args", args);
  json_object_set_new(proc, "terminal", json_boolean(x->tty));
  json_t *env = json_object_get(proc, "env");
  for (char **kv = x->env; kv && *kv; kv++) {
    const char *eq = strchr(*kv, '=');
    size_t kl = eq ? (size_t) (eq - *kv) : strlen(*kv);
    size_t i;
    json_t *v;
    bool set = false;
    json_array_foreach(env, i, v) {
      const char *s = json_string_value(v);
      if (s && !strncmp(s, *kv, kl) && s[kl] == '=') {
        json_array_set_new(env, i, json_string(*kv));
        set = true;
      }
    }
    if (!set)
      json_array_append_new(env, json_string(*kv));
  }
  _cleanup_close_ int rootfd = open(root, O_DIRECTORY | O_PATH | O_CLOEXEC);
  if (rootfd < 0)
    return wh_error_errno(err, "open %s", root);
  if (x->user) {
    uid_t uid;
    gid_t gid;
    _cleanup_free_ gid_t *groups = NULL;
    size_t n = 0;
    _cleanup_free_ char *home = NULL;
    if (rootfs_lookup_user(rootfd, x->user, &uid, &gid, &groups, &n, &home, err) < 0)
      return -1;
    json_t *ag = json_array();
    for (size_t k = 0; k < n; k++)
      json_array_append_new(ag, json_integer(groups[k]));
    json_object_set_new(proc, "user", json_pack("{s:I,s:I,s:o}", "uid", (json_int_t) uid,
                                                "gid", (json_int_t) gid, "additionalGids", ag));
  }
  if (x->workdir)
    json_object_set_new(proc, "cwd", json_string(x->workdir));
  if (x->privileged)
    json_object_del(proc, "capabilities");
  const char *path_env = NULL;
  size_t i;
  json_t *v;
  json_array_foreach(env, i, v)
    if (!strncmp(json_string_value(v), "PATH=", 5))
      path_env = json_string_value(v) + 5;
  if (rootfs_check_exec(rootfd, x->argv[0], path_env,
                        json_string_value(json_object_get(proc, "cwd")), err) < 0) {
    if (*err)
      (*err)->errnum = (*err)->kind == WH_ERR_NOT_FOUND ? -ENGINE_EXIT_NOT_FOUND
                                                        : -ENGINE_EXIT_CANNOT_RUN;
    return -1;
  }
  char rnd[9];
  unsigned char rb[4];
  if (wh_random_bytes(rb, 4, err) < 0)
    return -1;
  wh_hex_encode(rb, 4, rnd);
  _cleanup_free_ char *procp = NULL;
  if (asprintf(&procp, "%s/exec-%s.json", rundir, rnd) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  _cleanup_free_ char *text = wh_json_dump(proc, err);
  if (!text)
    return -1;
  _cleanup_close_ int rfd = open(rundir, O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0)
    return wh_error_errno(err, "open %s", rundir);
  _cleanup_free_ char *pname = NULL;
  if (asprintf(&pname, "exec-%s.json", rnd) < 0 ||
      wh_write_file_atomic(rfd, pname, text, strlen(text), 0600, err) < 0)
    return -1;
  /* A runtime binary in the foreground makes the pty itself and relays
   * it to the terminal it is given; otherwise the pty master comes over a
   * console socket, and this process (or a detached exec's holder)
   * takes it. */
  bool relay = x->tty && (!ocirt_path(&c) || x->detach);
  _cleanup_close_ int lfd = -1;
  struct sockaddr_un sa;
  _cleanup_close_ int sdir = -1;
  _cleanup_free_ char *cons = NULL;
  int r_detached;
  if (relay) {
    if (asprintf(&cons, "%s/exec-%s.sock", rundir, rnd) < 0 ||
        unix_addr(cons, &sa, &sdir, err) < 0) {
      unlink(procp);
      return -1;
    }
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
      unlink(procp);
      return wh_error_errno(err, "console socket %s", cons);
    }
  }
  if (x->detach) {
    /* A runtime binary runs in rundir and cannot use this process's
     * /proc/self/fd name of a long path: give it the socket's own name. */
    char *cname = cons ? strrchr(cons, '/') + 1 : NULL;
    r_detached = exec_detached(e, &c, procp, !relay ? NULL : ocirt_path(&c) ? cname : sa.sun_path,
                               lfd, rundir, err);
    if (cons) /* the holder has its connection by now */
      unlink(cons);
    if (r_detached < 0)
      unlink(procp);
    if (r_detached == 0)
      *exit_code = 0;
    return r_detached;
  }
  int stdio[3] = {x->interactive || (x->tty && !relay) ? x->in_fd : -1, x->out_fd, x->err_fd};
  pid_t pid;
  int r = ocirt_exec(e, &c, procp, relay ? sa.sun_path : NULL, rundir, false, stdio, &pid, err);
  if (r == 0 && relay) {
    struct pollfd p = {lfd, POLLIN, 0};
    int afd = poll(&p, 1, 10000) == 1 ? accept4(lfd, NULL, NULL, SOCK_CLOEXEC) : -1;
    int master = afd >= 0 ? recv_fd(afd) : -1;
    if (afd >= 0)
      close(afd);
    if (master >= 0) {
      relay_pty(master, x);
      close(master);
    }
  }
  if (cons)
    unlink(cons);
  int st = 0;
  if (r == 0)
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
      ;
  unlink(procp);
  if (r < 0)
    return -1;
  *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return 0;
}

static int64_t json_i64_at(const json_t *o, const char *a, const char *b, const char *c)
{
  const json_t *v = json_object_get(o, a);
  if (b)
    v = json_object_get(v, b);
  if (c)
    v = json_object_get(v, c);
  return json_is_integer(v) ? (int64_t) json_integer_value(v) : -1;
}

void stats_sample_parse(const json_t *runtime_stats, struct stats_sample *out)
{
  const json_t *d = json_object_get(runtime_stats, "data");
  out->cpu_ns = json_i64_at(d, "cpu", "usage", "total");
  out->mem_usage = json_i64_at(d, "memory", "usage", "usage");
  out->mem_limit = json_i64_at(d, "memory", "usage", "limit");
  out->pids = json_i64_at(d, "pids", "current", NULL);
  /* v2 says "max" (the runtime reports 0), v1 a page-rounded 2^63. */
  if (out->mem_limit == 0 || out->mem_limit >= (INT64_C(1) << 62))
    out->mem_limit = -1;
}

/* The host's memory, which docker shows as the limit of an unlimited
 * container. */
static int64_t host_mem_total(void)
{
  _cleanup_free_ char *data = NULL;
  if (wh_read_file_at(AT_FDCWD, "/proc/meminfo", 65536, &data, NULL, NULL) < 0)
    return -1;
  char *p = strstr(data, "MemTotal:");
  return p ? strtoll(p + 9, NULL, 10) * 1024 : -1;
}

json_t *engine_container_top(struct engine *e, const char *ref,
                             struct wh_error **err)
{
  _cleanup_ctr_ struct ctr c = {0};
  if (load_running(e, ref, &c, err) < 0)
    return NULL;
  _cleanup_free_ pid_t *pids = NULL;
  size_t npids = 0;
  if (ocirt_pids(e, &c, &pids, &npids, err) < 0)
    return NULL;
  json_t *rows = json_array();
  for (size_t k = 0; k < npids; k++) {
    int pid = (int) pids[k];
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    _cleanup_free_ char *cmd = NULL;
    size_t len = 0;
    if (wh_read_file_at(AT_FDCWD, path, 4096, &cmd, &len, NULL) < 0)
      continue;
    for (size_t j = 0; j + 1 < len; j++)
      if (!cmd[j])
        cmd[j] = ' ';
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    _cleanup_free_ char *status = NULL;
    long uid = -1, ppid = -1;
    if (wh_read_file_at(AT_FDCWD, path, 65536, &status, NULL, NULL) == 0) {
      char *u = strstr(status, "\nUid:");
      char *pp = strstr(status, "\nPPid:");
      if (u)
        uid = strtol(u + 5, NULL, 10);
      if (pp)
        ppid = strtol(pp + 6, NULL, 10);
    }
    char ps[16], us[16], pps[16];
    snprintf(ps, sizeof(ps), "%d", pid);
    snprintf(us, sizeof(us), "%ld", uid);
    snprintf(pps, sizeof(pps), "%ld", ppid);
    json_array_append_new(rows, json_pack("[s,s,s,s]", us, ps, pps, cmd));
  }
  return json_pack("{s:[s,s,s,s],s:o}", "Titles", "UID", "PID", "PPID", "CMD",
                   "Processes", rows);
}

static void sample(struct engine *e, const struct ctr *c, struct stats_sample *s)
{
  _cleanup_json_ json_t *j = ocirt_stats(e, c, NULL);
  *s = (struct stats_sample) {-1, -1, -1, -1};
  if (j)
    stats_sample_parse(j, s);
}

json_t *engine_container_stats(struct engine *e, const char *ref,
                               struct wh_error **err)
{
  _cleanup_strv_ char **ids = NULL;
  if (ref) {
    _cleanup_ctr_ struct ctr c = {0};
    if (load_running(e, ref, &c, err) < 0)
      return NULL;
    ids = calloc(2, sizeof(char *));
    if (ids)
      ids[0] = strdup(c.id);
  } else if (ctr_ids(e, &ids, err) < 0) {
    return NULL;
  }
  if (!ids) {
    wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    return NULL;
  }
  /* CPU percentage needs two samples; 100 ms apart is enough for a
   * one-shot --no-stream view. */
  size_t n = 0;
  while (ids[n])
    n++;
  _cleanup_free_ struct stats_sample *s0 = calloc(n + 1, sizeof(*s0));
  _cleanup_free_ bool *running = calloc(n + 1, sizeof(bool));
  if (!s0 || !running) {
    wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    _cleanup_ctr_ struct ctr c = {0};
    running[i] = ctr_load(e, ids[i], &c, NULL) == 0 && !strcmp(c.state, "running");
    if (running[i])
      sample(e, &c, &s0[i]);
  }
  int64_t t0 = wh_now_mono_ns();
  usleep(100000);
  int64_t dt = wh_now_mono_ns() - t0;
  int64_t host_mem = host_mem_total();
  json_t *out = json_array();
  for (size_t i = 0; i < n; i++) {
    _cleanup_ctr_ struct ctr c = {0};
    if (!running[i] || ctr_load(e, ids[i], &c, NULL) < 0 || strcmp(c.state, "running"))
      continue;
    struct stats_sample s1;
    sample(e, &c, &s1);
    double pct = s0[i].cpu_ns >= 0 && s1.cpu_ns >= s0[i].cpu_ns && dt > 0
                 ? 100.0 * (double) (s1.cpu_ns - s0[i].cpu_ns) / (double) dt : 0;
    char short_id[13];
    snprintf(short_id, sizeof(short_id), "%s", c.id);
    json_array_append_new(out, json_pack("{s:s,s:s,s:f,s:I,s:I,s:I}", "ID", short_id,
        "Name", c.name, "CPUPerc", pct, "MemUsage", (json_int_t) s1.mem_usage,
        "MemLimit", (json_int_t) (s1.mem_limit >= 0 ? s1.mem_limit : host_mem),
        "PIDs", (json_int_t) s1.pids));
  }
  return out;
}
