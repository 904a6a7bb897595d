/* api_uploads.c: blob uploads: POST (open a session, monolithic upload,
 * cross-repository mount), PATCH (chunks, in order), PUT (close with the
 * digest), GET (status) and DELETE (cancel) on
 * /v2/<name>/blobs/uploads/[<id>].
 *
 * A session is a row in the metadata store (repository, last activity)
 * plus an upload in the blob store (the bytes and their running hash).
 * Bodies stream straight into the blob store's writer; nothing is
 * buffered here. */
#include "registry/api.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/id.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "oci/reference.h"
#include "registry/gc.h"
#include "registry/range.h"
#include "registry/registry.h"
#include "registry/store_blob.h"
#include "registry/store_meta.h"

struct upload_state {
  struct blob_store *blobs;
  struct blob_writer *w;
  bool monolithic;        /* POST ?digest=: no session; drop on abort */
  char id[WH_UUID_LEN + 1];
  struct oci_digest digest;
  bool has_digest;
};

static void upload_state_free(void *p)
{
  struct upload_state *st = p;
  if (st->w) {
    blob_writer_release(st->w);
    if (st->monolithic)
      blob_upload_delete(st->blobs, st->id, NULL);
  }
  free(st);
}

static struct upload_state *state_new(struct request *r)
{
  struct upload_state *st = calloc(1, sizeof(*st));
  if (!st)
    return NULL;
  st->blobs = r->reg->blobs;
  r->state = st;
  r->state_free = upload_state_free;
  return st;
}

/* "0-<last byte>" as Distribution sends it ("0-0" when empty). */
static void reply_progress(struct request *r, const char *id, uint64_t size)
{
  reply_headerf(r, "Location", "/v2/%s/blobs/uploads/%s", r->match.name, id);
  reply_header(r, "Docker-Upload-UUID", id);
  reply_headerf(r, "Range", "0-%llu", (unsigned long long) (size ? size - 1 : 0));
}

static int reply_created(struct request *r, const char *digest)
{
  reply_headerf(r, "Location", "/v2/%s/blobs/%s", r->match.name, digest);
  reply_header(r, "Docker-Content-Digest", digest);
  return reply_empty(r, 201, 0);
}

/* Remove sessions idle for longer than the expiry, at most twice per
 * expiry period (checked on POST, which is where new sessions start). */
static void maybe_reap(struct registry *reg, int64_t now)
{
  int64_t period = (int64_t) reg->cfg.upload_expiry_s * 1000000000LL / 2;
  int64_t last = atomic_load(&reg->last_reap_ns);
  if (now - last < period || !atomic_compare_exchange_strong(&reg->last_reap_ns, &last, now))
    return;
  registry_reap_uploads(reg, now - (int64_t) reg->cfg.upload_expiry_s * 1000000000LL);
}

static int mount(struct request *r, const char *digest_s, const char *from, bool *done)
{
  struct oci_digest d;
  *done = false;
  if (api_check_digest(r, digest_s, &d) < 0)
    return -1;
  if (!oci_name_valid(from))
    return reply_errorf(r, REG_NAME_INVALID, "from=%.100s is not a valid repository name", from);
  uint64_t size;
  struct wh_error *e = NULL;
  /* Check and link under the GC lock: GC never deletes the file between
   * the two (gc.h). */
  gc_push_lock(r->reg);
  int rc = meta_blob_get(r->reg->meta, from, d.str, &size, &e);
  if (rc == 0)
    rc = meta_blob_link(r->reg->meta, r->match.name, d.str, size, &e) < 0 ? -2 : 0;
  gc_push_unlock(r->reg);
  if (rc == -1) {
    /* Not there to mount: the spec says open an upload session instead. */
    if (e->kind == WH_ERR_NOT_FOUND) {
      wh_error_free(e);
      return 0;
    }
    return api_store_error(r, e, REG_BLOB_UNKNOWN);
  }
  if (rc < 0)
    return api_store_error(r, e, REG_BLOB_UNKNOWN);
  *done = true;
  return reply_created(r, d.str);
}

