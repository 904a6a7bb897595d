/* image/store.c: opening the store, its files, and registering images
 * (see store.h). Queries and removals are in store_query.c. */
#include "image/store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/id.h"
#include "base/sqlite.h"
#include "base/timeutil.h"

/* Bump both when the schema changes (and migrate in open_db). */
#define SCHEMA_VERSION 1

/* Run when the file is new (or older than SCHEMA_VERSION) only: DDL
 * takes the write lock, which every open would otherwise wait for. WAL
 * mode is persistent, so it is set here too. */
static const char schema[] =
  "CREATE TABLE IF NOT EXISTS blobs ("
  "  digest TEXT PRIMARY KEY, media_type TEXT, size INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS layers ("
  "  chain_id TEXT PRIMARY KEY, diff_id TEXT NOT NULL, parent TEXT,"
  "  blob_digest TEXT, media_type TEXT, blob_size INTEGER, size INTEGER NOT NULL,"
  "  added INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS images ("
  "  id TEXT PRIMARY KEY, manifest_digest TEXT NOT NULL, manifest_media_type TEXT NOT NULL,"
  "  created INTEGER, added INTEGER NOT NULL, size INTEGER NOT NULL,"
  "  os TEXT, arch TEXT, variant TEXT);"
  "CREATE TABLE IF NOT EXISTS image_layers ("
  "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
  "  idx INTEGER NOT NULL, chain_id TEXT NOT NULL REFERENCES layers(chain_id),"
  "  blob_digest TEXT, PRIMARY KEY (image_id, idx));"
  "CREATE INDEX IF NOT EXISTS image_layers_chain ON image_layers(chain_id);"
  /* blobs an image holds on to (manifest, config, index, layer blobs) */
  "CREATE TABLE IF NOT EXISTS image_blobs ("
  "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
  "  digest TEXT NOT NULL REFERENCES blobs(digest), PRIMARY KEY (image_id, digest));"
  "CREATE INDEX IF NOT EXISTS image_blobs_digest ON image_blobs(digest);"
  "CREATE TABLE IF NOT EXISTS names ("
  "  name TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);"
  "CREATE TABLE IF NOT EXISTS repo_digests ("
  "  ref TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);"
  /* containers (the engine) that keep an image from being removed */
  "CREATE TABLE IF NOT EXISTS image_users ("
  "  user TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id));";

int store_db_error(struct image_store *s, const char *what, struct wh_error **err)
{
  return wh_error_set(err, WH_ERR_IO, "image store database: %s: %s", what,
                      sqlite3_errmsg(s->db));
}

sqlite3_stmt *store_prepare(struct image_store *s, const char *sql, struct wh_error **err)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
    store_db_error(s, "prepare", err);
    return NULL;
  }
  return st;
}

int store_exec(struct image_store *s, const char *sql, struct wh_error **err)
{
  char *msg = NULL;
  if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    wh_error_set(err, WH_ERR_IO, "image store database: %s", msg ? msg : "error");
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

const char *store_hex(const char *digest)
{
  const char *c = strchr(digest, ':');
  return c ? c + 1 : digest;
}

static int open_dir(int at, const char *name, struct wh_error **err)
{
  if (mkdirat(at, name, 0700) < 0 && errno != EEXIST)
    return wh_error_errno(err, "mkdir %s", name);
  int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return wh_error_errno(err, "open %s", name);
  return fd;
}

static bool row_exists(struct image_store *s, const char *sql, const char *key)
{
  _cleanup_stmt_ sqlite3_stmt *st = store_prepare(s, sql, NULL);
  if (!st)
    return false;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  return sqlite3_step(st) == SQLITE_ROW;
}

/* Remove every entry of dirfd for which keep(name) is false. */
static int sweep_dir(struct image_store *s, int dirfd, const char *prefix, const char *sql,
                     struct wh_error **err)
{
  int fd = dup(dirfd);
  if (fd < 0)
    return wh_error_errno(err, "dup");
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return wh_error_errno(err, "opendir");
  }
  rewinddir(d);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (sql) {
      char key[256];
      snprintf(key, sizeof(key), "%s%s", prefix, de->d_name);
      if (row_exists(s, sql, key))
        continue;
    }
    if (wh_rm_rf_at(dirfd, de->d_name, err) < 0)
      return -1;
  }
  return 0;
}

