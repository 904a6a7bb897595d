/* oci/mediatype.h: the media types of OCI and Docker images. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define OCI_MT_IMAGE_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_IMAGE_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_IMAGE_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"
#define OCI_MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define OCI_MT_LAYER_NONDIST_TAR "application/vnd.oci.image.layer.nondistributable.v1.tar"
#define OCI_MT_LAYER_NONDIST_GZIP "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
#define OCI_MT_LAYER_NONDIST_ZSTD "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
#define OCI_MT_EMPTY "application/vnd.oci.empty.v1+json"
#define DOCKER_MT_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_MT_MANIFEST_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MT_CONFIG "application/vnd.docker.container.image.v1+json"
#define DOCKER_MT_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define DOCKER_MT_LAYER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define DOCKER_MT_MANIFEST_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

enum oci_media_type {
  OCI_MEDIA_UNKNOWN = 0,
  OCI_MEDIA_IMAGE_MANIFEST,
  OCI_MEDIA_IMAGE_INDEX,
  OCI_MEDIA_IMAGE_CONFIG,
  OCI_MEDIA_LAYER_TAR,
  OCI_MEDIA_LAYER_GZIP,
  OCI_MEDIA_LAYER_ZSTD,
  OCI_MEDIA_EMPTY,
  DOCKER_MEDIA_MANIFEST,
  DOCKER_MEDIA_MANIFEST_LIST,
  DOCKER_MEDIA_CONFIG,
  DOCKER_MEDIA_LAYER_GZIP,
};

enum oci_compression { OCI_COMP_NONE = 0, OCI_COMP_GZIP, OCI_COMP_ZSTD };

/* Classify a media type string (exact match, parameters after ';' and
 * surrounding spaces ignored). Nondistributable and foreign layers map to
 * the layer kind of their compression. */
enum oci_media_type oci_media_type_parse(const char *s, size_t len);
/* The canonical string of a kind (never the nondistributable or foreign
 * variant); NULL for OCI_MEDIA_UNKNOWN. */
const char *oci_media_type_name(enum oci_media_type t);

/* A media type the registry stores as a manifest (image manifest or
 * index, OCI or Docker). */
bool oci_media_type_is_manifest(enum oci_media_type t);
/* An index or manifest list. */
bool oci_media_type_is_index(enum oci_media_type t);
bool oci_media_type_is_layer(enum oci_media_type t);
enum oci_compression oci_media_type_compression(enum oci_media_type t);

/* RFC 6838 syntax check: type "/" subtype, restricted-name characters, at
 * most 127 characters each (the spec's mediaType and artifactType). */
bool oci_media_type_syntax_valid(const char *s);
