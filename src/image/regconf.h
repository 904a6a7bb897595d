/* image/regconf.h: which registries short names go to, and which are
 * insecure. A JSON file (--registries-conf, $WHARF_REGISTRIES_CONF, or
 * /etc/wharf/registries.json when present):
 *
 *   { "unqualified-search-registries": ["registry.example.com"],
 *     "registries": { "localhost:5000": { "insecure": true },
 *                     "registry.example:5000": { "ca-file": "/etc/ca.pem" } } }
 *
 * "insecure" means: TLS certificates are not verified and plain HTTP is
 * used when the registry does not speak TLS. Without a file no short name
 * resolves: there is no implicit internet registry. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct wh_error;

struct image_regconf {
  char **search;     /* NULL-terminated */
  char **insecure;   /* NULL-terminated registry hosts */
  char **ca_files;   /* NULL-terminated "host=path" entries */
};

/* path NULL: the environment / default file, absent is fine. A named file
 * must exist. */
int image_regconf_load(const char *path, struct image_regconf *out, struct wh_error **err);
void image_regconf_free(struct image_regconf *c);
bool image_regconf_insecure(const struct image_regconf *c, const char *domain);
/* The PEM bundle to verify domain's certificate with (instead of the
 * system's), or NULL. */
const char *image_regconf_ca_file(const struct image_regconf *c, const char *domain);
