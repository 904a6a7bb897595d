/* api_ecr_repos.c: ECR actions on repositories and their settings:
 * Create/Describe/DeleteRepository, PutImageTagMutability, resource tags
 * (Tag/Untag/ListTagsForResource) and repository policies
 * (Set/Get/DeleteRepositoryPolicy). Settings wharf does not act on
 * (scanning, encryption) are stored and returned as sent. */
#include "registry/api_ecr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/timeutil.h"
#include "registry/ecr_mutability.h"
#include "registry/ecr_policy.h"
#include "registry/store_ecr.h"

#define ECR_MAX_TAGS 50

/* Check a Tags list: [{"Key": 1-128, "Value": 0-256}], at most 50. */
static int check_tags(struct ecr_call *c, json_t *tags)
{
  if (!json_is_array(tags))
    return ecr_fail(c, "InvalidTagParameterException", "tags must be a list");
  if (json_array_size(tags) > ECR_MAX_TAGS)
    return ecr_fail(c, "TooManyTagsException", "a repository has at most %d tags",
                    ECR_MAX_TAGS);
  size_t i;
  json_t *t;
  json_array_foreach(tags, i, t) {
    json_t *k = json_object_get(t, "Key"), *v = json_object_get(t, "Value");
    if (!json_is_object(t) || !json_is_string(k) || json_string_length(k) < 1 ||
        json_string_length(k) > 128 || (v && (!json_is_string(v) || json_string_length(v) > 256)))
      return ecr_fail(c, "InvalidTagParameterException", "tags[%zu]: expected {\"Key\": 1 to "
                      "128 characters, \"Value\": up to 256 characters}", i);
  }
  return 0;
}

/* Merge new tags into old (same Key replaces). New reference. */
static json_t *merge_tags(json_t *old, json_t *add)
{
  json_t *out = old ? json_deep_copy(old) : json_array();
  size_t i, j;
  json_t *t, *o;
  json_array_foreach(add, i, t) {
    const char *k = json_string_value(json_object_get(t, "Key"));
    bool done = false;
    json_array_foreach(out, j, o) {
      if (strcmp(json_string_value(json_object_get(o, "Key")), k) == 0) {
        json_array_set(out, j, t);
        done = true;
        break;
      }
    }
    if (!done)
      json_array_append(out, t);
  }
  return out;
}

static char *dump(json_t *j)
{
  return j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
}

/* imageTagMutability (+ exclusion filters) from the request, as stored. */
static int mutability_text(struct ecr_call *c, bool required, char **out)
{
  *out = NULL;
  if (!json_object_get(c->in, "imageTagMutability")) {
    if (required)
      return ecr_invalid(c, "imageTagMutability is required");
    return 0;
  }
  struct ecr_mutability m;
  struct wh_error *err = NULL;
  if (ecr_mutability_parse(c->in, &m, &err) < 0) {
    ecr_invalid(c, "%s", err ? err->msg : "bad imageTagMutability");
    wh_error_free(err);
    return -1;
  }
  json_t *j = json_object();
  ecr_mutability_to_json(&m, j);
  ecr_mutability_clear(&m);
  *out = dump(j);
  json_decref(j);
  return 0;
}

int ecr_create_repository(struct ecr_call *c)
{
  const char *name;
  if (ecr_get_repo_name(c, &name) < 0 || ecr_authorize(c, NULL, "ecr:CreateRepository") < 0)
    return -1;
  struct ecr_repo r;
  memset(&r, 0, sizeof(r));
  r.name = (char *) name;
  int ret = -1;
  if (mutability_text(c, false, &r.f[ECR_RF_MUTABILITY]) < 0)
    goto out;
  json_t *sc = json_object_get(c->in, "imageScanningConfiguration");
  if (sc && !json_is_object(sc)) {
    ecr_invalid(c, "imageScanningConfiguration must be an object");
    goto out;
  }
  r.f[ECR_RF_SCAN] = dump(sc);
  json_t *enc = json_object_get(c->in, "encryptionConfiguration");
  if (enc) {
    const char *et = json_string_value(json_object_get(enc, "encryptionType"));
    if (!json_is_object(enc) || !et || (strcmp(et, "AES256") != 0 && strcmp(et, "KMS") != 0)) {
      ecr_invalid(c, "encryptionConfiguration.encryptionType must be AES256 or KMS");
      goto out;
    }
  }
  r.f[ECR_RF_ENCRYPTION] = dump(enc);
  json_t *tags = json_object_get(c->in, "tags");
  if (tags && check_tags(c, tags) < 0)
    goto out;
  r.f[ECR_RF_TAGS] = dump(tags);
  struct wh_error *err = NULL;
  int64_t now = wh_now_real_ns() / 1000000000;
  if (ecr_repo_create(c->a->store, &r, now, &err) < 0) {
    if (err && err->kind == WH_ERR_EXISTS)
      ecr_fail(c, "RepositoryAlreadyExistsException", "%s", err->msg);
    else
      ecr_fail(c, "ServerException", "cannot create the repository");
    wh_error_free(err);
    goto out;
  }
  auth_repo_changed(c->reg, name);
  r.name = NULL;
  ecr_repo_clear(&r);
  if (ecr_need_repo(c, name, &r) < 0)
    goto out;
  json_object_set_new(c->out, "repository", ecr_repo_json(c, &r));
  ret = 0;
out:
  r.name = r.name == name ? NULL : r.name;
  ecr_repo_clear(&r);
  return ret;
}

