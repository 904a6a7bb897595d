/* store_ecr.c: the ECR layer's tables in meta.db (store_ecr.h).
 *
 * Users, access keys and repository settings are small and read rarely
 * (verified credentials and parsed policies are cached by auth.c), so one
 * connection behind a mutex serves them; statements are prepared per
 * call. Writes that touch several rows run in one transaction. */
#include "registry/store_ecr.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/timeutil.h"

struct ecr_store {
  pthread_mutex_t lock;
  sqlite3 *db;
};

static const char ecr_schema[] =
  "CREATE TABLE IF NOT EXISTS repos("
  "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS ecr_users("
  "  name TEXT PRIMARY KEY, password TEXT, perms TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS ecr_keys("
  "  id TEXT PRIMARY KEY, user TEXT NOT NULL, sealed TEXT NOT NULL,"
  "  active INTEGER NOT NULL, expires_at INTEGER NOT NULL DEFAULT 0,"
  "  created_at INTEGER NOT NULL) WITHOUT ROWID;"
  "CREATE INDEX IF NOT EXISTS ecr_keys_user ON ecr_keys(user);"
  "CREATE TABLE IF NOT EXISTS ecr_repos("
  "  name TEXT PRIMARY KEY, mutability TEXT, scan TEXT, encryption TEXT,"
  "  policy TEXT, lifecycle TEXT, tags TEXT, preview TEXT,"
  "  lifecycle_at INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;";

static const char *const field_col[ECR_RF_COUNT] = {
  [ECR_RF_MUTABILITY] = "mutability", [ECR_RF_SCAN] = "scan",
  [ECR_RF_ENCRYPTION] = "encryption", [ECR_RF_POLICY] = "policy",
  [ECR_RF_LIFECYCLE] = "lifecycle", [ECR_RF_TAGS] = "tags",
  [ECR_RF_PREVIEW] = "preview",
};

static int dberr(struct ecr_store *s, struct wh_error **err, const char *what)
{
  return wh_error_set(err, WH_ERR_IO, "metadata %s: %s", what, sqlite3_errmsg(s->db));
}

struct ecr_store *ecr_store_open(const char *db_path, struct wh_error **err)
{
  struct ecr_store *s = calloc(1, sizeof(*s));
  if (!s) {
    wh_error_errno(err, "ecr store");
    return NULL;
  }
  pthread_mutex_init(&s->lock, NULL);
  if (sqlite3_open_v2(db_path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                      SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
    wh_error_set(err, WH_ERR_IO, "open metadata database %s: %s", db_path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
    ecr_store_close(s);
    return NULL;
  }
  sqlite3_busy_timeout(s->db, 10000);
  char *msg = NULL;
  if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, &msg) != SQLITE_OK ||
      sqlite3_exec(s->db, ecr_schema, NULL, NULL, &msg) != SQLITE_OK) {
    wh_error_set(err, WH_ERR_IO, "metadata schema: %s", msg ? msg : "error");
    sqlite3_free(msg);
    ecr_store_close(s);
    return NULL;
  }
  return s;
}

void ecr_store_close(struct ecr_store *s)
{
  if (!s)
    return;
  sqlite3_close(s->db);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

/* Prepare sql and bind the arguments described by types: 't' text (NULL
 * binds NULL), 'i' int64. */
static sqlite3_stmt *prep(struct ecr_store *s, struct wh_error **err, const char *sql,
                          const char *types, ...)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
    dberr(s, err, "prepare");
    return NULL;
  }
  va_list ap;
  va_start(ap, types);
  for (int i = 0; types[i]; i++) {
    if (types[i] == 't') {
      const char *v = va_arg(ap, const char *);
      if (v)
        sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT);
      else
        sqlite3_bind_null(st, i + 1);
    } else {
      sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
    }
  }
  va_end(ap);
  return st;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
  const unsigned char *v = sqlite3_column_text(st, i);
  return v ? strdup((const char *) v) : NULL;
}

