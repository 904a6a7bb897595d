/* image/manifest.c: parsers of manifests, indexes and image configs (see
 * manifest.h). Every value taken from the document is checked here: types,
 * digests, sizes, counts. */
#include "image/manifest.h"

#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/error.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "oci/digest.h"

static json_t *parse_json(const char *data, size_t len, size_t max, const char *what,
                          struct wh_error **err)
{
  if (len > max) {
    wh_error_set(err, WH_ERR_TOO_LARGE, "%s is %zu bytes, more than the limit of %zu",
                 what, len, max);
    return NULL;
  }
  json_error_t je;
  json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
  if (!j) {
    wh_error_set(err, WH_ERR_INVALID, "%s: invalid JSON at line %d column %d: %s",
                 what, je.line, je.column, je.text);
    return NULL;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    wh_error_set(err, WH_ERR_INVALID, "%s: expected a JSON object", what);
    return NULL;
  }
  return j;
}

static int get_str(json_t *obj, const char *key, const char *what, bool required,
                   const char **out, struct wh_error **err)
{
  json_t *v = json_object_get(obj, key);
  if (!v) {
    if (required)
      return wh_error_set(err, WH_ERR_INVALID, "%s: missing \"%s\"", what, key);
    *out = NULL;
    return 0;
  }
  if (!json_is_string(v))
    return wh_error_set(err, WH_ERR_INVALID, "%s.%s: expected a string", what, key);
  if (strlen(json_string_value(v)) != json_string_length(v))
    return wh_error_set(err, WH_ERR_INVALID, "%s.%s: contains a NUL byte", what, key);
  *out = json_string_value(v);
  return 0;
}

static char *dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

void image_platform_free(struct image_platform *p)
{
  free(p->os);
  free(p->arch);
  free(p->variant);
  memset(p, 0, sizeof(*p));
}

static void descriptor_free(struct image_descriptor *d)
{
  free(d->media_type);
  free(d->digest);
  image_platform_free(&d->platform);
  memset(d, 0, sizeof(*d));
}

static int parse_descriptor(json_t *j, const char *what, struct image_descriptor *d,
                            struct wh_error **err)
{
  if (!json_is_object(j))
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected an object", what);
  const char *mt, *dg;
  if (get_str(j, "mediaType", what, true, &mt, err) < 0 ||
      get_str(j, "digest", what, true, &dg, err) < 0)
    return -1;
  struct oci_digest od;
  if (oci_digest_parse(dg, strlen(dg), &od, err) < 0)
    return wh_error_wrap(err, "%s.digest", what);
  if (od.alg == OCI_DIGEST_OTHER)
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "%s.digest: unsupported algorithm in %s",
                        what, dg);
  json_t *sz = json_object_get(j, "size");
  if (!json_is_integer(sz) || json_integer_value(sz) < 0)
    return wh_error_set(err, WH_ERR_INVALID, "%s.size: expected a non-negative integer", what);
  d->size = json_integer_value(sz);
  d->type = oci_media_type_parse(mt, strlen(mt));
  d->media_type = strdup(mt);
  d->digest = strdup(dg);
  if (!d->media_type || !d->digest)
    return wh_error_set(err, WH_ERR_INTERNAL, "%s: out of memory", what);
  json_t *plat = json_object_get(j, "platform");
  if (plat) {
    if (!json_is_object(plat))
      return wh_error_set(err, WH_ERR_INVALID, "%s.platform: expected an object", what);
    const char *os, *arch, *variant;
    if (get_str(plat, "os", what, false, &os, err) < 0 ||
        get_str(plat, "architecture", what, false, &arch, err) < 0 ||
        get_str(plat, "variant", what, false, &variant, err) < 0)
      return -1;
    d->platform.os = dup_or_null(os);
    d->platform.arch = dup_or_null(arch);
    d->platform.variant = dup_or_null(variant);
  }
  return 0;
}

static enum oci_media_type kind_of(const char *s)
{
  enum oci_media_type t = oci_media_type_parse(s, strlen(s));
  switch (t) {
  case OCI_MEDIA_IMAGE_MANIFEST:
  case OCI_MEDIA_IMAGE_INDEX:
  case DOCKER_MEDIA_MANIFEST:
  case DOCKER_MEDIA_MANIFEST_LIST:
    return t;
  default:
    return OCI_MEDIA_UNKNOWN;
  }
}

