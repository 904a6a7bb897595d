/* wharf-runtime: an OCI runtime with runc's command line (podman through
 * conmon and containerd's runc shim call it unchanged). One table of
 * commands, each a small function that parses its options and calls one
 * function of src/runtime/runtime.h; main() prints the error once, to
 * stderr and to --log in the chosen format. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "runtime/runtime.h"

/* ---- options: --name value, --name=value, -x value; stops at the first
 * argument that is not an option (the container id) ---- */

struct opt {
  const char *name;
  char short_name;
  bool has_arg;
  const char **value;   /* last value (or "1" for a flag) */
  const char ***list;   /* or: every value, NULL-terminated */
};

static int add_to_list(const char ***list, const char *v)
{
  size_t n = 0;
  while (*list && (*list)[n])
    n++;
  const char **nl = realloc(*list, (n + 2) * sizeof(char *));
  if (!nl)
    return -1;
  nl[n] = v;
  nl[n + 1] = NULL;
  *list = nl;
  return 0;
}

/* Returns the index of the first positional argument, or -1. */
static int parse_opts(int argc, char **argv, int start, struct opt *opts,
                      struct wh_error **err)
{
  int i = start;
  for (; i < argc; i++) {
    char *a = argv[i];
    if (strcmp(a, "--") == 0)
      return i + 1;
    if (a[0] != '-' || a[1] == 0)
      return i;
    const char *name = a + (a[1] == '-' ? 2 : 1);
    bool is_long = a[1] == '-';
    const char *eq = is_long ? strchr(name, '=') : NULL;
    size_t nl = eq ? (size_t) (eq - name) : strlen(name);
    struct opt *o = NULL;
    for (struct opt *p = opts; p->name; p++)
      if ((is_long || nl > 1) ? (strlen(p->name) == nl && strncmp(p->name, name, nl) == 0)
                              : (p->short_name && p->short_name == name[0])) {
        o = p;
        break;
      }
    if (!o)
      return wh_error_set(err, WH_ERR_INVALID, "unknown option %s", a);
    const char *v = "1";
    if (o->has_arg) {
      if (eq)
        v = eq + 1;
      else if (i + 1 < argc)
        v = argv[++i];
      else
        return wh_error_set(err, WH_ERR_INVALID, "option %s needs a value", a);
    } else if (eq) {
      v = strcmp(eq + 1, "false") == 0 ? NULL : "1";
    }
    if (o->list) {
      if (add_to_list(o->list, v) < 0)
        return wh_error_errno(err, "options");
    } else if (o->value)
      *o->value = v;
  }
  return i;
}

static int need_id(int argc, char **argv, int idx, const char *cmd, const char **id,
                   struct wh_error **err)
{
  if (idx < 0)
    return -1;
  if (idx >= argc)
    return wh_error_set(err, WH_ERR_INVALID, "%s: a container id is required", cmd);
  *id = argv[idx];
  return 0;
}

/* ---- signals ---- */