int api_upload_post_begin(struct request *r)
{
  if (api_check_name(r) < 0)
    return -1;
  struct registry *reg = r->reg;
  int64_t now = wh_now_real_ns();
  maybe_reap(reg, now);
  struct wh_error *qe = NULL;
  if (registry_quota_check(reg, r->match.name, 0, &qe) < 0)
    return api_quota_error(r, qe, NULL);
  const char *mnt = request_query(r, "mount");
  const char *from = request_query(r, "from");
  if (mnt && from) {
    bool done;
    if (mount(r, mnt, from, &done) < 0 || done)
      return done ? 0 : -1;
  }
  struct upload_state *st = state_new(r);
  struct wh_error *e = NULL;
  if (!st || wh_uuid4(st->id, &e) < 0)
    return api_store_error(r, e, REG_BLOB_UPLOAD_UNKNOWN);
  const char *digest = request_query(r, "digest");
  if (digest) {
    /* Monolithic: the body is the blob. */
    if (api_check_digest(r, digest, &st->digest) < 0)
      return -1;
    st->has_digest = true;
    st->monolithic = true;
    uint64_t size;
    if (blob_upload_create(reg->blobs, st->id, &e) < 0 ||
        blob_upload_open(reg->blobs, st->id, &st->w, &size, &e) < 0)
      return api_store_error(r, e, REG_BLOB_UPLOAD_UNKNOWN);
    return 0;
  }
  if (blob_upload_create(reg->blobs, st->id, &e) < 0)
    return api_store_error(r, e, REG_BLOB_UPLOAD_UNKNOWN);
  if (meta_upload_create(reg->meta, st->id, r->match.name, now, &e) < 0) {
    blob_upload_delete(reg->blobs, st->id, NULL);
    return api_store_error(r, e, REG_BLOB_UPLOAD_UNKNOWN);
  }
  reply_progress(r, st->id, 0);
  return reply_empty(r, 202, 0);
}

int api_upload_body(struct request *r, const char *data, size_t len)
{
  struct upload_state *st = r->state;
  if (!st || !st->w)
    return 0; /* a POST that opened a session: a body is ignored */
  struct wh_error *e = NULL;
  if (blob_write(st->w, data, len, &e) < 0)
    return api_store_error(r, e, REG_BLOB_UPLOAD_UNKNOWN);
  return 0;
}

/* Commit the writer as the blob st->digest and link it into the
 * repository. */
static int finish(struct request *r, struct upload_state *st)
{
  struct wh_error *e = NULL;
  struct blob_writer *w = st->w;
  st->w = NULL; /* commit consumes it, on failure too */
  uint64_t size;
  int64_t t0 = wh_now_mono_ns();
  /* From the file in place to its link, GC's sweep waits (gc.h): it
   * never deletes a blob whose link is about to be written. */
  gc_push_lock(r->reg);
  if (blob_commit(w, st->digest.str, &size, &e) < 0) {
    gc_push_unlock(r->reg);
    if (!st->monolithic)
      meta_upload_delete(r->reg->meta, st->id, NULL);
    return api_store_error(r, e, REG_BLOB_UPLOAD_UNKNOWN);
  }
  /* The blob is durable under its digest before the repository's link
   * is written: a crash in between leaves an unlinked blob, never a link
   * to missing bytes. */
  int64_t t1 = wh_now_mono_ns();
  int linked = meta_blob_link(r->reg->meta, r->match.name, st->digest.str, size, &e);
  gc_push_unlock(r->reg);
  if (linked < 0)
    return api_store_error(r, e, REG_BLOB_UNKNOWN);
  wh_log(WH_LOG_DEBUG, "upload", "blob %s: %llu bytes, body %.1f ms, commit %.1f ms, link %.1f ms",
         st->digest.str, (unsigned long long) size, (double) (t0 - r->start_ns) / 1e6,
         (double) (t1 - t0) / 1e6, (double) (wh_now_mono_ns() - t1) / 1e6);
  if (!st->monolithic && meta_upload_delete(r->reg->meta, st->id, &e) < 0)
    return api_store_error(r, e, REG_BLOB_UPLOAD_UNKNOWN);
  return reply_created(r, st->digest.str);
}

int api_upload_post_end(struct request *r)
{
  struct upload_state *st = r->state;
  if (!st || !st->w)
    return reply_error(r, REG_INTERNAL, NULL);
  return finish(r, st);
}

/* The session named in the path, checked to belong to this repository
 * and not expired. */
