/* wharf-registry: the OCI Distribution registry server's command line.
 *
 *   wharf-registry serve [--listen ADDR:PORT] [--data DIR] [options]
 *
 * A thin layer: parse flags into a registry_config, start the server,
 * wait for SIGTERM or SIGINT, drain, exit. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/log.h"
#include "cmd/wharf_registry_admin.h"
#include "registry/registry.h"
#include "wharf_registry_cmds.h"

static const char usage_main[] =
  "Usage: wharf-registry COMMAND [OPTIONS]\n"
  "\n"
  "An OCI Distribution v1.1 registry.\n"
  "\n"
  "Commands:\n"
  "  serve      run the registry server in the foreground\n"
  "  gc         collect garbage now (through the running server, if any)\n"
  "  repo       repository settings: `repo quota NAME [BYTES|none]`\n"
  "  user       manage users, access keys and passwords (for serve --auth)\n"
  "  lifecycle  apply the repositories' lifecycle policies now\n"
  "  help       show this help, or `help COMMAND` for a command's options\n"
  "\n"
  "Options:\n"
  "  -h, --help     show this help\n"
  "  -V, --version  print the version and exit\n";

static const char usage_serve[] =
  "Usage: wharf-registry serve [OPTIONS]\n"
  "\n"
  "Serve the OCI Distribution API until SIGTERM or SIGINT, then stop\n"
  "accepting connections and let in-flight requests finish.\n"
  "\n"
  "Options:\n"
  "  -l, --listen ADDR:PORT     address to listen on (default 127.0.0.1:5000;\n"
  "                             [::1]:5000 for IPv6; port 0 picks a free port)\n"
  "  -d, --data DIR             data directory: blobs and metadata\n"
  "                             (default ./var/registry)\n"
  "      --threads N            request threads (default: one per core)\n"
  "      --drain-timeout SECS   on SIGTERM, wait this long for in-flight\n"
  "                             requests before closing them (default 30)\n"
  "      --tls-cert FILE        serve HTTPS with this PEM certificate (chain)\n"
  "      --tls-key FILE         ... and this PEM private key\n"
  "      --log-level LEVEL      debug, info, warn, error or off (default info)\n"
  "      --log-format FORMAT    text (key=value, default) or json\n"
  "      --port-file FILE       write the bound port to FILE once listening\n"
  "      --upload-expiry DUR    remove upload sessions idle for this long\n"
  "                             (default 24h; units s, m, h, d; plain = seconds)\n"
  "      --max-manifest-size N  refuse larger manifests with 413 (default 4MiB;\n"
  "                             units K, KiB, M, MiB; plain = bytes)\n"
  "      --sync MODE            normal (default): an acknowledged push survives a\n"
  "                             crash of the process; full: it also survives a\n"
  "                             power loss (SQLite synchronous=FULL and a\n"
  "                             directory fsync after every rename)\n"
  "      --gc-interval DUR      run garbage collection this often (default 1h;\n"
  "                             0 or off: only on demand with `wharf-registry gc`)\n"
  "      --gc-grace DUR         never collect content pushed or linked within\n"
  "                             this long (default 1h; 0 for tests)\n"
  "      --gc-delete-untagged   GC also removes untagged manifests that no tag\n"
  "                             reaches (through an index or as a referrer)\n"
  "      --audit-log PATH       JSON-lines audit log (default DATA/audit.log;\n"
  "                             relative to the data directory; off: none)\n"
  "      --auth                 require authentication (users from `wharf-registry\n"
  "                             user`), serve /token and the ECR API at POST /\n"
  "      --create-on-push yes|no  with --auth: create a repository on its first\n"
  "                             push (default yes; no: CreateRepository first)\n"
  "      --lifecycle-interval DUR  with --auth: apply lifecycle policies this\n"
  "                             often (default 1h; 0 turns the schedule off)\n"
  "  -c, --config FILE          read settings from FILE first: one `name = value`\n"
  "                             per line, names as the long options above\n"
  "                             without dashes, # starts a comment; flags on\n"
  "                             the command line override the file\n"
  "  -h, --help                 show this help\n"
  "\n"
  "On start, upload files and sessions left by a crash or expired are removed.\n"
  "Every request is logged as one line: method, path, status, bytes, duration.\n";

static int parse_uint(const char *s, const char *what, unsigned long max,
                      unsigned long *out, struct wh_error **err)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *end || *s == '\0' || *s == '-' || v > max)
    return wh_error_set(err, WH_ERR_INVALID, "%s: '%s' is not a number from 0 to %lu",
                        what, s, max);
  *out = v;
  return 0;
}

/* "90", "90s", "30m", "24h", "7d" → seconds, at least 1. */
static int parse_duration(const char *s, const char *what, unsigned long *out,
                          struct wh_error **err)
{
  if (registry_parse_duration0(s, what, out, err) < 0)
    return -1;
  if (*out == 0)
    return wh_error_set(err, WH_ERR_INVALID,
                        "%s: '%s' is not a duration from 1s to 365d (e.g. 90s, 30m, 24h)",
                        what, s);
  return 0;
}

