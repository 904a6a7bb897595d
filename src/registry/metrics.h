/* metrics.h: counters for GET /metrics in Prometheus' text format
 * (version 0.0.4).
 *
 * Every counter is a relaxed atomic add, so the per-request update in the
 * access-log completion callback takes no lock: requests by route, method
 * and status, a latency histogram per route, request and response bytes.
 * Other parts of the registry report through the functions below; the
 * names of the series are listed in docs/registry.md ("Metrics"). All
 * functions accept a NULL metrics (commands without a server). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct metrics;
struct registry;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* A request finished (route: enum route_kind of http.h). */
void metrics_request(struct metrics *m, unsigned route, const char *method, unsigned status,
                     uint64_t bytes_in, uint64_t bytes_out, int64_t duration_ns);
/* A blob upload request started or ended (the uploads_in_progress gauge). */
void metrics_upload_started(struct metrics *m);
void metrics_upload_ended(struct metrics *m);

/* One GC run (gc.c). */
void metrics_gc_run(struct metrics *m, bool ok, bool dry_run, uint64_t bytes_freed,
                    uint64_t manifests, uint64_t files, int64_t duration_ns);
/* Images a lifecycle policy expired (for the lifecycle code to call). */
void metrics_lifecycle_expired(struct metrics *m, uint64_t images);
/* Pushes refused over a repository's quota. */
void metrics_quota_denied(struct metrics *m);

/* The text exposition, malloc'd; NULL on ENOMEM. */
char *metrics_render(struct metrics *m, struct registry *reg, size_t *len);
