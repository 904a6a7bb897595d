/* image/client.c: the registry client (see client.h). */
#include "image/client.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "image/challenge.h"
#include "image/creds.h"
#include "image/manifest.h"
#include "image/regconf.h"

#define MAX_TRIES 4
#define TOKEN_MAX (1u << 20)
#define ERROR_BODY_MAX (64u << 10)

static const char accept_manifests[] =
  "Accept: " OCI_MT_IMAGE_MANIFEST ", " OCI_MT_IMAGE_INDEX ", " DOCKER_MT_MANIFEST ", "
  DOCKER_MT_MANIFEST_LIST;

enum auth_mode { AUTH_NONE = 0, AUTH_BASIC, AUTH_BEARER };

struct token {
  char *scope;
  char *value;
  struct token *next;
};

struct image_client {
  char *domain;
  char *base; /* scheme://domain */
  bool verify;
  char *user, *pass;
  bool creds_loaded;
  char *cli_creds;
  char *auth_file;
  char *ca_file; /* PEM bundle for this registry, or NULL: the system's */
  enum auth_mode auth;
  char *realm, *service;
  struct token *tokens;
  struct curl_slist **lists; /* header lists handed to streaming handles */
  size_t n_lists;
  CURL *easy; /* synchronous requests reuse one handle and its connection */
};

struct resp {
  long status;
  struct wh_buf body;
  size_t max;
  bool too_big;
  char *ctype, *digest, *location, *www_auth;
  long retry_after;
};

static void resp_reset(struct resp *r)
{
  r->status = 0;
  wh_buf_clear(&r->body);
  r->too_big = false;
  free(r->ctype);
  free(r->digest);
  free(r->location);
  free(r->www_auth);
  r->ctype = r->digest = r->location = r->www_auth = NULL;
  r->retry_after = 0;
}

static void resp_free(struct resp *r)
{
  resp_reset(r);
  wh_buf_free(&r->body);
}

struct upload {
  int fd;
  uint64_t off, size;
  image_progress_fn progress;
  void *pctx;
};

struct request {
  const char *method;
  const char *url;  /* absolute */
  const char *repo; /* for the auth scope; NULL for none */
  bool push;        /* scope actions pull,push */
  const char *accept;
  const char *ctype;
  const void *body;
  size_t body_len;
  struct upload *up;
  bool idempotent;
};

const char *image_client_domain(const struct image_client *c)
{
  return c->domain;
}

static bool is_loopback(const char *domain)
{
  return strncmp(domain, "localhost", 9) == 0 && (domain[9] == '\0' || domain[9] == ':')
         ? true
         : strncmp(domain, "127.", 4) == 0 || strncmp(domain, "[::1]", 5) == 0;
}

static void tokens_free(struct token *t)
{
  while (t) {
    struct token *n = t->next;
    free(t->scope);
    free(t->value);
    free(t);
    t = n;
  }
}

void image_client_free(struct image_client *c)
{
  if (!c)
    return;
  if (c->easy)
    curl_easy_cleanup(c->easy);
  for (size_t i = 0; i < c->n_lists; i++)
    curl_slist_free_all(c->lists[i]);
  free(c->lists);
  tokens_free(c->tokens);
  free(c->domain);
  free(c->base);
  free(c->user);
  if (c->pass) {
    explicit_bzero(c->pass, strlen(c->pass));
    free(c->pass);
  }
  free(c->cli_creds);
  free(c->auth_file);
  free(c->ca_file);
  free(c->realm);
  free(c->service);
  free(c);
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
  struct resp *r = ud;
  size_t len = size * n;
  if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
    /* a new response (after a redirect or 100-continue) */
    resp_reset(r);
    return len;
  }
  const char *colon = memchr(buf, ':', len);
  if (!colon)
    return len;
  size_t klen = (size_t) (colon - buf);
  const char *v = colon + 1;
  const char *end = buf + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  char **slot = NULL;
  if (klen == 12 && strncasecmp(buf, "Content-Type", 12) == 0)
    slot = &r->ctype;
  else if (klen == 21 && strncasecmp(buf, "Docker-Content-Digest", 21) == 0)
    slot = &r->digest;
  else if (klen == 8 && strncasecmp(buf, "Location", 8) == 0)
    slot = &r->location;
  else if (klen == 16 && strncasecmp(buf, "WWW-Authenticate", 16) == 0)
    slot = &r->www_auth;
  else if (klen == 11 && strncasecmp(buf, "Retry-After", 11) == 0)
    r->retry_after = strtol(v, NULL, 10);
  if (slot) {
    free(*slot);
    *slot = strndup(v, (size_t) (end - v));
  }
  return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *ud)
{
  struct resp *r = ud;
  size_t len = size * n;
  if (r->body.len + len > r->max) {
    r->too_big = true;
    return 0;
  }
  if (wh_buf_append(&r->body, buf, len) < 0)
    return 0;
  return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
  struct upload *u = ud;
  size_t want = size * n;
  if (u->off >= u->size)
    return 0;
  if (want > u->size - u->off)
    want = (size_t) (u->size - u->off);
  ssize_t got = pread(u->fd, buf, want, (off_t) u->off);
  if (got <= 0)
    return CURL_READFUNC_ABORT;
  u->off += (uint64_t) got;
  if (u->progress)
    u->progress(u->pctx, u->off, u->size);
  return (size_t) got;
}

