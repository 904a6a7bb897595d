/* image/store_query.c: listing, looking up, naming and removing images in
 * the store (see store.h). Removal deletes rows in one transaction first
 * and files after, so a crash in between leaves only unregistered files,
 * which the next writer sweeps. */
#include "image/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"

void image_info_free(struct image_info *i)
{
  free(i->id);
  free(i->manifest_digest);
  free(i->manifest_media_type);
  free(i->os);
  free(i->arch);
  free(i->variant);
  wh_strvfreep(&i->names);
  wh_strvfreep(&i->repo_digests);
  wh_strvfreep(&i->chain_ids);
  wh_strvfreep(&i->diff_ids);
  if (i->layer_blobs) {
    for (size_t k = 0; k < i->n_layers; k++)
      free(i->layer_blobs[k]);
    free(i->layer_blobs);
  }
  free(i->layer_sizes);
  memset(i, 0, sizeof(*i));
}

void image_info_list_free(struct image_info *v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    image_info_free(&v[i]);
  free(v);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? strdup((const char *) t) : NULL;
}

/* All values of one text column for the rows of a query keyed by id. */
static int strv_query(struct image_store *s, const char *sql, const char *id, char ***out,
                      size_t *n_out, struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = store_prepare(s, sql, err);
  if (!st)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  size_t n = 0, cap = 4;
  _cleanup_strv_ char **v = calloc(cap + 1, sizeof(char *));
  if (!v)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  int r;
  while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      char **nv = realloc(v, (cap * 2 + 1) * sizeof(char *));
      if (!nv)
        return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
      v = nv;
      cap *= 2;
    }
    const unsigned char *t = sqlite3_column_text(st, 0);
    v[n] = strdup(t ? (const char *) t : "");
    if (!v[n])
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    v[++n] = NULL;
  }
  if (r != SQLITE_DONE)
    return store_db_error(s, "query", err);
  if (n_out)
    *n_out = n;
  *out = steal_pointer(&v);
  return 0;
}

static int fill_info(struct image_store *s, sqlite3_stmt *st, struct image_info *i,
                     struct wh_error **err)
{
  memset(i, 0, sizeof(*i));
  i->id = col_dup(st, 0);
  i->manifest_digest = col_dup(st, 1);
  i->manifest_media_type = col_dup(st, 2);
  i->created_ns = sqlite3_column_int64(st, 3);
  i->added_ns = sqlite3_column_int64(st, 4);
  i->size = sqlite3_column_int64(st, 5);
  i->os = col_dup(st, 6);
  i->arch = col_dup(st, 7);
  i->variant = col_dup(st, 8);
  i->n_users = (size_t) sqlite3_column_int64(st, 9);
  if (!i->id)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  size_t nb = 0, ns = 0;
  _cleanup_strv_ char **blobs = NULL;
  _cleanup_strv_ char **sizes = NULL;
  if (strv_query(s, "SELECT name FROM names WHERE image_id = ? ORDER BY name", i->id,
                 &i->names, NULL, err) < 0 ||
      strv_query(s, "SELECT ref FROM repo_digests WHERE image_id = ? ORDER BY ref", i->id,
                 &i->repo_digests, NULL, err) < 0 ||
      strv_query(s, "SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY idx",
                 i->id, &i->chain_ids, &i->n_layers, err) < 0 ||
      strv_query(s, "SELECT l.diff_id FROM image_layers il JOIN layers l USING (chain_id)"
                    " WHERE il.image_id = ? ORDER BY il.idx", i->id, &i->diff_ids, NULL,
                 err) < 0 ||
      strv_query(s, "SELECT coalesce(blob_digest, '') FROM image_layers WHERE image_id = ?"
                       " ORDER BY idx", i->id, &blobs, &nb, err) < 0 ||
      strv_query(s, "SELECT l.size FROM image_layers il JOIN layers l USING (chain_id)"
                    " WHERE il.image_id = ? ORDER BY il.idx", i->id, &sizes, &ns, err) < 0)
    return -1;
  if (nb != i->n_layers)
    return wh_error_set(err, WH_ERR_INTERNAL, "image %s: layer rows changed", i->id);
  i->layer_blobs = calloc(nb + 1, sizeof(char *));
  if (!i->layer_blobs)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  i->layer_sizes = calloc(nb + 1, sizeof(int64_t));
  if (!i->layer_sizes)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  for (size_t k = 0; k < ns && k < nb; k++)
    i->layer_sizes[k] = strtoll(sizes[k], NULL, 10);
  for (size_t k = 0; k < nb; k++)
    if (blobs[k][0])
      i->layer_blobs[k] = steal_pointer(&blobs[k]);
  return 0;
}

