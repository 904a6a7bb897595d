/* server.c: configuration, start and graceful stop of the registry.
 *
 * libmicrohttpd runs a pool of request threads (one per core by default),
 * each with its own epoll set. Stop is in two steps: quiesce (close the
 * listening socket, so new connections are refused by the kernel and a
 * load balancer moves on), then wait for in-flight requests to finish, up
 * to drain_seconds, before the daemon is stopped. */
#include "registry/registry.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "registry/auth.h"
#include "registry/lifecycle.h"
#include "registry/http_internal.h"
#include "registry/extras.h"
#include "registry/store_blob.h"
#include "registry/store_meta.h"
/* libmicrohttpd's per-connection memory pool (request headers, the read
 * buffer, reply headers). libmicrohttpd zeroes the whole pool between two
 * requests on a keep-alive connection, so every connection keeps all of
 * it resident and pays the memset per request: 256 KiB pools halved the
 * manifest GETs per second. Measured here with 16 KiB: 1 MB less peak
 * RSS under 64 connections, the same request rate, and no slower
 * uploads (bodies come in 8 KiB pieces; on loopback a reader with 16 KiB
 * buffers spends less CPU than one with 1 MiB buffers). Request headers
 * up to about 15 KiB in all fit (more gets 431), nginx's default is 8 KiB
 * per line. */
#define MEMLIMIT (16 * 1024)
#define MEMINC (4 * 1024)

void registry_config_init(struct registry_config *c)
{
  memset(c, 0, sizeof(*c));
  c->listen_addr = strdup("127.0.0.1");
  c->listen_port = 5000;
  c->data_dir = strdup("./var/registry");
  c->threads = 0;
  c->drain_seconds = 30;
  c->max_manifest_size = 4 * 1024 * 1024;
  c->upload_expiry_s = 24 * 3600;
  c->gc_interval_s = 3600;
  c->gc_grace_s = 3600;
  c->create_on_push = true;
  c->lifecycle_interval_s = 3600;
}

void registry_config_free(struct registry_config *c)
{
  free(c->listen_addr);
  free(c->data_dir);
  free(c->tls_cert);
  free(c->tls_key);
  free(c->audit_log_path);
  memset(c, 0, sizeof(*c));
}

int registry_config_set_listen(struct registry_config *c, const char *s,
                               struct wh_error **err)
{
  const char *colon;
  _cleanup_free_ char *host = NULL;
  if (s[0] == '[') {
    const char *close_b = strchr(s, ']');
    if (!close_b || close_b[1] != ':')
      return wh_error_set(err, WH_ERR_INVALID,
                          "listen address %s: expected [IPv6]:PORT", s);
    host = strndup(s + 1, (size_t) (close_b - s - 1));
    colon = close_b + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon)
      return wh_error_set(err, WH_ERR_INVALID,
                          "listen address %s: expected ADDR:PORT", s);
    host = strndup(s, (size_t) (colon - s));
  }
  if (!host)
    return wh_error_errno(err, "listen address");
  char *end;
  errno = 0;
  unsigned long port = strtoul(colon + 1, &end, 10);
  if (errno || *end || colon[1] == '\0' || port > 65535)
    return wh_error_set(err, WH_ERR_INVALID,
                        "listen address %s: port must be a number from 0 to 65535", s);
  if (host[0] == '\0') {
    free(host);
    host = strdup("0.0.0.0");
  }
  unsigned char tmp[16];
  if (inet_pton(AF_INET, host, tmp) != 1 && inet_pton(AF_INET6, host, tmp) != 1)
    return wh_error_set(err, WH_ERR_INVALID,
                        "listen address %s: %s is not an IPv4 or IPv6 address", s, host);
  free(c->listen_addr);
  c->listen_addr = steal_pointer(&host);
  c->listen_port = (uint16_t) port;
  return 0;
}

