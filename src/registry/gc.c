/* gc.c: online garbage collection (gc.h): a run, the server's schedule,
 * and the control socket through which `wharf-registry gc` asks a
 * running server for a run. */
#include "registry/gc.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "registry/audit.h"
#include "registry/manifest.h"
#include "registry/metrics.h"
#include "registry/registry.h"
#include "registry/store_blob.h"
#include "registry/store_meta_gc.h"

/* Files deleted per hold of the GC lock: short holds, so a blob upload
 * waits at most for one batch. */
#define SWEEP_BATCH 64

struct gc_sched {
  pthread_rwlock_t push_lock;   /* shared: uploads, mounts; exclusive: sweep */
  pthread_mutex_t run_lock;     /* one run at a time */
  struct meta_gc *meta;
  /* the schedule */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stop;
  bool have_thread;
  pthread_t thread;
  /* the control socket */
  int sock_fd;
  int wake[2];                  /* pipe: stop the socket thread */
  bool have_sock_thread;
  pthread_t sock_thread;
};

void gc_push_lock(struct registry *reg)
{
  if (reg->gc)
    pthread_rwlock_rdlock(&reg->gc->push_lock);
}

void gc_push_unlock(struct registry *reg)
{
  if (reg->gc)
    pthread_rwlock_unlock(&reg->gc->push_lock);
}

static void sweep_lock(struct registry *reg)
{
  if (reg->gc)
    pthread_rwlock_wrlock(&reg->gc->push_lock);
}

static void sweep_unlock(struct registry *reg)
{
  if (reg->gc)
    pthread_rwlock_unlock(&reg->gc->push_lock);
}

/* meta_gc_refs_fn: what a stored manifest references, by the same parser
 * that accepted it. */
static int manifest_refs(void *cls, const char *media_type, const void *raw, size_t len,
                         char ***blobs, char ***children, struct wh_error **err)
{
  (void) cls;
  struct manifest_info mi;
  if (manifest_parse(media_type, raw, len, &mi, err) < 0)
    return -1;
  char **b = calloc(mi.n_blobs + 1, sizeof(char *));
  char **c = calloc(mi.n_children + 1, sizeof(char *));
  bool ok = b && c;
  for (size_t i = 0; ok && i < mi.n_blobs; i++)
    ok = (b[i] = strdup(mi.blobs[i])) != NULL;
  for (size_t i = 0; ok && i < mi.n_children; i++)
    ok = (c[i] = strdup(mi.children[i])) != NULL;
  manifest_info_clear(&mi);
  if (!ok) {
    for (size_t i = 0; b && b[i]; i++)
      free(b[i]);
    for (size_t i = 0; c && c[i]; i++)
      free(c[i]);
    free(b);
    free(c);
    return wh_error_errno(err, "manifest references");
  }
  *blobs = b;
  *children = c;
  return 0;
}

/* Blob files without any link, found on disk. */
struct orphans {
  struct meta_gc *meta;
  char **v;
  size_t n, cap;
  uint64_t bytes;
  bool failed;
};

static int orphan_cb(void *cls, const char *digest, uint64_t size)
{
  struct orphans *o = cls;
  int l = meta_gc_linked(o->meta, digest, NULL);
  if (l != 0)
    return 0; /* linked, or unknown: keep */
  if (o->n == o->cap) {
    size_t cap = o->cap ? o->cap * 2 : 16;
    char **nv = realloc(o->v, cap * sizeof(char *));
    if (!nv) {
      o->failed = true;
      return -1;
    }
    o->v = nv;
    o->cap = cap;
  }
  if (!(o->v[o->n] = strdup(digest))) {
    o->failed = true;
    return -1;
  }
  o->n++;
  o->bytes += size;
  return 0;
}

static void orphans_free(struct orphans *o)
{
  for (size_t i = 0; i < o->n; i++)
    free(o->v[i]);
  free(o->v);
}

/* Step 3: delete queued files that are still unlinked, a batch per hold
 * of the lock. */
