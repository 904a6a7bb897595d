/* fuzz_range.c: libFuzzer target for content_range_parse() and
 * range_parse() (registry/range.c), which see the Content-Range of upload
 * chunks and the Range of blob GETs. Checks the invariants the handlers
 * rely on: a parsed Content-Range has start <= end; a satisfiable Range
 * lies inside the entity. The first 8 bytes choose the entity's size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  uint64_t entity = 0;
  if (size >= 8) {
    memcpy(&entity, data, 8);
    data += 8;
    size -= 8;
    entity %= (1ULL << 40);
  }
  char *s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  uint64_t a, b;
  if (content_range_parse(s, &a, &b) == 0 && a > b)
    abort();
  uint64_t off, len;
  enum range_result r = range_parse(s, entity, &off, &len);
  if (r == RANGE_OK && (len == 0 || off >= entity || len > entity - off))
    abort();
  free(s);
  return 0;
}
