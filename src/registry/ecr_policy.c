/* ecr_policy.c: repository policy documents (see ecr_policy.h). */
#include "registry/ecr_policy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "registry/ecr_glob.h"

struct stmt {
  bool deny;
  bool any_principal;
  char **arns;        /* NULL-terminated; account ids normalized to :root */
  size_t n_arns;
  bool not_action;
  char **actions;     /* NULL-terminated patterns */
  size_t n_actions;
};

struct ecr_policy {
  struct stmt *s;
  size_t n;
};

/* The actions of the ECR service model (AmazonEC2ContainerRegistry
 * 2015-09-21), which IAM accepts in an ECR policy. */
static const char *const known_actions[] = {
  "BatchCheckLayerAvailability", "BatchDeleteImage", "BatchGetImage",
  "BatchGetRepositoryScanningConfiguration", "BatchImportUpstreamImage",
  "CompleteLayerUpload", "CreatePullThroughCacheRule", "CreateRepository",
  "DeleteLifecyclePolicy", "DeletePullThroughCacheRule",
  "DeleteRegistryPolicy", "DeleteRepository", "DeleteRepositoryPolicy",
  "DescribeImageReplicationStatus", "DescribeImageScanFindings",
  "DescribeImages", "DescribePullThroughCacheRules", "DescribeRegistry",
  "DescribeRepositories", "GetAuthorizationToken", "GetDownloadUrlForLayer",
  "GetLifecyclePolicy", "GetLifecyclePolicyPreview", "GetRegistryPolicy",
  "GetRegistryScanningConfiguration", "GetRepositoryPolicy",
  "InitiateLayerUpload", "ListImages", "ListTagsForResource", "PutImage",
  "PutImageScanningConfiguration", "PutImageTagMutability",
  "PutLifecyclePolicy", "PutRegistryPolicy",
  "PutRegistryScanningConfiguration", "PutReplicationConfiguration",
  "ReplicateImage", "SetRepositoryPolicy", "StartImageScan",
  "StartLifecyclePolicyPreview", "TagResource", "UntagResource",
  "UploadLayerPart",
};

const char *const *ecr_policy_known_actions(size_t *n)
{
  *n = WH_ARRAY_SIZE(known_actions);
  return known_actions;
}

static const char *const pull_actions[] = {
  "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", NULL,
};
static const char *const push_actions[] = {
  "ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload", "ecr:BatchCheckLayerAvailability", NULL,
};
static const char *const delete_actions[] = { "ecr:BatchDeleteImage", NULL };

const char *ecr_policy_decision_name(enum ecr_policy_decision d)
{
  switch (d) {
  case ECR_POLICY_ALLOW: return "ALLOW";
  case ECR_POLICY_DENY: return "DENY";
  default: return "IMPLICIT_DENY";
  }
}

const char *const *ecr_policy_oci_actions(enum ecr_oci_op op)
{
  switch (op) {
  case ECR_OCI_PULL: return pull_actions;
  case ECR_OCI_PUSH: return push_actions;
  default: return delete_actions;
  }
}

bool ecr_policy_action_match(const char *pattern, const char *action)
{
  return ecr_glob_match(pattern, action, true, true);
}

bool ecr_policy_action_known(const char *name)
{
  if (strncasecmp(name, "ecr:", 4) != 0)
    return false;
  for (size_t i = 0; i < WH_ARRAY_SIZE(known_actions); i++)
    if (strcasecmp(name + 4, known_actions[i]) == 0)
      return true;
  return false;
}

static void stmt_clear(struct stmt *s)
{
  wh_strvfreep(&s->arns);
  wh_strvfreep(&s->actions);
}

void ecr_policy_free(struct ecr_policy *p)
{
  if (!p)
    return;
  for (size_t i = 0; i < p->n; i++)
    stmt_clear(&p->s[i]);
  free(p->s);
  free(p);
}

size_t ecr_policy_statement_count(const struct ecr_policy *p)
{
  return p ? p->n : 0;
}

static int strv_push(char ***v, size_t *n, const char *s,
                     struct wh_error **err)
{
  char **nv = realloc(*v, (*n + 2) * sizeof(char *));
  if (!nv)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  *v = nv;
  nv[*n] = strdup(s);
  nv[*n + 1] = NULL;
  if (!nv[*n])
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  (*n)++;
  return 0;
}

static bool is_account_id(const char *s)
{
  if (strlen(s) != 12)
    return false;
  for (int i = 0; i < 12; i++)
    if (!isdigit((unsigned char) s[i]))
      return false;
  return true;
}

