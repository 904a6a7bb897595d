/* wharf: the daemonless container engine's command line. Image commands
 * (pull, push, images, …) and container commands (run, ps, …) arrive with
 * their issues; until then this answers --version and --help only. */
#include <stdio.h>
#include <string.h>

#include "wharf_container.h"

static const char usage[] =
  "Usage: wharf [OPTIONS] COMMAND\n"
  "\n"
  "A daemonless container engine. No commands are available in this build\n"
  "yet.\n";

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
         !strcmp(argv[i], "--nft-table")))
      i++;
  }
  return NULL;
}

int main(int argc, char **argv)
{
  const char *cmd = command_name(argc, argv);
  if (cmd && wharf_container_has_command(cmd))
    return wharf_container_main(argc, argv);
  if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0)) {
    printf("wharf version %s\n", WHARF_VERSION);
    return 0;
  }
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs(usage, stdout);
    return 0;
  }
  fprintf(stderr, "wharf: %s%s: no such command in this build\n",
          argc >= 2 ? "" : "missing command", argc >= 2 ? argv[1] : "");
  return 125;
}
