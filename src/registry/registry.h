/* registry.h: the registry server: its configuration and lifetime.
 *
 * `struct registry` is created once by main(), holds the configuration
 * and the backends (stores, later auth and policies), and is shared read-
 * only by the request threads; anything that changes lives in the stores,
 * which do their own locking. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct wh_error;
struct MHD_Daemon;
struct blob_store;
struct meta_store;
struct audit_log;
struct metrics;
struct gc_sched;
struct meta_gc;
struct registry_auth;

struct registry_config {
  char *listen_addr;          /* "127.0.0.1" or "::1" or "0.0.0.0" */
  uint16_t listen_port;       /* 0: pick a free port (see registry_port) */
  char *data_dir;             /* ./var/registry */
  unsigned threads;           /* request threads; 0: one per core */
  unsigned drain_seconds;     /* SIGTERM: wait this long for requests */
  uint64_t max_manifest_size; /* bytes */
  unsigned upload_expiry_s;   /* abandoned upload sessions */
  bool sync_full;             /* fsync the directory after every change too */
  char *tls_cert;             /* PEM files; both or neither */
  char *tls_key;
  /* Beyond Distribution (gc.h, audit.h, metrics.h, quota in docs). */
  char *audit_log_path;       /* NULL: <data>/audit.log; "off": none */
  unsigned gc_interval_s;     /* 0: no scheduled GC */
  unsigned gc_grace_s;        /* content younger than this is never collected */
  bool gc_delete_untagged;    /* GC also removes unreachable untagged manifests */
  /* issue 7 (auth.h): --auth, creating repositories on first push, the
   * lifecycle schedule (seconds; 0 off) */
  bool auth;
  bool create_on_push;
  unsigned lifecycle_interval_s;
};

void registry_config_init(struct registry_config *c);
void registry_config_free(struct registry_config *c);
/* "ADDR:PORT", "[v6]:PORT" or ":PORT" into the config. */
int registry_config_set_listen(struct registry_config *c, const char *s,
                               struct wh_error **err);

struct registry {
  struct registry_config cfg;
  struct MHD_Daemon *daemon;
  int data_fd;                /* O_DIRECTORY of cfg.data_dir */
  struct blob_store *blobs;   /* bytes (store_blob.h) */
  struct meta_store *meta;    /* rows (store_meta.h) */
  _Atomic int64_t last_reap_ns; /* last sweep of expired upload sessions */
  /* Requests between their first byte and their completion; idle
   * keep-alive connections are not counted, so a drain waits only for
   * real work. */
  _Atomic long inflight;
  _Atomic bool stopping;      /* registry_stop has begun (see mhd_panic) */
  struct audit_log *audit;    /* audit.h; NULL when off */
  struct metrics *metrics;    /* metrics.h; NULL in commands without a server */
  struct gc_sched *gc;        /* gc.h: the GC thread and its lock */
  struct meta_gc *quota;      /* quota.c's own metadata connection */
  struct registry_auth *auth; /* NULL without --auth (auth.h) */
};

/* upload_gc.c: remove upload sessions idle since before `before_ns`
 * (their bytes and their rows). */
void registry_reap_uploads(struct registry *reg, int64_t before_ns);
/* At start: remove expired sessions, upload files without a session (a
 * crash mid-request) and sessions without a file. */
int registry_recover_uploads(struct registry *reg, struct wh_error **err);

/* quota.c: 0 if repo may grow by `adding` bytes (or has no quota);
 * WH_ERR_DENIED with a message that gives the quota and the usage if
 * not. */
int registry_quota_check(struct registry *reg, const char *repo, uint64_t adding,
                         struct wh_error **err);

/* Open the data directory and start serving on the configured address.
 * The caller must ignore SIGPIPE first (blob downloads use sendfile,
 * which cannot suppress it per call). */
int registry_start(struct registry *reg, struct wh_error **err);
/* The port actually bound (useful with listen_port 0). */
uint16_t registry_port(const struct registry *reg);
/* Stop accepting connections, wait up to drain_seconds for in-flight
 * requests, then stop. */
void registry_stop(struct registry *reg);