/* arn:PARTITION:SERVICE::ACCOUNT:RESOURCE, with service iam or sts. */
static bool is_principal_arn(const char *s)
{
  if (strncmp(s, "arn:", 4) != 0 || strlen(s) > 2048)
    return false;
  const char *part[6];
  size_t n = 0;
  for (const char *p = s; n < 6; n++) {
    part[n] = p;
    const char *c = strchr(p, ':');
    if (!c) {
      n++;
      break;
    }
    p = c + 1;
  }
  if (n != 6 || strchr(part[5], ':'))
    return false;
  if (strncmp(part[1], "aws", 3) != 0)
    return false;
  if (strncmp(part[2], "iam:", 4) != 0 && strncmp(part[2], "sts:", 4) != 0)
    return false;
  if (part[3][0] != ':')  /* region empty */
    return false;
  char acct[13];
  if (part[5] - part[4] != 13)
    return false;
  memcpy(acct, part[4], 12);
  acct[12] = '\0';
  return is_account_id(acct) && part[5][0] != '\0';
}

static int add_aws_principal(struct stmt *st, json_t *v, const char *path,
                             struct wh_error **err)
{
  if (!json_is_string(v))
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected a string", path);
  const char *s = json_string_value(v);
  if (strcmp(s, "*") == 0) {
    st->any_principal = true;
    return 0;
  }
  if (is_account_id(s)) {
    char arn[64];
    snprintf(arn, sizeof(arn), "arn:aws:iam::%s:root", s);
    return strv_push(&st->arns, &st->n_arns, arn, err);
  }
  if (!is_principal_arn(s))
    return wh_error_set(err, WH_ERR_INVALID, "%s: invalid principal '%.80s' "
                        "(expected an IAM ARN, a 12-digit account id or *)",
                        path, s);
  return strv_push(&st->arns, &st->n_arns, s, err);
}

static int parse_principal(struct stmt *st, json_t *pr, const char *path,
                           struct wh_error **err)
{
  if (json_is_string(pr)) {
    if (strcmp(json_string_value(pr), "*") != 0)
      return wh_error_set(err, WH_ERR_INVALID, "%s.Principal: a string "
                          "principal must be \"*\"", path);
    st->any_principal = true;
    return 0;
  }
  if (!json_is_object(pr))
    return wh_error_set(err, WH_ERR_INVALID, "%s.Principal: expected \"*\" "
                        "or an object", path);
  if (json_object_size(pr) == 0)
    return wh_error_set(err, WH_ERR_INVALID, "%s.Principal: empty", path);
  const char *k;
  json_t *v;
  json_object_foreach(pr, k, v) {
    char sub[96];
    snprintf(sub, sizeof(sub), "%s.Principal.%.40s", path, k);
    bool aws = strcmp(k, "AWS") == 0;
    if (!aws && strcmp(k, "Service") != 0)
      return wh_error_set(err, WH_ERR_INVALID, "%s: unsupported principal "
                          "type (expected AWS or Service)", sub);
    if (json_is_array(v)) {
      if (json_array_size(v) == 0)
        return wh_error_set(err, WH_ERR_INVALID, "%s: empty list", sub);
      for (size_t i = 0; i < json_array_size(v); i++) {
        char el[128];
        snprintf(el, sizeof(el), "%s[%zu]", sub, i);
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e))
          return wh_error_set(err, WH_ERR_INVALID, "%s: expected a string",
                              el);
        if (aws && add_aws_principal(st, e, el, err) < 0)
          return -1;
      }
    } else if (!json_is_string(v)) {
      return wh_error_set(err, WH_ERR_INVALID, "%s: expected a string or "
                          "an array of strings", sub);
    } else if (aws && add_aws_principal(st, v, sub, err) < 0) {
      return -1;
    }
    /* Service principals (codebuild.amazonaws.com, …) are valid in ECR
     * but no wharf request comes from an AWS service: kept out. */
  }
  return 0;
}

static int check_action(const char *s, const char *path,
                        struct wh_error **err)
{
  if (strcmp(s, "*") == 0)
    return 0;
  if (strncasecmp(s, "ecr:", 4) != 0)
    return wh_error_set(err, WH_ERR_INVALID, "%s: '%.80s' is not an ecr: "
                        "action", path, s);
  const char *name = s + 4;
  if (!*name || strlen(name) > 128)
    return wh_error_set(err, WH_ERR_INVALID, "%s: bad action name", path);
  bool wild = false;
  for (const char *c = name; *c; c++) {
    if (*c == '*' || *c == '?')
      wild = true;
    else if (!isalnum((unsigned char) *c))
      return wh_error_set(err, WH_ERR_INVALID, "%s: '%.80s': action names "
                          "are letters with * and ? wildcards", path, s);
  }
  if (!wild && !ecr_policy_action_known(s))
    return wh_error_set(err, WH_ERR_INVALID, "%s: unknown action '%.80s'",
                        path, s);
  return 0;
}

