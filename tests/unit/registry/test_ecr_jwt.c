/* test_ecr_jwt.c: bearer tokens and scopes (ecr_jwt.c).
 *
 * Interop vectors:
 *  - RFC 7515 appendix A.1 (the JWS HS256 example), verified as published.
 *  - A token made once by Debian's python3-jwt 2.6 (PyJWT) with
 *      jwt.encode(PYJWT_CLAIMS, PYJWT_KEY, algorithm="HS256")
 *    where PYJWT_CLAIMS is the dict spelled out in pyjwt_claims() below (same
 *    key order). PyJWT serializes compactly like jansson, so ecr_jwt_sign()
 *    must produce the very same bytes, and verify PyJWT's token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/error.h"
#include "registry/ecr_jwt.h"

#define PYJWT_KEY "wharf-test-token-key-0123456789abcdef"
#define PYJWT_TOKEN \
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ3aGFyZi1yZWdpc3RyeSIsInN1" \
  "YiI6ImFsaWNlIiwiYXVkIjoiMTI3LjAuMC4xOjUwMDAiLCJleHAiOjE3OTU0NTIwMDAsIm5i" \
  "ZiI6MTc5NTQ1MTcwMCwiaWF0IjoxNzk1NDUxNzAwLCJqdGkiOiJjMGZmZWUwMGMwZmZlZTAw" \
  "YzBmZmVlMDAiLCJhY2Nlc3MiOlt7InR5cGUiOiJyZXBvc2l0b3J5IiwibmFtZSI6InRlYW0v" \
  "YXBwIiwiYWN0aW9ucyI6WyJwdWxsIiwicHVzaCJdfSx7InR5cGUiOiJyZXBvc2l0b3J5Iiwi" \
  "bmFtZSI6ImJhc2UiLCJhY3Rpb25zIjpbInB1bGwiXX1dfQ." \
  "mMtQD4Ju6M3K3GaWLWQ6_VCJ-6eFaHPjwwUQVg8UT60"
#define PYJWT_IAT 1795451700
#define PYJWT_EXP 1795452000

static const unsigned char *key(void)
{
  return (const unsigned char *) PYJWT_KEY;
}

static struct ecr_jwt_access pyjwt_access[] = {
  { "repository", "team/app", ECR_JWT_PULL | ECR_JWT_PUSH },
  { "repository", "base", ECR_JWT_PULL },
};

static struct ecr_jwt_claims pyjwt_claims(void)
{
  return (struct ecr_jwt_claims) {
    .iss = "wharf-registry", .sub = "alice", .aud = "127.0.0.1:5000",
    .exp = PYJWT_EXP, .nbf = PYJWT_IAT, .iat = PYJWT_IAT,
    .jti = "c0ffee00c0ffee00c0ffee00", .access = pyjwt_access,
    .n_access = 2,
  };
}

static struct ecr_jwt_verify_opts opts_at(int64_t now)
{
  return (struct ecr_jwt_verify_opts) {
    .now_s = now, .leeway_s = 30, .issuer = "wharf-registry",
    .audience = "127.0.0.1:5000",
  };
}

static void sign_matches_pyjwt_bytes(void **state)
{
  (void) state;
  struct ecr_jwt_claims c = pyjwt_claims();
  char *t = ecr_jwt_sign(&c, key(), strlen(PYJWT_KEY), NULL);
  assert_non_null(t);
  assert_string_equal(t, PYJWT_TOKEN);
  free(t);
}

static void verify_pyjwt_token(void **state)
{
  (void) state;
  struct ecr_jwt_claims c;
  struct ecr_jwt_verify_opts o = opts_at(PYJWT_IAT + 10);
  struct wh_error *err = NULL;
  if (ecr_jwt_verify(PYJWT_TOKEN, key(), strlen(PYJWT_KEY), &o, &c, &err) < 0)
    fail_msg("%s", err->msg);
  assert_string_equal(c.iss, "wharf-registry");
  assert_string_equal(c.sub, "alice");
  assert_string_equal(c.aud, "127.0.0.1:5000");
  assert_string_equal(c.jti, "c0ffee00c0ffee00c0ffee00");
  assert_int_equal(c.exp, PYJWT_EXP);
  assert_int_equal(c.n_access, 2);
  assert_string_equal(c.access[0].name, "team/app");
  assert_int_equal(c.access[0].actions, ECR_JWT_PULL | ECR_JWT_PUSH);
  assert_true(ecr_jwt_allows(&c, "team/app", ECR_JWT_PUSH));
  assert_true(ecr_jwt_allows(&c, "team/app", ECR_JWT_PULL | ECR_JWT_PUSH));
  assert_true(ecr_jwt_allows(&c, "base", ECR_JWT_PULL));
  assert_false(ecr_jwt_allows(&c, "base", ECR_JWT_PUSH));
  assert_false(ecr_jwt_allows(&c, "base", ECR_JWT_PULL | ECR_JWT_DELETE));
  assert_false(ecr_jwt_allows(&c, "team/app", ECR_JWT_DELETE));
  assert_false(ecr_jwt_allows(&c, "team", ECR_JWT_PULL));
  assert_false(ecr_jwt_allows(&c, "team/app", 0));
  ecr_jwt_claims_free(&c);
}

/* RFC 7515 A.1: key is the base64url JWK "k"; the payload has an extra
 * claim and CRLFs, and no aud or access. */
