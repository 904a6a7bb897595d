/* http.h: requests, routes and replies over libmicrohttpd.
 *
 * The HTTP layer knows requests, headers and status codes; API handlers
 * (api_*.c) know the OCI Distribution semantics; storage (store*.c) knows
 * bytes and rows. A route gives up to three callbacks, which the layer
 * calls in order for one request:
 *
 *   begin(r)               headers are in; check names, open what is needed
 *   body(r, data, len)     zero or more times, as the body streams in
 *   end(r)                 the body is complete; queue the reply
 *
 * A callback that replies early (an error found in begin) ends the
 * request: later callbacks are skipped and the body is read and dropped.
 * Every callback returns 0, or -1 after it has queued an error reply. */
#pragma once

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "registry/errors.h"

struct registry;
struct request;

typedef int (*route_begin_fn)(struct request *r);
typedef int (*route_body_fn)(struct request *r, const char *data, size_t len);
typedef int (*route_end_fn)(struct request *r);

/* What a route matched out of the path. The strings point into the
 * request's copy of the path; they are not validated: handlers check them
 * with the oci/ grammar functions. */
enum route_kind {
  ROUTE_NONE = 0,
  ROUTE_BASE,        /* /v2/ */
  ROUTE_CATALOG,     /* /v2/_catalog */
  ROUTE_TAGS,        /* /v2/<name>/tags/list */
  ROUTE_MANIFEST,    /* /v2/<name>/manifests/<reference> */
  ROUTE_BLOB,        /* /v2/<name>/blobs/<digest> */
  ROUTE_UPLOADS,     /* /v2/<name>/blobs/uploads/ */
  ROUTE_UPLOAD,      /* /v2/<name>/blobs/uploads/<uuid> */
  ROUTE_REFERRERS,   /* /v2/<name>/referrers/<digest> */
  ROUTE_METRICS,     /* /metrics (Prometheus) */
  ROUTE_EXTRA,       /* outside /v2/: /token, ECR's POST / … */
  ROUTE_KIND_COUNT
};

struct route_match {
  enum route_kind kind;
  char *name;      /* repository name */
  char *ref;       /* reference, digest or upload id */
};

struct route_handler {
  const char *method; /* "GET", "HEAD", "PUT", … */
  route_begin_fn begin;
  route_body_fn body;  /* NULL: a body is read and dropped */
  route_end_fn end;
};

struct reply_header {
  char *name;
  char *value;
};

struct request {
  struct MHD_Connection *conn;
  struct registry *reg;
  const char *method;
  char *uri;                 /* raw request target, as sent */
  char *path;                /* decoded path (owned copy) */
  struct route_match match;
  const struct route_handler *handler;
  int64_t start_ns;          /* monotonic */
  uint64_t bytes_in;
  char *principal;           /* who made it (auth sets it; owned); NULL: anonymous */
  /* reply state */
  bool replied;
  unsigned status;
  uint64_t bytes_out;
  struct MHD_Response *response;
  struct reply_header *headers;
  size_t n_headers;
  /* per-handler state, freed with the request */
  void *state;
  void (*state_free)(void *state);
};

/* Split a path into a route; pure (unit-tested, fuzzed). Returns
 * ROUTE_NONE for anything that is no API route. `path` is modified
 * (separators become NUL) and the match points into it. */
enum route_kind route_parse(char *path, struct route_match *m);
const char *route_kind_name(enum route_kind kind);

/* The handler for a route and method, from the table in routes.c; NULL
 * with *method_known false when the route has no handler for it. */
const struct route_handler *route_lookup(enum route_kind kind,
                                         const char *method,
                                         bool *route_has_methods);

/* Request accessors. */
const char *request_header(struct request *r, const char *name);
const char *request_query(struct request *r, const char *name);
struct registry *request_registry(struct request *r);
/* True if any of the request's headers `name` lists `token` as one of its
 * comma-separated elements (parameters after ';' ignored, case-insensitive):
 * for Accept, which clients send as one list or as repeated headers. */
bool request_header_has(struct request *r, const char *name, const char *token);
#define request_accepts(r, media_type) request_header_has(r, "Accept", media_type)

/* Reply helpers. Headers added before the reply go out with it. Each reply
 * function returns 0 (or -1 on ENOMEM, having queued a 500 if it could). */
int reply_header(struct request *r, const char *name, const char *value);
int reply_headerf(struct request *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A body from memory (copied). For HEAD, only Content-Length is sent. */
int reply_data(struct request *r, unsigned status, const char *content_type,
               const void *data, size_t len);
/* The same, taking ownership of a malloc'd body (no copy). */
int reply_data_take(struct request *r, unsigned status, const char *content_type,
                    char *data, size_t len);
int reply_json(struct request *r, unsigned status, const char *json_text);
/* Status with no body; content_length is what HEAD advertises (pass 0 for
 * responses that have no entity). */
int reply_empty(struct request *r, unsigned status, uint64_t content_length);
/* A body from a file (sendfile); the fd is owned by the reply from here
 * on, even on failure. */
int reply_fd(struct request *r, unsigned status, const char *content_type,
             int fd, uint64_t offset, uint64_t len);
/* The spec's JSON error body; message NULL for the code's default. Always
 * returns -1, so handlers can `return reply_error(…)`. */
int reply_error(struct request *r, enum reg_code code, const char *message);
int reply_errorf(struct request *r, enum reg_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An error with the status taken from an explicit value (e.g. 416). */
int reply_error_status(struct request *r, unsigned status, enum reg_code code,
                       const char *message);
