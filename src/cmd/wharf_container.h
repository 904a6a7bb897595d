/* wharf_container.h: the container commands of `wharf` (wharf_container.c),
 * called from wharf.c's dispatcher. */
#pragma once

#include <stdbool.h>

/* True if `name` is a container, volume or network command. */
bool wharf_container_has_command(const char *name);
/* `inspect` of something that is not a container: the image commands
 * answer it. */
#define WHARF_CONTAINER_NOT_MINE (-2)

/* Run `wharf [GLOBAL FLAGS] COMMAND ...`; returns the exit status, or
 * WHARF_CONTAINER_NOT_MINE. */
int wharf_container_main(int argc, char **argv);
