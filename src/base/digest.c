/* digest.c: streaming SHA-256/SHA-512 on OpenSSL EVP (see digest.h).
 *
 * The registry hashes every byte it stores, so the hasher fetches its
 * EVP_MD once and reuses one EVP_MD_CTX; wh_digest_fd reads in 1 MiB
 * chunks so the per-call overhead vanishes next to SHA-NI throughput. */
#include "base/digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/id.h"

#define DIGEST_CHUNK (1024 * 1024)

struct wh_hasher {
  enum wh_digest_alg alg;
  EVP_MD *md;
  EVP_MD_CTX *ctx;
  uint64_t bytes;
};

const char *wh_digest_alg_name(enum wh_digest_alg alg)
{
  return alg == WH_SHA512 ? "sha512" : "sha256";
}

size_t wh_digest_alg_hex_len(enum wh_digest_alg alg)
{
  return alg == WH_SHA512 ? 128 : 64;
}

int wh_digest_alg_parse(const char *name, size_t len)
{
  if (len == 6 && memcmp(name, "sha256", 6) == 0)
    return WH_SHA256;
  if (len == 6 && memcmp(name, "sha512", 6) == 0)
    return WH_SHA512;
  return -1;
}

struct wh_hasher *wh_hasher_new(enum wh_digest_alg alg, struct wh_error **err)
{
  if (alg != WH_SHA256 && alg != WH_SHA512) {
    wh_error_set(err, WH_ERR_UNSUPPORTED, "digest algorithm %d", (int) alg);
    return NULL;
  }
  struct wh_hasher *h = calloc(1, sizeof(*h));
  if (!h) {
    wh_error_errno(err, "new hasher");
    return NULL;
  }
  h->alg = alg;
  /* An explicit fetch (rather than EVP_sha256()) avoids the implicit
   * fetch OpenSSL 3 would otherwise do on every EVP_DigestInit_ex. */
  h->md = EVP_MD_fetch(NULL, alg == WH_SHA512 ? "SHA512" : "SHA256", NULL);
  h->ctx = EVP_MD_CTX_new();
  if (!h->md || !h->ctx || !EVP_DigestInit_ex(h->ctx, h->md, NULL)) {
    wh_hasher_free(h);
    wh_error_set(err, WH_ERR_INTERNAL, "new %s hasher: OpenSSL failed",
                 wh_digest_alg_name(alg));
    return NULL;
  }
  return h;
}

void wh_hasher_update(struct wh_hasher *h, const void *data, size_t len)
{
  if (len == 0)
    return;
  EVP_DigestUpdate(h->ctx, data, len);
  h->bytes += len;
}

void wh_hasher_final(struct wh_hasher *h, char out[WH_DIGEST_STR_MAX])
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(h->ctx, md, &n);
  const char *name = wh_digest_alg_name(h->alg);
  size_t nl = strlen(name);
  memcpy(out, name, nl);
  out[nl] = ':';
  wh_hex_encode(md, n, out + nl + 1);
}

void wh_hasher_reset(struct wh_hasher *h)
{
  EVP_DigestInit_ex(h->ctx, h->md, NULL);
  h->bytes = 0;
}

void wh_hasher_free(struct wh_hasher *h)
{
  if (!h)
    return;
  EVP_MD_CTX_free(h->ctx);
  EVP_MD_free(h->md);
  free(h);
}

uint64_t wh_hasher_bytes(const struct wh_hasher *h)
{
  return h->bytes;
}

int wh_digest_buf(enum wh_digest_alg alg, const void *data, size_t len,
                  char out[WH_DIGEST_STR_MAX], struct wh_error **err)
{
  _cleanup_hasher_ struct wh_hasher *h = wh_hasher_new(alg, err);
  if (!h)
    return -1;
  wh_hasher_update(h, data, len);
  wh_hasher_final(h, out);
  return 0;
}

int wh_digest_fd(enum wh_digest_alg alg, int fd, char out[WH_DIGEST_STR_MAX],
                 uint64_t *size_out, struct wh_error **err)
{
  _cleanup_hasher_ struct wh_hasher *h = wh_hasher_new(alg, err);
  if (!h)
    return -1;
  _cleanup_free_ char *buf = malloc(DIGEST_CHUNK);
  if (!buf)
    return wh_error_errno(err, "digest");
  for (;;) {
    ssize_t n = read(fd, buf, DIGEST_CHUNK);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return wh_error_errno(err, "digest: read");
    }
    if (n == 0)
      break;
    wh_hasher_update(h, buf, (size_t) n);
  }
  wh_hasher_final(h, out);
  if (size_out)
    *size_out = wh_hasher_bytes(h);
  return 0;
}
