/* test_routes.c: the API path grammar (registry/routes.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "registry/http.h"

static enum route_kind parse(const char *path, char *name, char *ref)
{
  char buf[512];
  struct route_match m;
  strcpy(buf, path);
  enum route_kind k = route_parse(buf, &m);
  strcpy(name, m.name ? m.name : "");
  strcpy(ref, m.ref ? m.ref : "");
  return k;
}

static void test_routes_with_nested_names(void **state)
{
  char n[512], r[512];
  assert_int_equal(parse("/v2/", n, r), ROUTE_BASE);
  assert_int_equal(parse("/v2", n, r), ROUTE_BASE);
  assert_int_equal(parse("/v2/_catalog", n, r), ROUTE_CATALOG);
  assert_int_equal(parse("/v2/a/b/c/tags/list", n, r), ROUTE_TAGS);
  assert_string_equal(n, "a/b/c");
  assert_int_equal(parse("/v2/a/b/manifests/latest", n, r), ROUTE_MANIFEST);
  assert_string_equal(n, "a/b");
  assert_string_equal(r, "latest");
  assert_int_equal(parse("/v2/x/blobs/sha256:ab", n, r), ROUTE_BLOB);
  assert_string_equal(r, "sha256:ab");
  assert_int_equal(parse("/v2/x/blobs/uploads/", n, r), ROUTE_UPLOADS);
  assert_string_equal(n, "x");
  assert_int_equal(parse("/v2/x/blobs/uploads", n, r), ROUTE_UPLOADS);
  assert_int_equal(parse("/v2/x/blobs/uploads/abc-1", n, r), ROUTE_UPLOAD);
  assert_string_equal(r, "abc-1");
  assert_int_equal(parse("/v2/x/referrers/sha256:ab", n, r), ROUTE_REFERRERS);
}

static void test_keywords_inside_names_split_from_the_right(void **state)
{
  char n[512], r[512];
  assert_int_equal(parse("/v2/manifests/manifests/v1", n, r), ROUTE_MANIFEST);
  assert_string_equal(n, "manifests");
  assert_int_equal(parse("/v2/a/blobs/b/manifests/v1", n, r), ROUTE_MANIFEST);
  assert_string_equal(n, "a/blobs/b");
}

static void test_non_routes(void **state)
{
  char n[512], r[512];
  const char *bad[] = { "/", "/v1/", "/v2x", "/v2/a/manifests/", "/v2/a/manifests/x/y",
                        "/v2/manifests/v1", "/v2/a/unknown/thing", "/v2/a/blobs/" };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(parse(bad[i], n, r), ROUTE_NONE);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_routes_with_nested_names),
    cmocka_unit_test(test_keywords_inside_names_split_from_the_right),
    cmocka_unit_test(test_non_routes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