static int parse_actions(struct stmt *st, json_t *v, const char *path,
                         struct wh_error **err)
{
  if (json_is_string(v)) {
    if (check_action(json_string_value(v), path, err) < 0)
      return -1;
    return strv_push(&st->actions, &st->n_actions, json_string_value(v), err);
  }
  if (!json_is_array(v) || json_array_size(v) == 0)
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected an action or a "
                        "non-empty array of actions", path);
  for (size_t i = 0; i < json_array_size(v); i++) {
    char el[128];
    snprintf(el, sizeof(el), "%s[%zu]", path, i);
    json_t *e = json_array_get(v, i);
    if (!json_is_string(e))
      return wh_error_set(err, WH_ERR_INVALID, "%s: expected a string", el);
    if (check_action(json_string_value(e), el, err) < 0 ||
        strv_push(&st->actions, &st->n_actions, json_string_value(e),
                  err) < 0)
      return -1;
  }
  return 0;
}

static int check_resource(json_t *v, const char *path, struct wh_error **err)
{
  if (json_is_string(v))
    return 0;
  if (json_is_array(v)) {
    for (size_t i = 0; i < json_array_size(v); i++)
      if (!json_is_string(json_array_get(v, i)))
        return wh_error_set(err, WH_ERR_INVALID, "%s.Resource[%zu]: expected "
                            "a string", path, i);
    return 0;
  }
  return wh_error_set(err, WH_ERR_INVALID, "%s.Resource: expected a string "
                      "or an array", path);
}

static int parse_statement(struct stmt *st, json_t *o, const char *path,
                           struct wh_error **err)
{
  if (!json_is_object(o))
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected an object", path);
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    if (strcmp(k, "Condition") == 0 || strcmp(k, "NotPrincipal") == 0 ||
        strcmp(k, "NotResource") == 0)
      return wh_error_set(err, WH_ERR_UNSUPPORTED, "%s.%s: not supported by "
                          "wharf-registry", path, k);
    if (strcmp(k, "Sid") && strcmp(k, "Effect") && strcmp(k, "Principal") &&
        strcmp(k, "Action") && strcmp(k, "NotAction") &&
        strcmp(k, "Resource"))
      return wh_error_set(err, WH_ERR_INVALID, "%s.%.40s: unknown field",
                          path, k);
  }
  char sub[96];
  const char *effect = NULL, *sid = NULL;
  snprintf(sub, sizeof(sub), "%s.Sid", path);
  if (wh_json_get_string(o, "Sid", sub, false, &sid, err) < 0)
    return -1;
  snprintf(sub, sizeof(sub), "%s.Effect", path);
  if (wh_json_get_string(o, "Effect", sub, true, &effect, err) < 0)
    return -1;
  if (strcmp(effect, "Allow") == 0)
    st->deny = false;
  else if (strcmp(effect, "Deny") == 0)
    st->deny = true;
  else
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected Allow or Deny, "
                        "not '%.20s'", sub, effect);
  json_t *pr = json_object_get(o, "Principal");
  if (!pr)
    return wh_error_set(err, WH_ERR_INVALID, "%s.Principal: required in a "
                        "repository policy", path);
  if (parse_principal(st, pr, path, err) < 0)
    return -1;
  json_t *act = json_object_get(o, "Action");
  json_t *nact = json_object_get(o, "NotAction");
  if (act && nact)
    return wh_error_set(err, WH_ERR_INVALID, "%s: Action and NotAction are "
                        "exclusive", path);
  if (!act && !nact)
    return wh_error_set(err, WH_ERR_INVALID, "%s.Action: required", path);
  st->not_action = nact != NULL;
  snprintf(sub, sizeof(sub), "%s.%s", path, act ? "Action" : "NotAction");
  if (parse_actions(st, act ? act : nact, sub, err) < 0)
    return -1;
  json_t *res = json_object_get(o, "Resource");
  if (res && check_resource(res, path, err) < 0)
    return -1;
  return 0;
}

