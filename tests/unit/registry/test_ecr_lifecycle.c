/* test_ecr_lifecycle.c: lifecycle policy parsing and evaluation
 * (ecr_lifecycle.c). The policies and repositories of the Amazon ECR user
 * guide ("Examples of lifecycle policies") are used unchanged, with the
 * outcomes the guide explains. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "registry/ecr_lifecycle.h"

#define NOW 1795451405
#define DAYS(n) (NOW - (int64_t) (n) * 86400)

static struct ecr_lifecycle *parse(const char *s)
{
  struct wh_error *err = NULL;
  struct ecr_lifecycle *p = ecr_lifecycle_parse(s, strlen(s), &err);
  if (!p)
    fail_msg("%s", err->msg);
  return p;
}

struct img {
  const char *digest;
  const char *tags[4];
  int64_t pushed;
  int64_t pulled;
};

/* Evaluate and return the expired digests as "A,B" in input order, with
 * each image's applied rule checked against `rules` ("1,0,2"). */
static void run(const char *policy, const struct img *im, size_t n,
                const char *want_expired, const char *want_rules)
{
  struct ecr_lifecycle *p = parse(policy);
  struct ecr_lc_image in[16];
  for (size_t i = 0; i < n; i++) {
    size_t nt = 0;
    while (nt < 4 && im[i].tags[nt])
      nt++;
    in[i] = (struct ecr_lc_image) { im[i].digest, im[i].tags, nt,
                                    im[i].pushed, im[i].pulled };
  }
  struct ecr_lc_result r;
  assert_int_equal(ecr_lifecycle_evaluate(p, in, n, NOW, &r, NULL), 0);
  char got[256] = "", gotr[256] = "";
  for (size_t k = 0; k < r.n_expired; k++) {
    strcat(got, k ? "," : "");
    strcat(got, im[r.expired[k]].digest);
  }
  for (size_t i = 0; i < n; i++) {
    char b[24];
    snprintf(b, sizeof(b), "%s%lld", i ? "," : "", (long long) r.applied[i]);
    strcat(gotr, b);
  }
  assert_string_equal(got, want_expired);
  assert_string_equal(gotr, want_rules);
  /* Per-rule previews partition the apply set. */
  size_t total = 0;
  for (size_t k = 0; k < r.n_rules; k++) {
    for (size_t j = 0; j < r.rules[k].n; j++)
      assert_int_equal(r.applied[r.rules[k].images[j]], r.rules[k].priority);
    for (size_t j = 1; j < r.rules[k].n; j++)
      assert_true(in[r.rules[k].images[j - 1]].pushed_at <=
                  in[r.rules[k].images[j]].pushed_at);
    total += r.rules[k].n;
  }
  assert_int_equal(total, r.n_expired);
  ecr_lc_result_free(&r);
  ecr_lifecycle_free(p);
}

static const char aws_age_untagged[] =
  "{\n    \"rules\": [\n        {\n            \"rulePriority\": 1,\n"
  "            \"description\": \"Expire images older than 14 days\",\n"
  "            \"selection\": {\n                \"tagStatus\": \"untagged\",\n"
  "                \"countType\": \"sinceImagePushed\",\n"
  "                \"countUnit\": \"days\",\n"
  "                \"countNumber\": 14\n            },\n"
  "            \"action\": {\n                \"type\": \"expire\"\n"
  "            }\n        }\n    ]\n}";

static const char aws_age_prod[] =
  "{ \"rules\": [ { \"rulePriority\": 1, \"description\": \"Expire images "
  "older than 14 days\", \"selection\": { \"tagStatus\": \"tagged\", "
  "\"tagPatternList\": [\"prod*\"], \"countType\": \"sinceImagePushed\", "
  "\"countUnit\": \"days\", \"countNumber\": 14 }, \"action\": { \"type\": "
  "\"expire\" } } ] }";