/* Run a statement that returns no rows; *changes gets the rows changed. */
static int run(struct ecr_store *s, sqlite3_stmt *st, int *changes, struct wh_error **err)
{
  if (!st)
    return -1;
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc == SQLITE_CONSTRAINT)
    return wh_error_set(err, WH_ERR_EXISTS, "already exists");
  if (rc != SQLITE_DONE)
    return dberr(s, err, "write");
  if (changes)
    *changes = sqlite3_changes(s->db);
  return 0;
}

#define LOCKED(s) \
  pthread_mutex_lock(&(s)->lock); \
  for (int once_ = 1; once_; once_ = 0, pthread_mutex_unlock(&(s)->lock))

/* --- users ------------------------------------------------------------ */

void ecr_user_clear(struct ecr_user *u)
{
  free(u->name);
  free(u->password);
  free(u->perms);
  memset(u, 0, sizeof(*u));
}

void ecr_users_free(struct ecr_user *u, size_t n)
{
  for (size_t i = 0; i < n; i++)
    ecr_user_clear(&u[i]);
  free(u);
}

int ecr_user_add(struct ecr_store *s, const char *name, const char *perms,
                 int64_t now, struct wh_error **err)
{
  int ret;
  LOCKED(s) {
    ret = run(s, prep(s, err, "INSERT INTO ecr_users(name, perms, created_at) VALUES(?1,?2,?3)",
                      "tti", name, perms ? perms : "", now), NULL, err);
  }
  if (ret < 0 && *err && (*err)->kind == WH_ERR_EXISTS) {
    wh_error_free(*err);
    *err = NULL;
    return wh_error_set(err, WH_ERR_EXISTS, "user %s already exists", name);
  }
  return ret;
}

static void user_row(sqlite3_stmt *st, struct ecr_user *u)
{
  u->name = col_dup(st, 0);
  u->password = col_dup(st, 1);
  u->perms = col_dup(st, 2);
  u->created_at = sqlite3_column_int64(st, 3);
}

