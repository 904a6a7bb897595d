/* extras.h: start and stop what the registry has beyond Distribution
 * (metrics, audit log, GC schedule and control socket, quotas), called by
 * server.c once the stores are open and before they close. */
#pragma once

struct registry;
struct wh_error;

int registry_start_extras(struct registry *reg, struct wh_error **err);
void registry_stop_extras(struct registry *reg);
