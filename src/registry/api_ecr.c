/* api_ecr.c: the ECR API's wire protocol: POST / with X-Amz-Target
 * AmazonEC2ContainerRegistry_V20150921.<Action> and a JSON 1.1 body,
 * signed with SigV4 by an access key of a wharf user. The body is read
 * (bounded) and hashed, the signature verified against the key's sealed
 * secret, then the action runs and its object is the reply; errors are
 * ECR's {"__type": …, "message": …}. */
#include "registry/api_ecr.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/digest.h"
#include "base/error.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "oci/reference.h"
#include "registry/audit.h"
#include "registry/ecr_jwt.h"
#include "registry/ecr_sigv4.h"
#include "registry/http.h"
#include "registry/registry.h"
#include "registry/store_ecr.h"

#define ECR_TARGET_PREFIX "AmazonEC2ContainerRegistry_V20150921."
#define ECR_BODY_MAX (8u << 20)   /* PutImage carries a manifest of up to 4 MiB */
#define ECR_CONTENT_TYPE "application/x-amz-json-1.1"

static const struct {
  const char *name;
  ecr_action_fn fn;
  bool changes; /* a successful call is written to the audit log */
} ecr_actions[] = {
  { "BatchCheckLayerAvailability", ecr_batch_check_layer_availability },
  { "BatchDeleteImage", ecr_batch_delete_image, true },
  { "BatchGetImage", ecr_batch_get_image },
  { "CreateRepository", ecr_create_repository, true },
  { "DeleteLifecyclePolicy", ecr_delete_lifecycle_policy, true },
  { "DeleteRepository", ecr_delete_repository, true },
  { "DeleteRepositoryPolicy", ecr_delete_repository_policy, true },
  { "DescribeImages", ecr_describe_images },
  { "DescribeRepositories", ecr_describe_repositories },
  { "GetAuthorizationToken", ecr_get_authorization_token },
  { "GetLifecyclePolicy", ecr_get_lifecycle_policy },
  { "GetLifecyclePolicyPreview", ecr_get_lifecycle_policy_preview },
  { "GetRepositoryPolicy", ecr_get_repository_policy },
  { "ListImages", ecr_list_images },
  { "ListTagsForResource", ecr_list_tags_for_resource },
  { "PutImage", ecr_put_image, true },
  { "PutImageTagMutability", ecr_put_image_tag_mutability, true },
  { "PutLifecyclePolicy", ecr_put_lifecycle_policy, true },
  { "SetRepositoryPolicy", ecr_set_repository_policy, true },
  { "StartLifecyclePolicyPreview", ecr_start_lifecycle_policy_preview },
  { "TagResource", ecr_tag_resource, true },
  { "UntagResource", ecr_untag_resource, true },
};

struct ecr_state {
  struct wh_buf body;
  bool too_large;
};

static void ecr_state_free(void *p)
{
  struct ecr_state *st = p;
  wh_buf_free(&st->body);
  free(st);
}

/* An error reply in ECR's shape. */
static int reply_ecr_error(struct request *r, unsigned status, const char *type,
                           const char *msg)
{
  json_t *j = json_pack("{s:s, s:s}", "__type", type, "message", msg ? msg : "");
  char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!txt)
    return reply_error(r, REG_UNAVAILABLE, "out of memory");
  reply_header(r, "x-amzn-ErrorType", type);
  reply_data_take(r, status, ECR_CONTENT_TYPE, txt, strlen(txt));
  return -1;
}

int ecr_fail(struct ecr_call *c, const char *type, const char *fmt, ...)
{
  if (c->err_type)
    return -1; /* the first error stands */
  c->err_type = type;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&c->err_msg, fmt, ap) < 0)
    c->err_msg = NULL;
  va_end(ap);
  return -1;
}

int api_ecr_begin(struct request *r)
{
  struct ecr_state *st = calloc(1, sizeof(*st));
  if (!st)
    return reply_error(r, REG_UNAVAILABLE, "out of memory");
  r->state = st;
  r->state_free = ecr_state_free;
  return 0;
}

