/* api_ecr.h: the ECR API (POST / with X-Amz-Target
 * AmazonEC2ContainerRegistry_V20150921.<Action>, JSON 1.1), shared by
 * api_ecr.c (wire protocol, SigV4, dispatch, errors) and the action
 * files api_ecr_repos.c, api_ecr_images.c and api_ecr_policies.c. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "registry/auth.h"

struct request;
struct registry;
struct ecr_repo;

/* One call: the parsed request, who makes it, and the reply to build. */
struct ecr_call {
  struct request *r;
  struct registry *reg;
  struct registry_auth *a;
  const char *action;      /* "CreateRepository" */
  json_t *in;              /* the request object */
  json_t *out;             /* the response object, filled by the action */
  struct auth_who who;
  char user[128];
  char region[64];
  /* error */
  const char *err_type;
  char *err_msg;
};

typedef int (*ecr_action_fn)(struct ecr_call *c);

/* Record an error (ECR's __type and message); returns -1. */
int ecr_fail(struct ecr_call *c, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* InvalidParameterException about a field. */
#define ecr_invalid(c, ...) ecr_fail(c, "InvalidParameterException", __VA_ARGS__)

/* A string field: NULL if absent (and not required); fails on a wrong
 * type or length. */
int ecr_get_str(struct ecr_call *c, const char *field, bool required, size_t min,
                size_t max, const char **out);
/* repositoryName (required, ECR's pattern) and registryId (must be ours
 * when given). */
int ecr_get_repo_name(struct ecr_call *c, const char **out);
/* The repository must exist: RepositoryNotFoundException otherwise. */
int ecr_need_repo(struct ecr_call *c, const char *name, struct ecr_repo *out);
/* May the caller do action on repo (NULL: registry-level)? Fails with
 * AccessDeniedException otherwise. */
int ecr_authorize(struct ecr_call *c, const char *repo, const char *action);

/* The ARN and URI of a repository, as ECR forms them. */
void ecr_repo_arn(struct ecr_call *c, const char *repo, char *out, size_t n);
void ecr_repo_uri(struct ecr_call *c, const char *repo, char *out, size_t n);
/* "http://host:port" of this registry, as the client reached it. */
void ecr_proxy_endpoint(struct ecr_call *c, char *out, size_t n);
/* A Repository object. */
json_t *ecr_repo_json(struct ecr_call *c, const struct ecr_repo *r);
/* Opaque pagination tokens: the key to continue after. */
char *ecr_token_make(const char *key);
char *ecr_token_read(struct ecr_call *c, const char *token);
/* maxResults in [lo, hi], dflt when absent. */
int ecr_get_max(struct ecr_call *c, int64_t lo, int64_t hi, int64_t dflt, int64_t *out);

/* Actions. */
int ecr_create_repository(struct ecr_call *c);
int ecr_describe_repositories(struct ecr_call *c);
int ecr_delete_repository(struct ecr_call *c);
int ecr_put_image_tag_mutability(struct ecr_call *c);
int ecr_tag_resource(struct ecr_call *c);
int ecr_untag_resource(struct ecr_call *c);
int ecr_list_tags_for_resource(struct ecr_call *c);
int ecr_list_images(struct ecr_call *c);
int ecr_describe_images(struct ecr_call *c);
int ecr_batch_get_image(struct ecr_call *c);
int ecr_batch_delete_image(struct ecr_call *c);
int ecr_put_image(struct ecr_call *c);
int ecr_batch_check_layer_availability(struct ecr_call *c);
int ecr_get_authorization_token(struct ecr_call *c);
int ecr_set_repository_policy(struct ecr_call *c);
int ecr_get_repository_policy(struct ecr_call *c);
int ecr_delete_repository_policy(struct ecr_call *c);
int ecr_put_lifecycle_policy(struct ecr_call *c);
int ecr_get_lifecycle_policy(struct ecr_call *c);
int ecr_delete_lifecycle_policy(struct ecr_call *c);
int ecr_start_lifecycle_policy_preview(struct ecr_call *c);
int ecr_get_lifecycle_policy_preview(struct ecr_call *c);
