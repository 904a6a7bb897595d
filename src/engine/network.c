/* network.c: a container's network and the network commands.
 *
 * Modes: "none" (a namespace with only lo), "host" (the host's), or a
 * bridge network by name: "bridge" is the default one (bridge name and
 * subnet from the engine's settings), others are made by `network create`.
 * For a bridge network the monitor, before the runtime creates the
 * container, makes a network namespace held by a bind mount at
 * RUNROOT/netns/ID, a veth pair (host side "wh" + 12 id characters on the
 * bridge, "eth0" inside), an address from the engine's IPAM (the
 * endpoints table: one row per container and network, unique per
 * address), a default route, and the published ports as nftables map
 * elements (nft.c). Containers on a user-defined network find each other
 * by name through /etc/hosts entries the engine rewrites (in place: the
 * file is bind-mounted) whenever one joins or leaves.
 * Teardown is idempotent and works from the id alone, so rm, reconcile
 * and a failed setup all use it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/id.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "internal.h"
#include "netlink.h"
#include "nft.h"

struct netrec {
  json_t *row;  /* id, name, bridge, subnet, gateway, internal */
  uint32_t net; /* host order */
  int prefix;
  uint32_t gw;
};

static void netrec_clear(struct netrec *n)
{
  if (n->row)
    json_decref(n->row);
  n->row = NULL;
}
#define _cleanup_netrec_ __attribute__((cleanup(netrec_clear)))

static const char *F(const struct netrec *n, const char *k)
{
  return json_string_value(json_object_get(n->row, k));
}

static const char *mode_of(const struct ctr *c)
{
  const char *m = json_string_value(json_object_get(c->host_config, "NetworkMode"));
  return m && *m ? m : "bridge";
}

static int parse_cidr(const char *s, uint32_t *net, int *prefix, struct wh_error **err)
{
  char ip[32];
  const char *slash = strchr(s, '/');
  if (!slash || (size_t) (slash - s) >= sizeof(ip))
    return wh_error_set(err, WH_ERR_INVALID, "subnet \"%s\": expected A.B.C.D/N", s);
  memcpy(ip, s, (size_t) (slash - s));
  ip[slash - s] = 0;
  struct in_addr a;
  char *end;
  long p = strtol(slash + 1, &end, 10);
  if (inet_pton(AF_INET, ip, &a) != 1 || *end || p < 8 || p > 30)
    return wh_error_set(err, WH_ERR_INVALID, "subnet \"%s\": expected A.B.C.D/N with N in 8-30", s);
  uint32_t mask = p == 0 ? 0 : ~0u << (32 - p);
  *net = ntohl(a.s_addr) & mask;
  *prefix = (int) p;
  return 0;
}

static void ip_str(uint32_t host_order, char out[INET_ADDRSTRLEN])
{
  struct in_addr a = {htonl(host_order)};
  inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
}

static int load_row(struct engine *e, json_t *row, struct netrec *out, struct wh_error **err)
{
  out->row = json_incref(row);
  if (parse_cidr(F(out, "subnet"), &out->net, &out->prefix, err) < 0)
    return -1;
  struct in_addr a;
  if (!F(out, "gateway") || inet_pton(AF_INET, F(out, "gateway"), &a) != 1)
    return wh_error_set(err, WH_ERR_INTERNAL, "network %s: bad gateway", F(out, "name"));
  out->gw = ntohl(a.s_addr);
  (void) e;
  return 0;
}

static int insert_network(struct engine *e, const char *name, const char *bridge,
                          const char *subnet, const char *gateway, bool internal,
                          char id[WH_ID_LEN + 1], struct wh_error **err)
{
  if (wh_random_id(id, err) < 0)
    return -1;
  if (db_exec(e, "INSERT INTO networks (id, name, bridge, subnet, gateway, internal, created_ns)"
                 " VALUES (?,?,?,?,?,?,?)", "sssssdi", err, id, name, bridge, subnet, gateway,
              internal ? 1 : 0, wh_now_real_ns()) < 0) {
    if (*err && (*err)->kind == WH_ERR_EXISTS)
      return wh_error_wrap(err, "network %s (bridge %s) already exists", name, bridge);
    return -1;
  }
  return 0;
}

/* The network named ref (name, id or id prefix); "bridge" is made on
 * first use from the engine's settings. */