static void verify_rfc7515_example(void **state)
{
  (void) state;
  static const char k64[] = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS"
                            "0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
  static const char token[] =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxl"
      "LmNvbS9pc19yb290Ijp0cnVlfQ."
      "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  size_t klen;
  unsigned char *k = ecr_b64url_decode(k64, strlen(k64), &klen);
  assert_non_null(k);
  assert_int_equal(klen, 64);
  struct ecr_jwt_claims c;
  struct ecr_jwt_verify_opts o = { .now_s = 1300819000 };
  struct wh_error *err = NULL;
  if (ecr_jwt_verify(token, k, klen, &o, &c, &err) < 0)
    fail_msg("%s", err->msg);
  assert_string_equal(c.iss, "joe");
  assert_int_equal(c.exp, 1300819380);
  assert_int_equal(c.n_access, 0);
  assert_false(ecr_jwt_allows(&c, "joe", ECR_JWT_PULL));
  ecr_jwt_claims_free(&c);
  /* And it is expired now that the leeway is over. */
  o.now_s = 1300819380 + ECR_JWT_DEFAULT_LEEWAY_S + 1;
  assert_int_equal(ecr_jwt_verify(token, k, klen, &o, &c, &err), -1);
  assert_non_null(strstr(err->msg, "expired"));
  wh_error_free(err);
  free(k);
}

static void expect_denied(const char *token, struct ecr_jwt_verify_opts o,
                          const char *want)
{
  struct ecr_jwt_claims c;
  struct wh_error *err = NULL;
  if (ecr_jwt_verify(token, key(), strlen(PYJWT_KEY), &o, &c, &err) == 0)
    fail_msg("accepted, wanted '%s'", want);
  assert_non_null(err);
  assert_int_equal(err->kind, WH_ERR_DENIED);
  if (!strstr(err->msg, want))
    fail_msg("message '%s' lacks '%s'", err->msg, want);
  assert_null(c.sub);
  wh_error_free(err);
}

static void times_issuer_audience(void **state)
{
  (void) state;
  struct ecr_jwt_verify_opts o = opts_at(PYJWT_EXP + 31);
  expect_denied(PYJWT_TOKEN, o, "token expired 31 s ago");
  o = opts_at(PYJWT_IAT - 31);
  expect_denied(PYJWT_TOKEN, o, "not valid yet");
  o = opts_at(PYJWT_IAT + 10);
  o.audience = "other:5000";
  expect_denied(PYJWT_TOKEN, o, "not for this service");
  o = opts_at(PYJWT_IAT + 10);
  o.issuer = "someone-else";
  expect_denied(PYJWT_TOKEN, o, "issuer");
  /* Inside the leeway both ways. */
  struct ecr_jwt_claims c;
  o = opts_at(PYJWT_EXP + 29);
  assert_int_equal(ecr_jwt_verify(PYJWT_TOKEN, key(), strlen(PYJWT_KEY), &o,
                                  &c, NULL), 0);
  ecr_jwt_claims_free(&c);
  o = opts_at(PYJWT_IAT - 29);
  assert_int_equal(ecr_jwt_verify(PYJWT_TOKEN, key(), strlen(PYJWT_KEY), &o,
                                  &c, NULL), 0);
  ecr_jwt_claims_free(&c);
}

