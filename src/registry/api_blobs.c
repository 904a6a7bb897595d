/* api_blobs.c: GET, HEAD and DELETE /v2/<name>/blobs/<digest>.
 *
 * Membership of the blob in the repository comes from the metadata store
 * (one indexed lookup); the bytes from the blob store as an fd that
 * libmicrohttpd sends with sendfile. HEAD never opens the file. */
#include "registry/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "registry/audit.h"
#include "registry/range.h"
#include "registry/registry.h"
#include "registry/store_blob.h"
#include "registry/store_meta.h"

/* Blobs up to this size are replied from memory (store cache). */
#define SMALL_BLOB (16 * 1024)

static int inconsistent(struct request *r, const char *digest, uint64_t on_disk, uint64_t meta)
{
  wh_log(WH_LOG_ERROR, "store", "blob %s: %llu bytes on disk, %llu in metadata", digest,
         (unsigned long long) on_disk, (unsigned long long) meta);
  return reply_error(r, REG_INTERNAL, "internal error: see the registry's log");
}

int api_blob_get(struct request *r)
{
  struct oci_digest d;
  if (api_check_name(r) < 0 || api_check_digest(r, r->match.ref, &d) < 0)
    return -1;
  struct wh_error *e = NULL;
  uint64_t size;
  if (meta_blob_get(r->reg->meta, r->match.name, d.str, &size, &e) < 0)
    return api_store_error(r, e, REG_BLOB_UNKNOWN);
  reply_header(r, "Docker-Content-Digest", d.str);
  reply_header(r, "Accept-Ranges", "bytes");
  reply_headerf(r, "ETag", "\"%s\"", d.str);
  /* Content-addressed: the bytes behind a digest never change. */
  reply_header(r, "Cache-Control", "max-age=31536000, immutable");
  uint64_t off = 0, len = size;
  unsigned status = 200;
  switch (range_parse(request_header(r, "Range"), size, &off, &len)) {
  case RANGE_NONE:
    break;
  case RANGE_OK:
    status = 206;
    reply_headerf(r, "Content-Range", "bytes %llu-%llu/%llu", (unsigned long long) off,
                  (unsigned long long) (off + len - 1), (unsigned long long) size);
    break;
  case RANGE_UNSATISFIABLE:
    reply_headerf(r, "Content-Range", "bytes */%llu", (unsigned long long) size);
    return reply_error_status(r, 416, REG_RANGE_NOT_SATISFIABLE,
                              "the requested range is outside the blob");
  }
  if (strcmp(r->method, "HEAD") == 0) {
    reply_header(r, "Content-Type", "application/octet-stream");
    return reply_empty(r, status, len);
  }
  if (size <= SMALL_BLOB) {
    /* Small blobs come from memory: no open, fstat, sendfile, close. */
    char *data;
    size_t n;
    if (blob_read_small(r->reg->blobs, d.str, SMALL_BLOB, &data, &n, &e) < 0)
      return api_store_error(r, e, REG_BLOB_UNKNOWN);
    if (n != size) {
      free(data);
      return inconsistent(r, d.str, n, size);
    }
    memmove(data, data + off, len);
    return reply_data_take(r, status, "application/octet-stream", data, len);
  }
  int fd;
  uint64_t fsize;
  if (blob_open(r->reg->blobs, d.str, &fd, &fsize, &e) < 0)
    return api_store_error(r, e, REG_BLOB_UNKNOWN);
  if (fsize != size) {
    close(fd);
    return inconsistent(r, d.str, fsize, size);
  }
  return reply_fd(r, status, "application/octet-stream", fd, off, len);
}

int api_blob_delete(struct request *r)
{
  struct oci_digest d;
  if (api_check_name(r) < 0 || api_check_digest(r, r->match.ref, &d) < 0)
    return -1;
  struct wh_error *e = NULL;
  /* Only the repository's link goes: the bytes are shared and garbage
   * collection removes them once no repository links them. */
  if (meta_blob_unlink(r->reg->meta, r->match.name, d.str, &e) < 0)
    return api_store_error(r, e, REG_BLOB_UNKNOWN);
  audit_log(r->reg, "blob_delete", r->principal, r->match.name, "digest", d.str, NULL);
  reply_header(r, "Docker-Content-Digest", d.str);
  return reply_empty(r, 202, 0);
}
