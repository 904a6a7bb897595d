/* oci/reference.h: repository names, tags and image references.
 *
 * Grammars from the OCI distribution spec and docker's reference package:
 *   name      ::= path-component ("/" path-component)*
 *   component ::= [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
 *   tag       ::= [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
 *   reference ::= [domain "/"] name [":" tag] ["@" digest]
 *   domain    ::= host [":" port]   (localhost, contains "." or ":", or
 *                                    is an IPv6 literal in brackets)
 * A name is at most 255 characters with its domain. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "oci/digest.h"

struct wh_error;

#define OCI_NAME_MAX 255
#define OCI_TAG_MAX 128
/* Longest reference string oci_reference_parse() accepts: far above any
 * valid one (name 255 + tag 128 + digest 256), so longer input is rejected
 * before it is scanned. */
#define OCI_REFERENCE_MAX 4096

/* Validate a repository name (no domain) of len bytes. */
int oci_name_check(const char *s, size_t len, struct wh_error **err);
bool oci_name_valid(const char *s);
/* Validate a tag. */
int oci_tag_check(const char *s, size_t len, struct wh_error **err);
bool oci_tag_valid(const char *s);

struct oci_reference {
  char *domain;  /* "localhost:5000", "registry.example.com"; NULL if none */
  char *path;    /* "library/busybox", "app" */
  char *tag;     /* NULL if none */
  char *digest;  /* NULL if none; validated with oci_digest_parse */
};

/* Parse "[domain/]path[:tag][@digest]". No defaults are applied: a short
 * name has domain NULL and the caller resolves it (DESIGN: short names go
 * through a configurable list, never an implicit internet registry). */
int oci_reference_parse(const char *s, struct oci_reference *out,
                        struct wh_error **err);
void oci_reference_free(struct oci_reference *r);
/* "[domain/]path[:tag][@digest]" as a new string. */
char *oci_reference_format(const struct oci_reference *r);

static inline void oci_reference_freep(struct oci_reference *r)
{
  oci_reference_free(r);
}
#define _cleanup_reference_ __attribute__((cleanup(oci_reference_freep)))
