/* test_ecr_policy.c: repository policy parsing and evaluation
 * (ecr_policy.c). The first documents are the examples of the Amazon ECR
 * user guide ("Repository policy examples"), with account-id filled in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "registry/ecr_policy.h"

#define ACCT "123456789012"
#define USER(n) "arn:aws:iam::" ACCT ":user/" n

static const struct ecr_principal push_pull_1 = { USER("push-pull-user-1"),
                                                  ACCT };
static const struct ecr_principal pull_1 = { USER("pull-user-1"), ACCT };
static const struct ecr_principal admin = { USER("admin-user"), ACCT };
static const struct ecr_principal stranger = {
  "arn:aws:iam::999999999999:user/x", "999999999999" };
static const struct ecr_principal anon = { NULL, NULL };

static struct ecr_policy *parse(const char *s)
{
  struct wh_error *err = NULL;
  struct ecr_policy *p = ecr_policy_parse(s, strlen(s), &err);
  if (!p)
    fail_msg("%s", err->msg);
  return p;
}

static const char doc_push_pull[] =
  "{ \"Version\": \"2012-10-17\", \"Statement\": [ { \"Sid\": \"AllowPushPull\","
  " \"Effect\": \"Allow\", \"Principal\": { \"AWS\": [ "
  "\"arn:aws:iam::" ACCT ":user/push-pull-user-1\", "
  "\"arn:aws:iam::" ACCT ":user/push-pull-user-2\" ] }, \"Action\": [ "
  "\"ecr:BatchGetImage\", \"ecr:BatchCheckLayerAvailability\", "
  "\"ecr:CompleteLayerUpload\", \"ecr:GetDownloadUrlForLayer\", "
  "\"ecr:InitiateLayerUpload\", \"ecr:PutImage\", \"ecr:UploadLayerPart\" ] "
  "} ] }";

static const char doc_cross_account[] =
  "{ \"Version\": \"2012-10-17\", \"Statement\": [ { \"Sid\": "
  "\"AllowCrossAccountPush\", \"Effect\": \"Allow\", \"Principal\": { \"AWS\":"
  " \"arn:aws:iam::" ACCT ":root\" }, \"Action\": [ "
  "\"ecr:BatchCheckLayerAvailability\", \"ecr:CompleteLayerUpload\", "
  "\"ecr:InitiateLayerUpload\", \"ecr:PutImage\", \"ecr:UploadLayerPart\" ] "
  "} ] }";

static const char doc_pull_and_admin[] =
  "{ \"Version\": \"2012-10-17\", \"Statement\": [ { \"Sid\": "
  "\"AllowPull\", \"Effect\": \"Allow\", \"Principal\": { \"AWS\": [ "
  "\"arn:aws:iam::" ACCT ":user/pull-user-1\", "
  "\"arn:aws:iam::" ACCT ":user/pull-user-2\" ] }, \"Action\": [ "
  "\"ecr:BatchGetImage\", \"ecr:GetDownloadUrlForLayer\" ] }, { \"Sid\": "
  "\"AllowAll\", \"Effect\": \"Allow\", \"Principal\": { \"AWS\": "
  "\"arn:aws:iam::" ACCT ":user/admin-user\" }, \"Action\": [ \"ecr:*\" ] "
  "} ] }";

static const char doc_deny_all[] =
  "{ \"Version\": \"2012-10-17\", \"Statement\": [ { \"Sid\": \"DenyPull\", "
  "\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": [ "
  "\"ecr:BatchGetImage\", \"ecr:GetDownloadUrlForLayer\" ] } ] }";

static void aws_examples_parse_and_evaluate(void **state)
{
  (void) state;
  struct ecr_policy *p = parse(doc_push_pull);
  assert_int_equal(ecr_policy_statement_count(p), 1);
  assert_int_equal(ecr_policy_evaluate_oci(p, &push_pull_1, ECR_OCI_PULL),
                   ECR_POLICY_ALLOW);
  assert_int_equal(ecr_policy_evaluate_oci(p, &push_pull_1, ECR_OCI_PUSH),
                   ECR_POLICY_ALLOW);
  assert_int_equal(ecr_policy_evaluate_oci(p, &push_pull_1, ECR_OCI_DELETE),
                   ECR_POLICY_IMPLICIT_DENY);
  assert_int_equal(ecr_policy_evaluate_oci(p, &pull_1, ECR_OCI_PULL),
                   ECR_POLICY_IMPLICIT_DENY);
  assert_int_equal(ecr_policy_evaluate_oci(p, &anon, ECR_OCI_PULL),
                   ECR_POLICY_IMPLICIT_DENY);
  ecr_policy_free(p);

  p = parse(doc_cross_account);
  /* ":root" is the whole account. */
  assert_int_equal(ecr_policy_evaluate_oci(p, &pull_1, ECR_OCI_PUSH),
                   ECR_POLICY_ALLOW);
  assert_int_equal(ecr_policy_evaluate_oci(p, &pull_1, ECR_OCI_PULL),
                   ECR_POLICY_IMPLICIT_DENY);
  assert_int_equal(ecr_policy_evaluate_oci(p, &stranger, ECR_OCI_PUSH),
                   ECR_POLICY_IMPLICIT_DENY);
  ecr_policy_free(p);

  p = parse(doc_pull_and_admin);
  assert_int_equal(ecr_policy_evaluate_oci(p, &pull_1, ECR_OCI_PULL),
                   ECR_POLICY_ALLOW);
  assert_int_equal(ecr_policy_evaluate_oci(p, &pull_1, ECR_OCI_PUSH),
                   ECR_POLICY_IMPLICIT_DENY);
  assert_int_equal(ecr_policy_evaluate_oci(p, &admin, ECR_OCI_DELETE),
                   ECR_POLICY_ALLOW);
  assert_int_equal(ecr_policy_evaluate(p, &admin, "ecr:SetRepositoryPolicy"),
                   ECR_POLICY_ALLOW);
  ecr_policy_free(p);

  p = parse(doc_deny_all);
  assert_int_equal(ecr_policy_evaluate_oci(p, &admin, ECR_OCI_PULL),
                   ECR_POLICY_DENY);
  assert_int_equal(ecr_policy_evaluate_oci(p, &anon, ECR_OCI_PULL),
                   ECR_POLICY_DENY);
  assert_int_equal(ecr_policy_evaluate_oci(p, &admin, ECR_OCI_PUSH),
                   ECR_POLICY_IMPLICIT_DENY);
  ecr_policy_free(p);
}

