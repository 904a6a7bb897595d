/* auth.h: authentication and authorization of `serve --auth`.
 *
 * Who is asking (HTTP basic with a user's password or with user "AWS"
 * and a GetAuthorizationToken password, a bearer token from /token, or
 * nobody) and may they do this (the repository policy, then the
 * principal's registry-level permissions; an explicit Deny wins). The
 * HTTP layer calls auth_request() before a route's handlers run, so no
 * handler sees an unauthorized request. Without --auth reg->auth is NULL
 * and none of this runs.
 *
 * Users and keys are changed by `wharf-registry user …` in another
 * process; it rewrites the file auth.gen in the data directory, and every
 * request asks an inotify watch (or, without one, stat) whether it was
 * replaced since the last request, so
 * cached credentials and policies of a removed user or a disabled key
 * stop working on the next request. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "registry/ecr_password.h"

struct request;
struct registry;
struct route_handler;
struct wh_error;
struct ecr_store;
struct ecr_authcache;
struct ecr_policy;
struct ecr_mutability;

#define AUTH_GEN_FILE "auth.gen"
#define AUTH_TOKEN_TTL_S 300          /* bearer tokens */
#define AUTH_LOGIN_TTL_S (12 * 3600)  /* GetAuthorizationToken, as ECR */
#define AUTH_SERVICE "wharf-registry"

struct repo_cache;

struct registry_auth {
  struct ecr_store *store;
  unsigned char secrets_key[ECR_KEY_LEN];
  unsigned char jwt_key[ECR_KEY_LEN];
  char registry_id[13];
  char issuer[64];
  struct ecr_authcache *cache;
  struct repo_cache *repos;
  int data_fd;
  int notify_fd;             /* inotify on the data directory, or -1 */
  _Atomic uint64_t gen;
  bool create_on_push;
  /* lifecycle schedule */
  unsigned lifecycle_interval_s;
  pthread_t lc_thread;
  bool lc_started;
  pthread_mutex_t lc_lock;
  pthread_cond_t lc_cond;
  bool lc_stop;
};

/* Open the ECR tables and the key file; start the lifecycle schedule
 * when interval_s > 0. */
struct registry_auth *registry_auth_open(struct registry *reg, bool create_on_push,
                                         unsigned lifecycle_interval_s,
                                         struct wh_error **err);
void registry_auth_close(struct registry_auth *a);

/* The registry id: 12 digits derived from the key file, stable for a
 * data directory. */
void auth_registry_id(const unsigned char master[ECR_KEY_LEN], char out[13]);

/* Bump auth.gen (after a user or key change). */
int auth_gen_bump(int data_fd, struct wh_error **err);

/* Called by the HTTP layer for every OCI API request once its route is
 * known: 0 to go on, -1 after replying 401/403/404. */
int auth_request(struct request *r);

/* Per-connection state (http.c allocates it when a connection opens
 * and frees it when it closes, only with --auth). */
void *auth_conn_new(void);
void auth_conn_free(void *p);

/* Routes outside /v2/ that exist with --auth: GET /token, POST / (ECR). */
const struct route_handler *auth_extra_route(const char *path, const char *method);

/* What a principal may do. user NULL: anonymous. */
struct auth_who {
  const char *user;
  uint64_t perms;       /* registry-level permission bits (auth_perm_bits) */
  bool admin;
};

/* The bits of the registry-level permission list "admin" or patterns
 * separated by spaces or commas ("ecr:DescribeRepositories ecr:Batch*").
 * Unknown names are an error naming them. */
int auth_perm_bits(const char *perms, uint64_t *bits, bool *admin,
                   struct wh_error **err);

/* Allowed to do the ECR action ("ecr:PutImage") on repo (NULL: a
 * registry-level action)? The repository policy first (explicit Deny
 * wins, Allow allows), then the principal's own permissions. */
bool auth_allowed(struct registry *reg, const struct auth_who *who,
                  const char *repo, const char *action);

/* Drop the cached policy and settings of repo (after the ECR API changed
 * them); NULL drops all. */
void auth_repo_changed(struct registry *reg, const char *repo);

/* Is moving tag in repo to digest refused by the repository's tag
 * immutability (tag exists, names another digest, and is immutable)? */
bool auth_tag_immutable(struct registry *reg, const char *repo, const char *tag,
                        const char *digest);

/* Load a user's registry-level permissions. -1 if unknown. */
int auth_load_who(struct registry *reg, const char *user, struct auth_who *who,
                  struct wh_error **err);

/* The principal's ARN, for policies: arn:aws:iam::<id>:user/<name>. */
void auth_user_arn(const struct registry_auth *a, const char *user, char *out, size_t n);

/* The token endpoint (GET /token). */
int auth_token_get(struct request *r);

/* api_ecr.c: POST / (the ECR API). */
int api_ecr_begin(struct request *r);
int api_ecr_body(struct request *r, const char *data, size_t len);
int api_ecr_end(struct request *r);

