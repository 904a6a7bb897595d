/* ecr_lifecycle.h: ECR lifecycle policies, parsed and evaluated.
 *
 * The document is ECR's, unchanged:
 *   {"rules": [{"rulePriority": 1, "description": "…",
 *               "selection": {"tagStatus": "tagged",
 *                             "tagPatternList": ["prod*"],
 *                             "countType": "sinceImagePushed",
 *                             "countUnit": "days", "countNumber": 14},
 *               "action": {"type": "expire"}}]}
 *
 * Evaluation (ECR's rules; docs/ecr.md explains each choice):
 *  - rules run in rulePriority order, lowest first;
 *  - a rule SELECTS images by tag status and tag list; among them it
 *    MARKS for expiry the images beyond the countNumber newest by push
 *    time (imageCountMoreThan) or older than countNumber days (since*);
 *  - an image selected by an earlier rule is never expired by a later
 *    one, but still counts in that later rule's imageCountMoreThan
 *    ("rules can still identify them as if they haven't been expired");
 *  - so an image is expired by at most one rule.
 * The module is pure: the caller passes the images and "now". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct wh_error;

#define ECR_LC_MAX_BYTES 30720       /* lifecyclePolicyText in the model */
#define ECR_LC_MAX_RULES 100
#define ECR_LC_MAX_TAGS_PER_LIST 100
#define ECR_LC_MAX_WILDCARDS 4

enum ecr_lc_tag_status { ECR_LC_TAGGED, ECR_LC_UNTAGGED, ECR_LC_ANY };
enum ecr_lc_count_type {
  ECR_LC_COUNT_MORE_THAN,       /* imageCountMoreThan */
  ECR_LC_SINCE_PUSHED,          /* sinceImagePushed */
  ECR_LC_SINCE_PULLED,          /* sinceImagePulled */
};

struct ecr_lc_rule {
  int64_t priority;
  char *description;            /* NULL if absent */
  enum ecr_lc_tag_status tag_status;
  char **tag_prefixes;          /* NULL-terminated or NULL */
  size_t n_prefixes;
  char **tag_patterns;          /* NULL-terminated or NULL */
  size_t n_patterns;
  enum ecr_lc_count_type count_type;
  int64_t count_number;         /* > 0; days for since* */
};

/* Rules sorted by priority. */
struct ecr_lifecycle {
  struct ecr_lc_rule *rules;
  size_t n_rules;
};

/* Parse and validate. Errors are WH_ERR_INVALID and name the rule and the
 * field: "rules[1] (rulePriority 2).selection.countUnit: only allowed with
 * sinceImagePushed or sinceImagePulled". */
struct ecr_lifecycle *ecr_lifecycle_parse(const char *json, size_t len,
                                          struct wh_error **err);
void ecr_lifecycle_free(struct ecr_lifecycle *p);

/* Does tag match an ECR tag pattern ('*' matches any run, the rest is
 * literal and case-sensitive, the whole tag must match)? */
bool ecr_lc_tag_match(const char *pattern, const char *tag);

struct ecr_lc_image {
  const char *digest;
  const char *const *tags;
  size_t n_tags;
  int64_t pushed_at;            /* seconds since the epoch */
  int64_t last_pulled_at;       /* 0 if never pulled */
};

struct ecr_lc_rule_result {
  int64_t priority;
  size_t *images;               /* indexes into the input, oldest first */
  size_t n;
};

struct ecr_lc_result {
  /* For each input image, the rulePriority that expires it, 0 if kept:
   * what GetLifecyclePolicyPreview reports as appliedRulePriority. */
  int64_t *applied;
  size_t n_images;
  /* The preview per rule, in rule order. */
  struct ecr_lc_rule_result *rules;
  size_t n_rules;
  /* The apply set: every expired image's index, ascending. */
  size_t *expired;
  size_t n_expired;
};

/* Evaluate p over images at time now (seconds). Fails only on ENOMEM. */
int ecr_lifecycle_evaluate(const struct ecr_lifecycle *p,
                           const struct ecr_lc_image *images, size_t n,
                           int64_t now, struct ecr_lc_result *out,
                           struct wh_error **err);
void ecr_lc_result_free(struct ecr_lc_result *r);

/* GetLifecyclePolicyPreview's previewResults for r: one
 * LifecyclePolicyPreviewResult per expired image, rule by rule, oldest
 * first: {"imageDigest", "imageTags" (when tagged), "imagePushedAt" (epoch
 * seconds, the JSON 1.1 timestamp form), "action": {"type": "EXPIRE"},
 * "appliedRulePriority"}. New reference; NULL on ENOMEM. */
json_t *ecr_lifecycle_preview_json(const struct ecr_lc_result *r,
                                   const struct ecr_lc_image *images);
