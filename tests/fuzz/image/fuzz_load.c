/* fuzz_load.c: libFuzzer target for `load` (image/load.c): the input is
 * an archive (tar, maybe compressed) read as an OCI layout or a
 * docker-archive into a store in a sandbox directory; its index.json,
 * manifest.json, manifests, configs and layers are all untrusted. After
 * each input every image is pruned; the store must then hold no files. */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "image/saveload.h"
#include "image/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char sandbox[64];
static struct image_store *store;

static void done(void)
{
  if (store)
    image_store_close(store);
  wh_rm_rf_at(AT_FDCWD, sandbox, NULL);
}

static size_t count_entries(const char *sub)
{
  char p[128];
  snprintf(p, sizeof(p), "%s/%s", sandbox, sub);
  DIR *d = opendir(p);
  size_t n = 0;
  struct dirent *de;
  while (d && (de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      n++;
  if (d)
    closedir(d);
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!store) {
    strcpy(sandbox, "/tmp/wharf-fuzz-load-XXXXXX");
    if (!mkdtemp(sandbox) || image_store_open(sandbox, IMAGE_STORE_EXCLUSIVE, &store, NULL) < 0)
      abort();
    atexit(done);
  }
  int fd = memfd_create("load", MFD_CLOEXEC);
  if (fd < 0 || wh_write_all(fd, data, size, NULL) < 0 || lseek(fd, 0, SEEK_SET) < 0)
    abort();
  char **ids = NULL;
  struct wh_error *err = NULL;
  if (image_load(store, fd, &ids, &err) == 0)
    wh_strvfreep(&ids);
  wh_error_free(err);
  close(fd);
  size_t n;
  uint64_t bytes;
  if (image_store_prune(store, true, &n, &bytes, NULL) < 0)
    abort();
  if (count_entries("blobs/sha256") || count_entries("layers") || count_entries("tmp"))
    abort(); /* something outlived its image, or a failed load left files */
  return 0;
}
