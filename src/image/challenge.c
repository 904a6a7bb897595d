/* image/challenge.c: WWW-Authenticate parsing (see challenge.h). */
#include "image/challenge.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/error.h"

void image_challenge_free(struct image_challenge *c)
{
  free(c->realm);
  free(c->service);
  c->realm = c->service = NULL;
}

static bool scheme_is(const char *h, const char *name)
{
  size_t n = strlen(name);
  return strncasecmp(h, name, n) == 0 && (h[n] == '\0' || h[n] == ' ' || h[n] == '\t');
}

int image_challenge_parse(const char *h, struct image_challenge *out, struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  if (strlen(h) > IMAGE_CHALLENGE_MAX)
    return wh_error_set(err, WH_ERR_INVALID, "auth challenge longer than %d bytes",
                        IMAGE_CHALLENGE_MAX);
  if (scheme_is(h, "Basic")) {
    out->scheme = IMAGE_AUTH_BASIC;
    return 0;
  }
  if (!scheme_is(h, "Bearer"))
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "unsupported auth challenge \"%.100s\"", h);
  const char *p = h + 6;
  /* auth-param *( "," auth-param ); values are tokens or quoted strings */
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    const char *k = p;
    while (*p && *p != '=' && *p != ',')
      p++;
    size_t klen = (size_t) (p - k);
    while (klen && (k[klen - 1] == ' ' || k[klen - 1] == '\t'))
      klen--;
    if (*p != '=') {
      if (*p)
        p++;
      continue;
    }
    p++;
    while (*p == ' ' || *p == '\t')
      p++;
    struct wh_buf val = WH_BUF_INIT;
    int r = 0;
    if (*p == '"') {
      p++;
      while (*p && *p != '"' && r == 0) {
        if (*p == '\\' && p[1])
          p++;
        r = wh_buf_append_char(&val, *p++);
      }
      if (*p == '"')
        p++;
    } else {
      while (*p && *p != ',' && r == 0)
        r = wh_buf_append_char(&val, *p++);
    }
    char *v = r == 0 ? wh_buf_steal(&val) : NULL;
    wh_buf_free(&val);
    if (!v) {
      image_challenge_free(out);
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    }
    char **slot = klen == 5 && strncasecmp(k, "realm", 5) == 0     ? &out->realm
                : klen == 7 && strncasecmp(k, "service", 7) == 0 ? &out->service
                                                                   : NULL;
    if (slot) {
      free(*slot);
      *slot = v;
    } else {
      free(v);
    }
  }
  if (!out->realm ||
      (strncmp(out->realm, "https://", 8) != 0 && strncmp(out->realm, "http://", 7) != 0)) {
    image_challenge_free(out);
    return wh_error_set(err, WH_ERR_INVALID, "bearer challenge without an http(s) realm");
  }
  for (const char *q = out->realm; *q; q++)
    if (iscntrl((unsigned char) *q) || *q == ' ') {
      image_challenge_free(out);
      return wh_error_set(err, WH_ERR_INVALID, "bearer challenge: realm is not a URL");
    }
  out->scheme = IMAGE_AUTH_BEARER;
  return 0;
}
