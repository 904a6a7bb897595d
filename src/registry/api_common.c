/* api_common.c: request checks shared by the API handlers (api.h). */
#include "registry/api.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/log.h"
#include "oci/reference.h"

int api_check_name(struct request *r)
{
  _cleanup_error_ struct wh_error *e = NULL;
  const char *name = r->match.name;
  if (!name || oci_name_check(name, strlen(name), &e) < 0)
    return reply_errorf(r, REG_NAME_INVALID, "repository name is invalid: %s",
                        e ? e->msg : "empty");
  return 0;
}

int api_check_digest(struct request *r, const char *s, struct oci_digest *out)
{
  _cleanup_error_ struct wh_error *e = NULL;
  if (!s || oci_digest_parse(s, strlen(s), out, &e) < 0)
    return reply_errorf(r, REG_DIGEST_INVALID, "%s", e ? e->msg : "digest missing");
  if (out->alg == OCI_DIGEST_OTHER)
    return reply_errorf(r, REG_DIGEST_INVALID,
                        "digest algorithm of %.80s is not supported: use sha256 or sha512", s);
  return 0;
}

int api_store_error(struct request *r, struct wh_error *e, enum reg_code not_found)
{
  _cleanup_error_ struct wh_error *owned = e;
  if (!owned)
    return reply_error(r, REG_INTERNAL, NULL);
  switch (owned->kind) {
  case WH_ERR_NOT_FOUND:
    return reply_error(r, not_found, e->msg);
  case WH_ERR_DIGEST:
    return reply_error(r, REG_DIGEST_INVALID, e->msg);
  case WH_ERR_BUSY:
    return reply_error(r, REG_BLOB_UPLOAD_INVALID, e->msg);
  case WH_ERR_UNSUPPORTED:
    return reply_error(r, REG_UNSUPPORTED, e->msg);
  default:
    wh_log(WH_LOG_ERROR, "store", "%s %s: %s", r->method, r->uri, e->msg);
    return reply_error(r, REG_INTERNAL, "internal error: see the registry's log");
  }
}

int api_page_size(struct request *r, size_t dflt, size_t *n)
{
  const char *s = request_query(r, "n");
  if (!s) {
    *n = dflt;
    return 0;
  }
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  if (*s < '0' || *s > '9' || *end || v > 100000)
    return reply_errorf(r, REG_PAGINATION_NUMBER_INVALID,
                        "n=%.40s: expected a number from 0 to 100000", s);
  *n = v;
  return 0;
}
