/* auth_header.h: parsing the Authorization header that OCI clients send
 * to `serve --auth`: its scheme, and the user and password of basic
 * credentials. Pure functions, separate from auth.c so that a fuzzer
 * (tests/fuzz/registry/fuzz_auth_header.c) sees exactly what the server
 * parses. Bearer tokens themselves are ecr_jwt.h's. */
#pragma once

#include <stddef.h>

enum auth_scheme {
  AUTH_SCHEME_BASIC,
  AUTH_SCHEME_BEARER,
  AUTH_SCHEME_OTHER,   /* anything else: refused */
};

/* The scheme of header value h (case-insensitive, one space after it, as
 * RFC 7617 and RFC 6750 clients send it); *cred points at what follows. */
enum auth_scheme auth_header_scheme(const char *h, const char **cred);

/* Decode basic credentials (base64 of "user:password") into buf, of n
 * bytes; *user and *pass point into buf, NUL-terminated. -1 for input
 * that is not padded base64 of a string with a colon and no NUL, or
 * that does not fit. */
int auth_basic_decode(const char *b64, char *buf, size_t n, char **user, char **pass);