int store_sweep(struct image_store *s, struct wh_error **err)
{
  if (sweep_dir(s, s->blobsfd, "sha256:", "SELECT 1 FROM blobs WHERE digest = ?", err) < 0 ||
      sweep_dir(s, s->layersfd, "sha256:", "SELECT 1 FROM layers WHERE chain_id = ?", err) < 0)
    return -1;
  return 0;
}

#define BUSY_TIMEOUT_MS 10000
/* How every connection waits for a lock (also after a WAL truncation). */
static const struct wh_sqlite_busy busy = {.timeout_ms = BUSY_TIMEOUT_MS};

/* Per connection settings, then the schema if the file needs it.
 *
 * READ connections (images, inspect, push, save, and the engine) write
 * nothing but image users, the rows by which the engine's containers
 * keep their image from rmi. Those are written with synchronous=NORMAL
 * and no checkpoint at close, which saves the engine 2-3 fsyncs each
 * time a container is made and removed. What that risks: WAL mode with
 * NORMAL stays consistent after any crash, and a process crash loses
 * nothing; only a power loss or kernel crash may drop the last
 * transactions (those the kernel had not written back yet). A lost
 * "remove" leaves a stale user (rmi refuses until -f); a lost "add"
 * leaves a container whose image rmi could delete. The engine's own
 * records are written with NORMAL as well, and after a reboot the engine
 * makes the users match its containers again (image_store_sync_users)
 * before anything else. Image rows (pull, load, import, rmi, tag) keep
 * FULL and a checkpoint at close. */
