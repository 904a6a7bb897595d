/* auth.c: authentication and authorization for `serve --auth` (auth.h).
 *
 * Per request: identify the caller (cached: a password check costs tens
 * of milliseconds), then decide with the repository's policy and the
 * caller's registry-level permissions, or with a bearer token's grants
 * (which /token already intersected with the same decision). Parsed
 * policies and tag-mutability settings are cached per repository and
 * dropped when the ECR API changes them. Every cache key carries the
 * generation of auth.gen, so a user or key change made by the CLI in
 * another process invalidates everything at once. */
#include "registry/auth.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "registry/api.h"
#include "registry/ecr_authcache.h"
#include "registry/ecr_jwt.h"
#include "registry/ecr_mutability.h"
#include "registry/ecr_policy.h"
#include "registry/http.h"
#include "registry/registry.h"
#include "registry/store_ecr.h"

/* The ECR actions a registry-level permission list can name; bit i of
 * auth_who.perms is actions[i]. */
static const char *const actions[] = {
  "BatchCheckLayerAvailability", "BatchDeleteImage", "BatchGetImage",
  "BatchGetRepositoryScanningConfiguration", "BatchImportUpstreamImage",
  "CompleteLayerUpload", "CreatePullThroughCacheRule", "CreateRepository",
  "DeleteLifecyclePolicy", "DeletePullThroughCacheRule",
  "DeleteRegistryPolicy", "DeleteRepository", "DeleteRepositoryPolicy",
  "DescribeImageReplicationStatus", "DescribeImageScanFindings",
  "DescribeImages", "DescribePullThroughCacheRules", "DescribeRegistry",
  "DescribeRepositories", "GetAuthorizationToken", "GetDownloadUrlForLayer",
  "GetLifecyclePolicy", "GetLifecyclePolicyPreview", "GetRegistryPolicy",
  "GetRegistryScanningConfiguration", "GetRepositoryPolicy",
  "InitiateLayerUpload", "ListImages", "ListTagsForResource", "PutImage",
  "PutImageScanningConfiguration", "PutImageTagMutability",
  "PutLifecyclePolicy", "PutRegistryPolicy",
  "PutRegistryScanningConfiguration", "PutReplicationConfiguration",
  "ReplicateImage", "SetRepositoryPolicy", "StartImageScan",
  "StartLifecyclePolicyPreview", "TagResource", "UntagResource",
  "UploadLayerPart",
};

static int action_index(const char *action)
{
  if (strncasecmp(action, "ecr:", 4) == 0)
    action += 4;
  for (size_t i = 0; i < WH_ARRAY_SIZE(actions); i++)
    if (strcasecmp(actions[i], action) == 0)
      return (int) i;
  return -1;
}

int auth_perm_bits(const char *perms, uint64_t *bits, bool *admin, struct wh_error **err)
{
  *bits = 0;
  *admin = false;
  _cleanup_free_ char *copy = strdup(perms ? perms : "");
  if (!copy)
    return wh_error_errno(err, "permissions");
  char *save = NULL;
  for (char *tok = strtok_r(copy, " ,\t\n", &save); tok; tok = strtok_r(NULL, " ,\t\n", &save)) {
    if (strcmp(tok, "admin") == 0) {
      *admin = true;
      continue;
    }
    if (strncasecmp(tok, "ecr:", 4) != 0 && strcmp(tok, "*") != 0)
      return wh_error_set(err, WH_ERR_INVALID, "permission '%s': expected admin or an "
                          "ecr: action such as ecr:DescribeRepositories or ecr:*", tok);
    uint64_t b = 0;
    char full[128];
    for (size_t i = 0; i < WH_ARRAY_SIZE(actions); i++) {
      snprintf(full, sizeof(full), "ecr:%s", actions[i]);
      if (ecr_policy_action_match(tok, full))
        b |= 1ULL << i;
    }
    if (b == 0)
      return wh_error_set(err, WH_ERR_INVALID, "permission '%s' names no ECR action", tok);
    *bits |= b;
  }
  return 0;
}

