/* image/regconf.c: the registries configuration (see regconf.h). */
#include "image/regconf.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"

#define DEFAULT_CONF "/etc/wharf/registries.json"

void image_regconf_free(struct image_regconf *c)
{
  wh_strvfreep(&c->search);
  wh_strvfreep(&c->insecure);
  wh_strvfreep(&c->ca_files);
}

static char **strv_from_array(json_t *a, bool *ok)
{
  size_t n = json_array_size(a);
  char **v = calloc(n + 1, sizeof(char *));
  if (!v) {
    *ok = false;
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    const char *s = json_string_value(json_array_get(a, i));
    if (!s || !(v[i] = strdup(s))) {
      wh_strvfreep(&v);
      *ok = false;
      return NULL;
    }
  }
  *ok = true;
  return v;
}

int image_regconf_load(const char *path, struct image_regconf *out, struct wh_error **err)
{
  memset(out, 0, sizeof(*out));
  bool must_exist = path != NULL;
  if (!path)
    path = getenv("WHARF_REGISTRIES_CONF");
  if (path && *path)
    must_exist = true;
  else
    path = DEFAULT_CONF;
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  struct wh_error *e = NULL;
  if (wh_read_file_at(AT_FDCWD, path, 1 << 20, &data, &len, &e) < 0) {
    if (!must_exist && e->kind == WH_ERR_NOT_FOUND) {
      wh_error_free(e);
      out->search = calloc(1, sizeof(char *));
      out->insecure = calloc(1, sizeof(char *));
      out->ca_files = calloc(1, sizeof(char *));
      return out->search && out->insecure && out->ca_files
                 ? 0 : wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    }
    if (err && !*err)
      *err = e;
    else
      wh_error_free(e);
    return wh_error_wrap(err, "registries configuration %s", path);
  }
  json_error_t je;
  _cleanup_json_ json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
  if (!json_is_object(j))
    return wh_error_set(err, WH_ERR_INVALID, "registries configuration %s: line %d: %s", path,
                        je.line, j ? "expected an object" : je.text);
  json_t *s = json_object_get(j, "unqualified-search-registries");
  if (s && !json_is_array(s))
    return wh_error_set(err, WH_ERR_INVALID, "%s: unqualified-search-registries: expected an array", path);
  bool ok;
  out->search = strv_from_array(s, &ok);
  if (!ok)
    return wh_error_set(err, WH_ERR_INVALID, "%s: unqualified-search-registries: expected strings", path);
  json_t *regs = json_object_get(j, "registries");
  if (regs && !json_is_object(regs)) {
    image_regconf_free(out);
    return wh_error_set(err, WH_ERR_INVALID, "%s: registries: expected an object", path);
  }
  size_t n = json_object_size(regs), k = 0, kc = 0;
  out->insecure = calloc(n + 1, sizeof(char *));
  out->ca_files = calloc(n + 1, sizeof(char *));
  if (!out->insecure || !out->ca_files) {
    image_regconf_free(out);
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  const char *key;
  json_t *val;
  json_object_foreach(regs, key, val) {
    if (!json_is_object(val)) {
      image_regconf_free(out);
      return wh_error_set(err, WH_ERR_INVALID, "%s: registries.%s: expected an object", path, key);
    }
    if (json_is_true(json_object_get(val, "insecure")))
      out->insecure[k++] = strdup(key);
    json_t *ca = json_object_get(val, "ca-file");
    if (ca && !json_is_string(ca)) {
      image_regconf_free(out);
      return wh_error_set(err, WH_ERR_INVALID, "%s: registries.%s.ca-file: expected a path", path,
                          key);
    }
    if (ca && asprintf(&out->ca_files[kc++], "%s=%s", key, json_string_value(ca)) < 0) {
      out->ca_files[--kc] = NULL;
      image_regconf_free(out);
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    }
  }
  return 0;
}

const char *image_regconf_ca_file(const struct image_regconf *c, const char *domain)
{
  size_t n = strlen(domain);
  for (char **p = c ? c->ca_files : NULL; p && *p; p++)
    if (strncmp(*p, domain, n) == 0 && (*p)[n] == '=')
      return *p + n + 1;
  return NULL;
}

bool image_regconf_insecure(const struct image_regconf *c, const char *domain)
{
  for (char **p = c ? c->insecure : NULL; p && *p; p++)
    if (strcmp(*p, domain) == 0)
      return true;
  return false;
}
