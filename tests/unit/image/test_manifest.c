/* test_manifest.c: manifest, index and config parsers, platform choice
 * and chain ids (manifest.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "image/manifest.h"

#define D1 "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
#define D2 "sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"

static const char manifest_ok[] =
  "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
  "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1 "\",\"size\":10},"
  "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D2 "\",\"size\":5},"
  "{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":\"" D1 "\",\"size\":6}]}";

/* rc first: the error pointer is read only after the call has run */
static void expect_error(int rc, struct wh_error **errp, enum wh_err_kind kind, const char *part)
{
  struct wh_error *err = *errp;
  *errp = NULL;
  assert_int_equal(rc, -1);
  assert_non_null(err);
  assert_int_equal(err->kind, kind);
  if (!strstr(err->msg, part))
    fail_msg("\"%s\" not in \"%s\"", part, err->msg);
  wh_error_free(err);
}

static void manifest_parses(void **state)
{
  struct image_manifest m;
  struct wh_error *err = NULL;
  assert_int_equal(image_manifest_parse(manifest_ok, strlen(manifest_ok), NULL, &m, &err), 0);
  assert_int_equal(m.type, OCI_MEDIA_IMAGE_MANIFEST);
  assert_string_equal(m.config.digest, D1);
  assert_int_equal(m.n_layers, 2);
  assert_int_equal(m.layers[0].size, 5);
  assert_int_equal(m.layers[1].type, DOCKER_MEDIA_LAYER_GZIP);
  image_manifest_free(&m);
}

static void manifest_errors_name_the_field(void **state)
{
  struct image_manifest m;
  struct wh_error *err = NULL;
  const char *bad_digest = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                           "\"digest\":\"sha256:xyz\",\"size\":1},\"layers\":[]}";
  expect_error(image_manifest_parse(bad_digest, strlen(bad_digest), NULL, &m, &err), &err,
               WH_ERR_INVALID, "manifest.config.digest");
  err = NULL;
  const char *artifact = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/x-thing\","
                         "\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}";
  expect_error(image_manifest_parse(artifact, strlen(artifact), NULL, &m, &err), &err,
               WH_ERR_UNSUPPORTED, "not an image config");
  err = NULL;
  const char *v1 = "{\"schemaVersion\":1,\"fsLayers\":[]}";
  expect_error(image_manifest_parse(v1, strlen(v1), NULL, &m, &err), &err, WH_ERR_UNSUPPORTED,
               "schema 1");
  err = NULL;
  const char *dup = "{\"schemaVersion\":2,\"schemaVersion\":2}";
  expect_error(image_manifest_parse(dup, strlen(dup), NULL, &m, &err), &err, WH_ERR_INVALID,
               "invalid JSON");
  err = NULL;
  const char *neg = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                    "\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}";
  expect_error(image_manifest_parse(neg, strlen(neg), NULL, &m, &err), &err, WH_ERR_INVALID,
               "manifest.config.size");
}

static const char index_doc[] =
  "{\"schemaVersion\":2,\"manifests\":["
  "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1 "\",\"size\":1,"
  "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
  "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D2 "\",\"size\":1,"
  "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";

static void index_selects_platform(void **state)
{
  struct image_index idx;
  struct wh_error *err = NULL;
  enum oci_media_type kind;
  assert_int_equal(image_manifest_kind(index_doc, strlen(index_doc), NULL, &kind, &err), 0);
  assert_int_equal(kind, OCI_MEDIA_IMAGE_INDEX);
  assert_int_equal(image_index_parse(index_doc, strlen(index_doc), NULL, &idx, &err), 0);
  struct image_platform p;
  size_t pick;
  assert_int_equal(image_platform_parse("linux/amd64", &p, &err), 0);
  assert_int_equal(image_index_select(&idx, &p, &pick, &err), 0);
  assert_int_equal(pick, 1);
  image_platform_free(&p);
  assert_int_equal(image_platform_parse("linux/arm64/v8", &p, &err), 0);
  assert_int_equal(image_index_select(&idx, &p, &pick, &err), 0);
  assert_int_equal(pick, 0);
  image_platform_free(&p);
  assert_int_equal(image_platform_parse("linux/riscv64", &p, &err), 0);
  expect_error(image_index_select(&idx, &p, &pick, &err), &err, WH_ERR_NOT_FOUND,
               "index has: linux/arm64/v8, linux/amd64");
  image_platform_free(&p);
  image_index_free(&idx);
}

static void platform_syntax(void **state)
{
  struct image_platform p;
  const char *bad[] = {"linux", "/amd64", "linux/", "a/b/c/d", "linux//v8"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct wh_error *err = NULL;
    expect_error(image_platform_parse(bad[i], &p, &err), &err, WH_ERR_INVALID, "os/arch");
  }
}

static void config_parses_and_checks_diff_ids(void **state)
{
  const char *ok = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2026-11-23T10:00:00Z\","
                   "\"config\":{\"Cmd\":[\"sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\"]}}";
  struct image_config c;
  struct wh_error *err = NULL;
  assert_int_equal(image_config_parse(ok, strlen(ok), &c, &err), 0);
  assert_int_equal(c.n_diff_ids, 1);
  assert_string_equal(c.diff_ids[0], D1);
  assert_string_equal(c.platform.arch, "amd64");
  assert_true(c.created_ns > 0);
  image_config_free(&c);
  const char *bad = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha512:abc\"]}}";
  expect_error(image_config_parse(bad, strlen(bad), &c, &err), &err, WH_ERR_INVALID,
               "diff_ids[0]");
  err = NULL;
  const char *norootfs = "{\"os\":\"linux\"}";
  expect_error(image_config_parse(norootfs, strlen(norootfs), &c, &err), &err, WH_ERR_INVALID,
               "rootfs");
}

static void chain_ids_follow_the_spec(void **state)
{
  char *ids[] = {(char *) D1, (char *) D2};
  char **out = NULL;
  struct wh_error *err = NULL;
  assert_int_equal(image_chain_ids(ids, 2, &out, &err), 0);
  assert_string_equal(out[0], D1);
  /* sha256("<chain0> <diff1>") computed independently */
  assert_string_equal(out[1],
                      "sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676");
  assert_null(out[2]);
  free(out[0]);
  free(out[1]);
  free(out);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(manifest_parses),
    cmocka_unit_test(manifest_errors_name_the_field),
    cmocka_unit_test(index_selects_platform),
    cmocka_unit_test(platform_syntax),
    cmocka_unit_test(config_parses_and_checks_diff_ids),
    cmocka_unit_test(chain_ids_follow_the_spec),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
