/* wharf_container_run.c: `run` and `create`: their flags into docker's
 * Config and HostConfig JSON (values checked by engine/parse.c), then
 * engine_container_create and, for run, engine_container_start. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "engine/engine.h"
#include "wharf_container_internal.h"

/* --- run / create --- */

enum {
  OPT_NAME = 1000, OPT_RM, OPT_ENV_FILE, OPT_MOUNT, OPT_TMPFS, OPT_NETWORK, OPT_HOSTNAME,
  OPT_ADD_HOST, OPT_DNS, OPT_ENTRYPOINT, OPT_MEMORY, OPT_CPUS, OPT_PIDS, OPT_ULIMIT,
  OPT_DEVICE, OPT_READ_ONLY, OPT_CAP_ADD, OPT_CAP_DROP, OPT_PRIVILEGED, OPT_SECURITY_OPT,
  OPT_RESTART, OPT_INIT, OPT_RUNTIME, OPT_ROOTFS, OPT_STOP_SIGNAL, OPT_PUBLISH_ALL, OPT_EXPOSE,
  OPT_DETACH_KEYS,
};

static const struct option run_opts[] = {
  {"detach", no_argument, NULL, 'd'},
  {"interactive", no_argument, NULL, 'i'},
  {"tty", no_argument, NULL, 't'},
  {"rm", no_argument, NULL, OPT_RM},
  {"name", required_argument, NULL, OPT_NAME},
  {"env", required_argument, NULL, 'e'},
  {"env-file", required_argument, NULL, OPT_ENV_FILE},
  {"volume", required_argument, NULL, 'v'},
  {"mount", required_argument, NULL, OPT_MOUNT},
  {"tmpfs", required_argument, NULL, OPT_TMPFS},
  {"publish", required_argument, NULL, 'p'},
  {"publish-all", no_argument, NULL, 'P'},
  {"expose", required_argument, NULL, OPT_EXPOSE},
  {"network", required_argument, NULL, OPT_NETWORK},
  {"net", required_argument, NULL, OPT_NETWORK},
  {"hostname", required_argument, NULL, 'h'},
  {"add-host", required_argument, NULL, OPT_ADD_HOST},
  {"dns", required_argument, NULL, OPT_DNS},
  {"user", required_argument, NULL, 'u'},
  {"workdir", required_argument, NULL, 'w'},
  {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
  {"memory", required_argument, NULL, 'm'},
  {"cpus", required_argument, NULL, OPT_CPUS},
  {"pids-limit", required_argument, NULL, OPT_PIDS},
  {"ulimit", required_argument, NULL, OPT_ULIMIT},
  {"device", required_argument, NULL, OPT_DEVICE},
  {"read-only", no_argument, NULL, OPT_READ_ONLY},
  {"cap-add", required_argument, NULL, OPT_CAP_ADD},
  {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
  {"privileged", no_argument, NULL, OPT_PRIVILEGED},
  {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
  {"restart", required_argument, NULL, OPT_RESTART},
  {"init", no_argument, NULL, OPT_INIT},
  {"runtime", required_argument, NULL, OPT_RUNTIME},
  {"rootfs", required_argument, NULL, OPT_ROOTFS},
  {"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
  {"detach-keys", required_argument, NULL, OPT_DETACH_KEYS},
  {NULL, 0, NULL, 0},
};

struct run_args {
  struct engine_create c;
  bool detach, interactive, tty;
  unsigned char detach_keys[ENGINE_DETACH_KEYS_MAX];
  size_t detach_len;
};

static int parse_run(int argc, char **argv, struct run_args *r, struct wh_error **err)
{
  json_t *cfg = r->c.config, *hc = r->c.host_config;
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "+dite:v:p:Ph:u:w:m:", run_opts, NULL)) != -1) {
    json_t *j = NULL;
    int64_t n;
    char *end;
    switch (opt) {
    case 'd': r->detach = true; break;
    case 'i': r->interactive = true; break;
    case 't': r->tty = true; break;
    case OPT_DETACH_KEYS:
      if (engine_parse_detach_keys(optarg, r->detach_keys, &r->detach_len, err) < 0)
        return -1;
      break;
    case OPT_RM: json_object_set_new(hc, "AutoRemove", json_true()); break;
    case OPT_NAME: r->c.name = optarg; break;
    case 'e':
      if (!strchr(optarg, '=')) {
        const char *v = getenv(optarg);
        if (!v)
          break;
        _cleanup_free_ char *kv = NULL;
        if (asprintf(&kv, "%s=%s", optarg, v) < 0)
          return -1;
        json_array_append_new(arr_get(cfg, "Env"), json_string(kv));
      } else {
        json_array_append_new(arr_get(cfg, "Env"), json_string(optarg));
      }
      break;
    case OPT_ENV_FILE:
      if (engine_parse_env_file(optarg, arr_get(cfg, "Env"), err) < 0)
        return -1;
      break;
    case 'v': j = engine_parse_volume(optarg, err); goto mount;
    case OPT_MOUNT: j = engine_parse_mount(optarg, err); goto mount;
    case OPT_TMPFS: j = engine_parse_tmpfs(optarg, err);
    mount:
      if (!j)
        return -1;
      json_array_append_new(arr_get(hc, "Mounts"), j);
      break;
    case 'p':
      if (engine_parse_publish(optarg, cfg, hc, err) < 0)
        return -1;
      break;
    case 'P': json_object_set_new(hc, "PublishAllPorts", json_true()); break;
    case OPT_EXPOSE: {
      long port = strtol(optarg, &end, 10);
      if (port < 1 || port > 65535 || (*end && strcmp(end, "/tcp") && strcmp(end, "/udp")))
        return wh_error_set(err, WH_ERR_INVALID, "--expose \"%s\": expected PORT[/tcp|udp]", optarg);
      char key[32];
      snprintf(key, sizeof(key), "%ld%s", port, *end ? end : "/tcp");
      json_t *ex = json_object_get(cfg, "ExposedPorts");
      if (!ex) {
        ex = json_object();
        json_object_set_new(cfg, "ExposedPorts", ex);
      }
      json_object_set_new(ex, key, json_object());
      break;
    }
    case OPT_NETWORK: json_object_set_new(hc, "NetworkMode", json_string(optarg)); break;
    case 'h': json_object_set_new(cfg, "Hostname", json_string(optarg)); break;
    case OPT_ADD_HOST:
      if (engine_parse_add_host(optarg, err) < 0)
        return -1;
      json_array_append_new(arr_get(hc, "ExtraHosts"), json_string(optarg));
      break;
    case OPT_DNS: json_array_append_new(arr_get(hc, "Dns"), json_string(optarg)); break;
    case 'u': json_object_set_new(cfg, "User", json_string(optarg)); break;
    case 'w':
      if (optarg[0] != '/')
        return wh_error_set(err, WH_ERR_INVALID, "--workdir \"%s\": must be an absolute path", optarg);
      json_object_set_new(cfg, "WorkingDir", json_string(optarg));
      break;
    case OPT_ENTRYPOINT:
      j = json_array();
      if (*optarg)
        json_array_append_new(j, json_string(optarg));
      json_object_set_new(cfg, "Entrypoint", j);
      break;
    case 'm':
      if (engine_parse_size(optarg, &n, err) < 0)
        return wh_error_wrap(err, "--memory");
      if (n < 6 * 1024 * 1024)
        return wh_error_set(err, WH_ERR_INVALID, "--memory %s: the minimum is 6m", optarg);
      json_object_set_new(hc, "Memory", json_integer(n));
      break;
    case OPT_CPUS: {
      errno = 0;
      double d = strtod(optarg, &end);
      if (errno || *end || d <= 0 || d > 1024)
        return wh_error_set(err, WH_ERR_INVALID, "--cpus \"%s\": expected a positive number", optarg);
      json_object_set_new(hc, "NanoCpus", json_integer((json_int_t) (d * 1e9)));
      break;
    }
    case OPT_PIDS:
      errno = 0;
      n = strtoll(optarg, &end, 10);
      if (errno || *end || end == optarg || n < -1 || n == 0)
        return wh_error_set(err, WH_ERR_INVALID, "--pids-limit \"%s\": expected a positive number or -1", optarg);
      json_object_set_new(hc, "PidsLimit", json_integer(n));
      break;
    case OPT_ULIMIT:
      if (!(j = engine_parse_ulimit(optarg, err)))
        return -1;
      json_array_append_new(arr_get(hc, "Ulimits"), j);
      break;
    case OPT_DEVICE:
      if (!(j = engine_parse_device(optarg, err)))
        return -1;
      json_array_append_new(arr_get(hc, "Devices"), j);
      break;
    case OPT_READ_ONLY: json_object_set_new(hc, "ReadonlyRootfs", json_true()); break;
    case OPT_CAP_ADD: json_array_append_new(arr_get(hc, "CapAdd"), json_string(optarg)); break;
    case OPT_CAP_DROP: json_array_append_new(arr_get(hc, "CapDrop"), json_string(optarg)); break;
    case OPT_PRIVILEGED: json_object_set_new(hc, "Privileged", json_true()); break;
    case OPT_SECURITY_OPT:
      json_array_append_new(arr_get(hc, "SecurityOpt"), json_string(optarg));
      break;
    case OPT_RESTART:
      if (!(j = engine_parse_restart(optarg, err)))
        return -1;
      json_object_set_new(hc, "RestartPolicy", j);
      break;
    case OPT_INIT: json_object_set_new(hc, "Init", json_true()); break;
    case OPT_RUNTIME: json_object_set_new(hc, "Runtime", json_string(optarg)); break;
    case OPT_ROOTFS: r->c.rootfs = optarg; break;
    case OPT_STOP_SIGNAL: {
      int sig;
      if (engine_parse_signal(optarg, &sig, err) < 0)
        return -1;
      json_object_set_new(cfg, "StopSignal", json_string(optarg));
      break;
    }
    case '?':
    default:
      if (optopt && optopt < 256)
        return wh_error_set(err, WH_ERR_INVALID, "unknown or incomplete flag: -%c", optopt);
      return wh_error_set(err, WH_ERR_INVALID, "unknown or incomplete flag: %s", argv[optind - 1]);
    }
  }
  if (json_is_true(json_object_get(hc, "AutoRemove")) &&
      json_object_get(hc, "RestartPolicy") &&
      strcmp(json_string_value(json_object_get(json_object_get(hc, "RestartPolicy"), "Name")), "no"))
    return wh_error_set(err, WH_ERR_INVALID, "--restart and --rm cannot be used together");
  int i = optind;
  if (!r->c.rootfs) {
    if (i >= argc)
      return wh_error_set(err, WH_ERR_INVALID, "an image is required (wharf run [OPTIONS] IMAGE [COMMAND] [ARG...])");
    json_object_set_new(cfg, "Image", json_string(argv[i++]));
  }
  if (i < argc) {
    json_t *cmd = json_array();
    for (; i < argc; i++)
      json_array_append_new(cmd, json_string(argv[i]));
    json_object_set_new(cfg, "Cmd", cmd);
  }
  json_object_set_new(cfg, "Tty", json_boolean(r->tty));
  json_object_set_new(cfg, "OpenStdin", json_boolean(r->interactive));
  json_object_set_new(cfg, "AttachStdin", json_boolean(r->interactive && !r->detach));
  if (!json_object_get(hc, "NetworkMode"))
    json_object_set_new(hc, "NetworkMode", json_string("bridge"));
  return 0;
}

static int do_create(struct globals *g, int argc, char **argv, bool run, struct wh_error **err)
{
  _cleanup_json_ json_t *cfg = json_object(), *hc = json_object();
  struct run_args r = {.c = {.config = cfg, .host_config = hc}};
  if (parse_run(argc, argv, &r, err) < 0)
    return -1;
  /* before anything else: the grace period of the cgroup move runs while
   * the container is prepared */
  __attribute__((cleanup(engine_warm_done))) pid_t warm = run ? engine_warm_start() : -1;
  _cleanup_engine_ struct engine *e = NULL;
  _cleanup_free_ char *id = NULL;
  if (open_engine(g, &e, err) < 0 || engine_container_create(e, &r.c, &id, err) < 0)
    return -1;
  if (!run) {
    puts(id);
    return 0;
  }
  struct engine_start s = {.attach = !r.detach, .attach_stdin = r.interactive && !r.detach,
                           .in_fd = 0, .out_fd = 1, .err_fd = 2, .forward_signals = true,
                           .detach_len = r.detach_len};
  memcpy(s.detach_keys, r.detach_keys, sizeof(s.detach_keys));
  int code = 0;
  if (engine_container_start(e, id, &s, &code, err) < 0)
    return -1;
  if (r.detach) {
    puts(id);
    return 0;
  }
  return code == ENGINE_DETACHED ? 0 : code;
}

int cmd_run(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  return do_create(g, argc, argv, true, err);
}

int cmd_create(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  return do_create(g, argc, argv, false, err);
}

