/* test_digest.c: unit tests for oci_digest_parse() and oci_digest_valid()
 * (oci/digest.c): the image spec's grammar, the registered algorithms'
 * hex rules, bounds, and that messages name what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "oci/digest.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX128 HEX64 HEX64

struct digest_case {
  const char *in;
  int rc;                  /* 0 or -1 */
  enum oci_digest_alg alg; /* when rc == 0 */
  const char *msg_part;    /* when rc == -1: a substring of the message */
};

static void run_cases(const struct digest_case *cases, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    const struct digest_case *c = &cases[i];
    struct oci_digest d;
    _cleanup_error_ struct wh_error *err = NULL;
    int rc = oci_digest_parse(c->in, strlen(c->in), &d, &err);
    if (rc != c->rc)
      fail_msg("'%s': rc %d, want %d (%s)", c->in, rc, c->rc,
               err ? err->msg : "no error");
    if (rc == 0) {
      if (d.alg != c->alg)
        fail_msg("'%s': alg %d, want %d", c->in, d.alg, c->alg);
      assert_string_equal(d.str, c->in);
      const char *colon = strchr(c->in, ':');
      assert_int_equal(d.alg_len, (size_t) (colon - c->in));
      assert_ptr_equal(d.hex, d.str + d.alg_len + 1);
      assert_string_equal(d.hex, colon + 1);
      assert_null(err);
    } else {
      assert_non_null(err);
      assert_int_equal(err->kind, WH_ERR_INVALID);
      if (c->msg_part && !strstr(err->msg, c->msg_part))
        fail_msg("'%s': message '%s' lacks '%s'", c->in, err->msg,
                 c->msg_part);
    }
  }
}