static int sweep(struct registry *reg, struct meta_gc *meta, struct gc_report *rep,
                 struct wh_error **err)
{
  _cleanup_strv_ char **pending = NULL;
  if (meta_gc_pending(meta, &pending, err) < 0)
    return -1;
  size_t n = 0;
  while (pending[n])
    n++;
  for (size_t i = 0; i < n; i += SWEEP_BATCH) {
    size_t m = n - i < SWEEP_BATCH ? n - i : SWEEP_BATCH;
    bool dead[SWEEP_BATCH];
    char *gone[SWEEP_BATCH];
    size_t n_gone = 0;
    sweep_lock(reg);
    int rc = meta_gc_claim(meta, pending + i, m, dead, err);
    for (size_t j = 0; rc == 0 && j < m; j++) {
      if (!dead[j]) {
        rep->kept_relinked++;
        continue;
      }
      uint64_t size = 0;
      _cleanup_error_ struct wh_error *e = NULL;
      if (blob_remove(reg->blobs, pending[i + j], &size, &e) < 0) {
        if (e->kind != WH_ERR_NOT_FOUND) {
          /* Stays queued for the next run. */
          wh_log(WH_LOG_WARN, "gc", "cannot remove blob %s: %s", pending[i + j], e->msg);
          continue;
        }
      } else {
        rep->files++;
        rep->bytes_freed += size;
      }
      gone[n_gone++] = pending[i + j];
    }
    sweep_unlock(reg);
    if (rc < 0 || meta_gc_done(meta, gone, n_gone, err) < 0)
      return -1;
  }
  return 0;
}

static int run(struct registry *reg, struct meta_gc *meta, const struct gc_options *o,
               struct gc_report *rep, struct wh_error **err)
{
  int64_t cutoff = wh_now_real_ns() - o->grace_ns;
  if (meta_gc_index(meta, manifest_refs, NULL, err) < 0)
    return -1;
  struct meta_gc_mark mk;
  for (;;) {
    mk = (struct meta_gc_mark) {
      .cutoff_ns = cutoff,
      .delete_untagged = o->delete_untagged,
      .dry_run = o->dry_run,
    };
    if (meta_gc_mark(meta, &mk, manifest_refs, NULL, err) < 0)
      return -1;
    rep->manifests += mk.n_manifests;
    for (size_t i = 0; i < mk.n_manifests; i++) {
      rep->manifest_bytes += mk.manifests[i].size;
      if (!o->dry_run)
        audit_log_json(reg, "gc_manifest", NULL, mk.manifests[i].repo,
                       json_pack("{s:s, s:I}", "digest", mk.manifests[i].digest, "size",
                                 (json_int_t) mk.manifests[i].size));
    }
    rep->blob_links += mk.n_blob_links;
    if (!mk.more)
      break;
    meta_gc_mark_clear(&mk); /* its files are queued in the metadata */
  }
  rep->bytes_freed += rep->manifest_bytes;

  struct orphans orph = { .meta = meta };
  _cleanup_error_ struct wh_error *we = NULL;
  if (blob_walk(reg->blobs, mk.cutoff_ns, orphan_cb, &orph, &we) < 0 || orph.failed)
    wh_log(WH_LOG_WARN, "gc", "cannot list blob files: %s", we ? we->msg : "out of memory");
  int ret = 0;
  if (o->dry_run) {
    /* What the sweep would delete: the files the mark queued (it rolled
     * back) and the unlinked ones on disk. */
    rep->files = mk.n_files + orph.n;
    rep->bytes_freed += orph.bytes;
    for (size_t i = 0; i < mk.n_files; i++) {
      uint64_t size;
      if (blob_stat(reg->blobs, mk.files[i], &size, NULL) == 0)
        rep->bytes_freed += size;
    }
  } else {
    if (orph.n && meta_gc_queue(meta, orph.v, orph.n, err) < 0)
      ret = -1;
    if (ret == 0)
      ret = sweep(reg, meta, rep, err);
  }
  orphans_free(&orph);
  meta_gc_mark_clear(&mk);
  meta_gc_trim(meta);
  return ret;
}

