/* test_ecr_password.c: password hashes, the key file and sealed secrets
 * (ecr_password.c).
 *
 * Vectors: the sha512crypt example of Ulrich Drepper's SHA-crypt
 * specification ("Hello world!" / $6$saltstring), and a yescrypt hash made
 * once on Debian 12 with /usr/bin/python3's crypt module (libxcrypt):
 *   crypt.crypt("correct horse battery staple",
 *               "$y$j9T$wharfTESTsalt0123456789$")
 * The key-derivation vector is HMAC-SHA256 of "wharf-registry jwt" under
 * 32 zero bytes, from Python's hmac module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/file.h"
#include "base/id.h"
#include "registry/ecr_password.h"

static void hash_and_verify(void **state)
{
  (void) state;
  char *h = ecr_password_hash("s3cret pass", NULL);
  assert_non_null(h);
  assert_memory_equal(h, "$y$", 3);
  bool ok;
  assert_int_equal(ecr_password_verify("s3cret pass", h, &ok, NULL), 0);
  assert_true(ok);
  assert_int_equal(ecr_password_verify("s3cret pasS", h, &ok, NULL), 0);
  assert_false(ok);
  assert_int_equal(ecr_password_verify("", h, &ok, NULL), 0);
  assert_false(ok);
  /* Salted: the same password hashes differently. */
  char *h2 = ecr_password_hash("s3cret pass", NULL);
  assert_string_not_equal(h, h2);
  free(h);
  free(h2);
}

static void published_and_fixture_hashes(void **state)
{
  (void) state;
  bool ok;
  const char *sha512 = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/"
      "O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
  assert_int_equal(ecr_password_verify("Hello world!", sha512, &ok, NULL), 0);
  assert_true(ok);
  assert_int_equal(ecr_password_verify("Hello world", sha512, &ok, NULL), 0);
  assert_false(ok);
  const char *yes = "$y$j9T$wharfTESTsalt0123456789$9Cjlz9xUDQht7g0v1n/Jm5pv3"
                    "b6PcAydUqXtrxSHWH9";
  assert_int_equal(ecr_password_verify("correct horse battery staple", yes,
                                       &ok, NULL), 0);
  assert_true(ok);
  assert_int_equal(ecr_password_verify("correct horse battery stapler", yes,
                                       &ok, NULL), 0);
  assert_false(ok);
}

static void weak_or_bad_stored_hashes_are_refused(void **state)
{
  (void) state;
  static const char *const bad[] = {
    "", "*", "!", "abJnggxhB/yWI",                 /* descrypt */
    "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",          /* md5crypt */
    "$y$", "$y$j9T$", "$y$j9T$salt",               /* truncated */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    bool ok = true;
    struct wh_error *err = NULL;
    if (ecr_password_verify("x", bad[i], &ok, &err) == 0)
      fail_msg("'%s' accepted", bad[i]);
    assert_false(ok);
    assert_int_equal(err->kind, WH_ERR_INVALID);
    wh_error_free(err);
  }
  struct wh_error *err = NULL;
  assert_null(ecr_password_hash("", &err));
  assert_non_null(strstr(err->msg, "empty"));
  wh_error_free(err);
  char *big = malloc(ECR_PASSWORD_MAX + 2);
  memset(big, 'p', ECR_PASSWORD_MAX + 1);
  big[ECR_PASSWORD_MAX + 1] = '\0';
  err = NULL;
  assert_null(ecr_password_hash(big, &err));
  assert_non_null(strstr(err->msg, "longer than"));
  wh_error_free(err);
  free(big);
}

struct tmpdir {
  char path[64];
  int fd;
};

static int setup_dir(void **state)
{
  struct tmpdir *t = calloc(1, sizeof(*t));
  snprintf(t->path, sizeof(t->path), "/tmp/wharf-test-ecr-XXXXXX");
  if (!mkdtemp(t->path))
    return -1;
  t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  *state = t;
  return t->fd < 0 ? -1 : 0;
}

static int teardown_dir(void **state)
{
  struct tmpdir *t = *state;
  wh_rm_rf_at(AT_FDCWD, t->path, NULL);
  close(t->fd);
  free(t);
  return 0;
}

static void expect_keyfile_error(int dirfd, const char *name, const char *want)
{
  unsigned char k[ECR_KEY_LEN];
  struct wh_error *err = NULL;
  if (ecr_keyfile_load(dirfd, name, k, &err) == 0)
    fail_msg("%s accepted", name);
  if (!strstr(err->msg, want))
    fail_msg("message '%s' lacks '%s'", err->msg, want);
  wh_error_free(err);
}