static void explicit_deny_wins(void **state)
{
  (void) state;
  struct ecr_policy *p = parse(
      "{\"Version\":\"2008-10-17\",\"Statement\":["
      "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT "\"},"
      "\"Action\":\"ecr:*\"},"
      "{\"Sid\":\"NoDelete\",\"Effect\":\"Deny\",\"Principal\":{\"AWS\":[\""
      USER("pull-user-1") "\"]},\"Action\":[\"ecr:BatchDelete*\"]},"
      "{\"Sid\":\"PublicPull\",\"Effect\":\"Allow\",\"Principal\":\"*\","
      "\"Action\":[\"ecr:BatchGetImage\",\"ecr:GetDownloadUrlForLayer\"]}]}");
  assert_int_equal(ecr_policy_evaluate_oci(p, &pull_1, ECR_OCI_DELETE),
                   ECR_POLICY_DENY);
  assert_int_equal(ecr_policy_evaluate_oci(p, &admin, ECR_OCI_DELETE),
                   ECR_POLICY_ALLOW);
  assert_int_equal(ecr_policy_evaluate_oci(p, &pull_1, ECR_OCI_PUSH),
                   ECR_POLICY_ALLOW);
  assert_int_equal(ecr_policy_evaluate_oci(p, &anon, ECR_OCI_PULL),
                   ECR_POLICY_ALLOW);
  assert_int_equal(ecr_policy_evaluate_oci(p, &anon, ECR_OCI_PUSH),
                   ECR_POLICY_IMPLICIT_DENY);
  assert_int_equal(ecr_policy_evaluate_oci(p, &stranger, ECR_OCI_PULL),
                   ECR_POLICY_ALLOW);
  ecr_policy_free(p);
  assert_int_equal(ecr_policy_evaluate(NULL, &admin, "ecr:BatchGetImage"),
                   ECR_POLICY_IMPLICIT_DENY);
  assert_string_equal(ecr_policy_decision_name(ECR_POLICY_DENY), "DENY");
}

