/* ecr_password.h: passwords and access-key secrets at rest.
 *
 * Passwords (for `podman login` with a user's password) are hashed with
 * yescrypt through libxcrypt ("$y$…" strings, Debian's default for
 * /etc/shadow): memory-hard, salted, self-describing, so the cost can be
 * raised later without breaking stored hashes.
 *
 * Access-key secrets cannot be hashed: SigV4 verification recomputes the
 * HMAC chain from the secret itself. They are stored sealed with
 * AES-256-GCM under a 32-byte server key kept in a key file in the data
 * directory (mode 0600, created on first use), with the access key id as
 * associated data, so a sealed secret copied to another key's row does
 * not open. Secrets are shown to the user once, when created.
 *
 * The same key file also yields independent keys for other purposes
 * (token signing, token MACs) by HMAC-based derivation, so the data
 * directory holds one secret. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct wh_error;

#define ECR_PASSWORD_MAX 1024        /* longer passwords are refused */
#define ECR_KEY_LEN 32
#define ECR_ACCESS_KEY_ID_LEN 20     /* "AKIA" + 16 of [A-Z2-7] */
#define ECR_SECRET_LEN 40            /* 30 random bytes, base64 */

/* Hash password with yescrypt at libxcrypt's default cost. Returns a
 * "$y$…" string the caller frees. */
char *ecr_password_hash(const char *password, struct wh_error **err);

/* Compare password with a stored hash in constant time (over the hash
 * output). 0 with *ok set; -1 only if the stored hash is unusable (not a
 * crypt string libxcrypt knows). */
int ecr_password_verify(const char *password, const char *stored, bool *ok,
                        struct wh_error **err);

/* Load dirfd/name, a 32-byte key file, creating it with fresh random
 * bytes (mode 0600, atomically: a concurrent creator's key wins and is
 * loaded) if it does not exist. Refuses a key file that is not a regular
 * file, has the wrong size, or is readable by group or others. */
int ecr_keyfile_load(int dirfd, const char *name,
                     unsigned char key[ECR_KEY_LEN], struct wh_error **err);

/* Derive an independent key for `purpose` ("secrets", "jwt", …) from the
 * key file's key: HMAC-SHA256(master, "wharf-registry " purpose). */
void ecr_key_derive(const unsigned char master[ECR_KEY_LEN],
                    const char *purpose, unsigned char out[ECR_KEY_LEN]);

/* A new access key: id "AKIA…" (20 chars) and secret (40 chars of
 * base64), from the system's CSPRNG. */
int ecr_access_key_new(char id[ECR_ACCESS_KEY_ID_LEN + 1],
                       char secret[ECR_SECRET_LEN + 1],
                       struct wh_error **err);

/* Seal secret (len bytes) for access key `id` with key (use
 * ecr_key_derive(master, "secrets")). Returns "v1." + base64url(nonce ‖
 * ciphertext ‖ tag), caller frees. */
char *ecr_secret_seal(const unsigned char key[ECR_KEY_LEN], const char *id,
                      const char *secret, size_t len, struct wh_error **err);

/* Open a sealed secret: the plaintext (NUL-terminated, *len_out bytes;
 * caller clears and frees it), or NULL with WH_ERR_DENIED if it was
 * sealed under another key or id or has been altered. */
char *ecr_secret_open(const unsigned char key[ECR_KEY_LEN], const char *id,
                      const char *sealed, size_t *len_out,
                      struct wh_error **err);

/* Free a secret after overwriting it. */
void ecr_secret_free(char *s);