void auth_user_arn(const struct registry_auth *a, const char *user, char *out, size_t n)
{
  snprintf(out, n, "arn:aws:iam::%s:user/%s", a->registry_id, user);
}

void auth_registry_id(const unsigned char master[ECR_KEY_LEN], char out[13])
{
  unsigned char k[ECR_KEY_LEN];
  ecr_key_derive(master, "registry-id", k);
  uint64_t v = 0;
  memcpy(&v, k, sizeof(v));
  snprintf(out, 13, "%012llu", (unsigned long long) (v % 1000000000000ULL));
}

int auth_gen_bump(int data_fd, struct wh_error **err)
{
  char buf[64];
  int n = snprintf(buf, sizeof(buf), "%lld\n", (long long) wh_now_real_ns());
  return wh_write_file_atomic(data_fd, AUTH_GEN_FILE, buf, (size_t) n, 0600, err);
}

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
static void gen_refresh(struct registry *reg, struct registry_auth *a)
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

/* --- per-repository cache: policy and tag mutability ----------------- */

#define RC_BUCKETS 256
#define RC_MAX 20000

struct rc_entry {
  struct rc_entry *next;
  char *name;
  uint64_t gen;
  struct ecr_policy *policy;
  struct ecr_mutability mut;
};

struct repo_cache {
  pthread_mutex_t lock;
  struct rc_entry *b[RC_BUCKETS];
  size_t n;
};

static size_t rc_hash(const char *s)
{
  size_t h = 5381;
  for (; *s; s++)
    h = h * 33 + (unsigned char) *s;
  return h % RC_BUCKETS;
}

static void rc_entry_free(struct rc_entry *e)
{
  free(e->name);
  ecr_policy_free(e->policy);
  ecr_mutability_clear(&e->mut);
  free(e);
}

static void rc_drop(struct repo_cache *c, const char *name)
{
  for (size_t i = 0; i < RC_BUCKETS; i++) {
    if (name && i != rc_hash(name))
      continue;
    struct rc_entry **pp = &c->b[i];
    while (*pp) {
      struct rc_entry *e = *pp;
      if (!name || strcmp(e->name, name) == 0) {
        *pp = e->next;
        rc_entry_free(e);
        c->n--;
      } else {
        pp = &e->next;
      }
    }
  }
}

void auth_repo_changed(struct registry *reg, const char *repo)
{
  struct registry_auth *a = reg->auth;
  if (!a)
    return;
  pthread_mutex_lock(&a->repos->lock);
  rc_drop(a->repos, repo);
  pthread_mutex_unlock(&a->repos->lock);
}

/* The entry for repo, loaded if missing or stale. Call with the lock
 * held; NULL on a load failure (treated as no policy, no settings). */
static struct rc_entry *rc_get(struct registry_auth *a, const char *repo)
{
  struct repo_cache *c = a->repos;
  uint64_t gen = atomic_load(&a->gen);
  size_t h = rc_hash(repo);
  for (struct rc_entry **pp = &c->b[h]; *pp; pp = &(*pp)->next) {
    struct rc_entry *e = *pp;
    if (strcmp(e->name, repo) == 0) {
      if (e->gen == gen)
        return e;
      *pp = e->next;
      rc_entry_free(e);
      c->n--;
      break;
    }
  }
  if (c->n >= RC_MAX)
    rc_drop(c, NULL);
  struct rc_entry *e = calloc(1, sizeof(*e));
  if (!e || !(e->name = strdup(repo))) {
    free(e);
    return NULL;
  }
  e->gen = gen;
  struct ecr_repo row;
  struct wh_error *err = NULL;
  if (ecr_repo_get(a->store, repo, &row, &err) == 0) {
    const char *pol = row.f[ECR_RF_POLICY];
    if (pol) {
      e->policy = ecr_policy_parse(pol, strlen(pol), &err);
      if (!e->policy)
        wh_log(WH_LOG_ERROR, "auth", "repository %s: stored policy unusable: %s", repo,
               err ? err->msg : "?");
    }
    const char *mt = row.f[ECR_RF_MUTABILITY];
    json_t *j = mt ? json_loads(mt, 0, NULL) : NULL;
    if (j && ecr_mutability_parse(j, &e->mut, &err) < 0)
      memset(&e->mut, 0, sizeof(e->mut));
    json_decref(j);
    ecr_repo_clear(&row);
  }
  wh_error_free(err);
  e->next = c->b[h];
  c->b[h] = e;
  c->n++;
  return e;
}

