/* store_ecr.h: the ECR layer's rows: users, access keys and the
 * per-repository settings (policy, lifecycle policy, tag mutability,
 * resource tags and the settings ECR accepts but wharf does not act on),
 * plus the image listings the ECR API and lifecycle need.
 *
 * The rows live in the registry's metadata database (meta.db, WAL) in
 * tables of their own (ecr_*), created by ecr_store_open; the registry's
 * own tables (repos, manifests, tags) are read here and written only to
 * create or delete a repository. One connection behind a mutex: these
 * queries are off the hot path (auth results are cached, see auth.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wh_error;
struct ecr_store;

struct ecr_store *ecr_store_open(const char *db_path, struct wh_error **err);
void ecr_store_close(struct ecr_store *s);

struct ecr_user {
  char *name;
  char *password;   /* yescrypt hash or NULL */
  char *perms;      /* "admin", or space-separated ecr: action patterns, or "" */
  int64_t created_at;
};
void ecr_user_clear(struct ecr_user *u);
void ecr_users_free(struct ecr_user *u, size_t n);

/* WH_ERR_EXISTS if the user exists. */
int ecr_user_add(struct ecr_store *s, const char *name, const char *perms,
                 int64_t now, struct wh_error **err);
/* WH_ERR_NOT_FOUND if absent. */
int ecr_user_get(struct ecr_store *s, const char *name, struct ecr_user *out,
                 struct wh_error **err);
int ecr_user_list(struct ecr_store *s, struct ecr_user **out, size_t *n,
                  struct wh_error **err);
/* Removes the user's keys too. */
int ecr_user_remove(struct ecr_store *s, const char *name, struct wh_error **err);
/* field: "password" or "perms"; value NULL clears. */
int ecr_user_set(struct ecr_store *s, const char *name, const char *field,
                 const char *value, struct wh_error **err);

struct ecr_key {
  char *id;
  char *user;
  char *sealed;
  bool active;
  int64_t expires_at;   /* 0: never */
  int64_t created_at;
};
void ecr_key_clear(struct ecr_key *k);
void ecr_keys_free(struct ecr_key *k, size_t n);

int ecr_key_add(struct ecr_store *s, const struct ecr_key *k, struct wh_error **err);
int ecr_key_get(struct ecr_store *s, const char *id, struct ecr_key *out,
                struct wh_error **err);
/* user NULL: every key. */
int ecr_key_list(struct ecr_store *s, const char *user, struct ecr_key **out,
                 size_t *n, struct wh_error **err);
int ecr_key_set_active(struct ecr_store *s, const char *id, bool active,
                       struct wh_error **err);
int ecr_key_set_expiry(struct ecr_store *s, const char *id, int64_t expires_at,
                       struct wh_error **err);
int ecr_key_remove(struct ecr_store *s, const char *id, struct wh_error **err);

/* Per-repository settings, stored as sent (JSON text or NULL). */
enum ecr_repo_field {
  ECR_RF_MUTABILITY,    /* {"imageTagMutability":…, "imageTagMutabilityExclusionFilters":…} */
  ECR_RF_SCAN,          /* imageScanningConfiguration */
  ECR_RF_ENCRYPTION,    /* encryptionConfiguration */
  ECR_RF_POLICY,        /* repository policy text */
  ECR_RF_LIFECYCLE,     /* lifecycle policy text */
  ECR_RF_TAGS,          /* [{"Key":…,"Value":…}] */
  ECR_RF_PREVIEW,       /* the last lifecycle preview (JSON) */
  ECR_RF_COUNT
};

struct ecr_repo {
  char *name;
  int64_t created_at;   /* seconds */
  char *f[ECR_RF_COUNT];
  int64_t lifecycle_at; /* when the lifecycle policy was last set */
};
void ecr_repo_clear(struct ecr_repo *r);
void ecr_repos_free(struct ecr_repo *r, size_t n);

/* NOT_FOUND if the repository does not exist (in the registry's repos). */
int ecr_repo_get(struct ecr_store *s, const char *name, struct ecr_repo *out,
                 struct wh_error **err);
/* Repositories after `after` (NULL: from the start), at most limit. */
int ecr_repo_list(struct ecr_store *s, const char *after, size_t limit,
                  struct ecr_repo **out, size_t *n, bool *more,
                  struct wh_error **err);
/* Create with the given settings (fields NULL allowed). EXISTS if it
 * exists already. */
int ecr_repo_create(struct ecr_store *s, const struct ecr_repo *r, int64_t now,
                    struct wh_error **err);
int ecr_repo_set(struct ecr_store *s, const char *name, enum ecr_repo_field f,
                 const char *value, struct wh_error **err);
/* Delete the repository's rows (manifests, tags, blob links, settings).
 * Without force, BUSY if it holds images. */
int ecr_repo_delete(struct ecr_store *s, const char *name, bool force,
                    struct wh_error **err);

struct ecr_image {
  char *digest;
  char *media_type;
  uint64_t size;
  int64_t pushed_at;    /* seconds */
  int64_t pulled_at;    /* seconds, 0 if never */
  char **tags;          /* NULL-terminated */
  size_t n_tags;
};
void ecr_images_free(struct ecr_image *im, size_t n);

/* Every image (manifest) of repo with its tags, by digest. */
int ecr_image_list(struct ecr_store *s, const char *repo, struct ecr_image **out,
                   size_t *n, struct wh_error **err);
/* The digest a tag names; NOT_FOUND if none. */
int ecr_tag_digest(struct ecr_store *s, const char *repo, const char *tag,
                   char **digest, struct wh_error **err);
/* Every repository name with a lifecycle policy. */
int ecr_repos_with_lifecycle(struct ecr_store *s, char ***names, size_t *n,
                             struct wh_error **err);