int ecr_describe_repositories(struct ecr_call *c)
{
  const char *rid, *tok;
  if (ecr_get_str(c, "registryId", false, 0, 64, &rid) < 0 ||
      ecr_get_str(c, "nextToken", false, 0, 4096, &tok) < 0)
    return -1;
  if (rid && strcmp(rid, c->a->registry_id) != 0)
    return ecr_invalid(c, "registryId %s is not this registry's id", rid);
  if (ecr_authorize(c, NULL, "ecr:DescribeRepositories") < 0)
    return -1;
  json_t *names = json_object_get(c->in, "repositoryNames");
  json_t *list = json_array();
  json_object_set_new(c->out, "repositories", list);
  if (names) {
    if (!json_is_array(names) || json_array_size(names) < 1 || json_array_size(names) > 100)
      return ecr_invalid(c, "repositoryNames must be a list of 1 to 100 names");
    if (tok || json_object_get(c->in, "maxResults"))
      return ecr_invalid(c, "nextToken and maxResults cannot be used with repositoryNames");
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
      struct ecr_repo r;
      if (!json_is_string(n))
        return ecr_invalid(c, "repositoryNames[%zu] must be a string", i);
      if (ecr_need_repo(c, json_string_value(n), &r) < 0)
        return -1;
      json_array_append_new(list, ecr_repo_json(c, &r));
      ecr_repo_clear(&r);
    }
    return 0;
  }
  int64_t max;
  if (ecr_get_max(c, 1, 1000, 100, &max) < 0)
    return -1;
  _cleanup_free_ char *after = NULL;
  if (tok && !(after = ecr_token_read(c, tok)))
    return -1;
  struct ecr_repo *rs;
  size_t n;
  bool more;
  struct wh_error *err = NULL;
  if (ecr_repo_list(c->a->store, after, (size_t) max, &rs, &n, &more, &err) < 0) {
    wh_error_free(err);
    return ecr_fail(c, "ServerException", "cannot list repositories");
  }
  for (size_t i = 0; i < n; i++)
    json_array_append_new(list, ecr_repo_json(c, &rs[i]));
  if (more && n > 0) {
    char *t = ecr_token_make(rs[n - 1].name);
    json_object_set_new(c->out, "nextToken", json_string(t));
    free(t);
  }
  ecr_repos_free(rs, n);
  return 0;
}

int ecr_delete_repository(struct ecr_call *c)
{
  const char *name;
  if (ecr_get_repo_name(c, &name) < 0 || ecr_authorize(c, name, "ecr:DeleteRepository") < 0)
    return -1;
  json_t *force = json_object_get(c->in, "force");
  if (force && !json_is_boolean(force))
    return ecr_invalid(c, "force must be a boolean");
  struct ecr_repo r;
  if (ecr_need_repo(c, name, &r) < 0)
    return -1;
  json_object_set_new(c->out, "repository", ecr_repo_json(c, &r));
  ecr_repo_clear(&r);
  struct wh_error *err = NULL;
  if (ecr_repo_delete(c->a->store, name, force && json_is_true(force), &err) < 0) {
    int kind = err ? (int) err->kind : WH_ERR_IO;
    _cleanup_free_ char *msg = err ? strdup(err->msg) : NULL;
    wh_error_free(err);
    if (kind == WH_ERR_BUSY)
      return ecr_fail(c, "RepositoryNotEmptyException", "%s", msg ? msg : "not empty");
    if (kind == WH_ERR_NOT_FOUND)
      return ecr_need_repo(c, name, &r);
    return ecr_fail(c, "ServerException", "cannot delete the repository");
  }
  auth_repo_changed(c->reg, name);
  return 0;
}

