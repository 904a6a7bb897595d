/* auth_internal.h: what the files of auth (auth.c: identifying callers
 * and the per-request check; auth_policy.c: permissions, policies and
 * the per-repository cache; auth_token.c: GET /token) share. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "registry/auth.h"
#include "registry/ecr_authcache.h"
#include "registry/ecr_jwt.h"
#include "registry/ecr_policy.h"

enum cred_kind { CRED_NONE, CRED_BASIC, CRED_BEARER, CRED_BAD };

/* Who a request comes from, once identified. */
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
  /* refused credentials: why, for the audit log (never a secret) */
  const char *fail;
};

/* "Basic <b64>" credentials (a password, or user AWS and a login token):
 * 0 with c->user and c->who filled, -1 if refused. */
int auth_check_basic(struct registry *reg, const char *b64, struct caller *c);
/* Notice a `wharf-registry user …` change (auth.gen replaced). */
void auth_gen_refresh(struct registry *reg, struct registry_auth *a);
/* Every ECR action of an OCI operation allowed? */
bool auth_oci_allowed(struct registry *reg, const struct auth_who *who, const char *repo,
                      enum ecr_oci_op op);

struct repo_cache *auth_repo_cache_new(void);
void auth_repo_cache_free(struct repo_cache *c);
