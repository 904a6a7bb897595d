/* image/ref.c: turning what a user typed into registry references (see
 * ref.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "image/ref.h"
#include "image/regconf.h"
#include "oci/reference.h"

void image_ref_candidates_free(struct oci_reference *v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    oci_reference_free(&v[i]);
  free(v);
}

static int with_default_tag(struct oci_reference *r, struct wh_error **err)
{
  if (!r->tag && !r->digest && !(r->tag = strdup("latest")))
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  return 0;
}

int image_ref_candidates(const char *ref, const struct image_regconf *conf,
                         struct oci_reference **out, size_t *n_out, struct wh_error **err)
{
  _cleanup_reference_ struct oci_reference r = {0};
  if (oci_reference_parse(ref, &r, err) < 0)
    return wh_error_wrap(err, "image \"%s\"", ref);
  if (with_default_tag(&r, err) < 0)
    return -1;
  size_t n = 0;
  if (!r.domain)
    for (char **s = conf ? conf->search : NULL; s && *s; s++)
      n++;
  else
    n = 1;
  if (n == 0)
    return wh_error_set(err, WH_ERR_INVALID,
                        "image \"%s\" names no registry and no unqualified-search-registries "
                        "are configured (--registries-conf)", ref);
  struct oci_reference *v = calloc(n, sizeof(*v));
  if (!v)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *dom = r.domain ? r.domain : conf->search[i];
    v[i].domain = strdup(dom);
    v[i].path = strdup(r.path);
    v[i].tag = r.tag ? strdup(r.tag) : NULL;
    v[i].digest = r.digest ? strdup(r.digest) : NULL;
    if (!v[i].domain || !v[i].path || (r.tag && !v[i].tag) || (r.digest && !v[i].digest)) {
      image_ref_candidates_free(v, n);
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    }
  }
  *out = v;
  *n_out = n;
  return 0;
}

int image_ref_local_name(const char *ref, char **out, struct wh_error **err)
{
  _cleanup_reference_ struct oci_reference r = {0};
  if (oci_reference_parse(ref, &r, err) < 0)
    return wh_error_wrap(err, "name \"%s\"", ref);
  if (r.digest)
    return wh_error_set(err, WH_ERR_INVALID, "name \"%s\": a name cannot carry a digest", ref);
  if (asprintf(out, "%s/%s:%s", r.domain ? r.domain : "localhost", r.path,
               r.tag ? r.tag : "latest") < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  return 0;
}
