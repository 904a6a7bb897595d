/* ocirt.c: the OCI runtime behind a container: by default the in-process
 * runtime (src/runtime, called from the monitor: no fork/exec of a
 * runtime binary), or with `--runtime PATH` any runtime with runc's
 * command line (crun, runc, wharf-runtime). Either way the runtime's state
 * lives under RUNROOT/runtime, so it never mixes with containers of
 * another engine on the host. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "internal.h"
#include "runtime/runtime.h"

const char *ocirt_path(const struct ctr *c)
{
  const char *rt = json_string_value(json_object_get(c->host_config, "Runtime"));
  return rt && *rt ? rt : NULL;
}

static void rt_ctx(struct engine *e, struct runtime_ctx *ctx, char **root, int log_fd)
{
  *root = runtime_root(e);
  ctx->root = *root;
  ctx->flags = 0;
  ctx->log_fd = log_fd;
}

/* The in-process runtime gives a container (or an exec'd process) the
 * caller's fds 0-2: point them at its stdio (-1: /dev/null) for the call,
 * then restore them. */
struct stdio_save {
  int saved[3];
  int null;
};

static void stdio_swap_in(struct stdio_save *sv, const int stdio[3])
{
  sv->null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int i = 0; i < 3; i++) {
    sv->saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 10);
    dup2(stdio && stdio[i] >= 0 ? stdio[i] : sv->null, i);
  }
}

static void stdio_swap_out(struct stdio_save *sv)
{
  for (int i = 0; i < 3; i++) {
    dup2(sv->saved[i] >= 0 ? sv->saved[i] : sv->null, i);
    if (sv->saved[i] >= 0)
      close(sv->saved[i]);
  }
  if (sv->null >= 0)
    close(sv->null);
}

/* runtime_create gives the container the caller's fds 0-2: point them at
 * the container's stdio for the call, then back at what they were. */
static int inproc_create(struct engine *e, const struct ctr *c, const struct ocirt_create *o,
                         pid_t *pid_out, struct wh_error **err)
{
  _cleanup_free_ char *root = NULL;
  _cleanup_close_ int log_fd = o->log_path ? open(o->log_path, O_WRONLY | O_CREAT | O_APPEND |
                                                  O_CLOEXEC, 0600) : -1;
  struct runtime_ctx ctx;
  rt_ctx(e, &ctx, &root, log_fd);
  struct stdio_save sv;
  stdio_swap_in(&sv, o->stdio);
  /* A relative console socket name, resolved in the bundle directory,
   * stays within sun_path whatever --root is. */
  _cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int r = chdir(o->bundle);
  struct runtime_create_opts opts = {.bundle = o->bundle, .pid_file = o->pid_file,
                                     .console_socket = o->console_socket,
                                     .start_now = o->start};
  if (r == 0)
    r = runtime_create(&ctx, c->id, &opts, pid_out, err);
  else
    wh_error_errno(err, "chdir %s", o->bundle);
  if (cwd >= 0 && fchdir(cwd) < 0)
    r = -1;
  stdio_swap_out(&sv);
  return r;
}

/* fork + exec argv with the given stdio (-1: /dev/null); the child closes
 * every other descriptor so a runtime never holds the monitor's sockets. */
static pid_t spawn(char *const *argv, const int stdio[3], const char *cwd,
                   struct wh_error **err)
{
  pid_t pid = fork();
  if (pid < 0)
    return wh_error_errno(err, "fork %s", argv[0]);
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int fds[3];
    for (int i = 0; i < 3; i++)
      fds[i] = stdio && stdio[i] >= 0 ? stdio[i] : null;
    /* Move sources above 2 first so dup2 onto 0..2 cannot clobber them. */
    for (int i = 0; i < 3; i++)
      fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
    for (int i = 0; i < 3; i++)
      dup2(fds[i], i);
    closefrom(3);
    signal(SIGPIPE, SIG_DFL);
    if (cwd && chdir(cwd) < 0)
      _exit(126);
    execvp(argv[0], argv);
    _exit(errno == ENOENT ? 127 : 126);
  }
  return pid;
}

static int wait_status(pid_t pid)
{
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  if (WIFEXITED(st))
    return WEXITSTATUS(st);
  return 128 + WTERMSIG(st);
}

/* The last error message a runtime wrote to its JSON log ({"level":
 * "error","msg":...}), or a generic one. */
static char *log_error(const char *log_path)
{
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (!log_path || wh_read_file_at(AT_FDCWD, log_path, 1 << 20, &data, &len, NULL) < 0)
    return NULL;
  char *last = NULL;
  char *save = NULL;
  for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    json_t *j = json_loads(l, 0, NULL);
    if (!j)
      continue;
    const char *lvl = json_string_value(json_object_get(j, "level"));
    const char *msg = json_string_value(json_object_get(j, "msg"));
    if (lvl && msg && (!strcmp(lvl, "error") || !strcmp(lvl, "fatal"))) {
      free(last);
      last = strdup(msg);
    }
    json_decref(j);
  }
  return last;
}