static const char aws_count_untagged[] =
  "{ \"rules\": [ { \"rulePriority\": 1, \"description\": \"Keep only one "
  "untagged image, expire all others\", \"selection\": { \"tagStatus\": "
  "\"untagged\", \"countType\": \"imageCountMoreThan\", \"countNumber\": 1 "
  "}, \"action\": { \"type\": \"expire\" } } ] }";

#define TWO_RULES(sel1, sel2) \
  "{ \"rules\": [ { \"rulePriority\": 1, \"description\": \"Rule 1\", " \
  "\"selection\": { \"tagStatus\": \"tagged\", " sel1 ", \"countType\": " \
  "\"imageCountMoreThan\", \"countNumber\": 1 }, \"action\": { \"type\": " \
  "\"expire\" } }, { \"rulePriority\": 2, \"description\": \"Rule 2\", " \
  "\"selection\": { \"tagStatus\": \"tagged\", " sel2 ", \"countType\": " \
  "\"imageCountMoreThan\", \"countNumber\": 1 }, \"action\": { \"type\": " \
  "\"expire\" } } ] }"

static void aws_filtering_on_age_and_count(void **state)
{
  (void) state;
  const struct img im[] = {
    { "A", { NULL }, DAYS(20), 0 },
    { "B", { NULL }, DAYS(15), 0 },
    { "C", { NULL }, DAYS(13), 0 },
    { "D", { "prod-1", NULL }, DAYS(30), 0 },
    { "E", { "prod-2", "latest" }, DAYS(2), 0 },
    { "F", { "dev-1", NULL }, DAYS(40), 0 },
  };
  run(aws_age_untagged, im, 6, "A,B", "1,1,0,0,0,0");
  run(aws_age_prod, im, 6, "D", "0,0,0,1,0,0");
  /* Keep the newest untagged image (C). */
  run(aws_count_untagged, im, 6, "A,B", "1,1,0,0,0,0");
}

/* Example A of the guide, with tagPrefixList and with tagPatternList:
 * rule 1 expires A; rule 2 would mark A and B, but A is rule 1's and B
 * was selected by rule 1, so only A expires. */
static void aws_multiple_rules_example_a(void **state)
{
  (void) state;
  const struct img im[] = {
    { "A", { "beta-1", "prod-1", NULL }, DAYS(10), 0 },
    { "B", { "beta-2", "prod-2", NULL }, DAYS(9), 0 },
    { "C", { "beta-3", NULL }, DAYS(8), 0 },
  };
  run(TWO_RULES("\"tagPrefixList\": [\"prod\"]",
                "\"tagPrefixList\": [\"beta\"]"), im, 3, "A", "1,0,0");
  run(TWO_RULES("\"tagPatternList\": [\"prod*\"]",
                "\"tagPatternList\": [\"beta*\"]"), im, 3, "A", "1,0,0");
}

/* The preview in GetLifecyclePolicyPreview's shape, for Example A. */
static void preview_json(void **state)
{
  (void) state;
  struct ecr_lifecycle *p = parse(TWO_RULES(
      "\"tagPrefixList\": [\"prod\"]", "\"tagPrefixList\": [\"beta\"]"));
  static const char *const ta[] = { "beta-1", "prod-1" };
  static const char *const tb[] = { "beta-2", "prod-2" };
  const struct ecr_lc_image im[] = {
    { "sha256:aa", ta, 2, 1000, 0 },
    { "sha256:bb", tb, 2, 2000, 0 },
    { "sha256:cc", NULL, 0, 500, 0 },
  };
  struct ecr_lc_result r;
  assert_int_equal(ecr_lifecycle_evaluate(p, im, 3, 5000, &r, NULL), 0);
  json_t *j = ecr_lifecycle_preview_json(&r, im);
  char *s = json_dumps(j, JSON_COMPACT);
  assert_string_equal(s, "[{\"imageDigest\":\"sha256:aa\",\"imageTags\":"
                      "[\"beta-1\",\"prod-1\"],\"imagePushedAt\":1000,"
                      "\"action\":{\"type\":\"EXPIRE\"},"
                      "\"appliedRulePriority\":1}]");
  free(s);
  json_decref(j);
  ecr_lc_result_free(&r);
  ecr_lifecycle_free(p);
}

