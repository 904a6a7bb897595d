/* auth.c: authentication for `serve --auth` (auth.h): who is asking
 * (basic credentials, bearer tokens, nobody), with a shared bounded cache
 * of verified credentials and a per-connection memory of the last
 * Authorization header, and the check every OCI request passes before its
 * handler runs. Decisions are in auth_policy.c, the token endpoint in
 * auth_token.c. Every cache key carries the generation of auth.gen, so a
 * user or key change made by the CLI in another process invalidates
 * everything at once. */
#include "registry/auth.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "registry/api.h"
#include "registry/audit.h"
#include "registry/auth_header.h"
#include "registry/auth_internal.h"
#include "registry/http.h"
#include "registry/registry.h"
#include "registry/store_ecr.h"

/* The identity of auth.gen: a new file (inode) on every bump. */
static uint64_t gen_stat(struct registry_auth *a)
{
  struct stat st;
  if (fstatat(a->data_fd, AUTH_GEN_FILE, &st, 0) < 0)
    return 0;
  return (uint64_t) st.st_ino * 1000003ULL ^ (uint64_t) st.st_mtim.tv_nsec ^
         ((uint64_t) st.st_mtim.tv_sec << 20);
}

/* Has auth.gen been replaced since the last call? An inotify watch on the
 * data directory says so with one non-blocking read (a stat of the file
 * on every request was 5% of the CPU of an authenticated manifest GET);
 * without inotify, the file is stat'ed. The rename that replaces it
 * queues the event before the CLI exits, so the next request sees it. */
void auth_gen_refresh(struct registry *reg, struct registry_auth *a)
{
  bool changed = false;
  if (a->notify_fd >= 0) {
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;
    while ((n = read(a->notify_fd, buf, sizeof(buf))) > 0) {
      for (char *p = buf; p < buf + n;) {
        struct inotify_event *ev = (struct inotify_event *) p;
        if ((ev->mask & IN_Q_OVERFLOW) ||
            (ev->len > 0 && strcmp(ev->name, AUTH_GEN_FILE) == 0))
          changed = true;
        p += sizeof(*ev) + ev->len;
      }
    }
    if (changed)
      atomic_fetch_add(&a->gen, 1);
  } else {
    uint64_t g = gen_stat(a);
    if (g != atomic_load(&a->gen)) {
      atomic_store(&a->gen, g);
      changed = true;
    }
  }
  if (changed)
    auth_repo_changed(reg, NULL);
}

/* --- identifying the caller ------------------------------------------ */

static void caller_clear(struct caller *c)
{
  if (c->have_claims)
    ecr_jwt_claims_free(&c->claims);
}

/* kind NUL gen NUL x NUL y: what the credential cache is keyed by (an
 * HMAC of it). Built with appends: this runs on every request. */
static void cache_key(struct registry_auth *a, struct wh_buf *b, const char *kind,
                      const char *x, const char *y)
{
  uint64_t gen = atomic_load(&a->gen);
  wh_buf_append(b, kind, strlen(kind) + 1);
  wh_buf_append(b, &gen, sizeof(gen));
  wh_buf_append(b, x, strlen(x) + 1);
  if (y)
    wh_buf_append(b, y, strlen(y));
}

static void put_perms(struct ecr_authcache_entry *e, const struct auth_who *w)
{
  memcpy(e->value, &w->perms, sizeof(w->perms));
  e->value[8] = w->admin;
  e->value_len = 9;
}

static void get_perms(const struct ecr_authcache_entry *e, struct auth_who *w)
{
  memcpy(&w->perms, e->value, sizeof(w->perms));
  w->admin = e->value[8] != 0;
}

