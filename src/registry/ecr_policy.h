/* ecr_policy.h: IAM-style repository policies, as ECR accepts them.
 *
 * SetRepositoryPolicy stores a JSON document; every request on the
 * repository (ECR API and OCI API alike) is then evaluated against it:
 *
 *   {"Version": "2012-10-17",
 *    "Statement": [{"Sid": "AllowPull", "Effect": "Allow",
 *                   "Principal": {"AWS": ["arn:aws:iam::123456789012:user/ci"]},
 *                   "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}
 *
 * Supported: Version ("2012-10-17" or "2008-10-17", optional), Id,
 * Statement (one object or an array), Sid, Effect (Allow|Deny), Principal
 * ("*", {"AWS": "*"|ARN|account id|[...]}, {"Service": ...} which never
 * matches a wharf principal), Action or NotAction (string or array;
 * "*", "ecr:*", wildcards * and ? anywhere after "ecr:", case-insensitive
 * as in IAM; a name without wildcards must be a known ECR action),
 * Resource (accepted and not evaluated: the policy is attached to one
 * repository). Condition, NotPrincipal and NotResource are refused with
 * an error saying they are not supported, rather than silently ignored:
 * ignoring a Deny's condition would widen or narrow access unexpectedly.
 *
 * Evaluation is IAM's: an explicit Deny that matches wins; else any
 * matching Allow allows; else the request is implicitly denied. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct wh_error;

#define ECR_POLICY_MAX_BYTES 10240     /* ECR's repository policy limit */
#define ECR_POLICY_MAX_STATEMENTS 100

enum ecr_policy_decision {
  ECR_POLICY_IMPLICIT_DENY = 0,
  ECR_POLICY_ALLOW,
  ECR_POLICY_DENY,
};
const char *ecr_policy_decision_name(enum ecr_policy_decision d);

struct ecr_policy;

/* Parse and validate. Errors are WH_ERR_INVALID and name the place:
 * "Statement[1].Principal.AWS[0]: expected an ARN, an account id or *". */
struct ecr_policy *ecr_policy_parse(const char *json, size_t len,
                                    struct wh_error **err);
void ecr_policy_free(struct ecr_policy *p);
size_t ecr_policy_statement_count(const struct ecr_policy *p);

/* Who is asking. arn is "arn:aws:iam::<account>:user/<name>" for a wharf
 * user; NULL for an anonymous request, which only "*" principals match.
 * account is the registry id (12 digits): a principal of the account id
 * or "arn:aws:iam::<account>:root" matches every user of the account. */
struct ecr_principal {
  const char *arn;
  const char *account;
};

/* Decide for one action such as "ecr:BatchGetImage" (case-insensitive).
 * A NULL policy (none set) gives IMPLICIT_DENY. */
enum ecr_policy_decision ecr_policy_evaluate(const struct ecr_policy *p,
                                             const struct ecr_principal *who,
                                             const char *action);

/* OCI API operations and the ECR actions they need (ECR's own mapping
 * for docker clients). */
enum ecr_oci_op { ECR_OCI_PULL, ECR_OCI_PUSH, ECR_OCI_DELETE };

/* NULL-terminated list of "ecr:…" actions for op. */
const char *const *ecr_policy_oci_actions(enum ecr_oci_op op);

/* DENY if any needed action is explicitly denied, ALLOW if every one is
 * allowed, else IMPLICIT_DENY. */
enum ecr_policy_decision ecr_policy_evaluate_oci(const struct ecr_policy *p,
                                                 const struct ecr_principal *who,
                                                 enum ecr_oci_op op);

/* Does IAM pattern `pattern` ("ecr:Batch*", "*") match `action`?
 * Case-insensitive; * matches any run, ? one character. */
bool ecr_policy_action_match(const char *pattern, const char *action);

/* The actions ECR defines, without the "ecr:" prefix, in a fixed order
 * (the registry-level permission bits of auth_policy.c index it). */
const char *const *ecr_policy_known_actions(size_t *n);

/* Is name ("ecr:PutImage", any case) an action ECR defines? */
bool ecr_policy_action_known(const char *name);
