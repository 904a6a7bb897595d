/* image/pull.c: registry → store (see pull.h).
 *
 * index → the platform's manifest → config → layers. Every document is
 * checked against the digest that names it; layers already in the store
 * (by chain id) are not fetched; the others are downloaded and unpacked
 * in parallel (fetch.c) into temporaries, then renamed into place and
 * registered with the image in one transaction. */
#include "image/pull.h"

#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/error.h"
#include "image/fetch.h"
#include "image/manifest.h"
#include "image/progress.h"
#include "image/store.h"
#include "oci/reference.h"

struct pulled_doc {
  struct wh_buf body;
  char *ctype;
  char digest[WH_DIGEST_STR_MAX];
};

static void pulled_doc_free(struct pulled_doc *d)
{
  wh_buf_free(&d->body);
  free(d->ctype);
}

/* GET a manifest and check it against the digest that named it. */
static int fetch_doc(struct image_client *c, const char *repo, const char *ref,
                     const char *want_digest, struct pulled_doc *d, struct wh_error **err)
{
  if (image_client_get_manifest(c, repo, ref, &d->body, &d->ctype, err) < 0)
    return -1;
  if (wh_digest_buf(WH_SHA256, d->body.data ? d->body.data : "", d->body.len, d->digest, err) < 0)
    return -1;
  if (want_digest && strncmp(want_digest, "sha256:", 7) == 0 &&
      strcmp(want_digest, d->digest) != 0)
    return wh_error_set(err, WH_ERR_DIGEST, "manifest %s: content has digest %s", want_digest,
                        d->digest);
  if (want_digest && strncmp(want_digest, "sha256:", 7) != 0)
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "manifest %s: only sha256 is supported",
                        want_digest);
  return 0;
}

struct pull_state {
  struct image_store *s;
  struct image_client *c;
  const struct oci_reference *ref;
  const struct image_pull_opts *o;
  struct pulled_doc index, manifest;
  bool have_index;
  struct image_manifest m;
  struct wh_buf config_raw;
  struct image_config cfg;
  char **chain_ids;
  struct image_fetch_layer *fetch;
  size_t n_fetch;
  struct image_store_layer *layers;
  char **owned; /* strings the layer rows point at */
  size_t n_owned;
};

static void pull_state_free(struct pull_state *p)
{
  pulled_doc_free(&p->index);
  pulled_doc_free(&p->manifest);
  image_manifest_free(&p->m);
  wh_buf_free(&p->config_raw);
  image_config_free(&p->cfg);
  wh_strvfreep(&p->chain_ids);
  if (p->fetch) {
    image_fetch_layers_cleanup(p->s, p->fetch, p->n_fetch);
    free(p->fetch);
  }
  free(p->layers);
  for (size_t i = 0; i < p->n_owned; i++)
    free(p->owned[i]);
  free(p->owned);
}

static int resolve_manifest(struct pull_state *p, struct wh_error **err)
{
  const char *repo = p->ref->path;
  const char *ref = p->ref->digest ? p->ref->digest : p->ref->tag;
  struct pulled_doc first = {0};
  if (fetch_doc(p->c, repo, ref, p->ref->digest, &first, err) < 0) {
    pulled_doc_free(&first);
    return -1;
  }
  enum oci_media_type kind;
  if (image_manifest_kind(first.body.data, first.body.len, first.ctype, &kind, err) < 0) {
    pulled_doc_free(&first);
    return -1;
  }
  if (kind == OCI_MEDIA_IMAGE_INDEX || kind == DOCKER_MEDIA_MANIFEST_LIST) {
    p->index = first;
    p->have_index = true;
    struct image_index idx;
    if (image_index_parse(p->index.body.data, p->index.body.len, p->index.ctype, &idx, err) < 0)
      return -1;
    struct image_platform want;
    struct image_platform host;
    image_platform_host(&host);
    if (p->o->platform) {
      if (image_platform_parse(p->o->platform, &want, err) < 0) {
        image_index_free(&idx);
        return -1;
      }
    } else {
      want.os = strdup(host.os);
      want.arch = strdup(host.arch);
      want.variant = NULL;
    }
    size_t pick;
    int r = image_index_select(&idx, &want, &pick, err);
    _cleanup_free_ char *digest = r == 0 ? strdup(idx.manifests[pick].digest) : NULL;
    image_platform_free(&want);
    image_index_free(&idx);
    if (r < 0)
      return -1;
    if (fetch_doc(p->c, repo, digest, digest, &p->manifest, err) < 0)
      return -1;
  } else {
    p->manifest = first;
  }
  return image_manifest_parse(p->manifest.body.data, p->manifest.body.len, p->manifest.ctype,
                              &p->m, err);
}

