/* fuzz_config.c: libFuzzer target for the image config parser and the
 * chain ids computed from it (image/manifest.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "image/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct wh_error *err = NULL;
  struct image_config c;
  if (image_config_parse((const char *) data, size, &c, &err) == 0) {
    if (!c.platform.os || !c.platform.arch || c.n_diff_ids > IMAGE_LAYERS_MAX)
      abort();
    char **ids = NULL;
    if (image_chain_ids(c.diff_ids, c.n_diff_ids, &ids, NULL) == 0) {
      for (size_t i = 0; i < c.n_diff_ids; i++)
        if (strncmp(ids[i], "sha256:", 7) != 0 || strlen(ids[i]) != 71)
          abort();
      wh_strvfreep(&ids);
    }
    image_config_free(&c);
  }
  wh_error_free(err);
  return 0;
}
