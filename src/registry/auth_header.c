/* auth_header.c: the scheme and basic credentials of an Authorization
 * header (auth_header.h). */
#include "registry/auth_header.h"

#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

enum auth_scheme auth_header_scheme(const char *h, const char **cred)
{
  if (strncasecmp(h, "Basic ", 6) == 0) {
    *cred = h + 6;
    return AUTH_SCHEME_BASIC;
  }
  if (strncasecmp(h, "Bearer ", 7) == 0) {
    *cred = h + 7;
    return AUTH_SCHEME_BEARER;
  }
  *cred = h;
  return AUTH_SCHEME_OTHER;
}

int auth_basic_decode(const char *b64, char *buf, size_t n, char **user, char **pass)
{
  size_t len = strlen(b64);
  if (len == 0 || len % 4 || len / 4 * 3 >= n)
    return -1;
  /* EVP_DecodeBlock skips leading and trailing whitespace, which would
   * make the padding arithmetic below wrong: base64 here has none. */
  if (strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != len)
    return -1;
  int got = EVP_DecodeBlock((unsigned char *) buf, (const unsigned char *) b64, (int) len);
  if (got < 0)
    return -1;
  if (b64[len - 1] == '=')
    got--;
  if (len >= 2 && b64[len - 2] == '=')
    got--;
  if (got < 0)
    return -1;
  buf[got] = '\0';
  if (strlen(buf) != (size_t) got)
    return -1;
  char *colon = strchr(buf, ':');
  if (!colon)
    return -1;
  *colon = '\0';
  *user = buf;
  *pass = colon + 1;
  return 0;
}
