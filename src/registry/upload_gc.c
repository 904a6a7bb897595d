/* upload_gc.c: expiry of abandoned upload sessions, and the clean-up of
 * what a crash leaves behind, across the two stores. */
#include "registry/registry.h"

#include <stdint.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "registry/store_blob.h"
#include "registry/store_meta.h"

void registry_reap_uploads(struct registry *reg, int64_t before_ns)
{
  _cleanup_strv_ char **ids = NULL;
  _cleanup_error_ struct wh_error *e = NULL;
  if (meta_upload_list(reg->meta, before_ns, &ids, &e) < 0) {
    wh_log(WH_LOG_WARN, "uploads", "cannot list expired upload sessions: %s", e->msg);
    return;
  }
  for (char **id = ids; *id; id++) {
    _cleanup_error_ struct wh_error *e2 = NULL;
    /* A session being written right now stays until the next sweep. */
    if (blob_upload_delete(reg->blobs, *id, &e2) < 0 && e2->kind != WH_ERR_NOT_FOUND)
      continue;
    meta_upload_delete(reg->meta, *id, NULL);
    wh_log(WH_LOG_INFO, "uploads", "expired upload session %s removed", *id);
  }
}

static bool in(char **v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp(*v, s) == 0)
      return true;
  return false;
}

int registry_recover_uploads(struct registry *reg, struct wh_error **err)
{
  int64_t now = wh_now_real_ns();
  registry_reap_uploads(reg, now - (int64_t) reg->cfg.upload_expiry_s * 1000000000LL);
  _cleanup_strv_ char **sessions = NULL, **files = NULL;
  if (meta_upload_list(reg->meta, INT64_MAX, &sessions, err) < 0 ||
      blob_upload_list(reg->blobs, &files, err) < 0)
    return -1;
  size_t removed = 0;
  for (char **f = files; *f; f++) {
    if (in(sessions, *f))
      continue;
    if (blob_upload_delete(reg->blobs, *f, NULL) == 0)
      removed++;
  }
  for (char **s = sessions; *s; s++) {
    if (in(files, *s))
      continue;
    meta_upload_delete(reg->meta, *s, NULL);
    removed++;
  }
  if (removed)
    wh_log(WH_LOG_INFO, "recover", "removed %zu stale upload files and sessions", removed);
  return 0;
}