/* "4194304", "512K", "512KiB", "4M", "4MiB" → bytes. */
static int parse_size(const char *s, const char *what, unsigned long long *out,
                      struct wh_error **err)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  unsigned long long mul = 0;
  if (*end == '\0')
    mul = 1;
  else if (strcmp(end, "K") == 0 || strcmp(end, "KiB") == 0)
    mul = 1024;
  else if (strcmp(end, "M") == 0 || strcmp(end, "MiB") == 0)
    mul = 1024 * 1024;
  if (errno || end == s || *s == '-' || mul == 0 || v == 0 || v > (1ULL << 30) / mul)
    return wh_error_set(err, WH_ERR_INVALID,
                        "%s: '%s' is not a size from 1 byte to 1GiB (e.g. 4MiB, 512K)", what, s);
  *out = v * mul;
  return 0;
}

/* Read a config file into "--name=value" arguments, checked against the
 * option table so a typo is reported with its line. */
static int read_config(const char *path, const struct option *opts, char ***args_out,
                       size_t *n_out, struct wh_error **err)
{
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  if (!f)
    return wh_error_errno(err, "config file %s", path);
  char **args = NULL;
  size_t n = 0;
  char line[4096];
  unsigned lineno = 0;
  while (fgets(line, sizeof(line), f)) {
    lineno++;
    char *p = line + strspn(line, " \t");
    p[strcspn(p, "#\r\n")] = '\0';
    if (*p == '\0')
      continue;
    char *eq = strchr(p, '=');
    char *key_end = eq ? eq : p + strlen(p);
    while (key_end > p && (key_end[-1] == ' ' || key_end[-1] == '\t'))
      key_end--;
    *key_end = '\0';
    const struct option *o = opts;
    for (; o->name; o++)
      if (strcmp(o->name, p) == 0)
        break;
    if (!o->name || strcmp(p, "config") == 0 || strcmp(p, "help") == 0) {
      wh_error_set(err, WH_ERR_INVALID, "config file %s line %u: unknown setting '%s'", path,
                   lineno, p);
      goto fail;
    }
    if (!eq) {
      wh_error_set(err, WH_ERR_INVALID, "config file %s line %u: expected '%s = VALUE'", path,
                   lineno, p);
      goto fail;
    }
    char *v = eq + 1 + strspn(eq + 1, " \t");
    size_t vl = strlen(v);
    while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
      v[--vl] = '\0';
    char **nv = realloc(args, (n + 1) * sizeof(char *));
    if (!nv) {
      wh_error_errno(err, "config file %s", path);
      goto fail;
    }
    args = nv;
    if (asprintf(&args[n], "--%s=%s", p, v) < 0) {
      wh_error_errno(err, "config file %s", path);
      goto fail;
    }
    n++;
  }
  *args_out = args;
  *n_out = n;
  return 0;
fail:
  for (size_t i = 0; i < n; i++)
    free(args[i]);
  free(args);
  return -1;
}

static int write_port_file(const char *path, unsigned port, struct wh_error **err)
{
  _cleanup_fclose_ FILE *f = fopen(path, "we");
  if (!f)
    return wh_error_errno(err, "port file %s", path);
  fprintf(f, "%u\n", port);
  if (fflush(f) != 0)
    return wh_error_errno(err, "port file %s", path);
  return 0;
}