static void keyfile_created_once_0600(void **state)
{
  struct tmpdir *t = *state;
  unsigned char a[ECR_KEY_LEN], b[ECR_KEY_LEN], zero[ECR_KEY_LEN] = { 0 };
  struct wh_error *err = NULL;
  if (ecr_keyfile_load(t->fd, "server.key", a, &err) < 0)
    fail_msg("%s", err->msg);
  assert_memory_not_equal(a, zero, ECR_KEY_LEN);
  struct stat st;
  assert_int_equal(fstatat(t->fd, "server.key", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
  assert_int_equal(st.st_size, ECR_KEY_LEN);
  assert_int_equal(ecr_keyfile_load(t->fd, "server.key", b, NULL), 0);
  assert_memory_equal(a, b, ECR_KEY_LEN);
  /* No temporary files left behind. */
  assert_int_equal(faccessat(t->fd, ".", F_OK, 0), 0);

  assert_int_equal(fchmodat(t->fd, "server.key", 0640, 0), 0);
  expect_keyfile_error(t->fd, "server.key", "mode 0640, expected 0600");
  assert_int_equal(wh_write_file_atomic(t->fd, "short.key", "abc", 3, 0600,
                                        NULL), 0);
  expect_keyfile_error(t->fd, "short.key", "3 bytes, expected 32");
  assert_int_equal(symlinkat("server.key", t->fd, "link.key"), 0);
  expect_keyfile_error(t->fd, "link.key", "link.key");
  assert_int_equal(mkdirat(t->fd, "dir.key", 0700), 0);
  expect_keyfile_error(t->fd, "dir.key", "not a regular file");
  expect_keyfile_error(t->fd, "../x.key", "one path component");
  expect_keyfile_error(t->fd, "", "one path component");
}

static void key_derivation(void **state)
{
  (void) state;
  unsigned char master[ECR_KEY_LEN] = { 0 }, a[ECR_KEY_LEN], b[ECR_KEY_LEN];
  ecr_key_derive(master, "jwt", a);
  char hex[2 * ECR_KEY_LEN + 1];
  wh_hex_encode(a, sizeof(a), hex);
  assert_string_equal(hex, "a25eae1b11bf963b72fd38687f3c0940"
                           "0fcc3532bbd2dcedfb208548e4e29128");
  ecr_key_derive(master, "secrets", b);
  assert_memory_not_equal(a, b, ECR_KEY_LEN);
}

static void access_keys(void **state)
{
  (void) state;
  char id[ECR_ACCESS_KEY_ID_LEN + 1], secret[ECR_SECRET_LEN + 1];
  char id2[ECR_ACCESS_KEY_ID_LEN + 1], secret2[ECR_SECRET_LEN + 1];
  assert_int_equal(ecr_access_key_new(id, secret, NULL), 0);
  assert_int_equal(ecr_access_key_new(id2, secret2, NULL), 0);
  assert_int_equal(strlen(id), 20);
  assert_memory_equal(id, "AKIA", 4);
  for (int i = 4; i < 20; i++)
    assert_true((id[i] >= 'A' && id[i] <= 'Z') ||
                (id[i] >= '2' && id[i] <= '7'));
  assert_int_equal(strlen(secret), 40);
  for (int i = 0; i < 40; i++)
    assert_true(isalnum((unsigned char) secret[i]) || secret[i] == '+' ||
                secret[i] == '/');
  assert_string_not_equal(id, id2);
  assert_string_not_equal(secret, secret2);
}

static void seal_and_open(void **state)
{
  (void) state;
  unsigned char master[ECR_KEY_LEN], key[ECR_KEY_LEN], other[ECR_KEY_LEN];
  assert_int_equal(wh_random_bytes(master, sizeof(master), NULL), 0);
  ecr_key_derive(master, "secrets", key);
  ecr_key_derive(master, "jwt", other);
  const char *id = "AKIAWHARFTEST0000001";
  const char *secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  char *s1 = ecr_secret_seal(key, id, secret, strlen(secret), NULL);
  char *s2 = ecr_secret_seal(key, id, secret, strlen(secret), NULL);
  assert_non_null(s1);
  assert_memory_equal(s1, "v1.", 3);
  assert_null(strstr(s1, "wJalr"));
  assert_string_not_equal(s1, s2);  /* fresh nonce each time */
  size_t n = 0;
  char *plain = ecr_secret_open(key, id, s1, &n, NULL);
  assert_non_null(plain);
  assert_int_equal(n, strlen(secret));
  assert_string_equal(plain, secret);
  ecr_secret_free(plain);

  struct wh_error *err = NULL;
  assert_null(ecr_secret_open(key, "AKIAWHARFTEST0000002", s1, &n, &err));
  assert_int_equal(err->kind, WH_ERR_DENIED);
  assert_non_null(strstr(err->msg, "does not open"));
  wh_error_free(err);
  err = NULL;
  assert_null(ecr_secret_open(other, id, s1, &n, &err));
  assert_int_equal(err->kind, WH_ERR_DENIED);
  wh_error_free(err);
  /* Flip a character in the ciphertext part. */
  size_t mid = strlen(s1) / 2;
  s1[mid] = s1[mid] == 'A' ? 'B' : 'A';
  err = NULL;
  assert_null(ecr_secret_open(key, id, s1, &n, &err));
  assert_int_equal(err->kind, WH_ERR_DENIED);
  wh_error_free(err);
  err = NULL;
  assert_null(ecr_secret_open(key, id, "v2.AAAA", &n, &err));
  assert_int_equal(err->kind, WH_ERR_INVALID);
  wh_error_free(err);
  err = NULL;
  assert_null(ecr_secret_open(key, id, "v1.AAAA", &n, &err));
  assert_non_null(strstr(err->msg, "malformed"));
  wh_error_free(err);
  err = NULL;
  assert_null(ecr_secret_seal(key, id, "", 0, &err));
  wh_error_free(err);
  free(s1);
  free(s2);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(hash_and_verify),
    cmocka_unit_test(published_and_fixture_hashes),
    cmocka_unit_test(weak_or_bad_stored_hashes_are_refused),
    cmocka_unit_test_setup_teardown(keyfile_created_once_0600, setup_dir,
                                    teardown_dir),
    cmocka_unit_test(key_derivation),
    cmocka_unit_test(access_keys),
    cmocka_unit_test(seal_and_open),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
