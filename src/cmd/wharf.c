/* wharf: the daemonless container engine's command line. Image commands
 * (pull, push, images, …) and container commands (run, ps, …) arrive with
 * their issues; until then this answers --version and --help only. */
#include <stdio.h>
#include <string.h>

static const char usage[] =
  "Usage: wharf [OPTIONS] COMMAND\n"
  "\n"
  "A daemonless container engine. No commands are available in this build\n"
  "yet.\n";

int main(int argc, char **argv)
{
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