static int kind_of_json(json_t *j, const char *content_type, enum oci_media_type *out,
                        struct wh_error **err)
{
  const char *mt;
  if (get_str(j, "mediaType", "manifest", false, &mt, err) < 0)
    return -1;
  if (mt) {
    *out = kind_of(mt);
    if (*out == OCI_MEDIA_UNKNOWN)
      return wh_error_set(err, WH_ERR_UNSUPPORTED,
                          "manifest: unsupported media type \"%s\"", mt);
    return 0;
  }
  if (content_type) {
    *out = kind_of(content_type);
    if (*out != OCI_MEDIA_UNKNOWN)
      return 0;
  }
  json_t *sv = json_object_get(j, "schemaVersion");
  if (json_is_integer(sv) && json_integer_value(sv) == 1)
    return wh_error_set(err, WH_ERR_UNSUPPORTED,
                        "manifest: Docker schema 1 manifests are not supported");
  /* The OCI spec makes mediaType optional: guess from the shape. */
  if (json_object_get(j, "manifests")) {
    *out = OCI_MEDIA_IMAGE_INDEX;
    return 0;
  }
  if (json_object_get(j, "layers") && json_object_get(j, "config")) {
    *out = OCI_MEDIA_IMAGE_MANIFEST;
    return 0;
  }
  return wh_error_set(err, WH_ERR_INVALID, "manifest: neither an image manifest nor an index");
}

int image_manifest_kind(const char *data, size_t len, const char *content_type,
                        enum oci_media_type *out, struct wh_error **err)
{
  _cleanup_json_ json_t *j = parse_json(data, len, IMAGE_MANIFEST_MAX, "manifest", err);
  if (!j)
    return -1;
  return kind_of_json(j, content_type, out, err);
}

void image_manifest_free(struct image_manifest *m)
{
  descriptor_free(&m->config);
  for (size_t i = 0; i < m->n_layers; i++)
    descriptor_free(&m->layers[i]);
  free(m->layers);
  memset(m, 0, sizeof(*m));
}

static bool layer_type_supported(enum oci_media_type t)
{
  return t == OCI_MEDIA_LAYER_TAR || t == OCI_MEDIA_LAYER_GZIP ||
         t == OCI_MEDIA_LAYER_ZSTD || t == DOCKER_MEDIA_LAYER_GZIP;
}

int image_manifest_parse(const char *data, size_t len, const char *content_type,
                         struct image_manifest *out, struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  _cleanup_json_ json_t *j = parse_json(data, len, IMAGE_MANIFEST_MAX, "manifest", err);
  if (!j)
    return -1;
  enum oci_media_type kind;
  if (kind_of_json(j, content_type, &kind, err) < 0)
    return -1;
  if (kind != OCI_MEDIA_IMAGE_MANIFEST && kind != DOCKER_MEDIA_MANIFEST)
    return wh_error_set(err, WH_ERR_INVALID, "manifest: expected an image manifest, got %s",
                        oci_media_type_name(kind));
  json_t *sv = json_object_get(j, "schemaVersion");
  if (!json_is_integer(sv) || json_integer_value(sv) != 2)
    return wh_error_set(err, WH_ERR_INVALID, "manifest.schemaVersion: expected 2");
  out->type = kind;
  json_t *cfg = json_object_get(j, "config");
  if (!cfg)
    return wh_error_set(err, WH_ERR_INVALID, "manifest: missing \"config\"");
  if (parse_descriptor(cfg, "manifest.config", &out->config, err) < 0)
    goto fail;
  if (out->config.type != OCI_MEDIA_IMAGE_CONFIG && out->config.type != DOCKER_MEDIA_CONFIG) {
    wh_error_set(err, WH_ERR_UNSUPPORTED,
                 "manifest.config: media type \"%s\" is not an image config (an artifact?)",
                 out->config.media_type);
    goto fail;
  }
  if (out->config.size > (int64_t) IMAGE_CONFIG_MAX) {
    wh_error_set(err, WH_ERR_TOO_LARGE, "manifest.config: %lld bytes is over the limit",
                 (long long) out->config.size);
    goto fail;
  }
  json_t *layers = json_object_get(j, "layers");
  if (!json_is_array(layers)) {
    wh_error_set(err, WH_ERR_INVALID, "manifest.layers: expected an array");
    goto fail;
  }
  size_t n = json_array_size(layers);
  if (n > IMAGE_LAYERS_MAX) {
    wh_error_set(err, WH_ERR_TOO_LARGE, "manifest.layers: %zu layers, more than %d", n,
                 IMAGE_LAYERS_MAX);
    goto fail;
  }
  out->layers = calloc(n ? n : 1, sizeof(*out->layers));
  if (!out->layers) {
    wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < n; i++) {
    char what[48];
    snprintf(what, sizeof(what), "manifest.layers[%zu]", i);
    out->n_layers = i + 1;
    if (parse_descriptor(json_array_get(layers, i), what, &out->layers[i], err) < 0)
      goto fail;
    if (!layer_type_supported(out->layers[i].type)) {
      wh_error_set(err, WH_ERR_UNSUPPORTED, "%s: unsupported layer media type \"%s\"", what,
                   out->layers[i].media_type);
      goto fail;
    }
    if (strncmp(out->layers[i].digest, "sha256:", 7) != 0) {
      wh_error_set(err, WH_ERR_UNSUPPORTED, "%s: only sha256 layer digests are supported", what);
      goto fail;
    }
  }
  return 0;
fail:
  image_manifest_free(out);
  return -1;
}

