/* parse.c: command-line values of run/create into docker-shaped JSON.
 *
 * Each function takes one flag value from the user and either returns its
 * HostConfig/Config form or an error that names the flag and what is
 * wrong with it, so the command line stays a table of flags. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "internal.h"

int engine_parse_size(const char *s, int64_t *out, struct wh_error **err)
{
  char *end;
  errno = 0;
  if (!s || !isdigit((unsigned char) *s))
    return wh_error_set(err, WH_ERR_INVALID, "invalid size \"%s\": expected a number with an optional unit (b, k, m, g)", s ? s : "");
  double v = strtod(s, &end);
  if (errno || v < 0)
    return wh_error_set(err, WH_ERR_INVALID, "invalid size \"%s\"", s);
  double mul = 1;
  if (*end) {
    switch (tolower((unsigned char) *end)) {
    case 'b': mul = 1; break;
    case 'k': mul = 1024.0; break;
    case 'm': mul = 1024.0 * 1024; break;
    case 'g': mul = 1024.0 * 1024 * 1024; break;
    case 't': mul = 1024.0 * 1024 * 1024 * 1024; break;
    default:
      return wh_error_set(err, WH_ERR_INVALID, "invalid size \"%s\": unknown unit '%c'", s, *end);
    }
    end++;
    if (*end == 'b' || *end == 'B')
      end++;
    if (*end)
      return wh_error_set(err, WH_ERR_INVALID, "invalid size \"%s\": trailing \"%s\"", s, end);
  }
  v *= mul;
  if (v > (double) INT64_MAX)
    return wh_error_set(err, WH_ERR_INVALID, "invalid size \"%s\": too large", s);
  *out = (int64_t) v;
  return 0;
}

static int parse_port(const char *s, size_t len, long *out, const char *what,
                      const char *whole, struct wh_error **err)
{
  char buf[16];
  if (len == 0 || len >= sizeof(buf))
    return wh_error_set(err, WH_ERR_INVALID, "invalid publish \"%s\": %s port missing or too long", whole, what);
  memcpy(buf, s, len);
  buf[len] = 0;
  char *end;
  errno = 0;
  long v = strtol(buf, &end, 10);
  if (errno || *end || v < 1 || v > 65535 || !isdigit((unsigned char) buf[0]))
    return wh_error_set(err, WH_ERR_INVALID, "invalid publish \"%s\": %s port \"%s\" is not in 1-65535", whole, what, buf);
  *out = v;
  return 0;
}

int engine_parse_publish(const char *s, json_t *config, json_t *host_config,
                         struct wh_error **err)
{
  char ip[64] = "";
  const char *rest = s;
  const char *proto = "tcp";
  /* [ip:][hostport:]ctrport[/proto]; an IPv6 ip is in brackets. */
  char work[256];
  if (strlen(s) >= sizeof(work))
    return wh_error_set(err, WH_ERR_INVALID, "invalid publish \"%.40s…\": too long", s);
  strcpy(work, s);
  char *slash = strrchr(work, '/');
  if (slash) {
    *slash = 0;
    proto = slash + 1;
    if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
      return wh_error_set(err, WH_ERR_INVALID, "invalid publish \"%s\": protocol \"%s\" is not tcp or udp", s, proto);
  }
  char *parts[3];
  int n = 0;
  char *p = work;
  if (*p == '[') {
    char *close = strchr(p, ']');
    if (!close || close[1] != ':')
      return wh_error_set(err, WH_ERR_INVALID, "invalid publish \"%s\": bad IPv6 address", s);
    *close = 0;
    parts[n++] = p + 1;
    p = close + 2;
  }
  while (n < 3) {
    parts[n++] = p;
    char *c = strchr(p, ':');
    if (!c)
      break;
    *c = 0;
    p = c + 1;
    if (n == 3)
      return wh_error_set(err, WH_ERR_INVALID, "invalid publish \"%s\": too many ':'", s);
  }
  const char *host_port = "", *ctr_port;
  if (n == 1) {
    ctr_port = parts[0];
  } else if (n == 2) {
    host_port = parts[0];
    ctr_port = parts[1];
  } else {
    snprintf(ip, sizeof(ip), "%s", parts[0]);
    host_port = parts[1];
    ctr_port = parts[2];
  }
  (void) rest;
  if (*ip) {
    unsigned char a[16];
    if (inet_pton(AF_INET, ip, a) != 1)
      return wh_error_set(err, WH_ERR_INVALID, "invalid publish \"%s\": \"%s\" is not an IPv4 address", s, ip);
  }
  long cp, hp = 0;
  if (parse_port(ctr_port, strlen(ctr_port), &cp, "container", s, err) < 0)
    return -1;
  if (*host_port && parse_port(host_port, strlen(host_port), &hp, "host", s, err) < 0)
    return -1;
  char key[32];
  snprintf(key, sizeof(key), "%ld/%s", cp, proto);
  json_t *exposed = json_object_get(config, "ExposedPorts");
  if (!exposed) {
    exposed = json_object();
    json_object_set_new(config, "ExposedPorts", exposed);
  }
  json_object_set_new(exposed, key, json_object());
  json_t *pb = json_object_get(host_config, "PortBindings");
  if (!pb) {
    pb = json_object();
    json_object_set_new(host_config, "PortBindings", pb);
  }
  json_t *list = json_object_get(pb, key);
  if (!list) {
    list = json_array();
    json_object_set_new(pb, key, list);
  }
  char hps[8] = "";
  if (hp)
    snprintf(hps, sizeof(hps), "%ld", hp);
  json_array_append_new(list, json_pack("{s:s,s:s}", "HostIp", ip, "HostPort", hps));
  return 0;
}

