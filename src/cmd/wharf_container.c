/* wharf_container.c: the container half of the `wharf` command line:
 * run, create, start, stop, kill, rm, ps, logs, exec, attach, inspect,
 * wait, port, cp, top, stats, rename, container prune, info, version,
 * volume …, network …. Each command parses its flags into what
 * src/engine/engine.h takes and calls one engine function; errors are
 * printed once here and mapped to docker's exit codes (125 engine, 126
 * cannot invoke, 127 not found). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "engine/engine.h"
#include "wharf_container.h"
#include "wharf_container_internal.h"

typedef int (*cmd_fn)(struct globals *g, int argc, char **argv, struct wh_error **err);

int open_engine(struct globals *g, struct engine **e, struct wh_error **err)
{
  return engine_open(&g->o, e, err);
}

void print_json(json_t *j)
{
  char *s = json_dumps(j, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
  if (s) {
    puts(s);
    free(s);
  }
}

json_t *arr_get(json_t *o, const char *key)
{
  json_t *a = json_object_get(o, key);
  if (!a) {
    a = json_array();
    json_object_set_new(o, key, a);
  }
  return a;
}

/* --- the rest: small flag sets --- */

/* Parse flags with getopt_long; the first non-flag is at optind. */
int simple_opts(int argc, char **argv, const char *shorts, const struct option *longs,
                       int min_args, const char *usage, int (*on)(int, void *), void *ctx,
                       struct wh_error **err)
{
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
    if (opt == '?' || on(opt, ctx) < 0) {
      if (opt == '?')
        return wh_error_set(err, WH_ERR_INVALID, "unknown or incomplete flag %s (usage: %s)", argv[optind - 1], usage);
      return wh_error_set(err, WH_ERR_INVALID, "bad value \"%s\" for %s (usage: %s)", optarg ? optarg : "", argv[optind - 1], usage);
    }
  }
  if (argc - optind < min_args)
    return wh_error_set(err, WH_ERR_INVALID, "usage: %s", usage);
  return 0;
}

int on_flag(int opt, void *p)
{
  struct flags *f = p;
  char *end;
  switch (opt) {
  case 'a': f->a = true; break;
  case 'f': f->f = f->follow = true; break;
  case 'q': f->q = true; break;
  case 'v': f->v = true; break;
  case 'i': f->i = true; break;
  case 'd': f->d = true; break;
  case 'T': f->ts = true; break;
  case 'J': f->json = true; break;
  case 'N': f->no_stream = true; break;
  case 'P': f->privileged = true; break;
  case 'S': f->since = optarg; break;
  case 'U': f->until = optarg; break;
  case 'u': f->user = optarg; break;
  case 'w': f->workdir = optarg; break;
  case 'e': json_array_append_new(f->env, json_string(optarg)); break;
  case 't':
    if (f->t_is_time) {
      errno = 0;
      f->n = strtol(optarg, &end, 10);
      if (errno || *end || f->n < 0)
        return -1;
    } else {
      f->t = true;
    }
    break;
  case 'n':
    if (!strcmp(optarg, "all")) {
      f->n = -1;
      break;
    }
    errno = 0;
    f->n = strtol(optarg, &end, 10);
    if (errno || *end || f->n < 0)
      return -1;
    break;
  case 's':
    if (engine_parse_signal(optarg, &f->sig, NULL) < 0)
      return -1;
    break;
  case 'F':
    if (strcmp(optarg, "json"))
      return -1;
    f->json = true;
    break;
  default:
    return -1;
  }
  return 0;
}

/* A command's flags, then the engine: the prologue of most commands. */
int opts_and_engine(struct globals *g, int argc, char **argv, const char *shorts,
                           const struct option *longs, int min_args, const char *usage,
                           struct flags *f, struct engine **e, struct wh_error **err)
{
  if (simple_opts(argc, argv, shorts, longs, min_args, usage, on_flag, f, err) < 0)
    return -1;
  return open_engine(g, e, err);
}

