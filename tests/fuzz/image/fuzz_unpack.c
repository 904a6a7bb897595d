/* fuzz_unpack.c: libFuzzer target for the whole tar entry handling
 * (image/unpack.c): the input is a layer stream (tar, maybe gzip or
 * zstd) unpacked into a fresh directory inside a sandbox directory. After
 * each input the sandbox must hold only the layer directory: a member
 * that escaped would show up next to it. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/file.h"
#include "image/unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct src {
  const uint8_t *p;
  size_t left;
};

static ssize_t rd(void *ctx, const void **buf)
{
  struct src *s = ctx;
  size_t n = s->left > 1024 ? 1024 : s->left;
  *buf = s->p;
  s->p += n;
  s->left -= n;
  return (ssize_t) n;
}

static char sandbox[64];

static void remove_sandbox(void)
{
  wh_rm_rf_at(AT_FDCWD, sandbox, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!sandbox[0]) {
    strcpy(sandbox, "/tmp/wharf-fuzz-unpack-XXXXXX");
    if (!mkdtemp(sandbox))
      abort();
    atexit(remove_sandbox);
  }
  int sb = open(sandbox, O_RDONLY | O_DIRECTORY);
  if (sb < 0)
    abort();
  /* the layer dir sits one level down so an escape has somewhere to land */
  if (mkdirat(sb, "box", 0755) < 0 || mkdirat(sb, "box/layer", 0755) < 0)
    abort();
  int layer = openat(sb, "box/layer", O_RDONLY | O_DIRECTORY);
  struct src s = {data, size};
  struct image_unpack_limits lim = {.max_bytes = 8 << 20, .max_entries = 10000};
  struct image_unpack_result res;
  struct wh_error *err = NULL;
  image_unpack(layer, rd, &s, &lim, &res, &err);
  wh_error_free(err);
  close(layer);
  int box = openat(sb, "box", O_RDONLY | O_DIRECTORY);
  DIR *d = fdopendir(box);
  struct dirent *de;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "layer"))
      abort(); /* something was written next to the layer directory */
  closedir(d);
  wh_rm_rf_at(sb, "box", NULL);
  close(sb);
  return 0;
}
