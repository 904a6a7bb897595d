/* fuzz_ecr_mutability.c: libFuzzer target for tag immutability settings
 * (ecr_mutability_parse) from a request body. Settings that parse must
 * survive a round trip through ecr_mutability_to_json, and the answer
 * for a few tags must not change across it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/json.h"
#include "registry/ecr_mutability.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  json_t *j = wh_json_parse((const char *) data, size, "request", NULL);
  if (!j)
    return 0;
  struct ecr_mutability m, again;
  struct wh_error *err = NULL;
  if (!json_is_object(j) || ecr_mutability_parse(j, &m, &err) < 0) {
    wh_error_free(err);
    json_decref(j);
    return 0;
  }
  json_t *o = json_object();
  if (!o || ecr_mutability_to_json(&m, o) < 0 ||
      ecr_mutability_parse(o, &again, NULL) < 0 || again.mode != m.mode ||
      again.n_filters != m.n_filters)
    abort();
  static const char *const tags[] = { "latest", "v1.2.3", "dev-1", "a" };
  for (size_t i = 0; i < 4; i++)
    if (ecr_tag_immutable(&m, tags[i]) != ecr_tag_immutable(&again, tags[i]))
      abort();
  ecr_mutability_clear(&again);
  ecr_mutability_clear(&m);
  json_decref(o);
  json_decref(j);
  return 0;
}
