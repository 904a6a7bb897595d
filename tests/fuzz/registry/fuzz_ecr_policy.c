/* fuzz_ecr_policy.c: libFuzzer target for repository policy documents
 * (ecr_policy_parse) and their evaluation. A parsed policy is evaluated
 * for a user, an account root and an anonymous caller on every OCI
 * operation; results must be one of the three decisions, and a DENY on
 * one needed action must make the whole operation DENY. The input's tail
 * is also tried as an action pattern against a fixed action. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "registry/ecr_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct wh_error *err = NULL;
  struct ecr_policy *p = ecr_policy_parse((const char *) data, size, &err);
  if (!p) {
    if (!err || !err->msg)
      abort();
    wh_error_free(err);
  } else {
    static const struct ecr_principal who[] = {
      { "arn:aws:iam::123456789012:user/alice", "123456789012" },
      { "arn:aws:iam::123456789012:root", "123456789012" },
      { NULL, NULL },
    };
    for (size_t w = 0; w < 3; w++) {
      for (int op = ECR_OCI_PULL; op <= ECR_OCI_DELETE; op++) {
        enum ecr_policy_decision d = ecr_policy_evaluate_oci(p, &who[w], op);
        bool any_deny = false;
        for (const char *const *a = ecr_policy_oci_actions(op); *a; a++)
          if (ecr_policy_evaluate(p, &who[w], *a) == ECR_POLICY_DENY)
            any_deny = true;
        if (any_deny != (d == ECR_POLICY_DENY))
          abort();
      }
    }
    ecr_policy_free(p);
  }
  if (size < 512) {
    char pat[512];
    memcpy(pat, data, size);
    pat[size] = '\0';
    (void) ecr_policy_action_match(pat, "ecr:BatchGetImage");
  }
  return 0;
}
