/* lifecycle.h: applying ECR lifecycle policies to the stored images (the
 * evaluation itself is ecr_lifecycle.h). Used by the schedule in the
 * server, by `wharf-registry lifecycle run`, and by the preview actions. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "registry/ecr_lifecycle.h"

struct wh_error;
struct ecr_store;
struct meta_store;
struct registry;
struct ecr_image;

/* One repository's policy evaluated over its images. */
struct lifecycle_eval {
  struct ecr_lifecycle *policy;
  struct ecr_image *images;
  size_t n_images;
  struct ecr_lc_image *lc;      /* views of images for ecr_lifecycle */
  struct ecr_lc_result result;
  bool evaluated;
};

int lifecycle_evaluate_repo(struct ecr_store *s, const char *repo, const char *policy_text,
                            int64_t now_s, struct lifecycle_eval *out, struct wh_error **err);
void lifecycle_eval_clear(struct lifecycle_eval *e);

/* Expire what repo's policy selects as of now_s (dry_run: only count).
 * Returns the number of images expired. Each expired image gets a
 * `lifecycle_expire` line in reg's audit log and is counted in reg's
 * metrics (either may be NULL: the CLI has no metrics). */
long lifecycle_apply_repo(struct registry *reg, struct meta_store *meta, struct ecr_store *s,
                          const char *repo, int64_t now_s, bool dry_run, struct wh_error **err);
/* Every repository with a policy; failures of one are logged. */
long lifecycle_apply_all(struct registry *reg, struct meta_store *meta, struct ecr_store *s,
                         int64_t now_s, bool dry_run, struct wh_error **err);

/* The schedule thread (every reg->auth->lifecycle_interval_s seconds). */
int lifecycle_start(struct registry *reg, struct wh_error **err);
void lifecycle_stop(struct registry *reg);