static int run_rt(struct engine *e, const struct ctr *c, const char *log_path,
                  char **args, size_t nargs, const int stdio[3], const char *cwd, bool wait,
                  pid_t *pid_out, struct wh_error **err)
{
  _cleanup_free_ char *root = runtime_root(e);
  char *argv[32];
  size_t n = 0;
  argv[n++] = (char *) ocirt_path(c);
  argv[n++] = (char *) "--root";
  argv[n++] = root;
  if (log_path) {
    argv[n++] = (char *) "--log";
    argv[n++] = (char *) log_path;
    argv[n++] = (char *) "--log-format";
    argv[n++] = (char *) "json";
  }
  for (size_t i = 0; i < nargs && n < 31; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  pid_t pid = spawn(argv, stdio, cwd, err);
  if (pid < 0)
    return -1;
  if (!wait) {
    *pid_out = pid;
    return 0;
  }
  int st = wait_status(pid);
  if (st == 0)
    return 0;
  _cleanup_free_ char *msg = log_error(log_path);
  if (st == 127)
    return wh_error_set(err, WH_ERR_NOT_FOUND, "OCI runtime %s not found", argv[0]);
  return wh_error_set(err, WH_ERR_IO, "%s %s: %s", argv[0], args[0],
                      msg ? msg : "failed (exit status not 0)");
}

int ocirt_create(struct engine *e, const struct ctr *c,
                 const struct ocirt_create *o, pid_t *pid_out,
                 struct wh_error **err)
{
  if (!ocirt_path(c))
    return inproc_create(e, c, o, pid_out, err);
  char *args[12];
  size_t n = 0;
  /* `run --detach` creates and starts in one runtime process (one exec
   * and one state round trip fewer than create + start); the network
   * namespace is set up before, so nothing has to happen in between. */
  args[n++] = (char *) (o->start ? "run" : "create");
  if (o->start)
    args[n++] = (char *) "--detach";
  args[n++] = (char *) "--bundle";
  args[n++] = (char *) o->bundle;
  args[n++] = (char *) "--pid-file";
  args[n++] = (char *) o->pid_file;
  if (o->console_socket) {
    args[n++] = (char *) "--console-socket";
    args[n++] = (char *) o->console_socket;
  }
  args[n++] = c->id;
  if (run_rt(e, c, o->log_path, args, n, o->stdio, o->bundle, true, NULL, err) < 0)
    return -1;
  _cleanup_free_ char *pidstr = NULL;
  if (wh_read_file_at(AT_FDCWD, o->pid_file, 64, &pidstr, NULL, err) < 0)
    return wh_error_wrap(err, "runtime pid file");
  *pid_out = (pid_t) strtol(pidstr, NULL, 10);
  if (*pid_out <= 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "runtime pid file %s: bad pid", o->pid_file);
  return 0;
}

int ocirt_start(struct engine *e, const struct ctr *c, struct wh_error **err)
{
  if (!ocirt_path(c)) {
    _cleanup_free_ char *root = NULL;
    struct runtime_ctx ctx;
    rt_ctx(e, &ctx, &root, -1);
    return runtime_start(&ctx, c->id, err);
  }
  char *args[] = {(char *) "start", c->id};
  return run_rt(e, c, NULL, args, 2, NULL, NULL, true, NULL, err);
}

int ocirt_kill(struct engine *e, const struct ctr *c, int sig, bool all,
               struct wh_error **err)
{
  if (!ocirt_path(c)) {
    _cleanup_free_ char *root = NULL;
    struct runtime_ctx ctx;
    rt_ctx(e, &ctx, &root, -1);
    return runtime_kill(&ctx, c->id, sig, all, err);
  }
  char s[16];
  snprintf(s, sizeof(s), "%d", sig);
  char *args[4];
  size_t n = 0;
  args[n++] = (char *) "kill";
  if (all)
    args[n++] = (char *) "--all";
  args[n++] = c->id;
  args[n++] = s;
  return run_rt(e, c, NULL, args, n, NULL, NULL, true, NULL, err);
}

int ocirt_delete(struct engine *e, const struct ctr *c, bool force,
                 struct wh_error **err)
{
  /* A container the runtime never created (or already deleted) has no
   * state directory: nothing to do, which keeps teardown idempotent. */
  _cleanup_free_ char *root = runtime_root(e);
  _cleanup_free_ char *state = NULL;
  if (asprintf(&state, "%s/%s", root, c->id) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  if (access(state, F_OK) < 0)
    return 0;
  if (!ocirt_path(c)) {
    struct runtime_ctx ctx;
    _cleanup_free_ char *r2 = NULL;
    rt_ctx(e, &ctx, &r2, -1);
    return runtime_delete(&ctx, c->id, force, err);
  }
  char *args[] = {(char *) "delete", (char *) "--force", c->id};
  if (!force) {
    args[1] = c->id;
    return run_rt(e, c, NULL, args, 2, NULL, NULL, true, NULL, err);
  }
  return run_rt(e, c, NULL, args, 3, NULL, NULL, true, NULL, err);
}

int ocirt_exec(struct engine *e, const struct ctr *c, const char *process_json,
               const char *console_socket, const char *cwd, bool detach,
               const int stdio[3], pid_t *pid_out, struct wh_error **err)
{
  if (!ocirt_path(c)) {
    _cleanup_free_ char *root = NULL;
    struct runtime_ctx ctx;
    rt_ctx(e, &ctx, &root, -1);
    struct stdio_save sv;
    stdio_swap_in(&sv, stdio);
    struct runtime_exec_opts x = {.process_path = process_json, .detach = detach,
                                  .console_socket = console_socket};
    int r = runtime_exec(&ctx, c->id, &x, pid_out, err);
    stdio_swap_out(&sv);
    return r;
  }
  char *args[10];
  size_t n = 0;
  args[n++] = (char *) "exec";
  args[n++] = (char *) "--process";
  args[n++] = (char *) process_json;
  if (console_socket) {
    args[n++] = (char *) "--tty";
    args[n++] = (char *) "--console-socket";
    args[n++] = (char *) console_socket;
  }
  if (detach)
    args[n++] = (char *) "--detach";
  args[n++] = c->id;
  return run_rt(e, c, NULL, args, n, stdio, cwd, false, pid_out, err);
}
