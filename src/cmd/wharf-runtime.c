/* wharf-runtime: an OCI runtime with runc's command line. The commands
 * arrive with the runtime issue (see docs/runtime.md); until then this
 * entry point answers --version and --help and refuses everything else. */
#include <stdio.h>
#include <string.h>

static const char usage[] =
  "Usage: wharf-runtime [GLOBAL OPTIONS] COMMAND [OPTIONS] ID\n"
  "\n"
  "An OCI runtime with runc's command line. No commands are available in\n"
  "this build yet.\n";

int main(int argc, char **argv)
{
  if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0)) {
    printf("wharf-runtime version %s\nspec: 1.1.0\n", WHARF_VERSION);
    return 0;
  }
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs(usage, stdout);
    return 0;
  }
  fprintf(stderr, "wharf-runtime: %s%s: no such command in this build\n",
          argc >= 2 ? "" : "missing command", argc >= 2 ? argv[1] : "");
  return 2;
}
