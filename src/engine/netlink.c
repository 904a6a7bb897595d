/* netlink.c: the rtnetlink requests the engine's networks need (bridge,
 * veth pair, address, link up, default route, link delete), one function
 * each, through libmnl. Each call opens its own socket in the calling
 * thread's network namespace, so a caller that has setns()'d into a
 * container configures that namespace. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "netlink.h"

/* MNL_SOCKET_BUFFER_SIZE is a sysconf() call: a fixed page-sized buffer
 * holds any request and reply made here. */
#define NL_BUF 8192

struct nl {
  struct mnl_socket *s;
  unsigned seq;
};

static int nl_talk(struct nlmsghdr *nlh, const char *what, struct wh_error **err)
{
  struct mnl_socket *s = mnl_socket_open(NETLINK_ROUTE);
  if (!s)
    return wh_error_errno(err, "netlink socket");
  char buf[NL_BUF];
  int r = -1;
  unsigned seq = (unsigned) time(NULL);
  nlh->nlmsg_seq = seq;
  nlh->nlmsg_flags |= NLM_F_ACK;
  if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
    wh_error_errno(err, "netlink bind");
    goto out;
  }
  if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0) {
    wh_error_errno(err, "%s", what);
    goto out;
  }
  ssize_t n = mnl_socket_recvfrom(s, buf, sizeof(buf));
  if (n < 0) {
    wh_error_errno(err, "%s", what);
    goto out;
  }
  if (mnl_cb_run(buf, (size_t) n, seq, mnl_socket_get_portid(s), NULL, NULL) < 0) {
    wh_error_errno(err, "%s", what);
    goto out;
  }
  r = 0;
out:
  mnl_socket_close(s);
  return r;
}

static struct nlmsghdr *link_msg(char *buf, int type, int flags, struct ifinfomsg **ifm)
{
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = (uint16_t) type;
  nlh->nlmsg_flags = (uint16_t) (NLM_F_REQUEST | flags);
  *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(**ifm));
  (*ifm)->ifi_family = AF_UNSPEC;
  return nlh;
}

int nl_bridge_add(const char *name, struct wh_error **err)
{
  char buf[NL_BUF];
  struct ifinfomsg *ifm;
  struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifm);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end(nlh, li);
  if (nl_talk(nlh, "create bridge", err) < 0)
    return wh_error_wrap(err, "bridge %s", name);
  return 0;
}

int nl_veth_add(const char *host, const char *peer, int peer_ns_fd, struct wh_error **err)
{
  char buf[NL_BUF];
  struct ifinfomsg *ifm;
  struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifm);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, host);
  struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
  struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  struct nlattr *pi = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  struct ifinfomsg *pifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifm));
  pifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
  mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t) peer_ns_fd);
  mnl_attr_nest_end(nlh, pi);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, li);
  if (nl_talk(nlh, "create veth", err) < 0)
    return wh_error_wrap(err, "veth %s", host);
  return 0;
}

static int ifindex(const char *name, struct wh_error **err)
{
  unsigned i = if_nametoindex(name);
  if (!i)
    return wh_error_errno(err, "interface %s", name);
  return (int) i;
}

int nl_link_set(const char *name, const char *master, bool up, struct wh_error **err)
{
  int idx = ifindex(name, err);
  if (idx < 0)
    return -1;
  int midx = 0;
  if (master && (midx = ifindex(master, err)) < 0)
    return -1;
  char buf[NL_BUF];
  struct ifinfomsg *ifm;
  struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, &ifm);
  ifm->ifi_index = idx;
  if (up) {
    ifm->ifi_flags = IFF_UP;
    ifm->ifi_change = IFF_UP;
  }
  if (midx)
    mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t) midx);
  if (nl_talk(nlh, "set link", err) < 0)
    return wh_error_wrap(err, "interface %s", name);
  return 0;
}

int nl_link_del(const char *name, struct wh_error **err)
{
  unsigned idx = if_nametoindex(name);
  if (!idx)
    return 0; /* already gone */
  char buf[NL_BUF];
  struct ifinfomsg *ifm;
  struct nlmsghdr *nlh = link_msg(buf, RTM_DELLINK, 0, &ifm);
  ifm->ifi_index = (int) idx;
  if (nl_talk(nlh, "delete link", err) < 0 && errno != ENODEV)
    return wh_error_wrap(err, "interface %s", name);
  return 0;
}

int nl_addr_add(const char *name, uint32_t addr_be, int prefix, struct wh_error **err)
{
  int idx = ifindex(name, err);
  if (idx < 0)
    return -1;
  char buf[NL_BUF];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = (unsigned char) prefix;
  ifa->ifa_index = (unsigned) idx;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  mnl_attr_put_u32(nlh, IFA_LOCAL, addr_be);
  mnl_attr_put_u32(nlh, IFA_ADDRESS, addr_be);
  if (nl_talk(nlh, "add address", err) < 0)
    return wh_error_wrap(err, "interface %s", name);
  return 0;
}

int nl_route_default(uint32_t gw_be, struct wh_error **err)
{
  char buf[NL_BUF];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
  rtm->rtm_family = AF_INET;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put_u32(nlh, RTA_GATEWAY, gw_be);
  if (nl_talk(nlh, "add default route", err) < 0)
    return -1;
  return 0;
}
