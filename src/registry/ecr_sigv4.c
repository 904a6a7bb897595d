/* ecr_sigv4.c: AWS Signature Version 4 verification (see ecr_sigv4.h).
 *
 * Everything here is computed from untrusted input, so every length is
 * bounded before it is used and the only comparison of secret-derived
 * bytes is CRYPTO_memcmp. */
#include "registry/ecr_sigv4.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
/* Bounds on what is canonicalized: a request over these is refused
 * rather than hashed. */
#define PATH_MAX_LEN 8192
#define QUERY_MAX_LEN 8192
#define QUERY_MAX_PARAMS 256
#define HEADER_VALUE_MAX 8192

const char *ecr_sigv4_code_name(enum ecr_sigv4_code code)
{
  switch (code) {
  case ECR_SIGV4_OK: return "";
  case ECR_SIGV4_MISSING_AUTH: return "MissingAuthenticationTokenException";
  case ECR_SIGV4_INCOMPLETE: return "IncompleteSignatureException";
  case ECR_SIGV4_UNKNOWN_KEY: return "UnrecognizedClientException";
  case ECR_SIGV4_BAD_SIGNATURE:
  case ECR_SIGV4_EXPIRED: return "InvalidSignatureException";
  }
  return "InvalidSignatureException";
}

int ecr_sigv4_code_status(enum ecr_sigv4_code code)
{
  switch (code) {
  case ECR_SIGV4_OK: return 200;
  case ECR_SIGV4_MISSING_AUTH:
  case ECR_SIGV4_UNKNOWN_KEY: return 403;
  default: return 400;
  }
}

void ecr_sigv4_auth_free(struct ecr_sigv4_auth *a)
{
  if (!a)
    return;
  free(a->access_key_id);
  free(a->region);
  free(a->service);
  wh_strvfreep(&a->signed_headers);
  memset(a, 0, sizeof(*a));
}

static int incomplete(enum ecr_sigv4_code *code, struct wh_error **err,
                      const char *msg)
{
  *code = ECR_SIGV4_INCOMPLETE;
  return wh_error_set(err, WH_ERR_DENIED, "Authorization header: %s", msg);
}

static bool is_scope_char(char c)
{
  return isalnum((unsigned char) c) || c == '-' || c == '_' || c == '.';
}

/* Credential=AKID/YYYYMMDD/region/service/aws4_request */
static int parse_credential(const char *v, size_t len,
                            struct ecr_sigv4_auth *out,
                            enum ecr_sigv4_code *code, struct wh_error **err)
{
  const char *parts[5];
  size_t lens[5];
  size_t n = 0;
  const char *p = v, *end = v + len;
  while (n < 5) {
    const char *slash = memchr(p, '/', (size_t) (end - p));
    const char *stop = slash ? slash : end;
    parts[n] = p;
    lens[n] = (size_t) (stop - p);
    n++;
    if (!slash)
      break;
    p = slash + 1;
  }
  if (n != 5 || p + lens[4] != end)
    return incomplete(code, err, "Credential must be "
                      "KEYID/YYYYMMDD/REGION/SERVICE/aws4_request");
  if (lens[0] == 0 || lens[0] > ECR_SIGV4_KEY_ID_MAX)
    return incomplete(code, err, "Credential: bad access key id length");
  for (size_t i = 0; i < lens[0]; i++)
    if (!isalnum((unsigned char) parts[0][i]))
      return incomplete(code, err, "Credential: access key id must be "
                        "letters and digits");
  if (lens[1] != 8)
    return incomplete(code, err, "Credential: date must be YYYYMMDD");
  for (size_t i = 0; i < 8; i++)
    if (!isdigit((unsigned char) parts[1][i]))
      return incomplete(code, err, "Credential: date must be YYYYMMDD");
  for (int k = 2; k <= 3; k++) {
    if (lens[k] == 0 || lens[k] > ECR_SIGV4_SCOPE_PART_MAX)
      return incomplete(code, err, k == 2 ? "Credential: bad region"
                                          : "Credential: bad service");
    for (size_t i = 0; i < lens[k]; i++)
      if (!is_scope_char(parts[k][i]))
        return incomplete(code, err, k == 2 ? "Credential: bad region"
                                            : "Credential: bad service");
  }
  if (lens[4] != strlen(TERMINATOR) ||
      memcmp(parts[4], TERMINATOR, lens[4]) != 0)
    return incomplete(code, err, "Credential: scope must end in "
                      "aws4_request");
  out->access_key_id = strndup(parts[0], lens[0]);
  memcpy(out->date, parts[1], 8);
  out->date[8] = '\0';
  out->region = strndup(parts[2], lens[2]);
  out->service = strndup(parts[3], lens[3]);
  if (!out->access_key_id || !out->region || !out->service)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  return 0;
}

