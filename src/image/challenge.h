/* image/challenge.h: the WWW-Authenticate header of a registry (RFC 7235
 * as registries use it): `Basic realm="…"` or
 * `Bearer realm="https://auth/token",service="…",scope="…"`. Untrusted
 * input: parsed by this one function, fuzzed (tests/fuzz/image). */
#pragma once

struct wh_error;

#define IMAGE_CHALLENGE_MAX 8192

enum image_auth_scheme { IMAGE_AUTH_BASIC = 1, IMAGE_AUTH_BEARER };

struct image_challenge {
  enum image_auth_scheme scheme;
  char *realm;   /* bearer: an http(s) URL; NULL for basic */
  char *service; /* may be NULL */
};

/* WH_ERR_UNSUPPORTED for other schemes, WH_ERR_INVALID for a bearer
 * challenge without an http(s) realm or a header over the limit. */
int image_challenge_parse(const char *h, struct image_challenge *out, struct wh_error **err);
void image_challenge_free(struct image_challenge *c);
