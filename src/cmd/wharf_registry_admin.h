/* wharf_registry_admin.h: `wharf-registry user …` and `lifecycle run`. */
#pragma once

struct wh_error;

int cmd_user(int argc, char **argv, struct wh_error **err);
int cmd_lifecycle(int argc, char **argv, struct wh_error **err);
