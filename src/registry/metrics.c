/* metrics.c: the counters behind GET /metrics (metrics.h) and their text
 * exposition.
 *
 * Layout: fixed arrays indexed by route, method and a status slot, so an
 * update is an index computation and a few relaxed atomic adds; no
 * allocation, no lock, no hashing on the request path. Statuses the
 * registry does not send land in an "other" slot, rendered by class. */
#include "registry/metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/timeutil.h"
#include "registry/audit.h"
#include "registry/http.h"
#include "registry/registry.h"

typedef _Atomic uint64_t counter;

static const char *const methods[] = { "GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OTHER" };
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

static const unsigned statuses[] = { 200, 201, 202, 204, 206, 301, 302, 304, 307, 400, 401,
                                     403, 404, 405, 409, 413, 415, 416, 429, 500, 501, 503 };
#define N_STATUSES (sizeof(statuses) / sizeof(statuses[0]))
#define STATUS_OTHER N_STATUSES  /* then one slot per class: 1xx … 5xx */
#define N_STATUS_SLOTS (N_STATUSES + 6)

/* Upper bounds in seconds (the usual Prometheus buckets plus finer ones
 * below a millisecond, where a manifest GET lands). */
static const double bucket_s[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                   0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define N_BUCKETS (sizeof(bucket_s) / sizeof(bucket_s[0]))

struct route_stats {
  counter requests[N_METHODS][N_STATUS_SLOTS];
  counter buckets[N_BUCKETS + 1];  /* not cumulative; the last is +Inf */
  counter sum_ns;
  counter count;
  counter bytes_in;
  counter bytes_out;
};

struct metrics {
  struct route_stats routes[ROUTE_KIND_COUNT];
  _Atomic int64_t uploads_in_progress;
  counter gc_runs[2][2];           /* [ok][dry_run] */
  counter gc_bytes_freed;
  counter gc_manifests;
  counter gc_files;
  _Atomic int64_t gc_last_ns;      /* real time of the last run's end */
  _Atomic int64_t gc_last_duration_ns;
  counter lifecycle_expired;
  counter quota_denied;
  uint64_t bucket_ns[N_BUCKETS];
};

struct metrics *metrics_new(void)
{
  struct metrics *m = calloc(1, sizeof(*m));
  if (!m)
    return NULL;
  for (size_t i = 0; i < N_BUCKETS; i++)
    m->bucket_ns[i] = (uint64_t) (bucket_s[i] * 1e9 + 0.5);
  return m;
}

void metrics_free(struct metrics *m)
{
  free(m);
}

#define ADD(c, v) atomic_fetch_add_explicit(&(c), (v), memory_order_relaxed)

static size_t method_slot(const char *method)
{
  for (size_t i = 0; method && i + 1 < N_METHODS; i++)
    if (strcmp(method, methods[i]) == 0)
      return i;
  return N_METHODS - 1;
}

static size_t status_slot(unsigned status)
{
  for (size_t i = 0; i < N_STATUSES; i++)
    if (statuses[i] == status)
      return i;
  unsigned cls = status / 100;
  return STATUS_OTHER + (cls >= 1 && cls <= 5 ? cls : 0);
}

void metrics_request(struct metrics *m, unsigned route, const char *method, unsigned status,
                     uint64_t bytes_in, uint64_t bytes_out, int64_t duration_ns)
{
  if (!m || route >= ROUTE_KIND_COUNT)
    return;
  struct route_stats *r = &m->routes[route];
  ADD(r->requests[method_slot(method)][status_slot(status)], 1);
  uint64_t d = duration_ns > 0 ? (uint64_t) duration_ns : 0;
  size_t b = 0;
  while (b < N_BUCKETS && d > m->bucket_ns[b])
    b++;
  ADD(r->buckets[b], 1);
  ADD(r->sum_ns, d);
  ADD(r->count, 1);
  if (bytes_in)
    ADD(r->bytes_in, bytes_in);
  if (bytes_out)
    ADD(r->bytes_out, bytes_out);
}

void metrics_upload_started(struct metrics *m)
{
  if (m)
    ADD(m->uploads_in_progress, 1);
}

void metrics_upload_ended(struct metrics *m)
{
  if (m)
    atomic_fetch_sub_explicit(&m->uploads_in_progress, 1, memory_order_relaxed);
}

void metrics_gc_run(struct metrics *m, bool ok, bool dry_run, uint64_t bytes_freed,
                    uint64_t manifests, uint64_t files, int64_t duration_ns)
{
  if (!m)
    return;
  ADD(m->gc_runs[ok][dry_run], 1);
  if (ok && !dry_run) {
    ADD(m->gc_bytes_freed, bytes_freed);
    ADD(m->gc_manifests, manifests);
    ADD(m->gc_files, files);
  }
  atomic_store(&m->gc_last_ns, wh_now_real_ns());
  atomic_store(&m->gc_last_duration_ns, duration_ns);
}

void metrics_lifecycle_expired(struct metrics *m, uint64_t images)
{
  if (m)
    ADD(m->lifecycle_expired, images);
}

void metrics_quota_denied(struct metrics *m)
{
  if (m)
    ADD(m->quota_denied, 1);
}

#define LOAD(c) atomic_load_explicit(&(c), memory_order_relaxed)

/* The exposition being built; one failed append fails the whole. */
struct out {
  struct wh_buf b;
  bool bad;
};

__attribute__((format(printf, 2, 3)))
static void emitf(struct out *o, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  if (wh_buf_vprintf(&o->b, fmt, ap) < 0)
    o->bad = true;
  va_end(ap);
}

static void help(struct out *o, const char *name, const char *type, const char *text)
{
  emitf(o, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void status_label(char out[8], size_t slot)
{
  if (slot < N_STATUSES)
    snprintf(out, 8, "%u", statuses[slot]);
  else if (slot == STATUS_OTHER)
    snprintf(out, 8, "none"); /* cut off before any reply */
  else
    snprintf(out, 8, "%zuxx", slot - STATUS_OTHER);
}

char *metrics_render(struct metrics *m, struct registry *reg, size_t *len)
{
  struct out o = { WH_BUF_INIT, false };
  const char *req = "wharf_registry_http_requests_total";
  help(&o, req, "counter", "HTTP requests completed, by route, method and status.");
  for (unsigned r = 0; r < ROUTE_KIND_COUNT; r++)
    for (size_t mi = 0; mi < N_METHODS; mi++)
      for (size_t s = 0; s < N_STATUS_SLOTS; s++) {
        uint64_t v = LOAD(m->routes[r].requests[mi][s]);
        if (!v)
          continue;
        char st[8];
        status_label(st, s);
        emitf(&o, "%s{route=\"%s\",method=\"%s\",status=\"%s\"} %llu\n", req,
                      route_kind_name((enum route_kind) r), methods[mi], st,
                      (unsigned long long) v);
      }
  const char *lat = "wharf_registry_http_request_duration_seconds";
  help(&o, lat, "histogram", "Time from a request's first byte to its completion, by route.");
  for (unsigned r = 0; r < ROUTE_KIND_COUNT; r++) {
    struct route_stats *rs = &m->routes[r];
    uint64_t count = LOAD(rs->count);
    if (!count)
      continue;
    const char *name = route_kind_name((enum route_kind) r);
    uint64_t cum = 0;
    for (size_t i = 0; i <= N_BUCKETS; i++) {
      cum += LOAD(rs->buckets[i]);
      if (i < N_BUCKETS)
        emitf(&o, "%s_bucket{route=\"%s\",le=\"%g\"} %llu\n", lat, name, bucket_s[i],
                      (unsigned long long) cum);
    }
    /* Buckets and count are read one after the other while requests
     * go on: +Inf is the count read here, which is never below the sum
     * of the buckets read before it. */
    count = LOAD(rs->count);
    if (count < cum)
      count = cum;
    emitf(&o, "%s_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", lat, name,
                  (unsigned long long) count);
    emitf(&o, "%s_sum{route=\"%s\"} %.9f\n", lat, name, (double) LOAD(rs->sum_ns) / 1e9);
    emitf(&o, "%s_count{route=\"%s\"} %llu\n", lat, name, (unsigned long long) count);
  }
  static const struct { const char *name, *text; size_t off; } bytes[] = {
    { "wharf_registry_http_request_bytes_total", "Request body bytes received, by route.",
      offsetof(struct route_stats, bytes_in) },
    { "wharf_registry_http_response_bytes_total", "Response body bytes sent, by route.",
      offsetof(struct route_stats, bytes_out) },
  };
  for (size_t k = 0; k < 2; k++) {
    help(&o, bytes[k].name, "counter", bytes[k].text);
    for (unsigned r = 0; r < ROUTE_KIND_COUNT; r++) {
      counter *c = (counter *) ((char *) &m->routes[r] + bytes[k].off);
      if (LOAD(m->routes[r].count))
        emitf(&o, "%s{route=\"%s\"} %llu\n", bytes[k].name,
                      route_kind_name((enum route_kind) r), (unsigned long long) LOAD(*c));
    }
  }
  help(&o, "wharf_registry_http_requests_in_flight", "gauge",
       "Requests between their first byte and their completion.");
  emitf(&o, "wharf_registry_http_requests_in_flight %ld\n",
                reg ? (long) atomic_load(&reg->inflight) : 0L);
  help(&o, "wharf_registry_uploads_in_progress", "gauge",
       "Blob upload requests (POST, PATCH, PUT) being received.");
  emitf(&o, "wharf_registry_uploads_in_progress %lld\n",
                (long long) LOAD(m->uploads_in_progress));
  help(&o, "wharf_registry_gc_runs_total", "counter", "Garbage collection runs, by result and mode.");
  for (int ok = 0; ok < 2; ok++)
    for (int dry = 0; dry < 2; dry++)
      emitf(&o, "wharf_registry_gc_runs_total{result=\"%s\",dry_run=\"%s\"} %llu\n",
                    ok ? "ok" : "error", dry ? "true" : "false",
                    (unsigned long long) LOAD(m->gc_runs[ok][dry]));
  static const struct { const char *name, *text; size_t off; } gc[] = {
    { "wharf_registry_gc_bytes_freed_total", "Bytes of blob files and manifests removed by GC.",
      offsetof(struct metrics, gc_bytes_freed) },
    { "wharf_registry_gc_manifests_deleted_total", "Manifests removed by GC.",
      offsetof(struct metrics, gc_manifests) },
    { "wharf_registry_gc_blobs_deleted_total", "Blob files removed by GC.",
      offsetof(struct metrics, gc_files) },
    { "wharf_registry_lifecycle_expired_images_total", "Images expired by lifecycle policies.",
      offsetof(struct metrics, lifecycle_expired) },
    { "wharf_registry_quota_denied_total", "Pushes refused over a repository quota.",
      offsetof(struct metrics, quota_denied) },
  };
  for (size_t k = 0; k < sizeof(gc) / sizeof(gc[0]); k++) {
    help(&o, gc[k].name, "counter", gc[k].text);
    emitf(&o, "%s %llu\n", gc[k].name,
                  (unsigned long long) LOAD(*(counter *) ((char *) m + gc[k].off)));
  }
  int64_t last = atomic_load(&m->gc_last_ns);
  help(&o, "wharf_registry_gc_last_run_timestamp_seconds", "gauge",
       "When the last GC run ended (0: none yet).");
  emitf(&o, "wharf_registry_gc_last_run_timestamp_seconds %.3f\n", (double) last / 1e9);
  help(&o, "wharf_registry_gc_last_run_duration_seconds", "gauge", "How long the last GC run took.");
  emitf(&o, "wharf_registry_gc_last_run_duration_seconds %.6f\n",
                (double) atomic_load(&m->gc_last_duration_ns) / 1e9);
  help(&o, "wharf_registry_audit_lines_total", "counter", "Lines appended to the audit log.");
  emitf(&o, "wharf_registry_audit_lines_total %llu\n",
                (unsigned long long) audit_lines_written(reg ? reg->audit : NULL));
  help(&o, "wharf_registry_audit_write_errors_total", "counter",
       "Audit events that could not be written.");
  emitf(&o, "wharf_registry_audit_write_errors_total %llu\n",
                (unsigned long long) audit_write_errors(reg ? reg->audit : NULL));
  help(&o, "wharf_registry_build_info", "gauge", "The running version (always 1).");
  emitf(&o, "wharf_registry_build_info{version=\"%s\"} 1\n", WHARF_VERSION);
  if (o.bad) {
    wh_buf_free(&o.b);
    return NULL;
  }
  *len = o.b.len;
  return wh_buf_steal(&o.b);
}
