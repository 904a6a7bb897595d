/* fuzz_ecr_lifecycle.c: libFuzzer target for lifecycle policy documents
 * (ecr_lifecycle_parse) and their evaluation. A policy that parses is
 * evaluated over a fixed set of tagged and untagged images; the per-rule
 * previews must partition the apply set (an image expired by at most one
 * rule) and every applied priority must be one of the policy's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "registry/ecr_lifecycle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1795451405

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct wh_error *err = NULL;
  struct ecr_lifecycle *p = ecr_lifecycle_parse((const char *) data, size,
                                                &err);
  if (!p) {
    if (!err || !err->msg)
      abort();
    wh_error_free(err);
    return 0;
  }
  static const char *const t0[] = { "prod-1", "beta-1" };
  static const char *const t1[] = { "v1.0" };
  static const char *const t2[] = { "latest", "dev", "test-1-2-3" };
  const struct ecr_lc_image im[] = {
    { "sha256:a", t0, 2, NOW - 10 * 86400, 0 },
    { "sha256:b", NULL, 0, NOW - 3 * 86400, NOW - 86400 },
    { "sha256:c", t1, 1, NOW - 40 * 86400, NOW - 20 * 86400 },
    { "sha256:d", t2, 3, NOW, 0 },
    { "sha256:e", NULL, 0, NOW - 100 * 86400, 0 },
  };
  struct ecr_lc_result r;
  if (ecr_lifecycle_evaluate(p, im, 5, NOW, &r, NULL) < 0)
    abort();
  size_t total = 0;
  for (size_t k = 0; k < r.n_rules; k++) {
    for (size_t j = 0; j < r.rules[k].n; j++)
      if (r.applied[r.rules[k].images[j]] != r.rules[k].priority)
        abort();
    total += r.rules[k].n;
  }
  if (total != r.n_expired)
    abort();
  for (size_t i = 0; i < 5; i++) {
    if (!r.applied[i])
      continue;
    bool known = false;
    for (size_t k = 0; k < p->n_rules; k++)
      known |= p->rules[k].priority == r.applied[i];
    if (!known)
      abort();
  }
  ecr_lc_result_free(&r);
  ecr_lifecycle_free(p);
  return 0;
}
