/* oci/digest.h: digests as the OCI image spec defines them.
 *
 *   digest     ::= algorithm ":" encoded
 *   algorithm  ::= component (separator component)*
 *   component  ::= [a-z0-9]+
 *   separator  ::= [+._-]
 *   encoded    ::= [a-zA-Z0-9=_-]+
 *
 * plus the registered algorithms' rules: sha256 is 64 and sha512 128
 * lowercase hex characters. Grammar-valid digests of other algorithms
 * parse with alg == OCI_DIGEST_OTHER so callers can say "unsupported"
 * rather than "invalid". */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct wh_error;

enum oci_digest_alg { OCI_DIGEST_SHA256 = 0, OCI_DIGEST_SHA512, OCI_DIGEST_OTHER };

#define OCI_DIGEST_MAX 256 /* longest digest string accepted, NUL excluded */

struct oci_digest {
  enum oci_digest_alg alg;
  char str[OCI_DIGEST_MAX + 1]; /* the whole digest, "sha256:…" */
  size_t alg_len;               /* str[0..alg_len) is the algorithm */
  const char *hex;              /* points into str after the ':' */
};

/* Parse s (len bytes; not NUL-terminated necessarily). WH_ERR_INVALID with
 * a message saying what is wrong; a well-formed digest of an unregistered
 * algorithm parses with OCI_DIGEST_OTHER. */
int oci_digest_parse(const char *s, size_t len, struct oci_digest *out,
                     struct wh_error **err);
/* Convenience: true if s is a valid sha256 or sha512 digest. */
bool oci_digest_valid(const char *s);
