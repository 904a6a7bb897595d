/* api_tags.c: GET /v2/<name>/tags/list with ?n= and ?last= pagination,
 * and the list reply shared with the catalog (api_lists.h). */
#include "registry/api.h"
#include "registry/api_lists.h"

#include <jansson.h>
#include <stdlib.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "registry/registry.h"
#include "registry/store_meta.h"

/* Without ?n= the whole list, up to this many. */
#define LIST_DEFAULT 10000

int api_reply_list(struct request *r, const char *name, const char *list_key,
                   char **names, bool more, size_t n, const char *link_path)
{
  _cleanup_json_ json_t *root = json_object();
  json_t *arr = json_array();
  if (!root || !arr || json_object_set_new(root, list_key, arr) < 0)
    return reply_error(r, REG_UNAVAILABLE, "out of memory");
  if (name)
    json_object_set_new(root, "name", json_string(name));
  size_t count = 0;
  for (char **s = names; *s; s++, count++)
    json_array_append_new(arr, json_string(*s));
  /* Sorted keys put "name" before "tags", as Distribution writes it. */
  _cleanup_free_ char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
  if (!text)
    return reply_error(r, REG_UNAVAILABLE, "out of memory");
  if (more && count > 0)
    reply_headerf(r, "Link", "<%s?n=%zu&last=%s>; rel=\"next\"", link_path, n, names[count - 1]);
  return reply_json(r, 200, text);
}

int api_tags_list(struct request *r)
{
  size_t n;
  if (api_check_name(r) < 0 || api_page_size(r, LIST_DEFAULT, &n) < 0)
    return -1;
  _cleanup_strv_ char **tags = NULL;
  bool more;
  struct wh_error *e = NULL;
  if (meta_tags_list(r->reg->meta, r->match.name, request_query(r, "last"), n, &tags, &more,
                     &e) < 0)
    return api_store_error(r, e, REG_NAME_UNKNOWN);
  _cleanup_free_ char *link = NULL;
  if (asprintf(&link, "/v2/%s/tags/list", r->match.name) < 0)
    return reply_error(r, REG_UNAVAILABLE, "out of memory");
  return api_reply_list(r, r->match.name, "tags", tags, more, n, link);
}
