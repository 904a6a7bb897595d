/* http.c: the libmicrohttpd side of the registry: one request context per
 * request, the begin/body/end call sequence of a route, replies, and one
 * access-log line per request. */
#include "registry/http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "registry/auth.h"
#include "registry/http_internal.h"
#include "registry/metrics.h"
#include "registry/registry.h"

const char *request_header(struct request *r, const char *name)
{
  return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *request_query(struct request *r, const char *name)
{
  return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct registry *request_registry(struct request *r)
{
  return r->reg;
}

struct header_search {
  const char *name;
  const char *token;
  size_t token_len;
  bool found;
};

static enum MHD_Result header_has_cb(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value)
{
  struct header_search *hs = cls;
  if (!value || strcasecmp(key, hs->name) != 0)
    return MHD_YES;
  const char *p = value;
  while (*p) {
    p += strspn(p, " \t,");
    size_t n = strcspn(p, ",;");
    size_t t = n;
    while (t > 0 && (p[t - 1] == ' ' || p[t - 1] == '\t'))
      t--;
    if (t == hs->token_len && strncasecmp(p, hs->token, t) == 0) {
      hs->found = true;
      return MHD_NO;
    }
    p += n;
    p += strcspn(p, ","); /* skip parameters */
  }
  return MHD_YES;
}

bool request_header_has(struct request *r, const char *name, const char *token)
{
  struct header_search hs = { name, token, strlen(token), false };
  MHD_get_connection_values(r->conn, MHD_HEADER_KIND, header_has_cb, &hs);
  return hs.found;
}

int reply_header(struct request *r, const char *name, const char *value)
{
  struct reply_header *h = realloc(r->headers, (r->n_headers + 1) * sizeof(*h));
  if (!h)
    return -1;
  r->headers = h;
  h[r->n_headers].name = strdup(name);
  h[r->n_headers].value = strdup(value);
  if (!h[r->n_headers].name || !h[r->n_headers].value) {
    free(h[r->n_headers].name);
    free(h[r->n_headers].value);
    return -1;
  }
  r->n_headers++;
  return 0;
}

int reply_headerf(struct request *r, const char *name, const char *fmt, ...)
{
  _cleanup_free_ char *v = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&v, fmt, ap);
  va_end(ap);
  if (n < 0) {
    v = NULL;
    return -1;
  }
  return reply_header(r, name, v);
}

static bool is_head(const struct request *r)
{
  return strcmp(r->method, "HEAD") == 0;
}

/* Attach the collected headers, queue the response, and remember what the
 * access log needs. Takes ownership of resp. */
static int queue(struct request *r, unsigned status, struct MHD_Response *resp,
                 uint64_t body_len)
{
  if (!resp)
    return -1;
  /* On every reply, as Distribution does: clients probe for it on errors
   * and auth challenges, not only on /v2/. */
  MHD_add_response_header(resp, "Docker-Distribution-API-Version", "registry/2.0");
  for (size_t i = 0; i < r->n_headers; i++)
    MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
  if (r->response)
    MHD_destroy_response(r->response);
  r->response = resp;
  r->status = status;
  r->bytes_out = is_head(r) ? 0 : body_len;
  r->replied = true;
  return 0;
}

int reply_data(struct request *r, unsigned status, const char *content_type,
               const void *data, size_t len)
{
  /* For HEAD, MHD sends the Content-Length of this entity and no body. */
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, (void *) data, MHD_RESPMEM_MUST_COPY);
  if (!resp)
    return -1;
  if (content_type)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  return queue(r, status, resp, len);
}

int reply_data_take(struct request *r, unsigned status, const char *content_type,
                    char *data, size_t len)
{
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(data);
    return -1;
  }
  if (content_type)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  return queue(r, status, resp, len);
}

int reply_json(struct request *r, unsigned status, const char *json_text)
{
  return reply_data(r, status, "application/json", json_text, strlen(json_text));
}

/* Never called: a HEAD response's body is not read. */
static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
  return MHD_CONTENT_READER_END_WITH_ERROR;
}

int reply_empty(struct request *r, unsigned status, uint64_t content_length)
{
  struct MHD_Response *resp;
  if (is_head(r) && content_length > 0) {
    /* Advertise the entity's length without a body. MHD 0.9.75 computes
     * Content-Length from the response size, so give it an fd-less
     * callback response of that size which is never read for HEAD. */
    resp = MHD_create_response_from_callback(content_length, 4096, no_body, NULL, NULL);
  } else {
    resp = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
  }
  return queue(r, status, resp, 0);
}

int reply_fd(struct request *r, unsigned status, const char *content_type,
             int fd, uint64_t offset, uint64_t len)
{
  struct MHD_Response *resp =
      MHD_create_response_from_fd_at_offset64(len, fd, offset);
  if (!resp) {
    close(fd);
    return -1;
  }
  if (content_type)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  return queue(r, status, resp, len);
}

int reply_error_status(struct request *r, unsigned status, enum reg_code code,
                       const char *message)
{
  _cleanup_free_ char *body = reg_error_body(code, message);
  if (!body || reply_json(r, status, body) < 0) {
    /* Even the error could not be built: a bare 500. */
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
    queue(r, 500, resp, 0);
  }
  return -1;
}

int reply_error(struct request *r, enum reg_code code, const char *message)
{
  return reply_error_status(r, reg_code_status(code), code, message);
}

int reply_errorf(struct request *r, enum reg_code code, const char *fmt, ...)
{
  _cleanup_free_ char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  return reply_error(r, code, msg);
}

/* --- request lifecycle ------------------------------------------------ */

