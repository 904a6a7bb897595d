/* ecr_lifecycle.c: lifecycle policy documents and their evaluation (see
 * ecr_lifecycle.h and docs/ecr.md for the semantics). */
#include "registry/ecr_lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "registry/ecr_glob.h"

#define DAY_S 86400

static void rule_clear(struct ecr_lc_rule *r)
{
  free(r->description);
  wh_strvfreep(&r->tag_prefixes);
  wh_strvfreep(&r->tag_patterns);
}

void ecr_lifecycle_free(struct ecr_lifecycle *p)
{
  if (!p)
    return;
  for (size_t i = 0; i < p->n_rules; i++)
    rule_clear(&p->rules[i]);
  free(p->rules);
  free(p);
}

bool ecr_lc_tag_match(const char *pattern, const char *tag)
{
  return ecr_glob_match(pattern, tag, false, false);
}

static bool is_tag_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* A tagPrefixList or tagPatternList: non-empty strings of tag characters
 * (and '*' in patterns, at most four). */
static int parse_tag_list(json_t *sel, const char *key, const char *path,
                          bool pattern, char ***out, size_t *n_out,
                          struct wh_error **err)
{
  json_t *arr = json_object_get(sel, key);
  if (!arr)
    return 0;
  if (!json_is_array(arr) || json_array_size(arr) == 0 ||
      json_array_size(arr) > ECR_LC_MAX_TAGS_PER_LIST)
    return wh_error_set(err, WH_ERR_INVALID, "%s.selection.%s: expected a "
                        "list of 1 to %d strings", path, key,
                        ECR_LC_MAX_TAGS_PER_LIST);
  size_t n = json_array_size(arr);
  char **v = calloc(n + 1, sizeof(char *));
  if (!v)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  *out = v;
  for (size_t i = 0; i < n; i++) {
    json_t *e = json_array_get(arr, i);
    const char *s = json_string_value(e);
    if (!s || !*s || strlen(s) > 128)
      return wh_error_set(err, WH_ERR_INVALID, "%s.selection.%s[%zu]: "
                          "expected a non-empty string of at most 128 "
                          "characters", path, key, i);
    int stars = 0;
    for (const char *c = s; *c; c++) {
      if (pattern && *c == '*')
        stars++;
      else if (!is_tag_char(*c))
        return wh_error_set(err, WH_ERR_INVALID, "%s.selection.%s[%zu]: "
                            "'%s' has a character that no tag can hold",
                            path, key, i, s);
    }
    if (stars > ECR_LC_MAX_WILDCARDS)
      return wh_error_set(err, WH_ERR_INVALID, "%s.selection.%s[%zu]: '%s' "
                          "has %d wildcards, at most %d are allowed", path,
                          key, i, s, stars, ECR_LC_MAX_WILDCARDS);
    if (!(v[i] = strdup(s)))
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    *n_out = i + 1;
  }
  return 0;
}

static int check_keys(json_t *o, const char *const *allowed,
                      const char *path, struct wh_error **err)
{
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    bool ok = false;
    for (const char *const *a = allowed; *a && !ok; a++)
      ok = strcmp(k, *a) == 0;
    if (!ok)
      return wh_error_set(err, WH_ERR_INVALID, "%s.%.40s: unknown field",
                          path, k);
  }
  return 0;
}