/* Example B: every prefix of the list must be matched by some tag. */
static void aws_multiple_tags_example_b(void **state)
{
  (void) state;
  const struct img im[] = {
    { "A", { "alpha-1", "beta-1", "gamma-1", NULL }, DAYS(10), 0 },
    { "B", { "alpha-2", "beta-2", NULL }, DAYS(9), 0 },
    { "C", { "alpha-3", "beta-3", "gamma-3", NULL }, DAYS(8), 0 },
  };
  const char *two =
      "{ \"rules\": [ { \"rulePriority\": 1, \"description\": \"Rule 1\", "
      "\"selection\": { \"tagStatus\": \"tagged\", \"tagPrefixList\": "
      "[\"alpha\", \"beta\"], \"countType\": \"imageCountMoreThan\", "
      "\"countNumber\": 1 }, \"action\": { \"type\": \"expire\" } } ] }";
  run(two, im, 3, "A,B", "1,1,0");
  const char *three =
      "{ \"rules\": [ { \"rulePriority\": 1, \"description\": \"Rule 1\", "
      "\"selection\": { \"tagStatus\": \"tagged\", \"tagPatternList\": "
      "[\"alpha*\", \"beta*\", \"gamma*\"], \"countType\": "
      "\"imageCountMoreThan\", \"countNumber\": 1 }, \"action\": { \"type\": "
      "\"expire\" } } ] }";
  run(three, im, 3, "A", "1,0,0");
}

/* A common real policy: protect releases, cap everything else. The
 * releases rule selects every v*.* image without expiring any (9999), so
 * no later rule may expire them; they still count among the 'any' rule's
 * 2 newest images, as the guide's "identify them as if they haven't been
 * expired" says. */
static void protect_then_cap(void **state)
{
  (void) state;
  const char *policy =
      "{\"rules\":[{\"rulePriority\":10,\"description\":\"keep releases\","
      "\"selection\":{\"tagStatus\":\"tagged\",\"tagPatternList\":[\"v*.*\"],"
      "\"countType\":\"imageCountMoreThan\",\"countNumber\":9999},"
      "\"action\":{\"type\":\"expire\"}},"
      "{\"rulePriority\":20,\"selection\":{\"tagStatus\":\"untagged\","
      "\"countType\":\"sinceImagePushed\",\"countUnit\":\"days\","
      "\"countNumber\":1},\"action\":{\"type\":\"expire\"}},"
      "{\"rulePriority\":30,\"selection\":{\"tagStatus\":\"any\","
      "\"countType\":\"imageCountMoreThan\",\"countNumber\":2},"
      "\"action\":{\"type\":\"expire\"}}]}";
  const struct img im[] = {
    { "r1", { "v1.0", NULL }, DAYS(50), 0 },
    { "u1", { NULL }, DAYS(3), 0 },
    { "d1", { "dev", NULL }, DAYS(5), 0 },
    { "d2", { "dev2", NULL }, DAYS(4), 0 },
    { "r2", { "v1.1", "latest" }, DAYS(1), 0 },
    { "d3", { "feature", NULL }, DAYS(0), 0 },
  };
  /* any: newest first d3, r2, u1, d2, d1, r1; keeps d3 and r2; marks u1
   * (rule 20's), d2, d1, r1 (rule 10's): expires d2 and d1. */
  run(policy, im, 6, "u1,d1,d2", "0,20,30,30,0,0");
}