void *http_request_new(void *cls, const char *uri, struct MHD_Connection *conn)
{
  struct registry *reg = cls;
  struct request *r = calloc(1, sizeof(*r));
  if (!r)
    return NULL;
  r->conn = conn;
  r->reg = reg;
  r->start_ns = wh_now_mono_ns();
  r->uri = strdup(uri ? uri : "");
  atomic_fetch_add(&reg->inflight, 1);
  return r;
}

static void request_free(struct request *r)
{
  if (r->state && r->state_free)
    r->state_free(r->state);
  if (r->response)
    MHD_destroy_response(r->response);
  for (size_t i = 0; i < r->n_headers; i++) {
    free(r->headers[i].name);
    free(r->headers[i].value);
  }
  free(r->headers);
  free(r->principal);
  free(r->path);
  free(r->uri);
  free(r);
}

/* A request that sends blob bytes (the uploads_in_progress gauge). */
static bool is_upload(enum route_kind kind, const char *method)
{
  return (kind == ROUTE_UPLOADS || kind == ROUTE_UPLOAD) && method &&
         (strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0 ||
          strcmp(method, "PUT") == 0);
}

static void access_log(struct request *r, enum MHD_RequestTerminationCode toe)
{
  if (!wh_log_enabled(WH_LOG_INFO))
    return;
  struct wh_logline l;
  wh_logline_begin(&l, WH_LOG_INFO, "access");
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  char addr[64] = "-";
  if (ci && ci->client_addr) {
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
      inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, addr, sizeof(addr));
    else if (sa->sa_family == AF_INET6)
      inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, addr, sizeof(addr));
  }
  wh_logline_str(&l, "remote", addr);
  wh_logline_str(&l, "method", r->method ? r->method : "-");
  wh_logline_str(&l, "path", r->uri);
  wh_logline_int(&l, "status", r->status);
  wh_logline_int(&l, "bytes_in", (long long) r->bytes_in);
  wh_logline_int(&l, "bytes_out", (long long) r->bytes_out);
  wh_logline_double(&l, "ms", (double) (wh_now_mono_ns() - r->start_ns) / 1e6);
  if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
    wh_logline_str(&l, "aborted", "true");
  wh_logline_end(&l);
}

void http_request_completed(void *cls, struct MHD_Connection *conn,
                            void **con_cls, enum MHD_RequestTerminationCode toe)
{
  struct request *r = *con_cls;
  if (!r)
    return;
  access_log(r, toe);
  struct registry *reg = r->reg;
  if (reg->metrics) {
    enum route_kind k = r->match.kind;
    metrics_request(reg->metrics, k, r->method, r->status, r->bytes_in, r->bytes_out,
                    wh_now_mono_ns() - r->start_ns);
    if (is_upload(k, r->method))
      metrics_upload_ended(reg->metrics);
  }
  request_free(r);
  atomic_fetch_sub(&reg->inflight, 1);
  *con_cls = NULL;
}

void http_connection_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                            enum MHD_ConnectionNotificationCode code)
{
  struct registry *reg = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED)
    *socket_context = reg->auth ? auth_conn_new() : NULL;
  else if (*socket_context)
    auth_conn_free(*socket_context);
}

/* First call for a request: route it and run begin(). */
static void request_begin(struct request *r, const char *url, const char *method)
{
  r->method = method;
  r->path = strdup(url);
  if (!r->path) {
    reply_error(r, REG_UNAVAILABLE, "out of memory");
    return;
  }
  /* libmicrohttpd decodes %00 into the path, which would end it early
   * and route a request the client did not send. */
  if (r->uri && strstr(r->uri, "%00")) {
    reply_error(r, REG_NAME_INVALID, "the request path contains an encoded NUL byte (%00)");
    return;
  }
  enum route_kind kind = route_parse(r->path, &r->match);
  if (is_upload(kind, method))
    metrics_upload_started(r->reg->metrics);
  if (kind == ROUTE_NONE && r->reg->auth) {
    /* /token and the ECR API (POST /) exist only with --auth. */
    r->handler = auth_extra_route(r->path, method);
    if (r->handler) {
      r->match.kind = ROUTE_EXTRA;
      if (r->handler->begin)
        r->handler->begin(r);
      return;
    }
  }
  if (kind == ROUTE_NONE) {
    reply_error(r, REG_NOT_FOUND, NULL);
    return;
  }
  bool has_methods = false;
  r->handler = route_lookup(kind, method, &has_methods);
  if (!r->handler) {
    if (has_methods)
      reply_errorf(r, REG_METHOD_NOT_ALLOWED, "method %s is not allowed on %s",
                   method, route_kind_name(kind));
    else
      reply_error(r, REG_UNSUPPORTED, "this API route is not implemented");
    return;
  }
  if (r->reg->auth && auth_request(r) < 0)
    return;
  if (r->handler->begin)
    r->handler->begin(r);
}

enum MHD_Result http_access(void *cls, struct MHD_Connection *conn,
                            const char *url, const char *method,
                            const char *version, const char *upload_data,
                            size_t *upload_data_size, void **con_cls)
{
  struct request *r = *con_cls;
  if (!r) /* the URI log callback failed to allocate */
    return MHD_NO;

  if (!r->method) {
    request_begin(r, url, method);
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    r->bytes_in += *upload_data_size;
    if (!r->replied && r->handler && r->handler->body)
      r->handler->body(r, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (!r->replied && r->handler && r->handler->end)
    r->handler->end(r);
  if (!r->replied)
    reply_error(r, REG_INTERNAL, "the handler gave no reply");
  enum MHD_Result ret = MHD_queue_response(conn, r->status, r->response);
  return ret;
}
