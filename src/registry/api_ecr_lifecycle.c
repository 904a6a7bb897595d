/* api_ecr_lifecycle.c: lifecycle policy actions: Put/Get/Delete-
 * LifecyclePolicy and Start/GetLifecyclePolicyPreview. Documents are
 * validated by ecr_lifecycle.c and stored as sent; a preview is computed
 * at once (status COMPLETE) and kept until the next one. */
#include "registry/api_ecr.h"

#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/timeutil.h"
#include "registry/lifecycle.h"
#include "registry/store_ecr.h"

static int validate(struct ecr_call *c, const char *text)
{
  struct wh_error *err = NULL;
  struct ecr_lifecycle *p = ecr_lifecycle_parse(text, strlen(text), &err);
  if (!p) {
    ecr_invalid(c, "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
                "'Lifecycle policy validation failure: %s'", err ? err->msg : "invalid");
    wh_error_free(err);
    return -1;
  }
  ecr_lifecycle_free(p);
  return 0;
}

static void base_reply(struct ecr_call *c, const char *name)
{
  json_object_set_new(c->out, "registryId", json_string(c->a->registry_id));
  json_object_set_new(c->out, "repositoryName", json_string(name));
}

static int repo_for(struct ecr_call *c, const char *action, const char **name,
                    struct ecr_repo *r)
{
  if (ecr_get_repo_name(c, name) < 0 || ecr_authorize(c, *name, action) < 0 ||
      ecr_need_repo(c, *name, r) < 0)
    return -1;
  return 0;
}

int ecr_put_lifecycle_policy(struct ecr_call *c)
{
  const char *name, *text;
  struct ecr_repo r;
  if (ecr_get_str(c, "lifecyclePolicyText", true, 100, 30720, &text) < 0 ||
      repo_for(c, "ecr:PutLifecyclePolicy", &name, &r) < 0)
    return -1;
  ecr_repo_clear(&r);
  if (validate(c, text) < 0)
    return -1;
  struct wh_error *err = NULL;
  if (ecr_repo_set(c->a->store, name, ECR_RF_LIFECYCLE, text, &err) < 0) {
    wh_error_free(err);
    return ecr_fail(c, "ServerException", "cannot store the policy");
  }
  base_reply(c, name);
  json_object_set_new(c->out, "lifecyclePolicyText", json_string(text));
  return 0;
}

static int lifecycle_get_or_delete(struct ecr_call *c, bool del)
{
  const char *name;
  struct ecr_repo r;
  if (repo_for(c, del ? "ecr:DeleteLifecyclePolicy" : "ecr:GetLifecyclePolicy", &name, &r) < 0)
    return -1;
  int ret = 0;
  if (!r.f[ECR_RF_LIFECYCLE]) {
    ret = ecr_fail(c, "LifecyclePolicyNotFoundException", "Lifecycle policy does not exist "
                   "for the repository with name '%s' in the registry with id '%s'", name,
                   c->a->registry_id);
    goto out;
  }
  struct wh_error *err = NULL;
  if (del && ecr_repo_set(c->a->store, name, ECR_RF_LIFECYCLE, NULL, &err) < 0) {
    wh_error_free(err);
    ret = ecr_fail(c, "ServerException", "cannot delete the policy");
    goto out;
  }
  base_reply(c, name);
  json_object_set_new(c->out, "lifecyclePolicyText", json_string(r.f[ECR_RF_LIFECYCLE]));
  json_object_set_new(c->out, "lastEvaluatedAt", json_integer(r.lifecycle_at));
out:
  ecr_repo_clear(&r);
  return ret;
}

int ecr_get_lifecycle_policy(struct ecr_call *c)
{
  return lifecycle_get_or_delete(c, false);
}

int ecr_delete_lifecycle_policy(struct ecr_call *c)
{
  return lifecycle_get_or_delete(c, true);
}

int ecr_start_lifecycle_policy_preview(struct ecr_call *c)
{
  const char *name, *text;
  struct ecr_repo r;
  if (ecr_get_str(c, "lifecyclePolicyText", false, 100, 30720, &text) < 0 ||
      repo_for(c, "ecr:StartLifecyclePolicyPreview", &name, &r) < 0)
    return -1;
  int ret = -1;
  _cleanup_free_ char *txt = NULL;
  if (!text)
    text = r.f[ECR_RF_LIFECYCLE];
  if (!text) {
    ecr_fail(c, "LifecyclePolicyNotFoundException", "Lifecycle policy does not exist for the "
             "repository with name '%s' in the registry with id '%s'", name, c->a->registry_id);
    goto out;
  }
  if (validate(c, text) < 0)
    goto out;
  struct lifecycle_eval ev;
  struct wh_error *err = NULL;
  if (lifecycle_evaluate_repo(c->a->store, name, text, wh_now_real_ns() / 1000000000, &ev,
                              &err) < 0) {
    wh_error_free(err);
    ecr_fail(c, "ServerException", "cannot evaluate the policy");
    goto out;
  }
  json_t *res = ecr_lifecycle_preview_json(&ev.result, ev.lc);
  json_t *pv = json_pack("{s:s, s:o, s:I}", "policy", text, "results",
                         res ? res : json_array(), "count", (json_int_t) ev.result.n_expired);
  lifecycle_eval_clear(&ev);
  txt = pv ? json_dumps(pv, JSON_COMPACT) : NULL;
  json_decref(pv);
  if (!txt || ecr_repo_set(c->a->store, name, ECR_RF_PREVIEW, txt, &err) < 0) {
    wh_error_free(err);
    ecr_fail(c, "ServerException", "cannot store the preview");
    goto out;
  }
  base_reply(c, name);
  json_object_set_new(c->out, "lifecyclePolicyText", json_string(text));
  json_object_set_new(c->out, "status", json_string("COMPLETE"));
  ret = 0;
out:
  ecr_repo_clear(&r);
  return ret;
}