static const struct { const char *name; int sig; } signals[] = {
  { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
  { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
  { "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
  { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
  { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
  { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

static int parse_signal(const char *s, struct wh_error **err)
{
  char *end;
  long n = strtol(s, &end, 10);
  if (*s && !*end) {
    if (n <= 0 || n >= NSIG)
      return wh_error_set(err, WH_ERR_INVALID, "signal %s: out of range", s);
    return (int) n;
  }
  const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
  for (size_t i = 0; i < WH_ARRAY_SIZE(signals); i++)
    if (strcasecmp(name, signals[i].name) == 0)
      return signals[i].sig;
  if (strncasecmp(name, "RTMIN+", 6) == 0) {
    n = strtol(name + 6, &end, 10);
    if (!*end && n >= 0 && SIGRTMIN + n <= SIGRTMAX)
      return (int) (SIGRTMIN + n);
  }
  return wh_error_set(err, WH_ERR_INVALID, "unknown signal %s", s);
}

/* Wait for pid, forwarding the usual signals to it; exit code or
 * 128+signal. The signals were blocked before the process was made. */
static int forward_and_wait(pid_t pid, const sigset_t *set, struct wh_error **err)
{
  _cleanup_close_ int sfd = signalfd(-1, set, SFD_CLOEXEC);
  if (sfd < 0)
    return wh_error_errno(err, "signalfd");
  for (;;) {
    int status;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0 && errno != EINTR)
      return wh_error_errno(err, "wait");
    struct signalfd_siginfo si;
    if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD)
      kill(pid, (int) si.ssi_signo);
  }
}

static void block_forwarded(sigset_t *set)
{
  sigemptyset(set);
  static const int fw[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
                            SIGWINCH, SIGCHLD };
  for (size_t i = 0; i < WH_ARRAY_SIZE(fw); i++)
    sigaddset(set, fw[i]);
  sigprocmask(SIG_BLOCK, set, NULL);
}

/* ---- commands ---- */

struct cmd_ctx {
  struct runtime_ctx rt;
  int argc;
  char **argv;
  int start;   /* index of the first argument after the command name */
};

static int cmd_spec(struct cmd_ctx *c, struct wh_error **err)
{
  const char *rootless = NULL, *bundle = NULL;
  struct opt o[] = { { "rootless", 0, false, &rootless, NULL },
                     { "bundle", 'b', true, &bundle, NULL }, { NULL } };
  if (parse_opts(c->argc, c->argv, c->start, o, err) < 0)
    return -1;
  _cleanup_free_ char *s = runtime_default_spec(rootless != NULL, err);
  if (!s)
    return -1;
  _cleanup_close_ int dfd = open(bundle ? bundle : ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0)
    return wh_error_errno(err, "spec: %s", bundle ? bundle : ".");
  if (faccessat(dfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return wh_error_set(err, WH_ERR_EXISTS, "spec: config.json already exists");
  size_t len = strlen(s);
  s[len] = '\n';
  int r = wh_write_file_atomic(dfd, "config.json", s, len + 1, 0644, err);
  s[len] = 0;
  return r;
}

static int create_or_run(struct cmd_ctx *c, bool run, struct wh_error **err)
{
  const char *bundle = NULL, *pid_file = NULL, *console = NULL, *no_pivot = NULL,
             *no_keyring = NULL, *preserve = NULL, *detach = NULL, *keep = NULL,
             *config = NULL, *id = NULL;
  struct opt o[] = {
    { "bundle", 'b', true, &bundle, NULL }, { "pid-file", 0, true, &pid_file, NULL },
    { "console-socket", 0, true, &console, NULL }, { "no-pivot", 0, false, &no_pivot, NULL },
    { "no-new-keyring", 0, false, &no_keyring, NULL },
    { "preserve-fds", 0, true, &preserve, NULL }, { "detach", 'd', false, &detach, NULL },
    { "keep", 0, false, &keep, NULL }, { "config", 0, true, &config, NULL },
    { "no-subreaper", 0, false, NULL, NULL }, { NULL } };
  int idx = parse_opts(c->argc, c->argv, c->start, o, err);
  if (need_id(c->argc, c->argv, idx, run ? "run" : "create", &id, err) < 0)
    return -1;
  struct runtime_create_opts co = {
    .bundle = bundle, .config_path = config, .pid_file = pid_file,
    .console_socket = console, .no_pivot = no_pivot != NULL,
    .no_new_keyring = no_keyring != NULL,
    .preserve_fds = preserve ? atoi(preserve) : 0, .start_now = run,
  };
  sigset_t set;
  if (run && !detach)
    block_forwarded(&set);
  /* on v1 the grace period init's cgroup move waits for starts now, and
   * passes while create reads the bundle and makes init's mounts */
  pid_t warm = runtime_warm_cgroups();
  pid_t pid;
  int r = runtime_create(&c->rt, id, &co, &pid, err);
  runtime_warm_cgroups_done(&warm);
  if (r < 0)
    return -1;
  if (!run || detach)
    return 0;
  int code = forward_and_wait(pid, &set, err);
  if (code < 0)
    return -1;
  if (!keep)
    runtime_delete(&c->rt, id, true, NULL);
  return code;
}

static int cmd_create(struct cmd_ctx *c, struct wh_error **err)
{
  return create_or_run(c, false, err);
}

static int cmd_run(struct cmd_ctx *c, struct wh_error **err)
{
  return create_or_run(c, true, err);
}

static int cmd_start(struct cmd_ctx *c, struct wh_error **err)
{
  const char *id = NULL;
  struct opt o[] = { { NULL } };
  if (need_id(c->argc, c->argv, parse_opts(c->argc, c->argv, c->start, o, err), "start",
              &id, err) < 0)
    return -1;
  return runtime_start(&c->rt, id, err);
}

static int cmd_state(struct cmd_ctx *c, struct wh_error **err)
{
  const char *id = NULL;
  struct opt o[] = { { NULL } };
  if (need_id(c->argc, c->argv, parse_opts(c->argc, c->argv, c->start, o, err), "state",
              &id, err) < 0)
    return -1;
  struct runtime_state st;
  if (runtime_state(&c->rt, id, &st, err) < 0)
    return -1;
  char *s = runtime_state_json(&st, true, err);
  runtime_state_clear(&st);
  if (!s)
    return -1;
  printf("%s\n", s);
  free(s);
  return 0;
}

static int cmd_kill(struct cmd_ctx *c, struct wh_error **err)
{
  const char *all = NULL, *id = NULL;
  struct opt o[] = { { "all", 'a', false, &all, NULL }, { NULL } };
  int idx = parse_opts(c->argc, c->argv, c->start, o, err);
  if (need_id(c->argc, c->argv, idx, "kill", &id, err) < 0)
    return -1;
  int sig = SIGTERM;
  if (idx + 1 < c->argc && (sig = parse_signal(c->argv[idx + 1], err)) < 0)
    return -1;
  return runtime_kill(&c->rt, id, sig, all != NULL, err);
}

static int cmd_delete(struct cmd_ctx *c, struct wh_error **err)
{
  const char *force = NULL, *id = NULL;
  struct opt o[] = { { "force", 'f', false, &force, NULL }, { NULL } };
  if (need_id(c->argc, c->argv, parse_opts(c->argc, c->argv, c->start, o, err), "delete",
              &id, err) < 0)
    return -1;
  struct wh_error *e = NULL;
  if (runtime_delete(&c->rt, id, force != NULL, &e) < 0) {
    /* runc: deleting a missing container with --force is not an error */
    if (force && e->kind == WH_ERR_NOT_FOUND) {
      wh_error_free(e);
      return 0;
    }
    *err = e;
    return -1;
  }
  return 0;
}

static int cmd_list(struct cmd_ctx *c, struct wh_error **err)
{
  const char *format = "table", *quiet = NULL;
  struct opt o[] = { { "format", 'f', true, &format, NULL },
                     { "quiet", 'q', false, &quiet, NULL }, { NULL } };
  if (parse_opts(c->argc, c->argv, c->start, o, err) < 0)
    return -1;
  struct runtime_state *l;
  size_t n;
  if (runtime_list(&c->rt, &l, &n, err) < 0)
    return -1;
  if (quiet) {
    for (size_t i = 0; i < n; i++)
      printf("%s\n", l[i].id);
  } else if (strcmp(format, "json") == 0) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
      char *s = runtime_state_json(&l[i], false, NULL);
      json_t *j = s ? json_loads(s, 0, NULL) : NULL;
      free(s);
      if (j)
        json_array_append_new(a, j);
    }
    char *s = json_dumps(a, JSON_COMPACT);
    printf("%s\n", s ? s : "[]");
    free(s);
    json_decref(a);
  } else {
    printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
           "CREATED", "OWNER");
    for (size_t i = 0; i < n; i++)
      printf("%-12s %-8d %-10s %-40s %-30s %s\n", l[i].id, (int) l[i].pid,
             runtime_status_name(l[i].status), l[i].bundle, l[i].created,
             l[i].owner[0] ? l[i].owner : "root");
  }
  runtime_list_free(l, n);
  return 0;
}

static int cmd_exec(struct cmd_ctx *c, struct wh_error **err)
{
  const char *process = NULL, *tty = NULL, *console = NULL, *detach = NULL,
             *pid_file = NULL, *cwd = NULL, *user = NULL, *nnp = NULL, *preserve = NULL,
             *id = NULL;
  const char **env = NULL, **caps = NULL;
  struct opt o[] = {
    { "process", 'p', true, &process, NULL }, { "tty", 't', false, &tty, NULL },
    { "console-socket", 0, true, &console, NULL }, { "detach", 'd', false, &detach, NULL },
    { "pid-file", 0, true, &pid_file, NULL }, { "cwd", 0, true, &cwd, NULL },
    { "env", 'e', true, NULL, &env }, { "user", 'u', true, &user, NULL },
    { "cap", 'c', true, NULL, &caps }, { "no-new-privs", 0, false, &nnp, NULL },
    { "preserve-fds", 0, true, &preserve, NULL },
    { "process-label", 0, true, NULL, NULL }, { "apparmor", 0, true, NULL, NULL },
    { "ignore-paused", 0, false, NULL, NULL }, { NULL } };
  int idx = parse_opts(c->argc, c->argv, c->start, o, err);
  int r = need_id(c->argc, c->argv, idx, "exec", &id, err);
  if (r == 0 && !process && idx + 1 >= c->argc)
    r = wh_error_set(err, WH_ERR_INVALID, "exec: a command or --process is required");
  struct runtime_exec_opts eo = {
    .process_path = process, .args = r == 0 ? c->argv + idx + 1 : NULL, .cwd = cwd,
    .env = (char *const *) env, .user = user, .caps = (char *const *) caps,
    .tty = tty != NULL, .no_new_privs = nnp != NULL, .detach = detach != NULL,
    .console_socket = console, .pid_file = pid_file,
    .preserve_fds = preserve ? atoi(preserve) : 0,
  };
  sigset_t set;
  pid_t pid;
  if (r == 0 && !detach)
    block_forwarded(&set);
  if (r == 0)
    r = runtime_exec(&c->rt, id, &eo, &pid, err);
  if (r == 0 && !detach)
    r = forward_and_wait(pid, &set, err);
  free(env);
  free(caps);
  return r;
}

static int simple(struct cmd_ctx *c, const char *name,
                  int (*fn)(const struct runtime_ctx *, const char *, struct wh_error **),
                  struct wh_error **err)
{
  const char *id = NULL;
  struct opt o[] = { { NULL } };
  if (need_id(c->argc, c->argv, parse_opts(c->argc, c->argv, c->start, o, err), name,
              &id, err) < 0)
    return -1;
  return fn(&c->rt, id, err);
}

static int cmd_pause(struct cmd_ctx *c, struct wh_error **err)
{
  return simple(c, "pause", runtime_pause, err);
}

static int cmd_resume(struct cmd_ctx *c, struct wh_error **err)
{
  return simple(c, "resume", runtime_resume, err);
}

static int cmd_ps(struct cmd_ctx *c, struct wh_error **err)
{
  const char *format = "table", *id = NULL;
  struct opt o[] = { { "format", 'f', true, &format, NULL }, { NULL } };
  int idx = parse_opts(c->argc, c->argv, c->start, o, err);
  if (need_id(c->argc, c->argv, idx, "ps", &id, err) < 0)
    return -1;
  pid_t *pids;
  size_t n;
  if (runtime_ps(&c->rt, id, &pids, &n, err) < 0)
    return -1;
  if (strcmp(format, "json") == 0) {
    printf("[");
    for (size_t i = 0; i < n; i++)
      printf("%s%d", i ? "," : "", (int) pids[i]);
    printf("]\n");
  } else {
    printf("PID\tCMD\n");
    for (size_t i = 0; i < n; i++) {
      char path[64], comm[256] = "";
      snprintf(path, sizeof(path), "/proc/%d/comm", (int) pids[i]);
      FILE *f = fopen(path, "re");
      if (f) {
        if (fgets(comm, sizeof(comm), f))
          comm[strcspn(comm, "\n")] = 0;
        fclose(f);
      }
      printf("%d\t%s\n", (int) pids[i], comm);
    }
  }
  free(pids);
  return 0;
}

static int cmd_update(struct cmd_ctx *c, struct wh_error **err)
{
  const char *res = NULL, *mem = NULL, *memres = NULL, *swap = NULL, *shares = NULL,
             *quota = NULL, *period = NULL, *cpus = NULL, *mems = NULL, *pids = NULL,
             *blkio = NULL, *id = NULL;
  struct opt o[] = {
    { "resources", 'r', true, &res, NULL }, { "memory", 'm', true, &mem, NULL },
    { "memory-reservation", 0, true, &memres, NULL }, { "memory-swap", 0, true, &swap, NULL },
    { "cpu-shares", 0, true, &shares, NULL }, { "cpu-quota", 0, true, &quota, NULL },
    { "cpu-period", 0, true, &period, NULL }, { "cpuset-cpus", 0, true, &cpus, NULL },
    { "cpuset-mems", 0, true, &mems, NULL }, { "pids-limit", 0, true, &pids, NULL },
    { "blkio-weight", 0, true, &blkio, NULL }, { "kernel-memory", 0, true, NULL, NULL },
    { "kernel-memory-tcp", 0, true, NULL, NULL }, { NULL } };
  int idx = parse_opts(c->argc, c->argv, c->start, o, err);
  if (need_id(c->argc, c->argv, idx, "update", &id, err) < 0)
    return -1;
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (res) {
    int fd = strcmp(res, "-") == 0 ? 0 : open(res, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return wh_error_errno(err, "update: %s", res);
    int r = wh_read_fd(fd, 1u << 20, &data, &len, err);
    if (fd)
      close(fd);
    if (r < 0)
      return -1;
  } else {
    json_t *j = json_object(), *m = json_object(), *cpu = json_object();
    struct { const char *v; json_t *obj; const char *key; } nums[] = {
      { mem, m, "limit" }, { memres, m, "reservation" }, { swap, m, "swap" },
      { shares, cpu, "shares" }, { quota, cpu, "quota" }, { period, cpu, "period" },
    };
    for (size_t i = 0; i < WH_ARRAY_SIZE(nums); i++)
      if (nums[i].v)
        json_object_set_new(nums[i].obj, nums[i].key,
                            json_integer(strtoll(nums[i].v, NULL, 10)));
    if (cpus)
      json_object_set_new(cpu, "cpus", json_string(cpus));
    if (mems)
      json_object_set_new(cpu, "mems", json_string(mems));
    json_object_set_new(j, "memory", m);
    json_object_set_new(j, "cpu", cpu);
    if (pids)
      json_object_set_new(j, "pids", json_pack("{s:I}", "limit",
                                               (json_int_t) strtoll(pids, NULL, 10)));
    if (blkio)
      json_object_set_new(j, "blockIO", json_pack("{s:I}", "weight",
                                                  (json_int_t) strtoll(blkio, NULL, 10)));
    data = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!data)
      return wh_error_errno(err, "update");
    len = strlen(data);
  }
  return runtime_update(&c->rt, id, data, len, err);
}

static int cmd_events(struct cmd_ctx *c, struct wh_error **err)
{
  const char *stats = NULL, *interval = "5s", *id = NULL;
  struct opt o[] = { { "stats", 0, false, &stats, NULL },
                     { "interval", 0, true, &interval, NULL }, { NULL } };
  if (need_id(c->argc, c->argv, parse_opts(c->argc, c->argv, c->start, o, err), "events",
              &id, err) < 0)
    return -1;
  double secs = strtod(interval, NULL);
  if (strstr(interval, "ms"))
    secs /= 1000;
  if (secs <= 0)
    return wh_error_set(err, WH_ERR_INVALID, "events --interval %s: must be > 0", interval);
  if (stats) {
    char *s = runtime_stats_json(&c->rt, id, err);
    if (!s)
      return -1;
    printf("%s\n", s);
    free(s);
    return 0;
  }
  /* the stream: OOM events as they happen, stats at each interval (runc);
   * it ends when the container stops */
  struct runtime_events *ev = runtime_events_open(&c->rt, id, err);
  if (!ev)
    return -1;
  int64_t period = (int64_t) (secs * 1e3), next = wh_now_mono_ns() / 1000000 + period;
  int r;
  for (;;) {
    int64_t now = wh_now_mono_ns() / 1000000;
    char *s = NULL;
    r = runtime_events_wait(ev, now < next ? (int) (next - now) : 0, &s, err);
    if (r < 0 || r == 2)
      break;
    if (r == 0) {
      next = wh_now_mono_ns() / 1000000 + period;
      s = runtime_stats_json(&c->rt, id, NULL);
      if (!s) {   /* the container went away: the stream ends */
        r = 2;
        break;
      }
    }
    printf("%s\n", s);
    fflush(stdout);
    free(s);
  }
  runtime_events_close(ev);
  return r < 0 ? -1 : 0;
}

static int cmd_features(struct cmd_ctx *c, struct wh_error **err)
{
  char *s = runtime_features_json(err);
  if (!s)
    return -1;
  printf("%s\n", s);
  free(s);
  return 0;
}

static const struct {
  const char *name;
  int (*fn)(struct cmd_ctx *, struct wh_error **);
  const char *help;
} commands[] = {
  { "create", cmd_create, "create a container (it waits for start)" },
  { "start", cmd_start, "run the process of a created container" },
  { "run", cmd_run, "create and start, wait, and exit with its status" },
  { "state", cmd_state, "print the state of a container" },
  { "kill", cmd_kill, "send a signal to a container's init (or all with --all)" },
  { "delete", cmd_delete, "delete a container" },
  { "list", cmd_list, "list containers" },
  { "exec", cmd_exec, "run one more process in a container" },
  { "ps", cmd_ps, "list a container's processes" },
  { "pause", cmd_pause, "freeze a container's processes" },
  { "resume", cmd_resume, "thaw them" },
  { "update", cmd_update, "change a container's resources" },
  { "events", cmd_events, "stream OOM events and stats (--stats: once)" },
  { "spec", cmd_spec, "write a default config.json" },
  { "features", cmd_features, "print the features this runtime supports" },
};

static void usage(FILE *f)
{
  fprintf(f, "Usage: wharf-runtime [--root DIR] [--log FILE] [--log-format text|json]\n"
             "                     [--debug] [--systemd-cgroup] COMMAND [OPTIONS] ID\n\n"
             "An OCI runtime with runc's command line.\n\nCommands:\n");
  for (size_t i = 0; i < WH_ARRAY_SIZE(commands); i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

static void report(int log_fd, bool json, const char *msg)
{
  fprintf(stderr, "wharf-runtime: %s\n", msg);
  if (log_fd < 0)
    return;
  char ts[WH_RFC3339_MAX];
  wh_rfc3339(wh_now_real_ns(), 9, ts);
  char *line = NULL;
  if (json) {
    json_t *j = json_pack("{s:s, s:s, s:s}", "level", "error", "msg", msg, "time", ts);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (s && asprintf(&line, "%s\n", s) < 0)
      line = NULL;
    free(s);
  } else if (asprintf(&line, "time=\"%s\" level=error msg=\"%s\"\n", ts, msg) < 0)
    line = NULL;
  if (line) {
    wh_write_all(log_fd, line, strlen(line), NULL);
    free(line);
  }
}

int main(int argc, char **argv)
{
  const char *root = NULL, *log = NULL, *log_format = "text", *debug = NULL,
             *systemd = NULL, *version = NULL, *help = NULL;
  struct opt global[] = {
    { "root", 0, true, &root, NULL }, { "log", 0, true, &log, NULL },
    { "log-format", 0, true, &log_format, NULL }, { "debug", 0, false, &debug, NULL },
    { "systemd-cgroup", 0, false, &systemd, NULL }, { "version", 'v', false, &version, NULL },
    { "help", 'h', false, &help, NULL }, { "rootless", 0, true, NULL, NULL },
    { "criu", 0, true, NULL, NULL }, { NULL } };
  struct wh_error *err = NULL;
  int idx = parse_opts(argc, argv, 1, global, &err);
  if (idx < 0) {
    fprintf(stderr, "wharf-runtime: %s\n", err->msg);
    wh_error_free(err);
    return 2;
  }
  if (version) {
    printf("wharf-runtime version %s\nspec: 1.1.0\n", WHARF_VERSION);
    return 0;
  }
  if (help || idx >= argc) {
    usage(help ? stdout : stderr);
    return help ? 0 : 2;
  }
  if (strcmp(log_format, "text") && strcmp(log_format, "json")) {
    fprintf(stderr, "wharf-runtime: --log-format %s: expected text or json\n", log_format);
    return 2;
  }
  struct cmd_ctx c = { .rt = { .root = root, .log_fd = -1 }, .argc = argc, .argv = argv,
                       .start = idx + 1 };
  if (systemd)
    c.rt.flags |= RUNTIME_SYSTEMD_CGROUP;
  if (debug)
    c.rt.flags |= RUNTIME_DEBUG;
  if (log) {
    c.rt.log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (c.rt.log_fd < 0) {
      fprintf(stderr, "wharf-runtime: --log %s: %s\n", log, strerror(errno));
      return 1;
    }
  }
  /* the lifecycle trace (src/runtime/debug.c): only with --debug, to the
   * log or stderr, as runc */
  wh_log_setup(debug ? WH_LOG_DEBUG : WH_LOG_OFF, c.rt.log_fd >= 0 ? c.rt.log_fd : 2,
               strcmp(log_format, "json") == 0 ? WH_LOG_JSON : WH_LOG_TEXT);
  for (size_t i = 0; i < WH_ARRAY_SIZE(commands); i++)
    if (strcmp(argv[idx], commands[i].name) == 0) {
      int r = commands[i].fn(&c, &err);
      if (r < 0) {
        report(c.rt.log_fd, strcmp(log_format, "json") == 0,
               err ? err->msg : "failed");
        wh_error_free(err);
        return 1;
      }
      return r;
    }
  fprintf(stderr, "wharf-runtime: unknown command %s\n", argv[idx]);
  usage(stderr);
  return 2;
}
