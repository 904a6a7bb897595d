/* oci/quote.c: printable, bounded renderings of untrusted text for error
 * messages (see quote.h). */
#include "oci/quote.h"

#include <stdio.h>

const char *oci_quote(char out[OCI_QUOTE_SIZE], const char *s, size_t len)
{
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  size_t shown = len < OCI_QUOTE_SHOWN ? len : OCI_QUOTE_SHOWN;
  for (size_t i = 0; i < shown; i++) {
    unsigned char c = (unsigned char) s[i];
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      out[o++] = (char) c;
    } else {
      out[o++] = '\\';
      out[o++] = 'x';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 0xf];
    }
  }
  if (shown < len) {
    out[o++] = '.';
    out[o++] = '.';
    out[o++] = '.';
  }
  out[o] = '\0';
  return out;
}