static int net_lookup(struct engine *e, const char *ref, struct netrec *out, struct wh_error **err)
{
  _cleanup_free_ char *pat = NULL;
  if (asprintf(&pat, "%s%%", ref) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  _cleanup_json_ json_t *rows = db_query(e, "SELECT * FROM networks WHERE name=? OR id=? OR"
                                            " (length(?) >= 4 AND id LIKE ?)", "ssss", err,
                                         ref, ref, ref, pat);
  if (!rows)
    return -1;
  if (json_array_size(rows) == 0 && !strcmp(ref, "bridge")) {
    uint32_t net;
    int prefix;
    if (parse_cidr(e->subnet, &net, &prefix, err) < 0)
      return wh_error_wrap(err, "default bridge");
    char gw[INET_ADDRSTRLEN], sub[48];
    ip_str(net + 1, gw);
    ip_str(net, sub);
    snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "/%d", prefix);
    char id[WH_ID_LEN + 1];
    _cleanup_error_ struct wh_error *e2 = NULL;
    insert_network(e, "bridge", e->bridge, sub, gw, false, id, &e2);
    json_decref(rows);
    rows = db_query(e, "SELECT * FROM networks WHERE name='bridge'", "", err);
    if (!rows)
      return -1;
  }
  if (json_array_size(rows) != 1)
    return wh_error_set(err, json_array_size(rows) ? WH_ERR_INVALID : WH_ERR_NOT_FOUND,
                        json_array_size(rows) ? "network %s is ambiguous" : "network %s not found", ref);
  return load_row(e, json_array_get(rows, 0), out, err);
}

static void write_proc(const char *path, const char *v)
{
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    wh_write_all(fd, v, strlen(v), NULL);
    close(fd);
  }
}

static int ensure_bridge(struct engine *e, const struct netrec *n, struct wh_error **err)
{
  const char *br = F(n, "bridge");
  if (!if_nametoindex(br)) {
    if (nl_bridge_add(br, err) < 0)
      return -1;
    if (nl_addr_add(br, htonl(n->gw), n->prefix, err) < 0 || nl_link_set(br, NULL, true, err) < 0) {
      nl_link_del(br, NULL);
      return -1;
    }
  }
  char path[128];
  snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", br);
  write_proc(path, "1");
  write_proc("/proc/sys/net/ipv4/ip_forward", "1");
  if (nft_ensure_table(e->nft_table, err) < 0 ||
      nft_network(e->nft_table, br, F(n, "subnet"),
                  !json_integer_value(json_object_get(n->row, "internal")), true, err) < 0)
    return -1;
  return 0;
}

static void veth_name(const char *id, char out[IFNAMSIZ])
{
  snprintf(out, IFNAMSIZ, "wh%.12s", id);
}

char *net_ns_path(struct engine *e, const char *id)
{
  char *p = NULL;
  return asprintf(&p, "%s/netns/%s", e->runroot, id) < 0 ? NULL : p;
}

/* A new network namespace, held by a bind mount at path; returns its fd. */
static int make_netns(const char *path, struct wh_error **err)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return wh_error_errno(err, "create %s", path);
  _cleanup_close_ int cur = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (cur < 0)
    return wh_error_errno(err, "open own network namespace");
  if (unshare(CLONE_NEWNET) < 0)
    return wh_error_errno(err, "unshare network namespace");
  int r = mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL);
  int saved = errno;
  if (setns(cur, CLONE_NEWNET) < 0)
    return wh_error_errno(err, "return to the host's network namespace");
  if (r < 0)
    return wh_error_errnum(err, saved, "bind mount network namespace at %s", path);
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  if (ns < 0)
    return wh_error_errno(err, "open %s", path);
  return ns;
}

static int inside(int nsfd, uint32_t ip, int prefix, uint32_t gw, struct wh_error **err)
{
  _cleanup_close_ int cur = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (cur < 0 || setns(nsfd, CLONE_NEWNET) < 0)
    return wh_error_errno(err, "enter the container's network namespace");
  int r = 0;
  if (nl_link_set("lo", NULL, true, err) < 0 || nl_addr_add("eth0", htonl(ip), prefix, err) < 0 ||
      nl_link_set("eth0", NULL, true, err) < 0 || nl_route_default(htonl(gw), err) < 0)
    r = -1;
  if (setns(cur, CLONE_NEWNET) < 0)
    return wh_error_errno(err, "return to the host's network namespace");
  return r;
}

