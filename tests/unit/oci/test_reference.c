/* test_reference.c: unit tests for repository names, tags and references
 * (oci/reference.c): distribution's name grammar, docker's domain rule,
 * bounds, round trips through oci_reference_format(), and messages that
 * name the offending part. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "oci/reference.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIG "sha256:" HEX64

/* A string of n copies of c, freed by the caller. */
static char *repeat(char c, size_t n)
{
  char *s = malloc(n + 1);
  assert_non_null(s);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

struct check_case {
  const char *in;
  int rc;
  const char *msg_part;
};

static void run_name_cases(const struct check_case *cases, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    _cleanup_error_ struct wh_error *err = NULL;
    int rc = oci_name_check(cases[i].in, strlen(cases[i].in), &err);
    if (rc != cases[i].rc)
      fail_msg("name '%s': rc %d, want %d (%s)", cases[i].in, rc, cases[i].rc,
               err ? err->msg : "no error");
    assert_int_equal(oci_name_valid(cases[i].in), rc == 0);
    if (rc < 0) {
      assert_int_equal(err->kind, WH_ERR_INVALID);
      if (cases[i].msg_part && !strstr(err->msg, cases[i].msg_part))
        fail_msg("name '%s': message '%s' lacks '%s'", cases[i].in, err->msg,
                 cases[i].msg_part);
    }
  }
}

static void run_tag_cases(const struct check_case *cases, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    _cleanup_error_ struct wh_error *err = NULL;
    int rc = oci_tag_check(cases[i].in, strlen(cases[i].in), &err);
    if (rc != cases[i].rc)
      fail_msg("tag '%s': rc %d, want %d (%s)", cases[i].in, rc, cases[i].rc,
               err ? err->msg : "no error");
    assert_int_equal(oci_tag_valid(cases[i].in), rc == 0);
    if (rc < 0 && cases[i].msg_part && !strstr(err->msg, cases[i].msg_part))
      fail_msg("tag '%s': message '%s' lacks '%s'", cases[i].in, err->msg,
               cases[i].msg_part);
  }
}