static bool is_header_name_char(char c)
{
  /* RFC 9110 tchar, lowercase only: SigV4 lists names lowercased. */
  return (c >= 'a' && c <= 'z') || isdigit((unsigned char) c) ||
         (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int parse_signed_headers(const char *v, size_t len,
                                struct ecr_sigv4_auth *out,
                                enum ecr_sigv4_code *code,
                                struct wh_error **err)
{
  char **list = calloc(ECR_SIGV4_MAX_SIGNED + 1, sizeof(char *));
  if (!list)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  out->signed_headers = list;
  size_t n = 0;
  const char *p = v, *end = v + len;
  for (;;) {
    const char *semi = memchr(p, ';', (size_t) (end - p));
    const char *stop = semi ? semi : end;
    if (stop == p)
      return incomplete(code, err, "SignedHeaders: empty header name");
    for (const char *c = p; c < stop; c++)
      if (!is_header_name_char(*c))
        return incomplete(code, err, "SignedHeaders: names must be "
                          "lowercase header names");
    if (n == ECR_SIGV4_MAX_SIGNED)
      return incomplete(code, err, "SignedHeaders: too many headers");
    list[n] = strndup(p, (size_t) (stop - p));
    if (!list[n])
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    /* Sorted and unique, as every SDK sends them: a duplicate would let
     * one header value be counted twice. */
    if (n > 0 && strcmp(list[n - 1], list[n]) >= 0)
      return incomplete(code, err, "SignedHeaders: names must be sorted "
                        "and unique");
    n++;
    if (!semi)
      break;
    p = semi + 1;
  }
  out->n_signed = n;
  return 0;
}

int ecr_sigv4_parse_authorization(const char *value,
                                  struct ecr_sigv4_auth *out,
                                  enum ecr_sigv4_code *code,
                                  struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  *code = ECR_SIGV4_OK;
  if (!value || !*value) {
    *code = ECR_SIGV4_MISSING_AUTH;
    return wh_error_set(err, WH_ERR_DENIED, "Missing Authentication Token");
  }
  size_t total = strnlen(value, ECR_SIGV4_AUTH_MAX + 1);
  if (total > ECR_SIGV4_AUTH_MAX)
    return incomplete(code, err, "too long");
  size_t alg = strlen(ALGORITHM);
  if (total <= alg || strncmp(value, ALGORITHM, alg) != 0 ||
      value[alg] != ' ') {
    *code = ECR_SIGV4_MISSING_AUTH;
    return wh_error_set(err, WH_ERR_DENIED, "Authorization header: "
                        "only " ALGORITHM " is supported");
  }
  bool have_cred = false, have_sh = false, have_sig = false;
  const char *p = value + alg, *end = value + total;
  int r = 0;
  while (p < end && r == 0) {
    while (p < end && (*p == ' ' || *p == ','))
      p++;
    if (p == end)
      break;
    const char *comma = memchr(p, ',', (size_t) (end - p));
    const char *stop = comma ? comma : end;
    while (stop > p && stop[-1] == ' ')
      stop--;
    const char *eq = memchr(p, '=', (size_t) (stop - p));
    if (!eq) {
      r = incomplete(code, err, "expected NAME=VALUE components");
      break;
    }
    size_t nlen = (size_t) (eq - p);
    const char *v = eq + 1;
    size_t vlen = (size_t) (stop - v);
    if (nlen == 10 && memcmp(p, "Credential", 10) == 0) {
      if (have_cred)
        r = incomplete(code, err, "Credential given twice");
      else
        r = parse_credential(v, vlen, out, code, err);
      have_cred = true;
    } else if (nlen == 13 && memcmp(p, "SignedHeaders", 13) == 0) {
      if (have_sh)
        r = incomplete(code, err, "SignedHeaders given twice");
      else
        r = parse_signed_headers(v, vlen, out, code, err);
      have_sh = true;
    } else if (nlen == 9 && memcmp(p, "Signature", 9) == 0) {
      if (have_sig)
        r = incomplete(code, err, "Signature given twice");
      else if (vlen != 64)
        r = incomplete(code, err, "Signature must be 64 hex digits");
      else {
        for (size_t i = 0; i < 64 && r == 0; i++) {
          if (!isxdigit((unsigned char) v[i]))
            r = incomplete(code, err, "Signature must be 64 hex digits");
          out->signature[i] = (char) tolower((unsigned char) v[i]);
        }
      }
      have_sig = true;
    } else {
      r = incomplete(code, err, "unknown component (expected Credential, "
                     "SignedHeaders, Signature)");
    }
    p = comma ? comma + 1 : end;
  }
  if (r == 0 && !have_cred)
    r = incomplete(code, err, "missing Credential");
  if (r == 0 && !have_sh)
    r = incomplete(code, err, "missing SignedHeaders");
  if (r == 0 && !have_sig)
    r = incomplete(code, err, "missing Signature");
  if (r < 0) {
    if (*code == ECR_SIGV4_OK)
      *code = ECR_SIGV4_INCOMPLETE;
    ecr_sigv4_auth_free(out);
    return -1;
  }
  return 0;
}

static bool is_unreserved(unsigned char c)
{
  return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int append_encoded(struct wh_buf *b, const char *s, size_t len,
                          bool keep_slash)
{
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char) s[i];
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      if (wh_buf_append_char(b, (char) c) < 0)
        return -1;
    } else {
      char e[3] = { '%', hex[c >> 4], hex[c & 15] };
      if (wh_buf_append(b, e, 3) < 0)
        return -1;
    }
  }
  return 0;
}