static void not_action_and_single_statement(void **state)
{
  (void) state;
  /* Statement as an object; NotAction: everything but deleting. */
  struct ecr_policy *p = parse(
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
      "\"NotAction\":\"ecr:BatchDeleteImage\",\"Resource\":\"*\"}}");
  assert_int_equal(ecr_policy_evaluate_oci(p, &stranger, ECR_OCI_PUSH),
                   ECR_POLICY_ALLOW);
  assert_int_equal(ecr_policy_evaluate_oci(p, &stranger, ECR_OCI_DELETE),
                   ECR_POLICY_IMPLICIT_DENY);
  ecr_policy_free(p);
}

static void action_globs(void **state)
{
  (void) state;
  assert_true(ecr_policy_action_match("ecr:*", "ecr:PutImage"));
  assert_true(ecr_policy_action_match("*", "ecr:PutImage"));
  assert_true(ecr_policy_action_match("ecr:Batch*", "ecr:BatchGetImage"));
  assert_true(ecr_policy_action_match("ECR:batchgetimage",
                                      "ecr:BatchGetImage"));
  assert_true(ecr_policy_action_match("ecr:*Image", "ecr:BatchDeleteImage"));
  assert_true(ecr_policy_action_match("ecr:Put?mage", "ecr:PutImage"));
  assert_true(ecr_policy_action_match("ecr:*Lay*Up*", "ecr:InitiateLayerUpload"));
  assert_false(ecr_policy_action_match("ecr:*Lay*Up*", "ecr:PutImage"));
  assert_false(ecr_policy_action_match("ecr:Batch*", "ecr:PutImage"));
  assert_false(ecr_policy_action_match("ecr:PutImage", "ecr:PutImageX"));
  assert_false(ecr_policy_action_match("ecr:Put?mage", "ecr:Putmage"));
  assert_false(ecr_policy_action_match("ecr-public:*", "ecr:PutImage"));
  assert_true(ecr_policy_action_known("ecr:PutImage"));
  assert_true(ecr_policy_action_known("ECR:putimage"));
  assert_false(ecr_policy_action_known("ecr:PullImage"));
  /* A hostile pattern stays cheap: this returns quickly. */
  char pat[2000], act[2000];
  memset(pat, 0, sizeof(pat));
  for (int i = 0; i < 999; i++) {
    pat[2 * i] = '*';
    pat[2 * i + 1] = 'a';
  }
  memset(act, 'a', sizeof(act) - 2);
  act[sizeof(act) - 2] = 'b';
  act[sizeof(act) - 1] = '\0';
  assert_false(ecr_policy_action_match(pat, act));

  const char *const *a = ecr_policy_oci_actions(ECR_OCI_PUSH);
  size_t n = 0;
  while (a[n])
    assert_true(ecr_policy_action_known(a[n++]));
  assert_int_equal(n, 5);
}

static void expect_invalid(const char *doc, const char *want)
{
  struct wh_error *err = NULL;
  struct ecr_policy *p = ecr_policy_parse(doc, strlen(doc), &err);
  if (p)
    fail_msg("accepted: %s", doc);
  assert_non_null(err);
  if (!strstr(err->msg, want))
    fail_msg("message '%s' lacks '%s'", err->msg, want);
  wh_error_free(err);
}

#define S(body) "{\"Version\":\"2012-10-17\",\"Statement\":[" \
  "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"ecr:*\"}," body "]}"

