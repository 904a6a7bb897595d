/* image/manifest.h: the parsers of untrusted image metadata.
 *
 * Manifests, indexes (OCI and Docker media types) and image configs come
 * from registries and archives; each is parsed by one function here that
 * bounds sizes and counts and checks every digest, so the rest of the
 * image module only sees validated values. Raw bytes stay with the caller
 * (a digest covers them; they are never re-serialized). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/mediatype.h"

struct wh_error;

#define IMAGE_MANIFEST_MAX (4u << 20)   /* bytes of a manifest or index */
#define IMAGE_CONFIG_MAX (8u << 20)     /* bytes of an image config */
#define IMAGE_LAYERS_MAX 256            /* layers per image (overlay's limit is near) */
#define IMAGE_INDEX_MAX 1024            /* entries in an index */

struct image_platform {
  char *os;
  char *arch;
  char *variant; /* NULL when none */
};

struct image_descriptor {
  char *media_type;
  enum oci_media_type type;
  char *digest;   /* validated sha256 or sha512 */
  int64_t size;
  struct image_platform platform; /* index entries only; fields may be NULL */
};

struct image_manifest {
  enum oci_media_type type; /* OCI_MEDIA_IMAGE_MANIFEST or DOCKER_MEDIA_MANIFEST */
  struct image_descriptor config;
  struct image_descriptor *layers;
  size_t n_layers;
};

struct image_index {
  enum oci_media_type type; /* OCI_MEDIA_IMAGE_INDEX or DOCKER_MEDIA_MANIFEST_LIST */
  struct image_descriptor *manifests;
  size_t n_manifests;
};

struct image_config {
  struct image_platform platform;
  char **diff_ids;  /* sha256 digests, one per layer */
  size_t n_diff_ids;
  int64_t created_ns; /* 0 when absent or unparseable */
  json_t *json;       /* the whole document, for inspect and run */
};

/* What a manifest document is: looks at "mediaType", then at the
 * Content-Type the registry sent (may be NULL), then at the shape. Returns
 * OCI_MEDIA_IMAGE_MANIFEST/INDEX, DOCKER_MEDIA_MANIFEST/MANIFEST_LIST, or
 * -1 with an error naming the unsupported type. */
int image_manifest_kind(const char *data, size_t len, const char *content_type,
                        enum oci_media_type *out, struct wh_error **err);

int image_manifest_parse(const char *data, size_t len, const char *content_type,
                         struct image_manifest *out, struct wh_error **err);
void image_manifest_free(struct image_manifest *m);

int image_index_parse(const char *data, size_t len, const char *content_type,
                      struct image_index *out, struct wh_error **err);
void image_index_free(struct image_index *idx);

int image_config_parse(const char *data, size_t len, struct image_config *out,
                       struct wh_error **err);
void image_config_free(struct image_config *c);

/* "os/arch[/variant]" → platform. */
int image_platform_parse(const char *s, struct image_platform *out,
                         struct wh_error **err);
void image_platform_free(struct image_platform *p);
/* The host's platform (linux/amd64 on x86-64). */
void image_platform_host(struct image_platform *out_borrowed);

/* Index of the first manifest in idx for platform p (variant matched only
 * when p has one). WH_ERR_NOT_FOUND naming the platforms on offer. */
int image_index_select(const struct image_index *idx, const struct image_platform *p,
                       size_t *out, struct wh_error **err);

/* Chain ids of the layers with diff ids d[0..n): chain[0] = d[0],
 * chain[i] = sha256(chain[i-1] + " " + d[i]). out gets n new strings. */
int image_chain_ids(char *const *diff_ids, size_t n, char ***out,
                    struct wh_error **err);