static int parse_selection(struct ecr_lc_rule *r, json_t *sel,
                           const char *path, struct wh_error **err)
{
  static const char *const keys[] = {
    "tagStatus", "tagPatternList", "tagPrefixList", "countType",
    "countUnit", "countNumber", "storageClass", NULL,
  };
  char f[160];
  snprintf(f, sizeof(f), "%s.selection", path);
  if (check_keys(sel, keys, f, err) < 0)
    return -1;
  const char *status = NULL, *type = NULL, *unit = NULL, *storage = NULL;
  snprintf(f, sizeof(f), "%s.selection.tagStatus", path);
  if (wh_json_get_string(sel, "tagStatus", f, true, &status, err) < 0)
    return -1;
  if (strcmp(status, "tagged") == 0)
    r->tag_status = ECR_LC_TAGGED;
  else if (strcmp(status, "untagged") == 0)
    r->tag_status = ECR_LC_UNTAGGED;
  else if (strcmp(status, "any") == 0)
    r->tag_status = ECR_LC_ANY;
  else
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected tagged, untagged "
                        "or any, not '%.20s'", f, status);
  if (parse_tag_list(sel, "tagPrefixList", path, false, &r->tag_prefixes,
                     &r->n_prefixes, err) < 0 ||
      parse_tag_list(sel, "tagPatternList", path, true, &r->tag_patterns,
                     &r->n_patterns, err) < 0)
    return -1;
  if (r->tag_status == ECR_LC_TAGGED && !r->tag_prefixes && !r->tag_patterns)
    return wh_error_set(err, WH_ERR_INVALID, "%s.selection: tagStatus "
                        "tagged needs tagPrefixList or tagPatternList", path);
  if (r->tag_prefixes && r->tag_patterns)
    return wh_error_set(err, WH_ERR_INVALID, "%s.selection: tagPrefixList "
                        "and tagPatternList cannot be used together", path);
  if (r->tag_status != ECR_LC_TAGGED && (r->tag_prefixes || r->tag_patterns))
    return wh_error_set(err, WH_ERR_INVALID, "%s.selection.%s: only allowed "
                        "with tagStatus tagged", path,
                        r->tag_prefixes ? "tagPrefixList" : "tagPatternList");
  snprintf(f, sizeof(f), "%s.selection.countType", path);
  if (wh_json_get_string(sel, "countType", f, true, &type, err) < 0)
    return -1;
  if (strcmp(type, "imageCountMoreThan") == 0)
    r->count_type = ECR_LC_COUNT_MORE_THAN;
  else if (strcmp(type, "sinceImagePushed") == 0)
    r->count_type = ECR_LC_SINCE_PUSHED;
  else if (strcmp(type, "sinceImagePulled") == 0)
    r->count_type = ECR_LC_SINCE_PULLED;
  else
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected "
                        "imageCountMoreThan, sinceImagePushed or "
                        "sinceImagePulled, not '%.30s'", f, type);
  snprintf(f, sizeof(f), "%s.selection.countUnit", path);
  if (wh_json_get_string(sel, "countUnit", f, false, &unit, err) < 0)
    return -1;
  if (r->count_type == ECR_LC_COUNT_MORE_THAN && unit)
    return wh_error_set(err, WH_ERR_INVALID, "%s: only allowed with "
                        "sinceImagePushed or sinceImagePulled", f);
  if (r->count_type != ECR_LC_COUNT_MORE_THAN && !unit)
    return wh_error_set(err, WH_ERR_INVALID, "%s: required with %s", f, type);
  if (unit && strcmp(unit, "days") != 0)
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected days, not "
                        "'%.20s'", f, unit);
  snprintf(f, sizeof(f), "%s.selection.countNumber", path);
  if (wh_json_get_int(sel, "countNumber", f, true, &r->count_number,
                      err) < 0)
    return -1;
  /* Bounded so that days * 86400 cannot overflow. */
  if (r->count_number < 1 || r->count_number > 1000000000)
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected an integer from "
                        "1 to 1000000000", f);
  snprintf(f, sizeof(f), "%s.selection.storageClass", path);
  if (wh_json_get_string(sel, "storageClass", f, false, &storage, err) < 0)
    return -1;
  if (storage && strcmp(storage, "standard") != 0)
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "%s: only standard is "
                        "supported", f);
  return 0;
}

