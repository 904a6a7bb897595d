/* wharf_image_archive.c: save, load, import. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "image/saveload.h"
#include "image/store.h"
#include "wharf_image.h"
#include "wharf_image_util.h"

static const char usage_save[] =
  "Usage: wharf save [OPTIONS] IMAGE...\n"
  "\n"
  "Options:\n"
  "  -o, --output FILE    write to FILE (default: stdout, not a terminal)\n"
  "      --format FORMAT  docker-archive (default) or oci-archive\n";

int wharf_cmd_save(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  enum { O_FMT = 256 };
  static const struct option opts[] = {
    {"output", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, O_FMT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *output = NULL;
  enum image_archive_format fmt = IMAGE_ARCHIVE_DOCKER;
  int c;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o': output = optarg; break;
    case O_FMT:
      if (strcmp(optarg, "oci-archive") == 0)
        fmt = IMAGE_ARCHIVE_OCI;
      else if (strcmp(optarg, "docker-archive") == 0)
        fmt = IMAGE_ARCHIVE_DOCKER;
      else
        return wh_error_set(err, WH_ERR_INVALID,
                            "save: --format: docker-archive or oci-archive, not \"%s\"", optarg);
      break;
    case 'h': fputs(usage_save, stdout); return 0;
    default: return wh_error_set(err, WH_ERR_INVALID, "save: bad option");
    }
  }
  if (optind >= argc)
    return wh_error_set(err, WH_ERR_INVALID, "save: expected IMAGE...");
  if (!output && isatty(1))
    return wh_error_set(err, WH_ERR_INVALID, "save: refusing to write a tar to a terminal (-o FILE)");
  _cleanup_store_ struct image_store *s = NULL;
  if (wharf_open_store(g, IMAGE_STORE_READ, &s, err) < 0)
    return -1;
  if (!output)
    return image_save(s, argv + optind, (size_t) (argc - optind), fmt, 1, err);
  /* a temporary next to the output, renamed when complete */
  _cleanup_free_ char *tmp = NULL;
  if (asprintf(&tmp, "%s.tmp-%d", output, (int) getpid()) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return wh_error_errno(err, "save: %s", tmp);
  if (image_save(s, argv + optind, (size_t) (argc - optind), fmt, fd, err) < 0 ||
      fsync(fd) < 0 || rename(tmp, output) < 0) {
    if (err && !*err)
      wh_error_errno(err, "save: %s", output);
    unlink(tmp);
    return -1;
  }
  return 0;
}

int wharf_cmd_load(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option opts[] = {
    {"input", required_argument, NULL, 'i'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *input = NULL;
  bool quiet = false;
  int c;
  while ((c = getopt_long(argc, argv, "i:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'i': input = optarg; break;
    case 'q': quiet = true; break;
    case 'h': fputs("Usage: wharf load [-i FILE] [-q]\n", stdout); return 0;
    default: return wh_error_set(err, WH_ERR_INVALID, "load: bad option");
    }
  }
  _cleanup_close_ int fd = input ? open(input, O_RDONLY | O_CLOEXEC) : dup(0);
  if (fd < 0)
    return wh_error_errno(err, "load: %s", input ? input : "stdin");
  _cleanup_store_ struct image_store *s = NULL;
  if (wharf_open_store(g, IMAGE_STORE_WRITE, &s, err) < 0)
    return -1;
  _cleanup_strv_ char **ids = NULL;
  if (image_load(s, fd, &ids, err) < 0)
    return -1;
  for (char **id = ids; id && *id; id++) {
    _cleanup_(image_info_free) struct image_info info = {0};
    if (image_store_lookup(s, *id, &info, err) < 0)
      return -1;
    if (quiet)
      printf("%s\n", *id);
    else
      printf("Loaded image: %s\n", info.names && info.names[0] ? info.names[0] : *id);
  }
  return 0;
}

int wharf_cmd_import(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option opts[] = {
    {"message", required_argument, NULL, 'm'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *message = NULL;
  int c;
  while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
    switch (c) {
    case 'm': message = optarg; break;
    case 'h':
      fputs("Usage: wharf import [-m MESSAGE] FILE|- [NAME]\n\nMake a one-layer image from a"
            " root file system tar (plain, gzip or zstd).\n", stdout);
      return 0;
    default: return wh_error_set(err, WH_ERR_INVALID, "import: bad option");
    }
  }
  if (optind >= argc || argc - optind > 2)
    return wh_error_set(err, WH_ERR_INVALID, "import: expected FILE|- [NAME]");
  const char *file = argv[optind];
  _cleanup_close_ int fd = strcmp(file, "-") == 0 ? dup(0) : open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return wh_error_errno(err, "import: %s", file);
  _cleanup_store_ struct image_store *s = NULL;
  if (wharf_open_store(g, IMAGE_STORE_WRITE, &s, err) < 0)
    return -1;
  _cleanup_free_ char *id = NULL;
  if (image_import(s, fd, optind + 1 < argc ? argv[optind + 1] : NULL, message, &id, err) < 0)
    return -1;
  printf("%s\n", id);
  return 0;
}