int auth_check_basic(struct registry *reg, const char *b64, struct caller *c)
{
  struct registry_auth *a = reg->auth;
  char buf[2048];
  char *user, *pass;
  if (auth_basic_decode(b64, buf, sizeof(buf), &user, &pass) < 0 ||
      strlen(user) >= ECR_AUTHCACHE_NAME_MAX) {
    c->fail = "malformed basic credentials";
    return -1;
  }
  int64_t now = wh_now_real_ns() / 1000000000;
  struct wh_buf key = WH_BUF_INIT;
  cache_key(a, &key, "basic", user, pass);
  struct ecr_authcache_entry e;
  int ret = -1;
  _cleanup_free_ char *login_user = NULL;
  struct wh_error *err = NULL;
  if (key.data && ecr_authcache_get(a->cache, key.data, key.len, now, &e)) {
    snprintf(c->user, sizeof(c->user), "%s", e.principal);
    get_perms(&e, &c->who);
    ret = 0;
    goto out;
  }
  const char *name = user;
  if (strcmp(user, "AWS") == 0) {
    login_user = ecr_jwt_login_verify(a->jwt_key, sizeof(a->jwt_key), a->issuer, pass, now, &err);
    if (!login_user) {
      c->fail = "bad or expired login token";
      goto out;
    }
    name = login_user;
  }
  struct ecr_user u;
  if (ecr_user_get(a->store, name, &u, &err) < 0) {
    c->fail = "unknown user";
    goto out;
  }
  bool ok = login_user != NULL;
  if (!ok && u.password && ecr_password_verify(pass, u.password, &ok, &err) < 0)
    ok = false;
  if (ok && auth_perm_bits(u.perms, &c->who.perms, &c->who.admin, &err) == 0) {
    snprintf(c->user, sizeof(c->user), "%s", name);
    memset(&e, 0, sizeof(e));
    snprintf(e.principal, sizeof(e.principal), "%s", name);
    put_perms(&e, &c->who);
    ecr_authcache_put(a->cache, key.data, key.len, &e, now, 0, NULL);
    ret = 0;
  } else {
    c->fail = ok ? "unreadable permissions" : u.password ? "bad password" : "no password set";
  }
  ecr_user_clear(&u);
out:
  if (err)
    wh_log(WH_LOG_INFO, "auth", "basic auth for %s refused: %s", user, err->msg);
  wh_error_free(err);
  wh_buf_free(&key);
  return ret;
}

static int check_bearer(struct registry *reg, const char *tok, struct caller *c)
{
  struct registry_auth *a = reg->auth;
  int64_t now = wh_now_real_ns() / 1000000000;
  struct wh_buf key = WH_BUF_INIT;
  cache_key(a, &key, "bearer", tok, NULL);
  struct ecr_authcache_entry e;
  int ret = -1;
  if (key.data && ecr_authcache_get(a->cache, key.data, key.len, now, &e)) {
    snprintf(c->user, sizeof(c->user), "%s", e.principal);
    snprintf(c->grant_repo, sizeof(c->grant_repo), "%s", e.key_id);
    c->grant_actions = e.value[0];
    c->grant_cached = true;
    ret = 0;
    goto out;
  }
  struct ecr_jwt_verify_opts o = { .now_s = now, .issuer = a->issuer, .audience = AUTH_SERVICE };
  struct wh_error *err = NULL;
  if (ecr_jwt_verify(tok, a->jwt_key, sizeof(a->jwt_key), &o, &c->claims, &err) < 0) {
    wh_log(WH_LOG_INFO, "auth", "bearer token refused: %s", err ? err->msg : "?");
    wh_error_free(err);
    c->fail = "bad or expired bearer token";
    goto out;
  }
  c->have_claims = true;
  if (c->claims.sub && c->claims.sub[0]) {
    struct ecr_user u;
    if (ecr_user_get(a->store, c->claims.sub, &u, &err) < 0) {
      wh_error_free(err);
      c->fail = "bearer token of an unknown user";
      goto out;
    }
    ecr_user_clear(&u);
    snprintf(c->user, sizeof(c->user), "%s", c->claims.sub);
  }
  ret = 0;
  if (c->claims.n_access == 1 && strcmp(c->claims.access[0].type, "repository") == 0 &&
      strlen(c->claims.access[0].name) < ECR_AUTHCACHE_NAME_MAX) {
    memset(&e, 0, sizeof(e));
    snprintf(e.principal, sizeof(e.principal), "%s", c->user);
    snprintf(e.key_id, sizeof(e.key_id), "%s", c->claims.access[0].name);
    e.value[0] = (unsigned char) c->claims.access[0].actions;
    e.value_len = 1;
    ecr_authcache_put(a->cache, key.data, key.len, &e, now, c->claims.exp, NULL);
  }
out:
  wh_buf_free(&key);
  return ret;
}

