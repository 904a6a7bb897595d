/* errors.h: the OCI Distribution spec's error codes and their statuses.
 *
 * The spec's error body: {"errors":[{"code":"…","message":"…","detail":…}]}.
 * Handlers pick a code; the default status comes from the table in
 * errors.c, and reg_code_for_error() maps a store's typed error. */
#pragma once

#include "base/error.h"

enum reg_code {
  REG_BLOB_UNKNOWN = 0,
  REG_BLOB_UPLOAD_INVALID,
  REG_BLOB_UPLOAD_UNKNOWN,
  REG_DIGEST_INVALID,
  REG_MANIFEST_BLOB_UNKNOWN,
  REG_MANIFEST_INVALID,
  REG_MANIFEST_UNKNOWN,
  REG_NAME_INVALID,
  REG_NAME_UNKNOWN,
  REG_SIZE_INVALID,
  REG_TAG_INVALID,
  REG_PAGINATION_NUMBER_INVALID, /* Distribution's code for a bad ?n= */
  REG_MANIFEST_TOO_LARGE,        /* 413 with SIZE_INVALID's name */
  REG_UNAUTHORIZED,
  REG_DENIED,
  REG_UNSUPPORTED,
  REG_TOOMANYREQUESTS,
  REG_RANGE_INVALID,     /* 416; Distribution uses BLOB_UPLOAD_INVALID's body */
  REG_RANGE_NOT_SATISFIABLE, /* 416 on a blob GET's Range */
  REG_METHOD_NOT_ALLOWED,
  REG_NOT_FOUND,         /* a path that is no API route */
  REG_INTERNAL,          /* 500: only for what is truly unexpected */
  REG_UNAVAILABLE,       /* 503: shutting down or out of resources */
  REG_CODE_COUNT
};

/* The code's name as the spec spells it ("BLOB_UNKNOWN"). */
const char *reg_code_name(enum reg_code code);
unsigned reg_code_status(enum reg_code code);
/* The spec's description of the code, used when a handler gives none. */
const char *reg_code_default_message(enum reg_code code);

/* Build the JSON error body; caller frees. detail may be NULL. */
char *reg_error_body(enum reg_code code, const char *message);
