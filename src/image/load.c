/* image/archive_read.c: `load` and `import` (see saveload.h).
 *
 * load unpacks the archive into tmp/ with the layer unpacker (so a
 * hostile archive is held to the same path rules as a layer), then
 * ingests each image's layers from there. OCI layouts keep their
 * manifests byte for byte; docker-archives get a new OCI manifest over
 * their config, as podman does. */
#include "image/saveload.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "base/path.h"
#include "base/timeutil.h"
#include "image/ingest.h"
#include "image/manifest.h"
#include "image/ref.h"
#include "image/store.h"
#include "image/unpack.h"
#include "oci/mediatype.h"
#include "oci/reference.h"

#define META_MAX (8u << 20)

struct rd {
  int fd;
  char buf[256 << 10];
};

static ssize_t rd_read(void *ctx, const void **buf)
{
  struct rd *r = ctx;
  ssize_t n;
  do
    n = read(r->fd, r->buf, sizeof(r->buf));
  while (n < 0 && errno == EINTR);
  *buf = r->buf;
  return n;
}

static int read_in(int dirfd, const char *path, char **data, size_t *len, struct wh_error **err)
{
  _cleanup_close_ int fd = wh_open_in_root(dirfd, path, O_RDONLY, 0, err);
  if (fd < 0)
    return wh_error_wrap(err, "archive member %s", path);
  if (wh_read_fd(fd, META_MAX, data, len, err) < 0)
    return wh_error_wrap(err, "archive member %s", path);
  return 0;
}

static int check_digest(const char *data, size_t len, const char *want, const char *what,
                        struct wh_error **err)
{
  char got[WH_DIGEST_STR_MAX];
  if (wh_digest_buf(WH_SHA256, data, len, got, err) < 0)
    return -1;
  if (strcmp(got, want) != 0)
    return wh_error_set(err, WH_ERR_DIGEST, "%s %s: content has digest %s", what, want, got);
  return 0;
}

/* One layer of an image being loaded or imported. */
struct new_layer {
  struct image_ingested in;
  char *chain_id;
  bool skipped; /* already in the store */
  const char *blob_digest, *media_type;
  int64_t blob_size;
};

struct new_image {
  struct image_store *s;
  struct new_layer *layers;
  size_t n;
};

static void new_image_free(struct new_image *ni)
{
  for (size_t i = 0; i < ni->n; i++) {
    image_ingest_cleanup(ni->s, &ni->layers[i].in);
    free(ni->layers[i].chain_id);
  }
  free(ni->layers);
}

/* Ingest layer i from fd; checks the blob digest when want_blob is set
 * and the diff id when want_diff is. */
static int take_layer(struct new_image *ni, size_t i, int fd, const char *want_blob,
                      const char *want_diff, struct wh_error **err)
{
  struct new_layer *l = &ni->layers[i];
  if (image_ingest_layer(ni->s, fd, &l->in, err) < 0)
    return -1;
  if (want_blob && strcmp(want_blob, l->in.blob_digest) != 0)
    return wh_error_set(err, WH_ERR_DIGEST, "layer %s: content has digest %s", want_blob,
                        l->in.blob_digest);
  if (want_diff && strcmp(want_diff, l->in.res.diff_id) != 0)
    return wh_error_set(err, WH_ERR_DIGEST, "layer %zu: uncompressed digest %s, config says %s",
                        i, l->in.res.diff_id, want_diff);
  l->blob_digest = l->in.blob_digest;
  l->media_type = l->in.media_type;
  l->blob_size = (int64_t) l->in.blob_size;
  return 0;
}

