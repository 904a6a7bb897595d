/* fuzz_auth_header.c: libFuzzer target for the Authorization header
 * parsing of `serve --auth` (registry/auth_header.c): the scheme split
 * and basic credentials. Bearer tokens are fuzz_ecr_jwt.c's.
 *
 * The input is tried two ways. As a header value: the scheme and the
 * decoded user and password must lie inside the buffer, the user has no
 * colon, and decoding what was decoded, re-encoded, gives it back. As
 * raw "user:password" bytes: encoded with OpenSSL, it must decode to the
 * same strings whenever it has a colon and no NUL and fits. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "registry/auth_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BUF 2048 /* what auth.c decodes into */

static void check_decoded(const char *buf, const char *user, const char *pass)
{
  if (user != buf || pass < buf || pass >= buf + BUF || strchr(user, ':') ||
      pass != user + strlen(user) + 1)
    abort();
}

/* Encode "user:pass" and decode it again: the same two strings. */
static void roundtrip(const char *user, const char *pass)
{
  size_t ul = strlen(user), pl = strlen(pass), n = ul + 1 + pl;
  unsigned char *raw = malloc(n + 1);
  char *b64 = malloc(4 * ((n + 2) / 3) + 1);
  if (!raw || !b64)
    abort();
  memcpy(raw, user, ul);
  raw[ul] = ':';
  memcpy(raw + ul + 1, pass, pl);
  EVP_EncodeBlock((unsigned char *) b64, raw, (int) n);
  char buf[BUF], *u, *p;
  int rc = auth_basic_decode(b64, buf, sizeof(buf), &u, &p);
  bool fits = 4 * ((n + 2) / 3) / 4 * 3 < sizeof(buf);
  if (rc < 0 ? fits : !fits || strcmp(u, user) != 0 || strcmp(p, pass) != 0)
    abort();
  free(raw);
  free(b64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  const char *cred;
  enum auth_scheme k = auth_header_scheme(s, &cred);
  if (cred < s || cred > s + size || (k == AUTH_SCHEME_OTHER && cred != s))
    abort();
  if (k == AUTH_SCHEME_BASIC) {
    char buf[BUF], *u, *p;
    if (auth_basic_decode(cred, buf, sizeof(buf), &u, &p) == 0) {
      check_decoded(buf, u, p);
      char user[BUF], pass[BUF];
      strcpy(user, u);
      strcpy(pass, p);
      roundtrip(user, pass);
    }
  }
  /* raw "user:password" bytes (no NUL inside: C strings) */
  char *colon = memchr(data, ':', size);
  if (colon && !memchr(data, '\0', size) && size < 4 * BUF) {
    s[(const uint8_t *) colon - data] = '\0';
    roundtrip(s, s + ((const uint8_t *) colon - data) + 1);
  }
  free(s);
  return 0;
}