int ecr_user_get(struct ecr_store *s, const char *name, struct ecr_user *out,
                 struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  int ret = 0;
  LOCKED(s) {
    sqlite3_stmt *st = prep(s, err, "SELECT name, password, perms, created_at FROM ecr_users "
                            "WHERE name=?1", "t", name);
    if (!st) {
      ret = -1;
      break;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
      user_row(st, out);
    else if (rc == SQLITE_DONE)
      ret = wh_error_set(err, WH_ERR_NOT_FOUND, "no user %s", name);
    else
      ret = dberr(s, err, "read user");
    sqlite3_finalize(st);
  }
  return ret;
}

int ecr_user_list(struct ecr_store *s, struct ecr_user **out, size_t *n,
                  struct wh_error **err)
{
  *out = NULL;
  *n = 0;
  int ret = 0;
  LOCKED(s) {
    sqlite3_stmt *st = prep(s, err, "SELECT name, password, perms, created_at FROM ecr_users "
                            "ORDER BY name", "");
    if (!st) {
      ret = -1;
      break;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      struct ecr_user *nu = realloc(*out, (*n + 1) * sizeof(**out));
      if (!nu) {
        ret = wh_error_errno(err, "list users");
        break;
      }
      *out = nu;
      user_row(st, &nu[(*n)++]);
    }
    if (ret == 0 && rc != SQLITE_DONE)
      ret = dberr(s, err, "list users");
    sqlite3_finalize(st);
  }
  return ret;
}

int ecr_user_remove(struct ecr_store *s, const char *name, struct wh_error **err)
{
  int ret = 0, changes = 0;
  LOCKED(s) {
    sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (run(s, prep(s, err, "DELETE FROM ecr_keys WHERE user=?1", "t", name), NULL, err) < 0 ||
        run(s, prep(s, err, "DELETE FROM ecr_users WHERE name=?1", "t", name), &changes, err) < 0) {
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
      ret = -1;
      break;
    }
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  }
  if (ret == 0 && changes == 0)
    return wh_error_set(err, WH_ERR_NOT_FOUND, "no user %s", name);
  return ret;
}

int ecr_user_set(struct ecr_store *s, const char *name, const char *field,
                 const char *value, struct wh_error **err)
{
  const char *sql = strcmp(field, "password") == 0
                        ? "UPDATE ecr_users SET password=?2 WHERE name=?1"
                        : "UPDATE ecr_users SET perms=?2 WHERE name=?1";
  int ret, changes = 0;
  LOCKED(s) {
    ret = run(s, prep(s, err, sql, "tt", name, value ? value : (field[0] == 'p' &&
              field[1] == 'e' ? "" : NULL)), &changes, err);
  }
  if (ret == 0 && changes == 0)
    return wh_error_set(err, WH_ERR_NOT_FOUND, "no user %s", name);
  return ret;
}

/* --- keys ------------------------------------------------------------- */

void ecr_key_clear(struct ecr_key *k)
{
  free(k->id);
  free(k->user);
  free(k->sealed);
  memset(k, 0, sizeof(*k));
}

void ecr_keys_free(struct ecr_key *k, size_t n)
{
  for (size_t i = 0; i < n; i++)
    ecr_key_clear(&k[i]);
  free(k);
}

int ecr_key_add(struct ecr_store *s, const struct ecr_key *k, struct wh_error **err)
{
  int ret;
  LOCKED(s) {
    ret = run(s, prep(s, err, "INSERT INTO ecr_keys(id, user, sealed, active, expires_at, "
                      "created_at) SELECT ?1,?2,?3,?4,?5,?6 WHERE EXISTS "
                      "(SELECT 1 FROM ecr_users WHERE name=?2)", "tttiii", k->id, k->user,
                      k->sealed, (int64_t) k->active, k->expires_at, k->created_at),
              NULL, err);
    if (ret == 0 && sqlite3_changes(s->db) == 0)
      ret = wh_error_set(err, WH_ERR_NOT_FOUND, "no user %s", k->user);
  }
  return ret;
}

static const char key_cols[] = "SELECT id, user, sealed, active, expires_at, created_at FROM ecr_keys ";

static void key_row(sqlite3_stmt *st, struct ecr_key *k)
{
  k->id = col_dup(st, 0);
  k->user = col_dup(st, 1);
  k->sealed = col_dup(st, 2);
  k->active = sqlite3_column_int64(st, 3) != 0;
  k->expires_at = sqlite3_column_int64(st, 4);
  k->created_at = sqlite3_column_int64(st, 5);
}

int ecr_key_get(struct ecr_store *s, const char *id, struct ecr_key *out,
                struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  int ret = 0;
  char sql[160];
  snprintf(sql, sizeof(sql), "%sWHERE id=?1", key_cols);
  LOCKED(s) {
    sqlite3_stmt *st = prep(s, err, sql, "t", id);
    if (!st) {
      ret = -1;
      break;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
      key_row(st, out);
    else if (rc == SQLITE_DONE)
      ret = wh_error_set(err, WH_ERR_NOT_FOUND, "no access key %s", id);
    else
      ret = dberr(s, err, "read key");
    sqlite3_finalize(st);
  }
  return ret;
}

int ecr_key_list(struct ecr_store *s, const char *user, struct ecr_key **out,
                 size_t *n, struct wh_error **err)
{
  *out = NULL;
  *n = 0;
  int ret = 0;
  char sql[200];
  snprintf(sql, sizeof(sql), "%sWHERE ?1 IS NULL OR user=?1 ORDER BY user, created_at, id",
           key_cols);
  LOCKED(s) {
    sqlite3_stmt *st = prep(s, err, sql, "t", user);
    if (!st) {
      ret = -1;
      break;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      struct ecr_key *nk = realloc(*out, (*n + 1) * sizeof(**out));
      if (!nk) {
        ret = wh_error_errno(err, "list keys");
        break;
      }
      *out = nk;
      memset(&nk[*n], 0, sizeof(nk[*n]));
      key_row(st, &nk[(*n)++]);
    }
    if (ret == 0 && rc != SQLITE_DONE)
      ret = dberr(s, err, "list keys");
    sqlite3_finalize(st);
  }
  return ret;
}

static int key_update(struct ecr_store *s, const char *id, const char *sql, int64_t v,
                      struct wh_error **err)
{
  int ret, changes = 0;
  LOCKED(s) {
    ret = run(s, prep(s, err, sql, "ti", id, v), &changes, err);
  }
  if (ret == 0 && changes == 0)
    return wh_error_set(err, WH_ERR_NOT_FOUND, "no access key %s", id);
  return ret;
}

int ecr_key_set_active(struct ecr_store *s, const char *id, bool active,
                       struct wh_error **err)
{
  return key_update(s, id, "UPDATE ecr_keys SET active=?2 WHERE id=?1", active, err);
}

int ecr_key_set_expiry(struct ecr_store *s, const char *id, int64_t expires_at,
                       struct wh_error **err)
{
  return key_update(s, id, "UPDATE ecr_keys SET expires_at=?2 WHERE id=?1", expires_at, err);
}

int ecr_key_remove(struct ecr_store *s, const char *id, struct wh_error **err)
{
  return key_update(s, id, "DELETE FROM ecr_keys WHERE id=?1 AND ?2=?2", 0, err);
}

/* --- repositories ----------------------------------------------------- */

void ecr_repo_clear(struct ecr_repo *r)
{
  free(r->name);
  for (int i = 0; i < ECR_RF_COUNT; i++)
    free(r->f[i]);
  memset(r, 0, sizeof(*r));
}

void ecr_repos_free(struct ecr_repo *r, size_t n)
{
  for (size_t i = 0; i < n; i++)
    ecr_repo_clear(&r[i]);
  free(r);
}

static const char repo_cols[] =
  "SELECT r.name, r.created_at, e.mutability, e.scan, e.encryption, e.policy, e.lifecycle,"
  " e.tags, e.preview, e.lifecycle_at FROM repos r LEFT JOIN ecr_repos e ON e.name=r.name ";

static void repo_row(sqlite3_stmt *st, struct ecr_repo *r)
{
  r->name = col_dup(st, 0);
  r->created_at = sqlite3_column_int64(st, 1) / 1000000000;
  for (int i = 0; i < ECR_RF_COUNT; i++)
    r->f[i] = col_dup(st, 2 + i);
  r->lifecycle_at = sqlite3_column_int64(st, 9);
}

int ecr_repo_get(struct ecr_store *s, const char *name, struct ecr_repo *out,
                 struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  char sql[400];
  snprintf(sql, sizeof(sql), "%sWHERE r.name=?1", repo_cols);
  int ret = 0;
  LOCKED(s) {
    sqlite3_stmt *st = prep(s, err, sql, "t", name);
    if (!st) {
      ret = -1;
      break;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
      repo_row(st, out);
    else if (rc == SQLITE_DONE)
      ret = wh_error_set(err, WH_ERR_NOT_FOUND, "repository %s does not exist", name);
    else
      ret = dberr(s, err, "read repository");
    sqlite3_finalize(st);
  }
  return ret;
}

int ecr_repo_list(struct ecr_store *s, const char *after, size_t limit,
                  struct ecr_repo **out, size_t *n, bool *more, struct wh_error **err)
{
  *out = NULL;
  *n = 0;
  *more = false;
  char sql[400];
  snprintf(sql, sizeof(sql), "%sWHERE r.name > ?1 ORDER BY r.name LIMIT ?2", repo_cols);
  int ret = 0;
  LOCKED(s) {
    sqlite3_stmt *st = prep(s, err, sql, "ti", after ? after : "", (int64_t) limit + 1);
    if (!st) {
      ret = -1;
      break;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      if (*n == limit) {
        *more = true;
        rc = SQLITE_DONE;
        break;
      }
      struct ecr_repo *nr = realloc(*out, (*n + 1) * sizeof(**out));
      if (!nr) {
        ret = wh_error_errno(err, "list repositories");
        break;
      }
      *out = nr;
      memset(&nr[*n], 0, sizeof(nr[*n]));
      repo_row(st, &nr[(*n)++]);
    }
    if (ret == 0 && rc != SQLITE_DONE)
      ret = dberr(s, err, "list repositories");
    sqlite3_finalize(st);
  }
  return ret;
}

int ecr_repo_create(struct ecr_store *s, const struct ecr_repo *r, int64_t now,
                    struct wh_error **err)
{
  int ret = 0, changes = 0;
  LOCKED(s) {
    sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (run(s, prep(s, err, "INSERT INTO repos(name, created_at) VALUES(?1, ?2) "
                    "ON CONFLICT(name) DO NOTHING", "ti", r->name, now * 1000000000),
            &changes, err) < 0 ||
        (changes == 1 &&
         run(s, prep(s, err, "INSERT OR REPLACE INTO ecr_repos(name, mutability, scan, "
                     "encryption, tags) VALUES(?1,?2,?3,?4,?5)", "ttttt", r->name,
                     r->f[ECR_RF_MUTABILITY], r->f[ECR_RF_SCAN], r->f[ECR_RF_ENCRYPTION],
                     r->f[ECR_RF_TAGS]), NULL, err) < 0)) {
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
      ret = -1;
      break;
    }
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  }
  if (ret == 0 && changes == 0)
    return wh_error_set(err, WH_ERR_EXISTS, "The repository with name '%s' already exists "
                        "in the registry", r->name);
  return ret;
}

int ecr_repo_set(struct ecr_store *s, const char *name, enum ecr_repo_field f,
                 const char *value, struct wh_error **err)
{
  char sql[200];
  snprintf(sql, sizeof(sql), "INSERT INTO ecr_repos(name, %s%s) VALUES(?1, ?2%s) "
           "ON CONFLICT(name) DO UPDATE SET %s=excluded.%s%s", field_col[f],
           f == ECR_RF_LIFECYCLE ? ", lifecycle_at" : "", f == ECR_RF_LIFECYCLE ? ", ?3" : "",
           field_col[f], field_col[f],
           f == ECR_RF_LIFECYCLE ? ", lifecycle_at=excluded.lifecycle_at" : "");
  int ret;
  LOCKED(s) {
    ret = run(s, prep(s, err, sql, "tti", name, value, wh_now_real_ns() / 1000000000), NULL, err);
  }
  return ret;
}

int ecr_repo_delete(struct ecr_store *s, const char *name, bool force, struct wh_error **err)
{
  static const char *const dels[] = {
    "DELETE FROM tags WHERE repo_id=(SELECT id FROM repos WHERE name=?1)",
    "DELETE FROM manifests WHERE repo_id=(SELECT id FROM repos WHERE name=?1)",
    "DELETE FROM blobs WHERE repo_id=(SELECT id FROM repos WHERE name=?1)",
    "DELETE FROM ecr_repos WHERE name=?1",
    "DELETE FROM repos WHERE name=?1",
  };
  int ret = 0, changes = 0;
  LOCKED(s) {
    sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (!force) {
      sqlite3_stmt *st = prep(s, err, "SELECT count(*) FROM manifests WHERE repo_id="
                              "(SELECT id FROM repos WHERE name=?1)", "t", name);
      if (!st || sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        ret = st ? dberr(s, err, "count images") : -1;
      } else {
        int64_t cnt = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (cnt > 0)
          ret = wh_error_set(err, WH_ERR_BUSY, "The repository with name '%s' in registry "
                             "cannot be deleted because it still contains images", name);
      }
    }
    for (size_t i = 0; ret == 0 && i < WH_ARRAY_SIZE(dels); i++)
      ret = run(s, prep(s, err, dels[i], "t", name), &changes, err);
    sqlite3_exec(s->db, ret == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
  }
  if (ret == 0 && changes == 0)
    return wh_error_set(err, WH_ERR_NOT_FOUND, "The repository with name '%s' does not "
                        "exist in the registry", name);
  return ret;
}

/* --- images ----------------------------------------------------------- */

void ecr_images_free(struct ecr_image *im, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(im[i].digest);
    free(im[i].media_type);
    for (size_t j = 0; j < im[i].n_tags; j++)
      free(im[i].tags[j]);
    free(im[i].tags);
  }
  free(im);
}

int ecr_image_list(struct ecr_store *s, const char *repo, struct ecr_image **out,
                   size_t *n, struct wh_error **err)
{
  *out = NULL;
  *n = 0;
  int ret = 0;
  LOCKED(s) {
    /* Rows come by digest, each manifest's tags next to each other. */
    sqlite3_stmt *st = prep(s, err,
        "SELECT m.digest, m.media_type, m.size, m.pushed_at, m.pulled_at, t.name "
        "FROM repos r JOIN manifests m ON m.repo_id=r.id "
        "LEFT JOIN tags t ON t.repo_id=r.id AND t.digest=m.digest "
        "WHERE r.name=?1 ORDER BY m.digest, t.name", "t", repo);
    if (!st) {
      ret = -1;
      break;
    }
    int rc;
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      const char *dg = (const char *) sqlite3_column_text(st, 0);
      struct ecr_image *im = *n ? &(*out)[*n - 1] : NULL;
      if (!im || strcmp(im->digest, dg) != 0) {
        if (*n == cap) {
          cap = cap ? cap * 2 : 64;
          struct ecr_image *ni = realloc(*out, cap * sizeof(*ni));
          if (!ni) {
            ret = wh_error_errno(err, "list images");
            break;
          }
          *out = ni;
        }
        im = &(*out)[(*n)++];
        memset(im, 0, sizeof(*im));
        im->digest = col_dup(st, 0);
        im->media_type = col_dup(st, 1);
        im->size = (uint64_t) sqlite3_column_int64(st, 2);
        im->pushed_at = sqlite3_column_int64(st, 3) / 1000000000;
        im->pulled_at = sqlite3_column_int64(st, 4) / 1000000000;
      }
      if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
        char **nt = realloc(im->tags, (im->n_tags + 2) * sizeof(char *));
        if (!nt) {
          ret = wh_error_errno(err, "list images");
          break;
        }
        im->tags = nt;
        nt[im->n_tags++] = col_dup(st, 5);
        nt[im->n_tags] = NULL;
      }
    }
    if (ret == 0 && rc != SQLITE_DONE)
      ret = dberr(s, err, "list images");
    sqlite3_finalize(st);
  }
  if (ret < 0) {
    ecr_images_free(*out, *n);
    *out = NULL;
    *n = 0;
  }
  return ret;
}

int ecr_tag_digest(struct ecr_store *s, const char *repo, const char *tag, char **digest,
                   struct wh_error **err)
{
  *digest = NULL;
  int ret = 0;
  LOCKED(s) {
    sqlite3_stmt *st = prep(s, err, "SELECT t.digest FROM repos r JOIN tags t ON "
                            "t.repo_id=r.id WHERE r.name=?1 AND t.name=?2", "tt", repo, tag);
    if (!st) {
      ret = -1;
      break;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
      *digest = col_dup(st, 0);
    else if (rc == SQLITE_DONE)
      ret = wh_error_set(err, WH_ERR_NOT_FOUND, "no tag %s", tag);
    else
      ret = dberr(s, err, "read tag");
    sqlite3_finalize(st);
  }
  return ret;
}

int ecr_repos_with_lifecycle(struct ecr_store *s, char ***names, size_t *n,
                             struct wh_error **err)
{
  *names = NULL;
  *n = 0;
  int ret = 0;
  LOCKED(s) {
    sqlite3_stmt *st = prep(s, err, "SELECT e.name FROM ecr_repos e JOIN repos r ON "
                            "r.name=e.name WHERE e.lifecycle IS NOT NULL ORDER BY e.name", "");
    if (!st) {
      ret = -1;
      break;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      char **nn = realloc(*names, (*n + 2) * sizeof(char *));
      if (!nn) {
        ret = wh_error_errno(err, "list repositories");
        break;
      }
      *names = nn;
      nn[(*n)++] = col_dup(st, 0);
      nn[*n] = NULL;
    }
    if (ret == 0 && rc != SQLITE_DONE)
      ret = dberr(s, err, "list repositories");
    sqlite3_finalize(st);
  }
  return ret;
}
