/* image_link.h: what the engine needs from the image store (image/store.h):
 * resolving a reference to an image id and config, and the layer
 * directories an overlay stacks. Kept behind these two calls so the run
 * path links the store only, never the registry client. */
#pragma once

#include <jansson.h>

struct engine;
struct wh_error;

/* ref → image id (config digest), the canonical name, and the image
 * config's "config" object (new reference). WH_ERR_NOT_FOUND if absent. */
int image_resolve(struct engine *e, const char *ref, char **image_id,
                  char **name, json_t **config, struct wh_error **err);
/* The overlay lowerdir= value for an image: its layer directories, top
 * first, joined with ':'. */
int image_lowerdirs(struct engine *e, const char *image_id, char **out,
                    struct wh_error **err);
/* The image config's "config" object by image id (new reference). */
json_t *image_config_by_id(struct engine *e, const char *image_id,
                           struct wh_error **err);
/* Close the store handle a command opened (before fork, and at the end). */
void image_link_close(struct engine *e);
/* Tell the store a container uses / stops using an image. */
int image_add_user(struct engine *e, const char *image_id, const char *ctr_id,
                   struct wh_error **err);
int image_remove_user(struct engine *e, const char *ctr_id, struct wh_error **err);
/* After a reboot (a boot id the database has not seen), make the store's
 * image users match the containers again: users are written without
 * waiting for the disk, so a power loss may have dropped the last ones
 * (image/store.c). Cheap otherwise: one small read and one query. */
int image_users_check_boot(struct engine *e, struct wh_error **err);
