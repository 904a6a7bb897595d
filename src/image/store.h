/* image/store.h: the local image store under --root.
 *
 *   ROOT/wharf.db        SQLite (WAL): blobs, layers, images, names, users
 *   ROOT/wharf.lock      flock: shared for readers, exclusive for writers
 *   ROOT/blobs/sha256/H  content-addressed blobs (layers as pulled,
 *                        manifests, indexes, configs)
 *   ROOT/layers/H        one directory per layer, named by its chain id,
 *                        unpacked once and shared as an overlay lower dir
 *   ROOT/tmp/            work in progress, on the same file system
 *
 * A file under blobs/ or layers/ counts only once a row names it. Writers
 * put files in tmp/, rename them into place, then register everything an
 * image needs in one transaction (image_store_commit), so an interrupted
 * pull leaves at most unregistered files, which the next writer sweeps.
 * This library has no network code: the engine's run path links it
 * without libcurl. Building images later adds layers the same way
 * (image_store_layer_adopt + image_store_commit). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wh_error;
struct image_store;

/* How a command uses the store (the flock on wharf.lock):
 *   READ       shared: images, inspect, push, save, and the engine; it
 *              writes image users only, without fsync (see store.c).
 *   WRITE      pull, load, import: when the store is free, exclusive just
 *              long enough to sweep what interrupted writers left (skipped
 *              when anyone else is in), then shared, so readers and other
 *              pulls run alongside; files are only added.
 *   EXCLUSIVE  rmi, prune, tag: held throughout, because removal sweeps
 *              files without rows and must not see another writer's
 *              renamed-but-uncommitted ones. */
enum image_store_mode { IMAGE_STORE_READ = 0, IMAGE_STORE_EXCLUSIVE = 1, IMAGE_STORE_WRITE = 2 };

int image_store_open(const char *root, enum image_store_mode mode, struct image_store **out,
                     struct wh_error **err);
void image_store_close(struct image_store *s);
static inline void image_store_closep(struct image_store **s)
{
  if (*s)
    image_store_close(*s);
}
#define _cleanup_store_ __attribute__((cleanup(image_store_closep)))

const char *image_store_root(const struct image_store *s);
int image_store_rootfd(const struct image_store *s);

/* --- blobs and layers as files --- */
bool image_store_has_blob(struct image_store *s, const char *digest);
bool image_store_has_layer(struct image_store *s, const char *chain_id);
/* Open a registered blob for reading. */
int image_store_blob_open(struct image_store *s, const char *digest, struct wh_error **err);
int image_store_blob_read(struct image_store *s, const char *digest, size_t max,
                          char **data, size_t *len, struct wh_error **err);
/* A new temporary file / directory under tmp/ (name relative to tmp/). */
int image_store_tmp_file(struct image_store *s, const char *prefix, char **name,
                         struct wh_error **err);
int image_store_tmp_dir(struct image_store *s, const char *prefix, char **name,
                        struct wh_error **err);
void image_store_tmp_remove(struct image_store *s, const char *name);
/* Move tmp/name into place as blob `digest` (verified by the caller). An
 * existing blob wins and the temporary is removed. */
int image_store_blob_adopt(struct image_store *s, const char *tmpname, const char *digest,
                           struct wh_error **err);
/* Write a small blob (manifest, config) after checking its digest. */
int image_store_blob_put(struct image_store *s, const char *digest, const void *data,
                         size_t len, struct wh_error **err);
/* Move tmp/name into place as the layer directory of chain_id. */
int image_store_layer_adopt(struct image_store *s, const char *tmpname, const char *chain_id,
                            struct wh_error **err);
/* Path of a layer directory (new string), for overlay lowerdir= lists. */
char *image_store_layer_path(const struct image_store *s, const char *chain_id);

