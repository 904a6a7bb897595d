/* auth_token.c: GET /token, the token endpoint of the Docker bearer-token
 * flow (auth.h), and the routes that exist only with --auth. */
#include "registry/auth.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "registry/audit.h"
#include "registry/auth_header.h"
#include "registry/auth_internal.h"
#include "registry/http.h"
#include "registry/registry.h"
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
  auth_gen_refresh(reg, a);
  struct caller c;
  memset(&c, 0, sizeof(c));
  const char *h = request_header(r, "Authorization");
  const char *cred;
  if (h && auth_header_scheme(h, &cred) == AUTH_SCHEME_BASIC) {
    if (auth_check_basic(reg, cred, &c) < 0) {
      audit_log(reg, "auth_failure", NULL, NULL, "api", "token", "reason",
                c.fail ? c.fail : "refused", NULL);
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
      if ((acc[i].actions & ECR_JWT_PULL) && auth_oci_allowed(reg, &c.who, acc[i].name, ECR_OCI_PULL))
        granted |= ECR_JWT_PULL;
      if ((acc[i].actions & ECR_JWT_PUSH) && auth_oci_allowed(reg, &c.who, acc[i].name, ECR_OCI_PUSH))
        granted |= ECR_JWT_PUSH;
      if ((acc[i].actions & ECR_JWT_DELETE) &&
          auth_oci_allowed(reg, &c.who, acc[i].name, ECR_OCI_DELETE))
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