static void test_digest_registered_algorithms_parse(void **state)
{
  static const struct digest_case cases[] = {
    { "sha256:" HEX64, 0, OCI_DIGEST_SHA256, NULL },
    { "sha512:" HEX128, 0, OCI_DIGEST_SHA512, NULL },
    { "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      0, OCI_DIGEST_SHA256, NULL },
    { "sha256:0000000000000000000000000000000000000000000000000000000000000000",
      0, OCI_DIGEST_SHA256, NULL },
  };
  run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_digest_other_wellformed_algorithms_are_other(void **state)
{
  static const struct digest_case cases[] = {
    { "md5:abc", 0, OCI_DIGEST_OTHER, NULL },
    { "sha384:" HEX64, 0, OCI_DIGEST_OTHER, NULL },
    { "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", 0,
      OCI_DIGEST_OTHER, NULL },
    { "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", 0,
      OCI_DIGEST_OTHER, NULL },
    { "a.b_c-d+e:X=", 0, OCI_DIGEST_OTHER, NULL },
    { "x:y", 0, OCI_DIGEST_OTHER, NULL },
    { "SHA256x:abc", -1, 0, "contains 'S'" },
    /* Registered names are exact: a sibling spelling is another algorithm. */
    { "sha2560:abc", 0, OCI_DIGEST_OTHER, NULL },
    { "sha25:abc", 0, OCI_DIGEST_OTHER, NULL },
  };
  run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_digest_hex_length_is_enforced_with_counts(void **state)
{
  static const struct digest_case cases[] = {
    { "sha256:abc", -1, 0, "sha256 needs 64 hex characters, got 3" },
    { "sha256:" HEX64 "0", -1, 0, "sha256 needs 64 hex characters, got 65" },
    { "sha256:" HEX128, -1, 0, "got 128" },
    { "sha512:" HEX64, -1, 0, "sha512 needs 128 hex characters, got 64" },
    { "sha512:" HEX128 "a", -1, 0, "got 129" },
  };
  run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_digest_hex_must_be_lowercase_hex(void **state)
{
  static const struct digest_case cases[] = {
    { "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
      -1, 0, "must be lowercase" },
    { "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85A",
      -1, 0, "position 63" },
    { "sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      -1, 0, "got 'g' at position 0" },
    { "sha256:=3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      -1, 0, "hex characters" },
    { "sha512:" HEX64 "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
      -1, 0, "must be lowercase" },
  };
  run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_digest_missing_parts_are_named(void **state)
{
  static const struct digest_case cases[] = {
    { "sha256:", -1, 0, "encoded part after ':' is empty" },
    { "sha256", -1, 0, "missing ':'" },
    { ":abc", -1, 0, "algorithm before ':' is empty" },
    { ":", -1, 0, "algorithm before ':' is empty" },
    { "", -1, 0, "digest is empty" },
  };
  run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_digest_algorithm_separators_sit_between_components(void **state)
{
  static const struct digest_case cases[] = {
    { "sha256++b64:abc", -1, 0, "algorithm 'sha256++b64'" },
    { "a..b:abc", -1, 0, "where a letter or digit is needed" },
    { "a-_b:abc", -1, 0, "where a letter or digit is needed" },
    { "+sha256:abc", -1, 0, "where a letter or digit is needed" },
    { "sha256+:abc", -1, 0, "ends with a separator" },
    { "sha256-:abc", -1, 0, "ends with a separator" },
    { "a+b.c_d-e:abc", 0, OCI_DIGEST_OTHER, NULL },
  };
  run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_digest_charsets_are_enforced(void **state)
{
  static const struct digest_case cases[] = {
    { "SHA256:" HEX64, -1, 0, "algorithm 'SHA256' contains 'S'" },
    { "sha 256:abc", -1, 0, "contains ' '" },
    { "sha256:" HEX64 ":", -1, 0, "encoded part contains ':'" },
    { "sha256::" HEX64, -1, 0, "encoded part contains ':'" },
    { "md5:ab/cd", -1, 0, "encoded part contains '/'" },
    { "md5:ab+cd", -1, 0, "encoded part contains '+'" },
    { "md5:ab cd", -1, 0, "encoded part contains ' '" },
    { "md5:ab\ncd", -1, 0, "encoded part contains '\\x0a'" },
    { "md5:ab@cd", -1, 0, "encoded part contains '@'" },
    { " sha256:" HEX64, -1, 0, "contains ' '" },
  };
  run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_digest_embedded_nul_is_rejected(void **state)
{
  char in[7 + 64];
  memcpy(in, "sha256:" HEX64, sizeof(in));
  in[20] = '\0';
  struct oci_digest d;
  _cleanup_error_ struct wh_error *err = NULL;
  assert_int_equal(oci_digest_parse(in, sizeof(in), &d, &err), -1);
  assert_non_null(strstr(err->msg, "NUL"));
  /* The message shows the NUL escaped, never truncated at it. */
  assert_non_null(strstr(err->msg, "\\x00"));
}

static void test_digest_length_bound_is_256(void **state)
{
  char in[OCI_DIGEST_MAX + 2];
  memcpy(in, "md5:", 4);
  memset(in + 4, 'a', sizeof(in) - 4);
  struct oci_digest d;
  /* Exactly OCI_DIGEST_MAX parses, one more does not. */
  assert_int_equal(oci_digest_parse(in, OCI_DIGEST_MAX, &d, NULL), 0);
  assert_int_equal(strlen(d.str), OCI_DIGEST_MAX);
  _cleanup_error_ struct wh_error *err = NULL;
  assert_int_equal(oci_digest_parse(in, OCI_DIGEST_MAX + 1, &d, &err), -1);
  assert_non_null(strstr(err->msg, "is 257 characters, at most 256"));
  /* A long input is shown cut, not in full. */
  assert_non_null(strstr(err->msg, "..."));
}

static void test_digest_parse_uses_len_not_nul(void **state)
{
  /* Callers pass slices of URLs: the bytes after len are not part of it. */
  const char *url = "sha256:" HEX64 "/extra";
  struct oci_digest d;
  assert_int_equal(oci_digest_parse(url, 7 + 64, &d, NULL), 0);
  assert_string_equal(d.str, "sha256:" HEX64);
}

static void test_digest_failed_parse_leaves_output_untouched(void **state)
{
  struct oci_digest d;
  assert_int_equal(oci_digest_parse("sha256:" HEX64, 71, &d, NULL), 0);
  assert_int_equal(oci_digest_parse("sha256:abc", 10, &d, NULL), -1);
  assert_string_equal(d.str, "sha256:" HEX64);
}

static void test_digest_null_err_and_null_out_are_allowed(void **state)
{
  struct oci_digest d;
  assert_int_equal(oci_digest_parse("nope", 4, &d, NULL), -1);
  assert_int_equal(oci_digest_parse(NULL, 0, &d, NULL), -1);
  /* out == NULL validates without a result to store. */
  assert_int_equal(oci_digest_parse("sha256:" HEX64, 71, NULL, NULL), 0);
  assert_int_equal(oci_digest_parse("sha256:abc", 10, NULL, NULL), -1);
}

static void test_digest_valid_accepts_only_registered(void **state)
{
  assert_true(oci_digest_valid("sha256:" HEX64));
  assert_true(oci_digest_valid("sha512:" HEX128));
  assert_false(oci_digest_valid("md5:abc"));
  assert_false(oci_digest_valid("sha256:abc"));
  assert_false(oci_digest_valid("sha256:"));
  assert_false(oci_digest_valid(""));
  assert_false(oci_digest_valid(NULL));
  assert_false(oci_digest_valid("sha256:" HEX64 "\n"));
}

static void test_digest_message_quotes_control_bytes(void **state)
{
  _cleanup_error_ struct wh_error *err = NULL;
  struct oci_digest d;
  assert_int_equal(oci_digest_parse("sha256:\x1b[31m", 12, &d, &err), -1);
  assert_null(strchr(err->msg, '\x1b'));
  assert_non_null(strstr(err->msg, "\\x1b"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_digest_registered_algorithms_parse),
    cmocka_unit_test(test_digest_other_wellformed_algorithms_are_other),
    cmocka_unit_test(test_digest_hex_length_is_enforced_with_counts),
    cmocka_unit_test(test_digest_hex_must_be_lowercase_hex),
    cmocka_unit_test(test_digest_missing_parts_are_named),
    cmocka_unit_test(test_digest_algorithm_separators_sit_between_components),
    cmocka_unit_test(test_digest_charsets_are_enforced),
    cmocka_unit_test(test_digest_embedded_nul_is_rejected),
    cmocka_unit_test(test_digest_length_bound_is_256),
    cmocka_unit_test(test_digest_parse_uses_len_not_nul),
    cmocka_unit_test(test_digest_failed_parse_leaves_output_untouched),
    cmocka_unit_test(test_digest_null_err_and_null_out_are_allowed),
    cmocka_unit_test(test_digest_valid_accepts_only_registered),
    cmocka_unit_test(test_digest_message_quotes_control_bytes),
  };
  return cmocka_run_group_tests_name("oci_digest", tests, NULL, NULL);
}
