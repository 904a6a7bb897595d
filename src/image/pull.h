/* image/pull.h: pull an image from a registry into the store, and the
 * name resolution that pull, push and tag share. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "image/client.h"

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

/* ref → the fully qualified references to try, in order: itself when it
 * names a registry, else one per unqualified-search registry. Tag
 * "latest" is added when ref has neither tag nor digest. */
int image_ref_candidates(const char *ref, const struct image_regconf *conf,
                         struct oci_reference **out, size_t *n, struct wh_error **err);
void image_ref_candidates_free(struct oci_reference *v, size_t n);
/* "domain/path:tag" for storing as a name; short names get "localhost/"
 * as podman does for local-only images. New string. */
int image_ref_local_name(const char *ref, char **out, struct wh_error **err);

/* Pull; *image_id (optional) gets the id (config digest). */
int image_pull(struct image_store *s, const char *ref, const struct image_pull_opts *o,
               char **image_id, struct wh_error **err);
