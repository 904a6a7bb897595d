/* ecr_mutability.c: tag immutability settings (see ecr_mutability.h). */
#include "registry/ecr_mutability.h"

#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "registry/ecr_glob.h"

static const char *const names[] = {
  [ECR_MUTABLE] = "MUTABLE",
  [ECR_IMMUTABLE] = "IMMUTABLE",
  [ECR_IMMUTABLE_WITH_EXCLUSION] = "IMMUTABLE_WITH_EXCLUSION",
  [ECR_MUTABLE_WITH_EXCLUSION] = "MUTABLE_WITH_EXCLUSION",
};

const char *ecr_mutability_name(enum ecr_tag_mutability mode)
{
  return (unsigned) mode < WH_ARRAY_SIZE(names) ? names[mode] : "MUTABLE";
}

void ecr_mutability_clear(struct ecr_mutability *m)
{
  if (!m)
    return;
  wh_strvfreep(&m->filters);
  m->n_filters = 0;
  m->mode = ECR_MUTABLE;
}

static bool filter_valid(const char *s)
{
  size_t n = strlen(s);
  if (n < 1 || n > 128)
    return false;
  for (const char *c = s; *c; c++)
    if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
          (*c >= 'A' && *c <= 'Z') || *c == '.' || *c == '_' || *c == '*' ||
          *c == '-'))
      return false;
  return true;
}

static int parse_filters(json_t *arr, struct ecr_mutability *out,
                         struct wh_error **err)
{
  const char *f = "imageTagMutabilityExclusionFilters";
  if (!json_is_array(arr) || json_array_size(arr) < 1 ||
      json_array_size(arr) > ECR_MUTABILITY_MAX_FILTERS)
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected a list of 1 to %d "
                        "filters", f, ECR_MUTABILITY_MAX_FILTERS);
  size_t n = json_array_size(arr);
  out->filters = calloc(n + 1, sizeof(char *));
  if (!out->filters)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    json_t *o = json_array_get(arr, i);
    if (!json_is_object(o))
      return wh_error_set(err, WH_ERR_INVALID, "%s[%zu]: expected an object",
                          f, i);
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
      if (strcmp(k, "filterType") != 0 && strcmp(k, "filter") != 0)
        return wh_error_set(err, WH_ERR_INVALID, "%s[%zu].%.40s: unknown "
                            "field", f, i, k);
    }
    const char *type = json_string_value(json_object_get(o, "filterType"));
    const char *pat = json_string_value(json_object_get(o, "filter"));
    if (!type || strcmp(type, "WILDCARD") != 0)
      return wh_error_set(err, WH_ERR_INVALID, "%s[%zu].filterType: expected "
                          "WILDCARD", f, i);
    if (!pat || !filter_valid(pat))
      return wh_error_set(err, WH_ERR_INVALID, "%s[%zu].filter: expected 1 "
                          "to 128 characters of [0-9a-zA-Z._*-]", f, i);
    if (!(out->filters[i] = strdup(pat)))
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    out->n_filters = i + 1;
  }
  return 0;
}

int ecr_mutability_parse(const json_t *request, struct ecr_mutability *out,
                         struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  json_t *mode = json_object_get(request, "imageTagMutability");
  json_t *filters = json_object_get(request,
                                    "imageTagMutabilityExclusionFilters");
  if (mode) {
    const char *s = json_string_value(mode);
    size_t i = 0;
    while (s && i < WH_ARRAY_SIZE(names) && strcmp(s, names[i]) != 0)
      i++;
    if (!s || i == WH_ARRAY_SIZE(names))
      return wh_error_set(err, WH_ERR_INVALID, "imageTagMutability: expected "
                          "MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION or "
                          "MUTABLE_WITH_EXCLUSION");
    out->mode = (enum ecr_tag_mutability) i;
  }
  bool needs = out->mode == ECR_IMMUTABLE_WITH_EXCLUSION ||
               out->mode == ECR_MUTABLE_WITH_EXCLUSION;
  if (!needs && filters && !json_is_null(filters))
    return wh_error_set(err, WH_ERR_INVALID, "imageTagMutabilityExclusion"
                        "Filters: only allowed with IMMUTABLE_WITH_EXCLUSION "
                        "or MUTABLE_WITH_EXCLUSION");
  if (needs && !filters)
    return wh_error_set(err, WH_ERR_INVALID, "imageTagMutabilityExclusion"
                        "Filters: required with %s", names[out->mode]);
  if (needs && parse_filters(filters, out, err) < 0) {
    ecr_mutability_clear(out);
    return -1;
  }
  return 0;
}

int ecr_mutability_to_json(const struct ecr_mutability *m, json_t *obj)
{
  if (json_object_set_new(obj, "imageTagMutability",
                          json_string(ecr_mutability_name(m->mode))) < 0)
    return -1;
  if (m->n_filters == 0)
    return 0;
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < m->n_filters; i++)
    if (json_array_append_new(arr, json_pack("{s:s, s:s}", "filterType",
                                             "WILDCARD", "filter",
                                             m->filters[i])) < 0) {
      json_decref(arr);
      return -1;
    }
  return arr ? json_object_set_new(obj, "imageTagMutabilityExclusionFilters",
                                   arr) : -1;
}

bool ecr_tag_immutable(const struct ecr_mutability *m, const char *tag)
{
  bool excluded = false;
  for (size_t i = 0; i < m->n_filters && !excluded; i++)
    excluded = ecr_glob_match(m->filters[i], tag, false, false);
  switch (m->mode) {
  case ECR_IMMUTABLE: return true;
  case ECR_IMMUTABLE_WITH_EXCLUSION: return !excluded;
  case ECR_MUTABLE_WITH_EXCLUSION: return excluded;
  default: return false;
  }
}
