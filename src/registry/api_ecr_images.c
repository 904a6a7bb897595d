/* api_ecr_images.c: ECR actions on images: ListImages, DescribeImages,
 * BatchGetImage, BatchDeleteImage, PutImage and
 * BatchCheckLayerAvailability. Images are the registry's manifests; the
 * OCI API and these actions see the same rows. */
#include "registry/api_ecr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/error.h"
#include "oci/digest.h"
#include "oci/reference.h"
#include "registry/audit.h"
#include "registry/manifest.h"
#include "registry/metrics.h"
#include "registry/registry.h"
#include "registry/store_ecr.h"
#include "registry/store_meta.h"

struct images {
  struct ecr_image *v;
  size_t n;
};

static void images_clear(struct images *im)
{
  ecr_images_free(im->v, im->n);
  im->v = NULL;
  im->n = 0;
}

/* Repository name, permission, existence, and its images. */
static int load_images(struct ecr_call *c, const char *action, const char **name,
                       struct images *im)
{
  struct ecr_repo r;
  if (ecr_get_repo_name(c, name) < 0 || ecr_authorize(c, *name, action) < 0 ||
      ecr_need_repo(c, *name, &r) < 0)
    return -1;
  ecr_repo_clear(&r);
  struct wh_error *err = NULL;
  if (ecr_image_list(c->a->store, *name, &im->v, &im->n, &err) < 0) {
    wh_error_free(err);
    return ecr_fail(c, "ServerException", "cannot list images");
  }
  return 0;
}

/* Resolve an ImageIdentifier: the image's index, or -1 with *code set to
 * ECR's failure code and *reason filled. */
static long resolve(const struct images *im, json_t *id, const char **code, char *reason,
                    size_t rn)
{
  const char *dg = json_string_value(json_object_get(id, "imageDigest"));
  const char *tag = json_string_value(json_object_get(id, "imageTag"));
  if (!dg && !tag) {
    *code = "MissingDigestAndTag";
    snprintf(reason, rn, "Missing image digest and image tag");
    return -1;
  }
  if (dg && !oci_digest_valid(dg)) {
    *code = "InvalidImageDigest";
    snprintf(reason, rn, "Invalid image digest");
    return -1;
  }
  if (tag && !oci_tag_valid(tag)) {
    *code = "InvalidImageTag";
    snprintf(reason, rn, "Invalid image tag");
    return -1;
  }
  long by_tag = -1, by_dg = -1;
  for (size_t i = 0; i < im->n; i++) {
    if (dg && strcmp(im->v[i].digest, dg) == 0)
      by_dg = (long) i;
    for (size_t j = 0; tag && j < im->v[i].n_tags; j++)
      if (strcmp(im->v[i].tags[j], tag) == 0)
        by_tag = (long) i;
  }
  long got = dg ? by_dg : by_tag;
  if (dg && tag && by_dg >= 0 && by_tag != by_dg) {
    *code = "ImageTagDoesNotMatchDigest";
    snprintf(reason, rn, "Image tag does not match digest");
    return -1;
  }
  if (got < 0) {
    *code = "ImageNotFound";
    snprintf(reason, rn, "Requested image not found");
  }
  return got;
}

static json_t *failure(json_t *id, const char *code, const char *reason)
{
  return json_pack("{s:O, s:s, s:s}", "imageId", id, "failureCode", code, "failureReason",
                   reason);
}

static json_t *image_id(const char *digest, const char *tag)
{
  json_t *j = json_pack("{s:s}", "imageDigest", digest);
  if (tag)
    json_object_set_new(j, "imageTag", json_string(tag));
  return j;
}

/* filter.tagStatus: 0 any, 1 tagged, 2 untagged. */
static int tag_filter(struct ecr_call *c, int *out)
{
  *out = 0;
  json_t *f = json_object_get(c->in, "filter");
  if (!f)
    return 0;
  const char *ts = json_string_value(json_object_get(f, "tagStatus"));
  if (!json_is_object(f) || (json_object_get(f, "tagStatus") && !ts))
    return ecr_invalid(c, "filter must be {\"tagStatus\": \"TAGGED\"|\"UNTAGGED\"|\"ANY\"}");
  if (!ts || strcmp(ts, "ANY") == 0)
    return 0;
  if (strcmp(ts, "TAGGED") == 0)
    *out = 1;
  else if (strcmp(ts, "UNTAGGED") == 0)
    *out = 2;
  else
    return ecr_invalid(c, "filter.tagStatus must be TAGGED, UNTAGGED or ANY, not %s", ts);
  return 0;
}

