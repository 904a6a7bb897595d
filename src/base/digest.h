/* digest.h: streaming SHA-256 and SHA-512 with OpenSSL's libcrypto.
 *
 * Lives in its own static library (wh_base_crypto) so programs that never
 * hash (wharf-runtime, the engine's run path) do not load libcrypto. The
 * textual form is the OCI one: "sha256:<64 lowercase hex>". */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct wh_error;

enum wh_digest_alg { WH_SHA256 = 0, WH_SHA512 };

#define WH_DIGEST_MAX_HEX 128
/* "sha512:" + 128 hex + NUL */
#define WH_DIGEST_STR_MAX (7 + WH_DIGEST_MAX_HEX + 1)

struct wh_hasher;

struct wh_hasher *wh_hasher_new(enum wh_digest_alg alg, struct wh_error **err);
void wh_hasher_update(struct wh_hasher *h, const void *data, size_t len);
/* Writes "alg:hex" into out (WH_DIGEST_STR_MAX bytes). The hasher can be
 * reused after wh_hasher_reset(). */
void wh_hasher_final(struct wh_hasher *h, char out[WH_DIGEST_STR_MAX]);
void wh_hasher_reset(struct wh_hasher *h);
void wh_hasher_free(struct wh_hasher *h);
uint64_t wh_hasher_bytes(const struct wh_hasher *h);

static inline void wh_hasher_freep(struct wh_hasher **h)
{
  wh_hasher_free(*h);
  *h = (struct wh_hasher *) 0;
}
#define _cleanup_hasher_ __attribute__((cleanup(wh_hasher_freep)))

/* One-shot digest of a buffer. */
int wh_digest_buf(enum wh_digest_alg alg, const void *data, size_t len,
                  char out[WH_DIGEST_STR_MAX], struct wh_error **err);
/* Digest of everything readable from fd (from its current offset). */
int wh_digest_fd(enum wh_digest_alg alg, int fd, char out[WH_DIGEST_STR_MAX],
                 uint64_t *size_out, struct wh_error **err);

const char *wh_digest_alg_name(enum wh_digest_alg alg);
size_t wh_digest_alg_hex_len(enum wh_digest_alg alg);
/* "sha256" / "sha512" → alg; -1 otherwise. */
int wh_digest_alg_parse(const char *name, size_t len);
