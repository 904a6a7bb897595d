/* image_link.c: the engine's side of the image store (image/store.h).
 *
 * The store lives under the same --root (ROOT/wharf.db, ROOT/layers/);
 * the engine opens it for each call with a shared lock, so a pull (which
 * takes the exclusive one) waits for a container being created and never
 * removes a layer under it; image_store_add_user marks an image as used
 * so rmi refuses it while a container exists. Only the store is linked
 * here, never the registry client. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "image/store.h"
#include "image_link.h"
#include "internal.h"

#define CONFIG_MAX (4 << 20)

static void infop(struct image_info *i)
{
  image_info_free(i);
}

/* One store handle per command, opened on first use: create looks an
 * image up, reads its config and layers and registers the container with
 * it, and each open is a lock, a database open and a check. */
static int open_store(struct engine *e, struct image_store **s, struct wh_error **err)
{
  if (!e->store && image_store_open(engine_root(e), false, &e->store, err) < 0)
    return -1;
  *s = e->store;
  return 0;
}

void image_link_close(struct engine *e)
{
  if (e->store)
    image_store_close(e->store);
  e->store = NULL;
}

static json_t *config_of(struct image_store *s, const char *id, struct wh_error **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (image_store_blob_read(s, id, CONFIG_MAX, &data, &len, err) < 0)
    return NULL;
  _cleanup_json_ json_t *j = wh_json_parse(data, len, "image config", err);
  if (!j)
    return NULL;
  json_t *c = json_object_get(j, "config");
  if (c && !json_is_object(c)) {
    wh_error_set(err, WH_ERR_INVALID, "image %.19s: config is not an object", id);
    return NULL;
  }
  return c ? json_incref(c) : json_object();
}

int image_resolve(struct engine *e, const char *ref, char **image_id,
                  char **name, json_t **config, struct wh_error **err)
{
  struct image_store *s = NULL;
  _cleanup_(infop) struct image_info info = {0};
  *image_id = *name = NULL;
  *config = NULL;
  if (open_store(e, &s, err) < 0)
    return -1;
  if (image_store_lookup(s, ref, &info, err) < 0)
    return wh_error_wrap(err, "image %s", ref);
  *config = config_of(s, info.id, err);
  if (!*config)
    return -1;
  *image_id = strdup(info.id);
  *name = strdup(info.names && info.names[0] ? info.names[0] : ref);
  if (!*image_id || !*name)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  return 0;
}

int image_lowerdirs(struct engine *e, const char *image_id, char **out,
                    struct wh_error **err)
{
  struct image_store *s = NULL;
  _cleanup_(infop) struct image_info info = {0};
  if (open_store(e, &s, err) < 0 || image_store_lookup(s, image_id, &info, err) < 0)
    return -1;
  if (info.n_layers == 0)
    return wh_error_set(err, WH_ERR_INVALID, "image %.19s has no layers", image_id);
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  /* overlay lists the top layer first; the store keeps them bottom first. */
  for (size_t i = info.n_layers; i-- > 0;) {
    _cleanup_free_ char *p = image_store_layer_path(s, info.chain_ids[i]);
    if (!p)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    if (strchr(p, ':') || strchr(p, ','))
      return wh_error_set(err, WH_ERR_INVALID, "layer path %s has ':' or ','", p);
    wh_buf_printf(&b, "%s%s", b.len ? ":" : "", p);
  }
  *out = wh_buf_steal(&b);
  return *out ? 0 : wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
}

json_t *image_config_by_id(struct engine *e, const char *image_id,
                           struct wh_error **err)
{
  struct image_store *s = NULL;
  if (open_store(e, &s, err) < 0)
    return NULL;
  return config_of(s, image_id, err);
}

int image_add_user(struct engine *e, const char *image_id, const char *ctr_id,
                   struct wh_error **err)
{
  struct image_store *s = NULL;
  if (open_store(e, &s, err) < 0)
    return -1;
  return image_store_add_user(s, image_id, ctr_id, err);
}

int image_remove_user(struct engine *e, const char *ctr_id, struct wh_error **err)
{
  struct image_store *s = NULL;
  if (open_store(e, &s, err) < 0)
    return -1;
  return image_store_remove_user(s, ctr_id, err);
}

int image_users_check_boot(struct engine *e, struct wh_error **err)
{
  char boot[64] = "";
  _cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, boot, sizeof(boot) - 1) : -1;
  if (n <= 0)
    return 0;   /* no boot id (no /proc): nothing to compare with */
  boot[n] = 0;
  boot[strcspn(boot, "\n")] = 0;
  _cleanup_free_ char *seen = NULL;
  if (db_setting_get(e, "boot_id", &seen, err) < 0)
    return -1;
  if (seen && !strcmp(seen, boot))
    return 0;
  /* no store yet: no image can have users */
  if (faccessat(e->rootfd, "wharf.db", F_OK, 0) == 0) {
    _cleanup_json_ json_t *rows = db_query(e, "SELECT id, image_id FROM containers"
                                              " WHERE image_id IS NOT NULL", "", err);
    if (!rows)
      return -1;
    size_t k = json_array_size(rows);
    _cleanup_free_ const char *(*pairs)[2] = calloc(k ? k : 1, sizeof(*pairs));
    if (!pairs)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < k; i++) {
      json_t *r = json_array_get(rows, i);
      pairs[i][0] = json_string_value(json_object_get(r, "id"));
      pairs[i][1] = json_string_value(json_object_get(r, "image_id"));
    }
    struct image_store *s = NULL;
    if (open_store(e, &s, err) < 0 || image_store_sync_users(s, pairs, k, err) < 0)
      return wh_error_wrap(err, "image users after a reboot");
  }
  return db_setting_set(e, "boot_id", boot, err);
}