/* header.payload signed with HS256 under the test key, whatever the
 * header says: the checks below must refuse on the header or the claims,
 * not on the signature. */
static char *forge(const char *header, const char *payload)
{
  char *h = ecr_b64url_encode(header, strlen(header));
  char *p = ecr_b64url_encode(payload, strlen(payload));
  char *hp = NULL, *out = NULL;
  assert_true(asprintf(&hp, "%s.%s", h, p) > 0);
  unsigned char mac[32];
  unsigned int len = 0;
  assert_non_null(HMAC(EVP_sha256(), PYJWT_KEY, (int) strlen(PYJWT_KEY),
                       (const unsigned char *) hp, strlen(hp), mac, &len));
  char *sig = ecr_b64url_encode(mac, len);
  assert_true(asprintf(&out, "%s.%s", hp, sig) > 0);
  free(h);
  free(p);
  free(hp);
  free(sig);
  return out;
}

static void tampering_and_alg_confusion(void **state)
{
  (void) state;
  struct ecr_jwt_verify_opts o = opts_at(PYJWT_IAT + 10);
  const char *payload = "{\"iss\":\"wharf-registry\",\"sub\":\"alice\","
                        "\"aud\":\"127.0.0.1:5000\",\"exp\":1795452000}";
  char *t = forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload);
  expect_denied(t, o, "alg must be HS256, not 'none'");
  free(t);
  t = forge("{\"alg\":\"RS256\"}", payload);
  expect_denied(t, o, "alg must be HS256");
  free(t);
  t = forge("{\"typ\":\"JWT\"}", payload);
  expect_denied(t, o, "alg");
  free(t);
  t = forge("{\"alg\":\"HS256\",\"crit\":[\"x\"]}", payload);
  expect_denied(t, o, "crit");
  free(t);
  t = forge("{\"alg\":\"HS256\",\"alg\":\"none\"}", payload);
  expect_denied(t, o, "duplicate");
  free(t);
  /* The same claims under a proper header verify. */
  t = forge("{\"alg\":\"HS256\"}", payload);
  struct ecr_jwt_claims ok;
  assert_int_equal(ecr_jwt_verify(t, key(), strlen(PYJWT_KEY), &o, &ok, NULL),
                   0);
  ecr_jwt_claims_free(&ok);
  t[strlen(t) - 3] = '\0';
  expect_denied(t, o, "signature is malformed");
  free(t);

  /* Flip one byte of the payload: the signature no longer verifies. */
  char *bad = strdup(PYJWT_TOKEN);
  char *dot = strchr(bad, '.');
  dot[5] = dot[5] == 'A' ? 'B' : 'A';
  expect_denied(bad, o, "signature does not verify");
  free(bad);
  /* Wrong key. */
  struct ecr_jwt_claims c;
  struct wh_error *err = NULL;
  assert_int_equal(ecr_jwt_verify(PYJWT_TOKEN,
                                  (const unsigned char *) "wrong-key-wrong-"
                                  "key-wrong-key-wrong", 35, &o, &c, &err),
                   -1);
  assert_non_null(strstr(err->msg, "does not verify"));
  wh_error_free(err);

  expect_denied("abc", o, "header.payload.signature");
  expect_denied("a.b.c.d", o, "header.payload.signature");
  expect_denied("..", o, "header");
  expect_denied("eyJhbGciOiJIUzI1NiJ9.e30.e30=", o, "signature is malformed");
  char *huge = malloc(ECR_JWT_MAX + 10);
  memset(huge, 'a', ECR_JWT_MAX + 9);
  huge[ECR_JWT_MAX + 9] = '\0';
  expect_denied(huge, o, "longer than");
  free(huge);
}

static void bad_claims_are_named(void **state)
{
  (void) state;
  static const struct { const char *payload, *want; } cases[] = {
    { "{\"sub\":\"a\"}", "exp" },
    { "{\"exp\":\"soon\"}", "exp" },
    { "{\"exp\":1795452000,\"sub\":5}", "sub" },
    { "{\"exp\":1795452000,\"access\":{}}", "access" },
    { "{\"exp\":1795452000,\"access\":[{\"type\":\"repository\","
      "\"name\":\"UPPER\",\"actions\":[\"pull\"]}]}", "access[0]" },
    { "{\"exp\":1795452000,\"access\":[{\"type\":\"repository\","
      "\"name\":\"a\",\"actions\":[\"pull\",\"fly\"]}]}",
      "access[0].actions[1]" },
    { "{\"exp\":1795452000,\"access\":[{\"type\":\"blob\","
      "\"name\":\"a\",\"actions\":[]}]}", "unknown resource type" },
    { "[1,2]", "not a JSON object" },
    { "{\"exp\":1795452000,\"aud\":7}", "aud" },
  };
  struct ecr_jwt_verify_opts o = { .now_s = PYJWT_IAT };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *t = forge("{\"alg\":\"HS256\"}", cases[i].payload);
    expect_denied(t, o, cases[i].want);
    free(t);
  }
}