/* The paging window [start, start+max) over n items; sets nextToken. */
static int page(struct ecr_call *c, size_t n, int64_t max, size_t *start, size_t *end)
{
  const char *tok;
  *start = 0;
  if (ecr_get_str(c, "nextToken", false, 0, 4096, &tok) < 0)
    return -1;
  if (tok) {
    _cleanup_free_ char *k = ecr_token_read(c, tok);
    char *e;
    if (!k)
      return -1;
    unsigned long v = strtoul(k, &e, 10);
    if (*e || v > n)
      return ecr_invalid(c, "nextToken is not a token this registry issued");
    *start = v;
  }
  *end = *start + (size_t) max < n ? *start + (size_t) max : n;
  if (*end < n) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%zu", *end);
    char *t = ecr_token_make(buf);
    json_object_set_new(c->out, "nextToken", json_string(t));
    free(t);
  }
  return 0;
}

int ecr_list_images(struct ecr_call *c)
{
  const char *name;
  struct images im = { 0 };
  int filt;
  int64_t max;
  if (load_images(c, "ecr:ListImages", &name, &im) < 0 || tag_filter(c, &filt) < 0 ||
      ecr_get_max(c, 1, 1000, 100, &max) < 0) {
    images_clear(&im);
    return -1;
  }
  json_t *all = json_array();
  for (size_t i = 0; i < im.n; i++) {
    if (im.v[i].n_tags == 0 && filt != 1)
      json_array_append_new(all, image_id(im.v[i].digest, NULL));
    for (size_t j = 0; filt != 2 && j < im.v[i].n_tags; j++)
      json_array_append_new(all, image_id(im.v[i].digest, im.v[i].tags[j]));
  }
  images_clear(&im);
  size_t s, e;
  if (page(c, json_array_size(all), max, &s, &e) < 0) {
    json_decref(all);
    return -1;
  }
  json_t *ids = json_array();
  for (size_t i = s; i < e; i++)
    json_array_append(ids, json_array_get(all, i));
  json_decref(all);
  json_object_set_new(c->out, "imageIds", ids);
  return 0;
}

static int get_ids(struct ecr_call *c, json_t **ids)
{
  *ids = json_object_get(c->in, "imageIds");
  if (!json_is_array(*ids) || json_array_size(*ids) < 1 || json_array_size(*ids) > 100)
    return ecr_invalid(c, "imageIds must be a list of 1 to 100 image identifiers");
  size_t i;
  json_t *id;
  json_array_foreach(*ids, i, id) {
    json_t *d = json_object_get(id, "imageDigest"), *t = json_object_get(id, "imageTag");
    if (!json_is_object(id) || (d && !json_is_string(d)) || (t && !json_is_string(t)))
      return ecr_invalid(c, "imageIds[%zu] must be {\"imageDigest\": string, \"imageTag\": "
                         "string}", i);
  }
  return 0;
}

static json_t *image_detail(struct ecr_call *c, const char *repo, const struct ecr_image *m)
{
  json_t *d = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "registryId", c->a->registry_id,
                        "repositoryName", repo, "imageDigest", m->digest, "imageSizeInBytes",
                        (json_int_t) m->size, "imagePushedAt", (json_int_t) m->pushed_at,
                        "imageManifestMediaType", m->media_type);
  if (m->n_tags) {
    json_t *t = json_array();
    for (size_t j = 0; j < m->n_tags; j++)
      json_array_append_new(t, json_string(m->tags[j]));
    json_object_set_new(d, "imageTags", t);
  }
  if (m->pulled_at)
    json_object_set_new(d, "lastRecordedPullTime", json_integer(m->pulled_at));
  return d;
}

