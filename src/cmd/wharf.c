/* wharf.c: main() of `wharf`, the program users run.
 *
 * Container commands (run, ps, exec, …; wharf_container.c) are handled
 * here, in a binary that links the engine and the image store but not the
 * registry client, so `wharf run` loads no libcurl or TLS library at
 * start-up (DESIGN.md: start-up is part of the hot path). Every other
 * command (pull, push, images, …) is the image command line, which needs
 * the client: this execs `wharf-image` (wharf.c) from the same directory
 * (or libexec) with the same arguments. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wharf_container.h"

/* The first argument that is not a global flag (or a global flag's value)
 * names the command. */
static const char *command_name(int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] != '-')
      return argv[i];
    if (!strchr(argv[i], '=') && i + 1 < argc &&
        (!strcmp(argv[i], "--root") || !strcmp(argv[i], "--runroot") ||
         !strcmp(argv[i], "--bridge") || !strcmp(argv[i], "--bridge-subnet") ||
         !strcmp(argv[i], "--nft-table") || !strcmp(argv[i], "--registries-conf") ||
         !strcmp(argv[i], "--log-level")))
      i++;
  }
  return NULL;
}

static void exec_image_commands(int argc, char **argv)
{
  /* The image command line does not know the container-only flags. */
  int n = 1;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && (!strcmp(argv[i], "--runroot") || !strcmp(argv[i], "--bridge") ||
                         !strcmp(argv[i], "--bridge-subnet") || !strcmp(argv[i], "--nft-table"))) {
      i++;
      continue;
    }
    argv[n++] = argv[i];
  }
  argv[n] = NULL;
  const char *env = getenv("WHARF_IMAGE_HELPER");
  char self[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (env && *env)
    execv(env, argv);
  if (len > 0) {
    self[len] = 0;
    char *slash = strrchr(self, '/');
    if (slash) {
      *slash = 0;
      static const char *const rel[] = {"wharf-image", "../libexec/wharf/wharf-image"};
      for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof(path), "%s/%s", self, rel[i]);
        execv(path, argv);
      }
    }
  }
  fprintf(stderr, "wharf: %s: the image commands (wharf-image) are not installed\n",
          argc > 1 ? argv[1] : "");
}

static const char container_usage[] =
  "Container commands (docs/engine.md):\n"
  "  run, create, start, stop, kill, rm, ps, logs, exec, attach, inspect,\n"
  "  wait, port, cp, top, stats, rename, container prune, info,\n"
  "  volume create|ls|inspect|rm|prune, network create|ls|inspect|rm|prune\n"
  "Container global options: --runroot DIR (default /run/wharf), --bridge NAME,\n"
  "  --bridge-subnet CIDR, --nft-table NAME\n\n";

int main(int argc, char **argv)
{
  const char *cmd = command_name(argc, argv);
  if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
                    !strcmp(argv[1], "help"))) {
    fputs(container_usage, stdout);
    fflush(stdout);
  }
  if (cmd && wharf_container_has_command(cmd)) {
    int rc = wharf_container_main(argc, argv);
    if (rc != WHARF_CONTAINER_NOT_MINE)
      return rc;
  }
  exec_image_commands(argc, argv);
  return 125;
}