int api_ecr_body(struct request *r, const char *data, size_t len)
{
  struct ecr_state *st = r->state;
  if (st->too_large || st->body.len + len > ECR_BODY_MAX) {
    st->too_large = true;
    return 0;
  }
  if (wh_buf_append(&st->body, data, len) < 0)
    return reply_error(r, REG_UNAVAILABLE, "out of memory");
  return 0;
}

/* --- SigV4 ------------------------------------------------------------- */

struct hdr_list {
  struct ecr_sigv4_header h[128];
  size_t n;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
  struct hdr_list *l = cls;
  if (l->n < WH_ARRAY_SIZE(l->h)) {
    l->h[l->n].name = key;
    l->h[l->n].value = value ? value : "";
    l->n++;
  }
  return MHD_YES;
}

/* Verify the request's signature; fill c->user, c->who and c->region. */
static int verify_sigv4(struct ecr_call *c, const char *body, size_t len, unsigned *status)
{
  struct request *r = c->r;
  *status = 400;
  enum ecr_sigv4_code code = ECR_SIGV4_OK;
  struct ecr_sigv4_auth auth;
  memset(&auth, 0, sizeof(auth));
  _cleanup_error_ struct wh_error *err = NULL;
  const char *h = request_header(r, "Authorization");
  if (!h) {
    *status = 403;
    return ecr_fail(c, "MissingAuthenticationTokenException", "Missing Authentication Token");
  }
  if (ecr_sigv4_parse_authorization(h, &auth, &code, &err) < 0) {
    *status = (unsigned) ecr_sigv4_code_status(code);
    audit_log(c->reg, "auth_failure", NULL, NULL, "api", "ecr", "reason",
              ecr_sigv4_code_name(code), NULL);
    return ecr_fail(c, ecr_sigv4_code_name(code), "%s", err ? err->msg : "bad signature");
  }
  int ret = -1;
  _cleanup_free_ char *path = NULL;
  struct ecr_key key;
  memset(&key, 0, sizeof(key));
  char *secret = NULL;
  size_t secret_len = 0;
  int64_t now = wh_now_real_ns() / 1000000000;
  struct ecr_user u;
  memset(&u, 0, sizeof(u));
  if (ecr_key_get(c->a->store, auth.access_key_id, &key, &err) < 0 || !key.active ||
      (key.expires_at && key.expires_at <= now) ||
      ecr_user_get(c->a->store, key.user, &u, &err) < 0 ||
      !(secret = ecr_secret_open(c->a->secrets_key, key.id, key.sealed, &secret_len, &err))) {
    *status = 403;
    wh_log(WH_LOG_INFO, "auth", "ECR API: access key %s refused: %s", auth.access_key_id,
           err ? err->msg : !key.id ? "unknown" : !key.active ? "disabled" : "expired");
    /* The key id is no secret (CloudTrail logs it too). */
    audit_log(c->reg, "auth_failure", NULL, NULL, "api", "ecr", "reason",
              !key.id ? "unknown access key" : !key.active ? "disabled access key"
              : key.expires_at && key.expires_at <= now ? "expired access key"
              : "access key unusable", "access_key_id", auth.access_key_id, NULL);
    ecr_fail(c, "UnrecognizedClientException",
             "The security token included in the request is invalid.");
    goto out;
  }
  char sha[65];
  {
    char dg[WH_DIGEST_STR_MAX];
    struct wh_error *e2 = NULL;
    if (wh_digest_buf(WH_SHA256, body, len, dg, &e2) < 0) {
      wh_error_free(e2);
      ecr_fail(c, "ServerException", "cannot hash the body");
      goto out;
    }
    snprintf(sha, sizeof(sha), "%s", strchr(dg, ':') + 1);
  }
  struct hdr_list hl = { .n = 0 };
  MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_header, &hl);
  path = strdup(r->uri);
  if (!path) {
    ecr_fail(c, "ServerException", "out of memory");
    goto out;
  }
  char *q = strchr(path, '?');
  if (q)
    *q++ = '\0';
  struct ecr_sigv4_request req = { r->method, path, q, hl.h, hl.n, sha };
  struct ecr_sigv4_opts o = { .now_s = now, .service = "ecr" };
  if (ecr_sigv4_verify(&req, &auth, secret, secret_len, &o, &code, &err) < 0) {
    *status = (unsigned) ecr_sigv4_code_status(code);
    wh_log(WH_LOG_INFO, "auth", "ECR API: signature of %s refused: %s", auth.access_key_id,
           err ? err->msg : "?");
    audit_log(c->reg, "auth_failure", NULL, NULL, "api", "ecr", "reason",
              ecr_sigv4_code_name(code), "access_key_id", auth.access_key_id, NULL);
    ecr_fail(c, ecr_sigv4_code_name(code), "%s", err ? err->msg : "bad signature");
    goto out;
  }
  if (auth_perm_bits(u.perms, &c->who.perms, &c->who.admin, &err) < 0) {
    ecr_fail(c, "ServerException", "the user's permissions are unreadable");
    goto out;
  }
  snprintf(c->user, sizeof(c->user), "%s", key.user);
  c->who.user = c->user;
  /* The access key's user is who the audit lines of this call name. */
  if (!r->principal)
    r->principal = strdup(c->user);
  snprintf(c->region, sizeof(c->region), "%s", auth.region);
  ret = 0;