static int make_sockaddr(const struct registry_config *c,
                         struct sockaddr_storage *ss, struct wh_error **err)
{
  memset(ss, 0, sizeof(*ss));
  struct sockaddr_in *s4 = (struct sockaddr_in *) ss;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) ss;
  if (inet_pton(AF_INET, c->listen_addr, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons(c->listen_port);
    return 0;
  }
  if (inet_pton(AF_INET6, c->listen_addr, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(c->listen_port);
    return 0;
  }
  return wh_error_set(err, WH_ERR_INVALID, "listen address %s is not an IP address",
                      c->listen_addr);
}

__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
  char msg[512];
  vsnprintf(msg, sizeof(msg), fmt, ap);
  size_t n = strlen(msg);
  while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
    msg[--n] = '\0';
  wh_log(WH_LOG_WARN, "http", "%s", msg);
}

/* libmicrohttpd 0.9.75 (Debian 12): MHD_quiesce_daemon and a pool
 * thread that is awake at that moment can both take the listening socket
 * out of the thread's epoll set; the second gets ENOENT and "panics"
 * (abort), so a stop during a request could end in SIGABRT (seen once in
 * test_ecr_auth's teardown). Past that check the library only marks the
 * socket as removed, so while stopping that one report is harmless and
 * we return; anything else aborts as libmicrohttpd's own handler does. */
static void mhd_panic(void *cls, const char *file, unsigned int line, const char *reason)
{
  struct registry *reg = cls;
  if (reg && atomic_load(&reg->stopping) && reason &&
      strstr(reason, "Failed to remove listen FD from epoll set")) {
    wh_log(WH_LOG_DEBUG, "http", "ignored while stopping: %s", reason);
    return;
  }
  fprintf(stderr, "Fatal error in GNU libmicrohttpd %s:%u: %s", file ? file : "?", line,
          reason ? reason : "");
  abort();
}