int ecr_put_image_tag_mutability(struct ecr_call *c)
{
  const char *name;
  if (ecr_get_repo_name(c, &name) < 0 ||
      ecr_authorize(c, name, "ecr:PutImageTagMutability") < 0)
    return -1;
  _cleanup_free_ char *txt = NULL;
  struct ecr_repo r;
  if (mutability_text(c, true, &txt) < 0 || ecr_need_repo(c, name, &r) < 0)
    return -1;
  ecr_repo_clear(&r);
  struct wh_error *err = NULL;
  if (ecr_repo_set(c->a->store, name, ECR_RF_MUTABILITY, txt, &err) < 0) {
    wh_error_free(err);
    return ecr_fail(c, "ServerException", "cannot store the setting");
  }
  auth_repo_changed(c->reg, name);
  json_t *m = json_loads(txt, 0, NULL);
  json_object_update(c->out, m);
  json_decref(m);
  json_object_set_new(c->out, "registryId", json_string(c->a->registry_id));
  json_object_set_new(c->out, "repositoryName", json_string(name));
  return 0;
}

/* --- resource tags ------------------------------------------------------ */

/* The repository an ARN names, if it is one of this registry's. */
static int arn_repo(struct ecr_call *c, struct ecr_repo *r)
{
  const char *arn;
  if (ecr_get_str(c, "resourceArn", true, 1, 2048, &arn) < 0)
    return -1;
  char prefix[128];
  int n = snprintf(prefix, sizeof(prefix), ":%s:repository/", c->a->registry_id);
  const char *p = strstr(arn, prefix);
  if (strncmp(arn, "arn:aws:ecr:", 12) != 0 || !p)
    return ecr_invalid(c, "Invalid parameter at 'resourceArn': %s is not the ARN of a "
                       "repository of registry %s", arn, c->a->registry_id);
  return ecr_need_repo(c, p + n, r);
}

int ecr_tag_resource(struct ecr_call *c)
{
  struct ecr_repo r;
  if (arn_repo(c, &r) < 0)
    return -1;
  int ret = -1;
  _cleanup_free_ char *txt = NULL;
  json_t *tags = json_object_get(c->in, "tags");
  if (ecr_authorize(c, r.name, "ecr:TagResource") < 0 ||
      (!tags && ecr_invalid(c, "tags is required") < 0) || check_tags(c, tags) < 0)
    goto out;
  json_t *old = r.f[ECR_RF_TAGS] ? json_loads(r.f[ECR_RF_TAGS], 0, NULL) : NULL;
  json_t *merged = merge_tags(old, tags);
  json_decref(old);
  if (json_array_size(merged) > ECR_MAX_TAGS) {
    json_decref(merged);
    ecr_fail(c, "TooManyTagsException", "a repository has at most %d tags", ECR_MAX_TAGS);
    goto out;
  }
  txt = dump(merged);
  json_decref(merged);
  struct wh_error *err = NULL;
  if (ecr_repo_set(c->a->store, r.name, ECR_RF_TAGS, txt, &err) < 0) {
    wh_error_free(err);
    ecr_fail(c, "ServerException", "cannot store tags");
    goto out;
  }
  ret = 0;
out:
  ecr_repo_clear(&r);
  return ret;
}

