/* api_quota.c: the reply to a push refused over its repository's quota
 * (quota.c decides; this maps the decision to HTTP). */
#include "registry/api.h"

#include "base/error.h"
#include "registry/audit.h"
#include "registry/metrics.h"
#include "registry/registry.h"

int api_quota_error(struct request *r, struct wh_error *e, const char *digest)
{
  if (!e || e->kind != WH_ERR_DENIED)
    return api_store_error(r, e, REG_NAME_UNKNOWN);
  _cleanup_error_ struct wh_error *owned = e;
  metrics_quota_denied(r->reg->metrics);
  audit_log(r->reg, "quota_denied", r->principal, r->match.name, "digest", digest,
            "message", e->msg, NULL);
  /* 403 DENIED: the spec's code for "the access controller denied
   * access", the closest it has to "not allowed to grow". */
  return reply_error(r, REG_DENIED, e->msg);
}