static int cmd_serve(int argc, char **argv, struct wh_error **err)
{
  enum { OPT_THREADS = 256, OPT_DRAIN, OPT_TLS_CERT, OPT_TLS_KEY, OPT_LOG_LEVEL,
         OPT_LOG_FORMAT, OPT_PORT_FILE, OPT_EXPIRY, OPT_MAX_MANIFEST, OPT_SYNC,
         OPT_GC_INTERVAL, OPT_GC_GRACE, OPT_GC_UNTAGGED, OPT_AUDIT_LOG,
         OPT_AUTH, OPT_CREATE_ON_PUSH, OPT_LC_INTERVAL };
  static const struct option opts[] = {
    { "listen", required_argument, NULL, 'l' },
    { "data", required_argument, NULL, 'd' },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "drain-timeout", required_argument, NULL, OPT_DRAIN },
    { "tls-cert", required_argument, NULL, OPT_TLS_CERT },
    { "tls-key", required_argument, NULL, OPT_TLS_KEY },
    { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
    { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
    { "port-file", required_argument, NULL, OPT_PORT_FILE },
    { "upload-expiry", required_argument, NULL, OPT_EXPIRY },
    { "max-manifest-size", required_argument, NULL, OPT_MAX_MANIFEST },
    { "sync", required_argument, NULL, OPT_SYNC },
    { "gc-interval", required_argument, NULL, OPT_GC_INTERVAL },
    { "gc-grace", required_argument, NULL, OPT_GC_GRACE },
    { "gc-delete-untagged", optional_argument, NULL, OPT_GC_UNTAGGED },
    { "audit-log", required_argument, NULL, OPT_AUDIT_LOG },
    { "auth", no_argument, NULL, OPT_AUTH },
    { "create-on-push", required_argument, NULL, OPT_CREATE_ON_PUSH },
    { "lifecycle-interval", required_argument, NULL, OPT_LC_INTERVAL },
    { "config", required_argument, NULL, 'c' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct registry reg = { .data_fd = -1 };
  registry_config_init(&reg.cfg);
  int level = WH_LOG_INFO;
  enum wh_log_format format = WH_LOG_TEXT;
  const char *port_file = NULL;
  int ret = -1;
  unsigned long v = 0;
  unsigned long long sz = 0;
  int c;

  /* A config file's settings go before the command line's flags, so the
   * flags win. */
  const char *config = NULL;
  for (int i = 1; i < argc; i++) {
    if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc)
      config = argv[i + 1];
    else if (strncmp(argv[i], "--config=", 9) == 0)
      config = argv[i] + 9;
  }
  char **cfg_args = NULL;
  size_t n_cfg = 0;
  _cleanup_free_ char **all = NULL;
  if (config && read_config(config, opts, &cfg_args, &n_cfg, err) < 0)
    goto out;
  all = calloc((size_t) argc + n_cfg + 1, sizeof(char *));
  if (!all) {
    wh_error_errno(err, "serve");
    goto out;
  }
  all[0] = argv[0];
  for (size_t i = 0; i < n_cfg; i++)
    all[1 + i] = cfg_args[i];
  for (int i = 1; i < argc; i++)
    all[n_cfg + (size_t) i] = argv[i];
  argc += (int) n_cfg;
  argv = all;

  optind = 1;
  opterr = 0; /* we report unknown options ourselves, once */
  while ((c = getopt_long(argc, argv, ":l:d:c:h", opts, NULL)) != -1) {
    switch (c) {
    case 'l':
      if (registry_config_set_listen(&reg.cfg, optarg, err) < 0)
        goto out;
      break;
    case 'd':
      free(reg.cfg.data_dir);
      reg.cfg.data_dir = strdup(optarg);
      break;
    case OPT_THREADS:
      if (parse_uint(optarg, "--threads", 1024, &v, err) < 0)
        goto out;
      reg.cfg.threads = (unsigned) v;
      break;
    case OPT_DRAIN:
      if (parse_uint(optarg, "--drain-timeout", 86400, &v, err) < 0)
        goto out;
      reg.cfg.drain_seconds = (unsigned) v;
      break;
    case OPT_TLS_CERT:
      free(reg.cfg.tls_cert);
      reg.cfg.tls_cert = strdup(optarg);
      break;
    case OPT_TLS_KEY:
      free(reg.cfg.tls_key);
      reg.cfg.tls_key = strdup(optarg);
      break;
    case OPT_LOG_LEVEL:
      level = wh_log_level_parse(optarg);
      if (level < 0) {
        wh_error_set(err, WH_ERR_INVALID,
                     "--log-level: '%s' is not one of debug, info, warn, error, off", optarg);
        goto out;
      }
      break;
    case OPT_LOG_FORMAT:
      if (strcmp(optarg, "text") == 0)
        format = WH_LOG_TEXT;
      else if (strcmp(optarg, "json") == 0)
        format = WH_LOG_JSON;
      else {
        wh_error_set(err, WH_ERR_INVALID, "--log-format: '%s' is not text or json", optarg);
        goto out;
      }
      break;
    case OPT_PORT_FILE:
      port_file = optarg;
      break;
    case OPT_EXPIRY:
      if (parse_duration(optarg, "--upload-expiry", &v, err) < 0)
        goto out;
      reg.cfg.upload_expiry_s = (unsigned) v;
      break;
    case OPT_MAX_MANIFEST:
      if (parse_size(optarg, "--max-manifest-size", &sz, err) < 0)
        goto out;
      reg.cfg.max_manifest_size = sz;
      break;
    case OPT_SYNC:
      if (strcmp(optarg, "full") == 0)
        reg.cfg.sync_full = true;
      else if (strcmp(optarg, "normal") == 0)
        reg.cfg.sync_full = false;
      else {
        wh_error_set(err, WH_ERR_INVALID, "--sync: '%s' is not full or normal", optarg);
        goto out;
      }
      break;
    case OPT_GC_INTERVAL:
      if (registry_parse_duration0(optarg, "--gc-interval", &v, err) < 0)
        goto out;
      reg.cfg.gc_interval_s = (unsigned) v;
      break;
    case OPT_GC_GRACE:
      if (registry_parse_duration0(optarg, "--gc-grace", &v, err) < 0)
        goto out;
      reg.cfg.gc_grace_s = (unsigned) v;
      break;
    case OPT_GC_UNTAGGED:
      /* A flag, or `gc-delete-untagged = true|false` in a config file. */
      if (!optarg || strcmp(optarg, "true") == 0)
        reg.cfg.gc_delete_untagged = true;
      else if (strcmp(optarg, "false") == 0)
        reg.cfg.gc_delete_untagged = false;
      else {
        wh_error_set(err, WH_ERR_INVALID, "--gc-delete-untagged: '%s' is not true or false",
                     optarg);
        goto out;
      }
      break;
    case OPT_AUDIT_LOG:
      free(reg.cfg.audit_log_path);
      reg.cfg.audit_log_path = strdup(optarg);
      break;
    case OPT_AUTH:
      reg.cfg.auth = true;
      break;
    case OPT_CREATE_ON_PUSH:
      if (strcmp(optarg, "yes") == 0 || strcmp(optarg, "true") == 0)
        reg.cfg.create_on_push = true;
      else if (strcmp(optarg, "no") == 0 || strcmp(optarg, "false") == 0)
        reg.cfg.create_on_push = false;
      else {
        wh_error_set(err, WH_ERR_INVALID, "--create-on-push: '%s' is not yes or no", optarg);
        goto out;
      }
      break;
    case OPT_LC_INTERVAL:
      if (strcmp(optarg, "0") == 0)
        v = 0;
      else if (parse_duration(optarg, "--lifecycle-interval", &v, err) < 0)
        goto out;
      reg.cfg.lifecycle_interval_s = (unsigned) v;
      break;
    case 'c':
      break; /* read above */
    case 'h':
      fputs(usage_serve, stdout);
      ret = 0;
      goto out;
    case ':':
      wh_error_set(err, WH_ERR_INVALID, "serve: option %s needs a value",
                   argv[optind - 1]);
      goto out;
    default:
      wh_error_set(err, WH_ERR_INVALID,
                   "serve: unknown option '%s' (see wharf-registry serve --help)",
                   argv[optind - 1]);
      goto out;
    }
  }
  if (optind < argc) {
    wh_error_set(err, WH_ERR_INVALID, "serve: unexpected argument '%s'", argv[optind]);
    goto out;
  }
  wh_log_setup((enum wh_log_level) level, STDERR_FILENO, format);

  /* Signals are taken by sigwait() in this thread only: block them before
   * the request threads start, so those inherit the mask. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  if (registry_start(&reg, err) < 0) {
    registry_stop(&reg); /* closes what the failed start had opened */
    goto out;
  }
  unsigned port = registry_port(&reg);
  if (port_file && write_port_file(port_file, port, err) < 0) {
    registry_stop(&reg);
    goto out;
  }
  const char *host = reg.cfg.listen_addr;
  bool v6 = strchr(host, ':') != NULL;
  wh_log(WH_LOG_INFO, "start", "wharf-registry %s listening on %s://%s%s%s:%u data=%s sync=%s",
         WHARF_VERSION, reg.cfg.tls_cert ? "https" : "http", v6 ? "[" : "", host,
         v6 ? "]" : "", port, reg.cfg.data_dir, reg.cfg.sync_full ? "full" : "normal");

  int sig = 0;
  for (;;) {
    if (sigwait(&set, &sig) != 0)
      continue;
    if (sig == SIGHUP)
      continue; /* reserved for reloading configuration */
    break;
  }
  wh_log(WH_LOG_INFO, "stop", "signal %s: draining for up to %u s",
         sig == SIGTERM ? "SIGTERM" : "SIGINT", reg.cfg.drain_seconds);
  registry_stop(&reg);
  wh_log(WH_LOG_INFO, "stop", "stopped");
  ret = 0;
out:
  for (size_t i = 0; i < n_cfg; i++)
    free(cfg_args[i]);
  free(cfg_args);
  registry_config_free(&reg.cfg);
  return ret;
}

int main(int argc, char **argv)
{
  /* One malloc arena for every thread, set before any thread starts.
   * glibc gives each request thread an arena of its own; the freed
   * buffers of large uploads and the connections' memory pools then sit
   * in several arenas at once. Measured under 64 keep-alive manifest
   * GETs: 1.8 MB less peak RSS, the same requests/s (small allocations
   * go through glibc's per-thread cache without taking the lock). */
  mallopt(M_ARENA_MAX, 1);
  if (argc < 2) {
    fputs(usage_main, stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
    fputs(usage_main, stdout);
    return 0;
  }
  if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
    printf("wharf-registry %s\n", WHARF_VERSION);
    return 0;
  }
  if (strcmp(cmd, "help") == 0) {
    char *help_args[] = { argc > 2 ? argv[2] : NULL, (char *) "--help", NULL };
    if (argc > 2 && strcmp(argv[2], "serve") == 0)
      fputs(usage_serve, stdout);
    else if (argc > 2 && (strcmp(argv[2], "user") == 0 || strcmp(argv[2], "lifecycle") == 0))
      return (argv[2][0] == 'u' ? cmd_user : cmd_lifecycle)(2, help_args, NULL) < 0;
    else if (argc > 2 && strcmp(argv[2], "gc") == 0)
      return registry_cmd_gc(2, help_args, NULL) < 0;
    else if (argc > 2 && strcmp(argv[2], "repo") == 0)
      return registry_cmd_repo(2, help_args, NULL) < 0;
    else
      fputs(usage_main, stdout);
    return 0;
  }
  _cleanup_error_ struct wh_error *err = NULL;
  int r;
  if (strcmp(cmd, "serve") == 0) {
    r = cmd_serve(argc - 1, argv + 1, &err);
  } else if (strcmp(cmd, "gc") == 0) {
    r = registry_cmd_gc(argc - 1, argv + 1, &err);
  } else if (strcmp(cmd, "repo") == 0) {
    r = registry_cmd_repo(argc - 1, argv + 1, &err);
  } else if (strcmp(cmd, "user") == 0) {
    r = cmd_user(argc - 1, argv + 1, &err);
  } else if (strcmp(cmd, "lifecycle") == 0) {
    r = cmd_lifecycle(argc - 1, argv + 1, &err);
  } else {
    fprintf(stderr, "wharf-registry: unknown command '%s'\n\n%s", cmd, usage_main);
    return 2;
  }
  if (r < 0) {
    fprintf(stderr, "wharf-registry: %s\n", err ? err->msg : "failed");
    return err && err->kind == WH_ERR_INVALID ? 2 : 1;
  }
  return 0;
}
