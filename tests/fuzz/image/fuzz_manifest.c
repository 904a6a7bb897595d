/* fuzz_manifest.c: libFuzzer target for the manifest and index parsers
 * (image/manifest.c). Whatever parses must have validated digests and
 * bounded counts; nothing may crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "image/manifest.h"
#include "oci/digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *d = (const char *) data;
  struct wh_error *err = NULL;
  enum oci_media_type kind;
  image_manifest_kind(d, size, NULL, &kind, &err);
  wh_error_free(err);
  err = NULL;
  struct image_manifest m;
  if (image_manifest_parse(d, size, NULL, &m, &err) == 0) {
    if (!oci_digest_valid(m.config.digest) || m.n_layers > IMAGE_LAYERS_MAX)
      abort();
    for (size_t i = 0; i < m.n_layers; i++)
      if (!oci_digest_valid(m.layers[i].digest) || m.layers[i].size < 0)
        abort();
    image_manifest_free(&m);
  }
  wh_error_free(err);
  err = NULL;
  struct image_index idx;
  if (image_index_parse(d, size, "application/vnd.oci.image.index.v1+json", &idx, &err) == 0) {
    struct image_platform p;
    image_platform_host(&p);
    size_t pick;
    struct wh_error *e2 = NULL;
    if (image_index_select(&idx, &p, &pick, &e2) == 0 && pick >= idx.n_manifests)
      abort();
    wh_error_free(e2);
    image_index_free(&idx);
  }
  wh_error_free(err);
  return 0;
}
