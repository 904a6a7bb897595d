/* image_link.c: the engine's side of the image store, before the store
 * (issue 5) is merged: every image reference is unknown, so containers run
 * from --rootfs directories only. Replaced by calls into image/store.h at
 * the merge; nothing else in the engine changes. */
#include "base/error.h"
#include "image_link.h"
#include "internal.h"

int image_resolve(struct engine *e, const char *ref, char **image_id,
                  char **name, json_t **config, struct wh_error **err)
{
  (void) e;
  *image_id = NULL;
  *name = NULL;
  *config = NULL;
  return wh_error_set(err, WH_ERR_NOT_FOUND,
                      "%s: image not known (this build has no image store; use --rootfs DIR)", ref);
}

int image_lowerdirs(struct engine *e, const char *image_id, char **out,
                    struct wh_error **err)
{
  (void) e;
  *out = NULL;
  return wh_error_set(err, WH_ERR_NOT_FOUND, "image %s: no image store in this build", image_id);
}

json_t *image_config_by_id(struct engine *e, const char *image_id,
                           struct wh_error **err)
{
  (void) e;
  wh_error_set(err, WH_ERR_NOT_FOUND, "image %s: no image store in this build", image_id);
  return NULL;
}

int image_add_user(struct engine *e, const char *image_id, const char *ctr_id,
                   struct wh_error **err)
{
  (void) e, (void) image_id, (void) ctr_id, (void) err;
  return 0;
}

int image_remove_user(struct engine *e, const char *ctr_id, struct wh_error **err)
{
  (void) e, (void) ctr_id, (void) err;
  return 0;
}
