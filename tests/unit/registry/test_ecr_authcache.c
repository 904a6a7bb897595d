/* test_ecr_authcache.c: the bounded cache of verified credentials
 * (ecr_authcache.c): hits, expiry, LRU eviction, invalidation of a user or
 * key, and concurrent use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "registry/ecr_authcache.h"

#define NOW 1795451405

static struct ecr_authcache_entry entry(const char *user, const char *key)
{
  struct ecr_authcache_entry e = { .value_len = 3 };
  snprintf(e.principal, sizeof(e.principal), "%s", user);
  snprintf(e.key_id, sizeof(e.key_id), "%s", key);
  memcpy(e.value, "abc", 3);
  return e;
}

static void put(struct ecr_authcache *c, const char *cred, const char *user,
                const char *key, int64_t now, int64_t expires)
{
  struct ecr_authcache_entry e = entry(user, key);
  assert_int_equal(ecr_authcache_put(c, cred, strlen(cred), &e, now, expires,
                                     NULL), 0);
}

static bool has(struct ecr_authcache *c, const char *cred, int64_t now)
{
  struct ecr_authcache_entry out;
  return ecr_authcache_get(c, cred, strlen(cred), now, &out);
}

static void hit_miss_and_replace(void **state)
{
  (void) state;
  struct ecr_authcache *c = ecr_authcache_new(8, 300, NULL);
  assert_non_null(c);
  const char basic[] = "basic\0alice\0s3cret";
  struct ecr_authcache_entry out;
  assert_false(ecr_authcache_get(c, basic, sizeof(basic), NOW, &out));
  struct ecr_authcache_entry e = entry("alice", "");
  assert_int_equal(ecr_authcache_put(c, basic, sizeof(basic), &e, NOW, 0,
                                     NULL), 0);
  assert_true(ecr_authcache_get(c, basic, sizeof(basic), NOW + 1, &out));
  assert_string_equal(out.principal, "alice");
  assert_int_equal(out.value_len, 3);
  assert_memory_equal(out.value, "abc", 3);
  /* Another password for the same user is another credential. */
  const char wrong[] = "basic\0alice\0s3creT";
  assert_false(ecr_authcache_get(c, wrong, sizeof(wrong), NOW, &out));
  /* Putting the same credential again replaces it. */
  e = entry("alice2", "");
  assert_int_equal(ecr_authcache_put(c, basic, sizeof(basic), &e, NOW, 0,
                                     NULL), 0);
  assert_int_equal(ecr_authcache_size(c), 1);
  assert_true(ecr_authcache_get(c, basic, sizeof(basic), NOW, &out));
  assert_string_equal(out.principal, "alice2");
  /* Oversized entries are refused. */
  e.value_len = ECR_AUTHCACHE_VALUE_MAX + 1;
  struct wh_error *err = NULL;
  assert_int_equal(ecr_authcache_put(c, "x", 1, &e, NOW, 0, &err), -1);
  wh_error_free(err);
  ecr_authcache_free(c);
  err = NULL;
  assert_null(ecr_authcache_new(0, 300, &err));
  wh_error_free(err);
}

static void expiry(void **state)
{
  (void) state;
  struct ecr_authcache *c = ecr_authcache_new(8, 300, NULL);
  put(c, "a", "alice", "", NOW, 0);
  assert_true(has(c, "a", NOW + 299));
  assert_false(has(c, "a", NOW + 300));
  assert_int_equal(ecr_authcache_size(c), 0);  /* dropped when found stale */
  /* The credential's own expiry wins when earlier (a token with 60 s). */
  put(c, "t", "bob", "", NOW, NOW + 60);
  assert_true(has(c, "t", NOW + 59));
  assert_false(has(c, "t", NOW + 60));
  /* Already expired: not stored at all. */
  put(c, "old", "bob", "", NOW, NOW - 1);
  assert_int_equal(ecr_authcache_size(c), 0);
  ecr_authcache_free(c);
}

