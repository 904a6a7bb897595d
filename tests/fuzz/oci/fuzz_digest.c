/* fuzz_digest.c: libFuzzer target for oci_digest_parse(), which sees
 * digests from URLs, headers and manifests. Beyond "never crash", checks
 * the invariants callers rely on: a parsed digest is NUL-free, bounded,
 * has hex pointing past the ':' in its own copy, and re-parses the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "oci/digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct oci_digest d;
  struct wh_error *err = NULL;
  if (oci_digest_parse((const char *) data, size, &d, &err) < 0) {
    if (!err || !err->msg)
      abort();
    wh_error_free(err);
    return 0;
  }
  if (err || size > OCI_DIGEST_MAX || strlen(d.str) != size ||
      memcmp(d.str, data, size) != 0 || d.str[d.alg_len] != ':' ||
      d.hex != d.str + d.alg_len + 1)
    abort();
  struct oci_digest again;
  if (oci_digest_parse(d.str, strlen(d.str), &again, NULL) < 0 ||
      again.alg != d.alg || again.alg_len != d.alg_len)
    abort();
  if (oci_digest_valid(d.str) != (d.alg != OCI_DIGEST_OTHER))
    abort();
  return 0;
}