out:
  ecr_secret_free(secret);
  ecr_key_clear(&key);
  ecr_user_clear(&u);
  ecr_sigv4_auth_free(&auth);
  return ret;
}

/* One `ecr` audit line for a call that changed something: the action,
 * the repository (or the resource ARN of TagResource and UntagResource),
 * and for PutImage the tag and digest. Policy documents are not copied
 * in: GetRepositoryPolicy and GetLifecyclePolicy show the current one. */
static void audit_change(struct ecr_call *c)
{
  const char *repo = json_string_value(json_object_get(c->in, "repositoryName"));
  json_t *f = json_pack("{s:s}", "action", c->action);
  if (!f)
    return;
  const char *arn = json_string_value(json_object_get(c->in, "resourceArn"));
  if (arn)
    json_object_set_new(f, "resource_arn", json_string(arn));
  if (strcmp(c->action, "PutImage") == 0) {
    json_t *id = json_object_get(json_object_get(c->out, "image"), "imageId");
    json_t *tag = json_object_get(id, "imageTag");
    json_object_set(f, "tag", tag ? tag : json_null());
    json_t *dg = json_object_get(id, "imageDigest");
    json_object_set(f, "digest", dg ? dg : json_null());
  } else if (strcmp(c->action, "BatchDeleteImage") == 0) {
    json_t *ids = json_object_get(c->out, "imageIds");
    json_object_set_new(f, "deleted", json_integer((json_int_t) json_array_size(ids)));
  }
  audit_log_json(c->reg, "ecr", c->user[0] ? c->user : NULL, repo, f);
}

int api_ecr_end(struct request *r)
{
  struct ecr_state *st = r->state;
  struct ecr_call c;
  memset(&c, 0, sizeof(c));
  c.r = r;
  c.reg = r->reg;
  c.a = r->reg->auth;
  unsigned status = 400;
  int ret = -1;
  const char *body = st->body.data ? st->body.data : "";
  const char *target = request_header(r, "X-Amz-Target");
  if (st->too_large) {
    ret = ecr_invalid(&c, "the request body is larger than %u bytes", ECR_BODY_MAX);
    goto out;
  }
  if (verify_sigv4(&c, body, st->body.len, &status) < 0)
    goto out;
  status = 400;
  if (!target || strncmp(target, ECR_TARGET_PREFIX, strlen(ECR_TARGET_PREFIX)) != 0) {
    ecr_fail(&c, "UnknownOperationException", "X-Amz-Target must name an action of %s",
             ECR_TARGET_PREFIX);
    goto out;
  }
  const char *name = target + strlen(ECR_TARGET_PREFIX);
  ecr_action_fn fn = NULL;
  bool changes = false;
  for (size_t i = 0; i < WH_ARRAY_SIZE(ecr_actions); i++)
    if (strcmp(ecr_actions[i].name, name) == 0) {
      fn = ecr_actions[i].fn;
      c.action = ecr_actions[i].name;
      changes = ecr_actions[i].changes;
    }
  if (!fn) {
    ecr_fail(&c, "UnknownOperationException", "wharf-registry does not implement %s", name);
    goto out;
  }
  json_error_t je;
  c.in = json_loadb(body, st->body.len, JSON_REJECT_DUPLICATES, &je);
  if (!c.in || !json_is_object(c.in)) {
    ecr_fail(&c, "SerializationException", "the body is not a JSON object: %s",
             c.in ? "not an object" : je.text);
    goto out;
  }
  c.out = json_object();
  if (!c.out) {
    ecr_fail(&c, "ServerException", "out of memory");
    goto out;
  }
  ret = fn(&c);
  if (ret == 0 && !c.err_type && changes)
    audit_change(&c);
out:
  if (ret < 0 || c.err_type) {
    const char *type = c.err_type ? c.err_type : "ServerException";
    if (strcmp(type, "ServerException") == 0)
      status = 500;
    wh_log(WH_LOG_INFO, "ecr", "%s by %s: %s: %s", c.action ? c.action : "?",
           c.user[0] ? c.user : "-", type, c.err_msg ? c.err_msg : "");
    reply_ecr_error(r, status, type, c.err_msg);
  } else {
    char *txt = json_dumps(c.out, JSON_COMPACT);
    if (!txt)
      reply_ecr_error(r, 500, "ServerException", "out of memory");
    else
      reply_data_take(r, 200, ECR_CONTENT_TYPE, txt, strlen(txt));
  }
  free(c.err_msg);
  json_decref(c.in);
  json_decref(c.out);
  return 0;
}

