/* test_mediatype.c: unit tests for media type classification and RFC 6838
 * syntax checks (oci/mediatype.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "oci/mediatype.h"

struct classify_case {
  const char *in;
  enum oci_media_type type;
};

static void run_classify(const struct classify_case *cases, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    enum oci_media_type t = oci_media_type_parse(cases[i].in,
                                                 strlen(cases[i].in));
    if (t != cases[i].type)
      fail_msg("'%s': %d, want %d", cases[i].in, t, cases[i].type);
  }
}

static void test_mediatype_known_types_classify(void **state)
{
  static const struct classify_case cases[] = {
    { OCI_MT_IMAGE_MANIFEST, OCI_MEDIA_IMAGE_MANIFEST },
    { OCI_MT_IMAGE_INDEX, OCI_MEDIA_IMAGE_INDEX },
    { OCI_MT_IMAGE_CONFIG, OCI_MEDIA_IMAGE_CONFIG },
    { OCI_MT_LAYER_TAR, OCI_MEDIA_LAYER_TAR },
    { OCI_MT_LAYER_GZIP, OCI_MEDIA_LAYER_GZIP },
    { OCI_MT_LAYER_ZSTD, OCI_MEDIA_LAYER_ZSTD },
    { OCI_MT_EMPTY, OCI_MEDIA_EMPTY },
    { DOCKER_MT_MANIFEST, DOCKER_MEDIA_MANIFEST },
    { DOCKER_MT_MANIFEST_LIST, DOCKER_MEDIA_MANIFEST_LIST },
    { DOCKER_MT_CONFIG, DOCKER_MEDIA_CONFIG },
    { DOCKER_MT_LAYER_GZIP, DOCKER_MEDIA_LAYER_GZIP },
  };
  run_classify(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_mediatype_nondistributable_and_foreign_map_to_compression(void **state)
{
  static const struct classify_case cases[] = {
    { OCI_MT_LAYER_NONDIST_TAR, OCI_MEDIA_LAYER_TAR },
    { OCI_MT_LAYER_NONDIST_GZIP, OCI_MEDIA_LAYER_GZIP },
    { OCI_MT_LAYER_NONDIST_ZSTD, OCI_MEDIA_LAYER_ZSTD },
    { DOCKER_MT_LAYER_FOREIGN, DOCKER_MEDIA_LAYER_GZIP },
  };
  run_classify(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_mediatype_parameters_and_spaces_are_ignored(void **state)
{
  static const struct classify_case cases[] = {
    { OCI_MT_IMAGE_MANIFEST "; charset=utf-8", OCI_MEDIA_IMAGE_MANIFEST },
    { OCI_MT_IMAGE_MANIFEST ";charset=utf-8", OCI_MEDIA_IMAGE_MANIFEST },
    { "  " OCI_MT_IMAGE_INDEX "  ", OCI_MEDIA_IMAGE_INDEX },
    { "\t" DOCKER_MT_MANIFEST " ; q=0.5", DOCKER_MEDIA_MANIFEST },
    { OCI_MT_IMAGE_MANIFEST ";", OCI_MEDIA_IMAGE_MANIFEST },
  };
  run_classify(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_mediatype_inexact_strings_are_unknown(void **state)
{
  static const struct classify_case cases[] = {
    { "", OCI_MEDIA_UNKNOWN },
    { " ", OCI_MEDIA_UNKNOWN },
    { ";", OCI_MEDIA_UNKNOWN },
    { "application/json", OCI_MEDIA_UNKNOWN },
    { "Application/vnd.oci.image.manifest.v1+json", OCI_MEDIA_UNKNOWN },
    { OCI_MT_IMAGE_MANIFEST "x", OCI_MEDIA_UNKNOWN },
    { "application/vnd.oci.image.manifest.v1", OCI_MEDIA_UNKNOWN },
    { "application/vnd.oci.image.manifest.v1+json,", OCI_MEDIA_UNKNOWN },
    { DOCKER_MT_MANIFEST_V1_SIGNED, OCI_MEDIA_UNKNOWN },
    { "application/vnd.oci.image.layer.v1.tar+bzip2", OCI_MEDIA_UNKNOWN },
  };
  run_classify(cases, sizeof(cases) / sizeof(cases[0]));
  assert_int_equal(oci_media_type_parse(NULL, 0), OCI_MEDIA_UNKNOWN);
}

static void test_mediatype_parse_uses_len(void **state)
{
  const char *s = OCI_MT_IMAGE_CONFIG "trailing";
  assert_int_equal(oci_media_type_parse(s, strlen(OCI_MT_IMAGE_CONFIG)),
                   OCI_MEDIA_IMAGE_CONFIG);
  /* A NUL inside the length is part of the string, so it cannot match. */
  char withnul[] = OCI_MT_IMAGE_CONFIG "\0";
  assert_int_equal(oci_media_type_parse(withnul, sizeof(withnul) - 1),
                   OCI_MEDIA_UNKNOWN);
}

