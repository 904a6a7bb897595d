/* fuzz_reference.c: libFuzzer target for oci_reference_parse() and the
 * name and tag checks. A reference that parses must format and re-parse
 * to the same fields (and, since parsing normalizes nothing, format back
 * to the input); its path and tag must pass the standalone checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "oci/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const char *a, const char *b)
{
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* The checks take a length: feed them the raw bytes, NULs included. */
  oci_name_check((const char *) data, size, NULL);
  oci_tag_check((const char *) data, size, NULL);

  char *s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';

  struct oci_reference r;
  struct wh_error *err = NULL;
  if (oci_reference_parse(s, &r, &err) < 0) {
    if (!err || !err->msg || r.domain || r.path || r.tag || r.digest)
      abort();
    wh_error_free(err);
    free(s);
    return 0;
  }
  if (!r.path || oci_name_check(r.path, strlen(r.path), NULL) < 0 ||
      (r.tag && !oci_tag_valid(r.tag)))
    abort();
  char *f = oci_reference_format(&r);
  if (!f || strcmp(f, s) != 0)
    abort();
  struct oci_reference again;
  if (oci_reference_parse(f, &again, NULL) < 0)
    abort();
  if (!same(r.domain, again.domain) || !same(r.path, again.path) ||
      !same(r.tag, again.tag) || !same(r.digest, again.digest))
    abort();
  oci_reference_free(&again);
  oci_reference_free(&r);
  free(f);
  free(s);
  return 0;
}
