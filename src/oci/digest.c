/* oci/digest.c: parsing digest strings per the OCI image spec (see
 * digest.h for the grammar).
 *
 * Digests arrive from URLs, headers and manifests, so every rejection says
 * which part is wrong and why ("sha256 needs 64 hex characters, got 3"),
 * and echoes the input only through oci_quote(). Hashing itself lives in
 * base/digest.c; this file only knows the textual form. */
#include "oci/digest.h"

#include <string.h>

#include "base/error.h"
#include "oci/quote.h"

static bool is_lower_alnum(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alg_separator(char c)
{
  return c == '+' || c == '.' || c == '_' || c == '-';
}

static bool is_encoded_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '=' || c == '_' || c == '-';
}

/* algorithm ::= component (separator component)*, component ::= [a-z0-9]+.
 * A separator at either end or two in a row leave an empty component. */
static int check_algorithm(const char *s, size_t len, const char *qd,
                           struct wh_error **err)
{
  char qa[OCI_QUOTE_SIZE], qc[OCI_QUOTE_SIZE];
  if (len == 0)
    return wh_error_set(err, WH_ERR_INVALID,
                        "digest '%s': algorithm before ':' is empty", qd);
  bool after_sep = true; /* the start behaves like a separator */
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (is_lower_alnum(c)) {
      after_sep = false;
    } else if (is_alg_separator(c)) {
      if (after_sep)
        return wh_error_set(err, WH_ERR_INVALID,
                            "digest '%s': algorithm '%s' has '%s' where a "
                            "letter or digit is needed (separators + . _ - "
                            "go between components)",
                            qd, oci_quote(qa, s, len), oci_quote(qc, &s[i], 1));
      after_sep = true;
    } else {
      return wh_error_set(err, WH_ERR_INVALID,
                          "digest '%s': algorithm '%s' contains '%s' "
                          "(allowed: a-z, 0-9 and separators + . _ -)",
                          qd, oci_quote(qa, s, len), oci_quote(qc, &s[i], 1));
    }
  }
  if (after_sep)
    return wh_error_set(err, WH_ERR_INVALID,
                        "digest '%s': algorithm '%s' ends with a separator",
                        qd, oci_quote(qa, s, len));
  return 0;
}

/* The registered algorithms pin the encoding to lowercase hex of a fixed
 * length: "sha256:ABC…" is a different string from the digest the content
 * hashes to, so accepting it would let two names address one blob. */
static int check_hex(const char *alg, size_t want, const char *s, size_t len,
                     const char *qd, struct wh_error **err)
{
  char qc[OCI_QUOTE_SIZE];
  if (len != want)
    return wh_error_set(err, WH_ERR_INVALID,
                        "digest '%s': %s needs %zu hex characters, got %zu",
                        qd, alg, want, len);
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
      continue;
    if (c >= 'A' && c <= 'F')
      return wh_error_set(err, WH_ERR_INVALID,
                          "digest '%s': %s hex must be lowercase, got '%c' "
                          "at position %zu",
                          qd, alg, c, i);
    return wh_error_set(err, WH_ERR_INVALID,
                        "digest '%s': %s needs hex characters (0-9, a-f), "
                        "got '%s' at position %zu",
                        qd, alg, oci_quote(qc, &s[i], 1), i);
  }
  return 0;
}

int oci_digest_parse(const char *s, size_t len, struct oci_digest *out,
                     struct wh_error **err)
{
  char qd[OCI_QUOTE_SIZE], qc[OCI_QUOTE_SIZE];
  if (!s || len == 0)
    return wh_error_set(err, WH_ERR_INVALID, "digest is empty");
  oci_quote(qd, s, len);
  if (len > OCI_DIGEST_MAX)
    return wh_error_set(err, WH_ERR_INVALID,
                        "digest '%s' is %zu characters, at most %d", qd, len,
                        OCI_DIGEST_MAX);
  /* Callers pass lengths from HTTP and JSON, where a NUL can hide the rest
   * of the string from code that later treats it as a C string. */
  if (memchr(s, '\0', len))
    return wh_error_set(err, WH_ERR_INVALID,
                        "digest '%s': contains a NUL byte", qd);
  const char *colon = memchr(s, ':', len);
  if (!colon)
    return wh_error_set(err, WH_ERR_INVALID,
                        "digest '%s': missing ':' between algorithm and "
                        "encoded part (as in sha256:<64 hex>)",
                        qd);
  size_t alg_len = (size_t) (colon - s);
  if (check_algorithm(s, alg_len, qd, err) < 0)
    return -1;

  const char *enc = colon + 1;
  size_t enc_len = len - alg_len - 1;
  if (enc_len == 0)
    return wh_error_set(err, WH_ERR_INVALID,
                        "digest '%s': encoded part after ':' is empty", qd);
  for (size_t i = 0; i < enc_len; i++)
    if (!is_encoded_char(enc[i]))
      return wh_error_set(err, WH_ERR_INVALID,
                          "digest '%s': encoded part contains '%s' "
                          "(allowed: a-z, A-Z, 0-9, =, _, -)",
                          qd, oci_quote(qc, &enc[i], 1));

  enum oci_digest_alg alg = OCI_DIGEST_OTHER;
  if (alg_len == 6 && memcmp(s, "sha256", 6) == 0) {
    if (check_hex("sha256", 64, enc, enc_len, qd, err) < 0)
      return -1;
    alg = OCI_DIGEST_SHA256;
  } else if (alg_len == 6 && memcmp(s, "sha512", 6) == 0) {
    if (check_hex("sha512", 128, enc, enc_len, qd, err) < 0)
      return -1;
    alg = OCI_DIGEST_SHA512;
  }

  /* out is written only on success, so a failed parse leaves the caller's
   * previous value intact; out may be NULL to only validate. hex points
   * into out->str: a struct copied by value still points into the
   * original. */
  if (!out)
    return 0;
  out->alg = alg;
  memcpy(out->str, s, len);
  out->str[len] = '\0';
  out->alg_len = alg_len;
  out->hex = out->str + alg_len + 1;
  return 0;
}

bool oci_digest_valid(const char *s)
{
  if (!s)
    return false;
  struct oci_digest d;
  /* strnlen: a string longer than the bound is invalid whatever follows,
   * and need not be scanned to its end. */
  size_t len = strnlen(s, OCI_DIGEST_MAX + 1);
  if (oci_digest_parse(s, len, &d, NULL) < 0)
    return false;
  return d.alg != OCI_DIGEST_OTHER;
}
