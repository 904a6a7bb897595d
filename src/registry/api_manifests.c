/* api_manifests.c: GET, HEAD, PUT and DELETE
 * /v2/<name>/manifests/<tag or digest>.
 *
 * The pushed bytes are stored and served exactly: the digest is computed
 * over them, manifest.c only reads them. A GET is one indexed lookup that
 * returns the raw bytes, replied from memory. */
#include "registry/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/digest.h"
#include "base/error.h"
#include "oci/mediatype.h"
#include "oci/reference.h"
#include "registry/audit.h"
#include "registry/auth.h"
#include "registry/manifest.h"
#include "registry/registry.h"
#include "registry/store_meta.h"

/* The reference of the path: a digest (it has a ':', which no tag has)
 * or a tag. Replies 400 on either being malformed. */
static int check_ref(struct request *r, bool *is_digest, struct oci_digest *d)
{
  const char *ref = r->match.ref;
  *is_digest = strchr(ref, ':') != NULL;
  if (*is_digest)
    return api_check_digest(r, ref, d);
  _cleanup_error_ struct wh_error *e = NULL;
  if (oci_tag_check(ref, strlen(ref), &e) < 0)
    return reply_errorf(r, REG_TAG_INVALID, "%s", e ? e->msg : "invalid tag");
  return 0;
}

static bool accepted(struct request *r, const char *media_type)
{
  /* No Accept header, or one that allows anything: serve what we have. */
  if (!request_header(r, "Accept"))
    return true;
  return request_accepts(r, media_type) || request_accepts(r, "*/*");
}

int api_manifest_get(struct request *r)
{
  bool is_digest;
  struct oci_digest d;
  if (api_check_name(r) < 0 || check_ref(r, &is_digest, &d) < 0)
    return -1;
  bool head = strcmp(r->method, "HEAD") == 0;
  struct meta_manifest mf;
  struct wh_error *e = NULL;
  if (meta_manifest_get(r->reg->meta, r->match.name, is_digest ? d.str : r->match.ref,
                        is_digest, !head, &mf, &e) < 0)
    return api_store_error(r, e, REG_MANIFEST_UNKNOWN);
  if (!accepted(r, mf.media_type)) {
    int ret = reply_errorf(r, REG_MANIFEST_UNKNOWN,
                           "the manifest is %s, which the request's Accept header excludes",
                           mf.media_type);
    meta_manifest_clear(&mf);
    return ret;
  }
  reply_header(r, "Docker-Content-Digest", mf.digest);
  reply_headerf(r, "ETag", "\"%s\"", mf.digest);
  int ret;
  if (head) {
    reply_header(r, "Content-Type", mf.media_type);
    ret = reply_empty(r, 200, mf.size);
  } else {
    ret = reply_data_take(r, 200, mf.media_type, mf.raw, mf.size);
    mf.raw = NULL;
  }
  meta_manifest_clear(&mf);
  return ret;
}

struct put_state {
  struct wh_buf body;
  uint64_t limit;
};

static void put_state_free(void *p)
{
  struct put_state *st = p;
  wh_buf_free(&st->body);
  free(st);
}

static int too_large(struct request *r, uint64_t limit)
{
  return reply_errorf(r, REG_MANIFEST_TOO_LARGE,
                      "the manifest is larger than this registry's limit of %llu bytes",
                      (unsigned long long) limit);
}

int api_manifest_put_begin(struct request *r)
{
  bool is_digest;
  struct oci_digest d;
  if (api_check_name(r) < 0 || check_ref(r, &is_digest, &d) < 0)
    return -1;
  uint64_t limit = r->reg->cfg.max_manifest_size;
  const char *cl = request_header(r, "Content-Length");
  if (cl && strtoull(cl, NULL, 10) > limit)
    return too_large(r, limit);
  struct put_state *st = calloc(1, sizeof(*st));
  if (!st)
    return reply_error(r, REG_UNAVAILABLE, "out of memory");
  st->limit = limit;
  r->state = st;
  r->state_free = put_state_free;
  return 0;
}

