/* oci/quote.h: quoting untrusted text for error messages (oci-internal).
 *
 * Digests, references and names come from HTTP requests and manifests, so
 * an error message that echoes them must not carry control bytes into logs
 * or terminals, nor grow without bound. oci_quote() writes a printable,
 * bounded rendering that a person can still match against their input. */
#pragma once

#include <stddef.h>

/* Input bytes shown before "..." is appended: enough for a whole sha512
 * digest ("sha512:" + 128 hex) so digest messages are never cut. */
#define OCI_QUOTE_SHOWN 140
/* Each shown byte takes at most 4 output bytes ("\xNN"), then "..." and NUL. */
#define OCI_QUOTE_SIZE (OCI_QUOTE_SHOWN * 4 + 4)

/* Render s[0..len) into out: printable ASCII as is, other bytes and the
 * quote character '\'' and '\\' as \xNN; "..." when cut. Returns out. */
const char *oci_quote(char out[OCI_QUOTE_SIZE], const char *s, size_t len);