static int hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char) tolower((unsigned char) c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Decode %XX into out (len+1 bytes); a '%' not followed by
 * two hex digits stays literal, as AWS's own decoder leaves it. */
static size_t percent_decode(const char *s, size_t len, char *out)
{
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < len && (hi = hexval(s[i + 1])) >= 0 &&
        (lo = hexval(s[i + 2])) >= 0) {
      out[o++] = (char) (hi * 16 + lo);
      i += 2;
    } else {
      out[o++] = s[i];
    }
  }
  out[o] = '\0';
  return o;
}

static int canonical_uri(struct wh_buf *b, const char *path,
                         struct wh_error **err)
{
  size_t len = strnlen(path, PATH_MAX_LEN + 1);
  if (len > PATH_MAX_LEN)
    return wh_error_set(err, WH_ERR_INVALID, "request path too long");
  /* Segment start offsets into b, so ".." can pop the last one. */
  _cleanup_free_ size_t *starts = calloc(len / 2 + 2, sizeof(size_t));
  if (!starts)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  size_t base = b->len, depth = 0;
  bool trailing = len > 0 && path[len - 1] == '/';
  const char *p = path, *end = path + len;
  while (p < end) {
    const char *slash = memchr(p, '/', (size_t) (end - p));
    const char *stop = slash ? slash : end;
    size_t seg = (size_t) (stop - p);
    if (seg == 0 || (seg == 1 && p[0] == '.')) {
      /* empty or "." segment: dropped */
    } else if (seg == 2 && p[0] == '.' && p[1] == '.') {
      if (depth > 0)
        b->len = starts[--depth];
    } else {
      starts[depth++] = b->len;
      if (wh_buf_append_char(b, '/') < 0 ||
          append_encoded(b, p, seg, false) < 0)
        return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    }
    p = slash ? slash + 1 : end;
  }
  if (b->len == base || trailing)
    if (wh_buf_append_char(b, '/') < 0)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  b->data[b->len] = '\0';
  return 0;
}

struct qparam {
  char *name;   /* encoded */
  char *value;  /* encoded */
};

static int qparam_cmp(const void *a, const void *b)
{
  const struct qparam *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : strcmp(x->value, y->value);
}

static char *encode_component(const char *s, size_t len)
{
  _cleanup_free_ char *dec = malloc(len + 1);
  if (!dec)
    return NULL;
  size_t n = percent_decode(s, len, dec);
  struct wh_buf b = WH_BUF_INIT;
  if (append_encoded(&b, dec, n, false) < 0) {
    wh_buf_free(&b);
    return NULL;
  }
  return wh_buf_steal(&b);
}

