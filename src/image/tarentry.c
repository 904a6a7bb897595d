/* image/tarentry.c: cleaning and classifying layer member names (see
 * tarentry.h). */
#include "image/tarentry.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"

int image_tar_clean_path(const char *name, const char *what, char **out,
                         struct wh_error **err)
{
  size_t len = strlen(name);
  if (len == 0)
    return wh_error_set(err, WH_ERR_INVALID, "%s: empty name", what);
  if (len > IMAGE_TAR_PATH_MAX)
    return wh_error_set(err, WH_ERR_INVALID, "%s: name longer than %d bytes", what,
                        IMAGE_TAR_PATH_MAX);
  struct wh_buf b = WH_BUF_INIT;
  const char *p = name;
  while (*p) {
    while (*p == '/')
      p++;
    if (!*p)
      break;
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t) (e - p) : strlen(p);
    if (n == 1 && p[0] == '.') {
      p += n;
      continue;
    }
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      wh_buf_free(&b);
      return wh_error_set(err, WH_ERR_INVALID,
                          "%s \"%.200s\": \"..\" would leave the layer directory", what,
                          name);
    }
    if (n > IMAGE_TAR_NAME_MAX) {
      wh_buf_free(&b);
      return wh_error_set(err, WH_ERR_INVALID, "%s \"%.200s\": a component is longer than %d",
                          what, name, IMAGE_TAR_NAME_MAX);
    }
    if ((b.len && wh_buf_append_char(&b, '/') < 0) || wh_buf_append(&b, p, n) < 0) {
      wh_buf_free(&b);
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    }
    p += n;
  }
  if (b.len == 0 && wh_buf_append_char(&b, '.') < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  *out = wh_buf_steal(&b);
  if (!*out)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  return 0;
}

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

int image_tar_whiteout(const char *base, enum image_whiteout *kind, const char **target,
                       struct wh_error **err)
{
  *target = NULL;
  if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) != 0) {
    *kind = IMAGE_WHITEOUT_NONE;
    return 0;
  }
  if (strcmp(base, WH_OPAQUE) == 0) {
    *kind = IMAGE_WHITEOUT_OPAQUE;
    return 0;
  }
  const char *t = base + strlen(WH_PREFIX);
  if (!*t || strcmp(t, ".") == 0 || strcmp(t, "..") == 0 ||
      strncmp(t, WH_PREFIX, strlen(WH_PREFIX)) == 0)
    return wh_error_set(err, WH_ERR_INVALID, "whiteout \"%.200s\" names no file", base);
  *kind = IMAGE_WHITEOUT_FILE;
  *target = t;
  return 0;
}
