/* wharf_container.h: the container commands of `wharf` (wharf_container.c),
 * called from wharf.c's dispatcher. */
#pragma once

#include <stdbool.h>

/* True if `name` is a container, volume or network command. */
bool wharf_container_has_command(const char *name);
/* Run `wharf [GLOBAL FLAGS] COMMAND ...`; returns the exit status. */
int wharf_container_main(int argc, char **argv);
