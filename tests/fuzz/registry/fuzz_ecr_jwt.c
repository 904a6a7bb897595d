/* fuzz_ecr_jwt.c: libFuzzer target for bearer-token verification and
 * scope parsing (ecr_jwt.c).
 *
 * The input is tried three ways: as a token as received (it must never
 * verify: the fuzzer cannot produce the HMAC), as "header.payload" that
 * this target signs with the key (so the header and claims parsers see
 * arbitrary JSON behind a valid signature), and as scope parameters. A
 * token that verifies must re-sign and verify to the same claims. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/error.h"
#include "registry/ecr_jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char key[] = "fuzz-key-fuzz-key-fuzz-key-fuzz-key";
#define KEYLEN (sizeof(key) - 1)

static void roundtrip(const struct ecr_jwt_claims *c)
{
  if (!c->iss || !c->sub || !c->aud || c->exp <= 0)
    return;
  char *t = ecr_jwt_sign(c, key, KEYLEN, NULL);
  if (!t)
    abort();
  struct ecr_jwt_claims again;
  struct ecr_jwt_verify_opts o = { .now_s = c->exp, .audience = c->aud };
  if (ecr_jwt_verify(t, key, KEYLEN, &o, &again, NULL) < 0)
    abort();
  if (strcmp(again.sub, c->sub) != 0 || again.n_access != c->n_access)
    abort();
  for (size_t i = 0; i < c->n_access; i++)
    if (again.access[i].actions != c->access[i].actions ||
        strcmp(again.access[i].name, c->access[i].name) != 0)
      abort();
  ecr_jwt_claims_free(&again);
  free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > ECR_JWT_MAX + 16)
    return 0;
  char *s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  struct ecr_jwt_verify_opts o = { .now_s = 1795451700 };
  struct ecr_jwt_claims c;
  struct wh_error *err = NULL;
  if (ecr_jwt_verify(s, key, KEYLEN, &o, &c, &err) == 0)
    abort();
  wh_error_free(err);
  err = NULL;

  unsigned char mac[32];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key, (int) KEYLEN, data, size, mac, &len)) {
    char *sig = ecr_b64url_encode(mac, len);
    size_t n = strlen(s);  /* up to the first NUL */
    char *t = malloc(n + 2 + (sig ? strlen(sig) : 0));
    if (sig && t && n == size) {
      memcpy(t, s, n);
      t[n] = '.';
      strcpy(t + n + 1, sig);
      if (ecr_jwt_verify(t, key, KEYLEN, &o, &c, &err) == 0) {
        roundtrip(&c);
        ecr_jwt_claims_free(&c);
      } else {
        if (!err || c.sub || c.access)
          abort();
        wh_error_free(err);
        err = NULL;
      }
    }
    free(t);
    free(sig);
  }

  const char *params[] = { s };
  struct ecr_jwt_access *list;
  size_t n;
  if (ecr_scopes_parse(params, 1, &list, &n, &err) == 0)
    ecr_jwt_access_free(list, n);
  else if (!err || list)
    abort();
  wh_error_free(err);
  free(s);
  return 0;
}
