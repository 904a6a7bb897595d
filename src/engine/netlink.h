/* netlink.h: rtnetlink requests for the engine's networks (netlink.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct wh_error;

int nl_bridge_add(const char *name, struct wh_error **err);
/* A veth pair: `host` here, `peer` created in the namespace of peer_ns_fd. */
int nl_veth_add(const char *host, const char *peer, int peer_ns_fd, struct wh_error **err);
/* Enslave to master (if non-NULL) and/or bring up. */
int nl_link_set(const char *name, const char *master, bool up, struct wh_error **err);
/* Delete a link; a missing one is success. */
int nl_link_del(const char *name, struct wh_error **err);
int nl_addr_add(const char *name, uint32_t addr_be, int prefix, struct wh_error **err);
int nl_route_default(uint32_t gw_be, struct wh_error **err);