struct ecr_policy *ecr_policy_parse(const char *json, size_t len,
                                    struct wh_error **err)
{
  if (len > ECR_POLICY_MAX_BYTES)
    return wh_error_set(err, WH_ERR_INVALID, "policy: longer than %d bytes",
                        ECR_POLICY_MAX_BYTES), NULL;
  _cleanup_json_ json_t *doc = wh_json_parse(json, len, "policy", err);
  if (!doc)
    return NULL;
  if (!json_is_object(doc))
    return wh_error_set(err, WH_ERR_INVALID, "policy: expected a JSON "
                        "object"), NULL;
  const char *k;
  json_t *v;
  json_object_foreach(doc, k, v) {
    if (strcmp(k, "Version") && strcmp(k, "Statement") && strcmp(k, "Id"))
      return wh_error_set(err, WH_ERR_INVALID, "%.40s: unknown field "
                          "(expected Version, Id, Statement)", k), NULL;
  }
  const char *version = NULL, *id = NULL;
  if (wh_json_get_string(doc, "Version", "Version", false, &version,
                         err) < 0 ||
      wh_json_get_string(doc, "Id", "Id", false, &id, err) < 0)
    return NULL;
  if (version && strcmp(version, "2012-10-17") != 0 &&
      strcmp(version, "2008-10-17") != 0)
    return wh_error_set(err, WH_ERR_INVALID, "Version: expected 2012-10-17 "
                        "or 2008-10-17, not '%.20s'", version), NULL;
  json_t *stmts = json_object_get(doc, "Statement");
  if (!stmts)
    return wh_error_set(err, WH_ERR_INVALID, "Statement: required"), NULL;
  bool single = json_is_object(stmts);
  if (!single && !json_is_array(stmts))
    return wh_error_set(err, WH_ERR_INVALID, "Statement: expected an object "
                        "or an array"), NULL;
  size_t n = single ? 1 : json_array_size(stmts);
  if (n == 0 || n > ECR_POLICY_MAX_STATEMENTS)
    return wh_error_set(err, WH_ERR_INVALID, "Statement: expected 1 to %d "
                        "statements", ECR_POLICY_MAX_STATEMENTS), NULL;
  struct ecr_policy *p = calloc(1, sizeof(*p));
  if (p)
    p->s = calloc(n, sizeof(*p->s));
  if (!p || !p->s) {
    free(p);
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  }
  for (size_t i = 0; i < n; i++) {
    char path[32];
    if (single)
      snprintf(path, sizeof(path), "Statement");
    else
      snprintf(path, sizeof(path), "Statement[%zu]", i);
    p->n = i + 1;
    if (parse_statement(&p->s[i], single ? stmts : json_array_get(stmts, i),
                        path, err) < 0) {
      ecr_policy_free(p);
      return NULL;
    }
  }
  /* Sids are unique within a policy, as IAM requires. */
  for (size_t i = 0; i < n; i++) {
    json_t *a = single ? stmts : json_array_get(stmts, i);
    const char *sa = json_string_value(json_object_get(a, "Sid"));
    for (size_t j = 0; sa && *sa && j < i; j++) {
      const char *sb = json_string_value(
          json_object_get(json_array_get(stmts, j), "Sid"));
      if (sb && strcmp(sa, sb) == 0) {
        ecr_policy_free(p);
        return wh_error_set(err, WH_ERR_INVALID, "Statement[%zu].Sid: '%.40s' "
                            "is used by Statement[%zu] too", i, sa, j), NULL;
      }
    }
  }
  return p;
}

static bool principal_matches(const struct stmt *st,
                              const struct ecr_principal *who)
{
  if (st->any_principal)
    return true;
  if (!who || !who->arn)
    return false;
  char root[64] = "";
  if (who->account && is_account_id(who->account))
    snprintf(root, sizeof(root), "arn:aws:iam::%s:root", who->account);
  for (size_t i = 0; i < st->n_arns; i++)
    if (strcmp(st->arns[i], who->arn) == 0 ||
        (root[0] && strcmp(st->arns[i], root) == 0))
      return true;
  return false;
}

static bool action_matches(const struct stmt *st, const char *action)
{
  bool any = false;
  for (size_t i = 0; i < st->n_actions && !any; i++)
    any = ecr_policy_action_match(st->actions[i], action);
  return st->not_action ? !any : any;
}

enum ecr_policy_decision ecr_policy_evaluate(const struct ecr_policy *p,
                                             const struct ecr_principal *who,
                                             const char *action)
{
  if (!p || !action)
    return ECR_POLICY_IMPLICIT_DENY;
  bool allow = false;
  for (size_t i = 0; i < p->n; i++) {
    const struct stmt *st = &p->s[i];
    if (!principal_matches(st, who) || !action_matches(st, action))
      continue;
    if (st->deny)
      return ECR_POLICY_DENY;
    allow = true;
  }
  return allow ? ECR_POLICY_ALLOW : ECR_POLICY_IMPLICIT_DENY;
}

enum ecr_policy_decision ecr_policy_evaluate_oci(const struct ecr_policy *p,
                                                 const struct ecr_principal *who,
                                                 enum ecr_oci_op op)
{
  bool all = true;
  for (const char *const *a = ecr_policy_oci_actions(op); *a; a++) {
    enum ecr_policy_decision d = ecr_policy_evaluate(p, who, *a);
    if (d == ECR_POLICY_DENY)
      return ECR_POLICY_DENY;
    if (d != ECR_POLICY_ALLOW)
      all = false;
  }
  return all ? ECR_POLICY_ALLOW : ECR_POLICY_IMPLICIT_DENY;
}