void image_index_free(struct image_index *idx)
{
  for (size_t i = 0; i < idx->n_manifests; i++)
    descriptor_free(&idx->manifests[i]);
  free(idx->manifests);
  memset(idx, 0, sizeof(*idx));
}

int image_index_parse(const char *data, size_t len, const char *content_type,
                      struct image_index *out, struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  _cleanup_json_ json_t *j = parse_json(data, len, IMAGE_MANIFEST_MAX, "index", err);
  if (!j)
    return -1;
  enum oci_media_type kind;
  if (kind_of_json(j, content_type, &kind, err) < 0)
    return -1;
  if (kind != OCI_MEDIA_IMAGE_INDEX && kind != DOCKER_MEDIA_MANIFEST_LIST)
    return wh_error_set(err, WH_ERR_INVALID, "index: expected an image index, got %s",
                        oci_media_type_name(kind));
  out->type = kind;
  json_t *ms = json_object_get(j, "manifests");
  if (!json_is_array(ms))
    return wh_error_set(err, WH_ERR_INVALID, "index.manifests: expected an array");
  size_t n = json_array_size(ms);
  if (n > IMAGE_INDEX_MAX)
    return wh_error_set(err, WH_ERR_TOO_LARGE, "index.manifests: %zu entries, more than %d",
                        n, IMAGE_INDEX_MAX);
  out->manifests = calloc(n ? n : 1, sizeof(*out->manifests));
  if (!out->manifests)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char what[48];
    snprintf(what, sizeof(what), "index.manifests[%zu]", i);
    out->n_manifests = i + 1;
    if (parse_descriptor(json_array_get(ms, i), what, &out->manifests[i], err) < 0) {
      image_index_free(out);
      return -1;
    }
  }
  return 0;
}

void image_config_free(struct image_config *c)
{
  image_platform_free(&c->platform);
  if (c->diff_ids) {
    for (size_t i = 0; i < c->n_diff_ids; i++)
      free(c->diff_ids[i]);
    free(c->diff_ids);
  }
  if (c->json)
    json_decref(c->json);
  memset(c, 0, sizeof(*c));
}

int image_config_parse(const char *data, size_t len, struct image_config *out,
                       struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  json_t *j = parse_json(data, len, IMAGE_CONFIG_MAX, "image config", err);
  if (!j)
    return -1;
  out->json = j;
  const char *os, *arch, *variant, *created;
  if (get_str(j, "os", "image config", false, &os, err) < 0 ||
      get_str(j, "architecture", "image config", false, &arch, err) < 0 ||
      get_str(j, "variant", "image config", false, &variant, err) < 0 ||
      get_str(j, "created", "image config", false, &created, err) < 0)
    goto fail;
  out->platform.os = strdup(os ? os : "linux");
  out->platform.arch = strdup(arch ? arch : "amd64");
  out->platform.variant = dup_or_null(variant);
  /* informational only: a bad date is not fatal. Years outside
   * 1900-2261 do not fit in int64 nanoseconds (and overflow inside
   * wh_rfc3339_parse), so they are not handed to it. */
  if (created && strlen(created) >= 4 && strncmp(created, "1900", 4) >= 0 &&
      strncmp(created, "2262", 4) < 0 &&
      wh_rfc3339_parse(created, &out->created_ns) < 0)
    out->created_ns = 0;
  json_t *cfg = json_object_get(j, "config");
  if (cfg && !json_is_object(cfg) && !json_is_null(cfg)) {
    wh_error_set(err, WH_ERR_INVALID, "image config.config: expected an object");
    goto fail;
  }
  json_t *rootfs = json_object_get(j, "rootfs");
  if (!json_is_object(rootfs)) {
    wh_error_set(err, WH_ERR_INVALID, "image config: missing \"rootfs\" object");
    goto fail;
  }
  const char *rtype;
  if (get_str(rootfs, "type", "image config.rootfs", true, &rtype, err) < 0)
    goto fail;
  if (strcmp(rtype, "layers") != 0) {
    wh_error_set(err, WH_ERR_INVALID, "image config.rootfs.type: expected \"layers\"");
    goto fail;
  }
  json_t *ids = json_object_get(rootfs, "diff_ids");
  if (!json_is_array(ids)) {
    wh_error_set(err, WH_ERR_INVALID, "image config.rootfs.diff_ids: expected an array");
    goto fail;
  }
  size_t n = json_array_size(ids);
  if (n > IMAGE_LAYERS_MAX) {
    wh_error_set(err, WH_ERR_TOO_LARGE, "image config: %zu layers, more than %d", n,
                 IMAGE_LAYERS_MAX);
    goto fail;
  }
  out->diff_ids = calloc(n + 1, sizeof(char *));
  if (!out->diff_ids) {
    wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < n; i++) {
    json_t *v = json_array_get(ids, i);
    const char *s = json_string_value(v);
    struct oci_digest od;
    if (!s || oci_digest_parse(s, json_string_length(v), &od, NULL) < 0 ||
        od.alg != OCI_DIGEST_SHA256) {
      wh_error_set(err, WH_ERR_INVALID,
                   "image config.rootfs.diff_ids[%zu]: expected a sha256 digest", i);
      goto fail;
    }
    out->diff_ids[i] = strdup(s);
    out->n_diff_ids = i + 1;
    if (!out->diff_ids[i]) {
      wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
      goto fail;
    }
  }
  if (!out->platform.os || !out->platform.arch) {
    wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    goto fail;
  }
  return 0;
fail:
  image_config_free(out);
  return -1;
}

