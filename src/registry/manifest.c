/* manifest.c: parse and check a pushed manifest (manifest.h). */
#include "registry/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "oci/digest.h"

void manifest_info_clear(struct manifest_info *m)
{
  if (m->root)
    json_decref(m->root);
  free(m->annotations);
  free(m->blobs);
  free(m->children);
  memset(m, 0, sizeof(*m));
}

/* Check one descriptor at `path`; its digest goes to *digest. */
static int check_descriptor(const json_t *d, const char *path, const char **digest,
                            const char **media_type, struct wh_error **err)
{
  if (!json_is_object(d))
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected a descriptor object", path);
  const char *mt = NULL, *dg = NULL;
  int64_t size = 0;
  char p_mt[96], p_dg[96], p_sz[96];
  snprintf(p_mt, sizeof(p_mt), "%s.mediaType", path);
  snprintf(p_dg, sizeof(p_dg), "%s.digest", path);
  snprintf(p_sz, sizeof(p_sz), "%s.size", path);
  if (wh_json_get_string(d, "mediaType", p_mt, true, &mt, err) < 0 ||
      wh_json_get_string(d, "digest", p_dg, true, &dg, err) < 0 ||
      wh_json_get_int(d, "size", p_sz, true, &size, err) < 0)
    return -1;
  if (!oci_media_type_syntax_valid(mt))
    return wh_error_set(err, WH_ERR_INVALID, "%s.mediaType: '%.100s' is not a media type",
                        path, mt);
  struct oci_digest pd;
  if (oci_digest_parse(dg, strlen(dg), &pd, err) < 0)
    return wh_error_wrap(err, "%s.digest", path);
  if (pd.alg == OCI_DIGEST_OTHER)
    return wh_error_set(err, WH_ERR_INVALID,
                        "%s.digest: algorithm of %.80s is not supported (sha256, sha512)", path, dg);
  if (size < 0)
    return wh_error_set(err, WH_ERR_INVALID, "%s.size: must not be negative", path);
  *digest = dg;
  if (media_type)
    *media_type = mt;
  return 0;
}

/* Layers of these types live elsewhere (urls): not required in the repo. */
static bool is_foreign(const char *mt)
{
  return strstr(mt, "nondistributable") || strstr(mt, "foreign");
}

static int collect(const json_t *arr, const char *field, bool skip_foreign,
                   const char ***v, size_t *n, struct wh_error **err)
{
  size_t count = json_array_size(arr);
  const char **nv = realloc(*v, (*n + count + 1) * sizeof(char *));
  if (!nv)
    return wh_error_errno(err, "manifest");
  *v = nv;
  size_t i;
  json_t *d;
  json_array_foreach(arr, i, d) {
    char path[64];
    snprintf(path, sizeof(path), "%s[%zu]", field, i);
    const char *dg, *mt;
    if (check_descriptor(d, path, &dg, &mt, err) < 0)
      return -1;
    if (skip_foreign && is_foreign(mt) && json_object_get(d, "urls"))
      continue;
    (*v)[(*n)++] = dg;
  }
  return 0;
}

/* "type/subtype; charset=…" → the bare type, trimmed, into buf. */
static const char *bare_type(const char *s, char *buf, size_t cap)
{
  if (!s)
    return NULL;
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strcspn(s, "; \t");
  if (n == 0)
    return NULL;
  if (n >= cap)
    n = cap - 1;
  memcpy(buf, s, n);
  buf[n] = '\0';
  return buf;
}

int manifest_parse(const char *content_type, const char *data, size_t len,
                   struct manifest_info *out, struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  _cleanup_json_ json_t *root = wh_json_parse(data, len, "manifest", err);
  if (!root)
    return -1;
  if (!json_is_object(root))
    return wh_error_set(err, WH_ERR_INVALID, "manifest: expected a JSON object");
  int64_t schema = 0;
  if (wh_json_get_int(root, "schemaVersion", "schemaVersion", true, &schema, err) < 0)
    return -1;
  if (schema != 2)
    return wh_error_set(err, WH_ERR_INVALID,
                        "manifest: schemaVersion %lld is not supported (only 2)", (long long) schema);
  const char *body_mt = NULL;
  if (wh_json_get_string(root, "mediaType", "mediaType", false, &body_mt, err) < 0)
    return -1;
  char ctbuf[256];
  const char *ct = bare_type(content_type, ctbuf, sizeof(ctbuf));
  if (ct && body_mt && strcmp(ct, body_mt) != 0)
    return wh_error_set(err, WH_ERR_INVALID,
                        "manifest: Content-Type %.100s does not match the manifest's mediaType %.100s",
                        ct, body_mt);
  const char *mt = ct ? ct : body_mt;
  if (!mt)
    return wh_error_set(err, WH_ERR_INVALID,
                        "manifest: no media type: send a Content-Type header or a mediaType field");
  enum oci_media_type kind = oci_media_type_parse(mt, strlen(mt));
  if (!oci_media_type_is_manifest(kind))
    return wh_error_set(err, WH_ERR_INVALID,
                        "manifest: media type %.100s is not an OCI or Docker manifest or index", mt);

  struct manifest_info m = { .kind = kind };
  json_t *arr = NULL;
  if (oci_media_type_is_index(kind)) {
    if (wh_json_get_array(root, "manifests", "manifests", true, &arr, err) < 0 ||
        collect(arr, "manifests", false, &m.children, &m.n_children, err) < 0)
      goto fail;
    if (wh_json_get_string(root, "artifactType", "artifactType", false, &m.artifact_type, err) < 0)
      goto fail;
  } else {
    json_t *config = NULL;
    const char *cfg_digest, *cfg_mt;
    if (wh_json_get_object(root, "config", "config", true, &config, err) < 0 ||
        check_descriptor(config, "config", &cfg_digest, &cfg_mt, err) < 0)
      goto fail;
    m.blobs = malloc(sizeof(char *));
    if (!m.blobs) {
      wh_error_errno(err, "manifest");
      goto fail;
    }
    m.blobs[m.n_blobs++] = cfg_digest;
    if (wh_json_get_array(root, "layers", "layers", true, &arr, err) < 0 ||
        collect(arr, "layers", true, &m.blobs, &m.n_blobs, err) < 0)
      goto fail;
    if (wh_json_get_string(root, "artifactType", "artifactType", false, &m.artifact_type, err) < 0)
      goto fail;
    if (!m.artifact_type)
      m.artifact_type = cfg_mt;
  }
  json_t *subject = json_object_get(root, "subject");
  if (subject && check_descriptor(subject, "subject", &m.subject, NULL, err) < 0)
    goto fail;
  json_t *ann = NULL;
  if (wh_json_get_object(root, "annotations", "annotations", false, &ann, err) < 0)
    goto fail;
  if (ann && json_object_size(ann) > 0) {
    m.annotations = wh_json_dump(ann, err);
    if (!m.annotations)
      goto fail;
  }
  m.media_type = oci_media_type_name(kind);
  m.root = steal_pointer(&root);
  *out = m;
  return 0;
fail:
  manifest_info_clear(&m);
  return -1;
}
