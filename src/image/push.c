/* image/push.c: push an image from the store to a registry (see push.h). */
#include "image/push.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/log.h"
#include "image/manifest.h"
#include "image/progress.h"
#include "image/store.h"
#include "oci/reference.h"

struct progress_ctx {
  struct image_progress *p;
  size_t line;
};

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
  struct progress_ctx *pc = ctx;
  image_progress_bytes(pc->p, pc->line, done, total);
  image_progress_draw(pc->p, false);
}

/* A repository on the same registry that has this image's blobs. */
static char *mount_source(const struct image_info *info, const struct oci_reference *dst)
{
  size_t dl = strlen(dst->domain);
  for (char **r = info->repo_digests; r && *r; r++) {
    if (strncmp(*r, dst->domain, dl) != 0 || (*r)[dl] != '/')
      continue;
    const char *path = *r + dl + 1;
    const char *at = strchr(path, '@');
    if (at && strncmp(path, dst->path, (size_t) (at - path)) != 0)
      return strndup(path, (size_t) (at - path));
  }
  return NULL;
}

static int push_blob(struct image_store *s, struct image_client *c, const char *repo,
                     const char *digest, const char *from, struct image_progress *prog,
                     size_t line, struct wh_error **err)
{
  image_progress_set(prog, line, digest, "Preparing");
  int have = image_client_blob_exists(c, repo, digest, err);
  if (have < 0)
    return -1;
  if (have) {
    wh_info("push-blob-exists", "%s %s", digest, repo);
    image_progress_set(prog, line, NULL, "Layer already exists");
    return 0;
  }
  _cleanup_close_ int fd = image_store_blob_open(s, digest, err);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return wh_error_errno(err, "blob %s", digest);
  image_progress_set(prog, line, NULL, "Pushing");
  struct progress_ctx pc = {prog, line};
  bool mounted;
  if (image_client_put_blob(c, repo, digest, fd, (uint64_t) st.st_size, from, &mounted,
                            on_progress, &pc, err) < 0)
    return -1;
  image_progress_set(prog, line, NULL, mounted ? "Mounted" : "Pushed");
  wh_info(mounted ? "push-blob-mounted" : "push-blob-uploaded", "%s %s%s%s", digest, repo,
          mounted ? " from " : "", mounted ? from : "");
  return 0;
}

int image_push(struct image_store *s, const char *ref, const char *dest,
               const struct image_push_opts *o, char **digest, struct wh_error **err)
{
  _cleanup_(image_info_free) struct image_info info = {0};
  if (image_store_lookup(s, ref, &info, err) < 0)
    return -1;
  _cleanup_reference_ struct oci_reference dst = {0};
  if (oci_reference_parse(dest ? dest : ref, &dst, err) < 0)
    return wh_error_wrap(err, "push destination");
  if (!dst.domain)
    return wh_error_set(err, WH_ERR_INVALID,
                        "push %s: give a destination that names a registry (host[:port]/path)",
                        dest ? dest : ref);
  if (dst.digest)
    return wh_error_set(err, WH_ERR_INVALID, "push %s: a destination cannot carry a digest",
                        dest ? dest : ref);
  const char *tag = dst.tag ? dst.tag : "latest";
  _cleanup_client_ struct image_client *c = NULL;
  if (image_client_new(dst.domain, &o->client, &c, err) < 0)
    return -1;
  _cleanup_free_ char *from = mount_source(&info, &dst);
  struct image_progress prog;
  if (image_progress_init(&prog, o->progress, info.n_layers + 1) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < info.n_layers; i++) {
    if (!info.layer_blobs[i]) {
      rc = wh_error_set(err, WH_ERR_NOT_FOUND, "layer %s has no stored blob to push",
                        info.chain_ids[i]);
      break;
    }
    rc = push_blob(s, c, dst.path, info.layer_blobs[i], from, &prog, i, err);
  }
  if (rc == 0)
    rc = push_blob(s, c, dst.path, info.id, from, &prog, info.n_layers, err);
  image_progress_draw(&prog, true);
  image_progress_free(&prog);
  if (rc < 0)
    return wh_error_wrap(err, "push %s/%s:%s", dst.domain, dst.path, tag);
  _cleanup_free_ char *m = NULL;
  size_t mlen = 0;
  if (image_store_blob_read(s, info.manifest_digest, IMAGE_MANIFEST_MAX, &m, &mlen, err) < 0 ||
      image_client_put_manifest(c, dst.path, tag, info.manifest_media_type, m, mlen, err) < 0)
    return wh_error_wrap(err, "push %s/%s:%s", dst.domain, dst.path, tag);
  if (digest && !(*digest = strdup(info.manifest_digest)))
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  return 0;
}