static int open_db(struct image_store *s, enum image_store_mode mode, struct wh_error **err)
{
  if (mode == IMAGE_STORE_READ) {
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    if (store_exec(s, "PRAGMA synchronous=NORMAL;", err) < 0)
      return -1;
    /* the WAL is emptied as it grows (base/sqlite.h) */
    wh_sqlite_wal_truncate(s->db, &busy);
  }
  if (store_exec(s, "PRAGMA foreign_keys=ON;", err) < 0)
    return -1;
  int version = wh_sqlite_user_version(s->db);
  if (version == SCHEMA_VERSION)
    return 0;
  if (version > SCHEMA_VERSION)
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "image store %s: database version %d is newer "
                        "than this wharf's (%d)", s->root, version, SCHEMA_VERSION);
  /* a new file, which several commands may open at once (a pull and a
   * run on a fresh --root) */
  char *msg = NULL;
  if (wh_sqlite_create_schema(s->db, SCHEMA_VERSION, schema, &msg) != SQLITE_OK) {
    wh_error_set(err, WH_ERR_IO, "image store %s: schema: %s", s->root,
                 msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

int image_store_open(const char *root, enum image_store_mode mode, struct image_store **out,
                     struct wh_error **err)
{
  if (wh_mkdir_p_at(AT_FDCWD, root, 0700, err) < 0)
    return wh_error_wrap(err, "image store %s", root);
  _cleanup_close_ int blobs = -1;
  struct image_store *s = calloc(1, sizeof(*s));
  if (!s)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  s->rootfd = s->lockfd = s->blobsfd = s->layersfd = s->tmpfd = -1;
  s->root = strdup(root);
  s->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (!s->root || s->rootfd < 0) {
    wh_error_errno(err, "image store %s", root);
    goto fail;
  }
  s->lockfd = openat(s->rootfd, "wharf.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  /* A writer sweeps only when it gets the store to itself at once; with
   * another writer or reader at work it skips the sweep rather than wait
   * (the next uncontended writer does it). */
  bool exclusive = false;
  if (s->lockfd >= 0 && mode == IMAGE_STORE_WRITE)
    exclusive = flock(s->lockfd, LOCK_EX | LOCK_NB) == 0;
  if (!exclusive) {
    exclusive = mode == IMAGE_STORE_EXCLUSIVE;
    if (s->lockfd < 0 || flock(s->lockfd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
      wh_error_errno(err, "image store %s: lock", root);
      goto fail;
    }
  }
  blobs = open_dir(s->rootfd, "blobs", err);
  if (blobs < 0)
    goto fail;
  s->blobsfd = open_dir(blobs, "sha256", err);
  s->layersfd = s->blobsfd < 0 ? -1 : open_dir(s->rootfd, "layers", err);
  s->tmpfd = s->layersfd < 0 ? -1 : open_dir(s->rootfd, "tmp", err);
  if (s->tmpfd < 0)
    goto fail;
  char dbpath[4096];
  snprintf(dbpath, sizeof(dbpath), "%s/wharf.db", root);
  if (sqlite3_open_v2(dbpath, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                      SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
    wh_error_set(err, WH_ERR_IO, "image store %s: open database: %s", root,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
    goto fail;
  }
  sqlite3_busy_timeout(s->db, busy.timeout_ms);
  if (open_db(s, mode, err) < 0)
    goto fail;
  if (exclusive) {
    /* We are the only writer: anything in tmp/ and any unregistered file
     * is what an interrupted writer left. */
    if (sweep_dir(s, s->tmpfd, "", NULL, err) < 0 || store_sweep(s, err) < 0)
      goto fail;
  }
  /* converting to shared lets readers in; no other writer can sweep (it
   * needs the exclusive lock) until we are done */
  if (mode == IMAGE_STORE_WRITE && exclusive && flock(s->lockfd, LOCK_SH) < 0) {
    wh_error_errno(err, "image store %s: lock", root);
    goto fail;
  }
  *out = s;
  return 0;
fail:
  image_store_close(s);
  return -1;
}

void image_store_close(struct image_store *s)
{
  if (!s)
    return;
  if (s->db)
    sqlite3_close(s->db);
  int fds[] = {s->tmpfd, s->layersfd, s->blobsfd, s->lockfd, s->rootfd};
  for (size_t i = 0; i < WH_ARRAY_SIZE(fds); i++)
    if (fds[i] >= 0)
      close(fds[i]);
  free(s->root);
  free(s);
}

const char *image_store_root(const struct image_store *s)
{
  return s->root;
}

int image_store_rootfd(const struct image_store *s)
{
  return s->rootfd;
}

bool image_store_has_blob(struct image_store *s, const char *digest)
{
  return row_exists(s, "SELECT 1 FROM blobs WHERE digest = ?", digest);
}

bool image_store_has_layer(struct image_store *s, const char *chain_id)
{
  return row_exists(s, "SELECT 1 FROM layers WHERE chain_id = ?", chain_id);
}

int image_store_blob_open(struct image_store *s, const char *digest, struct wh_error **err)
{
  if (strncmp(digest, "sha256:", 7) != 0 || strchr(store_hex(digest), '/'))
    return wh_error_set(err, WH_ERR_INVALID, "blob %s: not a sha256 digest", digest);
  int fd = openat(s->blobsfd, store_hex(digest), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return wh_error_errno(err, "blob %s", digest);
  return fd;
}

int image_store_blob_read(struct image_store *s, const char *digest, size_t max,
                          char **data, size_t *len, struct wh_error **err)
{
  _cleanup_close_ int fd = image_store_blob_open(s, digest, err);
  if (fd < 0)
    return -1;
  if (wh_read_fd(fd, max, data, len, err) < 0)
    return wh_error_wrap(err, "blob %s", digest);
  return 0;
}

int image_store_tmp_file(struct image_store *s, const char *prefix, char **name,
                         struct wh_error **err)
{
  return wh_tmpfile_at(s->tmpfd, prefix, 0644, name, err);
}

int image_store_tmp_dir(struct image_store *s, const char *prefix, char **name,
                        struct wh_error **err)
{
  for (int tries = 0; tries < 16; tries++) {
    char rnd[2 * 8 + 1];
    unsigned char b[8];
    if (wh_random_bytes(b, sizeof(b), err) < 0)
      return -1;
    for (size_t i = 0; i < sizeof(b); i++)
      snprintf(rnd + 2 * i, 3, "%02x", b[i]);
    char n[128];
    snprintf(n, sizeof(n), "%s-%s", prefix, rnd);
    if (mkdirat(s->tmpfd, n, 0755) < 0) {
      if (errno == EEXIST)
        continue;
      return wh_error_errno(err, "image store: mkdir tmp/%s", n);
    }
    int fd = openat(s->tmpfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return wh_error_errno(err, "image store: open tmp/%s", n);
    *name = strdup(n);
    if (!*name) {
      close(fd);
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    }
    return fd;
  }
  return wh_error_set(err, WH_ERR_EXISTS, "image store: no free temporary name");
}

void image_store_tmp_remove(struct image_store *s, const char *name)
{
  wh_rm_rf_at(s->tmpfd, name, NULL);
}

int image_store_blob_adopt(struct image_store *s, const char *tmpname, const char *digest,
                           struct wh_error **err)
{
  if (strncmp(digest, "sha256:", 7) != 0)
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "blob %s: only sha256 is stored", digest);
  if (renameat2(s->tmpfd, tmpname, s->blobsfd, store_hex(digest), RENAME_NOREPLACE) < 0) {
    if (errno == EEXIST) {
      unlinkat(s->tmpfd, tmpname, 0);
      return 0;
    }
    return wh_error_errno(err, "blob %s: rename into place", digest);
  }
  return 0;
}

int image_store_layer_adopt(struct image_store *s, const char *tmpname, const char *chain_id,
                            struct wh_error **err)
{
  const char *hex = store_hex(chain_id);
  if (renameat2(s->tmpfd, tmpname, s->layersfd, hex, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EEXIST && errno != ENOTEMPTY)
    return wh_error_errno(err, "layer %s: rename into place", chain_id);
  if (image_store_has_layer(s, chain_id)) {
    wh_rm_rf_at(s->tmpfd, tmpname, NULL);
    return 0;
  }
  /* an unregistered directory is an interrupted writer's: ours replaces it */
  if (wh_rm_rf_at(s->layersfd, hex, err) < 0)
    return -1;
  if (renameat2(s->tmpfd, tmpname, s->layersfd, hex, RENAME_NOREPLACE) < 0)
    return wh_error_errno(err, "layer %s: rename into place", chain_id);
  return 0;
}

char *image_store_layer_path(const struct image_store *s, const char *chain_id)
{
  char *p = NULL;
  if (asprintf(&p, "%s/layers/%s", s->root, store_hex(chain_id)) < 0)
    return NULL;
  return p;
}

static int bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
  return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static int step_done(struct image_store *s, sqlite3_stmt *st, const char *what,
                     struct wh_error **err)
{
  if (sqlite3_step(st) != SQLITE_DONE)
    return store_db_error(s, what, err);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return 0;
}

static int commit_rows(struct image_store *s, const struct image_store_commit *c,
                       struct wh_error **err)
{
  int64_t now = wh_now_real_ns();

  _cleanup_stmt_ sqlite3_stmt *blob = store_prepare(
      s, "INSERT OR IGNORE INTO blobs (digest, media_type, size) VALUES (?, ?, ?)", err);
  if (!blob)
    return -1;
  for (size_t i = 0; i < c->n_blobs; i++) {
    sqlite3_bind_text(blob, 1, c->blobs[i].digest, -1, SQLITE_STATIC);
    bind_text_or_null(blob, 2, c->blobs[i].media_type);
    sqlite3_bind_int64(blob, 3, c->blobs[i].size);
    if (step_done(s, blob, "insert blob", err) < 0)
      return -1;
  }
  _cleanup_stmt_ sqlite3_stmt *layer = store_prepare(
      s, "INSERT OR IGNORE INTO layers (chain_id, diff_id, parent, blob_digest, media_type,"
         " blob_size, size, added) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", err);
  if (!layer)
    return -1;
  for (size_t i = 0; i < c->n_layers; i++) {
    const struct image_store_layer *l = &c->layers[i];
    sqlite3_bind_text(layer, 1, l->chain_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(layer, 2, l->diff_id, -1, SQLITE_STATIC);
    bind_text_or_null(layer, 3, i ? c->layers[i - 1].chain_id : NULL);
    bind_text_or_null(layer, 4, l->blob_digest);
    bind_text_or_null(layer, 5, l->media_type);
    sqlite3_bind_int64(layer, 6, l->blob_size);
    sqlite3_bind_int64(layer, 7, l->size);
    sqlite3_bind_int64(layer, 8, now);
    if (step_done(s, layer, "insert layer", err) < 0)
      return -1;
  }
  _cleanup_stmt_ sqlite3_stmt *img = store_prepare(
      s, "INSERT INTO images (id, manifest_digest, manifest_media_type, created, added, size,"
         " os, arch, variant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
         " ON CONFLICT(id) DO UPDATE SET manifest_digest = excluded.manifest_digest,"
         " manifest_media_type = excluded.manifest_media_type", err);
  if (!img)
    return -1;
  sqlite3_bind_text(img, 1, c->image_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(img, 2, c->manifest_digest, -1, SQLITE_STATIC);
  sqlite3_bind_text(img, 3, c->manifest_media_type, -1, SQLITE_STATIC);
  sqlite3_bind_int64(img, 4, c->created_ns);
  sqlite3_bind_int64(img, 5, now);
  sqlite3_bind_int64(img, 6, 0); /* set below from the layer rows */
  bind_text_or_null(img, 7, c->os);
  bind_text_or_null(img, 8, c->arch);
  bind_text_or_null(img, 9, c->variant);
  if (step_done(s, img, "insert image", err) < 0)
    return -1;
  _cleanup_stmt_ sqlite3_stmt *il = store_prepare(
      s, "INSERT OR REPLACE INTO image_layers (image_id, idx, chain_id, blob_digest)"
         " VALUES (?, ?, ?, ?)", err);
  if (!il)
    return -1;
  for (size_t i = 0; i < c->n_layers; i++) {
    sqlite3_bind_text(il, 1, c->image_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(il, 2, (int64_t) i);
    sqlite3_bind_text(il, 3, c->layers[i].chain_id, -1, SQLITE_STATIC);
    bind_text_or_null(il, 4, c->layers[i].blob_digest);
    if (step_done(s, il, "insert image layer", err) < 0)
      return -1;
  }
  _cleanup_stmt_ sqlite3_stmt *sz = store_prepare(
      s, "UPDATE images SET size = (SELECT coalesce(sum(l.size), 0) FROM image_layers il"
         " JOIN layers l USING (chain_id) WHERE il.image_id = ?1) WHERE id = ?1", err);
  if (!sz)
    return -1;
  sqlite3_bind_text(sz, 1, c->image_id, -1, SQLITE_STATIC);
  if (step_done(s, sz, "image size", err) < 0)
    return -1;
  _cleanup_stmt_ sqlite3_stmt *ib = store_prepare(
      s, "INSERT OR IGNORE INTO image_blobs (image_id, digest) VALUES (?, ?)", err);
  if (!ib)
    return -1;
  for (size_t i = 0; i < c->n_blobs; i++) {
    sqlite3_bind_text(ib, 1, c->image_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(ib, 2, c->blobs[i].digest, -1, SQLITE_STATIC);
    if (step_done(s, ib, "insert image blob", err) < 0)
      return -1;
  }
  if (c->name) {
    _cleanup_stmt_ sqlite3_stmt *n = store_prepare(
        s, "INSERT OR REPLACE INTO names (name, image_id) VALUES (?, ?)", err);
    if (!n)
      return -1;
    sqlite3_bind_text(n, 1, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(n, 2, c->image_id, -1, SQLITE_STATIC);
    if (step_done(s, n, "insert name", err) < 0)
      return -1;
  }
  if (c->repo_digest) {
    _cleanup_stmt_ sqlite3_stmt *n = store_prepare(
        s, "INSERT OR REPLACE INTO repo_digests (ref, image_id) VALUES (?, ?)", err);
    if (!n)
      return -1;
    sqlite3_bind_text(n, 1, c->repo_digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(n, 2, c->image_id, -1, SQLITE_STATIC);
    if (step_done(s, n, "insert repo digest", err) < 0)
      return -1;
  }
  return 0;
}

int image_store_commit(struct image_store *s, const struct image_store_commit *c,
                       struct wh_error **err)
{
  if (store_exec(s, "BEGIN IMMEDIATE", err) < 0)
    return -1;
  if (commit_rows(s, c, err) < 0) {
    store_exec(s, "ROLLBACK", NULL);
    return wh_error_wrap(err, "register image %s", c->image_id);
  }
  if (store_exec(s, "COMMIT", err) < 0) {
    store_exec(s, "ROLLBACK", NULL);
    return wh_error_wrap(err, "register image %s", c->image_id);
  }
  return 0;
}
