/* image/push.h: store → registry. */
#pragma once

#include <stdio.h>

#include "image/client.h"

struct wh_error;
struct image_store;

struct image_push_opts {
  struct image_client_opts client;
  FILE *progress; /* per-layer lines when a terminal; NULL: quiet */
};

/* Push the image `ref` names to dest ("registry/path[:tag]"; NULL: ref
 * itself, which must then name a registry). The stored manifest is sent
 * byte for byte, so the digest stays the same; blobs the registry already
 * has are skipped, blobs it has in another repository (known from the
 * image's repo digests) are mounted. *digest gets the manifest digest. */
int image_push(struct image_store *s, const char *ref, const char *dest,
               const struct image_push_opts *o, char **digest, struct wh_error **err);