int registry_gc(struct registry *reg, const struct gc_options *o, struct gc_report *rep,
                struct wh_error **err)
{
  memset(rep, 0, sizeof(*rep));
  rep->dry_run = o->dry_run;
  int64_t t0 = wh_now_mono_ns();
  struct meta_gc *meta = reg->gc ? reg->gc->meta : meta_gc_open(reg->cfg.data_dir, err);
  if (!meta)
    return -1;
  if (reg->gc)
    pthread_mutex_lock(&reg->gc->run_lock);
  int ret = run(reg, meta, o, rep, err);
  if (reg->gc)
    pthread_mutex_unlock(&reg->gc->run_lock);
  else
    meta_gc_close(meta);
  rep->duration_ns = wh_now_mono_ns() - t0;
  metrics_gc_run(reg->metrics, ret == 0, o->dry_run, rep->bytes_freed, rep->manifests,
                 rep->files, rep->duration_ns);
  if (ret < 0)
    return wh_error_wrap(err, "garbage collection");
  if (!o->dry_run && (rep->manifests || rep->blob_links || rep->files))
    audit_log_counts(reg, "gc", NULL, NULL, "manifests", (int64_t) rep->manifests,
                     "blob_links", (int64_t) rep->blob_links, "files", (int64_t) rep->files,
                     "bytes_freed", (int64_t) rep->bytes_freed, NULL);
  wh_log(WH_LOG_INFO, "gc",
         "%s: %llu manifests, %llu blob links, %llu blob files, %llu bytes freed in %.1f ms",
         o->dry_run ? "dry run, would remove" : "removed", (unsigned long long) rep->manifests,
         (unsigned long long) rep->blob_links, (unsigned long long) rep->files,
         (unsigned long long) rep->bytes_freed, (double) rep->duration_ns / 1e6);
  return 0;
}

char *gc_report_json(const struct gc_report *rep)
{
  char *s = NULL;
  if (asprintf(&s,
               "{\"dry_run\":%s,\"manifests\":%llu,\"manifest_bytes\":%llu,"
               "\"blob_links\":%llu,\"files\":%llu,\"bytes_freed\":%llu,"
               "\"kept_relinked\":%llu,\"seconds\":%.6f}",
               rep->dry_run ? "true" : "false", (unsigned long long) rep->manifests,
               (unsigned long long) rep->manifest_bytes, (unsigned long long) rep->blob_links,
               (unsigned long long) rep->files, (unsigned long long) rep->bytes_freed,
               (unsigned long long) rep->kept_relinked, (double) rep->duration_ns / 1e9) < 0)
    return NULL;
  return s;
}

/* --- the schedule ------------------------------------------------------ */

static struct gc_options sched_options(const struct registry *reg)
{
  struct gc_options o = {
    .grace_ns = (int64_t) reg->cfg.gc_grace_s * 1000000000LL,
    .delete_untagged = reg->cfg.gc_delete_untagged,
  };
  return o;
}

static void *sched_main(void *arg)
{
  struct registry *reg = arg;
  struct gc_sched *g = reg->gc;
  pthread_mutex_lock(&g->mu);
  while (!g->stop) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += reg->cfg.gc_interval_s;
    while (!g->stop && pthread_cond_timedwait(&g->cv, &g->mu, &until) != ETIMEDOUT)
      ;
    if (g->stop)
      break;
    pthread_mutex_unlock(&g->mu);
    struct gc_options o = sched_options(reg);
    struct gc_report rep;
    _cleanup_error_ struct wh_error *e = NULL;
    if (registry_gc(reg, &o, &rep, &e) < 0)
      wh_log(WH_LOG_ERROR, "gc", "%s", e->msg);
    pthread_mutex_lock(&g->mu);
  }
  pthread_mutex_unlock(&g->mu);
  return NULL;
}

