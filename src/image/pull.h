/* image/pull.h: pull an image from a registry into the store. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "image/client.h"
#include "image/ref.h"

struct wh_error;
struct image_store;
struct image_regconf;
struct oci_reference;

struct image_pull_opts {
  struct image_client_opts client;
  const char *platform;     /* "os/arch[/variant]"; NULL: the host's */
  uint64_t max_layer_bytes; /* uncompressed bytes per layer; 0: default */
  FILE *progress;           /* per-layer lines when a terminal; NULL: quiet */
};

/* Pull; *image_id (optional) gets the id (config digest). */
int image_pull(struct image_store *s, const char *ref, const struct image_pull_opts *o,
               char **image_id, struct wh_error **err);