static void sign_requires_claims_and_key(void **state)
{
  (void) state;
  struct ecr_jwt_claims c = pyjwt_claims();
  struct wh_error *err = NULL;
  assert_null(ecr_jwt_sign(&c, key(), 16, &err));
  assert_non_null(strstr(err->msg, "32 bytes"));
  wh_error_free(err);
  err = NULL;
  c.aud = NULL;
  assert_null(ecr_jwt_sign(&c, key(), strlen(PYJWT_KEY), &err));
  assert_non_null(strstr(err->msg, "aud"));
  wh_error_free(err);
  /* Without jti a random one is made: two tokens differ. */
  c = pyjwt_claims();
  c.jti = NULL;
  char *a = ecr_jwt_sign(&c, key(), strlen(PYJWT_KEY), NULL);
  char *b = ecr_jwt_sign(&c, key(), strlen(PYJWT_KEY), NULL);
  assert_string_not_equal(a, b);
  struct ecr_jwt_claims v;
  struct ecr_jwt_verify_opts o = opts_at(PYJWT_IAT);
  assert_int_equal(ecr_jwt_verify(a, key(), strlen(PYJWT_KEY), &o, &v, NULL),
                   0);
  assert_non_null(v.jti);
  assert_true(strlen(v.jti) > 8);
  ecr_jwt_claims_free(&v);
  free(a);
  free(b);
}

static void scopes(void **state)
{
  (void) state;
  struct ecr_jwt_access a;
  assert_int_equal(ecr_scope_parse("repository:team/app:pull,push", &a, NULL),
                   0);
  assert_string_equal(a.type, "repository");
  assert_string_equal(a.name, "team/app");
  assert_int_equal(a.actions, ECR_JWT_PULL | ECR_JWT_PUSH);
  free(a.type);
  free(a.name);
  assert_int_equal(ecr_scope_parse("repository(plugin):p:*", &a, NULL), 0);
  assert_string_equal(a.type, "repository");
  assert_int_equal(a.actions, ECR_JWT_ALL);
  free(a.type);
  free(a.name);
  assert_int_equal(ecr_scope_parse("registry:catalog:*", &a, NULL), 0);
  free(a.type);
  free(a.name);

  static const struct { const char *scope, *want; } bad[] = {
    { "repository:app", "TYPE:NAME:ACTIONS" },
    { "app", "TYPE:NAME:ACTIONS" },
    { "repository:App:pull", "repository:App:pull" },
    { "repository:a/../b:pull", "scope" },
    { "repository::pull", "scope" },
    { "repository:app:", "unknown action ''" },
    { "repository:app:pull,,push", "unknown action ''" },
    { "repository:app:fly", "unknown action 'fly'" },
    { "repository:localhost:5000/app:pull", "scope" },
    { "blob:app:pull", "unknown resource type 'blob'" },
    { "registry:other:*", "must be 'catalog'" },
    { "repository(plugin:app:pull", "bad resource type" },
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct wh_error *err = NULL;
    if (ecr_scope_parse(bad[i].scope, &a, &err) == 0)
      fail_msg("'%s' accepted", bad[i].scope);
    assert_int_equal(err->kind, WH_ERR_INVALID);
    if (!strstr(err->msg, bad[i].want))
      fail_msg("'%s': message '%s' lacks '%s'", bad[i].scope, err->msg,
               bad[i].want);
    assert_null(a.type);
    wh_error_free(err);
  }

  const char *params[] = { "repository:a:pull", "repository:b:push "
                           "repository:a:push  registry:catalog:*", "" };
  struct ecr_jwt_access *list;
  size_t n;
  assert_int_equal(ecr_scopes_parse(params, 3, &list, &n, NULL), 0);
  assert_int_equal(n, 3);
  assert_string_equal(list[0].name, "a");
  assert_int_equal(list[0].actions, ECR_JWT_PULL | ECR_JWT_PUSH);
  assert_string_equal(list[1].name, "b");
  assert_string_equal(list[2].type, "registry");
  ecr_jwt_access_free(list, n);
  const char *badp[] = { "repository:a:pull", "repository:B:pull" };
  struct wh_error *err = NULL;
  assert_int_equal(ecr_scopes_parse(badp, 2, &list, &n, &err), -1);
  assert_null(list);
  wh_error_free(err);

  char buf[24];
  ecr_jwt_actions_format(ECR_JWT_ALL, buf);
  assert_string_equal(buf, "pull,push,delete");
  ecr_jwt_actions_format(ECR_JWT_DELETE, buf);
  assert_string_equal(buf, "delete");
}

