/* routes.c: the path grammar of the OCI Distribution API and the table of
 * handlers per route and method.
 *
 * A repository name may contain slashes, so a path is split from the
 * right: "/v2/a/b/manifests/latest" is name "a/b", reference "latest". The
 * last occurrence of a route keyword wins, which is what Distribution does
 * (a repository may be called "x/blobs"). */
#include "registry/http.h"

#include <string.h>

#include "registry/api.h"

/* Find the last "/<kw>/" in [start, end) (kw without slashes); NULL if
 * none. */
static char *rfind_segment(char *start, char *end, const char *kw)
{
  size_t kl = strlen(kw);
  if ((size_t) (end - start) < kl + 2)
    return NULL;
  for (char *p = end - kl - 2; p >= start; p--) {
    if (p[0] == '/' && memcmp(p + 1, kw, kl) == 0 && p[kl + 1] == '/')
      return p;
  }
  return NULL;
}

enum route_kind route_parse(char *path, struct route_match *m)
{
  memset(m, 0, sizeof(*m));
  if (strcmp(path, "/metrics") == 0)
    return m->kind = ROUTE_METRICS;
  if (strncmp(path, "/v2", 3) != 0)
    return m->kind = ROUTE_NONE;
  char *p = path + 3;
  if (*p == '\0' || strcmp(p, "/") == 0)
    return m->kind = ROUTE_BASE;
  if (*p != '/')
    return m->kind = ROUTE_NONE;
  p++; /* p: after "/v2/" */
  if (strcmp(p, "_catalog") == 0)
    return m->kind = ROUTE_CATALOG;
  char *end = p + strlen(p);
  size_t len = (size_t) (end - p);

  /* /v2/<name>/tags/list */
  static const char tags_suffix[] = "/tags/list";
  size_t tl = sizeof(tags_suffix) - 1;
  if (len > tl && memcmp(end - tl, tags_suffix, tl) == 0) {
    end[-(ptrdiff_t) tl] = '\0';
    m->name = p;
    return m->kind = ROUTE_TAGS;
  }
  /* /v2/<name>/blobs/uploads/ and /v2/<name>/blobs/uploads/<uuid> */
  char *up = rfind_segment(p, end, "uploads");
  if (up && up - p >= 6 && memcmp(up - 6, "/blobs", 6) == 0 && up - 6 > p) {
    char *id = up + strlen("/uploads/");
    if (strchr(id, '/') == NULL) {
      up[-6] = '\0';
      m->name = p;
      if (*id == '\0')
        return m->kind = ROUTE_UPLOADS;
      m->ref = id;
      return m->kind = ROUTE_UPLOAD;
    }
  }
  /* "/v2/<name>/blobs/uploads" without the final slash is the same. */
  static const char uploads_noslash[] = "/blobs/uploads";
  size_t ul = sizeof(uploads_noslash) - 1;
  if (len > ul && memcmp(end - ul, uploads_noslash, ul) == 0) {
    end[-(ptrdiff_t) ul] = '\0';
    m->name = p;
    return m->kind = ROUTE_UPLOADS;
  }
  static const struct { const char *kw; enum route_kind kind; } keyed[] = {
    { "manifests", ROUTE_MANIFEST },
    { "blobs", ROUTE_BLOB },
    { "referrers", ROUTE_REFERRERS },
  };
  char *best = NULL;
  enum route_kind best_kind = ROUTE_NONE;
  size_t best_kl = 0;
  for (size_t i = 0; i < sizeof(keyed) / sizeof(keyed[0]); i++) {
    char *s = rfind_segment(p, end, keyed[i].kw);
    if (s && s > p && (!best || s > best)) {
      best = s;
      best_kind = keyed[i].kind;
      best_kl = strlen(keyed[i].kw);
    }
  }
  if (!best)
    return m->kind = ROUTE_NONE;
  char *ref = best + best_kl + 2;
  if (*ref == '\0' || strchr(ref, '/'))
    return m->kind = ROUTE_NONE;
  *best = '\0';
  m->name = p;
  m->ref = ref;
  return m->kind = best_kind;
}

const char *route_kind_name(enum route_kind kind)
{
  static const char *const names[ROUTE_KIND_COUNT] = {
    [ROUTE_NONE] = "none",         [ROUTE_BASE] = "base",
    [ROUTE_CATALOG] = "catalog",   [ROUTE_TAGS] = "tags",
    [ROUTE_MANIFEST] = "manifest", [ROUTE_BLOB] = "blob",
    [ROUTE_UPLOADS] = "uploads",   [ROUTE_UPLOAD] = "upload",
    [ROUTE_REFERRERS] = "referrers", [ROUTE_METRICS] = "metrics",
    [ROUTE_EXTRA] = "extra",
  };
  return (unsigned) kind < ROUTE_KIND_COUNT ? names[kind] : "none";
}

/* One row per route and method. Handlers are in api_*.c. */
static const struct {
  enum route_kind kind;
  struct route_handler h;
} table[] = {
  { ROUTE_BASE, { "GET", NULL, NULL, api_base_get } },
  { ROUTE_BASE, { "HEAD", NULL, NULL, api_base_get } },
  { ROUTE_CATALOG, { "GET", NULL, NULL, api_catalog } },
  { ROUTE_TAGS, { "GET", NULL, NULL, api_tags_list } },
  { ROUTE_MANIFEST, { "GET", NULL, NULL, api_manifest_get } },
  { ROUTE_MANIFEST, { "HEAD", NULL, NULL, api_manifest_get } },
  { ROUTE_MANIFEST, { "PUT", api_manifest_put_begin, api_manifest_put_body,
                      api_manifest_put_end } },
  { ROUTE_MANIFEST, { "DELETE", NULL, NULL, api_manifest_delete } },
  { ROUTE_BLOB, { "GET", NULL, NULL, api_blob_get } },
  { ROUTE_BLOB, { "HEAD", NULL, NULL, api_blob_get } },
  { ROUTE_BLOB, { "DELETE", NULL, NULL, api_blob_delete } },
  { ROUTE_UPLOADS, { "POST", api_upload_post_begin, api_upload_body, api_upload_post_end } },
  { ROUTE_UPLOAD, { "PATCH", api_upload_chunk_begin, api_upload_body, api_upload_patch_end } },
  { ROUTE_UPLOAD, { "PUT", api_upload_chunk_begin, api_upload_body, api_upload_put_end } },
  { ROUTE_UPLOAD, { "GET", NULL, NULL, api_upload_get } },
  { ROUTE_UPLOAD, { "DELETE", NULL, NULL, api_upload_delete } },
  { ROUTE_REFERRERS, { "GET", NULL, NULL, api_referrers } },
  { ROUTE_METRICS, { "GET", NULL, NULL, api_metrics_get } },
  { ROUTE_METRICS, { "HEAD", NULL, NULL, api_metrics_get } },
};

const struct route_handler *route_lookup(enum route_kind kind,
                                         const char *method,
                                         bool *route_has_methods)
{
  *route_has_methods = false;
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    if (table[i].kind != kind)
      continue;
    *route_has_methods = true;
    if (strcmp(table[i].h.method, method) == 0)
      return &table[i].h;
  }
  return NULL;
}