static int fetch_config(struct pull_state *p, struct wh_error **err)
{
  const struct image_descriptor *d = &p->m.config;
  if (image_store_has_blob(p->s, d->digest)) {
    char *data = NULL;
    size_t len = 0;
    if (image_store_blob_read(p->s, d->digest, IMAGE_CONFIG_MAX, &data, &len, err) < 0)
      return -1;
    p->config_raw.data = data;
    p->config_raw.len = p->config_raw.cap = len;
  } else {
    if (image_client_get_blob(p->c, p->ref->path, d->digest, IMAGE_CONFIG_MAX, &p->config_raw,
                              err) < 0)
      return wh_error_wrap(err, "config");
    char got[WH_DIGEST_STR_MAX];
    if (wh_digest_buf(WH_SHA256, p->config_raw.data ? p->config_raw.data : "",
                      p->config_raw.len, got, err) < 0)
      return -1;
    if (strcmp(got, d->digest) != 0)
      return wh_error_set(err, WH_ERR_DIGEST, "config %s: content has digest %s", d->digest, got);
  }
  if (image_config_parse(p->config_raw.data ? p->config_raw.data : "", p->config_raw.len,
                         &p->cfg, err) < 0)
    return -1;
  if (p->cfg.n_diff_ids != p->m.n_layers)
    return wh_error_set(err, WH_ERR_INVALID,
                        "config lists %zu layers (rootfs.diff_ids), the manifest %zu",
                        p->cfg.n_diff_ids, p->m.n_layers);
  return image_chain_ids(p->cfg.diff_ids, p->cfg.n_diff_ids, &p->chain_ids, err);
}