static int canonical_query(struct wh_buf *b, const char *query,
                           struct wh_error **err)
{
  if (!query || !*query)
    return 0;
  size_t len = strnlen(query, QUERY_MAX_LEN + 1);
  if (len > QUERY_MAX_LEN)
    return wh_error_set(err, WH_ERR_INVALID, "query string too long");
  struct qparam ps[QUERY_MAX_PARAMS];
  size_t n = 0;
  int r = 0;
  const char *p = query, *end = query + len;
  while (p < end && r == 0) {
    const char *amp = memchr(p, '&', (size_t) (end - p));
    const char *stop = amp ? amp : end;
    if (stop > p) {
      if (n == QUERY_MAX_PARAMS) {
        r = wh_error_set(err, WH_ERR_INVALID, "too many query parameters");
        break;
      }
      const char *eq = memchr(p, '=', (size_t) (stop - p));
      const char *nend = eq ? eq : stop;
      ps[n].name = encode_component(p, (size_t) (nend - p));
      ps[n].value = eq ? encode_component(eq + 1, (size_t) (stop - eq - 1))
                       : strdup("");
      n++;
      if (!ps[n - 1].name || !ps[n - 1].value)
        r = wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    }
    p = amp ? amp + 1 : end;
  }
  if (r == 0) {
    qsort(ps, n, sizeof(ps[0]), qparam_cmp);
    for (size_t i = 0; i < n && r == 0; i++)
      if (wh_buf_printf(b, "%s%s=%s", i ? "&" : "", ps[i].name,
                        ps[i].value) < 0)
        r = wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    free(ps[i].name);
    free(ps[i].value);
  }
  return r;
}

/* Trim, and collapse runs of spaces and tabs to one space. */
static int append_header_value(struct wh_buf *b, const char *v)
{
  size_t len = strnlen(v, HEADER_VALUE_MAX + 1);
  if (len > HEADER_VALUE_MAX)
    return -1;
  bool pending_space = false, any = false;
  for (size_t i = 0; i < len; i++) {
    char c = v[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = any;
      continue;
    }
    if (pending_space && wh_buf_append_char(b, ' ') < 0)
      return -1;
    pending_space = false;
    any = true;
    if (wh_buf_append_char(b, c) < 0)
      return -1;
  }
  return 0;
}

static const char *find_header(const struct ecr_sigv4_request *req,
                               const char *name)
{
  for (size_t i = 0; i < req->n_headers; i++)
    if (strcasecmp(req->headers[i].name, name) == 0)
      return req->headers[i].value;
  return NULL;
}