static int parse_rule(struct ecr_lc_rule *r, json_t *o, size_t idx,
                      struct wh_error **err)
{
  char path[64], f[96];
  snprintf(path, sizeof(path), "rules[%zu]", idx);
  if (!json_is_object(o))
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected an object", path);
  snprintf(f, sizeof(f), "%s.rulePriority", path);
  if (wh_json_get_int(o, "rulePriority", f, true, &r->priority, err) < 0)
    return -1;
  if (r->priority < 1 || r->priority > INT32_MAX)
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected a positive "
                        "integer", f);
  snprintf(path, sizeof(path), "rules[%zu] (rulePriority %lld)", idx,
           (long long) r->priority);
  static const char *const keys[] = {
    "rulePriority", "description", "selection", "action", NULL,
  };
  if (check_keys(o, keys, path, err) < 0)
    return -1;
  const char *desc = NULL, *type = NULL;
  snprintf(f, sizeof(f), "%s.description", path);
  if (wh_json_get_string(o, "description", f, false, &desc, err) < 0)
    return -1;
  if (desc && !(r->description = strdup(desc)))
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  json_t *sel = NULL, *action = NULL;
  snprintf(f, sizeof(f), "%s.selection", path);
  if (wh_json_get_object(o, "selection", f, true, &sel, err) < 0 ||
      !json_is_object(sel))
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected an object", f);
  if (parse_selection(r, sel, path, err) < 0)
    return -1;
  snprintf(f, sizeof(f), "%s.action", path);
  if (wh_json_get_object(o, "action", f, true, &action, err) < 0 ||
      !json_is_object(action))
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected an object", f);
  static const char *const akeys[] = { "type", NULL };
  if (check_keys(action, akeys, f, err) < 0)
    return -1;
  snprintf(f, sizeof(f), "%s.action.type", path);
  if (wh_json_get_string(action, "type", f, true, &type, err) < 0)
    return -1;
  if (strcmp(type, "expire") != 0)
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected expire, not "
                        "'%.20s'", f, type);
  return 0;
}

static bool same_set(char **a, size_t na, char **b, size_t nb)
{
  if (!a || !b)
    return false;
  for (size_t i = 0; i < na; i++) {
    bool found = false;
    for (size_t j = 0; j < nb && !found; j++)
      found = strcmp(a[i], b[j]) == 0;
    if (!found)
      return false;
  }
  for (size_t j = 0; j < nb; j++) {
    bool found = false;
    for (size_t i = 0; i < na && !found; i++)
      found = strcmp(a[i], b[j]) == 0;
    if (!found)
      return false;
  }
  return true;
}

/* Checks across rules, on the rules in document order. */
static int check_rules(const struct ecr_lc_rule *r, size_t n,
                       struct wh_error **err)
{
  int64_t max = 0;
  for (size_t i = 0; i < n; i++)
    if (r[i].priority > max)
      max = r[i].priority;
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < i; j++) {
      if (r[i].priority == r[j].priority)
        return wh_error_set(err, WH_ERR_INVALID, "rules[%zu].rulePriority: "
                            "%lld is used by rules[%zu] too", i,
                            (long long) r[i].priority, j);
      if (r[i].tag_status == ECR_LC_UNTAGGED &&
          r[j].tag_status == ECR_LC_UNTAGGED)
        return wh_error_set(err, WH_ERR_INVALID, "rules[%zu] (rulePriority "
                            "%lld).selection.tagStatus: only one rule may "
                            "select untagged images (rules[%zu] does)", i,
                            (long long) r[i].priority, j);
      if (same_set(r[i].tag_prefixes, r[i].n_prefixes, r[j].tag_prefixes,
                   r[j].n_prefixes) ||
          same_set(r[i].tag_patterns, r[i].n_patterns, r[j].tag_patterns,
                   r[j].n_patterns))
        return wh_error_set(err, WH_ERR_INVALID, "rules[%zu] (rulePriority "
                            "%lld).selection: same tag list as rules[%zu]",
                            i, (long long) r[i].priority, j);
    }
    if (r[i].tag_status == ECR_LC_ANY && r[i].priority != max)
      return wh_error_set(err, WH_ERR_INVALID, "rules[%zu] (rulePriority "
                          "%lld): a rule with tagStatus any must have the "
                          "highest rulePriority (%lld is higher)", i,
                          (long long) r[i].priority, (long long) max);
  }
  return 0;
}

static int rule_cmp(const void *a, const void *b)
{
  const struct ecr_lc_rule *x = a, *y = b;
  return (x->priority > y->priority) - (x->priority < y->priority);
}