static int cmd_start(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{"attach", no_argument, NULL, 'a'},
                                     {"interactive", no_argument, NULL, 'i'}, {0}};
  struct flags f = {0};
  _cleanup_engine_ struct engine *e = NULL;
  if (opts_and_engine(g, argc, argv, "+ai", lo, 1, "wharf start [-a] [-i] CONTAINER...", &f, &e, err) < 0)
    return -1;
  int code = 0;
  for (int i = optind; i < argc; i++) {
    struct engine_start s = {.attach = f.a, .attach_stdin = f.i, .in_fd = 0, .out_fd = 1,
                             .err_fd = 2, .forward_signals = true};
    if (engine_container_start(e, argv[i], &s, &code, err) < 0)
      return -1;
    if (!f.a)
      puts(argv[i]);
  }
  return f.a ? code : 0;
}

static int cmd_stop(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{"time", required_argument, NULL, 't'},
                                     {"timeout", required_argument, NULL, 't'}, {0}};
  struct flags f = {.n = 10, .t_is_time = true};
  _cleanup_engine_ struct engine *e = NULL;
  if (opts_and_engine(g, argc, argv, "+t:", lo, 1, "wharf stop [-t SECONDS] CONTAINER...", &f, &e, err) < 0)
    return -1;
  for (int i = optind; i < argc; i++) {
    if (engine_container_stop(e, argv[i], (int) f.n, err) < 0)
      return -1;
    puts(argv[i]);
  }
  return 0;
}

static int cmd_kill(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{"signal", required_argument, NULL, 's'}, {0}};
  struct flags f = {.sig = SIGKILL};
  _cleanup_engine_ struct engine *e = NULL;
  if (opts_and_engine(g, argc, argv, "+s:", lo, 1, "wharf kill [-s SIGNAL] CONTAINER...", &f, &e, err) < 0)
    return -1;
  for (int i = optind; i < argc; i++) {
    if (engine_container_kill(e, argv[i], f.sig, err) < 0)
      return -1;
    puts(argv[i]);
  }
  return 0;
}

static int cmd_rm(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{"force", no_argument, NULL, 'f'},
                                     {"volumes", no_argument, NULL, 'v'}, {0}};
  struct flags f = {0};
  _cleanup_engine_ struct engine *e = NULL;
  if (opts_and_engine(g, argc, argv, "+fv", lo, 1, "wharf rm [-f] [-v] CONTAINER...", &f, &e, err) < 0)
    return -1;
  for (int i = optind; i < argc; i++) {
    if (engine_container_remove(e, argv[i], f.f, f.v, err) < 0)
      return -1;
    puts(argv[i]);
  }
  return 0;
}

static int cmd_ps(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{"all", no_argument, NULL, 'a'},
                                     {"quiet", no_argument, NULL, 'q'},
                                     {"format", required_argument, NULL, 'F'}, {0}};
  struct flags f = {0};
  _cleanup_engine_ struct engine *e = NULL;
  if (opts_and_engine(g, argc, argv, "+aq", lo, 0, "wharf ps [-a] [-q] [--format json]", &f, &e, err) < 0)
    return -1;
  _cleanup_json_ json_t *list = engine_container_list(e, f.a, err);
  if (!list)
    return -1;
  if (f.json) {
    print_json(list);
    return 0;
  }
  if (!f.q)
    printf("%-12s  %-20s  %-20s  %-24s  %-24s  %s\n", "CONTAINER ID", "IMAGE", "COMMAND",
           "STATUS", "PORTS", "NAMES");
  size_t i;
  json_t *c;
  json_array_foreach(list, i, c) {
    const char *id = json_string_value(json_object_get(c, "Id"));
    if (f.q) {
      printf("%.12s\n", id);
      continue;
    }
    char ports[256] = "";
    size_t k;
    json_t *p;
    size_t used = 0;
    json_array_foreach(json_object_get(c, "Ports"), k, p)
      used += (size_t) snprintf(ports + used, used < sizeof(ports) ? sizeof(ports) - used : 0,
                                "%s%s:%lld->%lld/%s", k ? ", " : "",
                                json_string_value(json_object_get(p, "IP")),
                                json_integer_value(json_object_get(p, "PublicPort")),
                                json_integer_value(json_object_get(p, "PrivatePort")),
                                json_string_value(json_object_get(p, "Type")));
    printf("%.12s  %-20.20s  %-20.20s  %-24s  %-24s  %s\n", id,
           json_string_value(json_object_get(c, "Image")),
           json_string_value(json_object_get(c, "Command")),
           json_string_value(json_object_get(c, "Status")), ports,
           json_string_value(json_array_get(json_object_get(c, "Names"), 0)));
  }
  return 0;
}