/* A keep-alive connection sends the same Authorization header with every
 * request: its last verified result is kept with the connection, so the
 * next request compares one string instead of taking the shared cache's
 * HMAC and lock. It only ever holds what this connection itself sent. */
struct auth_conn {
  char *header;
  uint64_t gen;
  int64_t expires;
  enum cred_kind kind;
  char user[ECR_AUTHCACHE_NAME_MAX];
  uint64_t perms;
  bool admin;
  char grant_repo[ECR_AUTHCACHE_NAME_MAX];
  unsigned grant_actions;
};

void *auth_conn_new(void)
{
  return calloc(1, sizeof(struct auth_conn));
}

void auth_conn_free(void *p)
{
  struct auth_conn *ac = p;
  if (!ac)
    return;
  free(ac->header);
  free(ac);
}

static struct auth_conn *conn_of(struct request *r)
{
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci ? ci->socket_context : NULL;
}

static void identify(struct registry *reg, struct request *r, struct caller *c)
{
  const char *h = request_header(r, "Authorization");
  c->kind = CRED_NONE;
  if (!h)
    return;
  struct auth_conn *ac = conn_of(r);
  int64_t now = time(NULL);
  uint64_t gen = atomic_load(&reg->auth->gen);
  if (ac && ac->header && ac->gen == gen && now < ac->expires && strcmp(ac->header, h) == 0) {
    c->kind = ac->kind;
    memcpy(c->user, ac->user, sizeof(c->user));
    c->who.perms = ac->perms;
    c->who.admin = ac->admin;
    if (ac->kind == CRED_BEARER) {
      memcpy(c->grant_repo, ac->grant_repo, sizeof(c->grant_repo));
      c->grant_actions = ac->grant_actions;
      c->grant_cached = true;
    }
    return;
  }
  const char *cred;
  switch (auth_header_scheme(h, &cred)) {
  case AUTH_SCHEME_BASIC:
    c->kind = auth_check_basic(reg, cred, c) == 0 ? CRED_BASIC : CRED_BAD;
    break;
  case AUTH_SCHEME_BEARER:
    c->kind = check_bearer(reg, cred, c) == 0 ? CRED_BEARER : CRED_BAD;
    break;
  default:
    c->kind = CRED_BAD, c->fail = "unsupported Authorization scheme";
  }
  if (!ac || c->kind == CRED_BAD || strlen(h) > ECR_JWT_MAX + 16)
    return;
  /* Remember a result that fits: basic, or a bearer token for one
   * repository. */
  int64_t exp = now + 60;
  if (c->kind == CRED_BEARER) {
    if (c->grant_cached) {
      memcpy(ac->grant_repo, c->grant_repo, sizeof(ac->grant_repo));
      ac->grant_actions = c->grant_actions;
    } else if (c->have_claims && c->claims.n_access == 1 &&
               strcmp(c->claims.access[0].type, "repository") == 0 &&
               strlen(c->claims.access[0].name) < sizeof(ac->grant_repo)) {
      snprintf(ac->grant_repo, sizeof(ac->grant_repo), "%s", c->claims.access[0].name);
      ac->grant_actions = c->claims.access[0].actions;
      if (c->claims.exp < exp)
        exp = c->claims.exp;
    } else {
      return;
    }
  }
  char *copy = strdup(h);
  if (!copy)
    return;
  free(ac->header);
  ac->header = copy;
  ac->gen = gen;
  ac->expires = exp;
  ac->kind = c->kind;
  memcpy(ac->user, c->user, sizeof(ac->user));
  ac->perms = c->who.perms;
  ac->admin = c->who.admin;
}

static bool bearer_allows(const struct caller *c, const char *repo, unsigned bits)
{
  if (c->grant_cached)
    return strcmp(c->grant_repo, repo) == 0 && (c->grant_actions & bits) == bits;
  return ecr_jwt_allows(&c->claims, repo, bits);
}

static bool bearer_catalog(const struct caller *c)
{
  if (c->grant_cached)
    return false;
  for (size_t i = 0; i < c->claims.n_access; i++)
    if (strcmp(c->claims.access[i].type, "registry") == 0 &&
        strcmp(c->claims.access[i].name, "catalog") == 0)
      return true;
  return false;
}