int ecr_get_lifecycle_policy_preview(struct ecr_call *c)
{
  const char *name;
  struct ecr_repo r;
  int64_t max;
  if (repo_for(c, "ecr:GetLifecyclePolicyPreview", &name, &r) < 0)
    return -1;
  int ret = -1;
  json_t *pv = r.f[ECR_RF_PREVIEW] ? json_loads(r.f[ECR_RF_PREVIEW], 0, NULL) : NULL;
  if (!pv) {
    ecr_fail(c, "LifecyclePolicyPreviewNotFoundException", "There is no dry run for the "
             "repository with name '%s' in the registry with id '%s'", name, c->a->registry_id);
    goto out;
  }
  if (ecr_get_max(c, 1, 100, 100, &max) < 0)
    goto out;
  json_t *f = json_object_get(c->in, "filter");
  const char *ts = f ? json_string_value(json_object_get(f, "tagStatus")) : NULL;
  if (ts && strcmp(ts, "TAGGED") != 0 && strcmp(ts, "UNTAGGED") != 0 && strcmp(ts, "ANY") != 0) {
    ecr_invalid(c, "filter.tagStatus must be TAGGED, UNTAGGED or ANY");
    goto out;
  }
  json_t *ids = json_object_get(c->in, "imageIds");
  json_t *all = json_object_get(pv, "results");
  json_t *sel = json_array();
  size_t i;
  json_t *e;
  json_array_foreach(all, i, e) {
    bool tagged = json_array_size(json_object_get(e, "imageTags")) > 0;
    if (ts && ((strcmp(ts, "TAGGED") == 0 && !tagged) ||
               (strcmp(ts, "UNTAGGED") == 0 && tagged)))
      continue;
    if (json_is_array(ids)) {
      bool hit = false;
      size_t j;
      json_t *id;
      json_array_foreach(ids, j, id) {
        const char *dg = json_string_value(json_object_get(id, "imageDigest"));
        const char *tg = json_string_value(json_object_get(id, "imageTag"));
        const char *edg = json_string_value(json_object_get(e, "imageDigest"));
        if (dg && edg && strcmp(dg, edg) == 0)
          hit = true;
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(e, "imageTags"), k, t)
          if (tg && strcmp(tg, json_string_value(t)) == 0)
            hit = true;
      }
      if (!hit)
        continue;
    }
    json_array_append(sel, e);
  }
  size_t start = 0;
  const char *tok;
  if (ecr_get_str(c, "nextToken", false, 0, 4096, &tok) < 0) {
    json_decref(sel);
    goto out;
  }
  if (tok) {
    _cleanup_free_ char *k = ecr_token_read(c, tok);
    char *end;
    if (!k || (start = strtoul(k, &end, 10), *end) || start > json_array_size(sel)) {
      json_decref(sel);
      ecr_invalid(c, "nextToken is not a token this registry issued");
      goto out;
    }
  }
  size_t stop = start + (size_t) max < json_array_size(sel) ? start + (size_t) max
                                                            : json_array_size(sel);
  json_t *pg = json_array();
  for (i = start; i < stop; i++)
    json_array_append(pg, json_array_get(sel, i));
  if (stop < json_array_size(sel)) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%zu", stop);
    char *t = ecr_token_make(buf);
    json_object_set_new(c->out, "nextToken", json_string(t));
    free(t);
  }
  json_decref(sel);
  base_reply(c, name);
  json_object_set(c->out, "lifecyclePolicyText", json_object_get(pv, "policy"));
  json_object_set_new(c->out, "status", json_string("COMPLETE"));
  json_object_set_new(c->out, "previewResults", pg);
  json_object_set_new(c->out, "summary", json_pack("{s:O}", "expiringImageTotalCount",
                                                   json_object_get(pv, "count")));
  ret = 0;
out:
  json_decref(pv);
  ecr_repo_clear(&r);
  return ret;
}
