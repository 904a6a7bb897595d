/* ecr_sigv4.h: AWS Signature Version 4 verification for the ECR API.
 *
 * The ECR API (POST / with X-Amz-Target, JSON 1.1 bodies) authenticates
 * every request with SigV4 in the Authorization header. This module is
 * pure logic: the HTTP handler hands it the method, the path and query as
 * they came on the wire, the request headers, the SHA-256 of the body and
 * the secret of the access key named in the header; it answers yes or no
 * with the AWS error code a client expects. It never sees the store.
 *
 * Flow for a handler:
 *   ecr_sigv4_parse_authorization(header, &auth, &err)   → key id, scope
 *   look the key id up (unknown → ECR_SIGV4_UNKNOWN_KEY)
 *   ecr_sigv4_verify(&req, &auth, secret, &opts, &code, &err)
 * On failure `code` says which AWS error to return (ecr_sigv4_code_name)
 * and err->msg the message, in AWS's words where AWS has words. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wh_error;

/* Bounds on untrusted input: far above what botocore sends. */
#define ECR_SIGV4_AUTH_MAX 4096       /* Authorization header value */
#define ECR_SIGV4_MAX_SIGNED 64       /* names in SignedHeaders */
#define ECR_SIGV4_KEY_ID_MAX 128
#define ECR_SIGV4_SCOPE_PART_MAX 64   /* region, service */
#define ECR_SIGV4_DEFAULT_SKEW_S 900  /* AWS's 15 minutes */

/* Why a request was refused; names are the AWS error codes. */
enum ecr_sigv4_code {
  ECR_SIGV4_OK = 0,
  ECR_SIGV4_MISSING_AUTH,       /* MissingAuthenticationTokenException */
  ECR_SIGV4_INCOMPLETE,         /* IncompleteSignatureException */
  ECR_SIGV4_UNKNOWN_KEY,        /* UnrecognizedClientException */
  ECR_SIGV4_BAD_SIGNATURE,      /* InvalidSignatureException */
  ECR_SIGV4_EXPIRED,            /* InvalidSignatureException (date skew) */
};
/* "InvalidSignatureException", …; "" for ECR_SIGV4_OK. All are HTTP 400
 * except UNKNOWN_KEY and MISSING_AUTH (403), as AWS answers. */
const char *ecr_sigv4_code_name(enum ecr_sigv4_code code);
int ecr_sigv4_code_status(enum ecr_sigv4_code code);

/* The parsed Authorization header. Strings are owned (free with
 * ecr_sigv4_auth_free). signed_headers is NULL-terminated, lowercase, in
 * the order the client listed them (which is the order it signed). */
struct ecr_sigv4_auth {
  char *access_key_id;
  char date[9];          /* YYYYMMDD of the credential scope */
  char *region;
  char *service;
  char **signed_headers;
  size_t n_signed;
  char signature[65];    /* 64 lowercase hex */
};

/* Parse "AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/ecr/
 * aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>".
 * Components may come in any order, separated by "," and optional spaces;
 * each must appear once. On error *code is MISSING_AUTH (no/other scheme)
 * or INCOMPLETE (malformed), err says which part, and out is left zeroed. */
int ecr_sigv4_parse_authorization(const char *value,
                                  struct ecr_sigv4_auth *out,
                                  enum ecr_sigv4_code *code,
                                  struct wh_error **err);
void ecr_sigv4_auth_free(struct ecr_sigv4_auth *a);

struct ecr_sigv4_header {
  const char *name;    /* any case; a name may repeat (values joined ",") */
  const char *value;
};

/* A request as received. path and query are raw (percent-encoded as on
 * the wire); query excludes the '?' and may be NULL or "". */
struct ecr_sigv4_request {
  const char *method;
  const char *path;
  const char *query;
  const struct ecr_sigv4_header *headers;
  size_t n_headers;
  /* 64 lowercase hex of SHA-256 of the body the server actually read. */
  const char *payload_sha256;
};

/* The canonical request for the headers named in auth->signed_headers.
 * The canonical URI is the path with dot segments and empty segments
 * removed, each byte outside RFC 3986's unreserved set percent-encoded
 * (so an already-encoded wire path is encoded again, as botocore signs
 * every service but S3). The query is split on '&', each name and value
 * percent-decoded (%XX only; '+' stays '+') and re-encoded, sorted by
 * name then value. Header values are trimmed and runs of spaces
 * collapsed. The payload line is x-amz-content-sha256 when sent (which
 * must then equal payload_sha256, or be UNSIGNED-PAYLOAD if allowed),
 * else payload_sha256. Caller frees. Fails (INVALID) if a signed header
 * is absent or a bound is exceeded. */
char *ecr_sigv4_canonical_request(const struct ecr_sigv4_request *req,
                                  const struct ecr_sigv4_auth *auth,
                                  bool allow_unsigned_payload,
                                  struct wh_error **err);

/* "AWS4-HMAC-SHA256\n<amz_date>\n<date>/<region>/<service>/aws4_request\n
 * <hex sha256 of canonical request>". Caller frees; NULL on ENOMEM. */
char *ecr_sigv4_string_to_sign(const char *amz_date,
                               const struct ecr_sigv4_auth *auth,
                               const char *canonical_request);

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service),
 * "aws4_request"). */
int ecr_sigv4_signing_key(const char *secret, size_t secret_len,
                          const char *date, const char *region,
                          const char *service, unsigned char out[32],
                          struct wh_error **err);

/* 64 lowercase hex of HMAC(signing key, string to sign). */
int ecr_sigv4_sign(const unsigned char key[32], const char *string_to_sign,
                   char out[65], struct wh_error **err);

/* Parse "20150830T123600Z" to seconds since the epoch. */
int ecr_sigv4_parse_amz_date(const char *s, int64_t *out);

struct ecr_sigv4_opts {
  int64_t now_s;           /* the server's clock, seconds since the epoch */
  int64_t max_skew_s;      /* 0 → ECR_SIGV4_DEFAULT_SKEW_S */
  const char *region;      /* required scope region, NULL accepts any */
  const char *service;     /* required scope service ("ecr"), NULL any */
  bool allow_unsigned_payload;
};

/* Verify req against auth with the key's secret. Checks, in order: the
 * credential scope (terminator, region, service), that host and
 * x-amz-date are signed, the X-Amz-Date format, that it matches the
 * scope's date and is within max_skew_s of now (EXPIRED), then recomputes
 * the signature and compares in constant time (BAD_SIGNATURE). Returns 0
 * (code OK) or -1 with *code and err (kind WH_ERR_DENIED). */
int ecr_sigv4_verify(const struct ecr_sigv4_request *req,
                     const struct ecr_sigv4_auth *auth,
                     const char *secret, size_t secret_len,
                     const struct ecr_sigv4_opts *opts,
                     enum ecr_sigv4_code *code, struct wh_error **err);