static void since_pulled_and_ties(void **state)
{
  (void) state;
  const char *policy =
      "{\"rules\":[{\"rulePriority\":1,\"selection\":{\"tagStatus\":\"any\","
      "\"countType\":\"sinceImagePulled\",\"countUnit\":\"days\","
      "\"countNumber\":7},\"action\":{\"type\":\"expire\"}}]}";
  const struct img im[] = {
    { "old-pulled-recently", { "a", NULL }, DAYS(30), DAYS(1) },
    { "old-pulled-long-ago", { "b", NULL }, DAYS(30), DAYS(8) },
    { "old-never-pulled", { NULL }, DAYS(8), 0 },
    { "new-never-pulled", { NULL }, DAYS(6), 0 },
  };
  run(policy, im, 4, "old-pulled-long-ago,old-never-pulled", "0,1,1,0");
  /* Same push time: the digest orders them, whatever the input order. */
  const struct img tie[] = {
    { "sha256:bb", { NULL }, DAYS(1), 0 },
    { "sha256:aa", { NULL }, DAYS(1), 0 },
  };
  run(aws_count_untagged, tie, 2, "sha256:bb", "1,0");
  const struct img tie2[] = {
    { "sha256:aa", { NULL }, DAYS(1), 0 },
    { "sha256:bb", { NULL }, DAYS(1), 0 },
  };
  run(aws_count_untagged, tie2, 2, "sha256:bb", "0,1");
}

static void tag_patterns(void **state)
{
  (void) state;
  assert_true(ecr_lc_tag_match("prod*", "prod"));
  assert_true(ecr_lc_tag_match("prod*", "prod-1"));
  assert_true(ecr_lc_tag_match("*test*1*2*3", "mytest-1-2-3"));
  assert_true(ecr_lc_tag_match("*", "x"));
  assert_true(ecr_lc_tag_match("v*.*", "v1.2"));
  assert_false(ecr_lc_tag_match("v*.*", "v12"));
  assert_false(ecr_lc_tag_match("prod*", "Prod-1"));
  assert_false(ecr_lc_tag_match("prod", "prod-1"));
  assert_false(ecr_lc_tag_match("*prod", "prod-1"));
}

static void expect_invalid(const char *doc, const char *want)
{
  struct wh_error *err = NULL;
  struct ecr_lifecycle *p = ecr_lifecycle_parse(doc, strlen(doc), &err);
  if (p)
    fail_msg("accepted: %s", doc);
  if (!strstr(err->msg, want))
    fail_msg("message '%s' lacks '%s'", err->msg, want);
  wh_error_free(err);
}

#define RULE(prio, sel) "{\"rulePriority\":" #prio ",\"selection\":{" sel \
  "},\"action\":{\"type\":\"expire\"}}"
#define UNTAGGED_14 "\"tagStatus\":\"untagged\",\"countType\":" \
  "\"sinceImagePushed\",\"countUnit\":\"days\",\"countNumber\":14"
#define ONE(r) "{\"rules\":[" r "]}"

