/* ecr_authcache.h: a bounded cache of verified credentials.
 *
 * A yescrypt check costs tens of milliseconds and a SigV4 check needs the
 * key's row and an AES-GCM open, so every auth-on request paying them
 * would make auth slow (issue 7 wants auth-on within 10% of auth-off).
 * Handlers therefore remember what they verified:
 *
 *   basic auth:   cred = "basic" 0 user 0 password   → principal
 *   bearer token: cred = "bearer" 0 token            → principal
 *   SigV4:        cred = "sigv4" 0 key id 0 date/region/service → principal,
 *                 with the derived signing key as the cached value
 *
 * The cache never holds a credential itself: entries are keyed by
 * HMAC-SHA256 of the credential under a random per-process key, so a
 * memory dump yields nothing to crack offline. Entries expire at a TTL
 * (and never later than the credential's own expiry), the least recently
 * used one is evicted when full, and ecr_authcache_invalidate() drops
 * every entry of a user or an access key at once, so a key that is
 * disabled or removed stops working on the next request.
 *
 * Thread-safe: one mutex; every operation is O(1) on average. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wh_error;

#define ECR_AUTHCACHE_NAME_MAX 128   /* principal and key id, with NUL */
#define ECR_AUTHCACHE_VALUE_MAX 32   /* e.g. a SigV4 signing key */

struct ecr_authcache;

/* capacity entries (≥ 1), each living at most ttl_s seconds. */
struct ecr_authcache *ecr_authcache_new(size_t capacity, int64_t ttl_s,
                                        struct wh_error **err);
void ecr_authcache_free(struct ecr_authcache *c);

struct ecr_authcache_entry {
  char principal[ECR_AUTHCACHE_NAME_MAX];  /* user name */
  char key_id[ECR_AUTHCACHE_NAME_MAX];     /* access key id or "" */
  unsigned char value[ECR_AUTHCACHE_VALUE_MAX];
  size_t value_len;
};

/* Remember that cred (len bytes) was verified as *e, until
 * min(now + ttl, expires_s) (expires_s 0: ttl only). Replaces an entry
 * for the same cred. Names longer than the limits are refused. */
int ecr_authcache_put(struct ecr_authcache *c, const void *cred, size_t len,
                      const struct ecr_authcache_entry *e, int64_t now_s,
                      int64_t expires_s, struct wh_error **err);

/* True and *out filled if cred is cached and unexpired at now_s. */
bool ecr_authcache_get(struct ecr_authcache *c, const void *cred, size_t len,
                       int64_t now_s, struct ecr_authcache_entry *out);

/* Drop every entry whose principal equals user (user non-NULL) or whose
 * key id equals key_id (key_id non-NULL). Returns how many went. */
size_t ecr_authcache_invalidate(struct ecr_authcache *c, const char *user,
                                const char *key_id);

size_t ecr_authcache_size(struct ecr_authcache *c);