#define IMAGE_COLS                                                                        \
  "SELECT id, manifest_digest, manifest_media_type, created, added, size, os, arch,"      \
  " variant, (SELECT count(*) FROM image_users u WHERE u.image_id = images.id) FROM images"

int image_store_list(struct image_store *s, struct image_info **out, size_t *n_out,
                     struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = store_prepare(s, IMAGE_COLS " ORDER BY added DESC", err);
  if (!st)
    return -1;
  size_t n = 0, cap = 8;
  struct image_info *v = calloc(cap, sizeof(*v));
  if (!v)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  int r;
  while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      struct image_info *nv = realloc(v, cap * 2 * sizeof(*v));
      if (!nv) {
        image_info_list_free(v, n);
        return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
      }
      v = nv;
      cap *= 2;
    }
    if (fill_info(s, st, &v[n], err) < 0) {
      image_info_list_free(v, n + 1);
      return -1;
    }
    n++;
  }
  if (r != SQLITE_DONE) {
    image_info_list_free(v, n);
    return store_db_error(s, "list images", err);
  }
  *out = v;
  *n_out = n;
  return 0;
}

static int info_by_id(struct image_store *s, const char *id, struct image_info *out,
                      struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = store_prepare(s, IMAGE_COLS " WHERE id = ?", err);
  if (!st)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW)
    return wh_error_set(err, WH_ERR_NOT_FOUND, "image %s not found", id);
  return fill_info(s, st, out, err);
}

/* One id from a query with one bound text parameter; 0 rows → NULL, more
 * than one → WH_ERR_INVALID (ambiguous). */
static int unique_id(struct image_store *s, const char *sql, const char *arg, char **id,
                     const char *ref, struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = store_prepare(s, sql, err);
  if (!st)
    return -1;
  sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
  *id = NULL;
  int r;
  while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    const char *v = (const char *) sqlite3_column_text(st, 0);
    if (*id && strcmp(*id, v) != 0) {
      free(*id);
      *id = NULL;
      return wh_error_set(err, WH_ERR_INVALID, "\"%s\" matches more than one image", ref);
    }
    if (!*id && !(*id = strdup(v)))
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  if (r != SQLITE_DONE)
    return store_db_error(s, "lookup", err);
  return 0;
}

static bool is_hex(const char *s)
{
  if (!*s)
    return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

/* The image id `ref` names, see image_store_lookup(). */
static int resolve_id(struct image_store *s, const char *ref, char **id, struct wh_error **err)
{
  *id = NULL;
  if (strlen(ref) > 512)
    return wh_error_set(err, WH_ERR_INVALID, "image reference too long");
  if (strchr(ref, '@')) {
    if (unique_id(s, "SELECT image_id FROM repo_digests WHERE ref = ?", ref, id, ref, err) < 0)
      return -1;
    if (!*id) {
      /* a short name with a digest: any registry */
      _cleanup_free_ char *pat = NULL;
      if (asprintf(&pat, "%%/%s", ref) < 0)
        return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
      if (unique_id(s, "SELECT image_id FROM repo_digests WHERE ref LIKE ? ESCAPE '\\'", pat,
                    id, ref, err) < 0)
        return -1;
    }
  } else {
    const char *h = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
    if (is_hex(h) && strlen(h) >= 4 && strlen(h) <= 64) {
      _cleanup_free_ char *pat = NULL;
      if (asprintf(&pat, "sha256:%s%%", h) < 0)
        return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
      if (unique_id(s, "SELECT id FROM images WHERE id LIKE ?", pat, id, ref, err) < 0)
        return -1;
      if (*id)
        return 0;
    }
    /* a name: ":latest" when no tag follows the last "/" */
    const char *slash = strrchr(ref, '/');
    bool tagged = strchr(slash ? slash : ref, ':') != NULL;
    _cleanup_free_ char *full = NULL;
    if (asprintf(&full, "%s%s", ref, tagged ? "" : ":latest") < 0)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    if (unique_id(s, "SELECT image_id FROM names WHERE name = ?", full, id, ref, err) < 0)
      return -1;
    if (!*id && !strpbrk(full, "%_\\")) {
      _cleanup_free_ char *pat = NULL;
      if (asprintf(&pat, "%%/%s", full) < 0)
        return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
      if (unique_id(s, "SELECT image_id FROM names WHERE name LIKE ?", pat, id, ref, err) < 0)
        return -1;
    }
  }
  if (!*id)
    return wh_error_set(err, WH_ERR_NOT_FOUND, "image \"%s\" not known", ref);
  return 0;
}

int image_store_lookup(struct image_store *s, const char *ref, struct image_info *out,
                       struct wh_error **err)
{
  _cleanup_free_ char *id = NULL;
  if (resolve_id(s, ref, &id, err) < 0)
    return -1;
  return info_by_id(s, id, out, err);
}

int image_store_tag(struct image_store *s, const char *image_id, const char *name,
                    struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = store_prepare(
      s, "INSERT OR REPLACE INTO names (name, image_id) VALUES (?, ?)", err);
  if (!st)
    return -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, image_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return store_db_error(s, "tag", err);
  return 0;
}

static int exec_bound(struct image_store *s, const char *sql, const char *arg,
                      struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = store_prepare(s, sql, err);
  if (!st)
    return -1;
  if (arg)
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return store_db_error(s, sql, err);
  return 0;
}

/* Rows of layers and blobs no image refers to any more; their files go in
 * store_sweep() after the transaction. */
static int drop_unreferenced(struct image_store *s, struct wh_error **err)
{
  if (exec_bound(s, "DELETE FROM layers WHERE chain_id NOT IN"
                    " (SELECT chain_id FROM image_layers)", NULL, err) < 0 ||
      exec_bound(s, "DELETE FROM blobs WHERE digest NOT IN (SELECT digest FROM image_blobs)",
                 NULL, err) < 0)
    return -1;
  return 0;
}

static int delete_image_rows(struct image_store *s, const char *id, struct wh_error **err)
{
  if (exec_bound(s, "DELETE FROM image_users WHERE image_id = ?", id, err) < 0 ||
      exec_bound(s, "DELETE FROM images WHERE id = ?", id, err) < 0)
    return -1;
  return drop_unreferenced(s, err);
}

static int count_rows(struct image_store *s, const char *sql, const char *arg, int64_t *n,
                      struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = store_prepare(s, sql, err);
  if (!st)
    return -1;
  sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW)
    return store_db_error(s, "count", err);
  *n = sqlite3_column_int64(st, 0);
  return 0;
}

