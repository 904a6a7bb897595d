/* wharf-registry: the OCI Distribution registry server's command line.
 *
 *   wharf-registry serve [--listen ADDR:PORT] [--data DIR] [options]
 *
 * A thin layer: parse flags into a registry_config, start the server,
 * wait for SIGTERM or SIGINT, drain, exit. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/log.h"
#include "registry/registry.h"

static const char usage_main[] =
  "Usage: wharf-registry COMMAND [OPTIONS]\n"
  "\n"
  "An OCI Distribution v1.1 registry.\n"
  "\n"
  "Commands:\n"
  "  serve      run the registry server in the foreground\n"
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
  "  -h, --help                 show this help\n"
  "\n"
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
         OPT_LOG_FORMAT, OPT_PORT_FILE };
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
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct registry reg = { .data_fd = -1 };
  registry_config_init(&reg.cfg);
  int level = WH_LOG_INFO;
  enum wh_log_format format = WH_LOG_TEXT;
  const char *port_file = NULL;
  int ret = -1;
  unsigned long v;
  int c;
  optind = 1;
  opterr = 0; /* we report unknown options ourselves, once */
  while ((c = getopt_long(argc, argv, ":l:d:h", opts, NULL)) != -1) {
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

  if (registry_start(&reg, err) < 0)
    goto out;
  unsigned port = registry_port(&reg);
  if (port_file && write_port_file(port_file, port, err) < 0) {
    registry_stop(&reg);
    goto out;
  }
  const char *host = reg.cfg.listen_addr;
  bool v6 = strchr(host, ':') != NULL;
  wh_log(WH_LOG_INFO, "start", "wharf-registry %s listening on %s://%s%s%s:%u data=%s",
         WHARF_VERSION, reg.cfg.tls_cert ? "https" : "http", v6 ? "[" : "", host,
         v6 ? "]" : "", port, reg.cfg.data_dir);

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
  registry_config_free(&reg.cfg);
  return ret;
}

int main(int argc, char **argv)
{
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
    if (argc > 2 && strcmp(argv[2], "serve") == 0)
      fputs(usage_serve, stdout);
    else
      fputs(usage_main, stdout);
    return 0;
  }
  _cleanup_error_ struct wh_error *err = NULL;
  int r;
  if (strcmp(cmd, "serve") == 0) {
    r = cmd_serve(argc - 1, argv + 1, &err);
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
