/* manifest.h: the one parser of pushed manifests (fuzzed).
 *
 * Checks what a registry must check before storing a manifest: it is
 * JSON, its media type is one of the four manifest types and agrees with
 * the request's Content-Type, every descriptor has a media type, a valid
 * digest and a size; and collects what the metadata store needs: the
 * blobs and child manifests it references, its subject, artifact type and
 * annotations. The raw bytes are never re-serialized. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "oci/mediatype.h"

struct wh_error;

struct manifest_info {
  json_t *root;                 /* owns the strings below */
  enum oci_media_type kind;
  const char *media_type;
  const char *subject;          /* digest of the subject, or NULL */
  const char *artifact_type;    /* for referrers: artifactType, else config's type */
  char *annotations;            /* compact JSON object or NULL (owned) */
  const char **blobs;           /* config and layers (owned array) */
  size_t n_blobs;
  const char **children;        /* an index's manifests (owned array) */
  size_t n_children;
};

/* content_type: the request's Content-Type (NULL or "" if none; then the
 * body's mediaType decides). WH_ERR_INVALID with a message a person can
 * act on ("layers[2].digest: …"). */
int manifest_parse(const char *content_type, const char *data, size_t len,
                   struct manifest_info *out, struct wh_error **err);
void manifest_info_clear(struct manifest_info *m);