static int remove_tx(struct image_store *s, const char *ref, bool force, char **untagged,
                     char **deleted, struct wh_error **err)
{
  _cleanup_free_ char *id = NULL;
  if (resolve_id(s, ref, &id, err) < 0)
    return -1;
  /* by name: drop that name; the image goes when it was the last one */
  _cleanup_free_ char *full = NULL;
  const char *slash = strrchr(ref, '/');
  bool tagged = strchr(slash ? slash : ref, ':') != NULL;
  if (asprintf(&full, "%s%s", ref, tagged ? "" : ":latest") < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  _cleanup_stmt_ sqlite3_stmt *st = store_prepare(
      s, "SELECT name FROM names WHERE image_id = ?1 AND (name = ?2 OR name LIKE '%/' || ?2)",
      err);
  if (!st)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, full, -1, SQLITE_STATIC);
  _cleanup_free_ char *name = NULL;
  if (sqlite3_step(st) == SQLITE_ROW)
    name = col_dup(st, 0);
  int64_t names = 0, users = 0;
  if (count_rows(s, "SELECT count(*) FROM names WHERE image_id = ?", id, &names, err) < 0 ||
      count_rows(s, "SELECT count(*) FROM image_users WHERE image_id = ?", id, &users, err) < 0)
    return -1;
  if (name && names > 1 && !force) {
    if (exec_bound(s, "DELETE FROM names WHERE name = ?", name, err) < 0)
      return -1;
    *untagged = steal_pointer(&name);
    return 0;
  }
  if (users > 0 && !force)
    return wh_error_set(err, WH_ERR_BUSY,
                        "image %s is in use by %lld container(s); remove them or use -f",
                        id, (long long) users);
  if (name)
    *untagged = steal_pointer(&name);
  if (delete_image_rows(s, id, err) < 0)
    return -1;
  *deleted = steal_pointer(&id);
  return 0;
}

int image_store_remove(struct image_store *s, const char *ref, bool force, char **untagged,
                       char **deleted, struct wh_error **err)
{
  _cleanup_free_ char *u = NULL, *d = NULL;
  if (store_exec(s, "BEGIN IMMEDIATE", err) < 0)
    return -1;
  if (remove_tx(s, ref, force, &u, &d, err) < 0 || store_exec(s, "COMMIT", err) < 0) {
    store_exec(s, "ROLLBACK", NULL);
    return -1;
  }
  if (d && store_sweep(s, err) < 0)
    return -1;
  if (untagged)
    *untagged = steal_pointer(&u);
  if (deleted)
    *deleted = steal_pointer(&d);
  return 0;
}

