/* image/ingest.c: one layer from a file descriptor (see ingest.h). */
#include "image/ingest.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/error.h"
#include "base/file.h"
#include "image/store.h"
#include "oci/mediatype.h"

#define BUF_SIZE (256u << 10)

struct src {
  int fd;
  int blobfd;
  struct wh_hasher *h;
  uint64_t n;
  char *buf;
  unsigned char magic[4];
  size_t nmagic;
  struct wh_error *err;
};

static ssize_t src_read(void *ctx, const void **buf)
{
  struct src *s = ctx;
  ssize_t r;
  do
    r = read(s->fd, s->buf, BUF_SIZE);
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    wh_error_errno(&s->err, "read");
    return -1;
  }
  if (r == 0)
    return 0;
  for (ssize_t i = 0; i < r && s->nmagic < sizeof(s->magic); i++)
    s->magic[s->nmagic++] = (unsigned char) s->buf[i];
  wh_hasher_update(s->h, s->buf, (size_t) r);
  if (wh_write_all(s->blobfd, s->buf, (size_t) r, &s->err) < 0)
    return -1;
  s->n += (uint64_t) r;
  *buf = s->buf;
  return r;
}

void image_ingest_cleanup(struct image_store *s, struct image_ingested *in)
{
  if (in->blob_tmp)
    image_store_tmp_remove(s, in->blob_tmp);
  if (in->dir_tmp)
    image_store_tmp_remove(s, in->dir_tmp);
  free(in->blob_tmp);
  free(in->dir_tmp);
  in->blob_tmp = in->dir_tmp = NULL;
}

int image_ingest_layer(struct image_store *s, int fd, struct image_ingested *out,
                       struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  struct src src = {.fd = fd, .blobfd = -1};
  _cleanup_close_ int blobfd = image_store_tmp_file(s, "blob", &out->blob_tmp, err);
  if (blobfd < 0)
    return -1;
  _cleanup_close_ int dirfd = image_store_tmp_dir(s, "layer", &out->dir_tmp, err);
  _cleanup_free_ char *buf = malloc(BUF_SIZE);
  src.h = wh_hasher_new(WH_SHA256, err);
  if (dirfd < 0 || !buf || !src.h) {
    wh_hasher_free(src.h);
    image_ingest_cleanup(s, out);
    return buf ? -1 : wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  src.blobfd = blobfd;
  src.buf = buf;
  int rc = image_unpack(dirfd, src_read, &src, NULL, &out->res, err);
  if (rc == 0) {
    /* bytes after the end of the tar still belong to the blob */
    const void *b;
    ssize_t n;
    while ((n = src_read(&src, &b)) > 0)
      ;
    if (n < 0)
      rc = -1;
  }
  if (rc < 0 && src.err) {
    wh_error_free(err ? *err : NULL);
    if (err)
      *err = steal_pointer(&src.err);
  }
  wh_error_free(src.err);
  if (rc == 0) {
    wh_hasher_final(src.h, out->blob_digest);
    out->blob_size = src.n;
    if (src.nmagic >= 2 && src.magic[0] == 0x1f && src.magic[1] == 0x8b)
      out->media_type = OCI_MT_LAYER_GZIP;
    else if (src.nmagic >= 4 && src.magic[0] == 0x28 && src.magic[1] == 0xb5 &&
             src.magic[2] == 0x2f && src.magic[3] == 0xfd)
      out->media_type = OCI_MT_LAYER_ZSTD;
    else
      out->media_type = OCI_MT_LAYER_TAR;
  }
  wh_hasher_free(src.h);
  if (rc < 0)
    image_ingest_cleanup(s, out);
  return rc;
}

int image_ingest_adopt(struct image_store *s, struct image_ingested *in, const char *chain_id,
                       struct wh_error **err)
{
  if (image_store_blob_adopt(s, in->blob_tmp, in->blob_digest, err) < 0)
    return -1;
  free(in->blob_tmp);
  in->blob_tmp = NULL;
  if (image_store_has_layer(s, chain_id)) {
    image_store_tmp_remove(s, in->dir_tmp);
  } else if (image_store_layer_adopt(s, in->dir_tmp, chain_id, err) < 0) {
    return -1;
  }
  free(in->dir_tmp);
  in->dir_tmp = NULL;
  return 0;
}

/* Here rather than in store.c so the store's open/query half links no
 * hashing (and so no libcrypto) into a binary that only reads the store. */
int image_store_blob_put(struct image_store *s, const char *digest, const void *data,
                         size_t len, struct wh_error **err)
{
  char got[WH_DIGEST_STR_MAX];
  if (wh_digest_buf(WH_SHA256, data, len, got, err) < 0)
    return -1;
  if (strcmp(got, digest) != 0)
    return wh_error_set(err, WH_ERR_DIGEST, "blob %s: content has digest %s", digest, got);
  _cleanup_free_ char *name = NULL;
  _cleanup_close_ int fd = image_store_tmp_file(s, "blob", &name, err);
  if (fd < 0)
    return -1;
  if (wh_write_all(fd, data, len, err) < 0) {
    image_store_tmp_remove(s, name);
    return wh_error_wrap(err, "blob %s", digest);
  }
  return image_store_blob_adopt(s, name, digest, err);
}
