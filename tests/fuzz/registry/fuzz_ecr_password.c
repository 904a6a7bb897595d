/* fuzz_ecr_password.c: libFuzzer target for ecr_secret_open (sealed
 * secrets read back from the metadata store) and the stored-hash check of
 * ecr_password_verify. Nothing the fuzzer writes may open under the fixed
 * key (it cannot forge a GCM tag); a seal of the input must open back to
 * the input. The password check only runs on short inputs: yescrypt is
 * deliberately slow. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "registry/ecr_password.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char key[ECR_KEY_LEN] = "0123456789abcdef0123456789abcde";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > 4096)
    return 0;
  char *s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  struct wh_error *err = NULL;
  size_t n;
  char *plain = ecr_secret_open(key, "AKIAFUZZ", s, &n, &err);
  if (plain)
    abort();
  if (!err)
    abort();
  wh_error_free(err);
  err = NULL;
  if (size > 0 && size <= 1024) {
    char *sealed = ecr_secret_seal(key, "AKIAFUZZ", (const char *) data, size,
                                   NULL);
    if (!sealed)
      abort();
    plain = ecr_secret_open(key, "AKIAFUZZ", sealed, &n, NULL);
    if (!plain || n != size || memcmp(plain, data, size) != 0)
      abort();
    free(plain);
    free(sealed);
  }
  /* Stored hashes that are not yescrypt/bcrypt/sha512crypt are refused
   * before libcrypt sees them. Of the strong ones only sha512crypt at its
   * default cost runs here: the others carry a cost in the string that
   * the fuzzer could raise to hours (stored hashes are the server's own,
   * not client input). */
  bool cheap = s[0] != '$' ||
               (strncmp(s, "$6$", 3) == 0 && !strstr(s, "rounds="));
  if (size < 64 && cheap) {
    bool ok = false;
    if (ecr_password_verify("password", s, &ok, &err) == 0 && ok &&
        strcmp(s, "password") == 0)
      abort();
    wh_error_free(err);
  }
  free(s);
  return 0;
}
