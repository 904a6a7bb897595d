/* fuzz_ecr_sigv4.c: libFuzzer target for the SigV4 Authorization header
 * parser and the canonical request builder (ecr_sigv4.c).
 *
 * Input: line 1 the Authorization value, line 2 the path, line 3 the
 * query, further lines "name:value" headers. A parsed header must have a
 * 64-hex signature and sorted signed headers; verification must refuse
 * (the secret is fixed and the fuzzer cannot forge HMACs) without
 * crashing, whatever the path, query and headers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "registry/ecr_sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > 16384)
    return 0;
  char *s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  char *lines[MAX_LINES];
  size_t n = 0;
  char *save = NULL;
  for (char *l = strtok_r(s, "\n", &save); l && n < MAX_LINES;
       l = strtok_r(NULL, "\n", &save))
    lines[n++] = l;
  if (n == 0) {
    free(s);
    return 0;
  }
  struct ecr_sigv4_auth auth;
  enum ecr_sigv4_code code;
  struct wh_error *err = NULL;
  if (ecr_sigv4_parse_authorization(lines[0], &auth, &code, &err) < 0) {
    if (!err || code == ECR_SIGV4_OK || auth.access_key_id)
      abort();
    wh_error_free(err);
    free(s);
    return 0;
  }
  if (strlen(auth.signature) != 64 || auth.n_signed == 0)
    abort();
  for (size_t i = 1; i < auth.n_signed; i++)
    if (strcmp(auth.signed_headers[i - 1], auth.signed_headers[i]) >= 0)
      abort();
  struct ecr_sigv4_header h[MAX_LINES];
  size_t nh = 0;
  for (size_t i = 3; i < n; i++) {
    char *colon = strchr(lines[i], ':');
    if (!colon)
      continue;
    *colon = '\0';
    h[nh++] = (struct ecr_sigv4_header) { lines[i], colon + 1 };
  }
  struct ecr_sigv4_request req = {
    .method = "POST", .path = n > 1 ? lines[1] : "/",
    .query = n > 2 ? lines[2] : NULL, .headers = h, .n_headers = nh,
    .payload_sha256 =
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  };
  char *creq = ecr_sigv4_canonical_request(&req, &auth, true, NULL);
  free(creq);
  struct ecr_sigv4_opts opts = { .now_s = 1440938160 };
  if (ecr_sigv4_verify(&req, &auth, "secret", 6, &opts, &code, &err) == 0)
    abort();
  wh_error_free(err);
  ecr_sigv4_auth_free(&auth);
  free(s);
  return 0;
}
