/* ecr_authcache.c: bounded LRU cache of verified credentials (see
 * ecr_authcache.h). Slots live in one array; a hash table of chains finds
 * them by MAC and a doubly linked list orders them by last use. */
#include "registry/ecr_authcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>

#include "base/error.h"
#include "base/id.h"

#define NONE SIZE_MAX

struct slot {
  unsigned char mac[32];
  struct ecr_authcache_entry e;
  int64_t expires;
  size_t prev, next;     /* LRU list (head = most recent) or free list */
  size_t chain;          /* next slot in the same bucket */
  bool used;
};

struct ecr_authcache {
  pthread_mutex_t lock;
  unsigned char key[32];
  /* HMAC keyed once: every lookup duplicates it. OpenSSL 3's one-shot
   * HMAC() fetches the algorithm and keys it on each call, which was a
   * tenth of the server's CPU on authenticated manifest GETs. */
  EVP_MAC *mac;
  EVP_MAC_CTX *keyed;
  int64_t ttl;
  struct slot *slots;
  size_t cap, count;
  size_t *buckets;
  size_t n_buckets;      /* power of two */
  size_t head, tail, free_list;
};

struct ecr_authcache *ecr_authcache_new(size_t capacity, int64_t ttl_s,
                                        struct wh_error **err)
{
  if (capacity == 0 || capacity > (SIZE_MAX / 4) / sizeof(struct slot) ||
      ttl_s <= 0)
    return wh_error_set(err, WH_ERR_INVALID, "auth cache: capacity and ttl "
                        "must be positive"), NULL;
  struct ecr_authcache *c = calloc(1, sizeof(*c));
  if (!c)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  c->n_buckets = 1;
  while (c->n_buckets < 2 * capacity)
    c->n_buckets <<= 1;
  c->slots = calloc(capacity, sizeof(*c->slots));
  c->buckets = malloc(c->n_buckets * sizeof(size_t));
  if (!c->slots || !c->buckets ||
      wh_random_bytes(c->key, sizeof(c->key), err) < 0) {
    free(c->slots);
    free(c->buckets);
    free(c);
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  }
  c->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  c->keyed = c->mac ? EVP_MAC_CTX_new(c->mac) : NULL;
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0),
    OSSL_PARAM_construct_end(),
  };
  if (c->keyed && !EVP_MAC_init(c->keyed, c->key, sizeof(c->key), params)) {
    EVP_MAC_CTX_free(c->keyed);
    c->keyed = NULL; /* mac_of falls back to the one-shot HMAC() */
  }
  pthread_mutex_init(&c->lock, NULL);
  c->cap = capacity;
  c->ttl = ttl_s;
  for (size_t i = 0; i < c->n_buckets; i++)
    c->buckets[i] = NONE;
  /* Every slot starts on the free list (linked through next). */
  for (size_t i = 0; i < capacity; i++)
    c->slots[i].next = i + 1 < capacity ? i + 1 : NONE;
  c->free_list = 0;
  c->head = c->tail = NONE;
  return c;
}

void ecr_authcache_free(struct ecr_authcache *c)
{
  if (!c)
    return;
  OPENSSL_cleanse(c->slots, c->cap * sizeof(*c->slots));
  OPENSSL_cleanse(c->key, sizeof(c->key));
  EVP_MAC_CTX_free(c->keyed);
  EVP_MAC_free(c->mac);
  pthread_mutex_destroy(&c->lock);
  free(c->slots);
  free(c->buckets);
  free(c);
}

static void mac_of(const struct ecr_authcache *c, const void *cred,
                   size_t len, unsigned char out[32])
{
  EVP_MAC_CTX *x = c->keyed ? EVP_MAC_CTX_dup(c->keyed) : NULL;
  size_t olen = 0;
  if (x && EVP_MAC_update(x, cred, len) && EVP_MAC_final(x, out, &olen, 32) && olen == 32) {
    EVP_MAC_CTX_free(x);
    return;
  }
  EVP_MAC_CTX_free(x);
  unsigned int ulen = 0;
  HMAC(EVP_sha256(), c->key, sizeof(c->key), cred, len, out, &ulen);
}

static size_t bucket_of(const struct ecr_authcache *c,
                        const unsigned char mac[32])
{
  size_t h;
  memcpy(&h, mac, sizeof(h));
  return h & (c->n_buckets - 1);
}