static bool valid_volume_name(const char *n)
{
  if (!isalnum((unsigned char) n[0]))
    return false;
  size_t len = 0;
  for (const char *p = n; *p; p++, len++)
    if (!isalnum((unsigned char) *p) && *p != '_' && *p != '.' && *p != '-')
      return false;
  return len <= 128;
}

static int check_target(const char *flag, const char *whole, const char *t,
                        struct wh_error **err)
{
  if (t[0] != '/')
    return wh_error_set(err, WH_ERR_INVALID, "invalid %s \"%s\": container path \"%s\" is not absolute", flag, whole, t);
  if (strlen(t) > PATH_MAX)
    return wh_error_set(err, WH_ERR_INVALID, "invalid %s: path too long", flag);
  return 0;
}

json_t *engine_parse_volume(const char *s, struct wh_error **err)
{
  _cleanup_free_ char *w = strdup(s);
  if (!w)
    return NULL;
  char *f[3] = {NULL, NULL, NULL};
  int n = 0;
  for (char *p = w; n < 3;) {
    f[n++] = p;
    char *c = strchr(p, ':');
    if (!c)
      break;
    *c = 0;
    p = c + 1;
    if (n == 3) {
      wh_error_set(err, WH_ERR_INVALID, "invalid volume \"%s\": too many ':'", s);
      return NULL;
    }
  }
  bool ro = false;
  const char *src = NULL, *dst;
  if (n == 1) {
    dst = f[0];
  } else {
    src = f[0];
    dst = f[1];
    if (n == 3) {
      for (char *o = strtok(f[2], ","); o; o = strtok(NULL, ",")) {
        if (!strcmp(o, "ro"))
          ro = true;
        else if (!strcmp(o, "rw"))
          ro = false;
        else if (strcmp(o, "z") && strcmp(o, "Z")) {
          wh_error_set(err, WH_ERR_INVALID, "invalid volume \"%s\": unknown option \"%s\" (ro, rw)", s, o);
          return NULL;
        }
      }
    }
  }
  if (check_target("volume", s, dst, err) < 0)
    return NULL;
  const char *type = "volume";
  if (src && src[0] == '/')
    type = "bind";
  else if (src && !valid_volume_name(src)) {
    wh_error_set(err, WH_ERR_INVALID, "invalid volume \"%s\": \"%s\" is neither an absolute host path nor a volume name ([A-Za-z0-9][A-Za-z0-9_.-]*)", s, src);
    return NULL;
  }
  return json_pack("{s:s,s:s,s:s,s:b}", "Type", type, "Source", src ? src : "",
                   "Target", dst, "ReadOnly", ro);
}

