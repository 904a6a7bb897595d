/* ecr_jwt.h: Docker registry bearer tokens (JWT, HS256) and scopes.
 *
 * The registry's /token endpoint answers the WWW-Authenticate challenge
 * docker, podman, skopeo and containerd follow: the client asks for
 * `scope=repository:NAME:pull,push`, the endpoint authenticates it,
 * intersects the request with what policy grants, and returns a JWT whose
 * `access` claim lists what was granted. Each later request carries the
 * token; the registry verifies it here and checks the claim.
 *
 * The registry signs and verifies its own tokens, so HS256 with a server
 * secret is enough (no key distribution); ES256 would only matter for a
 * separate token server. Verification is strict: the header must say
 * alg HS256 (never "none", never another alg), the signature is checked
 * in constant time before the claims are looked at, sizes are bounded,
 * and exp is required. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wh_error;

#define ECR_JWT_MAX 8192          /* a token longer than this is refused */
#define ECR_JWT_MAX_ACCESS 64     /* entries in the access claim */
#define ECR_JWT_MAX_SCOPE 1024    /* one scope string */
#define ECR_JWT_DEFAULT_LEEWAY_S 60

/* Action bits of an access entry. */
enum {
  ECR_JWT_PULL = 1u << 0,
  ECR_JWT_PUSH = 1u << 1,
  ECR_JWT_DELETE = 1u << 2,
  ECR_JWT_ALL = ECR_JWT_PULL | ECR_JWT_PUSH | ECR_JWT_DELETE,
};

/* One resource: type "repository" with a repository name, or type
 * "registry" with name "catalog" (docker's catalog scope, action "*"). */
struct ecr_jwt_access {
  char *type;
  char *name;
  unsigned actions;
};

struct ecr_jwt_claims {
  char *iss;
  char *sub;
  char *aud;     /* one audience (the registry's service name) */
  char *jti;
  int64_t exp;   /* seconds since the epoch; required */
  int64_t nbf;   /* 0 = absent */
  int64_t iat;   /* 0 = absent */
  struct ecr_jwt_access *access;
  size_t n_access;
};

void ecr_jwt_claims_free(struct ecr_jwt_claims *c);
void ecr_jwt_access_free(struct ecr_jwt_access *a, size_t n);

/* Sign claims with HS256; returns "header.payload.signature" (caller
 * frees). iss, sub, aud and exp are required; jti NULL → a random one.
 * key_len must be at least 32 bytes (RFC 7518 §3.2). */
char *ecr_jwt_sign(const struct ecr_jwt_claims *c, const unsigned char *key,
                   size_t key_len, struct wh_error **err);

struct ecr_jwt_verify_opts {
  int64_t now_s;
  int64_t leeway_s;        /* clock skew allowed on exp/nbf/iat; <0 → 0,
                            * 0 → ECR_JWT_DEFAULT_LEEWAY_S */
  const char *issuer;      /* iss must equal this (NULL: not checked) */
  const char *audience;    /* aud must contain this (NULL: not checked) */
};

/* Verify token and fill out (owned; ecr_jwt_claims_free). Errors are
 * WH_ERR_DENIED with a message naming what failed ("token expired",
 * "alg must be HS256", "bad signature", "access[1].actions[0]: …"). */
int ecr_jwt_verify(const char *token, const unsigned char *key,
                   size_t key_len, const struct ecr_jwt_verify_opts *opts,
                   struct ecr_jwt_claims *out, struct wh_error **err);

/* True if claims grant every bit of `actions` on repository `name`. */
bool ecr_jwt_allows(const struct ecr_jwt_claims *c, const char *name,
                    unsigned actions);

/* Parse one scope "repository:NAME:pull,push" (or
 * "repository(plugin):NAME:pull", the type's class ignored; or
 * "registry:catalog:*"). NAME is checked with oci_name_check; actions are
 * pull, push, delete and "*" (all); an empty or unknown action is an
 * error. Errors are WH_ERR_INVALID naming the scope. */
int ecr_scope_parse(const char *scope, struct ecr_jwt_access *out,
                    struct wh_error **err);

/* Parse every scope parameter of a /token request (each may itself hold
 * several scopes separated by spaces, as some clients send them), merging
 * entries for the same resource. *out is owned by the caller
 * (ecr_jwt_access_free); at most ECR_JWT_MAX_ACCESS resources. */
int ecr_scopes_parse(const char *const *scopes, size_t n_scopes,
                     struct ecr_jwt_access **out, size_t *n_out,
                     struct wh_error **err);

/* GetAuthorizationToken: ECR's authorizationToken is base64("AWS:" +
 * password); `aws ecr get-login-password` prints the password and
 * `podman login -u AWS` sends it back as basic auth. wharf's password is
 * a JWT under the same key with aud "ecr-login" (never valid as a bearer
 * token, whose aud is the service) naming the user, valid ttl_s (ECR: 12
 * hours). Returns the base64 authorizationToken (caller frees) and its
 * expiry in *expires_out. */
char *ecr_jwt_login_token(const unsigned char *key, size_t key_len,
                          const char *issuer, const char *user, int64_t now_s,
                          int64_t ttl_s, int64_t *expires_out,
                          struct wh_error **err);

/* Check the password half of a login (basic auth user "AWS"): returns the
 * user it was issued to (caller frees) or NULL with WH_ERR_DENIED. */
char *ecr_jwt_login_verify(const unsigned char *key, size_t key_len,
                           const char *issuer, const char *password,
                           int64_t now_s, struct wh_error **err);

/* Format actions as "pull,push,delete" order (for the access claim and
 * logs); writes at most 18 bytes into out. */
void ecr_jwt_actions_format(unsigned actions, char out[24]);

/* base64url without padding (RFC 7515 §2). encode: caller frees.
 * decode: strict (no padding, no whitespace, no other alphabet); returns
 * a NUL-terminated buffer of *out_len bytes, caller frees. */
char *ecr_b64url_encode(const void *data, size_t len);
unsigned char *ecr_b64url_decode(const char *s, size_t len, size_t *out_len);
