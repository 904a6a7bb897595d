/* image/fetch.h: download layers in parallel and unpack them as they
 * arrive (used by pull).
 *
 * The main thread drives every transfer in one curl multi handle; each
 * layer has a consumer thread that hashes the compressed bytes, writes
 * them to a blob file, and runs the unpacker over them. A bounded queue
 * between the two pauses a transfer whose consumer lags. A transfer that
 * fails on the way (5xx, 429, a dropped connection) is resumed with a
 * Range request from the byte it reached, with backoff. */
#pragma once

#include <stdint.h>

#include "base/digest.h"
#include "image/manifest.h"
#include "image/progress.h"
#include "image/unpack.h"

struct wh_error;
struct image_store;
struct image_client;

struct image_fetch_layer {
  /* in */
  const struct image_descriptor *desc;
  const char *diff_id; /* expected, from the config */
  size_t progress_line;
  /* out, on success: temporaries in the store's tmp/ to adopt */
  char *blob_tmp;
  char *dir_tmp;
  struct image_unpack_result res;
};

/* All layers or none: on failure every temporary is removed. */
int image_fetch_layers(struct image_store *s, struct image_client *c, const char *repo,
                       struct image_fetch_layer *layers, size_t n,
                       const struct image_unpack_limits *limits, struct image_progress *prog,
                       struct wh_error **err);
void image_fetch_layers_cleanup(struct image_store *s, struct image_fetch_layer *layers,
                                size_t n);
