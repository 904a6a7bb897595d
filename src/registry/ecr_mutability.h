/* ecr_mutability.h: tag immutability settings, ECR's way.
 *
 * A repository is MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION (immutable
 * except tags matching a filter: "dev-*" stays overwritable) or
 * MUTABLE_WITH_EXCLUSION (mutable except tags matching a filter: "v*"
 * stays fixed). Filters are {"filterType": "WILDCARD", "filter": "dev-*"}
 * with ECR's constraints (1 to 128 of [0-9a-zA-Z._*-]), 1 to 5 of them,
 * given only with the *_WITH_EXCLUSION settings. CreateRepository and
 * PutImageTagMutability carry them in imageTagMutability and
 * imageTagMutabilityExclusionFilters; the push paths of both APIs ask
 * ecr_tag_immutable() before moving a tag. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct wh_error;

#define ECR_MUTABILITY_MAX_FILTERS 5

enum ecr_tag_mutability {
  ECR_MUTABLE = 0,
  ECR_IMMUTABLE,
  ECR_IMMUTABLE_WITH_EXCLUSION,
  ECR_MUTABLE_WITH_EXCLUSION,
};

struct ecr_mutability {
  enum ecr_tag_mutability mode;
  char **filters;          /* NULL-terminated wildcard patterns, or NULL */
  size_t n_filters;
};

/* ECR's spelling of mode ("IMMUTABLE_WITH_EXCLUSION"). */
const char *ecr_mutability_name(enum ecr_tag_mutability mode);

/* Read imageTagMutability (absent → MUTABLE, ECR's default) and
 * imageTagMutabilityExclusionFilters from a request object. Errors are
 * WH_ERR_INVALID naming the field, in the words of ECR's
 * InvalidParameterException. out is empty on error. */
int ecr_mutability_parse(const json_t *request, struct ecr_mutability *out,
                         struct wh_error **err);
void ecr_mutability_clear(struct ecr_mutability *m);

/* The settings as ECR returns them in a repository description: adds
 * imageTagMutability and, when there are filters,
 * imageTagMutabilityExclusionFilters to obj. 0, or -1 on ENOMEM. */
int ecr_mutability_to_json(const struct ecr_mutability *m, json_t *obj);

/* May an existing `tag` be moved to another image? */
bool ecr_tag_immutable(const struct ecr_mutability *m, const char *tag);