/* --- helpers for the actions ------------------------------------------ */

int ecr_get_str(struct ecr_call *c, const char *field, bool required, size_t min,
                size_t max, const char **out)
{
  *out = NULL;
  json_t *v = json_object_get(c->in, field);
  if (!v || json_is_null(v)) {
    if (required)
      return ecr_invalid(c, "%s is required", field);
    return 0;
  }
  if (!json_is_string(v))
    return ecr_invalid(c, "%s must be a string", field);
  size_t len = json_string_length(v);
  if (len < min || len > max)
    return ecr_invalid(c, "%s must be %zu to %zu characters long", field, min, max);
  *out = json_string_value(v);
  return 0;
}

int ecr_get_repo_name(struct ecr_call *c, const char **out)
{
  const char *rid;
  if (ecr_get_str(c, "registryId", false, 0, 64, &rid) < 0)
    return -1;
  if (rid && strcmp(rid, c->a->registry_id) != 0)
    return ecr_invalid(c, "registryId %s is not this registry's id (%s)", rid,
                       c->a->registry_id);
  if (ecr_get_str(c, "repositoryName", true, 2, 256, out) < 0)
    return -1;
  if (!oci_name_valid(*out))
    return ecr_invalid(c, "Invalid parameter at 'repositoryName' failed to satisfy "
                       "constraint: 'must satisfy regular expression "
                       "'(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''");
  return 0;
}

int ecr_need_repo(struct ecr_call *c, const char *name, struct ecr_repo *out)
{
  struct wh_error *err = NULL;
  if (ecr_repo_get(c->a->store, name, out, &err) < 0) {
    bool nf = err && err->kind == WH_ERR_NOT_FOUND;
    wh_error_free(err);
    if (nf)
      return ecr_fail(c, "RepositoryNotFoundException", "The repository with name '%s' does "
                      "not exist in the registry with id '%s'", name, c->a->registry_id);
    return ecr_fail(c, "ServerException", "cannot read repository %s", name);
  }
  return 0;
}

int ecr_authorize(struct ecr_call *c, const char *repo, const char *action)
{
  if (auth_allowed(c->reg, &c->who, repo, action))
    return 0;
  char arn[512];
  auth_user_arn(c->a, c->user, arn, sizeof(arn));
  if (repo) {
    char rarn[512];
    ecr_repo_arn(c, repo, rarn, sizeof(rarn));
    return ecr_fail(c, "AccessDeniedException", "User: %s is not authorized to perform: %s "
                    "on resource: %s", arn, action, rarn);
  }
  return ecr_fail(c, "AccessDeniedException", "User: %s is not authorized to perform: %s",
                  arn, action);
}