static void common_opts(struct image_client *c, CURL *e)
{
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "wharf/" WHARF_VERSION);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 15L);
  /* a stalled transfer (under 1 KiB/s for 60 s) is a failure, not a hang */
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->verify ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->verify ? 2L : 0L);
  if (c->ca_file)
    curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
}

static int load_creds(struct image_client *c, struct wh_error **err)
{
  if (c->creds_loaded)
    return 0;
  c->creds_loaded = true;
  if (c->cli_creds) {
    const char *colon = strchr(c->cli_creds, ':');
    if (!colon)
      return wh_error_set(err, WH_ERR_INVALID, "--creds: expected user:password");
    c->user = strndup(c->cli_creds, (size_t) (colon - c->cli_creds));
    c->pass = strdup(colon + 1);
    return 0;
  }
  if (image_creds_lookup(c->domain, c->auth_file, &c->user, &c->pass, err) < 0)
    return wh_error_wrap(err, "credentials for %s", c->domain);
  return 0;
}

/* Take a 401's challenge: Basic, or Bearer with its token endpoint. */
static int parse_challenge(struct image_client *c, const char *h, struct wh_error **err)
{
  struct image_challenge ch;
  if (image_challenge_parse(h, &ch, err) < 0)
    return wh_error_wrap(err, "%s", c->domain);
  if (ch.scheme == IMAGE_AUTH_BASIC) {
    c->auth = AUTH_BASIC;
    return 0;
  }
  free(c->realm);
  free(c->service);
  c->realm = ch.realm;
  c->service = ch.service;
  c->auth = AUTH_BEARER;
  return 0;
}

static char *scope_of(const char *repo, bool push)
{
  char *s = NULL;
  if (asprintf(&s, "repository:%s:%s", repo, push ? "pull,push" : "pull") < 0)
    return NULL;
  return s;
}

static const char *token_for(struct image_client *c, const char *scope)
{
  for (struct token *t = c->tokens; t; t = t->next)
    if (strcmp(t->scope, scope) == 0)
      return t->value;
  return NULL;
}

static void drop_token(struct image_client *c, const char *scope)
{
  for (struct token **pp = &c->tokens; *pp; pp = &(*pp)->next) {
    if (strcmp((*pp)->scope, scope) == 0) {
      struct token *t = *pp;
      *pp = t->next;
      t->next = NULL;
      tokens_free(t);
      return;
    }
  }
}

void image_client_token_expired(struct image_client *c, const char *repo)
{
  _cleanup_free_ char *s = scope_of(repo, false);
  if (s)
    drop_token(c, s);
}