struct ecr_lifecycle *ecr_lifecycle_parse(const char *json, size_t len,
                                          struct wh_error **err)
{
  if (len > ECR_LC_MAX_BYTES)
    return wh_error_set(err, WH_ERR_INVALID, "lifecycle policy: longer than "
                        "%d bytes", ECR_LC_MAX_BYTES), NULL;
  _cleanup_json_ json_t *doc = wh_json_parse(json, len, "lifecycle policy",
                                             err);
  if (!doc)
    return NULL;
  if (!json_is_object(doc))
    return wh_error_set(err, WH_ERR_INVALID, "lifecycle policy: expected a "
                        "JSON object"), NULL;
  static const char *const keys[] = { "rules", NULL };
  if (check_keys(doc, keys, "lifecycle policy", err) < 0)
    return NULL;
  json_t *rules = NULL;
  if (wh_json_get_array(doc, "rules", "rules", true, &rules, err) < 0)
    return NULL;
  size_t n = json_array_size(rules);
  if (n == 0 || n > ECR_LC_MAX_RULES)
    return wh_error_set(err, WH_ERR_INVALID, "rules: expected 1 to %d rules",
                        ECR_LC_MAX_RULES), NULL;
  struct ecr_lifecycle *p = calloc(1, sizeof(*p));
  if (p)
    p->rules = calloc(n, sizeof(*p->rules));
  if (!p || !p->rules) {
    free(p);
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  }
  p->n_rules = n;
  for (size_t i = 0; i < n; i++) {
    if (parse_rule(&p->rules[i], json_array_get(rules, i), i, err) < 0) {
      ecr_lifecycle_free(p);
      return NULL;
    }
  }
  if (check_rules(p->rules, n, err) < 0) {
    ecr_lifecycle_free(p);
    return NULL;
  }
  qsort(p->rules, n, sizeof(*p->rules), rule_cmp);
  return p;
}

void ecr_lc_result_free(struct ecr_lc_result *r)
{
  if (!r)
    return;
  free(r->applied);
  for (size_t i = 0; i < r->n_rules; i++)
    free(r->rules[i].images);
  free(r->rules);
  free(r->expired);
  memset(r, 0, sizeof(*r));
}

static bool selects(const struct ecr_lc_rule *r, const struct ecr_lc_image *im)
{
  switch (r->tag_status) {
  case ECR_LC_ANY:
    return true;
  case ECR_LC_UNTAGGED:
    return im->n_tags == 0;
  case ECR_LC_TAGGED:
    break;
  }
  if (im->n_tags == 0)
    return false;
  /* Every prefix (pattern) of the list must be matched by some tag. */
  for (size_t i = 0; i < r->n_prefixes; i++) {
    size_t plen = strlen(r->tag_prefixes[i]);
    bool hit = false;
    for (size_t t = 0; t < im->n_tags && !hit; t++)
      hit = strncmp(im->tags[t], r->tag_prefixes[i], plen) == 0;
    if (!hit)
      return false;
  }
  for (size_t i = 0; i < r->n_patterns; i++) {
    bool hit = false;
    for (size_t t = 0; t < im->n_tags && !hit; t++)
      hit = ecr_lc_tag_match(r->tag_patterns[i], im->tags[t]);
    if (!hit)
      return false;
  }
  return true;
}

/* Newest first by push time; ties broken by digest, then input order, so
 * the result never depends on how the caller listed the images. */
static int newest_first(const void *a, const void *b, void *ctx)
{
  const struct ecr_lc_image *im = ctx;
  size_t x = *(const size_t *) a, y = *(const size_t *) b;
  if (im[x].pushed_at != im[y].pushed_at)
    return im[x].pushed_at > im[y].pushed_at ? -1 : 1;
  int c = strcmp(im[x].digest ? im[x].digest : "",
                 im[y].digest ? im[y].digest : "");
  if (c)
    return c;
  return (x > y) - (x < y);
}

static int oldest_first(const void *a, const void *b, void *ctx)
{
  return -newest_first(a, b, ctx);
}