int ecr_describe_images(struct ecr_call *c)
{
  const char *name;
  struct images im = { 0 };
  int filt;
  int64_t max;
  if (load_images(c, "ecr:DescribeImages", &name, &im) < 0 || tag_filter(c, &filt) < 0 ||
      ecr_get_max(c, 1, 1000, 100, &max) < 0) {
    images_clear(&im);
    return -1;
  }
  json_t *ids = json_object_get(c->in, "imageIds");
  json_t *all = json_array();
  int ret = 0;
  if (ids) {
    size_t i;
    json_t *id;
    if (get_ids(c, &ids) < 0) {
      ret = -1;
      goto out;
    }
    json_array_foreach(ids, i, id) {
      const char *code;
      char reason[128];
      long k = json_is_object(id) ? resolve(&im, id, &code, reason, sizeof(reason)) : -1;
      if (k < 0) {
        _cleanup_free_ char *idtxt = json_dumps(id, JSON_COMPACT);
        ret = ecr_fail(c, "ImageNotFoundException", "The image with imageId %s does not "
                       "exist within the repository with name '%s' in the registry with id "
                       "'%s'", idtxt ? idtxt : "?", name, c->a->registry_id);
        goto out;
      }
      json_array_append_new(all, image_detail(c, name, &im.v[k]));
    }
  } else {
    for (size_t i = 0; i < im.n; i++)
      if (filt == 0 || (filt == 1) == (im.v[i].n_tags > 0))
        json_array_append_new(all, image_detail(c, name, &im.v[i]));
  }
  size_t s, e;
  if (page(c, json_array_size(all), max, &s, &e) < 0) {
    ret = -1;
    goto out;
  }
  json_t *out = json_array();
  for (size_t i = s; i < e; i++)
    json_array_append(out, json_array_get(all, i));
  json_object_set_new(c->out, "imageDetails", out);
out:
  json_decref(all);
  images_clear(&im);
  return ret;
}

int ecr_batch_get_image(struct ecr_call *c)
{
  const char *name;
  struct images im = { 0 };
  json_t *ids;
  if (load_images(c, "ecr:BatchGetImage", &name, &im) < 0 || get_ids(c, &ids) < 0) {
    images_clear(&im);
    return -1;
  }
  json_t *acc = json_object_get(c->in, "acceptedMediaTypes");
  json_t *images = json_array(), *failures = json_array();
  size_t i;
  json_t *id;
  json_array_foreach(ids, i, id) {
    const char *code;
    char reason[128];
    long k = json_is_object(id) ? resolve(&im, id, &code, reason, sizeof(reason)) : -1;
    if (k < 0) {
      json_array_append_new(failures, failure(id, json_is_object(id) ? code :
                                              "MissingDigestAndTag", reason));
      continue;
    }
    struct meta_manifest mf;
    struct wh_error *err = NULL;
    if (meta_manifest_get(c->reg->meta, name, im.v[k].digest, true, true, &mf, &err) < 0) {
      wh_error_free(err);
      json_array_append_new(failures, failure(id, "ImageNotFound", "Requested image not found"));
      continue;
    }
    bool ok = !json_is_array(acc) || json_array_size(acc) == 0;
    size_t j;
    json_t *t;
    json_array_foreach(acc, j, t) if (json_is_string(t) && strcmp(json_string_value(t),
                                                                  mf.media_type) == 0) ok = true;
    if (!ok) {
      json_array_append_new(failures, failure(id, "ImageNotFound", "the image's media type is "
                                              "not one of acceptedMediaTypes"));
    } else {
      const char *tag = json_string_value(json_object_get(id, "imageTag"));
      json_array_append_new(images, json_pack("{s:s, s:s, s:o, s:s%, s:s}", "registryId",
                                              c->a->registry_id, "repositoryName", name,
                                              "imageId", image_id(mf.digest, tag),
                                              "imageManifest", mf.raw, (size_t) mf.size,
                                              "imageManifestMediaType", mf.media_type));
    }
    meta_manifest_clear(&mf);
  }
  images_clear(&im);
  json_object_set_new(c->out, "images", images);
  json_object_set_new(c->out, "failures", failures);
  return 0;
}