char *ecr_sigv4_canonical_request(const struct ecr_sigv4_request *req,
                                  const struct ecr_sigv4_auth *auth,
                                  bool allow_unsigned_payload,
                                  struct wh_error **err)
{
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  if (!req->method || !req->path || !req->payload_sha256)
    return wh_error_set(err, WH_ERR_INVALID, "incomplete request"), NULL;
  if (wh_buf_printf(&b, "%s\n", req->method) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  if (canonical_uri(&b, req->path, err) < 0 ||
      wh_buf_append_char(&b, '\n') < 0 ||
      canonical_query(&b, req->query, err) < 0 ||
      wh_buf_append_char(&b, '\n') < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  for (size_t i = 0; i < auth->n_signed; i++) {
    const char *name = auth->signed_headers[i];
    bool found = false;
    if (wh_buf_printf(&b, "%s:", name) < 0)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
    for (size_t h = 0; h < req->n_headers; h++) {
      if (strcasecmp(req->headers[h].name, name) != 0)
        continue;
      if ((found && wh_buf_append_char(&b, ',') < 0) ||
          append_header_value(&b, req->headers[h].value) < 0)
        return wh_error_set(err, WH_ERR_INVALID, "header %s: value too "
                            "long", name), NULL;
      found = true;
    }
    if (!found)
      return wh_error_set(err, WH_ERR_INVALID, "signed header %s is not in "
                          "the request", name), NULL;
    if (wh_buf_append_char(&b, '\n') < 0)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  }
  if (wh_buf_append_char(&b, '\n') < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  for (size_t i = 0; i < auth->n_signed; i++)
    if (wh_buf_printf(&b, "%s%s", i ? ";" : "", auth->signed_headers[i]) < 0)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  const char *payload = req->payload_sha256;
  const char *declared = find_header(req, "x-amz-content-sha256");
  if (declared) {
    if (strcmp(declared, "UNSIGNED-PAYLOAD") == 0) {
      if (!allow_unsigned_payload)
        return wh_error_set(err, WH_ERR_INVALID, "UNSIGNED-PAYLOAD is not "
                            "accepted here"), NULL;
    } else if (strcasecmp(declared, req->payload_sha256) != 0) {
      return wh_error_set(err, WH_ERR_INVALID, "x-amz-content-sha256 does "
                          "not match the request body"), NULL;
    }
    payload = declared;
  }
  if (wh_buf_printf(&b, "\n%s", payload) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  return wh_buf_steal(&b);
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hex[in[i] >> 4];
    out[2 * i + 1] = hex[in[i] & 15];
  }
  out[2 * n] = '\0';
}

char *ecr_sigv4_string_to_sign(const char *amz_date,
                               const struct ecr_sigv4_auth *auth,
                               const char *canonical_request)
{
  unsigned char md[SHA256_DIGEST_LENGTH];
  char hex[65];
  SHA256((const unsigned char *) canonical_request,
         strlen(canonical_request), md);
  to_hex(md, sizeof(md), hex);
  char *out = NULL;
  if (asprintf(&out, ALGORITHM "\n%s\n%s/%s/%s/" TERMINATOR "\n%s", amz_date,
               auth->date, auth->region, auth->service, hex) < 0)
    return NULL;
  return out;
}

static int hmac(const void *key, size_t klen, const char *msg,
                unsigned char out[32])
{
  unsigned int olen = 0;
  if (!HMAC(EVP_sha256(), key, (int) klen, (const unsigned char *) msg,
            strlen(msg), out, &olen) || olen != 32)
    return -1;
  return 0;
}

int ecr_sigv4_signing_key(const char *secret, size_t secret_len,
                          const char *date, const char *region,
                          const char *service, unsigned char out[32],
                          struct wh_error **err)
{
  if (secret_len > 1024)
    return wh_error_set(err, WH_ERR_INVALID, "secret too long");
  unsigned char k0[4 + 1024];
  memcpy(k0, "AWS4", 4);
  memcpy(k0 + 4, secret, secret_len);
  unsigned char a[32], b[32];
  int r = hmac(k0, 4 + secret_len, date, a) < 0 ||
          hmac(a, 32, region, b) < 0 || hmac(b, 32, service, a) < 0 ||
          hmac(a, 32, TERMINATOR, out) < 0 ? -1 : 0;
  OPENSSL_cleanse(k0, sizeof(k0));
  OPENSSL_cleanse(a, sizeof(a));
  OPENSSL_cleanse(b, sizeof(b));
  if (r < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "HMAC-SHA256 failed");
  return 0;
}

int ecr_sigv4_sign(const unsigned char key[32], const char *string_to_sign,
                   char out[65], struct wh_error **err)
{
  unsigned char md[32];
  if (hmac(key, 32, string_to_sign, md) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "HMAC-SHA256 failed");
  to_hex(md, 32, out);
  return 0;
}

int ecr_sigv4_parse_amz_date(const char *s, int64_t *out)
{
  /* YYYYMMDDTHHMMSSZ exactly */
  if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
    return -1;
  for (int i = 0; i < 15; i++)
    if (i != 8 && !isdigit((unsigned char) s[i]))
      return -1;
  struct tm tm = { 0 };
  int f[6];
  static const int off[6] = { 0, 4, 6, 9, 11, 13 };
  static const int len[6] = { 4, 2, 2, 2, 2, 2 };
  for (int i = 0; i < 6; i++) {
    f[i] = 0;
    for (int k = 0; k < len[i]; k++)
      f[i] = f[i] * 10 + (s[off[i] + k] - '0');
  }
  if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 ||
      f[4] > 59 || f[5] > 60)
    return -1;
  tm.tm_year = f[0] - 1900;
  tm.tm_mon = f[1] - 1;
  tm.tm_mday = f[2];
  tm.tm_hour = f[3];
  tm.tm_min = f[4];
  tm.tm_sec = f[5];
  time_t t = timegm(&tm);
  if (t == (time_t) -1)
    return -1;
  *out = (int64_t) t;
  return 0;
}

static void fmt_amz_date(int64_t t, char out[17])
{
  time_t tt = (time_t) t;
  struct tm tm;
  if (!gmtime_r(&tt, &tm) || strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) == 0)
    snprintf(out, 17, "?");
}

static int deny(enum ecr_sigv4_code *code, enum ecr_sigv4_code c,
                struct wh_error **err, const char *msg)
{
  *code = c;
  return wh_error_set(err, WH_ERR_DENIED, "%s", msg);
}

static bool signed_list_has(const struct ecr_sigv4_auth *auth,
                            const char *name)
{
  for (size_t i = 0; i < auth->n_signed; i++)
    if (strcmp(auth->signed_headers[i], name) == 0)
      return true;
  return false;
}

int ecr_sigv4_verify(const struct ecr_sigv4_request *req,
                     const struct ecr_sigv4_auth *auth,
                     const char *secret, size_t secret_len,
                     const struct ecr_sigv4_opts *opts,
                     enum ecr_sigv4_code *code, struct wh_error **err)
{
  *code = ECR_SIGV4_OK;
  if (opts->region && strcmp(opts->region, auth->region) != 0) {
    *code = ECR_SIGV4_BAD_SIGNATURE;
    return wh_error_set(err, WH_ERR_DENIED, "Credential should be scoped "
                        "to a valid region, not '%s' (expected '%s')",
                        auth->region, opts->region);
  }
  if (opts->service && strcmp(opts->service, auth->service) != 0) {
    *code = ECR_SIGV4_BAD_SIGNATURE;
    return wh_error_set(err, WH_ERR_DENIED, "Credential should be scoped "
                        "to correct service: '%s'", opts->service);
  }
  if (!signed_list_has(auth, "host"))
    return deny(code, ECR_SIGV4_INCOMPLETE, err,
                "Authorization header: SignedHeaders must include host");
  if (!signed_list_has(auth, "x-amz-date"))
    return deny(code, ECR_SIGV4_INCOMPLETE, err, "Authorization header: "
                "SignedHeaders must include x-amz-date");
  const char *amz_date = find_header(req, "x-amz-date");
  int64_t t;
  if (!amz_date || ecr_sigv4_parse_amz_date(amz_date, &t) < 0)
    return deny(code, ECR_SIGV4_INCOMPLETE, err, "X-Amz-Date must be "
                "YYYYMMDDTHHMMSSZ");
  if (strncmp(amz_date, auth->date, 8) != 0) {
    *code = ECR_SIGV4_BAD_SIGNATURE;
    return wh_error_set(err, WH_ERR_DENIED, "Date in Credential scope does "
                        "not match YYYYMMDD from ISO-8601 version of date "
                        "from HTTP: '%s' != '%.8s'", auth->date, amz_date);
  }
  int64_t skew = opts->max_skew_s > 0 ? opts->max_skew_s
                                      : ECR_SIGV4_DEFAULT_SKEW_S;
  char now_s[17], edge_s[17];
  fmt_amz_date(opts->now_s, now_s);
  if (t < opts->now_s - skew) {
    fmt_amz_date(opts->now_s - skew, edge_s);
    *code = ECR_SIGV4_EXPIRED;
    return wh_error_set(err, WH_ERR_DENIED, "Signature expired: %s is now "
                        "earlier than %s (%s - %lld min.)", amz_date, edge_s,
                        now_s, (long long) (skew / 60));
  }
  if (t > opts->now_s + skew) {
    fmt_amz_date(opts->now_s + skew, edge_s);
    *code = ECR_SIGV4_EXPIRED;
    return wh_error_set(err, WH_ERR_DENIED, "Signature not yet current: %s "
                        "is still later than %s (%s + %lld min.)", amz_date,
                        edge_s, now_s, (long long) (skew / 60));
  }
  _cleanup_free_ char *creq =
      ecr_sigv4_canonical_request(req, auth, opts->allow_unsigned_payload,
                                  err);
  if (!creq) {
    *code = ECR_SIGV4_BAD_SIGNATURE;
    if (err && *err)
      (*err)->kind = WH_ERR_DENIED;
    return -1;
  }
  _cleanup_free_ char *sts = ecr_sigv4_string_to_sign(amz_date, auth, creq);
  if (!sts)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  unsigned char key[32];
  char sig[65];
  int r = ecr_sigv4_signing_key(secret, secret_len, auth->date, auth->region,
                                auth->service, key, err);
  if (r == 0)
    r = ecr_sigv4_sign(key, sts, sig, err);
  OPENSSL_cleanse(key, sizeof(key));
  if (r < 0)
    return -1;
  if (CRYPTO_memcmp(sig, auth->signature, 64) != 0)
    return deny(code, ECR_SIGV4_BAD_SIGNATURE, err, "The request signature "
                "we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method.");
  return 0;
}
