/* test_ecr_mutability.c: tag immutability settings (ecr_mutability.c),
 * with request bodies shaped as CreateRepository / PutImageTagMutability
 * send them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/json.h"
#include "registry/ecr_mutability.h"

static struct ecr_mutability parse_ok(const char *body)
{
  json_t *j = wh_json_parse(body, strlen(body), "request", NULL);
  assert_non_null(j);
  struct ecr_mutability m;
  struct wh_error *err = NULL;
  if (ecr_mutability_parse(j, &m, &err) < 0)
    fail_msg("%s", err->msg);
  json_decref(j);
  return m;
}

static void modes(void **state)
{
  (void) state;
  struct ecr_mutability m = parse_ok("{\"repositoryName\":\"app\"}");
  assert_int_equal(m.mode, ECR_MUTABLE);
  assert_false(ecr_tag_immutable(&m, "latest"));
  ecr_mutability_clear(&m);

  m = parse_ok("{\"repositoryName\":\"app\",\"imageTagMutability\":"
               "\"IMMUTABLE\"}");
  assert_true(ecr_tag_immutable(&m, "latest"));
  assert_true(ecr_tag_immutable(&m, "dev-1"));
  ecr_mutability_clear(&m);

  /* The CDK's example: immutable except dev-* and test-*. */
  m = parse_ok("{\"imageTagMutability\":\"IMMUTABLE_WITH_EXCLUSION\","
               "\"imageTagMutabilityExclusionFilters\":["
               "{\"filterType\":\"WILDCARD\",\"filter\":\"dev-*\"},"
               "{\"filterType\":\"WILDCARD\",\"filter\":\"test-*\"}]}");
  assert_int_equal(m.n_filters, 2);
  assert_true(ecr_tag_immutable(&m, "v1.0"));
  assert_true(ecr_tag_immutable(&m, "latest"));
  assert_false(ecr_tag_immutable(&m, "dev-42"));
  assert_false(ecr_tag_immutable(&m, "test-"));
  assert_true(ecr_tag_immutable(&m, "Dev-42"));
  ecr_mutability_clear(&m);

  m = parse_ok("{\"imageTagMutability\":\"MUTABLE_WITH_EXCLUSION\","
               "\"imageTagMutabilityExclusionFilters\":["
               "{\"filterType\":\"WILDCARD\",\"filter\":\"v*.*.*\"}]}");
  assert_true(ecr_tag_immutable(&m, "v1.2.3"));
  assert_false(ecr_tag_immutable(&m, "v1.2"));
  assert_false(ecr_tag_immutable(&m, "latest"));

  /* Round trip through the repository description. */
  json_t *o = json_object();
  assert_int_equal(ecr_mutability_to_json(&m, o), 0);
  char *s = json_dumps(o, JSON_COMPACT);
  assert_string_equal(s, "{\"imageTagMutability\":\"MUTABLE_WITH_EXCLUSION\","
                         "\"imageTagMutabilityExclusionFilters\":[{"
                         "\"filterType\":\"WILDCARD\",\"filter\":\"v*.*.*\"}]}");
  struct ecr_mutability again;
  assert_int_equal(ecr_mutability_parse(o, &again, NULL), 0);
  assert_int_equal(again.mode, m.mode);
  assert_string_equal(again.filters[0], "v*.*.*");
  ecr_mutability_clear(&again);
  free(s);
  json_decref(o);
  ecr_mutability_clear(&m);
  assert_string_equal(ecr_mutability_name(ECR_IMMUTABLE), "IMMUTABLE");
}

static void expect_invalid(const char *body, const char *want)
{
  json_t *j = wh_json_parse(body, strlen(body), "request", NULL);
  assert_non_null(j);
  struct ecr_mutability m;
  struct wh_error *err = NULL;
  if (ecr_mutability_parse(j, &m, &err) == 0)
    fail_msg("accepted: %s", body);
  assert_int_equal(err->kind, WH_ERR_INVALID);
  if (!strstr(err->msg, want))
    fail_msg("message '%s' lacks '%s'", err->msg, want);
  assert_null(m.filters);
  wh_error_free(err);
  json_decref(j);
}

#define F(x) "{\"filterType\":\"WILDCARD\",\"filter\":\"" x "\"}"

static void invalid_settings(void **state)
{
  (void) state;
  expect_invalid("{\"imageTagMutability\":\"immutable\"}",
                 "imageTagMutability: expected MUTABLE");
  expect_invalid("{\"imageTagMutability\":1}", "imageTagMutability");
  expect_invalid("{\"imageTagMutability\":\"IMMUTABLE\","
                 "\"imageTagMutabilityExclusionFilters\":[" F("a") "]}",
                 "only allowed with IMMUTABLE_WITH_EXCLUSION");
  expect_invalid("{\"imageTagMutabilityExclusionFilters\":[" F("a") "]}",
                 "only allowed with");
  expect_invalid("{\"imageTagMutability\":\"IMMUTABLE_WITH_EXCLUSION\"}",
                 "required with IMMUTABLE_WITH_EXCLUSION");
  expect_invalid("{\"imageTagMutability\":\"MUTABLE_WITH_EXCLUSION\","
                 "\"imageTagMutabilityExclusionFilters\":[]}",
                 "expected a list of 1 to 5");
  expect_invalid("{\"imageTagMutability\":\"MUTABLE_WITH_EXCLUSION\","
                 "\"imageTagMutabilityExclusionFilters\":[" F("a") "," F("b")
                 "," F("c") "," F("d") "," F("e") "," F("f") "]}",
                 "expected a list of 1 to 5");
  expect_invalid("{\"imageTagMutability\":\"MUTABLE_WITH_EXCLUSION\","
                 "\"imageTagMutabilityExclusionFilters\":[" F("a") ","
                 "{\"filterType\":\"REGEX\",\"filter\":\"a\"}]}",
                 "imageTagMutabilityExclusionFilters[1].filterType: "
                 "expected WILDCARD");
  expect_invalid("{\"imageTagMutability\":\"MUTABLE_WITH_EXCLUSION\","
                 "\"imageTagMutabilityExclusionFilters\":[" F("a/b") "]}",
                 "imageTagMutabilityExclusionFilters[0].filter: expected 1 "
                 "to 128");
  expect_invalid("{\"imageTagMutability\":\"MUTABLE_WITH_EXCLUSION\","
                 "\"imageTagMutabilityExclusionFilters\":[" F("") "]}",
                 "filter: expected 1 to 128");
  expect_invalid("{\"imageTagMutability\":\"MUTABLE_WITH_EXCLUSION\","
                 "\"imageTagMutabilityExclusionFilters\":[{\"filterType\":"
                 "\"WILDCARD\",\"filter\":\"a\",\"x\":1}]}",
                 "[0].x: unknown field");
  expect_invalid("{\"imageTagMutability\":\"MUTABLE_WITH_EXCLUSION\","
                 "\"imageTagMutabilityExclusionFilters\":[\"a\"]}",
                 "[0]: expected an object");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(modes),
    cmocka_unit_test(invalid_settings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