int ecr_untag_resource(struct ecr_call *c)
{
  struct ecr_repo r;
  if (arn_repo(c, &r) < 0)
    return -1;
  int ret = -1;
  _cleanup_free_ char *txt = NULL;
  json_t *keys = json_object_get(c->in, "tagKeys");
  if (ecr_authorize(c, r.name, "ecr:UntagResource") < 0)
    goto out;
  if (!json_is_array(keys)) {
    ecr_invalid(c, "tagKeys must be a list of strings");
    goto out;
  }
  json_t *tags = r.f[ECR_RF_TAGS] ? json_loads(r.f[ECR_RF_TAGS], 0, NULL) : json_array();
  size_t i, j;
  json_t *k, *t;
  json_array_foreach(keys, i, k) {
    if (!json_is_string(k))
      continue;
    for (j = 0; j < json_array_size(tags); j++) {
      t = json_array_get(tags, j);
      if (strcmp(json_string_value(json_object_get(t, "Key")), json_string_value(k)) == 0)
        json_array_remove(tags, j--);
    }
  }
  txt = dump(tags);
  json_decref(tags);
  struct wh_error *err = NULL;
  if (ecr_repo_set(c->a->store, r.name, ECR_RF_TAGS, txt, &err) < 0) {
    wh_error_free(err);
    ecr_fail(c, "ServerException", "cannot store tags");
    goto out;
  }
  ret = 0;
out:
  ecr_repo_clear(&r);
  return ret;
}

int ecr_list_tags_for_resource(struct ecr_call *c)
{
  struct ecr_repo r;
  if (arn_repo(c, &r) < 0)
    return -1;
  int ret = ecr_authorize(c, r.name, "ecr:ListTagsForResource");
  if (ret == 0) {
    json_t *tags = r.f[ECR_RF_TAGS] ? json_loads(r.f[ECR_RF_TAGS], 0, NULL) : NULL;
    json_object_set_new(c->out, "tags", tags ? tags : json_array());
  }
  ecr_repo_clear(&r);
  return ret;
}

/* --- repository policies -------------------------------------------- */

static int policy_reply(struct ecr_call *c, const char *name, const char *text)
{
  json_object_set_new(c->out, "registryId", json_string(c->a->registry_id));
  json_object_set_new(c->out, "repositoryName", json_string(name));
  if (text)
    json_object_set_new(c->out, "policyText", json_string(text));
  return 0;
}

int ecr_set_repository_policy(struct ecr_call *c)
{
  const char *name, *text;
  if (ecr_get_repo_name(c, &name) < 0 ||
      ecr_get_str(c, "policyText", true, 0, ECR_POLICY_MAX_BYTES, &text) < 0 ||
      ecr_authorize(c, name, "ecr:SetRepositoryPolicy") < 0)
    return -1;
  struct ecr_repo r;
  if (ecr_need_repo(c, name, &r) < 0)
    return -1;
  ecr_repo_clear(&r);
  struct wh_error *err = NULL;
  struct ecr_policy *p = ecr_policy_parse(text, strlen(text), &err);
  if (!p) {
    ecr_invalid(c, "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid "
                "repository policy provided': %s", err ? err->msg : "invalid");
    wh_error_free(err);
    return -1;
  }
  ecr_policy_free(p);
  if (ecr_repo_set(c->a->store, name, ECR_RF_POLICY, text, &err) < 0) {
    wh_error_free(err);
    return ecr_fail(c, "ServerException", "cannot store the policy");
  }
  auth_repo_changed(c->reg, name);
  return policy_reply(c, name, text);
}

static int policy_get_or_delete(struct ecr_call *c, bool del)
{
  const char *name;
  if (ecr_get_repo_name(c, &name) < 0 ||
      ecr_authorize(c, name, del ? "ecr:DeleteRepositoryPolicy" : "ecr:GetRepositoryPolicy") < 0)
    return -1;
  struct ecr_repo r;
  if (ecr_need_repo(c, name, &r) < 0)
    return -1;
  int ret = 0;
  if (!r.f[ECR_RF_POLICY]) {
    ret = ecr_fail(c, "RepositoryPolicyNotFoundException", "Repository policy does not exist "
                   "for the repository with name '%s' in the registry with id '%s'", name,
                   c->a->registry_id);
  } else {
    struct wh_error *err = NULL;
    if (del && ecr_repo_set(c->a->store, name, ECR_RF_POLICY, NULL, &err) < 0) {
      wh_error_free(err);
      ret = ecr_fail(c, "ServerException", "cannot delete the policy");
    } else {
      if (del)
        auth_repo_changed(c->reg, name);
      policy_reply(c, name, r.f[ECR_RF_POLICY]);
    }
  }
  ecr_repo_clear(&r);
  return ret;
}

int ecr_get_repository_policy(struct ecr_call *c)
{
  return policy_get_or_delete(c, false);
}

int ecr_delete_repository_policy(struct ecr_call *c)
{
  return policy_get_or_delete(c, true);
}