/* Register: adopt temporaries, put manifest and config, one commit. */
static int register_image(struct new_image *ni, const char *manifest, size_t mlen,
                          const char *mtype, const char *config, size_t clen,
                          const char *config_mt, const struct image_config *cfg,
                          const char *name, char **id, struct wh_error **err)
{
  char mdig[WH_DIGEST_STR_MAX], cdig[WH_DIGEST_STR_MAX];
  if (wh_digest_buf(WH_SHA256, manifest, mlen, mdig, err) < 0 ||
      wh_digest_buf(WH_SHA256, config, clen, cdig, err) < 0)
    return -1;
  _cleanup_free_ struct image_store_layer *rows = calloc(ni->n + 1, sizeof(*rows));
  _cleanup_free_ struct image_store_blob *blobs = calloc(ni->n + 2, sizeof(*blobs));
  if (!rows || !blobs)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  size_t nb = 0;
  for (size_t i = 0; i < ni->n; i++) {
    struct new_layer *l = &ni->layers[i];
    if (!l->skipped && image_ingest_adopt(ni->s, &l->in, l->chain_id, err) < 0)
      return -1;
    rows[i] = (struct image_store_layer){l->chain_id, cfg->diff_ids[i], l->blob_digest,
                                         l->media_type, l->blob_size,
                                         (int64_t) l->in.res.content_bytes};
    if (l->blob_digest && image_store_has_blob(ni->s, l->blob_digest))
      blobs[nb++] = (struct image_store_blob){l->blob_digest, l->media_type, l->blob_size};
    else if (l->blob_digest && !l->skipped)
      blobs[nb++] = (struct image_store_blob){l->blob_digest, l->media_type, l->blob_size};
    else
      rows[i].blob_digest = NULL;
  }
  if (image_store_blob_put(ni->s, mdig, manifest, mlen, err) < 0 ||
      image_store_blob_put(ni->s, cdig, config, clen, err) < 0)
    return -1;
  blobs[nb++] = (struct image_store_blob){mdig, mtype, (int64_t) mlen};
  blobs[nb++] = (struct image_store_blob){cdig, config_mt, (int64_t) clen};
  struct image_store_commit c = {
    .image_id = cdig, .manifest_digest = mdig, .manifest_media_type = mtype,
    .created_ns = cfg->created_ns, .os = cfg->platform.os, .arch = cfg->platform.arch,
    .variant = cfg->platform.variant, .layers = rows, .n_layers = ni->n,
    .blobs = blobs, .n_blobs = nb, .name = name,
  };
  if (image_store_commit(ni->s, &c, err) < 0)
    return -1;
  if (id && !(*id = strdup(cdig)))
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  return 0;
}

static int chain_ids_into(struct new_image *ni, const struct image_config *cfg,
                          struct wh_error **err)
{
  _cleanup_strv_ char **ids = NULL;
  if (image_chain_ids(cfg->diff_ids, cfg->n_diff_ids, &ids, err) < 0)
    return -1;
  for (size_t i = 0; i < ni->n; i++)
    ni->layers[i].chain_id = steal_pointer(&ids[i]);
  return 0;
}

/* A layer whose chain id the store has is not unpacked again. */
static bool have_layer(struct new_image *ni, size_t i, const char *blob)
{
  struct new_layer *l = &ni->layers[i];
  /* without the blob the image could not be pushed or saved: take it */
  if (!image_store_has_layer(ni->s, l->chain_id) || !image_store_has_blob(ni->s, blob))
    return false;
  l->skipped = true;
  l->blob_digest = blob;
  return true;
}

/* A name from an archive: a reference becomes a local name, a bare tag
 * (an OCI ref.name such as "latest") names nothing. */
static char *archive_name(const char *ref)
{
  if (!ref || (!strchr(ref, '/') && !strchr(ref, ':')))
    return NULL;
  char *out = NULL;
  if (image_ref_local_name(ref, &out, NULL) < 0)
    return NULL;
  return out;
}

