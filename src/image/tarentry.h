/* image/tarentry.h: checks on the names inside a layer tar.
 *
 * Pure functions (no file system), so they are unit-tested and fuzzed on
 * their own. A member name and a hard-link target are cleaned into a path
 * relative to the layer directory; any ".." component is refused outright
 * (rather than clamped) so a hostile layer gets a clear error instead of
 * a silently different tree. Whiteouts follow the OCI image spec. */
#pragma once

#include <stddef.h>

struct wh_error;

#define IMAGE_TAR_PATH_MAX 4096
#define IMAGE_TAR_NAME_MAX 255

/* name → new relative path ("." for the layer root itself): leading "/"
 * and "./", repeated and trailing "/" dropped. WH_ERR_INVALID for "..",
 * empty names, over-long paths or components. `what` names the entry in
 * messages ("entry", "hard link target"). */
int image_tar_clean_path(const char *name, const char *what, char **out,
                         struct wh_error **err);

enum image_whiteout {
  IMAGE_WHITEOUT_NONE = 0,
  IMAGE_WHITEOUT_FILE,   /* ".wh.NAME": NAME is deleted from lower layers */
  IMAGE_WHITEOUT_OPAQUE, /* ".wh..wh..opq": the directory hides lower content */
};

/* Classify the last component of a cleaned path. For a file whiteout,
 * *target points into base at NAME. A ".wh." name whose NAME is empty,
 * "." or ".." (or another ".wh..wh." marker) is WH_ERR_INVALID. */
int image_tar_whiteout(const char *base, enum image_whiteout *kind,
                       const char **target, struct wh_error **err);
