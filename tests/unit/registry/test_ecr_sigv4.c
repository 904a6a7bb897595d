/* test_ecr_sigv4.c: SigV4 verification (ecr_sigv4.c).
 *
 * Two sources of truth:
 *  - AWS's published Signature Version 4 test suite (credentials
 *    AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, region
 *    us-east-1, service "service", 20150830T123600Z): each case's request
 *    and its published Authorization header.
 *  - A request signed by Debian's python3-botocore 1.29 (what awscli 2.9
 *    uses), generated once with /usr/bin/python3:
 *
 *      from unittest import mock; import datetime
 *      from botocore.auth import SigV4Auth
 *      from botocore.awsrequest import AWSRequest
 *      from botocore.credentials import Credentials
 *      req = AWSRequest(method="POST", url="http://127.0.0.1:5000/",
 *          data=BOTO_BODY, headers={"X-Amz-Target": BOTO_TARGET,
 *          "Content-Type": "application/x-amz-json-1.1",
 *          "User-Agent": BOTO_UA})
 *      with mock.patch("botocore.auth.datetime") as dt:
 *          dt.datetime.utcnow.return_value = \
 *              datetime.datetime(2026, 11, 23, 16, 30, 5)
 *          SigV4Auth(Credentials(BOTO_KEY, BOTO_SECRET), "ecr",
 *                    "us-east-1").add_auth(req)
 *      print(req.headers["Authorization"])
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "base/error.h"
#include "registry/ecr_sigv4.h"

#define AWS_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define AWS_DATE "20150830T123600Z"
#define AWS_NOW 1440938160 /* 2015-08-30T12:36:00Z */
#define AWS_CRED "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/" \
                 "us-east-1/service/aws4_request, "