static int parse_time(const char *s, int64_t *ns, struct wh_error **err)
{
  char *end;
  if (wh_rfc3339_parse(s, ns) == 0)
    return 0;
  errno = 0;
  double v = strtod(s, &end);
  if (!errno && end != s) {
    double mul = 0;
    if (!*end)
      mul = -1; /* a Unix timestamp */
    else if (!strcmp(end, "s"))
      mul = 1;
    else if (!strcmp(end, "m"))
      mul = 60;
    else if (!strcmp(end, "h"))
      mul = 3600;
    if (mul < 0) {
      *ns = (int64_t) (v * 1e9);
      return 0;
    }
    if (mul > 0) {
      *ns = wh_now_real_ns() - (int64_t) (v * mul * 1e9);
      return 0;
    }
  }
  return wh_error_set(err, WH_ERR_INVALID, "invalid time \"%s\": expected RFC 3339, a Unix time or a duration like 10m", s);
}

static int cmd_logs(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{"follow", no_argument, NULL, 'f'},
                                     {"timestamps", no_argument, NULL, 'T'},
                                     {"since", required_argument, NULL, 'S'},
                                     {"until", required_argument, NULL, 'U'},
                                     {"tail", required_argument, NULL, 'n'}, {0}};
  struct flags f = {.n = -1};
  /* -t is --timestamps for logs. */
  for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
    if (!strcmp(argv[i], "-t"))
      argv[i] = (char *) "--timestamps";
  if (simple_opts(argc, argv, "+fn:", lo, 1, "wharf logs [-f] [-t] [--since T] [--tail N] CONTAINER", on_flag, &f, err) < 0)
    return -1;
  struct engine_logs l = {.follow = f.follow, .timestamps = f.ts, .tail = f.n, .out_fd = 1, .err_fd = 2};
  if (f.since && parse_time(f.since, &l.since_ns, err) < 0)
    return -1;
  if (f.until && parse_time(f.until, &l.until_ns, err) < 0)
    return -1;
  _cleanup_engine_ struct engine *e = NULL;
  if (open_engine(g, &e, err) < 0)
    return -1;
  return engine_container_logs(e, argv[optind], &l, err);
}

static int cmd_exec(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{"interactive", no_argument, NULL, 'i'},
                                     {"tty", no_argument, NULL, 't'},
                                     {"detach", no_argument, NULL, 'd'},
                                     {"env", required_argument, NULL, 'e'},
                                     {"user", required_argument, NULL, 'u'},
                                     {"workdir", required_argument, NULL, 'w'},
                                     {"privileged", no_argument, NULL, 'P'}, {0}};
  _cleanup_json_ json_t *env = json_array();
  struct flags f = {.env = env};
  if (simple_opts(argc, argv, "+itde:u:w:", lo, 2, "wharf exec [OPTIONS] CONTAINER COMMAND [ARG...]", on_flag, &f, err) < 0)
    return -1;
  if (f.workdir && f.workdir[0] != '/')
    return wh_error_set(err, WH_ERR_INVALID, "--workdir \"%s\": must be an absolute path", f.workdir);
  _cleanup_free_ char **envv = calloc(json_array_size(env) + 1, sizeof(char *));
  for (size_t i = 0; envv && i < json_array_size(env); i++)
    envv[i] = (char *) json_string_value(json_array_get(env, i));
  struct engine_exec x = {.argv = argv + optind + 1, .env = envv, .user = f.user,
                          .workdir = f.workdir, .tty = f.t, .interactive = f.i,
                          .detach = f.d, .privileged = f.privileged,
                          .in_fd = 0, .out_fd = 1, .err_fd = 2};
  _cleanup_engine_ struct engine *e = NULL;
  if (open_engine(g, &e, err) < 0)
    return -1;
  int code = 0;
  if (engine_container_exec(e, argv[optind], &x, &code, err) < 0)
    return -1;
  return code;
}

