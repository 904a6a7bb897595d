/* fuzz_path_clean.c: libFuzzer target for wh_path_clean().
 *
 * Names from tar entries and requests go through wh_path_clean before
 * they are joined to anything, so its invariants are what keeps a "../"
 * from climbing out: the result never starts with "..", never holds "//"
 * or "/./", never has a ".." component, and cleaning it again changes
 * nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
  if (!ok)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *in = malloc(size + 1);
  if (!in)
    return 0;
  memcpy(in, data, size);
  in[size] = '\0';
  char *out = wh_path_clean(in);
  if (!out) {
    free(in);
    return 0;
  }
  size_t n = strlen(out);
  check(n > 0);
  check(n <= strlen(in) || strcmp(out, ".") == 0);
  check(out[0] != '/');
  check(strncmp(out, "..", 2) != 0 || (n > 2 && out[2] != '/'));
  check(strcmp(out, "..") != 0);
  check(!strstr(out, "//"));
  check(!strstr(out, "/./"));
  check(!strstr(out, "/../"));
  check(n < 3 || strcmp(out + n - 3, "/..") != 0);
  check(n < 2 || strcmp(out + n - 2, "/.") != 0);
  check(strcmp(out, ".") == 0 || strncmp(out, "./", 2) != 0);
  check(n == 1 || out[n - 1] != '/');
  char *again = wh_path_clean(out);
  if (again) {
    check(strcmp(again, out) == 0);
    free(again);
  }
  free(out);
  free(in);
  return 0;
}
