/* wharf_registry_cmds.h: wharf-registry's commands beyond `serve`
 * (wharf_registry_gc.c). */
#pragma once

struct wh_error;

/* "0", "off", "90", "90s", "30m", "24h", "7d" → seconds (0 allowed). */
int registry_parse_duration0(const char *s, const char *what, unsigned long *out,
                             struct wh_error **err);
int registry_cmd_gc(int argc, char **argv, struct wh_error **err);
int registry_cmd_repo(int argc, char **argv, struct wh_error **err);
