/* image/ref.h: what a user typed → registry references and local names,
 * shared by pull, push, tag, load and import. No network code (part of
 * image_store). */
#pragma once

#include <stddef.h>

struct wh_error;
struct image_regconf;
struct oci_reference;

/* ref → the fully qualified references to try, in order: itself when it
 * names a registry, else one per unqualified-search registry. Tag
 * "latest" is added when ref has neither tag nor digest. */
int image_ref_candidates(const char *ref, const struct image_regconf *conf,
                         struct oci_reference **out, size_t *n, struct wh_error **err);
void image_ref_candidates_free(struct oci_reference *v, size_t n);
/* "domain/path:tag" for storing as a name; short names get "localhost/"
 * as podman does for local-only images. New string. */
int image_ref_local_name(const char *ref, char **out, struct wh_error **err);