int ecr_batch_delete_image(struct ecr_call *c)
{
  const char *name;
  struct images im = { 0 };
  json_t *ids;
  if (load_images(c, "ecr:BatchDeleteImage", &name, &im) < 0 || get_ids(c, &ids) < 0) {
    images_clear(&im);
    return -1;
  }
  json_t *done = json_array(), *failures = json_array();
  size_t i;
  json_t *id;
  json_array_foreach(ids, i, id) {
    const char *code;
    char reason[128];
    long k = json_is_object(id) ? resolve(&im, id, &code, reason, sizeof(reason)) : -1;
    if (k < 0) {
      json_array_append_new(failures, failure(id, json_is_object(id) ? code :
                                              "MissingDigestAndTag", reason));
      continue;
    }
    const char *tag = json_string_value(json_object_get(id, "imageTag"));
    const char *dg = json_string_value(json_object_get(id, "imageDigest"));
    struct wh_error *err = NULL;
    int rc;
    size_t live = 0;
    for (size_t j = 0; j < im.v[k].n_tags; j++)
      live += im.v[k].tags[j][0] != '\0';
    /* By tag alone: untag; the last tag's removal deletes the image, as
     * in ECR. By digest: the image and all its tags. */
    if (tag && !dg && live > 1)
      rc = meta_tag_delete(c->reg->meta, name, tag, &err);
    else
      rc = meta_manifest_delete(c->reg->meta, name, im.v[k].digest, &err);
    if (rc < 0) {
      bool busy = err && (err->kind == WH_ERR_BUSY || err->kind == WH_ERR_EXISTS);
      json_array_append_new(failures, failure(id, busy ? "ImageReferencedByManifestList" :
                                              "ImageNotFound", err ? err->msg : "not found"));
      wh_error_free(err);
      continue;
    }
    json_array_append_new(done, image_id(im.v[k].digest, tag));
    if (tag && !dg && live > 1) {
      /* forget the tag, so a second id naming it fails */
      for (size_t j = 0; j < im.v[k].n_tags; j++)
        if (strcmp(im.v[k].tags[j], tag) == 0)
          im.v[k].tags[j][0] = '\0';
    } else {
      im.v[k].digest[0] = '\0';
    }
  }
  images_clear(&im);
  json_object_set_new(c->out, "imageIds", done);
  json_object_set_new(c->out, "failures", failures);
  return 0;
}

int ecr_put_image(struct ecr_call *c)
{
  const char *name, *body, *mt, *tag, *want;
  struct ecr_repo r;
  if (ecr_get_repo_name(c, &name) < 0 ||
      ecr_get_str(c, "imageManifest", true, 1, 4194304, &body) < 0 ||
      ecr_get_str(c, "imageManifestMediaType", false, 0, 256, &mt) < 0 ||
      ecr_get_str(c, "imageTag", false, 1, 300, &tag) < 0 ||
      ecr_get_str(c, "imageDigest", false, 0, 200, &want) < 0 ||
      ecr_authorize(c, name, "ecr:PutImage") < 0 || ecr_need_repo(c, name, &r) < 0)
    return -1;
  ecr_repo_clear(&r);
  if (tag && !oci_tag_valid(tag))
    return ecr_invalid(c, "imageTag %s is not a valid tag", tag);
  size_t len = strlen(body);
  if (len > c->reg->cfg.max_manifest_size)
    return ecr_invalid(c, "imageManifest is larger than %llu bytes",
                       (unsigned long long) c->reg->cfg.max_manifest_size);
  char got[WH_DIGEST_STR_MAX];
  struct wh_error *err = NULL;
  if (wh_digest_buf(WH_SHA256, body, len, got, &err) < 0) {
    wh_error_free(err);
    return ecr_fail(c, "ServerException", "cannot hash the manifest");
  }
  if (want && strcmp(want, got) != 0)
    return ecr_fail(c, "ImageDigestDoesNotMatchException", "Provided digest %s does not "
                    "match the manifest's digest %s", want, got);
  struct manifest_info mi;
  if (manifest_parse(mt, body, len, &mi, &err) < 0) {
    ecr_invalid(c, "Invalid parameter at 'ImageManifest' failed to satisfy constraint: "
                "'Invalid JSON syntax': %s", err ? err->msg : "invalid manifest");
    wh_error_free(err);
    return -1;
  }
  int ret = 0;
  _cleanup_free_ char *cur = NULL;
  struct meta_manifest old;
  bool have = meta_manifest_get(c->reg->meta, name, got, true, false, &old, &err) == 0;
  wh_error_free(err);
  err = NULL;
  if (have)
    meta_manifest_clear(&old);
  if (tag && ecr_tag_digest(c->a->store, name, tag, &cur, &err) < 0) {
    wh_error_free(err);
    err = NULL;
  }
  if (have && (!tag || (cur && strcmp(cur, got) == 0))) {
    ret = ecr_fail(c, "ImageAlreadyExistsException", "Image with digest '%s'%s%s%s already "
                   "exists in the repository with name '%s' in registry with id '%s'", got,
                   tag ? " and tag '" : "", tag ? tag : "", tag ? "'" : "", name,
                   c->a->registry_id);
    goto out;
  }
  if (tag && auth_tag_immutable(c->reg, name, tag, got)) {
    ret = ecr_fail(c, "ImageTagAlreadyExistsException", "The image tag '%s' already exists in "
                   "the '%s' repository and cannot be overwritten because the repository "
                   "is immutable.", tag, name);
    goto out;
  }
  struct meta_manifest_put p = {
    .repo = name, .digest = got, .media_type = mi.media_type, .tag = tag, .raw = body,
    .size = len, .subject = mi.subject, .artifact_type = mi.artifact_type,
    .annotations = mi.annotations, .blobs = mi.blobs, .n_blobs = mi.n_blobs,
    .children = mi.children, .n_children = mi.n_children,
  };
  /* The repository's quota, checked as the OCI manifest PUT checks it. */
  if (registry_quota_check(c->reg, name, len, &err) < 0) {
    if (err && err->kind == WH_ERR_DENIED) {
      metrics_quota_denied(c->reg->metrics);
      audit_log(c->reg, "quota_denied", c->user, name, "digest", got, "message", err->msg,
                NULL);
      ret = ecr_fail(c, "LimitExceededException", "%s", err->msg);
    } else {
      ret = ecr_fail(c, "ServerException", "cannot read the repository's quota");
    }
    wh_error_free(err);
    goto out;
  }
  if (meta_manifest_put(c->reg->meta, &p, &err) < 0) {
    if (err && err->kind == WH_ERR_NOT_FOUND)
      ret = ecr_fail(c, mi.n_children ? "ReferencedImagesNotFoundException" :
                     "LayersNotFoundException", "%s", err->msg);
    else
      ret = ecr_fail(c, "ServerException", "cannot store the image");
    wh_error_free(err);
    goto out;
  }
  json_t *img = json_pack("{s:s, s:s, s:o, s:s, s:s}", "registryId", c->a->registry_id,
                          "repositoryName", name, "imageId", image_id(got, tag),
                          "imageManifest", body, "imageManifestMediaType", mi.media_type);
  json_object_set_new(c->out, "image", img);
out:
  manifest_info_clear(&mi);
  return ret;
}

