/* fuzz_tarentry.c: libFuzzer target for layer member names and hard-link
 * targets (image/tarentry.c). The input is split at the first NUL into a
 * member name and a link target; the invariants are what keeps a member
 * inside its layer: a cleaned path is relative, has no "." or ".."
 * component and no empty one, and whiteouts always name a real file. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "image/tarentry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *in)
{
  char *out = NULL;
  struct wh_error *err = NULL;
  if (image_tar_clean_path(in, "entry", &out, &err) < 0) {
    if (!err || out)
      abort();
    wh_error_free(err);
    return;
  }
  size_t n = strlen(out);
  if (n == 0 || out[0] == '/' || out[n - 1] == '/' || n > IMAGE_TAR_PATH_MAX)
    abort();
  if (strcmp(out, ".") != 0) {
    char *copy = strdup(out), *save = NULL;
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
      if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0 || strlen(c) > IMAGE_TAR_NAME_MAX)
        abort();
    free(copy);
    if (strstr(out, "//"))
      abort();
    const char *base = strrchr(out, '/');
    base = base ? base + 1 : out;
    enum image_whiteout k;
    const char *t = NULL;
    struct wh_error *e2 = NULL;
    if (image_tar_whiteout(base, &k, &t, &e2) == 0) {
      if (k == IMAGE_WHITEOUT_FILE && (!t || !*t || strcmp(t, "..") == 0 || strcmp(t, ".") == 0))
        abort();
    }
    wh_error_free(e2);
  }
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *in = malloc(size + 2);
  if (!in)
    return 0;
  memcpy(in, data, size);
  in[size] = in[size + 1] = '\0';
  check_clean(in);
  size_t first = strlen(in);
  if (first < size)
    check_clean(in + first + 1);
  free(in);
  return 0;
}
