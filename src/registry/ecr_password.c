/* ecr_password.c: password hashes, the server key file, sealed secrets
 * (see ecr_password.h). */
#include "registry/ecr_password.h"

#include <crypt.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/id.h"
#include "registry/ecr_jwt.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define SEALED_PREFIX "v1."
#define SECRET_MAX 1024

static void crypt_data_freep(struct crypt_data **d)
{
  if (*d) {
    OPENSSL_cleanse(*d, sizeof(**d));
    free(*d);
  }
  *d = NULL;
}

char *ecr_password_hash(const char *password, struct wh_error **err)
{
  size_t len = strnlen(password, ECR_PASSWORD_MAX + 1);
  if (len == 0)
    return wh_error_set(err, WH_ERR_INVALID, "password must not be empty"),
           NULL;
  if (len > ECR_PASSWORD_MAX)
    return wh_error_set(err, WH_ERR_INVALID, "password longer than %d "
                        "bytes", ECR_PASSWORD_MAX), NULL;
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  /* count 0: libxcrypt's default cost for yescrypt; NULL rbytes: it reads
   * the salt from the kernel's CSPRNG itself. */
  if (!crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)))
    return wh_error_errno(err, "crypt_gensalt_rn(yescrypt)"), NULL;
  _cleanup_(crypt_data_freep) struct crypt_data *d = calloc(1, sizeof(*d));
  if (!d)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  const char *h = crypt_rn(password, salt, d, sizeof(*d));
  if (!h || h[0] != '$')
    return wh_error_errno(err, "crypt_rn(yescrypt)"), NULL;
  char *out = strdup(h);
  if (!out)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  return out;
}

/* The algorithms a stored hash may use: ours, and the strong ones an
 * operator might import from /etc/shadow. Anything else (DES, MD5, "*",
 * "!") is refused rather than compared. */
static bool strong_hash(const char *s)
{
  static const char *const ok[] = { "$y$", "$gy$", "$7$", "$2b$", "$6$" };
  for (size_t i = 0; i < WH_ARRAY_SIZE(ok); i++)
    if (strncmp(s, ok[i], strlen(ok[i])) == 0)
      return true;
  return false;
}

int ecr_password_verify(const char *password, const char *stored, bool *ok,
                        struct wh_error **err)
{
  *ok = false;
  if (!stored || !strong_hash(stored) || strlen(stored) >= CRYPT_OUTPUT_SIZE)
    return wh_error_set(err, WH_ERR_INVALID, "stored password hash is not "
                        "a yescrypt, bcrypt or sha512crypt string");
  size_t len = strnlen(password, ECR_PASSWORD_MAX + 1);
  if (len == 0 || len > ECR_PASSWORD_MAX)
    return 0;  /* cannot match a hash we made */
  _cleanup_(crypt_data_freep) struct crypt_data *d = calloc(1, sizeof(*d));
  if (!d)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  const char *h = crypt_rn(password, stored, d, sizeof(*d));
  if (!h || h[0] != '$')
    return wh_error_set(err, WH_ERR_INVALID, "stored password hash is "
                        "malformed");
  /* For a given setting the output length does not depend on the
   * password, so a length mismatch means the stored string is a bare or
   * truncated setting, not a hash. */
  size_t hl = strlen(h);
  if (hl != strlen(stored))
    return wh_error_set(err, WH_ERR_INVALID, "stored password hash is "
                        "truncated");
  *ok = CRYPTO_memcmp(h, stored, hl) == 0;
  return 0;
}

