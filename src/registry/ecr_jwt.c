/* ecr_jwt.c: HS256 bearer tokens and scope parsing (see ecr_jwt.h). */
#include "registry/ecr_jwt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/id.h"
#include "base/json.h"
#include "oci/reference.h"

void ecr_jwt_access_free(struct ecr_jwt_access *a, size_t n)
{
  if (!a)
    return;
  for (size_t i = 0; i < n; i++) {
    free(a[i].type);
    free(a[i].name);
  }
  free(a);
}

void ecr_jwt_claims_free(struct ecr_jwt_claims *c)
{
  if (!c)
    return;
  free(c->iss);
  free(c->sub);
  free(c->aud);
  free(c->jti);
  ecr_jwt_access_free(c->access, c->n_access);
  memset(c, 0, sizeof(*c));
}

char *ecr_b64url_encode(const void *data, size_t len)
{
  if (len > (SIZE_MAX / 4) - 4)
    return NULL;
  size_t cap = 4 * ((len + 2) / 3) + 1;
  char *out = malloc(cap);
  if (!out)
    return NULL;
  int n = EVP_EncodeBlock((unsigned char *) out, data, (int) len);
  while (n > 0 && out[n - 1] == '=')
    n--;
  out[n] = '\0';
  for (int i = 0; i < n; i++) {
    if (out[i] == '+')
      out[i] = '-';
    else if (out[i] == '/')
      out[i] = '_';
  }
  return out;
}

unsigned char *ecr_b64url_decode(const char *s, size_t len, size_t *out_len)
{
  if (len % 4 == 1 || len > ECR_JWT_MAX)
    return NULL;
  size_t padded = (len + 3) / 4 * 4;
  _cleanup_free_ char *tmp = malloc(padded + 1);
  unsigned char *out = malloc(padded / 4 * 3 + 1);
  if (!tmp || !out) {
    free(out);
    return NULL;
  }
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
               (c >= '0' && c <= '9'))) {
      free(out);
      return NULL;
    }
    tmp[i] = c;
  }
  for (size_t i = len; i < padded; i++)
    tmp[i] = '=';
  tmp[padded] = '\0';
  int n = padded ? EVP_DecodeBlock(out, (unsigned char *) tmp, (int) padded)
                 : 0;
  if (n < 0) {
    free(out);
    return NULL;
  }
  n -= (int) (padded - len);  /* EVP_DecodeBlock counts padding as zeros */
  out[n] = '\0';
  *out_len = (size_t) n;
  return out;
}

void ecr_jwt_actions_format(unsigned actions, char out[24])
{
  out[0] = '\0';
  static const char *names[] = { "pull", "push", "delete" };
  for (int i = 0; i < 3; i++) {
    if (!(actions & (1u << i)))
      continue;
    if (out[0])
      strcat(out, ",");
    strcat(out, names[i]);
  }
}

/* "pull" → bit; "*" → all; anything else → 0. */
static unsigned action_bit(const char *s, size_t len)
{
  if (len == 4 && memcmp(s, "pull", 4) == 0)
    return ECR_JWT_PULL;
  if (len == 4 && memcmp(s, "push", 4) == 0)
    return ECR_JWT_PUSH;
  if (len == 6 && memcmp(s, "delete", 6) == 0)
    return ECR_JWT_DELETE;
  if (len == 1 && s[0] == '*')
    return ECR_JWT_ALL;
  return 0;
}

static int check_resource(const char *type, const char *name, size_t nlen,
                          const char *what, struct wh_error **err)
{
  if (strcmp(type, "repository") == 0) {
    if (oci_name_check(name, nlen, err) < 0)
      return wh_error_wrap(err, "%s", what);
    return 0;
  }
  if (strcmp(type, "registry") == 0) {
    if (nlen == 7 && memcmp(name, "catalog", 7) == 0)
      return 0;
    return wh_error_set(err, WH_ERR_INVALID, "%s: registry resource must "
                        "be 'catalog'", what);
  }
  return wh_error_set(err, WH_ERR_INVALID, "%s: unknown resource type '%s' "
                      "(expected repository or registry)", what, type);
}