/* Rewrite /etc/hosts of every container on network `netid` in place. */
static void hosts_refresh(struct engine *e, const char *netid)
{
  _cleanup_json_ json_t *eps = db_query(e, "SELECT e.container AS id, e.ip AS ip, c.name AS name,"
                                           " c.config AS config, c.host_config AS hc,"
                                           " n.name AS net FROM endpoints e"
                                           " JOIN containers c ON c.id = e.container"
                                           " JOIN networks n ON n.id = e.network"
                                           " WHERE e.network=?", "s", NULL, netid);
  size_t i, k;
  json_t *me, *peer;
  json_array_foreach(eps, i, me) {
    const char *id = json_string_value(json_object_get(me, "id"));
    bool user_net = strcmp(json_string_value(json_object_get(me, "net")), "bridge") != 0;
    _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
    wh_buf_printf(&b, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    const char *hcs = json_string_value(json_object_get(me, "hc"));
    _cleanup_json_ json_t *hc = hcs ? json_loads(hcs, 0, NULL) : NULL;
    json_t *v;
    json_array_foreach(json_object_get(hc, "ExtraHosts"), k, v) {
      const char *s = json_string_value(v);
      const char *colon = s ? strchr(s, ':') : NULL;
      if (colon)
        wh_buf_printf(&b, "%s\t%.*s\n", colon + 1, (int) (colon - s), s);
    }
    json_array_foreach(eps, k, peer) {
      if (!user_net && k != i)
        continue;
      const char *pcfg = json_string_value(json_object_get(peer, "config"));
      _cleanup_json_ json_t *cfg = pcfg ? json_loads(pcfg, 0, NULL) : NULL;
      const char *hn = json_string_value(json_object_get(cfg, "Hostname"));
      const char *pid = json_string_value(json_object_get(peer, "id"));
      wh_buf_printf(&b, "%s\t%s %.12s%s%s\n", json_string_value(json_object_get(peer, "ip")),
                    json_string_value(json_object_get(peer, "name")), pid,
                    hn ? " " : "", hn ? hn : "");
    }
    _cleanup_free_ char *dir = ctr_dir(e, id), *path = NULL;
    if (asprintf(&path, "%s/hosts", dir) < 0)
      continue;
    int fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      wh_write_all(fd, b.data, b.len, NULL);
      close(fd);
    }
  }
}

