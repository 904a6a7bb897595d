/* test_challenge.c: WWW-Authenticate parsing (challenge.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "image/challenge.h"

static void bearer_with_quoted_params(void **state)
{
  struct image_challenge c;
  assert_int_equal(image_challenge_parse(
      "Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
      "scope=\"repository:a/b:pull\"", &c, NULL), 0);
  assert_int_equal(c.scheme, IMAGE_AUTH_BEARER);
  assert_string_equal(c.realm, "https://auth.example/token");
  assert_string_equal(c.service, "registry.example");
  image_challenge_free(&c);
}

static void bearer_tokens_spaces_escapes_case(void **state)
{
  struct image_challenge c;
  assert_int_equal(image_challenge_parse(
      "bearer  Service = \"a\\\"b\" , REALM=http://127.0.0.1:5000/token", &c, NULL), 0);
  assert_string_equal(c.realm, "http://127.0.0.1:5000/token");
  assert_string_equal(c.service, "a\"b");
  image_challenge_free(&c);
}

static void basic(void **state)
{
  struct image_challenge c;
  assert_int_equal(image_challenge_parse("Basic realm=\"registry\"", &c, NULL), 0);
  assert_int_equal(c.scheme, IMAGE_AUTH_BASIC);
  assert_null(c.realm);
}

static void refusals(void **state)
{
  const char *bad[] = {"Bearer service=\"x\"", "Bearer realm=\"file:///etc/passwd\"",
                       "Bearer realm=\"https://a b\"", "Basicx", "Negotiate abc", ""};
  enum wh_err_kind kinds[] = {WH_ERR_INVALID, WH_ERR_INVALID, WH_ERR_INVALID,
                              WH_ERR_UNSUPPORTED, WH_ERR_UNSUPPORTED, WH_ERR_UNSUPPORTED};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct image_challenge c;
    struct wh_error *err = NULL;
    assert_int_equal(image_challenge_parse(bad[i], &c, &err), -1);
    assert_int_equal(err->kind, kinds[i]);
    assert_null(c.realm);
    wh_error_free(err);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(bearer_with_quoted_params),
    cmocka_unit_test(bearer_tokens_spaces_escapes_case),
    cmocka_unit_test(basic),
    cmocka_unit_test(refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
