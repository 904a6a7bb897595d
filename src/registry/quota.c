/* quota.c: per-repository storage quotas, and starting the registry's
 * extras (extras.h).
 *
 * A quota is a row of repo_quotas (set with `wharf-registry repo quota`,
 * read on every push, so a change applies at once). Usage is the sizes of
 * the distinct blobs a repository links plus its manifests: what it holds
 * after GC, plus blobs uploaded within the grace period that no manifest
 * references yet. It is checked when an upload starts (a repository at or
 * over its quota gets no new blobs) and when a manifest is pushed (the
 * push that would take it over is refused); two pushes racing past the
 * check can each overshoot by one image. */
#include "registry/registry.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "registry/audit.h"
#include "registry/extras.h"
#include "registry/gc.h"
#include "registry/metrics.h"
#include "registry/store_meta_gc.h"

int registry_quota_check(struct registry *reg, const char *repo, uint64_t adding,
                         struct wh_error **err)
{
  if (!reg->quota)
    return 0;
  uint64_t quota, usage;
  if (meta_quota_get(reg->quota, repo, &quota, err) < 0)
    return -1;
  if (quota == 0)
    return 0;
  if (meta_quota_usage(reg->quota, repo, &usage, err) < 0)
    return -1;
  if (usage + adding <= quota && (adding > 0 || usage < quota))
    return 0;
  return wh_error_set(err, WH_ERR_DENIED,
                      "repository %s is over its storage quota: it uses %llu bytes%s%llu%s "
                      "of a quota of %llu bytes (delete images or ask for a larger quota)",
                      repo, (unsigned long long) usage, adding ? " and this push adds " : "",
                      adding ? (unsigned long long) adding : 0ULL, adding ? " bytes" : "",
                      (unsigned long long) quota);
}

int registry_start_extras(struct registry *reg, struct wh_error **err)
{
  reg->metrics = metrics_new();
  if (!reg->metrics)
    return wh_error_errno(err, "metrics");
  const char *audit = reg->cfg.audit_log_path ? reg->cfg.audit_log_path : "audit.log";
  if (strcmp(audit, "off") != 0) {
    reg->audit = audit_open(reg->data_fd, audit, err);
    if (!reg->audit)
      return -1;
  }
  reg->quota = meta_gc_open(reg->cfg.data_dir, err);
  if (!reg->quota)
    return -1;
  return gc_sched_start(reg, err);
}

void registry_stop_extras(struct registry *reg)
{
  gc_sched_stop(reg);
  meta_gc_close(reg->quota);
  reg->quota = NULL;
  audit_close(reg->audit);
  reg->audit = NULL;
  metrics_free(reg->metrics);
  reg->metrics = NULL;
}