static void lru_eviction(void **state)
{
  (void) state;
  struct ecr_authcache *c = ecr_authcache_new(3, 300, NULL);
  put(c, "a", "u", "", NOW, 0);
  put(c, "b", "u", "", NOW, 0);
  put(c, "c", "u", "", NOW, 0);
  assert_true(has(c, "a", NOW));  /* a is now the most recent */
  put(c, "d", "u", "", NOW, 0);   /* evicts b */
  assert_int_equal(ecr_authcache_size(c), 3);
  assert_false(has(c, "b", NOW));
  assert_true(has(c, "a", NOW));
  assert_true(has(c, "c", NOW));
  assert_true(has(c, "d", NOW));
  ecr_authcache_free(c);

  c = ecr_authcache_new(1000, 300, NULL);
  char cred[32];
  for (int i = 0; i < 5000; i++) {
    snprintf(cred, sizeof(cred), "cred-%d", i);
    put(c, cred, "u", "", NOW, 0);
  }
  assert_int_equal(ecr_authcache_size(c), 1000);
  for (int i = 0; i < 5000; i++) {
    snprintf(cred, sizeof(cred), "cred-%d", i);
    assert_int_equal(has(c, cred, NOW), i >= 4000);
  }
  ecr_authcache_free(c);
}

static void invalidation(void **state)
{
  (void) state;
  struct ecr_authcache *c = ecr_authcache_new(16, 300, NULL);
  put(c, "sigv4 k1 a", "alice", "AKIA1", NOW, 0);
  put(c, "sigv4 k1 b", "alice", "AKIA1", NOW, 0);
  put(c, "sigv4 k2", "alice", "AKIA2", NOW, 0);
  put(c, "basic alice", "alice", "", NOW, 0);
  put(c, "basic bob", "bob", "", NOW, 0);
  /* Disabling key AKIA1 drops its entries only. */
  assert_int_equal(ecr_authcache_invalidate(c, NULL, "AKIA1"), 2);
  assert_false(has(c, "sigv4 k1 a", NOW));
  assert_true(has(c, "sigv4 k2", NOW));
  /* Removing alice drops the rest of hers. */
  assert_int_equal(ecr_authcache_invalidate(c, "alice", NULL), 2);
  assert_false(has(c, "basic alice", NOW));
  assert_true(has(c, "basic bob", NOW));
  assert_int_equal(ecr_authcache_size(c), 1);
  assert_int_equal(ecr_authcache_invalidate(c, "nobody", "AKIA9"), 0);
  ecr_authcache_free(c);
}

static void *hammer(void *arg)
{
  struct ecr_authcache *c = arg;
  char cred[32];
  for (int i = 0; i < 20000; i++) {
    snprintf(cred, sizeof(cred), "c%d", i % 200);
    if (i % 3 == 0) {
      struct ecr_authcache_entry e = entry("u", i % 2 ? "K1" : "K2");
      ecr_authcache_put(c, cred, strlen(cred), &e, NOW, 0, NULL);
    } else if (i % 997 == 0) {
      ecr_authcache_invalidate(c, NULL, "K1");
    } else {
      struct ecr_authcache_entry out;
      if (ecr_authcache_get(c, cred, strlen(cred), NOW, &out) &&
          strcmp(out.principal, "u") != 0)
        return (void *) 1;
    }
  }
  return NULL;
}

static void concurrent_use(void **state)
{
  (void) state;
  struct ecr_authcache *c = ecr_authcache_new(64, 300, NULL);
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&t[i], NULL, hammer, c), 0);
  for (int i = 0; i < 2; i++) {
    void *r;
    assert_int_equal(pthread_join(t[i], &r), 0);
    assert_null(r);
  }
  assert_true(ecr_authcache_size(c) <= 64);
  ecr_authcache_free(c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(hit_miss_and_replace),
    cmocka_unit_test(expiry),
    cmocka_unit_test(lru_eviction),
    cmocka_unit_test(invalidation),
    cmocka_unit_test(concurrent_use),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