int ecr_lifecycle_evaluate(const struct ecr_lifecycle *p,
                           const struct ecr_lc_image *images, size_t n,
                           int64_t now, struct ecr_lc_result *out,
                           struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  _cleanup_free_ bool *claimed = calloc(n ? n : 1, sizeof(bool));
  _cleanup_free_ size_t *sel = calloc(n ? n : 1, sizeof(size_t));
  out->applied = calloc(n ? n : 1, sizeof(int64_t));
  out->rules = calloc(p->n_rules ? p->n_rules : 1, sizeof(*out->rules));
  out->expired = calloc(n ? n : 1, sizeof(size_t));
  if (!claimed || !sel || !out->applied || !out->rules || !out->expired) {
    ecr_lc_result_free(out);
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  out->n_images = n;
  out->n_rules = p->n_rules;
  for (size_t ri = 0; ri < p->n_rules; ri++) {
    const struct ecr_lc_rule *r = &p->rules[ri];
    struct ecr_lc_rule_result *rr = &out->rules[ri];
    rr->priority = r->priority;
    size_t ns = 0;
    for (size_t i = 0; i < n; i++)
      if (selects(r, &images[i]))
        sel[ns++] = i;
    rr->images = malloc((ns ? ns : 1) * sizeof(size_t));
    if (!rr->images) {
      ecr_lc_result_free(out);
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    }
    /* Marks: beyond the N newest, or older than N days. Marks on images
     * an earlier rule selected are dropped here (they still counted). */
    size_t first = 0;
    if (r->count_type == ECR_LC_COUNT_MORE_THAN) {
      qsort_r(sel, ns, sizeof(size_t), newest_first, (void *) images);
      first = (size_t) r->count_number < ns ? (size_t) r->count_number : ns;
    }
    int64_t limit = now - r->count_number * DAY_S;
    for (size_t k = first; k < ns; k++) {
      const struct ecr_lc_image *im = &images[sel[k]];
      if (r->count_type == ECR_LC_SINCE_PUSHED && im->pushed_at >= limit)
        continue;
      if (r->count_type == ECR_LC_SINCE_PULLED &&
          (im->last_pulled_at ? im->last_pulled_at : im->pushed_at) >= limit)
        continue;
      if (claimed[sel[k]])
        continue;
      out->applied[sel[k]] = r->priority;
      rr->images[rr->n++] = sel[k];
    }
    qsort_r(rr->images, rr->n, sizeof(size_t), oldest_first, (void *) images);
    for (size_t k = 0; k < ns; k++)
      claimed[sel[k]] = true;
  }
  for (size_t i = 0; i < n; i++)
    if (out->applied[i])
      out->expired[out->n_expired++] = i;
  return 0;
}

json_t *ecr_lifecycle_preview_json(const struct ecr_lc_result *r,
                                   const struct ecr_lc_image *images)
{
  json_t *arr = json_array();
  for (size_t k = 0; arr && k < r->n_rules; k++) {
    for (size_t j = 0; j < r->rules[k].n; j++) {
      const struct ecr_lc_image *im = &images[r->rules[k].images[j]];
      json_t *o = json_pack("{s:s}", "imageDigest",
                            im->digest ? im->digest : "");
      json_t *tags = im->n_tags ? json_array() : NULL;
      for (size_t t = 0; tags && t < im->n_tags; t++)
        json_array_append_new(tags, json_string(im->tags[t]));
      if (!o || (im->n_tags && !tags) ||
          (tags && json_object_set_new(o, "imageTags", tags) < 0) ||
          json_object_set_new(o, "imagePushedAt",
                              json_integer(im->pushed_at)) < 0 ||
          json_object_set_new(o, "action",
                              json_pack("{s:s}", "type", "EXPIRE")) < 0 ||
          json_object_set_new(o, "appliedRulePriority",
                              json_integer(r->rules[k].priority)) < 0 ||
          json_array_append_new(arr, o) < 0) {
        json_decref(o);
        json_decref(arr);
        return NULL;
      }
    }
  }
  return arr;
}