int ecr_scope_parse(const char *scope, struct ecr_jwt_access *out,
                    struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  size_t len = strnlen(scope, ECR_JWT_MAX_SCOPE + 1);
  if (len > ECR_JWT_MAX_SCOPE)
    return wh_error_set(err, WH_ERR_INVALID, "scope too long");
  const char *first = memchr(scope, ':', len);
  const char *last = first ? memrchr(scope, ':', len) : NULL;
  if (!first || last == first)
    return wh_error_set(err, WH_ERR_INVALID, "scope '%.*s': expected "
                        "TYPE:NAME:ACTIONS", (int) len, scope);
  size_t tlen = (size_t) (first - scope);
  /* "repository(plugin)": the class in parentheses is dropped. */
  const char *paren = memchr(scope, '(', tlen);
  if (paren) {
    if (scope[tlen - 1] != ')')
      return wh_error_set(err, WH_ERR_INVALID, "scope '%.*s': bad resource "
                          "type", (int) len, scope);
    tlen = (size_t) (paren - scope);
  }
  _cleanup_free_ char *type = strndup(scope, tlen);
  const char *name = first + 1;
  size_t nlen = (size_t) (last - name);
  char what[64];
  snprintf(what, sizeof(what), "scope '%.40s'", scope);
  if (!type)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  if (check_resource(type, name, nlen, what, err) < 0)
    return -1;
  unsigned actions = 0;
  const char *p = last + 1, *end = scope + len;
  for (;;) {
    const char *comma = memchr(p, ',', (size_t) (end - p));
    const char *stop = comma ? comma : end;
    unsigned bit = action_bit(p, (size_t) (stop - p));
    if (!bit)
      return wh_error_set(err, WH_ERR_INVALID, "%s: unknown action '%.*s' "
                          "(expected pull, push, delete or *)", what,
                          (int) (stop - p > 32 ? 32 : stop - p), p);
    actions |= bit;
    if (!comma)
      break;
    p = comma + 1;
  }
  out->type = steal_pointer(&type);
  out->name = strndup(name, nlen);
  out->actions = actions;
  if (!out->name) {
    free(out->type);
    out->type = NULL;
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  return 0;
}

int ecr_scopes_parse(const char *const *scopes, size_t n_scopes,
                     struct ecr_jwt_access **out, size_t *n_out,
                     struct wh_error **err)
{
  *out = NULL;
  *n_out = 0;
  struct ecr_jwt_access *list = calloc(ECR_JWT_MAX_ACCESS,
                                       sizeof(*list));
  if (!list)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  size_t n = 0;
  for (size_t i = 0; i < n_scopes; i++) {
    const char *p = scopes[i];
    while (*p) {
      while (*p == ' ')
        p++;
      if (!*p)
        break;
      const char *sp = strchr(p, ' ');
      size_t len = sp ? (size_t) (sp - p) : strlen(p);
      if (len > ECR_JWT_MAX_SCOPE) {
        ecr_jwt_access_free(list, n);
        return wh_error_set(err, WH_ERR_INVALID, "scope too long");
      }
      char one[ECR_JWT_MAX_SCOPE + 1];
      memcpy(one, p, len);
      one[len] = '\0';
      struct ecr_jwt_access a;
      if (ecr_scope_parse(one, &a, err) < 0) {
        ecr_jwt_access_free(list, n);
        return -1;
      }
      size_t k = 0;
      while (k < n && (strcmp(list[k].type, a.type) != 0 ||
                       strcmp(list[k].name, a.name) != 0))
        k++;
      if (k < n) {
        list[k].actions |= a.actions;
        free(a.type);
        free(a.name);
      } else if (n == ECR_JWT_MAX_ACCESS) {
        free(a.type);
        free(a.name);
        ecr_jwt_access_free(list, n);
        return wh_error_set(err, WH_ERR_INVALID, "more than %d scopes",
                            ECR_JWT_MAX_ACCESS);
      } else {
        list[n++] = a;
      }
      p += len;
    }
  }
  *out = list;
  *n_out = n;
  return 0;
}

static json_t *access_json(const struct ecr_jwt_claims *c)
{
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < c->n_access; i++) {
    const struct ecr_jwt_access *a = &c->access[i];
    json_t *actions = json_array();
    static const char *names[] = { "pull", "push", "delete" };
    for (int b = 0; actions && b < 3; b++)
      if (a->actions & (1u << b))
        json_array_append_new(actions, json_string(names[b]));
    json_t *o = json_pack("{s:s, s:s, s:o}", "type", a->type, "name",
                          a->name, "actions", actions);
    if (!o || json_array_append_new(arr, o) < 0) {
      json_decref(arr);
      return NULL;
    }
  }
  return arr;
}