static int fetch_token(struct image_client *c, const char *scope, struct wh_error **err)
{
  if (load_creds(c, err) < 0)
    return -1;
  CURL *e = curl_easy_init();
  if (!e)
    return wh_error_set(err, WH_ERR_INTERNAL, "curl_easy_init failed");
  char *qs = curl_easy_escape(e, scope, 0);
  char *qsvc = c->service ? curl_easy_escape(e, c->service, 0) : NULL;
  _cleanup_free_ char *url = NULL;
  int r = asprintf(&url, "%s%cscope=%s%s%s", c->realm, strchr(c->realm, '?') ? '&' : '?',
                   qs ? qs : "", qsvc ? "&service=" : "", qsvc ? qsvc : "");
  curl_free(qs);
  curl_free(qsvc);
  if (r < 0) {
    curl_easy_cleanup(e);
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  _cleanup_(resp_free) struct resp rs = {.max = TOKEN_MAX};
  CURLcode cc = CURLE_OK;
  for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
    resp_reset(&rs);
    curl_easy_reset(e);
    common_opts(c, e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &rs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &rs);
    if (c->user) {
      curl_easy_setopt(e, CURLOPT_USERNAME, c->user);
      curl_easy_setopt(e, CURLOPT_PASSWORD, c->pass);
    }
    cc = curl_easy_perform(e);
    if (cc == CURLE_OK)
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &rs.status);
    if (cc == CURLE_OK && rs.status < 500 && rs.status != 429)
      break;
    usleep((useconds_t) (200000u << attempt));
  }
  curl_easy_cleanup(e);
  if (cc != CURLE_OK)
    return wh_error_set(err, WH_ERR_IO, "token server %s: %s", c->realm, curl_easy_strerror(cc));
  if (rs.status == 401 || rs.status == 403)
    return wh_error_set(err, WH_ERR_DENIED, "%s: token server refused %s: %s", c->domain,
                        c->user ? "the credentials" : "anonymous access (log in first)",
                        rs.status == 401 ? "401 Unauthorized" : "403 Forbidden");
  if (rs.status != 200)
    return wh_error_set(err, WH_ERR_IO, "token server %s answered %ld", c->realm, rs.status);
  json_error_t je;
  _cleanup_json_ json_t *j = json_loadb(rs.body.data ? rs.body.data : "", rs.body.len, 0, &je);
  const char *tok = json_string_value(json_object_get(j, "token"));
  if (!tok)
    tok = json_string_value(json_object_get(j, "access_token"));
  if (!tok || !*tok || strpbrk(tok, "\r\n"))
    return wh_error_set(err, WH_ERR_INVALID, "token server %s: no token in the answer", c->realm);
  struct token *t = calloc(1, sizeof(*t));
  if (!t)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  t->scope = strdup(scope);
  t->value = strdup(tok);
  t->next = c->tokens;
  c->tokens = t;
  if (!t->scope || !t->value)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  return 0;
}

/* Authorization for a request to repo: a header to add (bearer) or
 * credentials set on the handle (basic). */
