/* api_catalog.c: GET /v2/_catalog with ?n= and ?last= pagination. */
#include "registry/api.h"
#include "registry/api_lists.h"

#include "base/cleanup.h"
#include "base/error.h"
#include "registry/registry.h"
#include "registry/store_meta.h"

int api_catalog(struct request *r)
{
  size_t n;
  if (api_page_size(r, 10000, &n) < 0)
    return -1;
  _cleanup_strv_ char **repos = NULL;
  bool more;
  struct wh_error *e = NULL;
  if (meta_catalog(r->reg->meta, request_query(r, "last"), n, &repos, &more, &e) < 0)
    return api_store_error(r, e, REG_NAME_UNKNOWN);
  return api_reply_list(r, NULL, "repositories", repos, more, n, "/v2/_catalog");
}
