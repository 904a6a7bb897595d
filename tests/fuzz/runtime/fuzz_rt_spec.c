/* fuzz_rt_spec.c: libFuzzer target for the config.json parser
 * (oci_spec_parse) and its pieces used alone by exec and update
 * (oci_process_parse, oci_resources_parse). Whatever the input: no crash,
 * no leak, and a failure always carries a message; a success has the
 * fields the runtime relies on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "oci/runtime_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct wh_error *err = NULL;
  struct oci_spec s;
  if (oci_spec_parse((const char *) data, size, &s, &err) == 0) {
    if (!s.oci_version || !s.annotations_json)
      abort();
    if (s.has_process && (!s.process.cwd || s.process.cwd[0] != '/'))
      abort();
    for (size_t i = 0; i < s.n_mounts; i++)
      if (!s.mounts[i].destination || s.mounts[i].destination[0] != '/')
        abort();
    oci_spec_free(&s);
  } else if (!err || !err->msg) {
    abort();
  }
  wh_error_free(err);
  err = NULL;

  struct oci_process p;
  if (oci_process_parse((const char *) data, size, &p, &err) == 0)
    oci_process_free(&p);
  wh_error_free(err);
  err = NULL;

  struct oci_resources r;
  if (oci_resources_parse((const char *) data, size, &r, &err) == 0)
    oci_resources_free(&r);
  wh_error_free(err);
  return 0;
}