int ecr_batch_check_layer_availability(struct ecr_call *c)
{
  const char *name;
  struct ecr_repo r;
  if (ecr_get_repo_name(c, &name) < 0 ||
      ecr_authorize(c, name, "ecr:BatchCheckLayerAvailability") < 0 ||
      ecr_need_repo(c, name, &r) < 0)
    return -1;
  ecr_repo_clear(&r);
  json_t *dgs = json_object_get(c->in, "layerDigests");
  if (!json_is_array(dgs) || json_array_size(dgs) < 1 || json_array_size(dgs) > 100)
    return ecr_invalid(c, "layerDigests must be a list of 1 to 100 digests");
  json_t *layers = json_array(), *failures = json_array();
  size_t i;
  json_t *d;
  json_array_foreach(dgs, i, d) {
    const char *s = json_string_value(d);
    if (!s || !s[0]) {
      json_array_append_new(failures, json_pack("{s:s, s:s}", "failureCode",
                                                "MissingLayerDigest", "failureReason",
                                                "Missing layer digest"));
      continue;
    }
    if (!oci_digest_valid(s)) {
      json_array_append_new(failures, json_pack("{s:s, s:s, s:s}", "layerDigest", s,
                                                "failureCode", "InvalidLayerDigest",
                                                "failureReason", "Invalid layer digest"));
      continue;
    }
    uint64_t size = 0;
    struct wh_error *err = NULL;
    bool have = meta_blob_get(c->reg->meta, name, s, &size, &err) == 0;
    wh_error_free(err);
    json_t *l = json_pack("{s:s, s:s}", "layerDigest", s, "layerAvailability",
                          have ? "AVAILABLE" : "UNAVAILABLE");
    if (have)
      json_object_set_new(l, "layerSize", json_integer((json_int_t) size));
    json_array_append_new(layers, l);
  }
  json_object_set_new(c->out, "layers", layers);
  json_object_set_new(c->out, "failures", failures);
  return 0;
}
