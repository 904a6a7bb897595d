/* wharf_image.h: the image commands of `wharf` (wharf_image*.c), called
 * from the dispatcher in wharf.c. Each parses its options and calls one
 * image-module function; errors go back up to main(), which prints them. */
#pragma once

#include <stdbool.h>

struct wh_error;

struct wharf_globals {
  const char *root;            /* --root */
  const char *registries_conf; /* --registries-conf */
};

typedef int (*wharf_cmd_fn)(const struct wharf_globals *g, int argc, char **argv,
                            struct wh_error **err);

int wharf_cmd_pull(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err);
int wharf_cmd_push(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err);
int wharf_cmd_images(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err);
int wharf_cmd_inspect(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err);
int wharf_cmd_history(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err);
int wharf_cmd_tag(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err);
int wharf_cmd_rmi(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err);
int wharf_cmd_prune(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err);
int wharf_cmd_df(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err);
int wharf_cmd_login(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err);
int wharf_cmd_logout(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err);
int wharf_cmd_save(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err);
int wharf_cmd_load(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err);
int wharf_cmd_import(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err);
