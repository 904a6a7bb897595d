/* api_metrics.c: GET /metrics, the Prometheus text exposition of
 * metrics.c. Unauthenticated, like Distribution's debug listener: bind
 * the registry to a trusted network or filter /metrics in front of it. */
#include "registry/api.h"

#include "registry/metrics.h"
#include "registry/registry.h"

int api_metrics_get(struct request *r)
{
  if (!r->reg->metrics)
    return reply_error(r, REG_NOT_FOUND, "metrics are off");
  size_t len = 0;
  char *text = metrics_render(r->reg->metrics, r->reg, &len);
  if (!text)
    return reply_error(r, REG_UNAVAILABLE, "out of memory");
  return reply_data_take(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}