static void sha256_hex(const char *body, char out[65])
{
  unsigned char md[32];
  SHA256((const unsigned char *) body, strlen(body), md);
  for (int i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", md[i]);
}

struct vec {
  const char *name;
  const char *method;
  const char *path;
  const char *query;
  struct ecr_sigv4_header extra[4];  /* besides host and x-amz-date */
  const char *body;
  const char *authorization;
};

#define SIG(sh, s) AWS_CRED "SignedHeaders=" sh ", Signature=" s

static const struct vec aws_suite[] = {
  { "get-vanilla", "GET", "/", NULL, { { NULL, NULL } }, "",
    SIG("host;x-amz-date",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31") },
  /* get-relative-relative, get-slash-dot-slash, get-slash: the path
   * normalizes to "/" so the canonical request and the signature are
   * get-vanilla's. */
  { "get-relative-relative", "GET", "/example1/example2/../..", NULL,
    { { NULL, NULL } }, "",
    SIG("host;x-amz-date",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31") },
  { "get-slash-dot-slash", "GET", "/./", NULL, { { NULL, NULL } }, "",
    SIG("host;x-amz-date",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31") },
  { "get-slash", "GET", "//", NULL, { { NULL, NULL } }, "",
    SIG("host;x-amz-date",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31") },
  { "get-vanilla-query-order-key-case", "GET", "/",
    "Param2=value2&Param1=value1", { { NULL, NULL } }, "",
    SIG("host;x-amz-date",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500") },
  { "get-vanilla-query-unreserved", "GET", "/",
    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    { { NULL, NULL } }, "",
    SIG("host;x-amz-date",
        "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197") },
  { "get-vanilla-utf8-query", "GET", "/", "\xe1\x88\xb4=bar",
    { { NULL, NULL } }, "",
    SIG("host;x-amz-date",
        "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04") },
  { "get-unreserved", "GET",
    "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    NULL, { { NULL, NULL } }, "",
    SIG("host;x-amz-date",
        "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f") },
  { "get-utf8", "GET", "/\xe1\x88\xb4", NULL, { { NULL, NULL } }, "",
    SIG("host;x-amz-date",
        "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85") },
  { "get-header-value-trim", "GET", "/", NULL,
    { { "My-Header1", " value1" }, { "My-Header2", " \"a   b   c\"" } }, "",
    SIG("host;my-header1;my-header2;x-amz-date",
        "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736") },
  { "get-header-key-duplicate", "GET", "/", NULL,
    { { "My-Header1", "value2" }, { "My-Header1", "value2" },
      { "My-Header1", "value1" } }, "",
    SIG("host;my-header1;x-amz-date",
        "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea") },
  { "get-header-value-order", "GET", "/", NULL,
    { { "My-Header1", "value4" }, { "My-Header1", "value1" },
      { "My-Header1", "value3" }, { "My-Header1", "value2" } }, "",
    SIG("host;my-header1;x-amz-date",
        "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01") },
  { "post-vanilla", "POST", "/", NULL, { { NULL, NULL } }, "",
    SIG("host;x-amz-date",
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b") },
  { "post-vanilla-query", "POST", "/", "Param1=value1", { { NULL, NULL } },
    "", SIG("host;x-amz-date",
            "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11") },
  { "post-header-value-case", "POST", "/", NULL,
    { { "My-Header1", "VALUE1" } }, "",
    SIG("host;my-header1;x-amz-date",
        "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d") },
  { "post-x-www-form-urlencoded", "POST", "/", NULL,
    { { "Content-Type", "application/x-www-form-urlencoded" } },
    "Param1=value1",
    SIG("content-type;host;x-amz-date",
        "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a") },
};

struct built {
  struct ecr_sigv4_header h[8];
  char payload[65];
  struct ecr_sigv4_request req;
};

static void build(const struct vec *v, struct built *b)
{
  size_t n = 0;
  b->h[n++] = (struct ecr_sigv4_header) { "Host", "example.amazonaws.com" };
  b->h[n++] = (struct ecr_sigv4_header) { "X-Amz-Date", AWS_DATE };
  for (size_t i = 0; i < 4 && v->extra[i].name; i++)
    b->h[n++] = v->extra[i];
  sha256_hex(v->body, b->payload);
  b->req = (struct ecr_sigv4_request) {
    .method = v->method, .path = v->path, .query = v->query,
    .headers = b->h, .n_headers = n, .payload_sha256 = b->payload,
  };
}

static int verify_vec(const struct vec *v, const char *secret, int64_t now,
                      enum ecr_sigv4_code *code, struct wh_error **err)
{
  struct built b;
  build(v, &b);
  struct ecr_sigv4_auth auth;
  if (ecr_sigv4_parse_authorization(v->authorization, &auth, code, err) < 0)
    return -1;
  struct ecr_sigv4_opts opts = { .now_s = now, .region = "us-east-1",
                                 .service = "service" };
  int r = ecr_sigv4_verify(&b.req, &auth, secret, strlen(secret), &opts, code,
                           err);
  ecr_sigv4_auth_free(&auth);
  return r;
}

static void aws_suite_verifies(void **state)
{
  (void) state;
  for (size_t i = 0; i < sizeof(aws_suite) / sizeof(aws_suite[0]); i++) {
    struct wh_error *err = NULL;
    enum ecr_sigv4_code code;
    if (verify_vec(&aws_suite[i], AWS_SECRET, AWS_NOW, &code, &err) < 0)
      fail_msg("%s: %s", aws_suite[i].name, err ? err->msg : "?");
    assert_int_equal(code, ECR_SIGV4_OK);
  }
}

/* The intermediate strings of get-vanilla, as the suite publishes them. */
static void aws_get_vanilla_intermediates(void **state)
{
  (void) state;
  struct built b;
  build(&aws_suite[0], &b);
  struct ecr_sigv4_auth auth;
  enum ecr_sigv4_code code;
  assert_int_equal(ecr_sigv4_parse_authorization(aws_suite[0].authorization,
                                                 &auth, &code, NULL), 0);
  assert_string_equal(auth.access_key_id, "AKIDEXAMPLE");
  assert_string_equal(auth.date, "20150830");
  assert_string_equal(auth.region, "us-east-1");
  assert_string_equal(auth.service, "service");
  assert_int_equal(auth.n_signed, 2);
  char *creq = ecr_sigv4_canonical_request(&b.req, &auth, false, NULL);
  assert_non_null(creq);
  assert_string_equal(creq,
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  char *sts = ecr_sigv4_string_to_sign(AWS_DATE, &auth, creq);
  assert_string_equal(sts,
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
      "aws4_request\n"
      "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  unsigned char key[32];
  char sig[65];
  assert_int_equal(ecr_sigv4_signing_key(AWS_SECRET, strlen(AWS_SECRET),
                                         "20150830", "us-east-1", "service",
                                         key, NULL), 0);
  assert_int_equal(ecr_sigv4_sign(key, sts, sig, NULL), 0);
  assert_string_equal(sig, auth.signature);
  free(creq);
  free(sts);
  ecr_sigv4_auth_free(&auth);
}

static void aws_query_canonical_forms(void **state)
{
  (void) state;
  static const struct { const char *query, *want; } cases[] = {
    { "Param2=value2&Param1=value1", "Param1=value1&Param2=value2" },
    { "Param=Value2&Param=Value1", "Param=Value1&Param=Value2" },
    { "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
      "%E1%88%B4=Value1&Param=Value2&Param-3=Value3" },
    { "@#$%^=&+=/,?><`\";:\\|][{}",
      "%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D&%40%23%24%25%5E=" },
    { "p=", "p=" },
    { "a%20b=c%2fd", "a%20b=c%2Fd" },
    { "flag&&x=1", "flag=&x=1" },
  };
  const char *names[] = { "host", NULL };
  struct ecr_sigv4_auth auth = { .signed_headers = (char **) names,
                                 .n_signed = 1 };
  struct ecr_sigv4_header h[] = { { "host", "h" } };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct ecr_sigv4_request req = {
      .method = "GET", .path = "/", .query = cases[i].query, .headers = h,
      .n_headers = 1, .payload_sha256 = "00",
    };
    char *creq = ecr_sigv4_canonical_request(&req, &auth, false, NULL);
    assert_non_null(creq);
    char want[512];
    snprintf(want, sizeof(want), "GET\n/\n%s\nhost:h\n\nhost\n00",
             cases[i].want);
    assert_string_equal(creq, want);
    free(creq);
  }
}

/* botocore's canonical request for an already-encoded path with dot
 * segments and a query, from /usr/bin/python3 with python3-botocore:
 *   req = AWSRequest(method="GET", url="http://h/a/%E1%88%B4/./b/../c"
 *                    "?b=2&a=x%20y&a=1&flag", data=b"")
 *   req.headers["X-Amz-Date"] = "20261123T163005Z"
 *   SigV4Auth(Credentials("AKID", "s"), "ecr", "us-east-1")
 *       .canonical_request(req)
 * The wire path is encoded again, as botocore does for every service but
 * S3. */
static void botocore_canonical_path_and_query(void **state)
{
  (void) state;
  const char *names[] = { "host", "x-amz-date", NULL };
  struct ecr_sigv4_auth auth = { .signed_headers = (char **) names,
                                 .n_signed = 2 };
  struct ecr_sigv4_header h[] = { { "Host", "h" },
                                  { "X-Amz-Date", "20261123T163005Z" } };
  struct ecr_sigv4_request req = {
    .method = "GET", .path = "/a/%E1%88%B4/./b/../c",
    .query = "b=2&a=x%20y&a=1&flag", .headers = h, .n_headers = 2,
    .payload_sha256 =
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  };
  char *creq = ecr_sigv4_canonical_request(&req, &auth, false, NULL);
  assert_non_null(creq);
  assert_string_equal(creq,
      "GET\n/a/%25E1%2588%25B4/c\na=1&a=x%20y&b=2&flag=\nhost:h\n"
      "x-amz-date:20261123T163005Z\n\nhost;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  free(creq);
}

#define BOTO_KEY "AKIAWHARFTEST0001"
#define BOTO_SECRET "wharf/SecretKey+Example0123456789abcdefgh"
#define BOTO_TARGET "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"
#define BOTO_UA "aws-cli/2.9.19 Python/3.11.2 Linux/6.1 source/x86_64.debian.12"
#define BOTO_BODY "{\"repositoryNames\": [\"team/app\"], \"maxResults\": 10}"
#define BOTO_AUTH "AWS4-HMAC-SHA256 Credential=AKIAWHARFTEST0001/20261123/" \
  "us-east-1/ecr/aws4_request, SignedHeaders=content-type;host;x-amz-date;" \
  "x-amz-target, Signature=" \
  "c53bb4229d7d372495e2c8f7779c1d6b375c482c15146dc058d4c300d30bfcc4"
#define BOTO_NOW 1795451405 /* 2026-11-23T16:30:05Z */

static int boto_verify(const char *body, const char *secret, int64_t now,
                       const char *target, enum ecr_sigv4_code *code,
                       struct wh_error **err)
{
  struct ecr_sigv4_header h[] = {
    { "Host", "127.0.0.1:5000" },
    { "X-Amz-Target", target },
    { "Content-Type", "application/x-amz-json-1.1" },
    { "User-Agent", BOTO_UA },
    { "X-Amz-Date", "20261123T163005Z" },
    { "Authorization", BOTO_AUTH },
  };
  char payload[65];
  sha256_hex(body, payload);
  struct ecr_sigv4_request req = {
    .method = "POST", .path = "/", .query = "", .headers = h,
    .n_headers = 6, .payload_sha256 = payload,
  };
  struct ecr_sigv4_auth auth;
  if (ecr_sigv4_parse_authorization(BOTO_AUTH, &auth, code, err) < 0)
    return -1;
  struct ecr_sigv4_opts opts = { .now_s = now, .region = "us-east-1",
                                 .service = "ecr" };
  int r = ecr_sigv4_verify(&req, &auth, secret, strlen(secret), &opts, code,
                           err);
  ecr_sigv4_auth_free(&auth);
  return r;
}

static void botocore_request_verifies(void **state)
{
  (void) state;
  enum ecr_sigv4_code code;
  struct wh_error *err = NULL;
  if (boto_verify(BOTO_BODY, BOTO_SECRET, BOTO_NOW, BOTO_TARGET, &code,
                  &err) < 0)
    fail_msg("%s", err->msg);
  /* 14 minutes either side is still fresh. */
  assert_int_equal(boto_verify(BOTO_BODY, BOTO_SECRET, BOTO_NOW + 14 * 60,
                               BOTO_TARGET, &code, NULL), 0);
  assert_int_equal(boto_verify(BOTO_BODY, BOTO_SECRET, BOTO_NOW - 14 * 60,
                               BOTO_TARGET, &code, NULL), 0);
}

static void expect_refused(int r, enum ecr_sigv4_code code,
                           enum ecr_sigv4_code want, struct wh_error *err,
                           const char *want_msg)
{
  assert_int_equal(r, -1);
  assert_int_equal(code, want);
  assert_non_null(err);
  assert_int_equal(err->kind, WH_ERR_DENIED);
  if (!strstr(err->msg, want_msg))
    fail_msg("message '%s' lacks '%s'", err->msg, want_msg);
  wh_error_free(err);
}

static void botocore_tampering_is_refused(void **state)
{
  (void) state;
  enum ecr_sigv4_code code;
  struct wh_error *err = NULL;
  int r = boto_verify(BOTO_BODY, "wharf/SecretKey+Example0123456789abcdefgi",
                      BOTO_NOW, BOTO_TARGET, &code, &err);
  expect_refused(r, code, ECR_SIGV4_BAD_SIGNATURE, err, "does not match");
  assert_string_equal(ecr_sigv4_code_name(code), "InvalidSignatureException");
  err = NULL;
  r = boto_verify("{\"repositoryNames\": [\"team/other\"], \"maxResults\": 10}",
                  BOTO_SECRET, BOTO_NOW, BOTO_TARGET, &code, &err);
  expect_refused(r, code, ECR_SIGV4_BAD_SIGNATURE, err, "does not match");
  err = NULL;
  r = boto_verify(BOTO_BODY, BOTO_SECRET, BOTO_NOW,
                  "AmazonEC2ContainerRegistry_V20150921.DeleteRepository",
                  &code, &err);
  expect_refused(r, code, ECR_SIGV4_BAD_SIGNATURE, err, "does not match");
}

static void stale_and_future_dates_are_refused(void **state)
{
  (void) state;
  enum ecr_sigv4_code code;
  struct wh_error *err = NULL;
  int r = boto_verify(BOTO_BODY, BOTO_SECRET, BOTO_NOW + 16 * 60, BOTO_TARGET,
                      &code, &err);
  expect_refused(r, code, ECR_SIGV4_EXPIRED, err,
                 "Signature expired: 20261123T163005Z is now earlier than "
                 "20261123T163105Z (20261123T164605Z - 15 min.)");
  err = NULL;
  r = boto_verify(BOTO_BODY, BOTO_SECRET, BOTO_NOW - 16 * 60, BOTO_TARGET,
                  &code, &err);
  expect_refused(r, code, ECR_SIGV4_EXPIRED, err,
                 "Signature not yet current: 20261123T163005Z is still later "
                 "than 20261123T162905Z");
}

static void scope_must_match(void **state)
{
  (void) state;
  enum ecr_sigv4_code code;
  struct wh_error *err = NULL;
  struct built b;
  build(&aws_suite[0], &b);
  struct ecr_sigv4_auth auth;
  assert_int_equal(ecr_sigv4_parse_authorization(aws_suite[0].authorization,
                                                 &auth, &code, NULL), 0);
  struct ecr_sigv4_opts opts = { .now_s = AWS_NOW, .region = "eu-west-1" };
  int r = ecr_sigv4_verify(&b.req, &auth, AWS_SECRET, strlen(AWS_SECRET),
                           &opts, &code, &err);
  expect_refused(r, code, ECR_SIGV4_BAD_SIGNATURE, err, "region");
  err = NULL;
  opts = (struct ecr_sigv4_opts) { .now_s = AWS_NOW, .service = "ecr" };
  r = ecr_sigv4_verify(&b.req, &auth, AWS_SECRET, strlen(AWS_SECRET), &opts,
                       &code, &err);
  expect_refused(r, code, ECR_SIGV4_BAD_SIGNATURE, err, "service");
  ecr_sigv4_auth_free(&auth);

  /* The date header must agree with the credential scope. */
  err = NULL;
  struct vec v = aws_suite[0];
  v.authorization = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150831/"
      "us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
      "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
  r = verify_vec(&v, AWS_SECRET, AWS_NOW, &code, &err);
  expect_refused(r, code, ECR_SIGV4_BAD_SIGNATURE, err, "Date in Credential");

  /* host must be signed; a signed header must be present. */
  err = NULL;
  v.authorization = AWS_CRED "SignedHeaders=x-amz-date, Signature="
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
  r = verify_vec(&v, AWS_SECRET, AWS_NOW, &code, &err);
  expect_refused(r, code, ECR_SIGV4_INCOMPLETE, err, "must include host");
  err = NULL;
  v.authorization = AWS_CRED "SignedHeaders=host;x-amz-date;x-amz-target, "
      "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
  r = verify_vec(&v, AWS_SECRET, AWS_NOW, &code, &err);
  expect_refused(r, code, ECR_SIGV4_BAD_SIGNATURE, err,
                 "signed header x-amz-target is not in the request");
}

static void content_sha256_header_must_match_body(void **state)
{
  (void) state;
  struct ecr_sigv4_header h[] = {
    { "host", "h" },
    { "x-amz-content-sha256",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
  };
  const char *names[] = { "host", NULL };
  struct ecr_sigv4_auth auth = { .signed_headers = (char **) names,
                                 .n_signed = 1 };
  char payload[65];
  sha256_hex("not empty", payload);
  struct ecr_sigv4_request req = { .method = "PUT", .path = "/", .headers = h,
                                   .n_headers = 2, .payload_sha256 = payload };
  struct wh_error *err = NULL;
  assert_null(ecr_sigv4_canonical_request(&req, &auth, false, &err));
  assert_non_null(strstr(err->msg, "does not match the request body"));
  wh_error_free(err);
  h[1].value = "UNSIGNED-PAYLOAD";
  err = NULL;
  assert_null(ecr_sigv4_canonical_request(&req, &auth, false, &err));
  wh_error_free(err);
  char *creq = ecr_sigv4_canonical_request(&req, &auth, true, NULL);
  assert_non_null(creq);
  assert_string_equal(creq, "PUT\n/\n\nhost:h\n\nhost\nUNSIGNED-PAYLOAD");
  free(creq);
}

static void malformed_headers_are_refused(void **state)
{
  (void) state;
  static const struct { const char *value; enum ecr_sigv4_code code;
                        const char *msg; } cases[] = {
    { "", ECR_SIGV4_MISSING_AUTH, "Missing Authentication Token" },
    { "Basic QUxBRERJTjpPUEVOU0VTQU1F", ECR_SIGV4_MISSING_AUTH,
      "only AWS4-HMAC-SHA256" },
    { "AWS4-HMAC-SHA256 ", ECR_SIGV4_INCOMPLETE, "missing Credential" },
    { "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/"
      "aws4_request, SignedHeaders=host", ECR_SIGV4_INCOMPLETE,
      "missing Signature" },
    { "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service, "
      "SignedHeaders=host, Signature=" "5fa00fa31553b73ebf1942676e86291e"
      "8372ff2a2260956d9b8aae1d763fbf31", ECR_SIGV4_INCOMPLETE,
      "KEYID/YYYYMMDD/REGION/SERVICE/aws4_request" },
    { "AWS4-HMAC-SHA256 Credential=AKID/2015083/us-east-1/service/"
      "aws4_request, SignedHeaders=host, Signature=" "5fa00fa31553b73ebf1942"
      "676e86291e8372ff2a2260956d9b8aae1d763fbf31", ECR_SIGV4_INCOMPLETE,
      "date must be YYYYMMDD" },
    { "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/"
      "aws4_request/x, SignedHeaders=host, Signature=" "5fa00fa31553b73ebf19"
      "42676e86291e8372ff2a2260956d9b8aae1d763fbf31", ECR_SIGV4_INCOMPLETE,
      "Credential" },
    { AWS_CRED "SignedHeaders=Host, Signature=" "5fa00fa31553b73ebf1942676e"
      "86291e8372ff2a2260956d9b8aae1d763fbf31", ECR_SIGV4_INCOMPLETE,
      "lowercase" },
    { AWS_CRED "SignedHeaders=x-amz-date;host, Signature=" "5fa00fa31553b73e"
      "bf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", ECR_SIGV4_INCOMPLETE,
      "sorted" },
    { AWS_CRED "SignedHeaders=host;;x, Signature=" "5fa00fa31553b73ebf19426"
      "76e86291e8372ff2a2260956d9b8aae1d763fbf31", ECR_SIGV4_INCOMPLETE,
      "empty header name" },
    { AWS_CRED "SignedHeaders=host, Signature=5fa00f", ECR_SIGV4_INCOMPLETE,
      "64 hex" },
    { AWS_CRED "SignedHeaders=host, Signature=" "zfa00fa31553b73ebf1942676e"
      "86291e8372ff2a2260956d9b8aae1d763fbf31", ECR_SIGV4_INCOMPLETE,
      "64 hex" },
    { AWS_CRED "SignedHeaders=host, SignedHeaders=host, Signature=5f",
      ECR_SIGV4_INCOMPLETE, "twice" },
    { AWS_CRED "Foo=bar", ECR_SIGV4_INCOMPLETE, "unknown component" },
    { AWS_CRED "SignedHeaders", ECR_SIGV4_INCOMPLETE, "NAME=VALUE" },
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct ecr_sigv4_auth auth;
    enum ecr_sigv4_code code;
    struct wh_error *err = NULL;
    int r = ecr_sigv4_parse_authorization(cases[i].value, &auth, &code, &err);
    if (r == 0)
      fail_msg("case %zu accepted", i);
    if (!err)
      fail_msg("case %zu: no error", i);
    assert_null(auth.access_key_id);
    expect_refused(r, code, cases[i].code, err, cases[i].msg);
  }
  /* Too long is refused before it is scanned. */
  char *big = malloc(ECR_SIGV4_AUTH_MAX + 100);
  memset(big, 'A', ECR_SIGV4_AUTH_MAX + 99);
  big[ECR_SIGV4_AUTH_MAX + 99] = '\0';
  struct ecr_sigv4_auth auth;
  enum ecr_sigv4_code code;
  struct wh_error *err = NULL;
  int r = ecr_sigv4_parse_authorization(big, &auth, &code, &err);
  expect_refused(r, code, ECR_SIGV4_INCOMPLETE, err, "too long");
  free(big);
}

static void amz_date_parsing(void **state)
{
  (void) state;
  int64_t t;
  assert_int_equal(ecr_sigv4_parse_amz_date(AWS_DATE, &t), 0);
  assert_int_equal(t, AWS_NOW);
  assert_int_equal(ecr_sigv4_parse_amz_date("20150830T123600", &t), -1);
  assert_int_equal(ecr_sigv4_parse_amz_date("2015-08-30T12:36Z", &t), -1);
  assert_int_equal(ecr_sigv4_parse_amz_date("20151330T123600Z", &t), -1);
  assert_int_equal(ecr_sigv4_parse_amz_date("20150830T126000Z", &t), -1);
  assert_int_equal(ecr_sigv4_parse_amz_date(NULL, &t), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(aws_suite_verifies),
    cmocka_unit_test(aws_get_vanilla_intermediates),
    cmocka_unit_test(aws_query_canonical_forms),
    cmocka_unit_test(botocore_canonical_path_and_query),
    cmocka_unit_test(botocore_request_verifies),
    cmocka_unit_test(botocore_tampering_is_refused),
    cmocka_unit_test(stale_and_future_dates_are_refused),
    cmocka_unit_test(scope_must_match),
    cmocka_unit_test(content_sha256_header_must_match_body),
    cmocka_unit_test(malformed_headers_are_refused),
    cmocka_unit_test(amz_date_parsing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