static void errors_name_rule_and_field(void **state)
{
  (void) state;
  expect_invalid("{", "lifecycle policy:");
  expect_invalid("{\"rules\":[]}", "rules: expected 1 to 100");
  expect_invalid("{\"rule\":[]}", "rule: unknown field");
  expect_invalid("{\"rules\":[{\"selection\":{}}]}",
                 "rules[0].rulePriority: required");
  expect_invalid(ONE("{\"rulePriority\":0}"), "rules[0].rulePriority: "
                 "expected a positive integer");
  expect_invalid(ONE("{\"rulePriority\":1.5}"), "rules[0].rulePriority");
  expect_invalid(ONE(RULE(3, "\"tagStatus\":\"old\",\"countType\":"
                         "\"imageCountMoreThan\",\"countNumber\":1")),
                 "rules[0] (rulePriority 3).selection.tagStatus: expected "
                 "tagged, untagged or any");
  expect_invalid(ONE(RULE(1, "\"tagStatus\":\"tagged\",\"countType\":"
                         "\"imageCountMoreThan\",\"countNumber\":1")),
                 "tagStatus tagged needs tagPrefixList or tagPatternList");
  expect_invalid(ONE(RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":"
                         "[\"a\"],\"tagPatternList\":[\"a*\"],\"countType\":"
                         "\"imageCountMoreThan\",\"countNumber\":1")),
                 "cannot be used together");
  expect_invalid(ONE(RULE(1, "\"tagStatus\":\"untagged\",\"tagPrefixList\":"
                         "[\"a\"],\"countType\":\"imageCountMoreThan\","
                         "\"countNumber\":1")),
                 "selection.tagPrefixList: only allowed with tagStatus "
                 "tagged");
  expect_invalid(ONE(RULE(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":"
                         "[\"test*1*2*3*4*5*6\"],\"countType\":"
                         "\"imageCountMoreThan\",\"countNumber\":1")),
                 "tagPatternList[0]: 'test*1*2*3*4*5*6' has 6 wildcards, at "
                 "most 4");
  expect_invalid(ONE(RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":"
                         "[\"a*\"],\"countType\":\"imageCountMoreThan\","
                         "\"countNumber\":1")), "no tag can hold");
  expect_invalid(ONE(RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":"
                         "[],\"countType\":\"imageCountMoreThan\","
                         "\"countNumber\":1")), "tagPrefixList: expected a "
                 "list of 1 to 100");
  expect_invalid(ONE(RULE(1, "\"tagStatus\":\"any\",\"countType\":"
                         "\"imageCountMoreThan\",\"countUnit\":\"days\","
                         "\"countNumber\":1")),
                 "rules[0] (rulePriority 1).selection.countUnit: only "
                 "allowed with sinceImagePushed or sinceImagePulled");
  expect_invalid(ONE(RULE(1, "\"tagStatus\":\"any\",\"countType\":"
                         "\"sinceImagePushed\",\"countNumber\":1")),
                 "selection.countUnit: required with sinceImagePushed");
  expect_invalid(ONE(RULE(1, "\"tagStatus\":\"any\",\"countType\":"
                         "\"sinceImagePushed\",\"countUnit\":\"hours\","
                         "\"countNumber\":1")), "expected days");
  expect_invalid(ONE(RULE(1, "\"tagStatus\":\"any\",\"countType\":"
                         "\"imageCountMoreThan\",\"countNumber\":0")),
                 "selection.countNumber: expected an integer from 1");
  expect_invalid(ONE(RULE(1, "\"tagStatus\":\"any\",\"countType\":"
                         "\"imageCountMoreThan\"")),
                 "selection.countNumber: required");
  expect_invalid(ONE(RULE(1, "\"tagStatus\":\"any\",\"countType\":"
                         "\"sinceImageTransitioned\",\"countNumber\":1")),
                 "selection.countType: expected imageCountMoreThan");
  expect_invalid(ONE(RULE(1, "\"tagStatus\":\"any\",\"countType\":"
                         "\"imageCountMoreThan\",\"countNumber\":1,"
                         "\"tagStatuss\":1")),
                 "selection.tagStatuss: unknown field");
  expect_invalid(ONE("{\"rulePriority\":1,\"selection\":{" UNTAGGED_14
                     "},\"action\":{\"type\":\"delete\"}}"),
                 "rules[0] (rulePriority 1).action.type: expected expire");
  expect_invalid(ONE("{\"rulePriority\":1,\"selection\":{" UNTAGGED_14 "}}"),
                 "rules[0] (rulePriority 1).action: required");
  expect_invalid("{\"rules\":[" RULE(2, UNTAGGED_14) ","
                 RULE(2, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"x\"],"
                      "\"countType\":\"imageCountMoreThan\","
                      "\"countNumber\":1") "]}",
                 "rules[1].rulePriority: 2 is used by rules[0] too");
  expect_invalid("{\"rules\":[" RULE(1, UNTAGGED_14) "," RULE(2, UNTAGGED_14)
                 "]}", "rules[1] (rulePriority 2).selection.tagStatus: only "
                 "one rule may select untagged images");
  expect_invalid("{\"rules\":[" RULE(5, "\"tagStatus\":\"any\",\"countType\":"
                 "\"imageCountMoreThan\",\"countNumber\":1") ","
                 RULE(9, UNTAGGED_14) "]}",
                 "rules[0] (rulePriority 5): a rule with tagStatus any must "
                 "have the highest rulePriority");
  expect_invalid("{\"rules\":["
                 RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"a\","
                      "\"b\"],\"countType\":\"imageCountMoreThan\","
                      "\"countNumber\":1") ","
                 RULE(2, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"b\","
                      "\"a\"],\"countType\":\"imageCountMoreThan\","
                      "\"countNumber\":5") "]}",
                 "same tag list as rules[0]");
}