/* --- registering an image --- */
struct image_store_layer {
  const char *chain_id;
  const char *diff_id;
  const char *blob_digest; /* the layer as distributed; NULL if not kept */
  const char *media_type;
  int64_t blob_size;
  int64_t size; /* unpacked content bytes */
};

struct image_store_blob {
  const char *digest;
  const char *media_type;
  int64_t size;
};

struct image_store_commit {
  const char *image_id;           /* the config digest */
  const char *manifest_digest;
  const char *manifest_media_type;
  int64_t created_ns;
  const char *os, *arch, *variant;
  const struct image_store_layer *layers;
  size_t n_layers;
  const struct image_store_blob *blobs; /* every blob file this image adds */
  size_t n_blobs;
  const char *name;        /* "domain/path:tag" to point at the image, or NULL */
  const char *repo_digest; /* "domain/path@digest", or NULL */
};

int image_store_commit(struct image_store *s, const struct image_store_commit *c,
                       struct wh_error **err);

/* --- queries --- */
struct image_info {
  char *id;
  char *manifest_digest;
  char *manifest_media_type;
  int64_t created_ns;
  int64_t added_ns;
  int64_t size;
  char *os, *arch, *variant;
  char **names;        /* "domain/path:tag" */
  char **repo_digests; /* "domain/path@digest" */
  char **chain_ids;    /* bottom first */
  char **diff_ids;
  char **layer_blobs;  /* digests as distributed (NULL entries: none kept) */
  int64_t *layer_sizes; /* unpacked bytes per layer */
  size_t n_layers;
  size_t n_users;      /* containers using the image */
};
void image_info_free(struct image_info *i);
void image_info_list_free(struct image_info *v, size_t n);

int image_store_list(struct image_store *s, struct image_info **out, size_t *n,
                     struct wh_error **err);
/* Find by full name ("domain/path:tag"; ":latest" implied), by
 * "domain/path@digest", by image id or a unique id prefix (≥ 4 hex
 * digits), or by a short name ("path[:tag]") that matches one stored
 * name in any registry. WH_ERR_NOT_FOUND otherwise. */
int image_store_lookup(struct image_store *s, const char *ref, struct image_info *out,
                       struct wh_error **err);

/* Point name at an image (moving it from another). */
int image_store_tag(struct image_store *s, const char *image_id, const char *name,
                    struct wh_error **err);

/* rmi: `ref` a name → the name goes, and the image with it when it has no
 * name left (or when ref is an id). Refuses with WH_ERR_BUSY when a
 * container uses the image, unless force. *deleted (optional) gets the id
 * when the image itself went. */
int image_store_remove(struct image_store *s, const char *ref, bool force, char **untagged,
                       char **deleted, struct wh_error **err);

/* Delete images without names (all unused images with all=true) and
 * every layer and blob nothing refers to. Counts what went. */
int image_store_prune(struct image_store *s, bool all, size_t *images, uint64_t *bytes,
                      struct wh_error **err);

/* Containers (later) register here that they use an image. */
int image_store_add_user(struct image_store *s, const char *image_id, const char *user,
                         struct wh_error **err);
int image_store_remove_user(struct image_store *s, const char *user, struct wh_error **err);
/* Make the users exactly these n (user, image id) pairs, durably; pairs
 * whose image is gone are left out. Users are written without waiting
 * for the disk (store.c says why): the engine calls this after a reboot. */
int image_store_sync_users(struct image_store *s, const char *const (*pairs)[2], size_t n,
                           struct wh_error **err);

struct image_store_usage {
  size_t images, layers, blobs;
  uint64_t layer_bytes, blob_bytes;
  uint64_t unused_layer_bytes; /* layers of images without names */
};
int image_store_df(struct image_store *s, struct image_store_usage *u, struct wh_error **err);

/* Layer row of a chain id (for push of a loaded layer and inspect). */
int image_store_layer_info(struct image_store *s, const char *chain_id,
                           char **blob_digest, char **media_type, int64_t *blob_size,
                           struct wh_error **err);