/* --- the challenge ---------------------------------------------------- */

static int challenge(struct request *r, const char *scope, bool insufficient)
{
  const char *host = request_header(r, "Host");
  const char *scheme = r->reg->cfg.tls_cert ? "https" : "http";
  if (scope)
    reply_headerf(r, "WWW-Authenticate",
                  "Bearer realm=\"%s://%s/token\",service=\"%s\",scope=\"%s\"%s", scheme,
                  host ? host : "localhost", AUTH_SERVICE, scope,
                  insufficient ? ",error=\"insufficient_scope\"" : "");
  else
    reply_headerf(r, "WWW-Authenticate", "Bearer realm=\"%s://%s/token\",service=\"%s\"",
                  scheme, host ? host : "localhost", AUTH_SERVICE);
  return reply_error(r, REG_UNAUTHORIZED, insufficient
                     ? "the token does not grant this action" : "authentication required");
}

static const char *challenge_scope(char *buf, size_t n, struct request *r, enum ecr_oci_op op,
                                   const char *opname)
{
  snprintf(buf, n, "repository:%s:%s", r->match.name, op == ECR_OCI_PUSH ? "pull,push" : opname);
  return buf;
}

int auth_request(struct request *r)
{
  struct registry *reg = r->reg;
  struct registry_auth *a = reg->auth;
  auth_gen_refresh(reg, a);
  enum route_kind kind = r->match.kind;
  bool get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
  bool del = strcmp(r->method, "DELETE") == 0;
  enum ecr_oci_op op = ECR_OCI_PULL;
  unsigned bits = ECR_JWT_PULL;
  const char *opname = "pull";
  bool repo_op = true;
  switch (kind) {
  case ROUTE_BASE:
  case ROUTE_CATALOG:
    repo_op = false;
    break;
  case ROUTE_TAGS:
  case ROUTE_REFERRERS:
    break;
  case ROUTE_MANIFEST:
  case ROUTE_BLOB:
    if (del) {
      op = ECR_OCI_DELETE, bits = ECR_JWT_DELETE, opname = "delete";
    } else if (!get) {
      op = ECR_OCI_PUSH, bits = ECR_JWT_PUSH, opname = "push";
    }
    break;
  case ROUTE_UPLOADS:
  case ROUTE_UPLOAD:
    op = ECR_OCI_PUSH, bits = ECR_JWT_PUSH, opname = "push";
    break;
  default:
    return 0;
  }
  if (repo_op && api_check_name(r) < 0)
    return -1;
  struct caller c;
  memset(&c, 0, sizeof(c));
  identify(reg, r, &c);
  int ret = 0;
  char scope[600]; /* what a challenge names; formatted only when one is sent */
  if (c.kind == CRED_BAD) {
    /* The user a basic header names is not trusted (it may be a typo'd
     * password pasted in the wrong field): only the reason is written. */
    audit_log(reg, "auth_failure", NULL, repo_op ? r->match.name : NULL, "api", "oci",
              "reason", c.fail ? c.fail : "refused", NULL);
    ret = challenge(r, repo_op ? challenge_scope(scope, sizeof(scope), r, op, opname) : NULL,
                    false);
    goto out;
  }
  c.who.user = c.user[0] ? c.user : NULL;
  /* Who the audit lines of this request name: the user (a password's, a
   * login token's or a bearer token's subject); NULL, written as JSON
   * null, for an anonymous caller. */
  if (c.who.user && !r->principal)
    r->principal = strdup(c.who.user);
  if (kind == ROUTE_BASE) {
    if (!c.who.user && c.kind != CRED_BEARER)
      ret = challenge(r, NULL, false);
    goto out;
  }
  bool ok;
  const char *from = kind == ROUTE_UPLOADS ? request_query(r, "from") : NULL;
  if (c.kind == CRED_BEARER) {
    if (kind == ROUTE_CATALOG)
      ok = bearer_catalog(&c);
    else
      ok = bearer_allows(&c, r->match.name, bits) &&
           (!from || bearer_allows(&c, from, ECR_JWT_PULL));
  } else if (kind == ROUTE_CATALOG) {
    ok = auth_allowed(reg, &c.who, NULL, "ecr:DescribeRepositories");
  } else {
    ok = auth_oci_allowed(reg, &c.who, r->match.name, op) &&
         (!from || auth_oci_allowed(reg, &c.who, from, ECR_OCI_PULL));
  }
  if (!ok) {
    wh_log(WH_LOG_INFO, "auth", "%s %s of %s refused for %s", r->method, opname,
           repo_op ? r->match.name : "catalog", c.who.user ? c.who.user : "anonymous");
    if (c.kind == CRED_NONE || c.kind == CRED_BEARER)
      ret = challenge(r, repo_op ? challenge_scope(scope, sizeof(scope), r, op, opname)
                              : "registry:catalog:*", c.kind == CRED_BEARER);
    else
      ret = reply_errorf(r, REG_DENIED, "%s may not %s %s", c.who.user, opname,
                         repo_op ? r->match.name : "the catalog");
    goto out;
  }
  if (op == ECR_OCI_PUSH && !a->create_on_push &&
      ((kind == ROUTE_UPLOADS && strcmp(r->method, "POST") == 0) ||
       (kind == ROUTE_MANIFEST && strcmp(r->method, "PUT") == 0))) {
    struct ecr_repo row;
    struct wh_error *err = NULL;
    if (ecr_repo_get(a->store, r->match.name, &row, &err) < 0) {
      wh_error_free(err);
      ret = reply_errorf(r, REG_NAME_UNKNOWN, "repository %s does not exist (create it "
                         "with CreateRepository; this registry does not create "
                         "repositories on push)", r->match.name);
      goto out;
    }
    ecr_repo_clear(&row);
  }
out:
  caller_clear(&c);
  return ret;
}

