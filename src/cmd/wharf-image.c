/* wharf-image: the image half of wharf's command line (pull, push, images,
 * save, load, login, …). Users run `wharf`, which handles the container
 * commands itself and execs this program for the rest, so the run path
 * never loads libcurl and its TLS libraries (docs/engine.md).
 *
 *   wharf [--root DIR] [--registries-conf FILE] COMMAND [OPTIONS] [ARGS]
 *
 * One table of subcommands; each lives in a wharf_*.c file that parses
 * its options and calls the library. main() prints the error once and
 * picks the exit status (125 for wharf's own failures, as podman). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/log.h"
#include "wharf_image.h"

static const char usage[] =
  "Usage: wharf [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
  "\n"
  "A daemonless container engine.\n"
  "\n"
  "Image commands:\n"
  "  pull IMAGE            pull an image from a registry\n"
  "  push IMAGE [DEST]     push an image to a registry\n"
  "  images                list images (also: image ls)\n"
  "  image inspect IMAGE   show an image's details as JSON (also: inspect)\n"
  "  image history IMAGE   show the history of an image (also: history)\n"
  "  tag IMAGE NAME        give an image another name\n"
  "  rmi IMAGE...          remove images (also: image rm)\n"
  "  image prune           remove unused images\n"
  "  import FILE [NAME]    make an image from a root file system tar\n"
  "  save IMAGE -o FILE    write an image as an OCI layout or docker-archive tar\n"
  "  load -i FILE          read images from an OCI layout or docker-archive tar\n"
  "  system df             show disk usage\n"
  "  login REGISTRY        store credentials for a registry\n"
  "  logout REGISTRY       remove stored credentials\n"
  "\n"
  "Global options:\n"
  "      --root DIR               storage root (default /var/lib/wharf)\n"
  "      --registries-conf FILE   registries configuration (JSON; default\n"
  "                               $WHARF_REGISTRIES_CONF or /etc/wharf/registries.json)\n"
  "      --log-level LEVEL        debug, info, warn, error (default warn)\n"
  "  -h, --help                   show this help\n"
  "  -v, --version                print the version\n";

struct cmd {
  const char *name;
  const char *sub; /* second word ("image inspect"), or NULL */
  wharf_cmd_fn fn;
};

static const struct cmd cmds[] = {
  {"pull", NULL, wharf_cmd_pull},
  {"push", NULL, wharf_cmd_push},
  {"images", NULL, wharf_cmd_images},
  {"image", "ls", wharf_cmd_images},
  {"image", "list", wharf_cmd_images},
  {"image", "inspect", wharf_cmd_inspect},
  {"inspect", NULL, wharf_cmd_inspect},
  {"image", "history", wharf_cmd_history},
  {"history", NULL, wharf_cmd_history},
  {"tag", NULL, wharf_cmd_tag},
  {"image", "tag", wharf_cmd_tag},
  {"rmi", NULL, wharf_cmd_rmi},
  {"image", "rm", wharf_cmd_rmi},
  {"image", "prune", wharf_cmd_prune},
  {"image", "pull", wharf_cmd_pull},
  {"image", "push", wharf_cmd_push},
  {"import", NULL, wharf_cmd_import},
  {"image", "import", wharf_cmd_import},
  {"save", NULL, wharf_cmd_save},
  {"image", "save", wharf_cmd_save},
  {"load", NULL, wharf_cmd_load},
  {"image", "load", wharf_cmd_load},
  {"system", "df", wharf_cmd_df},
  {"login", NULL, wharf_cmd_login},
  {"logout", NULL, wharf_cmd_logout},
};

int main(int argc, char **argv)
{
  struct wharf_globals g = {.root = "/var/lib/wharf"};
  enum { OPT_ROOT = 256, OPT_REGCONF, OPT_LOG };
  static const struct option opts[] = {
    {"root", required_argument, NULL, OPT_ROOT},
    {"registries-conf", required_argument, NULL, OPT_REGCONF},
    {"log-level", required_argument, NULL, OPT_LOG},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'v'},
    {NULL, 0, NULL, 0},
  };
  int level = WH_LOG_WARN;
  int c;
  /* "+": stop at the command; its options are its own */
  while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
    switch (c) {
    case OPT_ROOT: g.root = optarg; break;
    case OPT_REGCONF: g.registries_conf = optarg; break;
    case OPT_LOG:
      level = wh_log_level_parse(optarg);
      if (level < 0) {
        fprintf(stderr, "wharf: --log-level: unknown level \"%s\"\n", optarg);
        return 125;
      }
      break;
    case 'h': fputs(usage, stdout); return 0;
    case 'v': printf("wharf version %s\n", WHARF_VERSION); return 0;
    default: fputs(usage, stderr); return 125;
    }
  }
  wh_log_setup((enum wh_log_level) level, 2, WH_LOG_TEXT);
  if (optind >= argc) {
    fputs(usage, stderr);
    return 125;
  }
  const char *name = argv[optind];
  if (strcmp(name, "version") == 0) {
    printf("wharf version %s\n", WHARF_VERSION);
    return 0;
  }
  if (strcmp(name, "help") == 0) {
    fputs(usage, stdout);
    return 0;
  }
  const char *sub = optind + 1 < argc ? argv[optind + 1] : NULL;
  for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
    if (strcmp(cmds[i].name, name) != 0)
      continue;
    if (cmds[i].sub && (!sub || strcmp(cmds[i].sub, sub) != 0))
      continue;
    int skip = cmds[i].sub ? 1 : 0;
    struct wh_error *err = NULL;
    optind += skip;
    int nargc = argc - optind;
    char **nargv = argv + optind;
    optind = 0; /* reset getopt for the command */
    int rc = cmds[i].fn(&g, nargc, nargv, &err);
    if (rc < 0) {
      fprintf(stderr, "wharf: %s\n", err && err->msg ? err->msg : "failed");
      int status = err && err->kind == WH_ERR_NOT_FOUND ? 125 : 125;
      wh_error_free(err);
      return status;
    }
    wh_error_free(err);
    return rc;
  }
  fprintf(stderr, "wharf: unknown command \"%s%s%s\" (see wharf --help)\n", name,
          sub ? " " : "", sub ? sub : "");
  return 125;
}