static bool port_free(const char *ip, int port, const char *proto)
{
  int s = socket(AF_INET, (!strcmp(proto, "udp") ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (s < 0)
    return false;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
  if (ip && *ip)
    inet_pton(AF_INET, ip, &sa.sin_addr);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  bool ok = bind(s, (struct sockaddr *) &sa, sizeof(sa)) == 0;
  close(s);
  return ok;
}

static int pick_port(const char *ip, const char *proto)
{
  int s = socket(AF_INET, (!strcmp(proto, "udp") ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (s < 0)
    return -1;
  struct sockaddr_in sa = {.sin_family = AF_INET};
  if (ip && *ip)
    inet_pton(AF_INET, ip, &sa.sin_addr);
  socklen_t len = sizeof(sa);
  int port = -1;
  if (bind(s, (struct sockaddr *) &sa, sizeof(sa)) == 0 &&
      getsockname(s, (struct sockaddr *) &sa, &len) == 0)
    port = ntohs(sa.sin_port);
  close(s);
  return port;
}

/* Record the container's published ports (in the open transaction). */
static int alloc_ports(struct engine *e, const struct ctr *c, const char *ctr_ip,
                       struct wh_error **err)
{
  json_t *pb = json_object_get(c->host_config, "PortBindings");
  _cleanup_json_ json_t *all = pb ? json_deep_copy(pb) : json_object();
  if (json_is_true(json_object_get(c->host_config, "PublishAllPorts"))) {
    _cleanup_json_ json_t *img = ctr_image_config(e, c, NULL);
    json_t *sets[2] = {json_object_get(c->config, "ExposedPorts"),
                       img ? json_object_get(img, "ExposedPorts") : NULL};
    for (int s = 0; s < 2; s++) {
      const char *key;
      json_t *v;
      json_object_foreach(sets[s], key, v)
        if (!json_object_get(all, key))
          json_object_set_new(all, key, json_pack("[{s:s,s:s}]", "HostIp", "", "HostPort", ""));
    }
  }
  const char *key;
  json_t *list;
  json_object_foreach(all, key, list) {
    int cport = atoi(key);
    const char *slash = strchr(key, '/');
    const char *proto = slash ? slash + 1 : "tcp";
    size_t i;
    json_t *b;
    json_array_foreach(list, i, b) {
      const char *hip = json_string_value(json_object_get(b, "HostIp"));
      const char *hps = json_string_value(json_object_get(b, "HostPort"));
      int hport = hps && *hps ? atoi(hps) : pick_port(hip, proto);
      if (hport <= 0)
        return wh_error_set(err, WH_ERR_IO, "no free host port for %s", key);
      _cleanup_json_ json_t *taken = db_query(e,
          "SELECT container FROM ports WHERE host_port=? AND proto=? AND"
          " (host_ip=? OR host_ip='' OR ?='')", "dsss", err, hport, proto,
          hip ? hip : "", hip ? hip : "");
      if (!taken)
        return -1;
      if (json_array_size(taken) > 0 || !port_free(hip, hport, proto))
        return wh_error_set(err, WH_ERR_BUSY, "port %s%s%d/%s is already allocated",
                            hip && *hip ? hip : "", hip && *hip ? ":" : "", hport, proto);
      if (db_exec(e, "INSERT INTO ports (container, host_ip, host_port, proto, ctr_port, ctr_ip)"
                     " VALUES (?,?,?,?,?,?)", "ssdsds", err, c->id, hip ? hip : "", hport,
                  proto, cport, ctr_ip) < 0)
        return -1;
    }
  }
  return 0;
}

static int alloc_ip(struct engine *e, const struct ctr *c, const struct netrec *n,
                    uint32_t *ip_out, struct wh_error **err)
{
  _cleanup_json_ json_t *used = db_query(e, "SELECT ip FROM endpoints WHERE network=?", "s", err,
                                         F(n, "id"));
  if (!used)
    return -1;
  uint32_t size = 1u << (32 - n->prefix);
  for (uint32_t h = 2; h < size - 1; h++) {
    uint32_t ip = n->net + h;
    if (ip == n->gw)
      continue;
    char s[INET_ADDRSTRLEN];
    ip_str(ip, s);
    bool taken = false;
    size_t i;
    json_t *r;
    json_array_foreach(used, i, r)
      taken |= !strcmp(json_string_value(json_object_get(r, "ip")), s);
    if (taken)
      continue;
    char veth[IFNAMSIZ];
    veth_name(c->id, veth);
    if (db_exec(e, "INSERT INTO endpoints (container, network, ip, mac, veth) VALUES (?,?,?,?,?)",
                "sssss", err, c->id, F(n, "id"), s, "", veth) < 0)
      return -1;
    *ip_out = ip;
    return 0;
  }
  return wh_error_set(err, WH_ERR_TOO_LARGE, "network %s: no free address in %s",
                      F(n, "name"), F(n, "subnet"));
}

/* --network container:REF: the container whose namespace is joined. */
static const char *joined_ref(const char *mode)
{
  return strncmp(mode, "container:", 10) ? NULL : mode + 10;
}

/* Check the container to join and record it by full id, as docker does
 * (a later rename of it does not matter then). */
static int check_joined(struct engine *e, const struct ctr *c, const char *ref,
                        struct wh_error **err)
{
  json_t *pb = json_object_get(c->host_config, "PortBindings");
  if (json_object_size(pb) > 0)
    return wh_error_set(err, WH_ERR_INVALID, "--network container:%s: ports are published by the container that owns the namespace, not with -p", ref);
  _cleanup_free_ char *id = NULL;
  if (!*ref)
    return wh_error_set(err, WH_ERR_INVALID, "--network container:: no container named");
  if (engine_container_resolve(e, ref, &id, err) < 0)
    return wh_error_wrap(err, "--network container:%s", ref);
  _cleanup_free_ char *mode = NULL;
  if (asprintf(&mode, "container:%s", id) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  json_object_set_new(c->host_config, "NetworkMode", json_string(mode));
  return 0;
}

/* Hold the running container's namespace at our own netns path (a bind
 * mount of its /proc/PID/ns/net), which the spec names; the namespace
 * stays ours if that container stops. */
static int join_netns(struct engine *e, const struct ctr *c, const char *id,
                      struct wh_error **err)
{
  _cleanup_ctr_ struct ctr t = {0};
  if (ctr_load(e, id, &t, err) < 0)
    return wh_error_wrap(err, "--network container:%.12s", id);
  if (strcmp(t.state, "running") || t.pid <= 0)
    return wh_error_set(err, WH_ERR_BUSY, "--network container:%s: container is not running", t.name);
  _cleanup_free_ char *nsdir = NULL, *nspath = net_ns_path(e, c->id);
  char src[64];
  snprintf(src, sizeof(src), "/proc/%d/ns/net", t.pid);
  if (!nspath || asprintf(&nsdir, "%s/netns", e->runroot) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  if (wh_mkdir_p_at(AT_FDCWD, nsdir, 0700, err) < 0)
    return -1;
  int fd = open(nspath, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return wh_error_errno(err, "create %s", nspath);
  close(fd);
  if (mount(src, nspath, NULL, MS_BIND, NULL) < 0) {
    wh_error_errno(err, "--network container:%s: bind mount %s", t.name, src);
    unlink(nspath);
    return -1;
  }
  return 0;
}

int net_check(struct engine *e, const struct ctr *c, struct wh_error **err)
{
  const char *m = mode_of(c);
  if (!strcmp(m, "none") || !strcmp(m, "host"))
    return 0;
  if (joined_ref(m))
    return check_joined(e, c, joined_ref(m), err);
  _cleanup_netrec_ struct netrec n = {0};
  return net_lookup(e, m, &n, err);
}

int net_setup(struct engine *e, const struct ctr *c, struct wh_error **err)
{
  const char *m = mode_of(c);
  if (!strcmp(m, "none") || !strcmp(m, "host"))
    return 0;
  if (joined_ref(m)) {
    net_teardown(e, c, NULL);
    return join_netns(e, c, joined_ref(m), err);
  }
  _cleanup_netrec_ struct netrec n = {0};
  if (net_lookup(e, m, &n, err) < 0)
    return -1;
  /* A monitor killed during an earlier setup may have left an address,
   * ports or a namespace behind: start from nothing. */
  net_teardown(e, c, NULL);
  uint32_t ip = 0;
  char ips[INET_ADDRSTRLEN] = "";
  _cleanup_json_ json_t *ports = NULL;
  if (db_begin(e, err) < 0)
    return -1;
  if (alloc_ip(e, c, &n, &ip, err) < 0 || (ip_str(ip, ips), alloc_ports(e, c, ips, err) < 0) ||
      db_commit(e, err) < 0) {
    db_rollback(e);
    return -1;
  }
  _cleanup_free_ char *nsdir = NULL, *nspath = net_ns_path(e, c->id);
  char veth[IFNAMSIZ];
  veth_name(c->id, veth);
  _cleanup_close_ int nsfd = -1;
  if (asprintf(&nsdir, "%s/netns", e->runroot) < 0 || wh_mkdir_p_at(AT_FDCWD, nsdir, 0700, err) < 0 ||
      ensure_bridge(e, &n, err) < 0 || (nsfd = make_netns(nspath, err)) < 0 ||
      nl_veth_add(veth, "eth0", nsfd, err) < 0 ||
      nl_link_set(veth, F(&n, "bridge"), true, err) < 0 ||
      inside(nsfd, ip, n.prefix, n.gw, err) < 0)
    goto fail;
  ports = db_query(e, "SELECT * FROM ports WHERE container=?", "s", err, c->id);
  if (!ports)
    goto fail;
  size_t i;
  json_t *p;
  json_array_foreach(ports, i, p)
    if (nft_port(e->nft_table, json_string_value(json_object_get(p, "host_ip")),
                 (int) json_integer_value(json_object_get(p, "host_port")),
                 json_string_value(json_object_get(p, "proto")), ips,
                 (int) json_integer_value(json_object_get(p, "ctr_port")), true, err) < 0)
      goto fail;
  hosts_refresh(e, F(&n, "id"));
  return 0;
fail:
  wh_error_wrap(err, "network %s", F(&n, "name"));
  net_teardown(e, c, NULL);
  return -1;
}

int net_teardown(struct engine *e, const struct ctr *c, struct wh_error **err)
{
  int r = 0;
  _cleanup_json_ json_t *ports = db_query(e, "SELECT * FROM ports WHERE container=?", "s", NULL, c->id);
  size_t i;
  json_t *p;
  json_array_foreach(ports, i, p) {
    _cleanup_error_ struct wh_error *e2 = NULL;
    nft_port(e->nft_table, json_string_value(json_object_get(p, "host_ip")),
             (int) json_integer_value(json_object_get(p, "host_port")),
             json_string_value(json_object_get(p, "proto")),
             json_string_value(json_object_get(p, "ctr_ip")),
             (int) json_integer_value(json_object_get(p, "ctr_port")), false, &e2);
  }
  char veth[IFNAMSIZ];
  veth_name(c->id, veth);
  if (nl_link_del(veth, err) < 0)
    r = -1;
  _cleanup_free_ char *ns = net_ns_path(e, c->id);
  if (ns && mount_detach_nowait(ns, err) < 0)
    r = -1;
  if (ns)
    unlink(ns);
  _cleanup_json_ json_t *nets = db_query(e, "SELECT network FROM endpoints WHERE container=?", "s",
                                         NULL, c->id);
  db_exec(e, "DELETE FROM ports WHERE container=?", "s", NULL, c->id);
  db_exec(e, "DELETE FROM endpoints WHERE container=?", "s", NULL, c->id);
  json_array_foreach(nets, i, p)
    hosts_refresh(e, json_string_value(json_object_get(p, "network")));
  return r;
}

json_t *net_ports(struct engine *e, const struct ctr *c)
{
  _cleanup_json_ json_t *rows = db_query(e, "SELECT * FROM ports WHERE container=?", "s", NULL, c->id);
  json_t *out = json_array();
  size_t i;
  json_t *p;
  json_array_foreach(rows, i, p) {
    const char *hip = json_string_value(json_object_get(p, "host_ip"));
    json_array_append_new(out, json_pack("{s:s,s:O,s:O,s:O}", "IP", hip && *hip ? hip : "0.0.0.0",
        "PrivatePort", json_object_get(p, "ctr_port"), "PublicPort", json_object_get(p, "host_port"),
        "Type", json_object_get(p, "proto")));
  }
  return out;
}

json_t *net_inspect(struct engine *e, const struct ctr *c)
{
  _cleanup_json_ json_t *eps = db_query(e, "SELECT e.ip AS ip, n.name AS name, n.id AS id,"
                                           " n.gateway AS gw, n.subnet AS subnet FROM endpoints e"
                                           " JOIN networks n ON n.id = e.network WHERE e.container=?",
                                        "s", NULL, c->id);
  json_t *nets = json_object();
  const char *ip = "", *gw = "";
  size_t i;
  json_t *r;
  json_array_foreach(eps, i, r) {
    const char *sub = json_string_value(json_object_get(r, "subnet"));
    json_object_set_new(nets, json_string_value(json_object_get(r, "name")),
        json_pack("{s:O,s:O,s:O,s:i}", "NetworkID", json_object_get(r, "id"),
                  "IPAddress", json_object_get(r, "ip"), "Gateway", json_object_get(r, "gw"),
                  "IPPrefixLen", sub && strchr(sub, '/') ? atoi(strchr(sub, '/') + 1) : 0));
    if (i == 0) {
      ip = json_string_value(json_object_get(r, "ip"));
      gw = json_string_value(json_object_get(r, "gw"));
    }
  }
  json_t *ports = json_object();
  _cleanup_json_ json_t *pl = net_ports(e, c);
  json_array_foreach(pl, i, r) {
    char key[32], hp[8];
    snprintf(key, sizeof(key), "%lld/%s", json_integer_value(json_object_get(r, "PrivatePort")),
             json_string_value(json_object_get(r, "Type")));
    snprintf(hp, sizeof(hp), "%lld", json_integer_value(json_object_get(r, "PublicPort")));
    json_t *l = json_object_get(ports, key);
    if (!l) {
      l = json_array();
      json_object_set_new(ports, key, l);
    }
    json_array_append_new(l, json_pack("{s:O,s:s}", "HostIp", json_object_get(r, "IP"), "HostPort", hp));
  }
  _cleanup_free_ char *ns = net_ns_path(e, c->id);
  return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "NetworkMode", mode_of(c), "IPAddress", ip ? ip : "",
                   "Gateway", gw ? gw : "", "SandboxKey", ns ? ns : "", "Networks", nets,
                   "Ports", ports);
}

/* --- network commands --- */

static json_t *network_obj(struct engine *e, json_t *row)
{
  const char *id = json_string_value(json_object_get(row, "id"));
  _cleanup_json_ json_t *eps = db_query(e, "SELECT e.container AS id, e.ip AS ip, c.name AS name"
                                           " FROM endpoints e JOIN containers c ON c.id = e.container"
                                           " WHERE e.network=?", "s", NULL, id);
  json_t *ctrs = json_object();
  size_t i;
  json_t *r;
  json_array_foreach(eps, i, r)
    json_object_set_new(ctrs, json_string_value(json_object_get(r, "id")),
                        json_pack("{s:O,s:O}", "Name", json_object_get(r, "name"),
                                  "IPv4Address", json_object_get(r, "ip")));
  char ts[WH_RFC3339_MAX];
  wh_rfc3339(json_integer_value(json_object_get(row, "created_ns")), 9, ts);
  return json_pack("{s:O,s:O,s:s,s:s,s:s,s:{s:[{s:O,s:O}]},s:b,s:o,s:{s:O}}",
      "Name", json_object_get(row, "name"), "Id", json_object_get(row, "id"), "Created", ts,
      "Driver", "bridge", "Scope", "local", "IPAM", "Config", "Subnet", json_object_get(row, "subnet"),
      "Gateway", json_object_get(row, "gateway"),
      "Internal", json_integer_value(json_object_get(row, "internal")) != 0,
      "Containers", ctrs, "Options", "com.docker.network.bridge.name", json_object_get(row, "bridge"));
}

/* A free /24 in 10.90.0.0/16 that no network of ours and no host
 * interface route uses. */
static int pick_subnet(struct engine *e, char out[32], struct wh_error **err)
{
  _cleanup_json_ json_t *rows = db_query(e, "SELECT subnet FROM networks", "", err);
  if (!rows)
    return -1;
  _cleanup_free_ char *routes = NULL;
  wh_read_file_at(AT_FDCWD, "/proc/net/route", 1 << 20, &routes, NULL, NULL);
  for (int k = 0; k < 256; k++) {
    snprintf(out, 32, "10.90.%d.0/24", k);
    bool used = false;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
      used |= !strcmp(json_string_value(json_object_get(r, "subnet")), out);
    /* /proc/net/route has destinations as little-endian hex. */
    char hex[16];
    snprintf(hex, sizeof(hex), "\t%02X5A0A\t", k);
    if (!used && !(routes && strstr(routes, hex)))
      return 0;
  }
  return wh_error_set(err, WH_ERR_TOO_LARGE, "no free subnet in 10.90.0.0/16; give --subnet");
}

json_t *engine_network_create(struct engine *e, const struct engine_network_create *nc,
                              struct wh_error **err)
{
  if (!nc->name || !*nc->name || strlen(nc->name) > 64 || strspn(nc->name,
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(nc->name)) {
    wh_error_set(err, WH_ERR_INVALID, "invalid network name \"%s\"", nc->name ? nc->name : "");
    return NULL;
  }
  if (!strcmp(nc->name, "bridge") || !strcmp(nc->name, "none") || !strcmp(nc->name, "host")) {
    wh_error_set(err, WH_ERR_INVALID, "network name %s is reserved", nc->name);
    return NULL;
  }
  char sub[32];
  if (nc->subnet) {
    uint32_t net;
    int prefix;
    if (parse_cidr(nc->subnet, &net, &prefix, err) < 0)
      return NULL;
    char s[INET_ADDRSTRLEN];
    ip_str(net, s);
    snprintf(sub, sizeof(sub), "%s/%d", s, prefix);
  } else if (pick_subnet(e, sub, err) < 0) {
    return NULL;
  }
  uint32_t net;
  int prefix;
  parse_cidr(sub, &net, &prefix, NULL);
  char gw[INET_ADDRSTRLEN];
  if (nc->gateway) {
    struct in_addr a;
    if (inet_pton(AF_INET, nc->gateway, &a) != 1 ||
        (ntohl(a.s_addr) & (~0u << (32 - prefix))) != net) {
      wh_error_set(err, WH_ERR_INVALID, "gateway %s is not in subnet %s", nc->gateway, sub);
      return NULL;
    }
    snprintf(gw, sizeof(gw), "%s", nc->gateway);
  } else {
    ip_str(net + 1, gw);
  }
  _cleanup_json_ json_t *clash = db_query(e, "SELECT name FROM networks WHERE subnet=?", "s", err, sub);
  if (!clash)
    return NULL;
  if (json_array_size(clash)) {
    wh_error_set(err, WH_ERR_EXISTS, "subnet %s is used by network %s", sub,
                 json_string_value(json_object_get(json_array_get(clash, 0), "name")));
    return NULL;
  }
  char id[WH_ID_LEN + 1];
  char br[IFNAMSIZ];
  if (wh_random_id(id, err) < 0)
    return NULL;
  if (nc->bridge) {
    if (strlen(nc->bridge) >= IFNAMSIZ || !*nc->bridge || strchr(nc->bridge, '/')) {
      wh_error_set(err, WH_ERR_INVALID, "bridge name \"%s\": at most 15 characters", nc->bridge);
      return NULL;
    }
    if (if_nametoindex(nc->bridge)) {
      wh_error_set(err, WH_ERR_EXISTS, "bridge %s already exists on the host", nc->bridge);
      return NULL;
    }
    snprintf(br, sizeof(br), "%s", nc->bridge);
  } else {
    snprintf(br, sizeof(br), "wh-%.8s", id);
  }
  char nid[WH_ID_LEN + 1];
  if (insert_network(e, nc->name, br, sub, gw, nc->internal, nid, err) < 0)
    return NULL;
  return engine_network_inspect(e, nid, err);
}

json_t *engine_network_list(struct engine *e, struct wh_error **err)
{
  _cleanup_netrec_ struct netrec dflt = {0};
  if (net_lookup(e, "bridge", &dflt, err) < 0)
    return NULL;
  _cleanup_json_ json_t *rows = db_query(e, "SELECT * FROM networks ORDER BY name", "", err);
  if (!rows)
    return NULL;
  json_t *out = json_array();
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r)
    json_array_append_new(out, network_obj(e, r));
  return out;
}

json_t *engine_network_inspect(struct engine *e, const char *ref, struct wh_error **err)
{
  _cleanup_netrec_ struct netrec n = {0};
  if (net_lookup(e, ref, &n, err) < 0)
    return NULL;
  return network_obj(e, n.row);
}

static int network_delete(struct engine *e, struct netrec *n, struct wh_error **err)
{
  _cleanup_json_ json_t *eps = db_query(e, "SELECT c.name AS name FROM endpoints e JOIN containers c"
                                           " ON c.id = e.container WHERE e.network=?", "s", err,
                                        F(n, "id"));
  if (!eps)
    return -1;
  if (json_array_size(eps))
    return wh_error_set(err, WH_ERR_BUSY, "network %s has active endpoints (container %s)",
                        F(n, "name"), json_string_value(json_object_get(json_array_get(eps, 0), "name")));
  _cleanup_error_ struct wh_error *e2 = NULL;
  nft_network(e->nft_table, F(n, "bridge"), F(n, "subnet"),
              !json_integer_value(json_object_get(n->row, "internal")), false, &e2);
  if (nl_link_del(F(n, "bridge"), err) < 0)
    return -1;
  return db_exec(e, "DELETE FROM networks WHERE id=?", "s", err, F(n, "id"));
}

int engine_network_remove(struct engine *e, const char *ref, struct wh_error **err)
{
  _cleanup_netrec_ struct netrec n = {0};
  if (net_lookup(e, ref, &n, err) < 0)
    return -1;
  if (!strcmp(F(&n, "name"), "bridge"))
    return wh_error_set(err, WH_ERR_DENIED, "bridge is a pre-defined network and cannot be removed");
  return network_delete(e, &n, err);
}

int engine_network_prune(struct engine *e, char ***names, struct wh_error **err)
{
  _cleanup_json_ json_t *rows = db_query(e, "SELECT * FROM networks WHERE name != 'bridge' AND id NOT IN"
                                            " (SELECT network FROM endpoints) ORDER BY name", "", err);
  if (!rows)
    return -1;
  _cleanup_strv_ char **out = calloc(json_array_size(rows) + 1, sizeof(char *));
  if (!out)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  size_t i, k = 0;
  json_t *r;
  json_array_foreach(rows, i, r) {
    _cleanup_netrec_ struct netrec n = {0};
    if (load_row(e, r, &n, err) < 0 || network_delete(e, &n, err) < 0)
      return -1;
    out[k++] = strdup(F(&n, "name"));
  }
  *names = steal_pointer(&out);
  return 0;
}
