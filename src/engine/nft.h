/* nft.h: the engine's nftables table (nft.c). */
#pragma once

#include <stdbool.h>

struct wh_error;

int nft_ensure_table(const char *table, struct wh_error **err);
/* Add/remove a network: its bridge (loopback masquerade) and, unless
 * internal, its subnet (masquerade out). */
int nft_network(const char *table, const char *bridge, const char *subnet, bool masq,
                bool add, struct wh_error **err);
int nft_port(const char *table, const char *host_ip, int host_port, const char *proto,
             const char *ctr_ip, int ctr_port, bool add, struct wh_error **err);