/* GetAuthorizationToken round trip: base64("AWS:" + password), the
 * password verifies as a login for the user, and is useless as a bearer
 * token (audience) and after 12 hours. */
static void login_token(void **state)
{
  (void) state;
  int64_t exp = 0;
  char *tok = ecr_jwt_login_token(key(), strlen(PYJWT_KEY), "wharf-registry",
                                  "alice", PYJWT_IAT, 12 * 3600, &exp, NULL);
  assert_non_null(tok);
  assert_int_equal(exp, PYJWT_IAT + 12 * 3600);
  unsigned char raw[2048];
  int n = EVP_DecodeBlock(raw, (const unsigned char *) tok, (int) strlen(tok));
  assert_true(n > 4);
  while (n > 0 && raw[n - 1] == '\0')
    n--;  /* EVP_DecodeBlock counts padding as zero bytes */
  raw[n] = '\0';
  assert_memory_equal(raw, "AWS:", 4);
  const char *password = (const char *) raw + 4;
  char *user = ecr_jwt_login_verify(key(), strlen(PYJWT_KEY), "wharf-registry",
                                    password, PYJWT_IAT + 3600, NULL);
  assert_non_null(user);
  assert_string_equal(user, "alice");
  free(user);
  struct wh_error *err = NULL;
  assert_null(ecr_jwt_login_verify(key(), strlen(PYJWT_KEY), "wharf-registry",
                                   password, PYJWT_IAT + 13 * 3600, &err));
  assert_non_null(strstr(err->msg, "expired"));
  wh_error_free(err);
  struct ecr_jwt_verify_opts o = opts_at(PYJWT_IAT + 10);
  expect_denied(password, o, "not for this service");
  /* And a bearer token is not a login password. */
  err = NULL;
  assert_null(ecr_jwt_login_verify(key(), strlen(PYJWT_KEY), "wharf-registry",
                                   PYJWT_TOKEN, PYJWT_IAT + 10, &err));
  assert_int_equal(err->kind, WH_ERR_DENIED);
  wh_error_free(err);
  free(tok);
}

static void base64url(void **state)
{
  (void) state;
  static const struct { const char *plain, *enc; } v[] = {
    { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
    { "foob", "Zm9vYg" }, { "\xfb\xff\xbf", "-_-_" },
  };
  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    char *e = ecr_b64url_encode(v[i].plain, strlen(v[i].plain));
    assert_string_equal(e, v[i].enc);
    free(e);
    size_t n;
    unsigned char *d = ecr_b64url_decode(v[i].enc, strlen(v[i].enc), &n);
    assert_non_null(d);
    assert_int_equal(n, strlen(v[i].plain));
    assert_memory_equal(d, v[i].plain, n);
    free(d);
  }
  size_t n;
  assert_null(ecr_b64url_decode("Zg==", 4, &n));
  assert_null(ecr_b64url_decode("Z", 1, &n));
  assert_null(ecr_b64url_decode("Zm+v", 4, &n));
  assert_null(ecr_b64url_decode("Zm v", 4, &n));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(sign_matches_pyjwt_bytes),
    cmocka_unit_test(verify_pyjwt_token),
    cmocka_unit_test(verify_rfc7515_example),
    cmocka_unit_test(times_issuer_audience),
    cmocka_unit_test(tampering_and_alg_confusion),
    cmocka_unit_test(bad_claims_are_named),
    cmocka_unit_test(sign_requires_claims_and_key),
    cmocka_unit_test(scopes),
    cmocka_unit_test(login_token),
    cmocka_unit_test(base64url),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
