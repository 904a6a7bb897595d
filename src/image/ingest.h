/* image/ingest.h: a layer from a file descriptor into the store's tmp/:
 * the bytes are copied to a blob file and unpacked in one pass, hashing
 * both the stream as given (the blob digest) and the uncompressed tar
 * (the diff id). Used by load and import; pull has its own parallel path
 * (fetch.c). */
#pragma once

#include <stdint.h>

#include "base/digest.h"
#include "image/unpack.h"

struct wh_error;
struct image_store;

struct image_ingested {
  char blob_digest[WH_DIGEST_STR_MAX];
  uint64_t blob_size;
  const char *media_type; /* from the first bytes: tar, tar+gzip or tar+zstd */
  struct image_unpack_result res;
  char *blob_tmp; /* in tmp/; NULL once adopted */
  char *dir_tmp;
};

int image_ingest_layer(struct image_store *s, int fd, struct image_ingested *out,
                       struct wh_error **err);
/* Rename the temporaries into place for chain_id (dropping the directory
 * when the layer is already there). */
int image_ingest_adopt(struct image_store *s, struct image_ingested *in, const char *chain_id,
                       struct wh_error **err);
void image_ingest_cleanup(struct image_store *s, struct image_ingested *in);