static int own(struct pull_state *p, char *s, const char **slot, struct wh_error **err)
{
  if (!s)
    return 0;
  char **n = realloc(p->owned, (p->n_owned + 1) * sizeof(char *));
  if (!n) {
    free(s);
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  p->owned = n;
  p->owned[p->n_owned++] = s;
  *slot = s;
  return 0;
}

static int fetch_layers(struct pull_state *p, struct wh_error **err)
{
  size_t n = p->m.n_layers;
  p->layers = calloc(n ? n : 1, sizeof(*p->layers));
  p->fetch = calloc(n ? n : 1, sizeof(*p->fetch));
  if (!p->layers || !p->fetch)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  struct image_progress prog;
  if (image_progress_init(&prog, p->o->progress, n) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    struct image_store_layer *l = &p->layers[i];
    const struct image_descriptor *d = &p->m.layers[i];
    l->chain_id = p->chain_ids[i];
    l->diff_id = p->cfg.diff_ids[i];
    if (image_store_has_layer(p->s, l->chain_id)) {
      /* present: keep the row as it is (INSERT OR IGNORE); the image
       * still records which blob the manifest names */
      image_progress_set(&prog, i, d->digest, "Already exists");
      l->blob_digest = d->digest;
      l->media_type = d->media_type;
      l->blob_size = d->size;
      continue;
    }
    image_progress_set(&prog, i, d->digest, "Waiting");
    struct image_fetch_layer *f = &p->fetch[p->n_fetch++];
    f->desc = d;
    f->diff_id = l->diff_id;
    f->progress_line = i;
  }
  image_progress_draw(&prog, true);
  struct image_unpack_limits lim = {.max_bytes = p->o->max_layer_bytes};
  int r = image_fetch_layers(p->s, p->c, p->ref->path, p->fetch, p->n_fetch, &lim, &prog, err);
  image_progress_free(&prog);
  if (r < 0)
    return -1;
  /* fill in what the downloads measured */
  for (size_t i = 0, k = 0; i < n && k < p->n_fetch; i++) {
    if (p->fetch[k].desc != &p->m.layers[i])
      continue;
    struct image_store_layer *l = &p->layers[i];
    l->blob_digest = p->m.layers[i].digest;
    l->media_type = p->m.layers[i].media_type;
    l->blob_size = p->m.layers[i].size;
    l->size = (int64_t) p->fetch[k].res.content_bytes;
    k++;
  }
  return 0;
}

/* Move the temporaries into place and register everything at once. */
static int commit(struct pull_state *p, char **image_id, struct wh_error **err)
{
  size_t nb = 0;
  struct image_store_blob *blobs = calloc(p->m.n_layers + 3, sizeof(*blobs));
  if (!blobs)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  int rc = -1;
  if (image_store_blob_put(p->s, p->manifest.digest, p->manifest.body.data ? p->manifest.body.data : "",
                           p->manifest.body.len, err) < 0 ||
      image_store_blob_put(p->s, p->m.config.digest, p->config_raw.data ? p->config_raw.data : "",
                           p->config_raw.len, err) < 0)
    goto out;
  blobs[nb++] = (struct image_store_blob){p->manifest.digest, p->m.type == DOCKER_MEDIA_MANIFEST
                                          ? DOCKER_MT_MANIFEST : OCI_MT_IMAGE_MANIFEST,
                                          (int64_t) p->manifest.body.len};
  blobs[nb++] = (struct image_store_blob){p->m.config.digest, p->m.config.media_type,
                                          (int64_t) p->config_raw.len};
  if (p->have_index) {
    if (image_store_blob_put(p->s, p->index.digest, p->index.body.data, p->index.body.len, err) < 0)
      goto out;
    blobs[nb++] = (struct image_store_blob){p->index.digest, OCI_MT_IMAGE_INDEX,
                                            (int64_t) p->index.body.len};
  }
  for (size_t k = 0; k < p->n_fetch; k++) {
    struct image_fetch_layer *f = &p->fetch[k];
    size_t i = (size_t) (f->desc - p->m.layers);
    if (image_store_blob_adopt(p->s, f->blob_tmp, f->desc->digest, err) < 0)
      goto out;
    free(f->blob_tmp);
    f->blob_tmp = NULL;
    if (image_store_layer_adopt(p->s, f->dir_tmp, p->layers[i].chain_id, err) < 0)
      goto out;
    free(f->dir_tmp);
    f->dir_tmp = NULL;
  }
  for (size_t i = 0; i < p->m.n_layers; i++) {
    /* a present layer's blob is registered only if the store has it */
    if (!p->layers[i].blob_digest)
      continue;
    bool fetched = false;
    for (size_t k = 0; k < p->n_fetch; k++)
      fetched |= p->fetch[k].desc == &p->m.layers[i];
    if (!fetched && !image_store_has_blob(p->s, p->layers[i].blob_digest)) {
      p->layers[i].blob_digest = NULL;
      continue;
    }
    blobs[nb++] = (struct image_store_blob){p->layers[i].blob_digest, p->layers[i].media_type,
                                            p->layers[i].blob_size};
  }
  const char *name = NULL, *repo_digest = NULL;
  if (p->ref->tag &&
      own(p, (asprintf((char **) &name, "%s/%s:%s", p->ref->domain, p->ref->path, p->ref->tag) < 0
              ? NULL : (char *) name), &name, err) < 0)
    goto out;
  char *rd = NULL;
  if (asprintf(&rd, "%s/%s@%s", p->ref->domain, p->ref->path,
               p->have_index ? p->index.digest : p->manifest.digest) < 0 ||
      own(p, rd, &repo_digest, err) < 0)
    goto out;
  struct image_store_commit c = {
    .image_id = p->m.config.digest,
    .manifest_digest = p->manifest.digest,
    .manifest_media_type = p->m.type == DOCKER_MEDIA_MANIFEST ? DOCKER_MT_MANIFEST
                                                              : OCI_MT_IMAGE_MANIFEST,
    .created_ns = p->cfg.created_ns,
    .os = p->cfg.platform.os,
    .arch = p->cfg.platform.arch,
    .variant = p->cfg.platform.variant,
    .layers = p->layers,
    .n_layers = p->m.n_layers,
    .blobs = blobs,
    .n_blobs = nb,
    .name = name,
    .repo_digest = repo_digest,
  };
  if (image_store_commit(p->s, &c, err) < 0)
    goto out;
  if (image_id && !(*image_id = strdup(p->m.config.digest))) {
    wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    goto out;
  }
  rc = 0;
out:
  free(blobs);
  return rc;
}

static int pull_one(struct image_store *s, const struct oci_reference *ref,
                    const struct image_pull_opts *o, char **image_id, struct wh_error **err)
{
  _cleanup_client_ struct image_client *c = NULL;
  if (image_client_new(ref->domain, &o->client, &c, err) < 0)
    return -1;
  _cleanup_(pull_state_free) struct pull_state p = {.s = s, .c = c, .ref = ref, .o = o};
  if (resolve_manifest(&p, err) < 0 || fetch_config(&p, err) < 0 ||
      fetch_layers(&p, err) < 0 || commit(&p, image_id, err) < 0)
    return -1;
  return 0;
}

int image_pull(struct image_store *s, const char *ref, const struct image_pull_opts *o,
               char **image_id, struct wh_error **err)
{
  struct oci_reference *cands = NULL;
  size_t n = 0;
  if (image_ref_candidates(ref, o->client.conf, &cands, &n, err) < 0)
    return -1;
  int rc = -1;
  for (size_t i = 0; i < n; i++) {
    struct wh_error *e = NULL;
    _cleanup_free_ char *full = oci_reference_format(&cands[i]);
    rc = pull_one(s, &cands[i], o, image_id, &e);
    if (rc == 0)
      break;
    /* try the next search registry only when this one does not know it */
    if (e->kind != WH_ERR_NOT_FOUND || i + 1 == n) {
      if (err && !*err)
        *err = e;
      else
        wh_error_free(e);
      wh_error_wrap(err, "pull %s", full ? full : ref);
      break;
    }
    wh_error_free(e);
  }
  image_ref_candidates_free(cands, n);
  return rc;
}
