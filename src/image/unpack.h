/* image/unpack.h: apply a layer tar stream to a directory.
 *
 * The stream (gzip, zstd or plain tar: detected from the bytes) is read
 * through a callback, so a layer is unpacked while it downloads. The
 * uncompressed bytes are hashed on the way (the layer's diff id) and
 * counted against a limit (tar bombs). Every member is created with *at
 * calls below the layer directory: parents walked one component at a time
 * with O_NOFOLLOW (a member that goes through a symlink is refused), the
 * last component as one checked name, so no member (nor a symlink made by
 * an earlier member) can write outside the directory. Relative symlinks
 * that climb out of the layer, and hard links to anything but a file of
 * the layer, are refused too. Whiteouts are stored
 * the way overlayfs reads them (a 0/0 character device; the
 * trusted.overlay.opaque xattr), ready to be an overlay lower layer. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "base/digest.h"

struct wh_error;

/* Returns the number of bytes at *buf (0 at the end of the stream) or -1
 * on failure; the source keeps its own error for the caller. */
typedef ssize_t (*image_read_fn)(void *ctx, const void **buf);

struct image_unpack_limits {
  uint64_t max_bytes;   /* uncompressed tar bytes; 0 = default */
  uint64_t max_entries; /* 0 = default */
};

#define IMAGE_UNPACK_DEFAULT_MAX_BYTES (64ull << 30)
#define IMAGE_UNPACK_DEFAULT_MAX_ENTRIES 4000000ull

struct image_unpack_result {
  char diff_id[WH_DIGEST_STR_MAX]; /* sha256 of the uncompressed tar */
  uint64_t tar_bytes;
  uint64_t content_bytes; /* sum of regular file sizes */
  uint64_t entries;
};

int image_unpack(int layer_dirfd, image_read_fn read, void *ctx,
                 const struct image_unpack_limits *limits,
                 struct image_unpack_result *res, struct wh_error **err);