static int load_oci_manifest(struct image_store *s, int dirfd, const char *digest,
                             const char *name, char **id, struct wh_error **err)
{
  char path[128];
  if (strncmp(digest, "sha256:", 7) != 0)
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "manifest %s: only sha256", digest);
  snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
  _cleanup_free_ char *m = NULL, *cdata = NULL;
  size_t mlen, clen;
  if (read_in(dirfd, path, &m, &mlen, err) < 0 ||
      check_digest(m, mlen, digest, "manifest", err) < 0)
    return -1;
  enum oci_media_type kind;
  if (image_manifest_kind(m, mlen, NULL, &kind, err) < 0)
    return -1;
  if (kind == OCI_MEDIA_IMAGE_INDEX || kind == DOCKER_MEDIA_MANIFEST_LIST) {
    struct image_index idx;
    if (image_index_parse(m, mlen, NULL, &idx, err) < 0)
      return -1;
    struct image_platform host;
    image_platform_host(&host);
    size_t pick;
    int r = image_index_select(&idx, &host, &pick, err);
    _cleanup_free_ char *sub = r == 0 ? strdup(idx.manifests[pick].digest) : NULL;
    image_index_free(&idx);
    if (r < 0)
      return -1;
    return load_oci_manifest(s, dirfd, sub, name, id, err);
  }
  _cleanup_(image_manifest_free) struct image_manifest man = {0};
  if (image_manifest_parse(m, mlen, NULL, &man, err) < 0)
    return -1;
  snprintf(path, sizeof(path), "blobs/sha256/%s", strchr(man.config.digest, ':') + 1);
  if (read_in(dirfd, path, &cdata, &clen, err) < 0 ||
      check_digest(cdata, clen, man.config.digest, "config", err) < 0)
    return -1;
  _cleanup_(image_config_free) struct image_config cfg = {0};
  if (image_config_parse(cdata, clen, &cfg, err) < 0)
    return -1;
  if (cfg.n_diff_ids != man.n_layers)
    return wh_error_set(err, WH_ERR_INVALID, "config lists %zu layers, the manifest %zu",
                        cfg.n_diff_ids, man.n_layers);
  _cleanup_(new_image_free) struct new_image ni = {.s = s, .n = man.n_layers};
  ni.layers = calloc(ni.n + 1, sizeof(*ni.layers));
  if (!ni.layers || chain_ids_into(&ni, &cfg, err) < 0)
    return ni.layers ? -1 : wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  for (size_t i = 0; i < man.n_layers; i++) {
    const struct image_descriptor *d = &man.layers[i];
    if (have_layer(&ni, i, d->digest)) {
      ni.layers[i].media_type = d->media_type;
      ni.layers[i].blob_size = d->size;
      continue;
    }
    snprintf(path, sizeof(path), "blobs/sha256/%s", strchr(d->digest, ':') + 1);
    _cleanup_close_ int fd = wh_open_in_root(dirfd, path, O_RDONLY, 0, err);
    if (fd < 0 || take_layer(&ni, i, fd, d->digest, cfg.diff_ids[i], err) < 0)
      return wh_error_wrap(err, "layer %s", d->digest);
    ni.layers[i].media_type = d->media_type;
  }
  return register_image(&ni, m, mlen, man.type == DOCKER_MEDIA_MANIFEST ? DOCKER_MT_MANIFEST
                                                                        : OCI_MT_IMAGE_MANIFEST,
                        cdata, clen, man.config.media_type, &cfg, name, id, err);
}