static int hs256(const unsigned char *key, size_t key_len, const char *msg,
                 size_t len, unsigned char out[32])
{
  unsigned int olen = 0;
  if (!HMAC(EVP_sha256(), key, (int) key_len, (const unsigned char *) msg,
            len, out, &olen) || olen != 32)
    return -1;
  return 0;
}

char *ecr_jwt_sign(const struct ecr_jwt_claims *c, const unsigned char *key,
                   size_t key_len, struct wh_error **err)
{
  if (key_len < 32)
    return wh_error_set(err, WH_ERR_INVALID, "HS256 key must be at least "
                        "32 bytes"), NULL;
  if (!c->iss || !c->sub || !c->aud || c->exp <= 0)
    return wh_error_set(err, WH_ERR_INVALID, "token claims need iss, sub, "
                        "aud and exp"), NULL;
  char jti[WH_ID_LEN + 1];
  if (!c->jti && wh_random_id(jti, err) < 0)
    return NULL;
  _cleanup_json_ json_t *claims = json_pack(
      "{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:o*}", "iss", c->iss, "sub",
      c->sub, "aud", c->aud, "exp", (json_int_t) c->exp, "nbf",
      (json_int_t) (c->nbf ? c->nbf : c->iat), "iat", (json_int_t) c->iat,
      "jti", c->jti ? c->jti : jti, "access", access_json(c));
  if (!claims)
    return wh_error_set(err, WH_ERR_INTERNAL, "cannot build token claims"),
           NULL;
  _cleanup_free_ char *payload = wh_json_dump(claims, err);
  if (!payload)
    return NULL;
  static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
  _cleanup_free_ char *h64 = ecr_b64url_encode(header, strlen(header));
  _cleanup_free_ char *p64 = ecr_b64url_encode(payload, strlen(payload));
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  if (!h64 || !p64 || wh_buf_printf(&b, "%s.%s", h64, p64) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  unsigned char mac[32];
  if (hs256(key, key_len, b.data, b.len, mac) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "HMAC-SHA256 failed"), NULL;
  _cleanup_free_ char *s64 = ecr_b64url_encode(mac, sizeof(mac));
  if (!s64 || wh_buf_printf(&b, ".%s", s64) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  return wh_buf_steal(&b);
}

#define deny(err, ...) wh_error_set(err, WH_ERR_DENIED, __VA_ARGS__)

/* Parse errors are authentication failures to the caller. */
static void as_denied(struct wh_error **err)
{
  if (err && *err)
    (*err)->kind = WH_ERR_DENIED;
}

static json_t *decode_json(const char *s, size_t len, const char *what,
                           struct wh_error **err)
{
  size_t n;
  _cleanup_free_ unsigned char *raw = ecr_b64url_decode(s, len, &n);
  if (!raw)
    return deny(err, "token %s is not base64url", what), NULL;
  json_t *j = wh_json_parse((const char *) raw, n, what, err);
  if (!j) {
    as_denied(err);
    return NULL;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    return deny(err, "token %s is not a JSON object", what), NULL;
  }
  return j;
}

static int dup_claim(json_t *claims, const char *key, char **out,
                     struct wh_error **err)
{
  const char *s = NULL;
  if (wh_json_get_string(claims, key, key, false, &s, err) < 0)
    return -1;
  if (s && !(*out = strdup(s)))
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  return 0;
}

static int parse_access(json_t *arr, struct ecr_jwt_claims *out,
                        struct wh_error **err)
{
  size_t n = json_array_size(arr);
  if (n > ECR_JWT_MAX_ACCESS)
    return wh_error_set(err, WH_ERR_INVALID, "access: more than %d entries",
                        ECR_JWT_MAX_ACCESS);
  out->access = calloc(n ? n : 1, sizeof(*out->access));
  if (!out->access)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    json_t *e = json_array_get(arr, i), *actions = NULL;
    const char *type = NULL, *name = NULL;
    char path[48];
    snprintf(path, sizeof(path), "access[%zu]", i);
    if (!json_is_object(e))
      return wh_error_set(err, WH_ERR_INVALID, "%s: expected an object",
                          path);
    char tpath[64], npath[64], apath[64];
    snprintf(tpath, sizeof(tpath), "%s.type", path);
    snprintf(npath, sizeof(npath), "%s.name", path);
    snprintf(apath, sizeof(apath), "%s.actions", path);
    if (wh_json_get_string(e, "type", tpath, true, &type, err) < 0 ||
        wh_json_get_string(e, "name", npath, true, &name, err) < 0 ||
        wh_json_get_array(e, "actions", apath, true, &actions, err) < 0 ||
        check_resource(type, name, strlen(name), path, err) < 0)
      return -1;
    unsigned bits = 0;
    for (size_t k = 0; k < json_array_size(actions); k++) {
      json_t *a = json_array_get(actions, k);
      unsigned bit = json_is_string(a)
          ? action_bit(json_string_value(a), json_string_length(a)) : 0;
      if (!bit)
        return wh_error_set(err, WH_ERR_INVALID, "%s.actions[%zu]: expected "
                            "pull, push, delete or *", path, k);
      bits |= bit;
    }
    out->access[i].type = strdup(type);
    out->access[i].name = strdup(name);
    out->access[i].actions = bits;
    out->n_access = i + 1;
    if (!out->access[i].type || !out->access[i].name)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  return 0;
}

static int check_header(const char *s, size_t len, struct wh_error **err)
{
  _cleanup_json_ json_t *h = decode_json(s, len, "header", err);
  if (!h)
    return -1;
  const char *alg = NULL, *typ = NULL;
  if (wh_json_get_string(h, "alg", "header.alg", true, &alg, err) < 0 ||
      wh_json_get_string(h, "typ", "header.typ", false, &typ, err) < 0) {
    as_denied(err);
    return -1;
  }
  /* Only the algorithm the server signs with: "none" or a public-key alg
   * with the HMAC secret as "public key" are the classic JWT forgeries. */
  if (strcmp(alg, "HS256") != 0)
    return deny(err, "token alg must be HS256, not '%.20s'", alg);
  if (typ && strcmp(typ, "JWT") != 0)
    return deny(err, "token typ must be JWT, not '%.20s'", typ);
  if (json_object_get(h, "crit"))
    return deny(err, "token header has unsupported %s", "crit");
  return 0;
}

static int check_times(const struct ecr_jwt_claims *c,
                       const struct ecr_jwt_verify_opts *opts,
                       struct wh_error **err)
{
  int64_t leeway = opts->leeway_s < 0 ? 0
                   : opts->leeway_s == 0 ? ECR_JWT_DEFAULT_LEEWAY_S
                   : opts->leeway_s;
  if (c->exp <= 0)
    return deny(err, "token has no %s", "exp");
  if (opts->now_s > c->exp + leeway)
    return wh_error_set(err, WH_ERR_DENIED, "token expired %lld s ago",
                        (long long) (opts->now_s - c->exp));
  if (c->nbf && opts->now_s + leeway < c->nbf)
    return deny(err, "token is not valid yet (%s)", "nbf");
  if (c->iat && opts->now_s + leeway < c->iat)
    return deny(err, "token issued in the future (%s)", "iat");
  return 0;
}

static int check_aud(json_t *claims, const char *want, struct ecr_jwt_claims
                     *out, struct wh_error **err)
{
  json_t *aud = json_object_get(claims, "aud");
  bool match = false;
  if (json_is_string(aud)) {
    match = want && strcmp(json_string_value(aud), want) == 0;
    out->aud = strdup(json_string_value(aud));
  } else if (json_is_array(aud)) {
    for (size_t i = 0; i < json_array_size(aud); i++) {
      json_t *a = json_array_get(aud, i);
      if (!json_is_string(a))
        return deny(err, "token %s: expected strings", "aud");
      if (want && strcmp(json_string_value(a), want) == 0)
        match = true;
    }
    out->aud = want && match ? strdup(want) : NULL;
  } else if (aud) {
    return deny(err, "token %s: expected a string or an array", "aud");
  }
  if (want && !match)
    return deny(err, "token is not for this service (aud '%s')", want);
  return 0;
}

int ecr_jwt_verify(const char *token, const unsigned char *key,
                   size_t key_len, const struct ecr_jwt_verify_opts *opts,
                   struct ecr_jwt_claims *out, struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  size_t len = strnlen(token, ECR_JWT_MAX + 1);
  if (len > ECR_JWT_MAX)
    return deny(err, "token longer than %s bytes", "8192");
  const char *d1 = memchr(token, '.', len);
  const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t) (d1 + 1 - token))
                      : NULL;
  if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t) (d2 + 1 - token)))
    return deny(err, "token must be %s", "header.payload.signature");
  if (check_header(token, (size_t) (d1 - token), err) < 0)
    return -1;
  size_t slen;
  _cleanup_free_ unsigned char *sig =
      ecr_b64url_decode(d2 + 1, len - (size_t) (d2 + 1 - token), &slen);
  unsigned char mac[32];
  if (!sig || slen != 32)
    return deny(err, "token %s is malformed", "signature");
  if (hs256(key, key_len, token, (size_t) (d2 - token), mac) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "HMAC-SHA256 failed");
  if (CRYPTO_memcmp(mac, sig, 32) != 0)
    return deny(err, "token %s does not verify", "signature");

  _cleanup_json_ json_t *claims =
      decode_json(d1 + 1, (size_t) (d2 - d1 - 1), "claims", err);
  if (!claims)
    return -1;
  json_t *access = NULL;
  int r = dup_claim(claims, "iss", &out->iss, err);
  if (r == 0)
    r = dup_claim(claims, "sub", &out->sub, err);
  if (r == 0)
    r = dup_claim(claims, "jti", &out->jti, err);
  if (r == 0)
    r = wh_json_get_int(claims, "exp", "exp", true, &out->exp, err);
  if (r == 0)
    r = wh_json_get_int(claims, "nbf", "nbf", false, &out->nbf, err);
  if (r == 0)
    r = wh_json_get_int(claims, "iat", "iat", false, &out->iat, err);
  if (r == 0)
    r = wh_json_get_array(claims, "access", "access", false, &access, err);
  if (r == 0 && access)
    r = parse_access(access, out, err);
  if (r < 0) {
    as_denied(err);
    wh_error_wrap(err, "token claims");
  }
  if (r == 0)
    r = check_times(out, opts, err);
  if (r == 0)
    r = check_aud(claims, opts->audience, out, err);
  if (r == 0 && opts->issuer && (!out->iss ||
                                 strcmp(out->iss, opts->issuer) != 0))
    r = deny(err, "token issuer is not '%s'", opts->issuer);
  if (r < 0) {
    ecr_jwt_claims_free(out);
    return -1;
  }
  return 0;
}