/* --- open and close ---------------------------------------------------- */

struct registry_auth *registry_auth_open(struct registry *reg, bool create_on_push,
                                         unsigned lifecycle_interval_s, struct wh_error **err)
{
  struct registry_auth *a = calloc(1, sizeof(*a));
  if (!a) {
    wh_error_errno(err, "auth");
    return NULL;
  }
  a->data_fd = reg->data_fd;
  a->notify_fd = -1;
  a->create_on_push = create_on_push;
  a->lifecycle_interval_s = lifecycle_interval_s;
  pthread_mutex_init(&a->lc_lock, NULL);
  pthread_cond_init(&a->lc_cond, NULL);
  a->repos = auth_repo_cache_new();
  _cleanup_free_ char *db = NULL;
  unsigned char master[ECR_KEY_LEN];
  if (!a->repos || asprintf(&db, "%s/meta.db", reg->cfg.data_dir) < 0) {
    db = NULL;
    wh_error_errno(err, "auth");
    goto fail;
  }
  a->store = ecr_store_open(db, err);
  if (!a->store)
    goto fail;
  if (ecr_keyfile_load(reg->data_fd, "registry.key", master, err) < 0)
    goto fail;
  ecr_key_derive(master, "secrets", a->secrets_key);
  ecr_key_derive(master, "jwt", a->jwt_key);
  auth_registry_id(master, a->registry_id);
  memset(master, 0, sizeof(master));
  snprintf(a->issuer, sizeof(a->issuer), "wharf-registry/%s", a->registry_id);
  a->cache = ecr_authcache_new(16384, 300, err);
  if (!a->cache)
    goto fail;
  a->notify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (a->notify_fd >= 0 &&
      inotify_add_watch(a->notify_fd, reg->cfg.data_dir, IN_MOVED_TO | IN_CLOSE_WRITE |
                        IN_CREATE | IN_DELETE) < 0) {
    close(a->notify_fd);
    a->notify_fd = -1;
  }
  a->gen = gen_stat(a);
  return a;
fail:
  registry_auth_close(a);
  return NULL;
}

void registry_auth_close(struct registry_auth *a)
{
  if (!a)
    return;
  auth_repo_cache_free(a->repos);
  ecr_authcache_free(a->cache);
  ecr_store_close(a->store);
  if (a->notify_fd >= 0)
    close(a->notify_fd);
  pthread_mutex_destroy(&a->lc_lock);
  pthread_cond_destroy(&a->lc_cond);
  memset(a->jwt_key, 0, sizeof(a->jwt_key));
  memset(a->secrets_key, 0, sizeof(a->secrets_key));
  free(a);
}

