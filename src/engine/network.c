/* network.c: a container's network: none, host, or a bridge network
 * (the default bridge or a user-defined one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "internal.h"

static const char *mode_of(const struct ctr *c)
{
  const char *m = json_string_value(json_object_get(c->host_config, "NetworkMode"));
  return m && *m ? m : "bridge";
}

char *net_ns_path(struct engine *e, const char *id)
{
  char *p = NULL;
  return asprintf(&p, "%s/netns/%s", e->runroot, id) < 0 ? NULL : p;
}

int net_setup(struct engine *e, const struct ctr *c, struct wh_error **err)
{
  (void) e;
  const char *m = mode_of(c);
  if (!strcmp(m, "none") || !strcmp(m, "host"))
    return 0;
  return wh_error_set(err, WH_ERR_UNSUPPORTED, "network \"%s\": bridge networks are not available in this build; use --network none or host", m);
}

int net_teardown(struct engine *e, const struct ctr *c, struct wh_error **err)
{
  (void) e, (void) c, (void) err;
  return 0;
}

json_t *net_inspect(struct engine *e, const struct ctr *c)
{
  (void) e;
  return json_pack("{s:s,s:s,s:{}}", "NetworkMode", mode_of(c), "IPAddress", "", "Ports");
}

json_t *net_ports(struct engine *e, const struct ctr *c)
{
  (void) e, (void) c;
  return json_array();
}
