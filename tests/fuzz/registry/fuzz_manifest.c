/* fuzz_manifest.c: libFuzzer target for manifest_parse()
 * (registry/manifest.c), which sees every pushed manifest. The first
 * byte picks the Content-Type the request claims. Checks that an
 * accepted manifest has a manifest media type and that every collected
 * digest is a non-empty string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "registry/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const types[] = {
    NULL,
    OCI_MT_IMAGE_MANIFEST,
    OCI_MT_IMAGE_INDEX,
    DOCKER_MT_MANIFEST,
    DOCKER_MT_MANIFEST_LIST,
    "text/plain",
  };
  const char *ct = NULL;
  if (size > 0) {
    ct = types[data[0] % (sizeof(types) / sizeof(types[0]))];
    data++;
    size--;
  }
  struct manifest_info mi;
  struct wh_error *err = NULL;
  if (manifest_parse(ct, (const char *) data, size, &mi, &err) < 0) {
    if (!err || !err->msg)
      abort();
    wh_error_free(err);
    return 0;
  }
  if (!oci_media_type_is_manifest(mi.kind) || !mi.media_type)
    abort();
  for (size_t i = 0; i < mi.n_blobs; i++)
    if (!mi.blobs[i] || !*mi.blobs[i])
      abort();
  for (size_t i = 0; i < mi.n_children; i++)
    if (!mi.children[i] || !*mi.children[i])
      abort();
  manifest_info_clear(&mi);
  return 0;
}
