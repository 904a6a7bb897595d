/* fuzz_mediatype.c: libFuzzer target for media type classification (on
 * Content-Type headers) and the RFC 6838 syntax check (on manifest
 * fields). A known kind's canonical name must classify as that kind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/mediatype.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  enum oci_media_type t = oci_media_type_parse((const char *) data, size);
  const char *name = oci_media_type_name(t);
  if ((t == OCI_MEDIA_UNKNOWN) != (name == NULL))
    abort();
  if (name && (oci_media_type_parse(name, strlen(name)) != t ||
               !oci_media_type_syntax_valid(name)))
    abort();
  if (oci_media_type_is_index(t) && !oci_media_type_is_manifest(t))
    abort();
  if (oci_media_type_compression(t) != OCI_COMP_NONE &&
      !oci_media_type_is_layer(t))
    abort();

  char *s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  oci_media_type_syntax_valid(s);
  free(s);
  return 0;
}