static int add_auth(struct image_client *c, CURL *e, const char *repo, bool push,
                    struct curl_slist **hdrs, struct wh_error **err)
{
  if (c->auth == AUTH_BASIC) {
    if (load_creds(c, err) < 0)
      return -1;
    if (c->user) {
      curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(e, CURLOPT_USERNAME, c->user);
      curl_easy_setopt(e, CURLOPT_PASSWORD, c->pass);
    }
    return 0;
  }
  if (c->auth != AUTH_BEARER || !repo)
    return 0;
  _cleanup_free_ char *scope = scope_of(repo, push);
  if (!scope)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  const char *tok = token_for(c, scope);
  if (!tok) {
    if (fetch_token(c, scope, err) < 0)
      return -1;
    tok = token_for(c, scope);
  }
  _cleanup_free_ char *h = NULL;
  if (asprintf(&h, "Authorization: Bearer %s", tok) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  *hdrs = curl_slist_append(*hdrs, h);
  return 0;
}

static bool transient(CURLcode cc)
{
  return cc == CURLE_COULDNT_CONNECT || cc == CURLE_OPERATION_TIMEDOUT ||
         cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR || cc == CURLE_GOT_NOTHING ||
         cc == CURLE_PARTIAL_FILE || cc == CURLE_COULDNT_RESOLVE_HOST;
}

static void backoff(int attempt, long retry_after)
{
  useconds_t us = 250000u << attempt;
  if (retry_after > 0 && retry_after <= 10)
    us = (useconds_t) retry_after * 1000000u;
  usleep(us);
}

/* One request with auth challenges and retries. resp->status is the final
 * HTTP status; transport failures are errors. */
static int request(struct image_client *c, const struct request *q, struct resp *rs,
                   struct wh_error **err)
{
  bool challenged = false;
  CURL *e = c->easy;
  for (int attempt = 0;; attempt++) {
    resp_reset(rs);
    curl_easy_reset(e);
    common_opts(c, e);
    curl_easy_setopt(e, CURLOPT_URL, q->url);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, q->up || q->body ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, rs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, rs);
    struct curl_slist *hdrs = NULL;
    if (q->accept)
      hdrs = curl_slist_append(hdrs, q->accept);
    if (q->ctype) {
      char h[256];
      snprintf(h, sizeof(h), "Content-Type: %s", q->ctype);
      hdrs = curl_slist_append(hdrs, h);
    }
    if (strcmp(q->method, "HEAD") == 0) {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (q->up) {
      q->up->off = 0;
      curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(e, CURLOPT_READDATA, q->up);
      curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t) q->up->size);
      hdrs = curl_slist_append(hdrs, "Content-Type: application/octet-stream");
      hdrs = curl_slist_append(hdrs, "Expect:");
    } else if (q->body || strcmp(q->method, "POST") == 0) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body ? q->body : "");
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) q->body_len);
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
    }
    if (add_auth(c, e, q->repo, q->push, &hdrs, err) < 0) {
      curl_slist_free_all(hdrs);
      return -1;
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
    CURLcode cc = curl_easy_perform(e);
    curl_slist_free_all(hdrs);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
    if (cc != CURLE_OK) {
      if (rs->too_big)
        return wh_error_set(err, WH_ERR_TOO_LARGE, "%s %s: answer larger than %zu bytes",
                            q->method, q->url, rs->max);
      if (q->idempotent && transient(cc) && attempt + 1 < MAX_TRIES) {
        backoff(attempt, 0);
        continue;
      }
      return wh_error_set(err, WH_ERR_IO, "%s %s: %s", q->method, q->url, curl_easy_strerror(cc));
    }
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &rs->status);
    if (rs->status == 401 && !challenged && rs->www_auth) {
      challenged = true;
      enum auth_mode before = c->auth;
      if (parse_challenge(c, rs->www_auth, err) < 0)
        return -1;
      if (c->auth == AUTH_BASIC && load_creds(c, err) < 0)
        return -1;
      if (c->auth == AUTH_BASIC && !c->user)
        return wh_error_set(err, WH_ERR_DENIED, "%s: authentication required (log in first)",
                            c->domain);
      if (before == AUTH_BEARER && c->auth == AUTH_BEARER && q->repo) {
        _cleanup_free_ char *scope = scope_of(q->repo, q->push);
        if (scope)
          drop_token(c, scope); /* expired or too narrow */
      }
      attempt--;
      continue;
    }
    if ((rs->status >= 500 || rs->status == 429) && q->idempotent && attempt + 1 < MAX_TRIES) {
      backoff(attempt, rs->retry_after);
      continue;
    }
    return 0;
  }
}

/* A message for an unexpected status, with the registry's error code
 * when the body has the spec's {"errors": [{code, message}]}. */
static int status_error(struct image_client *c, const char *what, struct resp *rs,
                        struct wh_error **err)
{
  enum wh_err_kind kind = rs->status == 404 ? WH_ERR_NOT_FOUND
                        : rs->status == 401 || rs->status == 403 ? WH_ERR_DENIED
                        : WH_ERR_IO;
  const char *code = NULL, *msg = NULL;
  json_error_t je;
  _cleanup_json_ json_t *j = rs->body.len && rs->body.len < ERROR_BODY_MAX
      ? json_loadb(rs->body.data, rs->body.len, 0, &je) : NULL;
  json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
  code = json_string_value(json_object_get(e0, "code"));
  msg = json_string_value(json_object_get(e0, "message"));
  if (code)
    return wh_error_set(err, kind, "%s: %s answered %ld %s: %.200s", what, c->domain,
                        rs->status, code, msg ? msg : "");
  return wh_error_set(err, kind, "%s: %s answered %ld", what, c->domain, rs->status);
}

