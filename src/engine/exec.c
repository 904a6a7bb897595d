/* exec.c: `exec`, `top` and `stats` of a running container.
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

int engine_container_exec(struct engine *e, const char *ref,
                          const struct engine_exec *x, int *exit_code,
                          struct wh_error **err)
{
  _cleanup_ctr_ struct ctr c = {0};
  if (load_running(e, ref, &c, err) < 0)
    return -1;
  if (!x->argv || !x->argv[0])
    return wh_error_set(err, WH_ERR_INVALID, "exec: no command given");
  /* In the foreground the runtime makes the pty and relays it to the
   * terminal it is given; a detached process would have nobody holding
   * its pty master. */
  if (x->tty && x->detach)
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "exec: -t with -d is not supported");
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
  /* A runtime binary makes the pty itself and relays it to the terminal
   * it is given; the in-process runtime hands the pty master to a console
   * socket, and this process relays it. */
  bool relay = x->tty && !ocirt_path(&c);
  _cleanup_close_ int lfd = -1;
  struct sockaddr_un sa;
  _cleanup_close_ int sdir = -1;
  _cleanup_free_ char *cons = NULL;
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
  int stdio[3] = {x->interactive || (x->tty && !relay) ? x->in_fd : -1, x->out_fd, x->err_fd};
  pid_t pid;
  int r = ocirt_exec(e, &c, procp, relay ? sa.sun_path : NULL, rundir, x->detach, stdio, &pid, err);
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

/* The container's cgroup directory for a v1 controller (runc makes
 * /sys/fs/cgroup/<controller>/wharf/<id>). */
static char *cg_path(const char *id, const char *controller, const char *file)
{
  char *p = NULL;
  if (asprintf(&p, "/sys/fs/cgroup/%s/wharf/%s/%s", controller, id, file) < 0)
    return NULL;
  return p;
}

static int64_t cg_read(const char *id, const char *controller, const char *file)
{
  _cleanup_free_ char *p = cg_path(id, controller, file);
  _cleanup_free_ char *data = NULL;
  if (!p || wh_read_file_at(AT_FDCWD, p, 4096, &data, NULL, NULL) < 0)
    return -1;
  return strtoll(data, NULL, 10);
}

json_t *engine_container_top(struct engine *e, const char *ref,
                             struct wh_error **err)
{
  _cleanup_ctr_ struct ctr c = {0};
  if (load_running(e, ref, &c, err) < 0)
    return NULL;
  _cleanup_free_ char *p = cg_path(c.id, "pids", "cgroup.procs");
  _cleanup_free_ char *data = NULL;
  if (!p || wh_read_file_at(AT_FDCWD, p, 1 << 20, &data, NULL, err) < 0)
    return NULL;
  json_t *rows = json_array();
  char *save = NULL;
  for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    int pid = atoi(l);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    _cleanup_free_ char *cmd = NULL;
    size_t len = 0;
    if (wh_read_file_at(AT_FDCWD, path, 4096, &cmd, &len, NULL) < 0)
      continue;
    for (size_t k = 0; k + 1 < len; k++)
      if (!cmd[k])
        cmd[k] = ' ';
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
  if (!ids)
    return NULL;
  /* CPU percentage needs two samples; 100 ms apart is enough for a
   * one-shot --no-stream view. */
  size_t n = 0;
  while (ids[n])
    n++;
  int64_t *cpu0 = calloc(n + 1, sizeof(int64_t));
  if (!cpu0)
    return NULL;
  for (size_t i = 0; i < n; i++)
    cpu0[i] = cg_read(ids[i], "cpuacct", "cpuacct.usage");
  int64_t t0 = wh_now_mono_ns();
  usleep(100000);
  int64_t dt = wh_now_mono_ns() - t0;
  json_t *out = json_array();
  for (size_t i = 0; i < n; i++) {
    _cleanup_ctr_ struct ctr c = {0};
    if (ctr_load(e, ids[i], &c, NULL) < 0 || strcmp(c.state, "running"))
      continue;
    int64_t cpu1 = cg_read(ids[i], "cpuacct", "cpuacct.usage");
    double pct = cpu0[i] >= 0 && cpu1 >= 0 && dt > 0 ? 100.0 * (double) (cpu1 - cpu0[i]) / (double) dt : 0;
    char short_id[13];
    snprintf(short_id, sizeof(short_id), "%s", c.id);
    json_array_append_new(out, json_pack("{s:s,s:s,s:f,s:I,s:I,s:I}", "ID", short_id,
        "Name", c.name, "CPUPerc", pct,
        "MemUsage", (json_int_t) cg_read(c.id, "memory", "memory.usage_in_bytes"),
        "MemLimit", (json_int_t) cg_read(c.id, "memory", "memory.limit_in_bytes"),
        "PIDs", (json_int_t) cg_read(c.id, "pids", "pids.current")));
  }
  free(cpu0);
  return out;
}