static int push_id(char ***ids, size_t *n, char *id, struct wh_error **err)
{
  char **v = realloc(*ids, (*n + 2) * sizeof(char *));
  if (!v) {
    free(id);
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  *ids = v;
  v[(*n)++] = id;
  v[*n] = NULL;
  return 0;
}

static int load_oci(struct image_store *s, int dirfd, char ***ids, size_t *n,
                    struct wh_error **err)
{
  _cleanup_json_ json_t *idx = wh_json_parse_file_at(dirfd, "index.json", META_MAX, err);
  if (!idx)
    return -1;
  json_t *ms = json_object_get(idx, "manifests");
  if (!json_is_array(ms))
    return wh_error_set(err, WH_ERR_INVALID, "index.json: no \"manifests\" array");
  size_t k;
  json_t *d;
  json_array_foreach(ms, k, d) {
    const char *digest = json_string_value(json_object_get(d, "digest"));
    json_t *ann = json_object_get(d, "annotations");
    const char *ref = json_string_value(json_object_get(ann, "io.containerd.image.name"));
    if (!ref)
      ref = json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
    if (!digest || !oci_digest_valid(digest))
      return wh_error_set(err, WH_ERR_INVALID, "index.json: manifests[%zu]: bad digest", k);
    _cleanup_free_ char *name = archive_name(ref);
    char *id = NULL;
    if (load_oci_manifest(s, dirfd, digest, name, &id, err) < 0 ||
        push_id(ids, n, id, err) < 0)
      return wh_error_wrap(err, "index.json manifests[%zu]", k);
  }
  return 0;
}

static int build_manifest(struct new_image *ni, const char *cdig, size_t clen, char **out,
                          struct wh_error **err)
{
  _cleanup_json_ json_t *m = json_object();
  json_object_set_new(m, "schemaVersion", json_integer(2));
  json_object_set_new(m, "mediaType", json_string(OCI_MT_IMAGE_MANIFEST));
  json_t *c = json_object();
  json_object_set_new(c, "mediaType", json_string(OCI_MT_IMAGE_CONFIG));
  json_object_set_new(c, "digest", json_string(cdig));
  json_object_set_new(c, "size", json_integer((json_int_t) clen));
  json_object_set_new(m, "config", c);
  json_t *ls = json_array();
  for (size_t i = 0; i < ni->n; i++) {
    json_t *l = json_object();
    json_object_set_new(l, "mediaType", json_string(ni->layers[i].media_type));
    json_object_set_new(l, "digest", json_string(ni->layers[i].blob_digest));
    json_object_set_new(l, "size", json_integer(ni->layers[i].blob_size));
    json_array_append_new(ls, l);
  }
  json_object_set_new(m, "layers", ls);
  *out = json_dumps(m, JSON_COMPACT);
  return *out ? 0 : wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
}

static int load_docker_entry(struct image_store *s, int dirfd, json_t *e, char **id,
                             struct wh_error **err)
{
  const char *cfgpath = json_string_value(json_object_get(e, "Config"));
  json_t *layers = json_object_get(e, "Layers");
  if (!cfgpath || !json_is_array(layers))
    return wh_error_set(err, WH_ERR_INVALID, "manifest.json: entry needs Config and Layers");
  _cleanup_free_ char *cdata = NULL;
  size_t clen;
  if (read_in(dirfd, cfgpath, &cdata, &clen, err) < 0)
    return -1;
  char cdig[WH_DIGEST_STR_MAX];
  if (wh_digest_buf(WH_SHA256, cdata, clen, cdig, err) < 0)
    return -1;
  _cleanup_(image_config_free) struct image_config cfg = {0};
  if (image_config_parse(cdata, clen, &cfg, err) < 0)
    return -1;
  if (cfg.n_diff_ids != json_array_size(layers))
    return wh_error_set(err, WH_ERR_INVALID, "config lists %zu layers, manifest.json %zu",
                        cfg.n_diff_ids, json_array_size(layers));
  _cleanup_(new_image_free) struct new_image ni = {.s = s, .n = cfg.n_diff_ids};
  ni.layers = calloc(ni.n + 1, sizeof(*ni.layers));
  if (!ni.layers || chain_ids_into(&ni, &cfg, err) < 0)
    return ni.layers ? -1 : wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  for (size_t i = 0; i < ni.n; i++) {
    const char *lp = json_string_value(json_array_get(layers, i));
    if (!lp)
      return wh_error_set(err, WH_ERR_INVALID, "manifest.json: Layers[%zu]: not a string", i);
    /* a present layer still needs its blob digest for the manifest: the
     * layer row has it when it came the same way */
    if (image_store_has_layer(s, ni.layers[i].chain_id)) {
      _cleanup_free_ char *bd = NULL, *mt = NULL;
      int64_t bs = 0;
      if (image_store_layer_info(s, ni.layers[i].chain_id, &bd, &mt, &bs, NULL) == 0 && bd &&
          mt && image_store_has_blob(s, bd)) {
        ni.layers[i].skipped = true;
        ni.layers[i].blob_digest = bd;
        ni.layers[i].media_type = mt;
        ni.layers[i].blob_size = bs;
        /* keep the strings alive in the ingest slot's names */
        ni.layers[i].in.blob_tmp = NULL;
        strncpy(ni.layers[i].in.blob_digest, bd, sizeof(ni.layers[i].in.blob_digest) - 1);
        ni.layers[i].blob_digest = ni.layers[i].in.blob_digest;
        ni.layers[i].media_type = strcmp(mt, OCI_MT_LAYER_GZIP) == 0 ? OCI_MT_LAYER_GZIP
                                : strcmp(mt, OCI_MT_LAYER_ZSTD) == 0 ? OCI_MT_LAYER_ZSTD
                                : strcmp(mt, DOCKER_MT_LAYER_GZIP) == 0 ? DOCKER_MT_LAYER_GZIP
                                : OCI_MT_LAYER_TAR;
        continue;
      }
    }
    _cleanup_close_ int fd = wh_open_in_root(dirfd, lp, O_RDONLY, 0, err);
    if (fd < 0 || take_layer(&ni, i, fd, NULL, cfg.diff_ids[i], err) < 0)
      return wh_error_wrap(err, "layer %s", lp);
  }
  _cleanup_free_ char *man = NULL;
  if (build_manifest(&ni, cdig, clen, &man, err) < 0)
    return -1;
  json_t *tags = json_object_get(e, "RepoTags");
  _cleanup_free_ char *first = archive_name(json_string_value(json_array_get(tags, 0)));
  if (register_image(&ni, man, strlen(man), OCI_MT_IMAGE_MANIFEST, cdata, clen,
                     OCI_MT_IMAGE_CONFIG, &cfg, first, id, err) < 0)
    return -1;
  for (size_t k = 1; k < json_array_size(tags); k++) {
    _cleanup_free_ char *nm = archive_name(json_string_value(json_array_get(tags, k)));
    if (nm && image_store_tag(s, *id, nm, err) < 0)
      return -1;
  }
  return 0;
}

static int load_docker(struct image_store *s, int dirfd, char ***ids, size_t *n,
                       struct wh_error **err)
{
  _cleanup_json_ json_t *m = wh_json_parse_file_at(dirfd, "manifest.json", META_MAX, err);
  if (!m)
    return -1;
  if (!json_is_array(m))
    return wh_error_set(err, WH_ERR_INVALID, "manifest.json: expected an array");
  size_t k;
  json_t *e;
  json_array_foreach(m, k, e) {
    char *id = NULL;
    if (load_docker_entry(s, dirfd, e, &id, err) < 0 || push_id(ids, n, id, err) < 0)
      return wh_error_wrap(err, "manifest.json[%zu]", k);
  }
  return 0;
}

int image_load(struct image_store *s, int fd, char ***ids_out, struct wh_error **err)
{
  _cleanup_free_ char *tmp = NULL;
  _cleanup_close_ int dirfd = image_store_tmp_dir(s, "load", &tmp, err);
  if (dirfd < 0)
    return -1;
  _cleanup_free_ struct rd *r = malloc(sizeof(*r));
  if (!r)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  r->fd = fd;
  struct image_unpack_result res;
  char **ids = NULL;
  size_t n = 0;
  int rc = image_unpack(dirfd, rd_read, r, NULL, &res, err);
  if (rc < 0) {
    wh_error_wrap(err, "load: reading the archive");
  } else if (faccessat(dirfd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
    rc = load_oci(s, dirfd, &ids, &n, err);
  } else if (faccessat(dirfd, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
    rc = load_docker(s, dirfd, &ids, &n, err);
  } else {
    rc = wh_error_set(err, WH_ERR_INVALID,
                      "load: neither an OCI layout (index.json) nor a docker-archive"
                      " (manifest.json)");
  }
  image_store_tmp_remove(s, tmp);
  if (rc < 0) {
    wh_strvfreep(&ids);
    return -1;
  }
  *ids_out = ids;
  return 0;
}

int image_import(struct image_store *s, int fd, const char *name, const char *message,
                 char **id, struct wh_error **err)
{
  _cleanup_(new_image_free) struct new_image ni = {.s = s, .n = 1};
  ni.layers = calloc(1, sizeof(*ni.layers));
  if (!ni.layers)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  if (take_layer(&ni, 0, fd, NULL, NULL, err) < 0)
    return wh_error_wrap(err, "import");
  char created[WH_RFC3339_MAX];
  wh_rfc3339(wh_now_real_ns(), 0, created);
  struct image_platform host;
  image_platform_host(&host);
  _cleanup_json_ json_t *c = json_object();
  json_object_set_new(c, "created", json_string(created));
  json_object_set_new(c, "architecture", json_string(host.arch));
  json_object_set_new(c, "os", json_string(host.os));
  json_object_set_new(c, "config", json_object());
  json_t *rootfs = json_object(), *diffs = json_array();
  json_array_append_new(diffs, json_string(ni.layers[0].in.res.diff_id));
  json_object_set_new(rootfs, "type", json_string("layers"));
  json_object_set_new(rootfs, "diff_ids", diffs);
  json_object_set_new(c, "rootfs", rootfs);
  json_t *h = json_object();
  json_object_set_new(h, "created", json_string(created));
  json_object_set_new(h, "created_by", json_string("wharf import"));
  if (message)
    json_object_set_new(h, "comment", json_string(message));
  json_t *hist = json_array();
  json_array_append_new(hist, h);
  json_object_set_new(c, "history", hist);
  _cleanup_free_ char *cdata = json_dumps(c, JSON_COMPACT);
  if (!cdata)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  size_t clen = strlen(cdata);
  _cleanup_(image_config_free) struct image_config cfg = {0};
  if (image_config_parse(cdata, clen, &cfg, err) < 0 || chain_ids_into(&ni, &cfg, err) < 0)
    return -1;
  char cdig[WH_DIGEST_STR_MAX];
  if (wh_digest_buf(WH_SHA256, cdata, clen, cdig, err) < 0)
    return -1;
  _cleanup_free_ char *man = NULL;
  if (build_manifest(&ni, cdig, clen, &man, err) < 0)
    return -1;
  _cleanup_free_ char *local = NULL;
  if (name && image_ref_local_name(name, &local, err) < 0)
    return -1;
  return register_image(&ni, man, strlen(man), OCI_MT_IMAGE_MANIFEST, cdata, clen,
                        OCI_MT_IMAGE_CONFIG, &cfg, local, id, err);
}
