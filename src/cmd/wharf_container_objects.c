/* wharf_container_objects.c: `volume …` and `network …` commands. */
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

int cmd_volume(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option lo[] = {{"force", no_argument, NULL, 'f'},
                                     {"quiet", no_argument, NULL, 'q'},
                                     {"format", required_argument, NULL, 'F'}, {0}};
  if (argc < 2)
    return wh_error_set(err, WH_ERR_INVALID, "usage: wharf volume create|ls|inspect|rm|prune");
  const char *sub = argv[1];
  struct flags f = {0};
  bool ls = !strcmp(sub, "ls") || !strcmp(sub, "list");
  int min = !strcmp(sub, "inspect") || !strcmp(sub, "rm") ? 1 : 0;
  if (simple_opts(argc - 1, argv + 1, "+fq", lo, min, "wharf volume create|ls|inspect|rm|prune", on_flag, &f, err) < 0)
    return -1;
  argc--;
  argv++;
  _cleanup_engine_ struct engine *e = NULL;
  if (open_engine(g, &e, err) < 0)
    return -1;
  if (!strcmp(sub, "create")) {
    _cleanup_json_ json_t *v = engine_volume_create(e, optind < argc ? argv[optind] : NULL, err);
    if (!v)
      return -1;
    puts(json_string_value(json_object_get(v, "Name")));
  } else if (ls) {
    _cleanup_json_ json_t *l = engine_volume_list(e, err);
    if (!l)
      return -1;
    if (f.json) {
      print_json(l);
      return 0;
    }
    if (!f.q)
      printf("%-8s  %s\n", "DRIVER", "VOLUME NAME");
    size_t i;
    json_t *v;
    json_array_foreach(l, i, v) {
      if (f.q)
        puts(json_string_value(json_object_get(v, "Name")));
      else
        printf("%-8s  %s\n", "local", json_string_value(json_object_get(v, "Name")));
    }
  } else if (!strcmp(sub, "inspect")) {
    _cleanup_json_ json_t *out = json_array();
    for (int i = optind; i < argc; i++) {
      json_t *v = engine_volume_inspect(e, argv[i], err);
      if (!v)
        return -1;
      json_array_append_new(out, v);
    }
    print_json(out);
  } else if (!strcmp(sub, "rm") || !strcmp(sub, "remove")) {
    for (int i = optind; i < argc; i++) {
      if (engine_volume_remove(e, argv[i], f.f, err) < 0)
        return -1;
      puts(argv[i]);
    }
  } else if (!strcmp(sub, "prune")) {
    _cleanup_strv_ char **names = NULL;
    if (engine_volume_prune(e, &names, err) < 0)
      return -1;
    print_strv(names);
  } else {
    return wh_error_set(err, WH_ERR_INVALID, "unknown command: wharf volume %s", sub);
  }
  return 0;
}

int cmd_network(struct globals *g, int argc, char **argv, struct wh_error **err)
{
  enum { O_SUBNET = 300, O_GATEWAY, O_INTERNAL, O_OPT, O_FORMAT, O_QUIET, O_FORCE };
  static const struct option lo[] = {
    {"subnet", required_argument, NULL, O_SUBNET}, {"gateway", required_argument, NULL, O_GATEWAY},
    {"internal", no_argument, NULL, O_INTERNAL}, {"opt", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, O_FORMAT}, {"quiet", no_argument, NULL, 'q'},
    {"force", no_argument, NULL, 'f'}, {0}};
  if (argc < 2)
    return wh_error_set(err, WH_ERR_INVALID, "usage: wharf network create|ls|inspect|rm|prune");
  const char *sub = argv[1];
  struct engine_network_create nc = {0};
  bool json = false, quiet = false;
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc - 1, argv + 1, "+o:qfd:", lo, NULL)) != -1) {
    switch (opt) {
    case O_SUBNET: nc.subnet = optarg; break;
    case O_GATEWAY: nc.gateway = optarg; break;
    case O_INTERNAL: nc.internal = true; break;
    case 'o':
      if (!strncmp(optarg, "com.docker.network.bridge.name=", 31))
        nc.bridge = optarg + 31;
      else if (!strncmp(optarg, "bridge=", 7))
        nc.bridge = optarg + 7;
      else
        return wh_error_set(err, WH_ERR_INVALID, "unknown network option \"%s\"", optarg);
      break;
    case 'd':
      if (strcmp(optarg, "bridge"))
        return wh_error_set(err, WH_ERR_INVALID, "driver %s: only bridge is supported", optarg);
      break;
    case O_FORMAT:
      if (strcmp(optarg, "json"))
        return wh_error_set(err, WH_ERR_INVALID, "--format: only json is supported");
      json = true;
      break;
    case 'q': quiet = true; break;
    case 'f': break;
    default:
      return wh_error_set(err, WH_ERR_INVALID, "network %s: unknown or incomplete flag %s", sub, argv[optind]);
    }
  }
  argc--;
  argv++;
  _cleanup_engine_ struct engine *e = NULL;
  if (open_engine(g, &e, err) < 0)
    return -1;
  if (!strcmp(sub, "create")) {
    if (optind >= argc)
      return wh_error_set(err, WH_ERR_INVALID, "usage: wharf network create [--subnet CIDR] [--gateway IP] [--internal] [-o bridge=NAME] NAME");
    nc.name = argv[optind];
    _cleanup_json_ json_t *n = engine_network_create(e, &nc, err);
    if (!n)
      return -1;
    puts(json_string_value(json_object_get(n, "Id")));
  } else if (!strcmp(sub, "ls") || !strcmp(sub, "list")) {
    _cleanup_json_ json_t *l = engine_network_list(e, err);
    if (!l)
      return -1;
    if (json) {
      print_json(l);
      return 0;
    }
    if (!quiet)
      printf("%-12s  %-20s  %-8s  %s\n", "NETWORK ID", "NAME", "DRIVER", "SUBNET");
    size_t i;
    json_t *n;
    json_array_foreach(l, i, n) {
      if (quiet) {
        puts(json_string_value(json_object_get(n, "Name")));
        continue;
      }
      printf("%.12s  %-20s  %-8s  %s\n", json_string_value(json_object_get(n, "Id")),
             json_string_value(json_object_get(n, "Name")), "bridge",
             json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(n, "IPAM"), "Config"), 0), "Subnet")));
    }
  } else if (!strcmp(sub, "inspect")) {
    _cleanup_json_ json_t *out = json_array();
    if (optind >= argc)
      return wh_error_set(err, WH_ERR_INVALID, "usage: wharf network inspect NETWORK...");
    for (int i = optind; i < argc; i++) {
      json_t *n = engine_network_inspect(e, argv[i], err);
      if (!n)
        return -1;
      json_array_append_new(out, n);
    }
    print_json(out);
  } else if (!strcmp(sub, "rm") || !strcmp(sub, "remove")) {
    if (optind >= argc)
      return wh_error_set(err, WH_ERR_INVALID, "usage: wharf network rm NETWORK...");
    for (int i = optind; i < argc; i++) {
      if (engine_network_remove(e, argv[i], err) < 0)
        return -1;
      puts(argv[i]);
    }
  } else if (!strcmp(sub, "prune")) {
    _cleanup_strv_ char **names = NULL;
    if (engine_network_prune(e, &names, err) < 0)
      return -1;
    print_strv(names);
  } else {
    return wh_error_set(err, WH_ERR_INVALID, "unknown command: wharf network %s", sub);
  }
  return 0;
}