static int cmd_attach(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{"no-stdin", no_argument, NULL, 'i'}, {0}};
  struct flags f = {0};
  _cleanup_engine_ struct engine *e = NULL;
  if (opts_and_engine(g, argc, argv, "+", lo, 1, "wharf attach [--no-stdin] CONTAINER", &f, &e, err) < 0)
    return -1;
  struct engine_start s = {.attach = true, .attach_stdin = !f.i, .in_fd = 0, .out_fd = 1,
                           .err_fd = 2, .forward_signals = true};
  int code = 0;
  if (engine_container_attach(e, argv[optind], &s, &code, err) < 0)
    return -1;
  return code;
}

static int cmd_inspect(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{0}};
  struct flags f = {0};
  _cleanup_engine_ struct engine *e = NULL;
  if (opts_and_engine(g, argc, argv, "+", lo, 1, "wharf inspect CONTAINER...", &f, &e, err) < 0)
    return -1;
  _cleanup_json_ json_t *out = json_array();
  for (int i = optind; i < argc; i++) {
    json_t *j = engine_container_inspect(e, argv[i], err);
    if (!j) {
      /* Not a container: docker's inspect goes on to images. */
      if (i == optind && *err && (*err)->kind == WH_ERR_NOT_FOUND)
        return WHARF_CONTAINER_NOT_MINE;
      return -1;
    }
    json_array_append_new(out, j);
  }
  print_json(out);
  return 0;
}

static int cmd_wait(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{0}};
  struct flags f = {0};
  _cleanup_engine_ struct engine *e = NULL;
  if (opts_and_engine(g, argc, argv, "+", lo, 1, "wharf wait CONTAINER...", &f, &e, err) < 0)
    return -1;
  for (int i = optind; i < argc; i++) {
    int code;
    if (engine_container_wait(e, argv[i], &code, err) < 0)
      return -1;
    printf("%d\n", code);
  }
  return 0;
}

static int cmd_port(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{0}};
  struct flags f = {0};
  _cleanup_engine_ struct engine *e = NULL;
  if (opts_and_engine(g, argc, argv, "+", lo, 1, "wharf port CONTAINER [PRIVATE_PORT[/PROTO]]", &f, &e, err) < 0)
    return -1;
  _cleanup_json_ json_t *ports = engine_container_ports(e, argv[optind], err);
  if (!ports)
    return -1;
  const char *want = optind + 1 < argc ? argv[optind + 1] : NULL;
  size_t i;
  json_t *p;
  json_array_foreach(ports, i, p) {
    char key[32];
    snprintf(key, sizeof(key), "%lld/%s", json_integer_value(json_object_get(p, "PrivatePort")),
             json_string_value(json_object_get(p, "Type")));
    if (want && strcmp(want, key) && strncmp(key, want, strlen(want)))
      continue;
    if (want && strchr(want, '/') == NULL && key[strlen(want)] != '/')
      continue;
    if (want)
      printf("%s:%lld\n", json_string_value(json_object_get(p, "IP")),
             json_integer_value(json_object_get(p, "PublicPort")));
    else
      printf("%s -> %s:%lld\n", key, json_string_value(json_object_get(p, "IP")),
             json_integer_value(json_object_get(p, "PublicPort")));
  }
  return 0;
}