void ecr_repo_arn(struct ecr_call *c, const char *repo, char *out, size_t n)
{
  snprintf(out, n, "arn:aws:ecr:%s:%s:repository/%s", c->region[0] ? c->region : "us-east-1",
           c->a->registry_id, repo);
}

void ecr_repo_uri(struct ecr_call *c, const char *repo, char *out, size_t n)
{
  const char *host = request_header(c->r, "Host");
  snprintf(out, n, "%s/%s", host ? host : "localhost", repo);
}

void ecr_proxy_endpoint(struct ecr_call *c, char *out, size_t n)
{
  const char *host = request_header(c->r, "Host");
  snprintf(out, n, "%s://%s", c->reg->cfg.tls_cert ? "https" : "http",
           host ? host : "localhost");
}

json_t *ecr_repo_json(struct ecr_call *c, const struct ecr_repo *r)
{
  char arn[512], uri[512];
  ecr_repo_arn(c, r->name, arn, sizeof(arn));
  ecr_repo_uri(c, r->name, uri, sizeof(uri));
  json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I}", "repositoryArn", arn, "registryId",
                        c->a->registry_id, "repositoryName", r->name, "repositoryUri", uri,
                        "createdAt", (json_int_t) r->created_at);
  if (!j)
    return NULL;
  json_t *mt = r->f[ECR_RF_MUTABILITY] ? json_loads(r->f[ECR_RF_MUTABILITY], 0, NULL) : NULL;
  if (mt)
    json_object_update(j, mt);
  else
    json_object_set_new(j, "imageTagMutability", json_string("MUTABLE"));
  json_decref(mt);
  json_t *sc = r->f[ECR_RF_SCAN] ? json_loads(r->f[ECR_RF_SCAN], 0, NULL) : NULL;
  json_object_set_new(j, "imageScanningConfiguration",
                      sc ? sc : json_pack("{s:b}", "scanOnPush", 0));
  json_t *enc = r->f[ECR_RF_ENCRYPTION] ? json_loads(r->f[ECR_RF_ENCRYPTION], 0, NULL) : NULL;
  json_object_set_new(j, "encryptionConfiguration",
                      enc ? enc : json_pack("{s:s}", "encryptionType", "AES256"));
  return j;
}

char *ecr_token_make(const char *key)
{
  return ecr_b64url_encode(key, strlen(key));
}

char *ecr_token_read(struct ecr_call *c, const char *token)
{
  size_t n = 0;
  char *k = (char *) ecr_b64url_decode(token, strlen(token), &n);
  if (!k || strlen(k) != n) {
    free(k);
    ecr_invalid(c, "nextToken is not a token this registry issued");
    return NULL;
  }
  return k;
}

int ecr_get_max(struct ecr_call *c, int64_t lo, int64_t hi, int64_t dflt, int64_t *out)
{
  json_t *v = json_object_get(c->in, "maxResults");
  *out = dflt;
  if (!v || json_is_null(v))
    return 0;
  if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
    return ecr_invalid(c, "maxResults must be an integer from %lld to %lld", (long long) lo,
                       (long long) hi);
  *out = json_integer_value(v);
  return 0;
}

/* --- GetAuthorizationToken -------------------------------------------- */

int ecr_get_authorization_token(struct ecr_call *c)
{
  if (ecr_authorize(c, NULL, "ecr:GetAuthorizationToken") < 0)
    return -1;
  int64_t now = wh_now_real_ns() / 1000000000, exp = 0;
  struct wh_error *err = NULL;
  _cleanup_free_ char *tok = ecr_jwt_login_token(c->a->jwt_key, sizeof(c->a->jwt_key),
                                                 c->a->issuer, c->user, now, AUTH_LOGIN_TTL_S,
                                                 &exp, &err);
  wh_error_free(err);
  if (!tok)
    return ecr_fail(c, "ServerException", "cannot sign the token");
  char ep[512];
  ecr_proxy_endpoint(c, ep, sizeof(ep));
  json_t *d = json_pack("[{s:s, s:I, s:s}]", "authorizationToken", tok, "expiresAt",
                        (json_int_t) exp, "proxyEndpoint", ep);
  if (!d)
    return ecr_fail(c, "ServerException", "out of memory");
  json_object_set_new(c->out, "authorizationData", d);
  return 0;
}
