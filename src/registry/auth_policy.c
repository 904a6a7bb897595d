/* auth_policy.c: authorization for `serve --auth` (auth.h): the
 * registry-level permissions of users (bits over ECR's actions), the
 * repository policy (explicit Deny wins), tag immutability, and the
 * per-repository cache of parsed policies and mutability settings, which
 * the ECR API drops when it changes them. */
#include "registry/auth.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "registry/auth_internal.h"
#include "registry/ecr_mutability.h"
#include "registry/ecr_password.h"
#include "registry/registry.h"
#include "registry/store_ecr.h"

/* Registry-level permissions are bits: bit i is the ECR action
 * ecr_policy_known_actions()[i] (fewer than 64). */

static int action_index(const char *action)
{
  size_t n;
  const char *const *actions = ecr_policy_known_actions(&n);
  if (strncasecmp(action, "ecr:", 4) == 0)
    action += 4;
  for (size_t i = 0; i < n && i < 64; i++)
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
    size_t n;
    const char *const *actions = ecr_policy_known_actions(&n);
    for (size_t i = 0; i < n && i < 64; i++) {
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

bool auth_oci_allowed(struct registry *reg, const struct auth_who *who, const char *repo,
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


struct repo_cache *auth_repo_cache_new(void)
{
  struct repo_cache *c = calloc(1, sizeof(*c));
  if (c)
    pthread_mutex_init(&c->lock, NULL);
  return c;
}

void auth_repo_cache_free(struct repo_cache *c)
{
  if (!c)
    return;
  rc_drop(c, NULL);
  pthread_mutex_destroy(&c->lock);
  free(c);
}