static int session_check(struct request *r, const char *id)
{
  if (strlen(id) != WH_UUID_LEN || strspn(id, "0123456789abcdef-") != WH_UUID_LEN)
    return reply_error(r, REG_BLOB_UPLOAD_UNKNOWN, "no upload session with this id");
  struct wh_error *e = NULL;
  int64_t updated;
  if (meta_upload_get(r->reg->meta, id, r->match.name, &updated, &e) < 0)
    return api_store_error(r, e, REG_BLOB_UPLOAD_UNKNOWN);
  int64_t now = wh_now_real_ns();
  if (now - updated > (int64_t) r->reg->cfg.upload_expiry_s * 1000000000LL) {
    blob_upload_delete(r->reg->blobs, id, NULL);
    meta_upload_delete(r->reg->meta, id, NULL);
    return reply_error(r, REG_BLOB_UPLOAD_UNKNOWN, "the upload session expired");
  }
  return 0;
}

int api_upload_chunk_begin(struct request *r)
{
  if (api_check_name(r) < 0 || session_check(r, r->match.ref) < 0)
    return -1;
  struct upload_state *st = state_new(r);
  if (!st)
    return reply_error(r, REG_UNAVAILABLE, "out of memory");
  snprintf(st->id, sizeof(st->id), "%s", r->match.ref);
  if (strcmp(r->method, "PUT") == 0) {
    if (api_check_digest(r, request_query(r, "digest"), &st->digest) < 0)
      return -1;
    st->has_digest = true;
  }
  struct wh_error *e = NULL;
  uint64_t size;
  if (blob_upload_open(r->reg->blobs, st->id, &st->w, &size, &e) < 0)
    return api_store_error(r, e, REG_BLOB_UPLOAD_UNKNOWN);
  const char *cr = request_header(r, "Content-Range");
  if (cr) {
    uint64_t start, end;
    if (content_range_parse(cr, &start, &end) < 0)
      return reply_errorf(r, REG_BLOB_UPLOAD_INVALID,
                          "Content-Range %.60s: expected START-END (inclusive byte offsets)", cr);
    if (start != size) {
      reply_progress(r, st->id, size);
      return reply_error_status(r, 416, REG_RANGE_INVALID,
                                "chunk out of order: the next chunk must start at the "
                                "upload's current size (see the Range header)");
    }
    const char *cl = request_header(r, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) != end - start + 1)
      return reply_errorf(r, REG_SIZE_INVALID,
                          "Content-Range %.60s covers %llu bytes but Content-Length is %.30s",
                          cr, (unsigned long long) (end - start + 1), cl);
  }
  return 0;
}

int api_upload_patch_end(struct request *r)
{
  struct upload_state *st = r->state;
  uint64_t size = blob_writer_size(st->w);
  blob_writer_release(st->w);
  st->w = NULL;
  meta_upload_touch(r->reg->meta, st->id, wh_now_real_ns(), NULL);
  reply_progress(r, st->id, size);
  return reply_empty(r, 202, 0);
}

int api_upload_put_end(struct request *r)
{
  return finish(r, r->state);
}

int api_upload_get(struct request *r)
{
  if (api_check_name(r) < 0 || session_check(r, r->match.ref) < 0)
    return -1;
  struct wh_error *e = NULL;
  uint64_t size;
  if (blob_upload_size(r->reg->blobs, r->match.ref, &size, &e) < 0)
    return api_store_error(r, e, REG_BLOB_UPLOAD_UNKNOWN);
  reply_progress(r, r->match.ref, size);
  return reply_empty(r, 204, 0);
}

int api_upload_delete(struct request *r)
{
  if (api_check_name(r) < 0 || session_check(r, r->match.ref) < 0)
    return -1;
  struct wh_error *e = NULL;
  if (blob_upload_delete(r->reg->blobs, r->match.ref, &e) < 0 && e->kind != WH_ERR_NOT_FOUND)
    return api_store_error(r, e, REG_BLOB_UPLOAD_UNKNOWN);
  wh_error_free(e);
  e = NULL;
  if (meta_upload_delete(r->reg->meta, r->match.ref, &e) < 0)
    return api_store_error(r, e, REG_BLOB_UPLOAD_UNKNOWN);
  return reply_empty(r, 204, 0);
}