int api_manifest_put_body(struct request *r, const char *data, size_t len)
{
  struct put_state *st = r->state;
  if (st->body.len + len > st->limit)
    return too_large(r, st->limit);
  if (wh_buf_append(&st->body, data, len) < 0)
    return reply_error(r, REG_UNAVAILABLE, "out of memory");
  return 0;
}

int api_manifest_put_end(struct request *r)
{
  struct put_state *st = r->state;
  bool is_digest;
  struct oci_digest d;
  check_ref(r, &is_digest, &d); /* checked in begin */
  struct wh_error *e = NULL;
  char got[WH_DIGEST_STR_MAX];
  enum wh_digest_alg alg = is_digest && d.alg == OCI_DIGEST_SHA512 ? WH_SHA512 : WH_SHA256;
  if (wh_digest_buf(alg, st->body.data ? st->body.data : "", st->body.len, got, &e) < 0)
    return api_store_error(r, e, REG_MANIFEST_UNKNOWN);
  if (is_digest && strcmp(got, d.str) != 0)
    return reply_errorf(r, REG_DIGEST_INVALID,
                        "the manifest's bytes have digest %s, not %s as the URL says", got, d.str);
  struct manifest_info mi;
  if (manifest_parse(request_header(r, "Content-Type"), st->body.data ? st->body.data : "",
                     st->body.len, &mi, &e) < 0) {
    int ret = reply_error(r, REG_MANIFEST_INVALID, e ? e->msg : NULL);
    wh_error_free(e);
    return ret;
  }
  if (!is_digest && r->reg->auth && auth_tag_immutable(r->reg, r->match.name, r->match.ref, got)) {
    manifest_info_clear(&mi);
    return reply_errorf(r, REG_TAG_INVALID, "tag is immutable: %s in %s names another image "
                        "and the repository's tags are IMMUTABLE", r->match.ref, r->match.name);
  }
  struct meta_manifest_put p = {
    .repo = r->match.name,
    .digest = got,
    .media_type = mi.media_type,
    .tag = is_digest ? NULL : r->match.ref,
    .raw = st->body.data ? st->body.data : "",
    .size = st->body.len,
    .subject = mi.subject,
    .artifact_type = mi.artifact_type,
    .annotations = mi.annotations,
    .blobs = mi.blobs,
    .n_blobs = mi.n_blobs,
    .children = mi.children,
    .n_children = mi.n_children,
  };
  int rc = registry_quota_check(r->reg, r->match.name, st->body.len, &e);
  if (rc < 0) {
    manifest_info_clear(&mi);
    return api_quota_error(r, e, got);
  }
  rc = meta_manifest_put(r->reg->meta, &p, &e);
  if (rc == 0)
    audit_log_json(r->reg, "push", r->principal, r->match.name,
                   json_pack("{s:s?, s:s, s:s, s:I}", "tag", p.tag, "digest", got,
                             "media_type", mi.media_type, "size", (json_int_t) st->body.len));
  if (rc == 0 && mi.subject)
    reply_header(r, "OCI-Subject", mi.subject);
  manifest_info_clear(&mi);
  if (rc < 0)
    return api_store_error(r, e, REG_MANIFEST_BLOB_UNKNOWN);
  reply_headerf(r, "Location", "/v2/%s/manifests/%s", r->match.name, got);
  reply_header(r, "Docker-Content-Digest", got);
  return reply_empty(r, 201, 0);
}

int api_manifest_delete(struct request *r)
{
  bool is_digest;
  struct oci_digest d;
  if (api_check_name(r) < 0 || check_ref(r, &is_digest, &d) < 0)
    return -1;
  struct wh_error *e = NULL;
  int rc = is_digest ? meta_manifest_delete(r->reg->meta, r->match.name, d.str, &e)
                     : meta_tag_delete(r->reg->meta, r->match.name, r->match.ref, &e);
  if (rc < 0)
    return api_store_error(r, e, REG_MANIFEST_UNKNOWN);
  if (is_digest)
    audit_log(r->reg, "delete", r->principal, r->match.name, "digest", d.str, NULL);
  else
    audit_log(r->reg, "tag_delete", r->principal, r->match.name, "tag", r->match.ref, NULL);
  return reply_empty(r, 202, 0);
}