static void test_mediatype_name_round_trips(void **state)
{
  for (int t = OCI_MEDIA_IMAGE_MANIFEST; t <= DOCKER_MEDIA_LAYER_GZIP; t++) {
    const char *name = oci_media_type_name((enum oci_media_type) t);
    assert_non_null(name);
    assert_int_equal(oci_media_type_parse(name, strlen(name)), t);
  }
  assert_null(oci_media_type_name(OCI_MEDIA_UNKNOWN));
  /* The canonical name of a layer kind is the distributable one. */
  assert_string_equal(oci_media_type_name(OCI_MEDIA_LAYER_GZIP),
                      OCI_MT_LAYER_GZIP);
}

static void test_mediatype_predicates(void **state)
{
  static const struct {
    enum oci_media_type t;
    bool manifest, index, layer;
    enum oci_compression comp;
  } cases[] = {
    { OCI_MEDIA_UNKNOWN, false, false, false, OCI_COMP_NONE },
    { OCI_MEDIA_IMAGE_MANIFEST, true, false, false, OCI_COMP_NONE },
    { OCI_MEDIA_IMAGE_INDEX, true, true, false, OCI_COMP_NONE },
    { OCI_MEDIA_IMAGE_CONFIG, false, false, false, OCI_COMP_NONE },
    { OCI_MEDIA_LAYER_TAR, false, false, true, OCI_COMP_NONE },
    { OCI_MEDIA_LAYER_GZIP, false, false, true, OCI_COMP_GZIP },
    { OCI_MEDIA_LAYER_ZSTD, false, false, true, OCI_COMP_ZSTD },
    { OCI_MEDIA_EMPTY, false, false, false, OCI_COMP_NONE },
    { DOCKER_MEDIA_MANIFEST, true, false, false, OCI_COMP_NONE },
    { DOCKER_MEDIA_MANIFEST_LIST, true, true, false, OCI_COMP_NONE },
    { DOCKER_MEDIA_CONFIG, false, false, false, OCI_COMP_NONE },
    { DOCKER_MEDIA_LAYER_GZIP, false, false, true, OCI_COMP_GZIP },
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    if (oci_media_type_is_manifest(cases[i].t) != cases[i].manifest ||
        oci_media_type_is_index(cases[i].t) != cases[i].index ||
        oci_media_type_is_layer(cases[i].t) != cases[i].layer ||
        oci_media_type_compression(cases[i].t) != cases[i].comp)
      fail_msg("media type kind %d: wrong predicate", cases[i].t);
  }
}

struct syntax_case {
  const char *in;
  bool valid;
};

static void test_mediatype_syntax_follows_rfc6838(void **state)
{
  static const struct syntax_case cases[] = {
    { OCI_MT_IMAGE_MANIFEST, true },
    { "application/vnd.example.thing+json", true },
    { "a/b", true },
    { "0/9", true },
    { "text/x!#$&-^_.+", true },
    { "application/vnd.cncf.helm.config.v1+json", true },
    { "", false },
    { "application", false },
    { "application/", false },
    { "/json", false },
    { "a//b", false },
    { "a/b/c", false },
    { ".a/b", false },
    { "a/-b", false },
    { "a/+json", false },
    { "a b/c", false },
    { "a/b c", false },
    { "a/b;charset=utf-8", false },
    { " a/b", false },
    { "a/b ", false },
    { "a/b\n", false },
    { "a*/b", false },
    { "a/b%", false },
    { "caf\xc3\xa9/b", false },
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    if (oci_media_type_syntax_valid(cases[i].in) != cases[i].valid)
      fail_msg("'%s': valid should be %d", cases[i].in, cases[i].valid);
  assert_false(oci_media_type_syntax_valid(NULL));
}

static void test_mediatype_syntax_limits_each_part_to_127(void **state)
{
  char buf[300];
  /* 127 + "/" + 127 is the longest valid; 128 on either side fails. */
  memset(buf, 'a', 127);
  buf[127] = '/';
  memset(buf + 128, 'b', 127);
  buf[255] = '\0';
  assert_true(oci_media_type_syntax_valid(buf));
  memset(buf, 'a', 128);
  buf[128] = '/';
  memset(buf + 129, 'b', 127);
  buf[256] = '\0';
  assert_false(oci_media_type_syntax_valid(buf));
  memset(buf, 'a', 127);
  buf[127] = '/';
  memset(buf + 128, 'b', 128);
  buf[256] = '\0';
  assert_false(oci_media_type_syntax_valid(buf));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_mediatype_known_types_classify),
    cmocka_unit_test(test_mediatype_nondistributable_and_foreign_map_to_compression),
    cmocka_unit_test(test_mediatype_parameters_and_spaces_are_ignored),
    cmocka_unit_test(test_mediatype_inexact_strings_are_unknown),
    cmocka_unit_test(test_mediatype_parse_uses_len),
    cmocka_unit_test(test_mediatype_name_round_trips),
    cmocka_unit_test(test_mediatype_predicates),
    cmocka_unit_test(test_mediatype_syntax_follows_rfc6838),
    cmocka_unit_test(test_mediatype_syntax_limits_each_part_to_127),
  };
  return cmocka_run_group_tests_name("oci_mediatype", tests, NULL, NULL);
}