bool ecr_jwt_allows(const struct ecr_jwt_claims *c, const char *name,
                    unsigned actions)
{
  unsigned have = 0;
  for (size_t i = 0; i < c->n_access; i++)
    if (strcmp(c->access[i].type, "repository") == 0 &&
        strcmp(c->access[i].name, name) == 0)
      have |= c->access[i].actions;
  return actions != 0 && (have & actions) == actions;
}

#define LOGIN_AUD "ecr-login"

char *ecr_jwt_login_token(const unsigned char *key, size_t key_len,
                          const char *issuer, const char *user, int64_t now_s,
                          int64_t ttl_s, int64_t *expires_out,
                          struct wh_error **err)
{
  struct ecr_jwt_claims c = {
    .iss = (char *) issuer, .sub = (char *) user, .aud = (char *) LOGIN_AUD,
    .exp = now_s + ttl_s, .nbf = now_s, .iat = now_s,
  };
  _cleanup_free_ char *jwt = ecr_jwt_sign(&c, key, key_len, err);
  if (!jwt)
    return NULL;
  _cleanup_free_ char *pair = NULL;
  if (asprintf(&pair, "AWS:%s", jwt) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  /* Standard base64 with padding, as ECR's token is. */
  size_t len = strlen(pair);
  char *out = malloc(4 * ((len + 2) / 3) + 1);
  if (!out)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory"), NULL;
  EVP_EncodeBlock((unsigned char *) out, (const unsigned char *) pair,
                  (int) len);
  if (expires_out)
    *expires_out = c.exp;
  return out;
}

char *ecr_jwt_login_verify(const unsigned char *key, size_t key_len,
                           const char *issuer, const char *password,
                           int64_t now_s, struct wh_error **err)
{
  struct ecr_jwt_verify_opts o = { .now_s = now_s, .issuer = issuer,
                                   .audience = LOGIN_AUD };
  struct ecr_jwt_claims c;
  if (ecr_jwt_verify(password, key, key_len, &o, &c, err) < 0)
    return NULL;
  char *user = c.sub ? strdup(c.sub) : NULL;
  ecr_jwt_claims_free(&c);
  if (!user)
    return wh_error_set(err, WH_ERR_DENIED, "login token names no user"),
           NULL;
  return user;
}