static int read_key(int fd, const char *name, unsigned char key[ECR_KEY_LEN],
                    struct wh_error **err)
{
  struct stat st;
  if (fstat(fd, &st) < 0)
    return wh_error_errno(err, "key file %s", name);
  if (!S_ISREG(st.st_mode))
    return wh_error_set(err, WH_ERR_INVALID, "key file %s: not a regular "
                        "file", name);
  if (st.st_mode & 077)
    return wh_error_set(err, WH_ERR_DENIED, "key file %s: mode %04o, "
                        "expected 0600 (it holds the key to every stored "
                        "secret)", name, (unsigned) (st.st_mode & 07777));
  if (st.st_size != ECR_KEY_LEN)
    return wh_error_set(err, WH_ERR_INVALID, "key file %s: %lld bytes, "
                        "expected %d", name, (long long) st.st_size,
                        ECR_KEY_LEN);
  ssize_t n = wh_read_all(fd, key, ECR_KEY_LEN, err);
  if (n < 0)
    return wh_error_wrap(err, "key file %s", name);
  if (n != ECR_KEY_LEN)
    return wh_error_set(err, WH_ERR_INVALID, "key file %s: short read",
                        name);
  return 0;
}

static int create_key(int dirfd, const char *name, struct wh_error **err)
{
  unsigned char key[ECR_KEY_LEN];
  _cleanup_free_ char *tmp = NULL;
  _cleanup_close_ int fd = wh_tmpfile_at(dirfd, "keyfile", 0600, &tmp, err);
  if (fd < 0)
    return wh_error_wrap(err, "key file %s", name);
  int r = wh_random_bytes(key, sizeof(key), err);
  if (r == 0)
    r = wh_write_all(fd, key, sizeof(key), err);
  OPENSSL_cleanse(key, sizeof(key));
  if (r == 0 && fsync(fd) < 0)
    r = wh_error_errno(err, "fsync key file");
  /* RENAME_NOREPLACE: if another process created the key meanwhile, its
   * key stays and ours is dropped; both then load the same file. */
  if (r == 0 && renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) < 0 &&
      errno != EEXIST)
    r = wh_error_errno(err, "key file %s: rename", name);
  unlinkat(dirfd, tmp, 0);  /* fails harmlessly once renamed */
  if (r == 0)
    r = wh_fsync_dir(dirfd, err);
  return r;
}

int ecr_keyfile_load(int dirfd, const char *name,
                     unsigned char key[ECR_KEY_LEN], struct wh_error **err)
{
  if (!name || !*name || strchr(name, '/'))
    return wh_error_set(err, WH_ERR_INVALID, "key file name must be one "
                        "path component");
  for (int attempt = 0; attempt < 2; attempt++) {
    _cleanup_close_ int fd =
        openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0)
      return read_key(fd, name, key, err);
    if (errno != ENOENT || attempt > 0)
      return wh_error_errno(err, "key file %s", name);
    if (create_key(dirfd, name, err) < 0)
      return -1;
  }
  return -1;
}

void ecr_key_derive(const unsigned char master[ECR_KEY_LEN],
                    const char *purpose, unsigned char out[ECR_KEY_LEN])
{
  char label[128];
  int n = snprintf(label, sizeof(label), "wharf-registry %s", purpose);
  unsigned int olen = 0;
  HMAC(EVP_sha256(), master, ECR_KEY_LEN, (const unsigned char *) label,
       (size_t) (n < 0 ? 0 : n >= (int) sizeof(label) ? sizeof(label) - 1
                                                       : (size_t) n),
       out, &olen);
}

