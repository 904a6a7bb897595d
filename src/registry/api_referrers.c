/* api_referrers.c: GET /v2/<name>/referrers/<digest>[?artifactType=]:
 * an OCI index of the manifests whose subject is <digest>, empty when
 * there are none (never 404 for a well-formed request). */
#include "registry/api.h"

#include <jansson.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "oci/mediatype.h"
#include "registry/registry.h"
#include "registry/store_meta.h"

int api_referrers(struct request *r)
{
  struct oci_digest d;
  if (api_check_name(r) < 0 || api_check_digest(r, r->match.ref, &d) < 0)
    return -1;
  const char *filter = request_query(r, "artifactType");
  if (filter && *filter == '\0')
    filter = NULL;
  struct meta_referrer *refs = NULL;
  size_t n = 0;
  struct wh_error *e = NULL;
  if (meta_referrers(r->reg->meta, r->match.name, d.str, filter, &refs, &n, &e) < 0)
    return api_store_error(r, e, REG_NAME_UNKNOWN);
  _cleanup_json_ json_t *root = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType",
                                          OCI_MT_IMAGE_INDEX, "manifests");
  json_t *arr = root ? json_object_get(root, "manifests") : NULL;
  for (size_t i = 0; arr && i < n; i++) {
    json_t *desc = json_pack("{s:s,s:s,s:I}", "mediaType", refs[i].media_type, "digest",
                             refs[i].digest, "size", (json_int_t) refs[i].size);
    if (!desc)
      break;
    if (refs[i].artifact_type)
      json_object_set_new(desc, "artifactType", json_string(refs[i].artifact_type));
    if (refs[i].annotations) {
      json_t *ann = json_loads(refs[i].annotations, 0, NULL);
      if (ann)
        json_object_set_new(desc, "annotations", ann);
    }
    json_array_append_new(arr, desc);
  }
  meta_referrers_free(refs, n);
  _cleanup_free_ char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
  if (!text)
    return reply_error(r, REG_UNAVAILABLE, "out of memory");
  if (filter)
    reply_header(r, "OCI-Filters-Applied", "artifactType");
  return reply_data(r, 200, OCI_MT_IMAGE_INDEX, text, strlen(text));
}