json_t *engine_parse_mount(const char *s, struct wh_error **err)
{
  _cleanup_free_ char *w = strdup(s);
  if (!w)
    return NULL;
  const char *type = "volume", *src = "", *dst = NULL;
  bool ro = false;
  int64_t size = 0;
  char *save = NULL;
  for (char *kv = strtok_r(w, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(kv, '=');
    const char *v = eq ? eq + 1 : NULL;
    if (eq)
      *eq = 0;
    if (!strcmp(kv, "type") && v)
      type = v;
    else if ((!strcmp(kv, "source") || !strcmp(kv, "src")) && v)
      src = v;
    else if ((!strcmp(kv, "target") || !strcmp(kv, "destination") || !strcmp(kv, "dst")) && v)
      dst = v;
    else if (!strcmp(kv, "readonly") || !strcmp(kv, "ro"))
      ro = !v || !strcmp(v, "true") || !strcmp(v, "1");
    else if (!strcmp(kv, "tmpfs-size") && v) {
      if (engine_parse_size(v, &size, err) < 0) {
        wh_error_wrap(err, "invalid mount \"%s\"", s);
        return NULL;
      }
    } else {
      wh_error_set(err, WH_ERR_INVALID, "invalid mount \"%s\": unknown key \"%s\"", s, kv);
      return NULL;
    }
  }
  if (strcmp(type, "bind") && strcmp(type, "volume") && strcmp(type, "tmpfs")) {
    wh_error_set(err, WH_ERR_INVALID, "invalid mount \"%s\": type \"%s\" is not bind, volume or tmpfs", s, type);
    return NULL;
  }
  if (!dst) {
    wh_error_set(err, WH_ERR_INVALID, "invalid mount \"%s\": target is required", s);
    return NULL;
  }
  if (check_target("mount", s, dst, err) < 0)
    return NULL;
  if (!strcmp(type, "bind") && src[0] != '/') {
    wh_error_set(err, WH_ERR_INVALID, "invalid mount \"%s\": a bind source must be an absolute path", s);
    return NULL;
  }
  if (!strcmp(type, "volume") && *src && !valid_volume_name(src)) {
    wh_error_set(err, WH_ERR_INVALID, "invalid mount \"%s\": bad volume name \"%s\"", s, src);
    return NULL;
  }
  if (!strcmp(type, "tmpfs") && *src) {
    wh_error_set(err, WH_ERR_INVALID, "invalid mount \"%s\": tmpfs takes no source", s);
    return NULL;
  }
  json_t *m = json_pack("{s:s,s:s,s:s,s:b}", "Type", type, "Source", src,
                        "Target", dst, "ReadOnly", ro);
  if (m && size)
    json_object_set_new(m, "TmpfsOptions", json_pack("{s:I}", "SizeBytes", (json_int_t) size));
  return m;
}

json_t *engine_parse_tmpfs(const char *s, struct wh_error **err)
{
  _cleanup_free_ char *w = strdup(s);
  if (!w)
    return NULL;
  char *opts = strchr(w, ':');
  if (opts)
    *opts++ = 0;
  if (check_target("tmpfs", s, w, err) < 0)
    return NULL;
  int64_t size = 0;
  if (opts) {
    for (char *o = strtok(opts, ","); o; o = strtok(NULL, ",")) {
      if (!strncmp(o, "size=", 5)) {
        if (engine_parse_size(o + 5, &size, err) < 0) {
          wh_error_wrap(err, "invalid tmpfs \"%s\"", s);
          return NULL;
        }
      } else if (strcmp(o, "rw") && strcmp(o, "ro") && strcmp(o, "noexec") &&
                 strcmp(o, "exec") && strcmp(o, "nosuid") && strcmp(o, "nodev") &&
                 strncmp(o, "mode=", 5)) {
        wh_error_set(err, WH_ERR_INVALID, "invalid tmpfs \"%s\": unknown option \"%s\"", s, o);
        return NULL;
      }
    }
  }
  json_t *m = json_pack("{s:s,s:s,s:s,s:b}", "Type", "tmpfs", "Source", "",
                        "Target", w, "ReadOnly", false);
  if (m && size)
    json_object_set_new(m, "TmpfsOptions", json_pack("{s:I}", "SizeBytes", (json_int_t) size));
  return m;
}

static int parse_ulimit_value(const char *v, int64_t *out)
{
  char *end;
  errno = 0;
  if (!strcmp(v, "unlimited") || !strcmp(v, "-1")) {
    *out = -1;
    return 0;
  }
  long long x = strtoll(v, &end, 10);
  if (errno || *end || end == v || x < 0)
    return -1;
  *out = x;
  return 0;
}

json_t *engine_parse_ulimit(const char *s, struct wh_error **err)
{
  static const char *const names[] = {
    "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice",
    "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack", "as",
  };
  _cleanup_free_ char *w = strdup(s);
  if (!w)
    return NULL;
  char *eq = strchr(w, '=');
  if (!eq) {
    wh_error_set(err, WH_ERR_INVALID, "invalid ulimit \"%s\": expected NAME=SOFT[:HARD]", s);
    return NULL;
  }
  *eq = 0;
  bool known = false;
  for (size_t i = 0; i < WH_ARRAY_SIZE(names); i++)
    known |= !strcmp(names[i], w);
  if (!known) {
    wh_error_set(err, WH_ERR_INVALID, "invalid ulimit \"%s\": unknown limit \"%s\"", s, w);
    return NULL;
  }
  char *hard = strchr(eq + 1, ':');
  if (hard)
    *hard++ = 0;
  int64_t sv, hv;
  if (parse_ulimit_value(eq + 1, &sv) < 0 || (hard && parse_ulimit_value(hard, &hv) < 0)) {
    wh_error_set(err, WH_ERR_INVALID, "invalid ulimit \"%s\": values must be numbers", s);
    return NULL;
  }
  if (!hard)
    hv = sv;
  if (hv != -1 && (sv == -1 || sv > hv)) {
    wh_error_set(err, WH_ERR_INVALID, "invalid ulimit \"%s\": soft limit above hard limit", s);
    return NULL;
  }
  return json_pack("{s:s,s:I,s:I}", "Name", w, "Soft", (json_int_t) sv, "Hard", (json_int_t) hv);
}

json_t *engine_parse_restart(const char *s, struct wh_error **err)
{
  long max = 0;
  if (!strcmp(s, "no") || !strcmp(s, "always") || !strcmp(s, "unless-stopped"))
    return json_pack("{s:s,s:i}", "Name", s, "MaximumRetryCount", 0);
  if (!strncmp(s, "on-failure", 10) && (s[10] == 0 || s[10] == ':')) {
    if (s[10] == ':') {
      char *end;
      errno = 0;
      max = strtol(s + 11, &end, 10);
      if (errno || *end || end == s + 11 || max < 0 || max > 1000000) {
        wh_error_set(err, WH_ERR_INVALID, "invalid restart policy \"%s\": bad retry count", s);
        return NULL;
      }
    }
    return json_pack("{s:s,s:i}", "Name", "on-failure", "MaximumRetryCount", (int) max);
  }
  wh_error_set(err, WH_ERR_INVALID, "invalid restart policy \"%s\": expected no, always, unless-stopped or on-failure[:N]", s);
  return NULL;
}

json_t *engine_parse_device(const char *s, struct wh_error **err)
{
  _cleanup_free_ char *w = strdup(s);
  if (!w)
    return NULL;
  char *f[3] = {w, NULL, NULL};
  char *c = strchr(w, ':');
  if (c) {
    *c = 0;
    f[1] = c + 1;
    c = strchr(f[1], ':');
    if (c) {
      *c = 0;
      f[2] = c + 1;
    }
  }
  const char *perms = "rwm";
  if (f[1] && f[1][0] != '/') {
    perms = f[1];
    f[1] = NULL;
  } else if (f[2]) {
    perms = f[2];
  }
  if (f[0][0] != '/') {
    wh_error_set(err, WH_ERR_INVALID, "invalid device \"%s\": host path must be absolute", s);
    return NULL;
  }
  if (!*perms || strspn(perms, "rwm") != strlen(perms)) {
    wh_error_set(err, WH_ERR_INVALID, "invalid device \"%s\": permissions must be of r, w, m", s);
    return NULL;
  }
  return json_pack("{s:s,s:s,s:s}", "PathOnHost", f[0], "PathInContainer",
                   f[1] ? f[1] : f[0], "CgroupPermissions", perms);
}

int engine_parse_add_host(const char *s, struct wh_error **err)
{
  const char *c = strchr(s, ':');
  if (!c || c == s)
    return wh_error_set(err, WH_ERR_INVALID, "invalid add-host \"%s\": expected NAME:IP", s);
  unsigned char a[16];
  if (inet_pton(AF_INET, c + 1, a) != 1 && inet_pton(AF_INET6, c + 1, a) != 1)
    return wh_error_set(err, WH_ERR_INVALID, "invalid add-host \"%s\": \"%s\" is not an IP address", s, c + 1);
  for (const char *p = s; p < c; p++)
    if (!isalnum((unsigned char) *p) && *p != '-' && *p != '.' && *p != '_')
      return wh_error_set(err, WH_ERR_INVALID, "invalid add-host \"%s\": bad host name", s);
  return 0;
}

int engine_parse_env_file(const char *path, json_t *env, struct wh_error **err)
{
  _cleanup_free_ char *data = NULL;
  if (wh_read_file_at(AT_FDCWD, path, 1 << 20, &data, NULL, err) < 0)
    return wh_error_wrap(err, "env file %s", path);
  int lineno = 0;
  char *save = NULL;
  for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    lineno++;
    size_t n = strlen(l);
    if (n && l[n - 1] == '\r')
      l[--n] = 0;
    while (isspace((unsigned char) *l))
      l++;
    if (!*l || *l == '#')
      continue;
    char *eq = strchr(l, '=');
    if (eq == l)
      return wh_error_set(err, WH_ERR_INVALID, "env file %s line %d: empty variable name", path, lineno);
    for (char *p = l; p < (eq ? eq : l + strlen(l)); p++)
      if (isspace((unsigned char) *p))
        return wh_error_set(err, WH_ERR_INVALID, "env file %s line %d: variable name has white space", path, lineno);
    if (eq) {
      json_array_append_new(env, json_string(l));
    } else {
      const char *v = getenv(l);
      if (v) {
        _cleanup_free_ char *kv = NULL;
        if (asprintf(&kv, "%s=%s", l, v) < 0)
          return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
        json_array_append_new(env, json_string(kv));
      }
    }
  }
  return 0;
}

int engine_parse_signal(const char *s, int *sig, struct wh_error **err)
{
  static const struct { const char *name; int sig; } sigs[] = {
    {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT}, {"BUS", SIGBUS}, {"FPE", SIGFPE},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"CHLD", SIGCHLD},
    {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU}, {"URG", SIGURG}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"PWR", SIGPWR}, {"SYS", SIGSYS},
  };
  if (isdigit((unsigned char) *s)) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 1 || v > 64)
      return wh_error_set(err, WH_ERR_INVALID, "invalid signal \"%s\"", s);
    *sig = (int) v;
    return 0;
  }
  const char *n = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
  for (size_t i = 0; i < WH_ARRAY_SIZE(sigs); i++)
    if (!strcasecmp(n, sigs[i].name)) {
      *sig = sigs[i].sig;
      return 0;
    }
  return wh_error_set(err, WH_ERR_INVALID, "invalid signal \"%s\"", s);
}
