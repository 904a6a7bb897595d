/* api_lists.h: the JSON reply of a paginated name list (tags, catalog). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "registry/http.h"

/* {"<name_key>": name (if non-NULL), "<list_key>": [names…]} and, when
 * more exist, Link: <link_path?n=N&last=LAST>; rel="next". */
int api_reply_list(struct request *r, const char *name, const char *list_key,
                   char **names, bool more, size_t n, const char *link_path);
