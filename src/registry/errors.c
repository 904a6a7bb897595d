/* errors.c: the spec's error codes, statuses and JSON bodies (errors.h). */
#include "registry/errors.h"

#include <jansson.h>
#include <stdlib.h>

#include "base/json.h"

static const struct {
  const char *name;
  unsigned status;
  const char *message;
} codes[REG_CODE_COUNT] = {
  [REG_BLOB_UNKNOWN] = { "BLOB_UNKNOWN", 404, "blob unknown to registry" },
  [REG_BLOB_UPLOAD_INVALID] = { "BLOB_UPLOAD_INVALID", 400, "blob upload invalid" },
  [REG_BLOB_UPLOAD_UNKNOWN] = { "BLOB_UPLOAD_UNKNOWN", 404, "blob upload unknown to registry" },
  [REG_DIGEST_INVALID] = { "DIGEST_INVALID", 400, "provided digest did not match uploaded content" },
  [REG_MANIFEST_BLOB_UNKNOWN] = { "MANIFEST_BLOB_UNKNOWN", 404, "manifest references a manifest or blob unknown to registry" },
  [REG_MANIFEST_INVALID] = { "MANIFEST_INVALID", 400, "manifest invalid" },
  [REG_MANIFEST_UNKNOWN] = { "MANIFEST_UNKNOWN", 404, "manifest unknown to registry" },
  [REG_NAME_INVALID] = { "NAME_INVALID", 400, "invalid repository name" },
  [REG_NAME_UNKNOWN] = { "NAME_UNKNOWN", 404, "repository name not known to registry" },
  [REG_SIZE_INVALID] = { "SIZE_INVALID", 400, "provided length did not match content length" },
  [REG_TAG_INVALID] = { "TAG_INVALID", 400, "manifest tag did not match URI" },
  [REG_PAGINATION_NUMBER_INVALID] = { "PAGINATION_NUMBER_INVALID", 400, "invalid number of results requested" },
  [REG_MANIFEST_TOO_LARGE] = { "SIZE_INVALID", 413, "manifest too large" },
  [REG_UNAUTHORIZED] = { "UNAUTHORIZED", 401, "authentication required" },
  [REG_DENIED] = { "DENIED", 403, "requested access to the resource is denied" },
  [REG_UNSUPPORTED] = { "UNSUPPORTED", 405, "the operation is unsupported" },
  [REG_TOOMANYREQUESTS] = { "TOOMANYREQUESTS", 429, "too many requests" },
  [REG_RANGE_INVALID] = { "BLOB_UPLOAD_INVALID", 416, "requested range not satisfiable" },
  [REG_RANGE_NOT_SATISFIABLE] = { "RANGE_NOT_SATISFIABLE", 416, "requested range not satisfiable" },
  [REG_METHOD_NOT_ALLOWED] = { "UNSUPPORTED", 405, "method not allowed on this route" },
  [REG_NOT_FOUND] = { "NOT_FOUND", 404, "no such route in the registry API" },
  [REG_INTERNAL] = { "UNKNOWN", 500, "internal server error" },
  [REG_UNAVAILABLE] = { "UNAVAILABLE", 503, "service unavailable" },
};

const char *reg_code_name(enum reg_code code)
{
  return (unsigned) code < REG_CODE_COUNT ? codes[code].name : "UNKNOWN";
}

unsigned reg_code_status(enum reg_code code)
{
  return (unsigned) code < REG_CODE_COUNT ? codes[code].status : 500;
}

const char *reg_code_default_message(enum reg_code code)
{
  return (unsigned) code < REG_CODE_COUNT ? codes[code].message : "unknown error";
}

char *reg_error_body(enum reg_code code, const char *message)
{
  _cleanup_json_ json_t *root = json_pack("{s:[{s:s,s:s}]}", "errors", "code",
                                          reg_code_name(code), "message",
                                          message ? message : reg_code_default_message(code));
  if (!root)
    return NULL;
  return json_dumps(root, JSON_COMPACT);
}