int ecr_access_key_new(char id[ECR_ACCESS_KEY_ID_LEN + 1],
                       char secret[ECR_SECRET_LEN + 1],
                       struct wh_error **err)
{
  static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  unsigned char r[10 + 30];
  if (wh_random_bytes(r, sizeof(r), err) < 0)
    return -1;
  memcpy(id, "AKIA", 4);
  /* 10 bytes = 80 bits = 16 base32 characters. */
  uint64_t acc = 0;
  int bits = 0, o = 4;
  for (int i = 0; i < 10; i++) {
    acc = (acc << 8) | r[i];
    bits += 8;
    while (bits >= 5) {
      id[o++] = b32[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  id[o] = '\0';
  EVP_EncodeBlock((unsigned char *) secret, r + 10, 30);
  secret[ECR_SECRET_LEN] = '\0';
  OPENSSL_cleanse(r, sizeof(r));
  return 0;
}

void ecr_secret_free(char *s)
{
  if (s) {
    OPENSSL_cleanse(s, strlen(s));
    free(s);
  }
}

static void cipher_freep(EVP_CIPHER_CTX **c)
{
  EVP_CIPHER_CTX_free(*c);
  *c = NULL;
}

char *ecr_secret_seal(const unsigned char key[ECR_KEY_LEN], const char *id,
                      const char *secret, size_t len, struct wh_error **err)
{
  if (len == 0 || len > SECRET_MAX)
    return wh_error_set(err, WH_ERR_INVALID, "secret must be 1 to %d bytes",
                        SECRET_MAX), NULL;
  unsigned char buf[NONCE_LEN + SECRET_MAX + TAG_LEN];
  if (wh_random_bytes(buf, NONCE_LEN, err) < 0)
    return NULL;
  _cleanup_(cipher_freep) EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int n = 0, fin = 0;
  if (!c ||
      EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) != 1 ||
      EVP_EncryptUpdate(c, NULL, &n, (const unsigned char *) id,
                        (int) strlen(id)) != 1 ||
      EVP_EncryptUpdate(c, buf + NONCE_LEN, &n, (const unsigned char *) secret,
                        (int) len) != 1 ||
      EVP_EncryptFinal_ex(c, buf + NONCE_LEN + n, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
                          buf + NONCE_LEN + n + fin) != 1)
    return wh_error_set(err, WH_ERR_INTERNAL, "AES-256-GCM seal failed"),
           NULL;
  size_t total = NONCE_LEN + (size_t) (n + fin) + TAG_LEN;
  _cleanup_free_ char *b64 = ecr_b64url_encode(buf, total);
  OPENSSL_cleanse(buf, sizeof(buf));
  char *out = NULL;
  if (!b64 || asprintf(&out, SEALED_PREFIX "%s", b64) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  return out;
}

char *ecr_secret_open(const unsigned char key[ECR_KEY_LEN], const char *id,
                      const char *sealed, size_t *len_out,
                      struct wh_error **err)
{
  size_t plen = strlen(SEALED_PREFIX);
  if (!sealed || strncmp(sealed, SEALED_PREFIX, plen) != 0)
    return wh_error_set(err, WH_ERR_INVALID, "sealed secret: unknown "
                        "format"), NULL;
  size_t n;
  _cleanup_free_ unsigned char *raw =
      ecr_b64url_decode(sealed + plen, strlen(sealed + plen), &n);
  if (!raw || n <= NONCE_LEN + TAG_LEN || n > NONCE_LEN + SECRET_MAX + TAG_LEN)
    return wh_error_set(err, WH_ERR_INVALID, "sealed secret: malformed"),
           NULL;
  size_t clen = n - NONCE_LEN - TAG_LEN;
  char *out = calloc(1, clen + 1);
  _cleanup_(cipher_freep) EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int outl = 0, fin = 0;
  if (!out || !c)
    return free(out), wh_error_set(err, WH_ERR_INTERNAL, "out of memory"),
           NULL;
  if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, raw) != 1 ||
      EVP_DecryptUpdate(c, NULL, &outl, (const unsigned char *) id,
                        (int) strlen(id)) != 1 ||
      EVP_DecryptUpdate(c, (unsigned char *) out, &outl, raw + NONCE_LEN,
                        (int) clen) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
                          raw + NONCE_LEN + clen) != 1 ||
      EVP_DecryptFinal_ex(c, (unsigned char *) out + outl, &fin) != 1) {
    OPENSSL_cleanse(out, clen);
    free(out);
    return wh_error_set(err, WH_ERR_DENIED, "sealed secret for %.40s does "
                        "not open with this server key", id), NULL;
  }
  out[outl + fin] = '\0';
  if (len_out)
    *len_out = (size_t) (outl + fin);
  return out;
}
