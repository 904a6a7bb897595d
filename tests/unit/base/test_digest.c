/* test_digest.c: SHA-256/SHA-512 in the OCI text form (digest.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/error.h"
#include "base/file.h"

#define SHA256_EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA512_EMPTY "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
#define SHA512_ABC "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

static void test_known_vectors_sha256(void **state)
{
  char out[WH_DIGEST_STR_MAX];
  assert_int_equal(wh_digest_buf(WH_SHA256, "", 0, out, NULL), 0);
  assert_string_equal(out, SHA256_EMPTY);
  assert_int_equal(wh_digest_buf(WH_SHA256, "abc", 3, out, NULL), 0);
  assert_string_equal(out, SHA256_ABC);
}

static void test_known_vectors_sha512(void **state)
{
  char out[WH_DIGEST_STR_MAX];
  assert_int_equal(wh_digest_buf(WH_SHA512, "", 0, out, NULL), 0);
  assert_string_equal(out, SHA512_EMPTY);
  assert_int_equal(wh_digest_buf(WH_SHA512, "abc", 3, out, NULL), 0);
  assert_string_equal(out, SHA512_ABC);
}

static void test_streaming_in_pieces_equals_one_shot(void **state)
{
  size_t len = 3 * 1000 * 1000 + 7;
  _cleanup_free_ unsigned char *data = malloc(len);
  for (size_t i = 0; i < len; i++)
    data[i] = (unsigned char) (i * 131 + (i >> 9));
  for (int alg = WH_SHA256; alg <= WH_SHA512; alg++) {
    char one[WH_DIGEST_STR_MAX], pieces[WH_DIGEST_STR_MAX];
    assert_int_equal(wh_digest_buf((enum wh_digest_alg) alg, data, len, one, NULL), 0);
    _cleanup_hasher_ struct wh_hasher *h = wh_hasher_new((enum wh_digest_alg) alg, NULL);
    assert_non_null(h);
    size_t off = 0, step = 1;
    while (off < len) {
      size_t n = step < len - off ? step : len - off;
      wh_hasher_update(h, data + off, n);
      off += n;
      step = step * 3 + 1;
    }
    assert_true(wh_hasher_bytes(h) == len);
    wh_hasher_final(h, pieces);
    assert_string_equal(one, pieces);
  }
}

static void test_reset_makes_hasher_reusable(void **state)
{
  _cleanup_hasher_ struct wh_hasher *h = wh_hasher_new(WH_SHA256, NULL);
  char out[WH_DIGEST_STR_MAX];
  wh_hasher_update(h, "junk", 4);
  wh_hasher_final(h, out);
  wh_hasher_reset(h);
  assert_true(wh_hasher_bytes(h) == 0);
  wh_hasher_update(h, "a", 1);
  wh_hasher_update(h, "bc", 2);
  wh_hasher_final(h, out);
  assert_string_equal(out, SHA256_ABC);
}

static void test_digest_fd_reads_from_offset_to_eof(void **state)
{
  int fd = memfd_create("digest", MFD_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(wh_write_all(fd, "xxabc", 5, NULL), 0);
  assert_int_equal(lseek(fd, 2, SEEK_SET), 2);
  char out[WH_DIGEST_STR_MAX];
  uint64_t size = 0;
  assert_int_equal(wh_digest_fd(WH_SHA256, fd, out, &size, NULL), 0);
  assert_string_equal(out, SHA256_ABC);
  assert_true(size == 3);
  /* At EOF now: the digest of nothing. */
  assert_int_equal(wh_digest_fd(WH_SHA512, fd, out, &size, NULL), 0);
  assert_string_equal(out, SHA512_EMPTY);
  assert_true(size == 0);
  close(fd);
}

static void test_digest_fd_larger_than_one_chunk(void **state)
{
  size_t len = 5 * 1024 * 1024 + 3;
  _cleanup_free_ char *data = malloc(len);
  for (size_t i = 0; i < len; i++)
    data[i] = (char) (i % 251);
  int fd = memfd_create("digest", MFD_CLOEXEC);
  assert_int_equal(wh_write_all(fd, data, len, NULL), 0);
  lseek(fd, 0, SEEK_SET);
  char a[WH_DIGEST_STR_MAX], b[WH_DIGEST_STR_MAX];
  uint64_t size = 0;
  assert_int_equal(wh_digest_fd(WH_SHA256, fd, a, &size, NULL), 0);
  assert_int_equal(wh_digest_buf(WH_SHA256, data, len, b, NULL), 0);
  assert_string_equal(a, b);
  assert_true(size == len);
  close(fd);
}

static void test_digest_fd_read_error_is_reported(void **state)
{
  struct wh_error *err = NULL;
  char out[WH_DIGEST_STR_MAX];
  assert_true(wh_digest_fd(WH_SHA256, -1, out, NULL, &err) < 0);
  assert_non_null(err);
  assert_non_null(strstr(err->msg, "read"));
  wh_error_free(err);
}

static void test_alg_names_lengths_and_parse(void **state)
{
  assert_string_equal(wh_digest_alg_name(WH_SHA256), "sha256");
  assert_string_equal(wh_digest_alg_name(WH_SHA512), "sha512");
  assert_int_equal(wh_digest_alg_hex_len(WH_SHA256), 64);
  assert_int_equal(wh_digest_alg_hex_len(WH_SHA512), 128);
  assert_int_equal(wh_digest_alg_parse("sha256", 6), WH_SHA256);
  assert_int_equal(wh_digest_alg_parse("sha512:abc", 6), WH_SHA512);
  assert_int_equal(wh_digest_alg_parse("sha256", 5), -1);
  assert_int_equal(wh_digest_alg_parse("SHA256", 6), -1);
  assert_int_equal(wh_digest_alg_parse("md5", 3), -1);
  /* The longest form fits the buffer exactly. */
  assert_int_equal(strlen(SHA512_EMPTY) + 1, WH_DIGEST_STR_MAX);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_known_vectors_sha256),
    cmocka_unit_test(test_known_vectors_sha512),
    cmocka_unit_test(test_streaming_in_pieces_equals_one_shot),
    cmocka_unit_test(test_reset_makes_hasher_reusable),
    cmocka_unit_test(test_digest_fd_reads_from_offset_to_eof),
    cmocka_unit_test(test_digest_fd_larger_than_one_chunk),
    cmocka_unit_test(test_digest_fd_read_error_is_reported),
    cmocka_unit_test(test_alg_names_lengths_and_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
