/* oci/mediatype.c: classifying OCI and Docker media types and checking
 * media type syntax (see mediatype.h).
 *
 * Classification is an exact, case-sensitive match on the bare type, as
 * distribution and containerd do: registries store and compare the string
 * a client sent, so "Application/…" is a different (unknown) type rather
 * than an alias. A Content-Type header's parameters and spaces are dropped
 * first, since clients send "application/vnd.oci.image.manifest.v1+json;
 * charset=utf-8". */
#include "oci/mediatype.h"

#include <string.h>

struct media_type_entry {
  const char *name;
  enum oci_media_type type;
};

/* Nondistributable and foreign layers classify as their compression's
 * layer kind: for unpacking they are the same bytes; whether to push them
 * is a question the caller asks of the string, not of the kind. */
static const struct media_type_entry media_types[] = {
  { OCI_MT_IMAGE_MANIFEST, OCI_MEDIA_IMAGE_MANIFEST },
  { OCI_MT_IMAGE_INDEX, OCI_MEDIA_IMAGE_INDEX },
  { OCI_MT_IMAGE_CONFIG, OCI_MEDIA_IMAGE_CONFIG },
  { OCI_MT_LAYER_TAR, OCI_MEDIA_LAYER_TAR },
  { OCI_MT_LAYER_GZIP, OCI_MEDIA_LAYER_GZIP },
  { OCI_MT_LAYER_ZSTD, OCI_MEDIA_LAYER_ZSTD },
  { OCI_MT_LAYER_NONDIST_TAR, OCI_MEDIA_LAYER_TAR },
  { OCI_MT_LAYER_NONDIST_GZIP, OCI_MEDIA_LAYER_GZIP },
  { OCI_MT_LAYER_NONDIST_ZSTD, OCI_MEDIA_LAYER_ZSTD },
  { OCI_MT_EMPTY, OCI_MEDIA_EMPTY },
  { DOCKER_MT_MANIFEST, DOCKER_MEDIA_MANIFEST },
  { DOCKER_MT_MANIFEST_LIST, DOCKER_MEDIA_MANIFEST_LIST },
  { DOCKER_MT_CONFIG, DOCKER_MEDIA_CONFIG },
  { DOCKER_MT_LAYER_GZIP, DOCKER_MEDIA_LAYER_GZIP },
  { DOCKER_MT_LAYER_FOREIGN, DOCKER_MEDIA_LAYER_GZIP },
};

static bool is_space(char c)
{
  return c == ' ' || c == '\t';
}

enum oci_media_type oci_media_type_parse(const char *s, size_t len)
{
  if (!s)
    return OCI_MEDIA_UNKNOWN;
  const char *semi = memchr(s, ';', len);
  if (semi)
    len = (size_t) (semi - s);
  while (len > 0 && is_space(s[0])) {
    s++;
    len--;
  }
  while (len > 0 && is_space(s[len - 1]))
    len--;
  for (size_t i = 0; i < sizeof(media_types) / sizeof(media_types[0]); i++) {
    const char *name = media_types[i].name;
    if (strlen(name) == len && memcmp(name, s, len) == 0)
      return media_types[i].type;
  }
  return OCI_MEDIA_UNKNOWN;
}

const char *oci_media_type_name(enum oci_media_type t)
{
  switch (t) {
  case OCI_MEDIA_IMAGE_MANIFEST:
    return OCI_MT_IMAGE_MANIFEST;
  case OCI_MEDIA_IMAGE_INDEX:
    return OCI_MT_IMAGE_INDEX;
  case OCI_MEDIA_IMAGE_CONFIG:
    return OCI_MT_IMAGE_CONFIG;
  case OCI_MEDIA_LAYER_TAR:
    return OCI_MT_LAYER_TAR;
  case OCI_MEDIA_LAYER_GZIP:
    return OCI_MT_LAYER_GZIP;
  case OCI_MEDIA_LAYER_ZSTD:
    return OCI_MT_LAYER_ZSTD;
  case OCI_MEDIA_EMPTY:
    return OCI_MT_EMPTY;
  case DOCKER_MEDIA_MANIFEST:
    return DOCKER_MT_MANIFEST;
  case DOCKER_MEDIA_MANIFEST_LIST:
    return DOCKER_MT_MANIFEST_LIST;
  case DOCKER_MEDIA_CONFIG:
    return DOCKER_MT_CONFIG;
  case DOCKER_MEDIA_LAYER_GZIP:
    return DOCKER_MT_LAYER_GZIP;
  case OCI_MEDIA_UNKNOWN:
    break;
  }
  return NULL;
}

bool oci_media_type_is_manifest(enum oci_media_type t)
{
  return t == OCI_MEDIA_IMAGE_MANIFEST || t == OCI_MEDIA_IMAGE_INDEX ||
         t == DOCKER_MEDIA_MANIFEST || t == DOCKER_MEDIA_MANIFEST_LIST;
}

bool oci_media_type_is_index(enum oci_media_type t)
{
  return t == OCI_MEDIA_IMAGE_INDEX || t == DOCKER_MEDIA_MANIFEST_LIST;
}

bool oci_media_type_is_layer(enum oci_media_type t)
{
  return t == OCI_MEDIA_LAYER_TAR || t == OCI_MEDIA_LAYER_GZIP ||
         t == OCI_MEDIA_LAYER_ZSTD || t == DOCKER_MEDIA_LAYER_GZIP;
}

enum oci_compression oci_media_type_compression(enum oci_media_type t)
{
  switch (t) {
  case OCI_MEDIA_LAYER_GZIP:
  case DOCKER_MEDIA_LAYER_GZIP:
    return OCI_COMP_GZIP;
  case OCI_MEDIA_LAYER_ZSTD:
    return OCI_COMP_ZSTD;
  default:
    return OCI_COMP_NONE;
  }
}

static bool is_alnum(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

/* restricted-name ::= restricted-name-first *126restricted-name-chars
 * Returns the length of the name at s (up to the first character that
 * cannot continue it), or 0 if s does not start one or it is too long. */
static size_t restricted_name_len(const char *s)
{
  if (!is_alnum(s[0]))
    return 0;
  size_t n = 1;
  while (s[n] && (is_alnum(s[n]) || strchr("!#$&-^_.+", s[n])))
    if (++n > 127)
      return 0;
  return n;
}

/* type "/" subtype and nothing else: the spec's mediaType and artifactType
 * fields carry no parameters. */
bool oci_media_type_syntax_valid(const char *s)
{
  if (!s)
    return false;
  size_t type_len = restricted_name_len(s);
  if (type_len == 0 || s[type_len] != '/')
    return false;
  const char *sub = s + type_len + 1;
  size_t sub_len = restricted_name_len(sub);
  return sub_len > 0 && sub[sub_len] == '\0';
}