static int cmd_cp(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{0}};
  struct flags f = {0};
  _cleanup_engine_ struct engine *e = NULL;
  if (opts_and_engine(g, argc, argv, "+", lo, 2, "wharf cp SRC DST (one of them CONTAINER:PATH)", &f, &e, err) < 0)
    return -1;
  return engine_container_cp(e, argv[optind], argv[optind + 1], err);
}

static int cmd_top(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{0}};
  struct flags f = {0};
  _cleanup_engine_ struct engine *e = NULL;
  if (opts_and_engine(g, argc, argv, "+", lo, 1, "wharf top CONTAINER", &f, &e, err) < 0)
    return -1;
  _cleanup_json_ json_t *t = engine_container_top(e, argv[optind], err);
  if (!t)
    return -1;
  printf("%-8s %-8s %-8s %s\n", "UID", "PID", "PPID", "CMD");
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(t, "Processes"), i, r)
    printf("%-8s %-8s %-8s %s\n", json_string_value(json_array_get(r, 0)),
           json_string_value(json_array_get(r, 1)), json_string_value(json_array_get(r, 2)),
           json_string_value(json_array_get(r, 3)));
  return 0;
}

static int cmd_stats(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{"no-stream", no_argument, NULL, 'N'},
                                     {"format", required_argument, NULL, 'F'}, {0}};
  struct flags f = {0};
  _cleanup_engine_ struct engine *e = NULL;
  if (opts_and_engine(g, argc, argv, "+", lo, 0, "wharf stats [--no-stream] [--format json] [CONTAINER]", &f, &e, err) < 0)
    return -1;
  do {
    _cleanup_json_ json_t *s = engine_container_stats(e, optind < argc ? argv[optind] : NULL, err);
    if (!s)
      return -1;
    if (f.json) {
      print_json(s);
    } else {
      printf("%-12s  %-20s  %7s  %12s  %12s  %5s\n", "CONTAINER ID", "NAME", "CPU %", "MEM USAGE", "MEM LIMIT", "PIDS");
      size_t i;
      json_t *r;
      json_array_foreach(s, i, r)
        printf("%-12s  %-20s  %6.2f%%  %12lld  %12lld  %5lld\n",
               json_string_value(json_object_get(r, "ID")), json_string_value(json_object_get(r, "Name")),
               json_real_value(json_object_get(r, "CPUPerc")),
               json_integer_value(json_object_get(r, "MemUsage")),
               json_integer_value(json_object_get(r, "MemLimit")),
               json_integer_value(json_object_get(r, "PIDs")));
    }
    fflush(stdout);
    if (!f.no_stream)
      sleep(1);
  } while (!f.no_stream);
  return 0;
}

static int cmd_rename(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{0}};
  struct flags f = {0};
  _cleanup_engine_ struct engine *e = NULL;
  if (opts_and_engine(g, argc, argv, "+", lo, 2, "wharf rename CONTAINER NEW_NAME", &f, &e, err) < 0)
    return -1;
  return engine_container_rename(e, argv[optind], argv[optind + 1], err);
}

void print_strv(char **v)
{
  for (char **p = v; p && *p; p++)
    puts(*p);
}

static int cmd_container_prune(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{"force", no_argument, NULL, 'f'}, {0}};
  struct flags f = {0};
  if (simple_opts(argc, argv, "+f", lo, 0, "wharf container prune [-f]", on_flag, &f, err) < 0)
    return -1;
  _cleanup_engine_ struct engine *e = NULL;
  _cleanup_strv_ char **ids = NULL;
  if (open_engine(g, &e, err) < 0 || engine_container_prune(e, &ids, err) < 0)
    return -1;
  print_strv(ids);
  return 0;
}

static int cmd_info(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{"format", required_argument, NULL, 'F'}, {0}};
  struct flags f = {0};
  _cleanup_engine_ struct engine *e = NULL;
  if (opts_and_engine(g, argc, argv, "+", lo, 0, "wharf info [--format json]", &f, &e, err) < 0)
    return -1;
  _cleanup_json_ json_t *i = engine_info(e, err);
  if (!i)
    return -1;
  if (f.json) {
    print_json(i);
    return 0;
  }
  const char *k;
  json_t *v;
  json_object_foreach(i, k, v) {
    if (json_is_integer(v))
      printf("%s: %lld\n", k, json_integer_value(v));
    else
      printf("%s: %s\n", k, json_string_value(v));
  }
  return 0;
}

