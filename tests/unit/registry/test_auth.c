/* test_auth.c: registry-level permissions (auth_perm_bits), the registry
 * id, and the ECR tables (store_ecr.c) on a temporary database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "registry/auth.h"
#include "registry/store_ecr.h"

static void perms(void **state)
{
  uint64_t bits;
  bool admin;
  struct wh_error *err = NULL;
  assert_int_equal(auth_perm_bits("admin", &bits, &admin, &err), 0);
  assert_true(admin);
  assert_int_equal(auth_perm_bits("", &bits, &admin, &err), 0);
  assert_false(admin);
  assert_int_equal(bits, 0);
  assert_int_equal(auth_perm_bits("ecr:DescribeRepositories", &bits, &admin, &err), 0);
  assert_int_equal(__builtin_popcountll(bits), 1);
  uint64_t batch;
  assert_int_equal(auth_perm_bits("ecr:batch*", &batch, &admin, &err), 0);
  assert_int_equal(__builtin_popcountll(batch), 5); /* Check, Delete, GetImage, GetRepositoryScanning…, ImportUpstream */
  uint64_t all;
  assert_int_equal(auth_perm_bits("ecr:*", &all, &admin, &err), 0);
  assert_int_equal(auth_perm_bits("ecr:DescribeRepositories, ecr:Batch*", &bits, &admin, &err), 0);
  assert_int_equal(bits, batch | (bits & ~batch));
  assert_int_equal(__builtin_popcountll(bits), 6);
  assert_true((all & bits) == bits);
  assert_int_equal(auth_perm_bits("ecr:Frob", &bits, &admin, &err), -1);
  assert_non_null(strstr(err->msg, "ecr:Frob"));
  wh_error_free(err);
  err = NULL;
  assert_int_equal(auth_perm_bits("s3:GetObject", &bits, &admin, &err), -1);
  assert_non_null(strstr(err->msg, "s3:GetObject"));
  wh_error_free(err);
}

static void registry_id(void **state)
{
  unsigned char k1[ECR_KEY_LEN] = { 1 }, k2[ECR_KEY_LEN] = { 2 };
  char a[13], b[13], c[13];
  auth_registry_id(k1, a);
  auth_registry_id(k1, b);
  auth_registry_id(k2, c);
  assert_string_equal(a, b);
  assert_string_not_equal(a, c);
  assert_int_equal(strlen(a), 12);
  for (int i = 0; i < 12; i++)
    assert_true(a[i] >= '0' && a[i] <= '9');
}

static void store(void **state)
{
  char dir[] = "/tmp/wh-test-auth-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char db[128];
  snprintf(db, sizeof(db), "%s/meta.db", dir);
  struct wh_error *err = NULL;
  struct ecr_store *s = ecr_store_open(db, &err);
  assert_non_null(s);
  assert_int_equal(ecr_user_add(s, "alice", "admin", 1, &err), 0);
  assert_int_equal(ecr_user_add(s, "alice", "", 1, &err), -1);
  assert_int_equal(err->kind, WH_ERR_EXISTS);
  wh_error_free(err);
  err = NULL;
  struct ecr_key k = { .id = "AKIATEST", .user = "bob", .sealed = "v1.x", .active = true };
  assert_int_equal(ecr_key_add(s, &k, &err), -1); /* no such user */
  assert_int_equal(err->kind, WH_ERR_NOT_FOUND);
  wh_error_free(err);
  err = NULL;
  k.user = "alice";
  assert_int_equal(ecr_key_add(s, &k, &err), 0);
  assert_int_equal(ecr_key_set_active(s, "AKIATEST", false, &err), 0);
  struct ecr_key got;
  assert_int_equal(ecr_key_get(s, "AKIATEST", &got, &err), 0);
  assert_false(got.active);
  assert_string_equal(got.user, "alice");
  ecr_key_clear(&got);
  assert_int_equal(ecr_user_remove(s, "alice", &err), 0);
  assert_int_equal(ecr_key_get(s, "AKIATEST", &got, &err), -1); /* keys go with the user */
  wh_error_free(err);
  err = NULL;
  struct ecr_repo r = { .name = "a/b" };
  assert_int_equal(ecr_repo_create(s, &r, 100, &err), 0);
  assert_int_equal(ecr_repo_create(s, &r, 100, &err), -1);
  assert_int_equal(err->kind, WH_ERR_EXISTS);
  wh_error_free(err);
  err = NULL;
  assert_int_equal(ecr_repo_set(s, "a/b", ECR_RF_POLICY, "{}", &err), 0);
  struct ecr_repo g;
  assert_int_equal(ecr_repo_get(s, "a/b", &g, &err), 0);
  assert_string_equal(g.f[ECR_RF_POLICY], "{}");
  assert_int_equal(g.created_at, 100);
  ecr_repo_clear(&g);
  ecr_store_close(s);
  char cmd[200];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(perms),
    cmocka_unit_test(registry_id),
    cmocka_unit_test(store),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