static size_t find(const struct ecr_authcache *c, const unsigned char mac[32])
{
  for (size_t i = c->buckets[bucket_of(c, mac)]; i != NONE;
       i = c->slots[i].chain)
    if (memcmp(c->slots[i].mac, mac, 32) == 0)
      return i;
  return NONE;
}

static void lru_unlink(struct ecr_authcache *c, size_t i)
{
  struct slot *s = &c->slots[i];
  if (s->prev != NONE)
    c->slots[s->prev].next = s->next;
  else
    c->head = s->next;
  if (s->next != NONE)
    c->slots[s->next].prev = s->prev;
  else
    c->tail = s->prev;
}

static void lru_push_front(struct ecr_authcache *c, size_t i)
{
  struct slot *s = &c->slots[i];
  s->prev = NONE;
  s->next = c->head;
  if (c->head != NONE)
    c->slots[c->head].prev = i;
  c->head = i;
  if (c->tail == NONE)
    c->tail = i;
}

static void remove_slot(struct ecr_authcache *c, size_t i)
{
  struct slot *s = &c->slots[i];
  size_t *p = &c->buckets[bucket_of(c, s->mac)];
  while (*p != i)
    p = &c->slots[*p].chain;
  *p = s->chain;
  lru_unlink(c, i);
  OPENSSL_cleanse(s, sizeof(*s));
  s->next = c->free_list;
  c->free_list = i;
  c->count--;
}

int ecr_authcache_put(struct ecr_authcache *c, const void *cred, size_t len,
                      const struct ecr_authcache_entry *e, int64_t now_s,
                      int64_t expires_s, struct wh_error **err)
{
  if (strnlen(e->principal, ECR_AUTHCACHE_NAME_MAX) ==
          ECR_AUTHCACHE_NAME_MAX ||
      strnlen(e->key_id, ECR_AUTHCACHE_NAME_MAX) == ECR_AUTHCACHE_NAME_MAX ||
      e->value_len > ECR_AUTHCACHE_VALUE_MAX)
    return wh_error_set(err, WH_ERR_INVALID, "auth cache: entry too large");
  unsigned char mac[32];
  mac_of(c, cred, len, mac);
  int64_t until = now_s + c->ttl;
  if (expires_s > 0 && expires_s < until)
    until = expires_s;
  if (until <= now_s)
    return 0;  /* already expired: nothing worth keeping */
  pthread_mutex_lock(&c->lock);
  size_t i = find(c, mac);
  if (i != NONE)
    remove_slot(c, i);
  if (c->free_list == NONE)
    remove_slot(c, c->tail);  /* full: evict the least recently used */
  i = c->free_list;
  c->free_list = c->slots[i].next;
  struct slot *s = &c->slots[i];
  memcpy(s->mac, mac, 32);
  s->e = *e;
  s->expires = until;
  s->used = true;
  size_t b = bucket_of(c, mac);
  s->chain = c->buckets[b];
  c->buckets[b] = i;
  lru_push_front(c, i);
  c->count++;
  pthread_mutex_unlock(&c->lock);
  return 0;
}

bool ecr_authcache_get(struct ecr_authcache *c, const void *cred, size_t len,
                       int64_t now_s, struct ecr_authcache_entry *out)
{
  unsigned char mac[32];
  mac_of(c, cred, len, mac);
  bool hit = false;
  pthread_mutex_lock(&c->lock);
  size_t i = find(c, mac);
  if (i != NONE && c->slots[i].expires <= now_s) {
    remove_slot(c, i);
  } else if (i != NONE) {
    lru_unlink(c, i);
    lru_push_front(c, i);
    *out = c->slots[i].e;
    hit = true;
  }
  pthread_mutex_unlock(&c->lock);
  return hit;
}

size_t ecr_authcache_invalidate(struct ecr_authcache *c, const char *user,
                                const char *key_id)
{
  size_t n = 0;
  pthread_mutex_lock(&c->lock);
  for (size_t i = 0; i < c->cap; i++) {
    struct slot *s = &c->slots[i];
    if (!s->used)
      continue;
    if ((user && strcmp(s->e.principal, user) == 0) ||
        (key_id && strcmp(s->e.key_id, key_id) == 0)) {
      remove_slot(c, i);
      n++;
    }
  }
  pthread_mutex_unlock(&c->lock);
  return n;
}

size_t ecr_authcache_size(struct ecr_authcache *c)
{
  pthread_mutex_lock(&c->lock);
  size_t n = c->count;
  pthread_mutex_unlock(&c->lock);
  return n;
}