static int cmd_container(struct globals *g, int argc, char **argv, struct wh_error **err);

static const struct { const char *name; cmd_fn fn; } commands[] = {
  {"run", cmd_run}, {"create", cmd_create}, {"start", cmd_start}, {"stop", cmd_stop},
  {"kill", cmd_kill}, {"rm", cmd_rm}, {"ps", cmd_ps}, {"logs", cmd_logs},
  {"exec", cmd_exec}, {"attach", cmd_attach}, {"inspect", cmd_inspect},
  {"wait", cmd_wait}, {"port", cmd_port}, {"cp", cmd_cp}, {"top", cmd_top},
  {"stats", cmd_stats}, {"rename", cmd_rename}, {"info", cmd_info},
  {"volume", cmd_volume}, {"network", cmd_network},
  {"container", cmd_container},
};

static cmd_fn find(const char *name)
{
  for (size_t i = 0; i < WH_ARRAY_SIZE(commands); i++)
    if (!strcmp(commands[i].name, name))
      return commands[i].fn;
  return NULL;
}

static int cmd_container(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  if (argc < 2)
    return wh_error_set(err, WH_ERR_INVALID, "usage: wharf container COMMAND");
  if (!strcmp(argv[1], "prune"))
    return cmd_container_prune(g, argc - 1, argv + 1, err);
  const char *sub = !strcmp(argv[1], "ls") || !strcmp(argv[1], "list") ? "ps" : argv[1];
  cmd_fn fn = find(sub);
  if (!fn || fn == cmd_container || fn == cmd_volume || fn == cmd_network)
    return wh_error_set(err, WH_ERR_INVALID, "unknown command: wharf container %s", argv[1]);
  return fn(g, argc - 1, argv + 1, err);
}

bool wharf_container_has_command(const char *name)
{
  return find(name) != NULL;
}

int wharf_container_main(int argc, char **argv)
{
  struct globals g = {0};
  static const struct option gl[] = {
    {"root", required_argument, NULL, 'r'}, {"runroot", required_argument, NULL, 'R'},
    {"bridge", required_argument, NULL, 'b'}, {"bridge-subnet", required_argument, NULL, 's'},
    {"nft-table", required_argument, NULL, 'n'}, {0}};
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "+", gl, NULL)) != -1) {
    switch (opt) {
    case 'r': g.o.root = optarg; break;
    case 'R': g.o.runroot = optarg; break;
    case 'b': g.o.bridge = optarg; break;
    case 's': g.o.subnet = optarg; break;
    case 'n': g.o.nft_table = optarg; break;
    default:
      fprintf(stderr, "wharf: unknown or incomplete global flag %s\n", argv[optind - 1]);
      return ENGINE_EXIT_ERROR;
    }
  }
  if (optind >= argc) {
    fprintf(stderr, "wharf: missing command\n");
    return ENGINE_EXIT_ERROR;
  }
  cmd_fn fn = find(argv[optind]);
  if (!fn) {
    fprintf(stderr, "wharf: %s: no such command\n", argv[optind]);
    return ENGINE_EXIT_ERROR;
  }
  /* A command's own options start after its name. */
  int sub_argc = argc - optind;
  char **sub_argv = argv + optind;
  _cleanup_error_ struct wh_error *err = NULL;
  int r = fn(&g, sub_argc, sub_argv, &err);
  fflush(stdout);
  if (r == WHARF_CONTAINER_NOT_MINE)
    return r;
  if (r < 0) {
    fprintf(stderr, "wharf: %s: %s\n", sub_argv[0], err ? err->msg : "failed");
    return engine_error_exit_code(err);
  }
  return r;
}
