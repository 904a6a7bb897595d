/* lifecycle.c: applying lifecycle policies: per repository, evaluate the
 * stored policy over its images (ecr_lifecycle.c) and delete the images
 * it expires; on a schedule (a thread, default hourly) and on demand
 * (`wharf-registry lifecycle run`). Also builds previews for
 * StartLifecyclePolicyPreview. */
#include "registry/lifecycle.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "registry/audit.h"
#include "registry/auth.h"
#include "registry/ecr_lifecycle.h"
#include "registry/metrics.h"
#include "registry/registry.h"
#include "registry/store_ecr.h"
#include "registry/store_meta.h"

int lifecycle_evaluate_repo(struct ecr_store *s, const char *repo, const char *policy_text,
                            int64_t now_s, struct lifecycle_eval *out, struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  out->policy = ecr_lifecycle_parse(policy_text, strlen(policy_text), err);
  if (!out->policy)
    return -1;
  if (ecr_image_list(s, repo, &out->images, &out->n_images, err) < 0)
    goto fail;
  out->lc = calloc(out->n_images ? out->n_images : 1, sizeof(*out->lc));
  if (!out->lc) {
    wh_error_errno(err, "lifecycle");
    goto fail;
  }
  for (size_t i = 0; i < out->n_images; i++) {
    out->lc[i].digest = out->images[i].digest;
    out->lc[i].tags = (const char *const *) out->images[i].tags;
    out->lc[i].n_tags = out->images[i].n_tags;
    out->lc[i].pushed_at = out->images[i].pushed_at;
    out->lc[i].last_pulled_at = out->images[i].pulled_at;
  }
  if (ecr_lifecycle_evaluate(out->policy, out->lc, out->n_images, now_s, &out->result, err) < 0)
    goto fail;
  out->evaluated = true;
  return 0;
fail:
  lifecycle_eval_clear(out);
  return -1;
}

void lifecycle_eval_clear(struct lifecycle_eval *e)
{
  if (e->evaluated)
    ecr_lc_result_free(&e->result);
  ecr_lifecycle_free(e->policy);
  ecr_images_free(e->images, e->n_images);
  free(e->lc);
  memset(e, 0, sizeof(*e));
}

/* The audit line of one expired image: its digest, the tags it had and
 * the rule (rulePriority) that expired it. */
static void audit_expired(struct registry *reg, const char *repo, const struct ecr_image *im,
                          int64_t rule)
{
  json_t *tags = json_array();
  for (size_t t = 0; tags && t < im->n_tags; t++)
    json_array_append_new(tags, json_string(im->tags[t]));
  json_t *f = json_pack("{s:s,s:o*,s:I}", "digest", im->digest, "tags", tags, "rule",
                        (json_int_t) rule);
  if (f)
    audit_log_json(reg, "lifecycle_expire", NULL, repo, f);
}

long lifecycle_apply_repo(struct registry *reg, struct meta_store *meta, struct ecr_store *s,
                          const char *repo, int64_t now_s, bool dry_run, struct wh_error **err)
{
  struct ecr_repo r;
  if (ecr_repo_get(s, repo, &r, err) < 0)
    return -1;
  if (!r.f[ECR_RF_LIFECYCLE]) {
    ecr_repo_clear(&r);
    return 0;
  }
  struct lifecycle_eval ev;
  int rc = lifecycle_evaluate_repo(s, repo, r.f[ECR_RF_LIFECYCLE], now_s, &ev, err);
  ecr_repo_clear(&r);
  if (rc < 0)
    return wh_error_wrap(err, "repository %s", repo);
  long n = 0;
  for (size_t i = 0; i < ev.result.n_expired; i++) {
    const struct ecr_image *im = &ev.images[ev.result.expired[i]];
    if (!dry_run) {
      struct wh_error *e = NULL;
      if (meta_manifest_delete(meta, repo, im->digest, &e) < 0) {
        wh_log(WH_LOG_WARN, "lifecycle", "%s@%s: not expired: %s", repo, im->digest,
               e ? e->msg : "?");
        wh_error_free(e);
        continue;
      }
    }
    int64_t rule = ev.result.applied[ev.result.expired[i]];
    wh_log(WH_LOG_INFO, "lifecycle", "%s %s@%s (rule %lld)", dry_run ? "would expire" :
           "expired", repo, im->digest, (long long) rule);
    if (!dry_run)
      audit_expired(reg, repo, im, rule);
    n++;
  }
  if (!dry_run && n > 0)
    metrics_lifecycle_expired(reg->metrics, (uint64_t) n);
  lifecycle_eval_clear(&ev);
  return n;
}

long lifecycle_apply_all(struct registry *reg, struct meta_store *meta, struct ecr_store *s,
                         int64_t now_s, bool dry_run, struct wh_error **err)
{
  char **names = NULL;
  size_t n = 0;
  if (ecr_repos_with_lifecycle(s, &names, &n, err) < 0)
    return -1;
  long total = 0;
  for (size_t i = 0; i < n; i++) {
    struct wh_error *e = NULL;
    long k = lifecycle_apply_repo(reg, meta, s, names[i], now_s, dry_run, &e);
    if (k < 0) {
      wh_log(WH_LOG_WARN, "lifecycle", "%s", e ? e->msg : "failed");
      wh_error_free(e);
    } else {
      total += k;
    }
    free(names[i]);
  }
  free(names);
  return total;
}

static void *lc_thread(void *arg)
{
  struct registry *reg = arg;
  struct registry_auth *a = reg->auth;
  pthread_mutex_lock(&a->lc_lock);
  while (!a->lc_stop) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += a->lifecycle_interval_s;
    while (!a->lc_stop &&
           pthread_cond_timedwait(&a->lc_cond, &a->lc_lock, &until) != ETIMEDOUT) {
    }
    if (a->lc_stop)
      break;
    pthread_mutex_unlock(&a->lc_lock);
    struct wh_error *e = NULL;
    long n = lifecycle_apply_all(reg, reg->meta, a->store, wh_now_real_ns() / 1000000000, false, &e);
    if (n < 0)
      wh_log(WH_LOG_WARN, "lifecycle", "scheduled run failed: %s", e ? e->msg : "?");
    else if (n > 0)
      wh_log(WH_LOG_INFO, "lifecycle", "scheduled run expired %ld images", n);
    wh_error_free(e);
    pthread_mutex_lock(&a->lc_lock);
  }
  pthread_mutex_unlock(&a->lc_lock);
  return NULL;
}

int lifecycle_start(struct registry *reg, struct wh_error **err)
{
  struct registry_auth *a = reg->auth;
  if (a->lifecycle_interval_s == 0)
    return 0;
  int rc = pthread_create(&a->lc_thread, NULL, lc_thread, reg);
  if (rc != 0) {
    errno = rc;
    return wh_error_errno(err, "start the lifecycle schedule");
  }
  a->lc_started = true;
  return 0;
}

void lifecycle_stop(struct registry *reg)
{
  struct registry_auth *a = reg->auth;
  if (!a || !a->lc_started)
    return;
  pthread_mutex_lock(&a->lc_lock);
  a->lc_stop = true;
  pthread_cond_broadcast(&a->lc_cond);
  pthread_mutex_unlock(&a->lc_lock);
  pthread_join(a->lc_thread, NULL);
  a->lc_started = false;
}