/* 100,000 images through a three-rule policy: checks the result's shape
 * and counts (timing is bench/'s business, not a test's). */
static void hundred_thousand_images(void **state)
{
  (void) state;
  enum { N = 100000 };
  const char *policy =
      "{\"rules\":[{\"rulePriority\":1,\"selection\":{\"tagStatus\":"
      "\"tagged\",\"tagPatternList\":[\"release-*\"],\"countType\":"
      "\"imageCountMoreThan\",\"countNumber\":100},\"action\":{\"type\":"
      "\"expire\"}},{\"rulePriority\":2,\"selection\":{\"tagStatus\":"
      "\"untagged\",\"countType\":\"sinceImagePushed\",\"countUnit\":"
      "\"days\",\"countNumber\":30},\"action\":{\"type\":\"expire\"}},"
      "{\"rulePriority\":3,\"selection\":{\"tagStatus\":\"any\","
      "\"countType\":\"imageCountMoreThan\",\"countNumber\":5000},"
      "\"action\":{\"type\":\"expire\"}}]}";
  struct ecr_lifecycle *p = parse(policy);
  struct ecr_lc_image *im = calloc(N, sizeof(*im));
  char (*digests)[24] = calloc(N, 24);
  char (*tagbuf)[24] = calloc(N, 24);
  const char **tagp = calloc(N, sizeof(char *));
  /* Image i is pushed i minutes after the epoch of the test: i % 3 == 0
   * release-i, i % 3 == 1 untagged, i % 3 == 2 dev-i. */
  for (size_t i = 0; i < N; i++) {
    snprintf(digests[i], 24, "sha256:%016zx", i);
    im[i].digest = digests[i];
    im[i].pushed_at = NOW - (int64_t) (N - i) * 60;
    if (i % 3 == 1)
      continue;
    snprintf(tagbuf[i], 24, "%s-%zu", i % 3 ? "dev" : "release", i);
    tagp[i] = tagbuf[i];
    im[i].tags = &tagp[i];
    im[i].n_tags = 1;
  }
  struct ecr_lc_result r;
  assert_int_equal(ecr_lifecycle_evaluate(p, im, N, NOW, &r, NULL), 0);
  size_t releases = (N + 2) / 3;
  assert_int_equal(r.rules[0].n, releases - 100);
  /* Untagged images older than 30 days: pushed more than 43200 minutes
   * before NOW, i.e. i < N - 43200. */
  size_t old_untagged = 0;
  for (size_t i = 1; i < N - 43200; i += 3)
    old_untagged++;
  assert_int_equal(r.rules[1].n, old_untagged);
  /* 'any' keeps the 5000 newest of all images and may only expire dev
   * images, which no earlier rule selected. */
  size_t dev_beyond = 0;
  for (size_t i = 2; i < N - 5000; i += 3)
    dev_beyond++;
  assert_int_equal(r.rules[2].n, dev_beyond);
  assert_int_equal(r.n_expired, r.rules[0].n + r.rules[1].n + r.rules[2].n);
  ecr_lc_result_free(&r);
  ecr_lifecycle_free(p);
  free(im);
  free(digests);
  free(tagbuf);
  free(tagp);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(aws_filtering_on_age_and_count),
    cmocka_unit_test(aws_multiple_rules_example_a),
    cmocka_unit_test(preview_json),
    cmocka_unit_test(aws_multiple_tags_example_b),
    cmocka_unit_test(protect_then_cap),
    cmocka_unit_test(since_pulled_and_ties),
    cmocka_unit_test(tag_patterns),
    cmocka_unit_test(errors_name_rule_and_field),
    cmocka_unit_test(hundred_thousand_images),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
