/* fuzz_challenge.c: libFuzzer target for the WWW-Authenticate parser
 * (image/challenge.c): a registry's 401 header. A bearer result always has
 * an http(s) realm without spaces or control characters. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "image/challenge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *h = malloc(size + 1);
  if (!h)
    return 0;
  memcpy(h, data, size);
  h[size] = '\0';
  struct image_challenge c;
  struct wh_error *err = NULL;
  if (image_challenge_parse(h, &c, &err) == 0) {
    if (c.scheme == IMAGE_AUTH_BEARER) {
      if (!c.realm || (strncmp(c.realm, "http://", 7) && strncmp(c.realm, "https://", 8)) ||
          strchr(c.realm, ' ') || strchr(c.realm, '\n'))
        abort();
    } else if (c.scheme != IMAGE_AUTH_BASIC || c.realm) {
      abort();
    }
    image_challenge_free(&c);
  } else if (!err) {
    abort();
  }
  wh_error_free(err);
  free(h);
  return 0;
}
