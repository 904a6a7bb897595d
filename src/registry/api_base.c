/* api_base.c: GET /v2/, the API version check every client starts with. */
#include "registry/api.h"

int api_base_get(struct request *r)
{
  return reply_json(r, 200, "{}");
}