int image_store_prune(struct image_store *s, bool all, size_t *images, uint64_t *bytes,
                      struct wh_error **err)
{
  struct image_store_usage before, after;
  if (image_store_df(s, &before, err) < 0)
    return -1;
  if (store_exec(s, "BEGIN IMMEDIATE", err) < 0)
    return -1;
  const char *sql = all
      ? "DELETE FROM images WHERE id NOT IN (SELECT image_id FROM image_users)"
      : "DELETE FROM images WHERE id NOT IN (SELECT image_id FROM names)"
        " AND id NOT IN (SELECT image_id FROM image_users)";
  if (exec_bound(s, sql, NULL, err) < 0 || drop_unreferenced(s, err) < 0 ||
      store_exec(s, "COMMIT", err) < 0) {
    store_exec(s, "ROLLBACK", NULL);
    return -1;
  }
  if (store_sweep(s, err) < 0 || image_store_df(s, &after, err) < 0)
    return -1;
  *images = before.images - after.images;
  *bytes = (before.layer_bytes + before.blob_bytes) - (after.layer_bytes + after.blob_bytes);
  return 0;
}

int image_store_add_user(struct image_store *s, const char *image_id, const char *user,
                         struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = store_prepare(
      s, "INSERT OR REPLACE INTO image_users (user, image_id) VALUES (?, ?)", err);
  if (!st)
    return -1;
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, image_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return store_db_error(s, "add image user", err);
  return 0;
}

int image_store_remove_user(struct image_store *s, const char *user, struct wh_error **err)
{
  return exec_bound(s, "DELETE FROM image_users WHERE user = ?", user, err);
}

int image_store_sync_users(struct image_store *s, const char *const (*pairs)[2], size_t n,
                           struct wh_error **err)
{
  /* rare (once per boot): this one waits for the disk */
  int sync_was = 2;
  _cleanup_stmt_ sqlite3_stmt *q = store_prepare(s, "PRAGMA synchronous", err);
  if (!q)
    return -1;
  if (sqlite3_step(q) == SQLITE_ROW)
    sync_was = sqlite3_column_int(q, 0);
  sqlite3_finalize(q);
  q = NULL;
  char restore[64];
  snprintf(restore, sizeof(restore), "PRAGMA synchronous=%d;", sync_was);
  if (store_exec(s, "PRAGMA synchronous=FULL; BEGIN IMMEDIATE;", err) < 0) {
    store_exec(s, restore, NULL);
    return -1;
  }
  int r = exec_bound(s, "DELETE FROM image_users", NULL, err);
  for (size_t i = 0; i < n && r == 0; i++) {
    _cleanup_stmt_ sqlite3_stmt *st = store_prepare(
        s, "INSERT OR REPLACE INTO image_users (user, image_id)"
           " SELECT ?, id FROM images WHERE id = ?", err);
    if (!st) {
      r = -1;
      break;
    }
    sqlite3_bind_text(st, 1, pairs[i][0], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, pairs[i][1], -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
      r = store_db_error(s, "sync image users", err);
  }
  if (r == 0)
    r = store_exec(s, "COMMIT;", err);
  if (r < 0)
    store_exec(s, "ROLLBACK;", NULL);
  store_exec(s, restore, NULL);
  return r;
}

static int sum(struct image_store *s, const char *sql, size_t *count, uint64_t *bytes,
               struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = store_prepare(s, sql, err);
  if (!st)
    return -1;
  if (sqlite3_step(st) != SQLITE_ROW)
    return store_db_error(s, "df", err);
  if (count)
    *count = (size_t) sqlite3_column_int64(st, 0);
  if (bytes)
    *bytes = (uint64_t) sqlite3_column_int64(st, 1);
  return 0;
}

int image_store_df(struct image_store *s, struct image_store_usage *u, struct wh_error **err)
{
  memset(u, 0, sizeof(*u));
  if (sum(s, "SELECT count(*), 0 FROM images", &u->images, NULL, err) < 0 ||
      sum(s, "SELECT count(*), coalesce(sum(size), 0) FROM layers", &u->layers,
          &u->layer_bytes, err) < 0 ||
      sum(s, "SELECT count(*), coalesce(sum(size), 0) FROM blobs", &u->blobs, &u->blob_bytes,
          err) < 0 ||
      sum(s, "SELECT 0, coalesce(sum(size), 0) FROM layers WHERE chain_id NOT IN"
             " (SELECT il.chain_id FROM image_layers il JOIN names n USING (image_id))",
          NULL, &u->unused_layer_bytes, err) < 0)
    return -1;
  return 0;
}

int image_store_layer_info(struct image_store *s, const char *chain_id, char **blob_digest,
                           char **media_type, int64_t *blob_size, struct wh_error **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = store_prepare(
      s, "SELECT blob_digest, media_type, blob_size FROM layers WHERE chain_id = ?", err);
  if (!st)
    return -1;
  sqlite3_bind_text(st, 1, chain_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW)
    return wh_error_set(err, WH_ERR_NOT_FOUND, "layer %s not in the store", chain_id);
  *blob_digest = col_dup(st, 0);
  *media_type = col_dup(st, 1);
  *blob_size = sqlite3_column_int64(st, 2);
  return 0;
}