/* --- the control socket ------------------------------------------------ */

#define SOCK_NAME "gc.sock"

/* A path to <dir fd>/gc.sock short enough for sun_path whatever the data
 * directory's length: through /proc/self/fd. */
static void sock_addr(int dirfd, struct sockaddr_un *sa)
{
  memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/" SOCK_NAME, dirfd);
}

/* "gc grace_ns=N dry_run=0|1 delete_untagged=0|1" */
static int parse_request(char *line, struct gc_options *o)
{
  memset(o, 0, sizeof(*o));
  char *save = NULL;
  char *tok = strtok_r(line, " \n", &save);
  if (!tok || strcmp(tok, "gc") != 0)
    return -1;
  while ((tok = strtok_r(NULL, " \n", &save))) {
    long long v;
    if (sscanf(tok, "grace_ns=%lld", &v) == 1 && v >= 0)
      o->grace_ns = v;
    else if (sscanf(tok, "dry_run=%lld", &v) == 1)
      o->dry_run = v != 0;
    else if (sscanf(tok, "delete_untagged=%lld", &v) == 1)
      o->delete_untagged = v != 0;
    else
      return -1;
  }
  return 0;
}

static void serve_client(struct registry *reg, int fd)
{
  struct timeval tv = { 5, 0 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char line[256];
  size_t n = 0;
  while (n < sizeof(line) - 1) {
    ssize_t r = read(fd, line + n, sizeof(line) - 1 - n);
    if (r <= 0)
      break;
    n += (size_t) r;
    if (memchr(line, '\n', n))
      break;
  }
  line[n] = '\0';
  struct gc_options o;
  _cleanup_free_ char *reply = NULL;
  if (parse_request(line, &o) < 0) {
    reply = strdup("error: bad request\n");
  } else {
    struct gc_report rep;
    _cleanup_error_ struct wh_error *e = NULL;
    if (registry_gc(reg, &o, &rep, &e) < 0) {
      if (asprintf(&reply, "error: %s\n", e->msg) < 0)
        reply = NULL;
    } else {
      _cleanup_free_ char *j = gc_report_json(&rep);
      if (!j || asprintf(&reply, "%s\n", j) < 0)
        reply = NULL;
    }
  }
  if (reply)
    wh_write_all(fd, reply, strlen(reply), NULL);
}

static void *sock_main(void *arg)
{
  struct registry *reg = arg;
  struct gc_sched *g = reg->gc;
  for (;;) {
    struct pollfd p[2] = { { g->sock_fd, POLLIN, 0 }, { g->wake[0], POLLIN, 0 } };
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (p[1].revents)
      break;
    int c = accept4(g->sock_fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
      continue;
    serve_client(reg, c);
    close(c);
  }
  return NULL;
}

static int sock_start(struct registry *reg, struct wh_error **err)
{
  struct gc_sched *g = reg->gc;
  unlinkat(reg->data_fd, SOCK_NAME, 0); /* left by a crash; we hold the directory's lock */
  g->sock_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (g->sock_fd < 0)
    return wh_error_errno(err, "GC control socket");
  struct sockaddr_un sa;
  sock_addr(reg->data_fd, &sa);
  /* Only the registry's own user may ask for a run. */
  mode_t old = umask(0077);
  int rc = bind(g->sock_fd, (struct sockaddr *) &sa, sizeof(sa));
  umask(old);
  if (rc < 0 || listen(g->sock_fd, 4) < 0)
    return wh_error_errno(err, "GC control socket %s/%s", reg->cfg.data_dir, SOCK_NAME);
  if (pipe2(g->wake, O_CLOEXEC) < 0)
    return wh_error_errno(err, "GC control socket");
  if ((errno = pthread_create(&g->sock_thread, NULL, sock_main, reg)) != 0)
    return wh_error_errno(err, "GC control thread");
  g->have_sock_thread = true;
  return 0;
}

int gc_sched_start(struct registry *reg, struct wh_error **err)
{
  struct gc_sched *g = calloc(1, sizeof(*g));
  if (!g)
    return wh_error_errno(err, "GC");
  g->sock_fd = g->wake[0] = g->wake[1] = -1;
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  /* The sweep must not wait forever behind a stream of uploads. */
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&g->push_lock, &attr);
  pthread_rwlockattr_destroy(&attr);
  pthread_mutex_init(&g->run_lock, NULL);
  pthread_mutex_init(&g->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g->cv, &ca);
  pthread_condattr_destroy(&ca);
  reg->gc = g;
  g->meta = meta_gc_open(reg->cfg.data_dir, err);
  if (!g->meta || sock_start(reg, err) < 0)
    return -1;
  if (reg->cfg.gc_interval_s > 0) {
    if ((errno = pthread_create(&g->thread, NULL, sched_main, reg)) != 0)
      return wh_error_errno(err, "GC thread");
    g->have_thread = true;
  }
  return 0;
}

void gc_sched_stop(struct registry *reg)
{
  struct gc_sched *g = reg->gc;
  if (!g)
    return;
  pthread_mutex_lock(&g->mu);
  g->stop = true;
  pthread_cond_broadcast(&g->cv);
  pthread_mutex_unlock(&g->mu);
  if (g->have_thread)
    pthread_join(g->thread, NULL);
  if (g->have_sock_thread) {
    if (write(g->wake[1], "x", 1) < 0) {
      /* cannot happen with an empty pipe; the join below would hang */
    }
    pthread_join(g->sock_thread, NULL);
  }
  if (g->sock_fd >= 0) {
    close(g->sock_fd);
    if (reg->data_fd >= 0)
      unlinkat(reg->data_fd, SOCK_NAME, 0);
  }
  if (g->wake[0] >= 0)
    close(g->wake[0]);
  if (g->wake[1] >= 0)
    close(g->wake[1]);
  meta_gc_close(g->meta);
  pthread_rwlock_destroy(&g->push_lock);
  pthread_mutex_destroy(&g->run_lock);
  pthread_mutex_destroy(&g->mu);
  pthread_cond_destroy(&g->cv);
  free(g);
  reg->gc = NULL;
}

int gc_request(const char *data_dir, const struct gc_options *o, char **report_json,
               struct wh_error **err)
{
  _cleanup_close_ int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return wh_error_errno(err, "data directory %s", data_dir);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return wh_error_errno(err, "GC control socket");
  struct sockaddr_un sa;
  sock_addr(dfd, &sa);
  if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
    return errno == ENOENT || errno == ECONNREFUSED
               ? wh_error_set(err, WH_ERR_BUSY,
                              "data directory %s is locked, but no server answers on %s/%s "
                              "(is another `wharf-registry gc` running?)",
                              data_dir, data_dir, SOCK_NAME)
               : wh_error_errno(err, "connect to %s/%s", data_dir, SOCK_NAME);
  char req[128];
  snprintf(req, sizeof(req), "gc grace_ns=%lld dry_run=%d delete_untagged=%d\n",
           (long long) o->grace_ns, o->dry_run ? 1 : 0, o->delete_untagged ? 1 : 0);
  if (wh_write_all(fd, req, strlen(req), NULL) < 0)
    return wh_error_errno(err, "GC control socket");
  char buf[4096];
  size_t n = 0;
  for (;;) {
    ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0 || (n += (size_t) r) == sizeof(buf) - 1)
      break;
  }
  buf[n] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
  if (n == 0)
    return wh_error_set(err, WH_ERR_IO, "the running registry closed the GC socket without a reply");
  if (strncmp(buf, "error: ", 7) == 0)
    return wh_error_set(err, WH_ERR_IO, "%s", buf + 7);
  if (!(*report_json = strdup(buf)))
    return wh_error_errno(err, "GC");
  return 0;
}
