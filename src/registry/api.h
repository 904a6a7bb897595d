/* api.h: the OCI Distribution API handlers, one file per API area. */
#pragma once

#include "registry/http.h"

/* api_base.c: GET /v2/ */
int api_base_get(struct request *r);
