/* nft.c: the engine's nftables table (one of its own, named in the
 * engine's settings), through libnftables.
 *
 * The table is created once with its chains, and everything per network
 * or per container is an element of a set or map, so adding and removing
 * a published port never edits rules:
 *   pub_any  proto . port           → container ip . port   (-p PORT:…)
 *   pub_ip   host ip . proto . port → container ip . port   (-p IP:PORT:…)
 *   masq     source subnets masqueraded when leaving them
 *   bridges  bridge names: traffic from 127.0.0.0/8 (the host reaching a
 *            published port over loopback) is masqueraded towards them,
 *            which with route_localnet on the bridge makes 127.0.0.1 work.
 *
 * libnftables (with libnftnl, libxtables and libgmp behind it) is loaded
 * with dlopen when a network is first touched, not linked: `wharf run
 * --network none` and every command without networks never load it. */
#include <dlfcn.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "internal.h"
#include "nft.h"

/* The functions used, from the loaded library (the loader keeps it; a
 * second dlopen is a lookup). */
struct nft_api {
  __typeof__(nft_ctx_new) *ctx_new;
  __typeof__(nft_ctx_free) *ctx_free;
  __typeof__(nft_ctx_buffer_output) *buffer_output;
  __typeof__(nft_ctx_buffer_error) *buffer_error;
  __typeof__(nft_ctx_get_output_buffer) *get_output;
  __typeof__(nft_ctx_get_error_buffer) *get_error;
  __typeof__(nft_run_cmd_from_buffer) *run_cmd;
};

static int api_load(struct nft_api *a, struct wh_error **err)
{
  void *h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h)
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "nftables: %s", dlerror());
  a->ctx_new = (__typeof__(a->ctx_new)) dlsym(h, "nft_ctx_new");
  a->ctx_free = (__typeof__(a->ctx_free)) dlsym(h, "nft_ctx_free");
  a->buffer_output = (__typeof__(a->buffer_output)) dlsym(h, "nft_ctx_buffer_output");
  a->buffer_error = (__typeof__(a->buffer_error)) dlsym(h, "nft_ctx_buffer_error");
  a->get_output = (__typeof__(a->get_output)) dlsym(h, "nft_ctx_get_output_buffer");
  a->get_error = (__typeof__(a->get_error)) dlsym(h, "nft_ctx_get_error_buffer");
  a->run_cmd = (__typeof__(a->run_cmd)) dlsym(h, "nft_run_cmd_from_buffer");
  if (!a->ctx_new || !a->ctx_free || !a->buffer_output || !a->buffer_error ||
      !a->get_output || !a->get_error || !a->run_cmd)
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "nftables: libnftables.so.1 lacks a function");
  return 0;
}

static int run(const char *cmd, struct wh_error **err)
{
  struct nft_api api;
  if (api_load(&api, err) < 0)
    return -1;
  struct nft_ctx *n = api.ctx_new(NFT_CTX_DEFAULT);
  if (!n)
    return wh_error_set(err, WH_ERR_INTERNAL, "nftables: no context");
  api.buffer_error(n);
  api.buffer_output(n);
  int r = api.run_cmd(n, cmd);
  if (r != 0) {
    const char *msg = api.get_error(n);
    char one[512];
    snprintf(one, sizeof(one), "%s", msg ? msg : "failed");
    char *nl = strchr(one, '\n');
    if (nl)
      *nl = 0;
    wh_error_set(err, WH_ERR_IO, "nftables: %s", one);
  }
  api.ctx_free(n);
  return r == 0 ? 0 : -1;
}

int nft_ensure_table(const char *table, struct wh_error **err)
{
  _cleanup_free_ char *cmd = NULL;
  if (asprintf(&cmd,
      "add table ip %1$s\n"
      "add map ip %1$s pub_any { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
      "add map ip %1$s pub_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }\n"
      "add set ip %1$s masq { type ipv4_addr; flags interval; }\n"
      "add set ip %1$s bridges { type ifname; }\n"
      "add chain ip %1$s publish\n"
      "add chain ip %1$s prerouting { type nat hook prerouting priority dstnat; }\n"
      "add chain ip %1$s output { type nat hook output priority -100; }\n"
      "add chain ip %1$s postrouting { type nat hook postrouting priority srcnat; }\n",
      table) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  if (run(cmd, err) < 0)
    return -1;
  /* Rules only once: a fresh table has an empty publish chain. */
  _cleanup_free_ char *check = NULL;
  struct nft_api api;
  if (api_load(&api, err) < 0)
    return -1;
  struct nft_ctx *n = api.ctx_new(NFT_CTX_DEFAULT);
  if (!n)
    return wh_error_set(err, WH_ERR_INTERNAL, "nftables: no context");
  api.buffer_output(n);
  api.buffer_error(n);
  if (asprintf(&check, "list chain ip %s publish", table) < 0) {
    api.ctx_free(n);
    return -1;
  }
  api.run_cmd(n, check);
  const char *out = api.get_output(n);
  bool has_rules = out && strstr(out, "dnat");
  api.ctx_free(n);
  if (has_rules)
    return 0;
  free(cmd);
  cmd = NULL;
  if (asprintf(&cmd,
      "add rule ip %1$s publish meta l4proto { tcp, udp } dnat ip to ip daddr . meta l4proto . th dport map @pub_ip\n"
      "add rule ip %1$s publish meta l4proto { tcp, udp } dnat ip to meta l4proto . th dport map @pub_any\n"
      "add rule ip %1$s prerouting fib daddr type local jump publish\n"
      "add rule ip %1$s output fib daddr type local jump publish\n"
      "add rule ip %1$s postrouting ip saddr @masq ip daddr != @masq masquerade\n"
      "add rule ip %1$s postrouting ip saddr 127.0.0.0/8 oifname @bridges masquerade\n",
      table) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  return run(cmd, err);
}

int nft_network(const char *table, const char *bridge, const char *subnet, bool masq,
                bool add, struct wh_error **err)
{
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  const char *verb = add ? "add" : "delete";
  wh_buf_printf(&b, "%s element ip %s bridges { \"%s\" }\n", verb, table, bridge);
  if (masq)
    wh_buf_printf(&b, "%s element ip %s masq { %s }\n", verb, table, subnet);
  return run(b.data, err);
}

int nft_port(const char *table, const char *host_ip, int host_port, const char *proto,
             const char *ctr_ip, int ctr_port, bool add, struct wh_error **err)
{
  _cleanup_free_ char *cmd = NULL;
  const char *verb = add ? "add" : "delete";
  int r;
  if (host_ip && *host_ip && strcmp(host_ip, "0.0.0.0"))
    r = asprintf(&cmd, "%s element ip %s pub_ip { %s . %s . %d : %s . %d }\n", verb, table,
                 host_ip, proto, host_port, ctr_ip, ctr_port);
  else
    r = asprintf(&cmd, "%s element ip %s pub_any { %s . %d : %s . %d }\n", verb, table,
                 proto, host_port, ctr_ip, ctr_port);
  if (r < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  if (!add) {
    /* delete takes only the key */
    char *colon = strrchr(cmd, ':');
    if (colon)
      strcpy(colon, "}\n");
  }
  return run(cmd, err);
}