static void test_name_accepts_distribution_grammar(void **state)
{
  static const struct check_case cases[] = {
    { "a", 0, NULL },
    { "library/busybox", 0, NULL },
    { "a/b/c/d/e", 0, NULL },
    { "a.b", 0, NULL },
    { "a_b", 0, NULL },
    { "a__b", 0, NULL },
    { "a-b", 0, NULL },
    { "a--b", 0, NULL },
    { "a-----b", 0, NULL },
    { "a.b_c__d-e--f", 0, NULL },
    { "0", 0, NULL },
    { "123/456", 0, NULL },
    { "my-org/my.app_v2", 0, NULL },
  };
  run_name_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_name_separators_follow_the_component_rule(void **state)
{
  static const struct check_case cases[] = {
    { "a___b", -1, "'___'" },
    { "a..b", -1, "'..'" },
    { "a._b", -1, "'._'" },
    { "a_.b", -1, "'_.'" },
    { "a-_b", -1, "'-_'" },
    { "a_-b", -1, "'_-'" },
    { "a-.b", -1, "'-.'" },
    { "-a", -1, "must start with a letter or digit" },
    { ".a", -1, "must start with a letter or digit" },
    { "_a", -1, "must start with a letter or digit" },
    { "a-", -1, "must end with a letter or digit" },
    { "a.", -1, "must end with a letter or digit" },
    { "a__", -1, "must end with a letter or digit" },
    { "x/-a/y", -1, "component '-a'" },
  };
  run_name_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_name_slashes_separate_nonempty_components(void **state)
{
  static const struct check_case cases[] = {
    { "a/", -1, "must not end with '/'" },
    { "/a", -1, "must not start with '/'" },
    { "a//b", -1, "empty component" },
    { "/", -1, "must not start with '/'" },
    { "", -1, "is empty" },
  };
  run_name_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_name_rejects_uppercase_and_other_characters(void **state)
{
  static const struct check_case cases[] = {
    { "Foo/bar", -1, "repository name 'Foo/bar' must be lowercase" },
    { "fooBar", -1, "must be lowercase" },
    { "a b", -1, "contains ' '" },
    { "a:b", -1, "contains ':'" },
    { "a@b", -1, "contains '@'" },
    { "a\tb", -1, "contains '\\x09'" },
    { "caf\xc3\xa9", -1, "contains '\\xc3'" },
    { "a+b", -1, "contains '+'" },
  };
  run_name_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_name_length_bound_is_255(void **state)
{
  _cleanup_free_ char *n255 = repeat('a', 255);
  _cleanup_free_ char *n256 = repeat('a', 256);
  _cleanup_free_ char *n1000 = repeat('a', 1000);
  assert_true(oci_name_valid(n255));
  assert_false(oci_name_valid(n256));
  assert_false(oci_name_valid(n1000));
  _cleanup_error_ struct wh_error *err = NULL;
  assert_int_equal(oci_name_check(n256, 256, &err), -1);
  assert_non_null(strstr(err->msg, "is 256 characters, at most 255"));
  /* 255 made of components still counts its slashes. */
  n255[100] = '/';
  assert_true(oci_name_valid(n255));
}

static void test_name_check_uses_len_and_rejects_nul(void **state)
{
  assert_int_equal(oci_name_check("abc/def", 3, NULL), 0);
  assert_int_equal(oci_name_check("ab\0c", 4, NULL), -1);
  assert_int_equal(oci_name_check(NULL, 0, NULL), -1);
  assert_false(oci_name_valid(NULL));
  /* Found by fuzzing: a separator run at the very end of an unterminated
   * slice was scanned past len (ASan builds catch a regression here). */
  static const char tail[] = "regis.example.";
  char *slice = malloc(sizeof(tail) - 1);
  assert_non_null(slice);
  memcpy(slice, tail, sizeof(tail) - 1);
  assert_int_equal(oci_name_check(slice, sizeof(tail) - 1, NULL), -1);
  memcpy(slice, "a__", 3);
  assert_int_equal(oci_name_check(slice, 3, NULL), -1);
  free(slice);
}

static void test_tag_accepts_grammar(void **state)
{
  static const struct check_case cases[] = {
    { "latest", 0, NULL },
    { "1.0", 0, NULL },
    { "_", 0, NULL },
    { "_a", 0, NULL },
    { "V1.2.3-rc1_build.4", 0, NULL },
    { "A", 0, NULL },
    { "5000", 0, NULL },
    { "a--..__", 0, NULL },
  };
  run_tag_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_tag_rejects_bad_first_char_and_charset(void **state)
{
  static const struct check_case cases[] = {
    { "", -1, "is empty" },
    { ".a", -1, "must start with a letter, a digit or '_'" },
    { "-a", -1, "must start with" },
    { "a:b", -1, "contains ':'" },
    { "a/b", -1, "contains '/'" },
    { "a+b", -1, "contains '+'" },
    { "a b", -1, "tag 'a b' contains ' '" },
  };
  run_tag_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_tag_length_bound_is_128(void **state)
{
  _cleanup_free_ char *t128 = repeat('t', 128);
  _cleanup_free_ char *t129 = repeat('t', 129);
  assert_true(oci_tag_valid(t128));
  assert_false(oci_tag_valid(t129));
  _cleanup_error_ struct wh_error *err = NULL;
  assert_int_equal(oci_tag_check(t129, 129, &err), -1);
  assert_non_null(strstr(err->msg, "is 129 characters, at most 128"));
  assert_false(oci_tag_valid(NULL));
}

struct ref_case {
  const char *in;
  const char *domain, *path, *tag, *digest;
};

static void assert_str_or_null(const char *in, const char *field,
                               const char *got, const char *want)
{
  if (!want && !got)
    return;
  if (!want || !got || strcmp(got, want) != 0)
    fail_msg("'%s': %s is '%s', want '%s'", in, field, got ? got : "(null)",
             want ? want : "(null)");
}

static void run_ref_cases(const struct ref_case *cases, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    const struct ref_case *c = &cases[i];
    _cleanup_reference_ struct oci_reference r = { 0 };
    _cleanup_error_ struct wh_error *err = NULL;
    if (oci_reference_parse(c->in, &r, &err) < 0)
      fail_msg("'%s': %s", c->in, err->msg);
    assert_str_or_null(c->in, "domain", r.domain, c->domain);
    assert_str_or_null(c->in, "path", r.path, c->path);
    assert_str_or_null(c->in, "tag", r.tag, c->tag);
    assert_str_or_null(c->in, "digest", r.digest, c->digest);
    /* Parsing normalizes nothing, so formatting gives the input back. */
    _cleanup_free_ char *s = oci_reference_format(&r);
    assert_non_null(s);
    assert_string_equal(s, c->in);
  }
}

static void test_reference_splits_domain_path_tag_digest(void **state)
{
  static const struct ref_case cases[] = {
    { "busybox", NULL, "busybox", NULL, NULL },
    { "library/busybox", NULL, "library/busybox", NULL, NULL },
    { "busybox:1.36", NULL, "busybox", "1.36", NULL },
    { "busybox@" DIG, NULL, "busybox", NULL, DIG },
    { "busybox:1.36@" DIG, NULL, "busybox", "1.36", DIG },
    { "docker.io/library/busybox:latest", "docker.io", "library/busybox",
      "latest", NULL },
    { "localhost/app", "localhost", "app", NULL, NULL },
    { "localhost:5000/x:y@" DIG, "localhost:5000", "x", "y", DIG },
    { "registry.example.com:443/a/b/c:v1", "registry.example.com:443",
      "a/b/c", "v1", NULL },
    { "Registry.Example.COM/app", "Registry.Example.COM", "app", NULL, NULL },
    { "my-registry.local/app", "my-registry.local", "app", NULL, NULL },
    { "a.b.c.d/e", "a.b.c.d", "e", NULL, NULL },
    { "127.0.0.1:5000/app", "127.0.0.1:5000", "app", NULL, NULL },
    { "app@md5:abc", NULL, "app", NULL, "md5:abc" },
  };
  run_ref_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_reference_ipv6_domains_in_brackets(void **state)
{
  static const struct ref_case cases[] = {
    { "[::1]:5000/x", "[::1]:5000", "x", NULL, NULL },
    { "[::1]/x", "[::1]", "x", NULL, NULL },
    { "[2001:db8::1]:443/org/app:1.0", "[2001:db8::1]:443", "org/app", "1.0",
      NULL },
    { "[FE80::1]/app", "[FE80::1]", "app", NULL, NULL },
  };
  run_ref_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_reference_first_component_is_domain_only_by_docker_rule(void **state)
{
  static const struct ref_case cases[] = {
    /* "x:5000" has no '/', so ':' starts a tag: image x, tag 5000. */
    { "x:5000", NULL, "x", "5000", NULL },
    { "localhost:5000", NULL, "localhost", "5000", NULL },
    { "localhost", NULL, "localhost", NULL, NULL },
    /* No '.', ':' or "localhost": a path component, not a registry. */
    { "registry/app", NULL, "registry/app", NULL, NULL },
    { "localhostx/app", NULL, "localhostx/app", NULL, NULL },
    { "x/y:5000", NULL, "x/y", "5000", NULL },
  };
  run_ref_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

struct bad_ref_case {
  const char *in;
  const char *msg_part;
};

static void run_bad_ref_cases(const struct bad_ref_case *cases, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    struct oci_reference r;
    memset(&r, 0xa5, sizeof(r));
    _cleanup_error_ struct wh_error *err = NULL;
    if (oci_reference_parse(cases[i].in, &r, &err) == 0) {
      oci_reference_free(&r);
      fail_msg("'%s': parsed, want an error", cases[i].in);
    }
    assert_non_null(err);
    assert_int_equal(err->kind, WH_ERR_INVALID);
    if (!strstr(err->msg, cases[i].msg_part))
      fail_msg("'%s': message '%s' lacks '%s'", cases[i].in, err->msg,
               cases[i].msg_part);
    /* A failed parse leaves nothing to free. */
    assert_null(r.domain);
    assert_null(r.path);
    assert_null(r.tag);
    assert_null(r.digest);
  }
}

static void test_reference_errors_name_the_offending_part(void **state)
{
  static const struct bad_ref_case cases[] = {
    { "Foo/bar", "reference 'Foo/bar': repository name must be lowercase" },
    { "", "reference is empty" },
    { "a/", "repository name must not end with '/'" },
    { "/a", "repository name must not start with '/'" },
    { "a//b", "empty component" },
    { "a___b", "'___'" },
    { "x:", "tag '' is empty" },
    { "x:-y", "tag '-y' must start with" },
    { "x:a/b", "domain 'x:a'" },
    { "x@", "digest is empty" },
    { "x@sha256:abc",
      "reference 'x@sha256:abc': digest 'sha256:abc': sha256 needs 64 hex "
      "characters, got 3" },
    { "x@sha256", "missing ':'" },
    { "x@" DIG "@" DIG, "encoded part contains '@'" },
    { "x:y:z", "repository name contains ':'" },
    { "localhost:5000/", "repository name is empty" },
    { "localhost:/x", "domain 'localhost:'" },
    { "localhost:50a0/x", "domain 'localhost:50a0'" },
    { "-bad.com/x", "domain '-bad.com'" },
    { "bad-.com/x", "domain 'bad-.com'" },
    { "a..com/x", "domain 'a..com'" },
    { "[::1/x", "no ']'" },
    { "[]/x", "IPv6" },
    { "[::g]/x", "IPv6" },
    { "[::1]x/y", "domain '[::1]x'" },
    { "a:b:c/x", "domain 'a:b:c'" },
    { "example.com/Foo", "repository name must be lowercase" },
    { "x y", "repository name contains ' '" },
    { "x:tag with space", "tag 'tag with space' contains ' '" },
  };
  run_bad_ref_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_reference_name_bound_counts_the_domain(void **state)
{
  /* 255 characters in all are fine, with or without a domain. */
  _cleanup_free_ char *path255 = repeat('a', 255);
  _cleanup_reference_ struct oci_reference r = { 0 };
  assert_int_equal(oci_reference_parse(path255, &r, NULL), 0);
  oci_reference_free(&r);

  _cleanup_free_ char *path256 = repeat('a', 256);
  _cleanup_error_ struct wh_error *err = NULL;
  assert_int_equal(oci_reference_parse(path256, &r, &err), -1);
  assert_non_null(strstr(err->msg, "is 256 characters, at most 255"));

  /* "example.com/" is 12 characters: the path may have 243. */
  char buf[300];
  snprintf(buf, sizeof(buf), "example.com/%.*s", 243, path255);
  assert_int_equal(oci_reference_parse(buf, &r, NULL), 0);
  oci_reference_free(&r);
  snprintf(buf, sizeof(buf), "example.com/%.*s:tag", 244, path255);
  _cleanup_error_ struct wh_error *err2 = NULL;
  assert_int_equal(oci_reference_parse(buf, &r, &err2), -1);
  assert_non_null(strstr(err2->msg, "name is 256 characters with its domain"));
}

static void test_reference_longer_than_4096_is_rejected(void **state)
{
  _cleanup_free_ char *big = repeat('a', 5000);
  _cleanup_reference_ struct oci_reference r = { 0 };
  _cleanup_error_ struct wh_error *err = NULL;
  assert_int_equal(oci_reference_parse(big, &r, &err), -1);
  assert_non_null(strstr(err->msg, "longer than 4096"));
  /* The message shows a bounded excerpt, not 5000 characters. */
  assert_true(strlen(err->msg) < 400);
}

static void test_reference_null_input_and_null_err(void **state)
{
  struct oci_reference r;
  assert_int_equal(oci_reference_parse(NULL, &r, NULL), -1);
  assert_int_equal(oci_reference_parse("BAD", &r, NULL), -1);
  oci_reference_free(&r);
  oci_reference_free(NULL);
}

static void test_reference_format_builds_from_fields(void **state)
{
  struct oci_reference r = { .domain = "localhost:5000", .path = "a/b",
                             .tag = "t", .digest = DIG };
  _cleanup_free_ char *s = oci_reference_format(&r);
  assert_string_equal(s, "localhost:5000/a/b:t@" DIG);
  struct oci_reference bare = { .path = "app" };
  _cleanup_free_ char *s2 = oci_reference_format(&bare);
  assert_string_equal(s2, "app");
  struct oci_reference none = { 0 };
  assert_null(oci_reference_format(&none));
  assert_null(oci_reference_format(NULL));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_name_accepts_distribution_grammar),
    cmocka_unit_test(test_name_separators_follow_the_component_rule),
    cmocka_unit_test(test_name_slashes_separate_nonempty_components),
    cmocka_unit_test(test_name_rejects_uppercase_and_other_characters),
    cmocka_unit_test(test_name_length_bound_is_255),
    cmocka_unit_test(test_name_check_uses_len_and_rejects_nul),
    cmocka_unit_test(test_tag_accepts_grammar),
    cmocka_unit_test(test_tag_rejects_bad_first_char_and_charset),
    cmocka_unit_test(test_tag_length_bound_is_128),
    cmocka_unit_test(test_reference_splits_domain_path_tag_digest),
    cmocka_unit_test(test_reference_ipv6_domains_in_brackets),
    cmocka_unit_test(test_reference_first_component_is_domain_only_by_docker_rule),
    cmocka_unit_test(test_reference_errors_name_the_offending_part),
    cmocka_unit_test(test_reference_name_bound_counts_the_domain),
    cmocka_unit_test(test_reference_longer_than_4096_is_rejected),
    cmocka_unit_test(test_reference_null_input_and_null_err),
    cmocka_unit_test(test_reference_format_builds_from_fields),
  };
  return cmocka_run_group_tests_name("oci_reference", tests, NULL, NULL);
}