static enum ecr_policy_decision policy_decide(struct registry_auth *a, const char *user,
                                              const char *repo, const char *action)
{
  enum ecr_policy_decision d = ECR_POLICY_IMPLICIT_DENY;
  pthread_mutex_lock(&a->repos->lock);
  struct rc_entry *e = rc_get(a, repo);
  if (e && e->policy) {
    char arn[256];
    if (user)
      auth_user_arn(a, user, arn, sizeof(arn));
    struct ecr_principal who = { user ? arn : NULL, a->registry_id };
    d = ecr_policy_evaluate(e->policy, &who, action);
  }
  pthread_mutex_unlock(&a->repos->lock);
  return d;
}

bool auth_allowed(struct registry *reg, const struct auth_who *who, const char *repo,
                  const char *action)
{
  struct registry_auth *a = reg->auth;
  if (repo) {
    enum ecr_policy_decision d = policy_decide(a, who->user, repo, action);
    if (d == ECR_POLICY_DENY)
      return false;
    if (d == ECR_POLICY_ALLOW)
      return true;
  }
  if (!who->user)
    return false;
  if (who->admin)
    return true;
  int i = action_index(action);
  return i >= 0 && (who->perms & (1ULL << i));
}

static bool oci_allowed(struct registry *reg, const struct auth_who *who, const char *repo,
                        enum ecr_oci_op op)
{
  for (const char *const *p = ecr_policy_oci_actions(op); *p; p++)
    if (!auth_allowed(reg, who, repo, *p))
      return false;
  return true;
}

bool auth_tag_immutable(struct registry *reg, const char *repo, const char *tag,
                        const char *digest)
{
  struct registry_auth *a = reg->auth;
  if (!a)
    return false;
  pthread_mutex_lock(&a->repos->lock);
  struct rc_entry *e = rc_get(a, repo);
  bool imm = e && ecr_tag_immutable(&e->mut, tag);
  pthread_mutex_unlock(&a->repos->lock);
  if (!imm)
    return false;
  _cleanup_free_ char *cur = NULL;
  struct wh_error *err = NULL;
  if (ecr_tag_digest(a->store, repo, tag, &cur, &err) < 0) {
    wh_error_free(err);
    return false; /* a new tag */
  }
  return strcmp(cur, digest) != 0;
}

int auth_load_who(struct registry *reg, const char *user, struct auth_who *who,
                  struct wh_error **err)
{
  struct ecr_user u;
  if (ecr_user_get(reg->auth->store, user, &u, err) < 0)
    return -1;
  int rc = auth_perm_bits(u.perms, &who->perms, &who->admin, err);
  ecr_user_clear(&u);
  return rc;
}

/* --- identifying the caller ------------------------------------------ */

enum cred_kind { CRED_NONE, CRED_BASIC, CRED_BEARER, CRED_BAD };

struct caller {
  enum cred_kind kind;
  char user[ECR_AUTHCACHE_NAME_MAX];
  struct auth_who who;
  /* bearer: the grants */
  struct ecr_jwt_claims claims;
  bool have_claims;
  char grant_repo[ECR_AUTHCACHE_NAME_MAX]; /* cached single-repo grant */
  unsigned grant_actions;
  bool grant_cached;
};

static void caller_clear(struct caller *c)
{
  if (c->have_claims)
    ecr_jwt_claims_free(&c->claims);
}