int image_platform_parse(const char *s, struct image_platform *out, struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  const char *a = strchr(s, '/');
  if (!a || a == s || a[1] == '\0' || a[1] == '/')
    return wh_error_set(err, WH_ERR_INVALID,
                        "platform \"%s\": expected os/arch[/variant]", s);
  const char *v = strchr(a + 1, '/');
  if (v && (v[1] == '\0' || strchr(v + 1, '/')))
    return wh_error_set(err, WH_ERR_INVALID,
                        "platform \"%s\": expected os/arch[/variant]", s);
  out->os = strndup(s, (size_t) (a - s));
  out->arch = v ? strndup(a + 1, (size_t) (v - a - 1)) : strdup(a + 1);
  out->variant = v ? strdup(v + 1) : NULL;
  if (!out->os || !out->arch || (v && !out->variant)) {
    image_platform_free(out);
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  return 0;
}

void image_platform_host(struct image_platform *out)
{
  out->os = (char *) "linux";
#if defined(__x86_64__)
  out->arch = (char *) "amd64";
#elif defined(__aarch64__)
  out->arch = (char *) "arm64";
#else
  out->arch = (char *) "unknown";
#endif
  out->variant = NULL;
}

static bool str_eq(const char *a, const char *b)
{
  return a && b && strcmp(a, b) == 0;
}

int image_index_select(const struct image_index *idx, const struct image_platform *p,
                       size_t *out, struct wh_error **err)
{
  for (size_t i = 0; i < idx->n_manifests; i++) {
    const struct image_descriptor *d = &idx->manifests[i];
    if (d->type != OCI_MEDIA_IMAGE_MANIFEST && d->type != DOCKER_MEDIA_MANIFEST)
      continue;
    if (!str_eq(d->platform.os, p->os) || !str_eq(d->platform.arch, p->arch))
      continue;
    if (p->variant && !str_eq(d->platform.variant, p->variant))
      continue;
    *out = i;
    return 0;
  }
  char offer[512] = "";
  size_t used = 0;
  for (size_t i = 0; i < idx->n_manifests && used + 1 < sizeof(offer); i++) {
    const struct image_descriptor *d = &idx->manifests[i];
    int n = snprintf(offer + used, sizeof(offer) - used, "%s%s/%s%s%s", used ? ", " : "",
                     d->platform.os ? d->platform.os : "?",
                     d->platform.arch ? d->platform.arch : "?",
                     d->platform.variant ? "/" : "",
                     d->platform.variant ? d->platform.variant : "");
    if (n < 0)
      break;
    used += (size_t) n;
    if (used >= sizeof(offer))
      used = sizeof(offer) - 1;
  }
  return wh_error_set(err, WH_ERR_NOT_FOUND, "no manifest for platform %s/%s%s%s (index has: %s)",
                      p->os, p->arch, p->variant ? "/" : "", p->variant ? p->variant : "",
                      used ? offer : "nothing");
}

int image_chain_ids(char *const *diff_ids, size_t n, char ***out, struct wh_error **err)
{
  _cleanup_strv_ char **v = calloc(n + 1, sizeof(char *));
  if (!v)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    if (i == 0) {
      v[i] = strdup(diff_ids[0]);
    } else {
      char buf[2 * WH_DIGEST_STR_MAX + 2];
      int len = snprintf(buf, sizeof(buf), "%s %s", v[i - 1], diff_ids[i]);
      char d[WH_DIGEST_STR_MAX];
      if (wh_digest_buf(WH_SHA256, buf, (size_t) len, d, err) < 0)
        return -1;
      v[i] = strdup(d);
    }
    if (!v[i])
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  *out = steal_pointer(&v);
  return 0;
}
