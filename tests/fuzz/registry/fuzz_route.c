/* fuzz_route.c: libFuzzer target for route_parse() (registry/routes.c),
 * which splits every request path. Checks that what it matched points
 * inside the path and that a name and reference never contain the
 * separator the grammar split on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *p = malloc(size + 1);
  if (!p)
    return 0;
  memcpy(p, data, size);
  p[size] = '\0';
  struct route_match m;
  enum route_kind k = route_parse(p, &m);
  if (k != m.kind || (unsigned) k >= ROUTE_KIND_COUNT)
    abort();
  if (m.name && (m.name < p || m.name > p + size))
    abort();
  if (m.ref && (m.ref < p || m.ref > p + size || strchr(m.ref, '/')))
    abort();
  if ((k == ROUTE_MANIFEST || k == ROUTE_BLOB || k == ROUTE_REFERRERS || k == ROUTE_UPLOAD) &&
      (!m.name || !m.ref || !*m.ref))
    abort();
  free(p);
  return 0;
}
