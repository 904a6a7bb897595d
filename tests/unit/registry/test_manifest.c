/* test_manifest.c: the manifest parser (registry/manifest.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/error.h"
#include "registry/manifest.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static int parse(const char *ct, const char *json, struct manifest_info *mi, char **msg)
{
  struct wh_error *e = NULL;
  int r = manifest_parse(ct, json, strlen(json), mi, &e);
  *msg = NULL;
  if (e) {
    *msg = strdup(e->msg);
    wh_error_free(e);
  }
  return r;
}

static void test_image_manifest_collects_blobs_subject_and_type(void **state)
{
  const char *j =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"config\":{\"mediaType\":\"application/vnd.example+json\",\"digest\":\"" D1 "\",\"size\":2},"
    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" D2 "\",\"size\":5}],"
    "\"subject\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D3 "\",\"size\":7},"
    "\"annotations\":{\"a\":\"b\"}}";
  struct manifest_info mi;
  char *msg;
  assert_int_equal(parse("application/vnd.oci.image.manifest.v1+json", j, &mi, &msg), 0);
  assert_int_equal(mi.n_blobs, 2);
  assert_string_equal(mi.blobs[0], D1);
  assert_string_equal(mi.blobs[1], D2);
  assert_int_equal(mi.n_children, 0);
  assert_string_equal(mi.subject, D3);
  assert_string_equal(mi.artifact_type, "application/vnd.example+json");
  assert_string_equal(mi.annotations, "{\"a\":\"b\"}");
  manifest_info_clear(&mi);
}

static void test_index_collects_children(void **state)
{
  const char *j =
    "{\"schemaVersion\":2,\"manifests\":["
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1 "\",\"size\":2},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D2 "\",\"size\":2}]}";
  struct manifest_info mi;
  char *msg;
  assert_int_equal(parse("application/vnd.oci.image.index.v1+json; charset=utf-8", j, &mi, &msg), 0);
  assert_int_equal(mi.n_children, 2);
  assert_int_equal(mi.n_blobs, 0);
  assert_string_equal(mi.media_type, "application/vnd.oci.image.index.v1+json");
  manifest_info_clear(&mi);
}

static void test_rejections_say_what_is_wrong(void **state)
{
  struct {
    const char *ct, *json, *needle;
  } cases[] = {
    { NULL, "[]", "object" },
    { NULL, "{\"schemaVersion\":1}", "schemaVersion" },
    { NULL, "{\"schemaVersion\":2}", "media type" },
    { "text/plain", "{\"schemaVersion\":2}", "text/plain" },
    { "application/vnd.oci.image.index.v1+json",
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}",
      "does not match" },
    { "application/vnd.oci.image.manifest.v1+json", "{\"schemaVersion\":2,\"layers\":[]}",
      "config" },
    { "application/vnd.oci.image.manifest.v1+json",
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:12\",\"size\":1},"
      "\"layers\":[]}", "config.digest" },
    { "application/vnd.oci.image.manifest.v1+json",
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" D1 "\",\"size\":-1},"
      "\"layers\":[]}", "size" },
    { "application/vnd.oci.image.manifest.v1+json",
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" D1 "\",\"size\":1},"
      "\"layers\":[{\"mediaType\":\"a/b\",\"digest\":\"" D1 "\"}]}", "layers[0]" },
    { "application/vnd.oci.image.index.v1+json", "{\"schemaVersion\":2,\"manifests\":{}}",
      "manifests" },
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct manifest_info mi;
    char *msg;
    assert_int_equal(parse(cases[i].ct, cases[i].json, &mi, &msg), -1);
    assert_non_null(msg);
    if (!strstr(msg, cases[i].needle))
      fail_msg("case %zu: '%s' does not mention '%s'", i, msg, cases[i].needle);
    free(msg);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_image_manifest_collects_blobs_subject_and_type),
    cmocka_unit_test(test_index_collects_children),
    cmocka_unit_test(test_rejections_say_what_is_wrong),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