/* "Basic <b64>" into user and password (NUL-terminated in buf). */
static int basic_decode(const char *v, char *buf, size_t n, char **user, char **pass)
{
  size_t len = strlen(v);
  if (len == 0 || len % 4 || len / 4 * 3 >= n)
    return -1;
  int got = EVP_DecodeBlock((unsigned char *) buf, (const unsigned char *) v, (int) len);
  if (got < 0)
    return -1;
  if (len >= 1 && v[len - 1] == '=')
    got--;
  if (len >= 2 && v[len - 2] == '=')
    got--;
  buf[got] = '\0';
  if (strlen(buf) != (size_t) got)
    return -1;
  char *colon = strchr(buf, ':');
  if (!colon)
    return -1;
  *colon = '\0';
  *user = buf;
  *pass = colon + 1;
  return 0;
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

static int check_basic(struct registry *reg, const char *b64, struct caller *c)
{
  struct registry_auth *a = reg->auth;
  char buf[2048];
  char *user, *pass;
  if (basic_decode(b64, buf, sizeof(buf), &user, &pass) < 0 ||
      strlen(user) >= ECR_AUTHCACHE_NAME_MAX)
    return -1;
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
    if (!login_user)
      goto out;
    name = login_user;
  }
  struct ecr_user u;
  if (ecr_user_get(a->store, name, &u, &err) < 0)
    goto out;
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
    goto out;
  }
  c->have_claims = true;
  if (c->claims.sub && c->claims.sub[0]) {
    struct ecr_user u;
    if (ecr_user_get(a->store, c->claims.sub, &u, &err) < 0) {
      wh_error_free(err);
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
  if (strncasecmp(h, "Basic ", 6) == 0)
    c->kind = check_basic(reg, h + 6, c) == 0 ? CRED_BASIC : CRED_BAD;
  else if (strncasecmp(h, "Bearer ", 7) == 0)
    c->kind = check_bearer(reg, h + 7, c) == 0 ? CRED_BEARER : CRED_BAD;
  else
    c->kind = CRED_BAD;
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
  gen_refresh(reg, a);
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
    ret = challenge(r, repo_op ? challenge_scope(scope, sizeof(scope), r, op, opname) : NULL,
                    false);
    goto out;
  }
  c.who.user = c.user[0] ? c.user : NULL;
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
    ok = oci_allowed(reg, &c.who, r->match.name, op) &&
         (!from || oci_allowed(reg, &c.who, from, ECR_OCI_PULL));
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

/* --- GET /token ------------------------------------------------------- */

struct scope_collect {
  const char *v[ECR_JWT_MAX_ACCESS];
  size_t n;
};

static enum MHD_Result collect_scope(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
  struct scope_collect *s = cls;
  if (value && strcmp(key, "scope") == 0 && s->n < ECR_JWT_MAX_ACCESS)
    s->v[s->n++] = value;
  return MHD_YES;
}

int auth_token_get(struct request *r)
{
  struct registry *reg = r->reg;
  struct registry_auth *a = reg->auth;
  gen_refresh(reg, a);
  struct caller c;
  memset(&c, 0, sizeof(c));
  const char *h = request_header(r, "Authorization");
  if (h && strncasecmp(h, "Basic ", 6) == 0) {
    if (check_basic(reg, h + 6, &c) < 0) {
      reply_header(r, "WWW-Authenticate", "Basic realm=\"wharf-registry\"");
      return reply_error(r, REG_UNAUTHORIZED, "wrong user name or password");
    }
  } else if (h) {
    return reply_error(r, REG_UNAUTHORIZED, "the token endpoint takes basic auth or none");
  }
  c.who.user = c.user[0] ? c.user : NULL;
  struct scope_collect sc = { .n = 0 };
  MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_scope, &sc);
  struct ecr_jwt_access *acc = NULL;
  size_t n_acc = 0;
  struct wh_error *err = NULL;
  if (ecr_scopes_parse(sc.v, sc.n, &acc, &n_acc, &err) < 0) {
    int ret = reply_errorf(r, REG_UNSUPPORTED, "%s", err ? err->msg : "bad scope");
    wh_error_free(err);
    return ret;
  }
  /* Grant what the policy allows; drop what it does not (the client
   * then gets 401 insufficient_scope on the request itself). */
  size_t kept = 0;
  for (size_t i = 0; i < n_acc; i++) {
    unsigned granted = 0;
    if (strcmp(acc[i].type, "repository") == 0) {
      if ((acc[i].actions & ECR_JWT_PULL) && oci_allowed(reg, &c.who, acc[i].name, ECR_OCI_PULL))
        granted |= ECR_JWT_PULL;
      if ((acc[i].actions & ECR_JWT_PUSH) && oci_allowed(reg, &c.who, acc[i].name, ECR_OCI_PUSH))
        granted |= ECR_JWT_PUSH;
      if ((acc[i].actions & ECR_JWT_DELETE) &&
          oci_allowed(reg, &c.who, acc[i].name, ECR_OCI_DELETE))
        granted |= ECR_JWT_DELETE;
    } else if (auth_allowed(reg, &c.who, NULL, "ecr:DescribeRepositories")) {
      granted = acc[i].actions;
    }
    if (granted) {
      acc[i].actions = granted;
      struct ecr_jwt_access t = acc[kept];
      acc[kept++] = acc[i];
      acc[i] = t;
    }
  }
  int64_t now = wh_now_real_ns() / 1000000000;
  struct ecr_jwt_claims cl = {
    .iss = a->issuer, .sub = (char *) (c.who.user ? c.who.user : ""),
    .aud = (char *) AUTH_SERVICE, .exp = now + AUTH_TOKEN_TTL_S, .nbf = now, .iat = now,
    .access = acc, .n_access = kept,
  };
  _cleanup_free_ char *tok = ecr_jwt_sign(&cl, a->jwt_key, sizeof(a->jwt_key), &err);
  ecr_jwt_access_free(acc, n_acc);
  if (!tok) {
    wh_log(WH_LOG_ERROR, "auth", "sign token: %s", err ? err->msg : "?");
    wh_error_free(err);
    return reply_error(r, REG_INTERNAL, "cannot sign a token");
  }
  char issued[WH_RFC3339_MAX];
  wh_rfc3339(now * 1000000000, 0, issued);
  json_t *j = json_pack("{s:s, s:s, s:i, s:s}", "token", tok, "access_token", tok,
                        "expires_in", AUTH_TOKEN_TTL_S, "issued_at", issued);
  char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!txt)
    return reply_error(r, REG_UNAVAILABLE, "out of memory");
  reply_header(r, "Cache-Control", "no-store");
  return reply_data_take(r, 200, "application/json", txt, strlen(txt));
}

/* --- routes outside /v2/ --------------------------------------------- */

static const struct route_handler token_route = { "GET", NULL, NULL, auth_token_get };
static const struct route_handler ecr_route = { "POST", api_ecr_begin, api_ecr_body,
                                                api_ecr_end };

const struct route_handler *auth_extra_route(const char *path, const char *method)
{
  if (strcmp(path, "/token") == 0 && strcmp(method, "GET") == 0)
    return &token_route;
  if (strcmp(path, "/") == 0 && strcmp(method, "POST") == 0)
    return &ecr_route;
  return NULL;
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
  a->repos = calloc(1, sizeof(*a->repos));
  _cleanup_free_ char *db = NULL;
  unsigned char master[ECR_KEY_LEN];
  if (!a->repos || asprintf(&db, "%s/meta.db", reg->cfg.data_dir) < 0) {
    db = NULL;
    wh_error_errno(err, "auth");
    goto fail;
  }
  pthread_mutex_init(&a->repos->lock, NULL);
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
  if (a->repos) {
    rc_drop(a->repos, NULL);
    pthread_mutex_destroy(&a->repos->lock);
    free(a->repos);
  }
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