int registry_start(struct registry *reg, struct wh_error **err)
{
  struct registry_config *c = &reg->cfg;
  reg->data_fd = -1;
  if (wh_mkdir_p_at(AT_FDCWD, c->data_dir, 0755, err) < 0)
    return wh_error_wrap(err, "data directory %s", c->data_dir);
  reg->data_fd = open(c->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (reg->data_fd < 0)
    return wh_error_errno(err, "open data directory %s", c->data_dir);
  /* One registry per data directory: a second one would remove the
   * first one's uploads as stale at its start. The lock goes with the
   * process, so a crash never leaves it behind. */
  if (flock(reg->data_fd, LOCK_EX | LOCK_NB) < 0)
    return errno == EWOULDBLOCK
               ? wh_error_set(err, WH_ERR_BUSY,
                              "data directory %s is in use by another wharf-registry",
                              c->data_dir)
               : wh_error_errno(err, "lock data directory %s", c->data_dir);
  reg->blobs = blob_store_fs_open(reg->data_fd, c->sync_full, err);
  if (!reg->blobs)
    return wh_error_wrap(err, "data directory %s", c->data_dir);
  reg->meta = meta_store_sqlite_open(reg->data_fd, c->data_dir, c->sync_full, err);
  if (!reg->meta)
    return -1;
  if (registry_recover_uploads(reg, err) < 0)
    return wh_error_wrap(err, "clean up uploads");
  if (registry_start_extras(reg, err) < 0)
    return -1;
  if (c->auth) {
    reg->auth = registry_auth_open(reg, c->create_on_push, c->lifecycle_interval_s, err);
    if (!reg->auth || lifecycle_start(reg, err) < 0)
      return wh_error_wrap(err, "auth");
  }

  struct sockaddr_storage ss;
  if (make_sockaddr(c, &ss, err) < 0)
    return -1;
  unsigned threads = c->threads;
  if (threads == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    threads = n > 0 ? (unsigned) n : 1;
  }
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                   MHD_USE_TURBO | MHD_USE_ITC | MHD_USE_ERROR_LOG;
  if (ss.ss_family == AF_INET6)
    flags |= MHD_USE_IPv6;

  _cleanup_free_ char *cert = NULL, *key = NULL;
  if ((c->tls_cert != NULL) != (c->tls_key != NULL))
    return wh_error_set(err, WH_ERR_INVALID,
                        "TLS needs both --tls-cert and --tls-key");
  if (c->tls_cert) {
    if (wh_read_file_at(AT_FDCWD, c->tls_cert, 1 << 20, &cert, NULL, err) < 0)
      return wh_error_wrap(err, "TLS certificate");
    if (wh_read_file_at(AT_FDCWD, c->tls_key, 1 << 20, &key, NULL, err) < 0)
      return wh_error_wrap(err, "TLS key");
    flags |= MHD_USE_TLS;
  }

  struct MHD_OptionItem tls_opts[] = {
    { cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, cert },
    { MHD_OPTION_HTTPS_MEM_KEY, 0, key },
    { MHD_OPTION_END, 0, NULL },
  };
  atomic_store(&reg->stopping, false);
  MHD_set_panic_func(mhd_panic, reg);
  reg->daemon = MHD_start_daemon(
      flags, c->listen_port, NULL, NULL, http_access, reg,
      MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &ss,
      MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_URI_LOG_CALLBACK, http_request_new, reg,
      MHD_OPTION_NOTIFY_COMPLETED, http_request_completed, reg,
      MHD_OPTION_NOTIFY_CONNECTION, http_connection_notify, reg,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 300,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned) 4096,
      /* Without this, libmicrohttpd on Linux never uses sendfile (it
       * cannot keep sendfile from raising SIGPIPE) and copies blob
       * downloads through a 16 KiB buffer: a third of the throughput. */
      MHD_OPTION_SIGPIPE_HANDLED_BY_APP, (int) 1,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) MEMLIMIT,
      MHD_OPTION_CONNECTION_MEMORY_INCREMENT, (size_t) MEMINC,
      MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned) 1,
      MHD_OPTION_ARRAY, tls_opts,
      MHD_OPTION_END);
  if (!reg->daemon)
    return wh_error_set(err, WH_ERR_IO,
                        "cannot listen on %s port %u (address in use, or not "
                        "an address of this host?)",
                        c->listen_addr, c->listen_port);
  return 0;
}

uint16_t registry_port(const struct registry *reg)
{
  const union MHD_DaemonInfo *di =
      MHD_get_daemon_info(reg->daemon, MHD_DAEMON_INFO_BIND_PORT);
  return di ? di->port : 0;
}

void registry_stop(struct registry *reg)
{
  if (reg->daemon) {
    atomic_store(&reg->stopping, true);
    MHD_socket lfd = MHD_quiesce_daemon(reg->daemon);
    if (lfd != MHD_INVALID_SOCKET)
      close(lfd);
    int64_t deadline = wh_now_mono_ns() + (int64_t) reg->cfg.drain_seconds * 1000000000LL;
    for (;;) {
      long busy = atomic_load(&reg->inflight);
      if (busy <= 0)
        break;
      if (wh_now_mono_ns() >= deadline) {
        wh_log(WH_LOG_WARN, "shutdown", "%ld requests still in flight after %u s; closing them",
               busy, reg->cfg.drain_seconds);
        break;
      }
      struct timespec ts = { 0, 20 * 1000000L };
      nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(reg->daemon);
    reg->daemon = NULL;
    MHD_set_panic_func(NULL, NULL);   /* back to the library's own */
  }
  /* Lifecycle runs report to the metrics and the audit log: stop them
   * before the extras go. */
  if (reg->auth) {
    lifecycle_stop(reg);
    registry_auth_close(reg->auth);
    reg->auth = NULL;
  }
  registry_stop_extras(reg);
  if (reg->meta)
    meta_store_close(reg->meta);
  reg->meta = NULL;
  blob_store_close(reg->blobs);
  reg->blobs = NULL;
  if (reg->data_fd >= 0)
    close(reg->data_fd);
  reg->data_fd = -1;
}