static char *url_for(struct image_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *url_for(struct image_client *c, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *path = NULL;
  int r = vasprintf(&path, fmt, ap);
  va_end(ap);
  char *u = NULL;
  if (r < 0 || asprintf(&u, "%s%s", c->base, path) < 0)
    return NULL;
  return u;
}

/* For loopback and insecure registries: HTTPS without verification when
 * the registry speaks it, else plain HTTP. */
static void probe_scheme(struct image_client *c)
{
  CURL *e = c->easy;
  _cleanup_free_ char *url = NULL;
  if (asprintf(&url, "https://%s/v2/", c->domain) < 0)
    return;
  curl_easy_reset(e);
  common_opts(c, e);
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 5L);
  CURLcode cc = curl_easy_perform(e);
  if (cc == CURLE_OK)
    return;
  free(c->base);
  c->base = NULL;
  if (asprintf(&c->base, "http://%s", c->domain) < 0)
    c->base = NULL;
}

int image_client_new(const char *domain, const struct image_client_opts *o,
                     struct image_client **out, struct wh_error **err)
{
  static const struct image_client_opts none = {.tls_verify = -1};
  if (!o)
    o = &none;
  if (!*domain || strpbrk(domain, "/?#@ \t\r\n"))
    return wh_error_set(err, WH_ERR_INVALID, "registry \"%s\" is not a host[:port]", domain);
  struct image_client *c = calloc(1, sizeof(*c));
  if (!c)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  c->domain = strdup(domain);
  c->cli_creds = o->creds ? strdup(o->creds) : NULL;
  c->auth_file = o->auth_file ? strdup(o->auth_file) : NULL;
  const char *ca = image_regconf_ca_file(o->conf, domain);
  c->ca_file = ca ? strdup(ca) : NULL;
  c->easy = curl_easy_init();
  /* an explicit --tls-verify wins over the configuration */
  bool insecure = o->tls_verify == 0 ||
                  (o->tls_verify < 0 && image_regconf_insecure(o->conf, domain));
  c->verify = !insecure;
  if (!c->domain || !c->easy || asprintf(&c->base, "https://%s", domain) < 0) {
    image_client_free(c);
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  if (insecure || (is_loopback(domain) && o->tls_verify != 1)) {
    c->verify = false;
    probe_scheme(c);
    if (!c->base) {
      image_client_free(c);
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    }
  }
  *out = c;
  return 0;
}

static bool digest_ok(const char *d)
{
  return strlen(d) < 200 && !strpbrk(d, "/?#% ");
}

int image_client_get_manifest(struct image_client *c, const char *repo, const char *ref,
                              struct wh_buf *body, char **ctype, struct wh_error **err)
{
  if (!digest_ok(ref))
    return wh_error_set(err, WH_ERR_INVALID, "bad manifest reference \"%s\"", ref);
  _cleanup_free_ char *url = url_for(c, "/v2/%s/manifests/%s", repo, ref);
  if (!url)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  _cleanup_(resp_free) struct resp rs = {.max = IMAGE_MANIFEST_MAX};
  struct request q = {.method = "GET", .url = url, .repo = repo, .accept = accept_manifests,
                      .idempotent = true};
  if (request(c, &q, &rs, err) < 0)
    return -1;
  if (rs.status != 200)
    return status_error(c, "manifest", &rs, err);
  *ctype = rs.ctype ? steal_pointer(&rs.ctype) : NULL;
  *body = rs.body;
  rs.body = (struct wh_buf) WH_BUF_INIT;
  return 0;
}

int image_client_get_blob(struct image_client *c, const char *repo, const char *digest,
                          size_t max, struct wh_buf *body, struct wh_error **err)
{
  if (!digest_ok(digest))
    return wh_error_set(err, WH_ERR_INVALID, "bad digest \"%s\"", digest);
  _cleanup_free_ char *url = url_for(c, "/v2/%s/blobs/%s", repo, digest);
  if (!url)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  _cleanup_(resp_free) struct resp rs = {.max = max};
  struct request q = {.method = "GET", .url = url, .repo = repo, .idempotent = true};
  if (request(c, &q, &rs, err) < 0)
    return wh_error_wrap(err, "blob %s", digest);
  if (rs.status != 200)
    return status_error(c, digest, &rs, err);
  *body = rs.body;
  rs.body = (struct wh_buf) WH_BUF_INIT;
  return 0;
}

int image_client_blob_exists(struct image_client *c, const char *repo, const char *digest,
                             struct wh_error **err)
{
  _cleanup_free_ char *url = url_for(c, "/v2/%s/blobs/%s", repo, digest);
  if (!url)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  _cleanup_(resp_free) struct resp rs = {.max = ERROR_BODY_MAX};
  struct request q = {.method = "HEAD", .url = url, .repo = repo, .push = true,
                      .idempotent = true};
  if (request(c, &q, &rs, err) < 0)
    return -1;
  if (rs.status == 200)
    return 1;
  if (rs.status == 404)
    return 0;
  return status_error(c, digest, &rs, err);
}

/* Resolve a Location header against the registry's base URL. */
static char *resolve_location(struct image_client *c, const char *loc)
{
  CURLU *u = curl_url();
  char *out = NULL, *tmp = NULL;
  _cleanup_free_ char *base = NULL;
  if (u && asprintf(&base, "%s/v2/", c->base) >= 0 &&
      curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
      curl_url_set(u, CURLUPART_URL, loc, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_URL, &tmp, 0) == CURLUE_OK)
    out = strdup(tmp);
  curl_free(tmp);
  curl_url_cleanup(u);
  return out;
}

int image_client_put_blob(struct image_client *c, const char *repo, const char *digest,
                          int fd, uint64_t size, const char *mount_from, bool *mounted,
                          image_progress_fn progress, void *pctx, struct wh_error **err)
{
  *mounted = false;
  _cleanup_free_ char *url = NULL;
  if (mount_from && strcmp(mount_from, repo) != 0)
    url = url_for(c, "/v2/%s/blobs/uploads/?mount=%s&from=%s", repo, digest, mount_from);
  else
    url = url_for(c, "/v2/%s/blobs/uploads/", repo);
  if (!url)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  _cleanup_(resp_free) struct resp rs = {.max = ERROR_BODY_MAX};
  struct request q = {.method = "POST", .url = url, .repo = repo, .push = true};
  if (request(c, &q, &rs, err) < 0)
    return wh_error_wrap(err, "upload %s", digest);
  if (rs.status == 201) {
    *mounted = true;
    return 0;
  }
  if (rs.status != 202 || !rs.location)
    return status_error(c, "start upload", &rs, err);
  _cleanup_free_ char *loc = resolve_location(c, rs.location);
  _cleanup_free_ char *put = NULL;
  if (!loc || asprintf(&put, "%s%cdigest=%s", loc, strchr(loc, '?') ? '&' : '?', digest) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "bad upload location \"%.200s\"", rs.location);
  struct upload up = {.fd = fd, .size = size, .progress = progress, .pctx = pctx};
  struct request p = {.method = "PUT", .url = put, .repo = repo, .push = true, .up = &up,
                      .idempotent = true};
  if (request(c, &p, &rs, err) < 0)
    return wh_error_wrap(err, "upload %s", digest);
  if (rs.status != 201)
    return status_error(c, "upload", &rs, err);
  return 0;
}

int image_client_put_manifest(struct image_client *c, const char *repo, const char *ref,
                              const char *media_type, const void *data, size_t len,
                              struct wh_error **err)
{
  _cleanup_free_ char *url = url_for(c, "/v2/%s/manifests/%s", repo, ref);
  if (!url)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  _cleanup_(resp_free) struct resp rs = {.max = ERROR_BODY_MAX};
  struct request q = {.method = "PUT", .url = url, .repo = repo, .push = true,
                      .ctype = media_type, .body = data, .body_len = len, .idempotent = true};
  if (request(c, &q, &rs, err) < 0)
    return wh_error_wrap(err, "manifest %s", ref);
  if (rs.status != 201 && rs.status != 200)
    return status_error(c, "put manifest", &rs, err);
  return 0;
}

int image_client_setup_blob_get(struct image_client *c, CURL *e, const char *repo,
                                const char *digest, struct wh_error **err)
{
  _cleanup_free_ char *url = url_for(c, "/v2/%s/blobs/%s", repo, digest);
  if (!url)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  struct curl_slist **nl = realloc(c->lists, (c->n_lists + 1) * sizeof(*nl));
  if (!nl)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  c->lists = nl;
  struct curl_slist *hdrs = NULL;
  common_opts(c, e);
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
  if (add_auth(c, e, repo, false, &hdrs, err) < 0) {
    curl_slist_free_all(hdrs);
    return -1;
  }
  c->lists[c->n_lists++] = hdrs;
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
  return 0;
}