static void errors_name_statement_and_field(void **state)
{
  (void) state;
  expect_invalid("not json", "policy:");
  expect_invalid("[]", "expected a JSON object");
  expect_invalid("{\"Version\":\"2012-10-17\"}", "Statement: required");
  expect_invalid("{\"Version\":\"2020-01-01\",\"Statement\":[]}",
                 "Version: expected 2012-10-17");
  expect_invalid("{\"Statement\":[]}", "Statement: expected 1 to 100");
  expect_invalid("{\"Statement\":\"x\"}", "Statement: expected an object");
  expect_invalid("{\"Statement\":{},\"Extra\":1}", "Extra: unknown field");
  expect_invalid(S("{\"Principal\":\"*\",\"Action\":\"ecr:*\"}"),
                 "Statement[1].Effect: required field missing");
  expect_invalid(S("{\"Effect\":\"allow\",\"Principal\":\"*\","
                   "\"Action\":\"ecr:*\"}"),
                 "Statement[1].Effect: expected Allow or Deny");
  expect_invalid(S("{\"Effect\":\"Allow\",\"Action\":\"ecr:*\"}"),
                 "Statement[1].Principal: required");
  expect_invalid(S("{\"Effect\":\"Allow\",\"Principal\":\"me\","
                   "\"Action\":\"ecr:*\"}"),
                 "Statement[1].Principal: a string principal must be");
  expect_invalid(S("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"*\","
                   "\"bob\"]},\"Action\":\"ecr:*\"}"),
                 "Statement[1].Principal.AWS[1]: invalid principal 'bob'");
  expect_invalid(S("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                   "\"arn:aws:iam::12345:user/x\"},\"Action\":\"ecr:*\"}"),
                 "Statement[1].Principal.AWS: invalid principal");
  expect_invalid(S("{\"Effect\":\"Allow\",\"Principal\":{\"Federated\":"
                   "\"x\"},\"Action\":\"ecr:*\"}"),
                 "Statement[1].Principal.Federated: unsupported principal");
  expect_invalid(S("{\"Effect\":\"Allow\",\"Principal\":\"*\"}"),
                 "Statement[1].Action: required");
  expect_invalid(S("{\"Effect\":\"Allow\",\"Principal\":\"*\","
                   "\"Action\":\"ecr:*\",\"NotAction\":\"ecr:PutImage\"}"),
                 "Action and NotAction are exclusive");
  expect_invalid(S("{\"Effect\":\"Allow\",\"Principal\":\"*\","
                   "\"Action\":[\"ecr:PutImage\",\"s3:GetObject\"]}"),
                 "Statement[1].Action[1]: 's3:GetObject' is not an ecr:");
  expect_invalid(S("{\"Effect\":\"Allow\",\"Principal\":\"*\","
                   "\"Action\":[\"ecr:PullImage\"]}"),
                 "Statement[1].Action[0]: unknown action 'ecr:PullImage'");
  expect_invalid(S("{\"Effect\":\"Allow\",\"Principal\":\"*\","
                   "\"Action\":[]}"), "Statement[1].Action: expected");
  expect_invalid(S("{\"Effect\":\"Allow\",\"Principal\":\"*\","
                   "\"Action\":\"ecr:Put Image\"}"), "action names are");
  expect_invalid(S("{\"Effect\":\"Allow\",\"Principal\":\"*\","
                   "\"Action\":\"ecr:*\",\"Condition\":{\"StringEquals\":"
                   "{\"aws:SourceAccount\":\"" ACCT "\"}}}"),
                 "Statement[1].Condition: not supported");
  expect_invalid(S("{\"Effect\":\"Allow\",\"NotPrincipal\":\"*\","
                   "\"Action\":\"ecr:*\"}"),
                 "Statement[1].NotPrincipal: not supported");
  expect_invalid(S("{\"Effect\":\"Allow\",\"Principal\":\"*\","
                   "\"Action\":\"ecr:*\",\"Effects\":1}"),
                 "Statement[1].Effects: unknown field");
  expect_invalid("{\"Statement\":[{\"Sid\":\"A\",\"Effect\":\"Allow\","
                 "\"Principal\":\"*\",\"Action\":\"ecr:*\"},{\"Sid\":\"A\","
                 "\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":"
                 "\"ecr:*\"}]}", "Statement[1].Sid: 'A' is used by "
                 "Statement[0]");
  expect_invalid("{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                 "\"Action\":\"ecr:*\",\"Effect\":\"Deny\"}}", "duplicate");
  char *big = malloc(ECR_POLICY_MAX_BYTES + 2);
  memset(big, ' ', ECR_POLICY_MAX_BYTES + 1);
  big[ECR_POLICY_MAX_BYTES + 1] = '\0';
  expect_invalid(big, "longer than");
  free(big);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(aws_examples_parse_and_evaluate),
    cmocka_unit_test(explicit_deny_wins),
    cmocka_unit_test(not_action_and_single_statement),
    cmocka_unit_test(action_globs),
    cmocka_unit_test(errors_name_statement_and_field),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
