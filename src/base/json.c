/* json.c: jansson helpers with errors that name the place (see json.h).
 *
 * Every parse is strict (duplicate keys rejected, NUL in strings
 * rejected) because the same bytes may be read differently by another
 * implementation otherwise: a manifest with two "layers" keys must not mean
 * one thing to us and another to a client. */
#include "base/json.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"

json_t *wh_json_parse(const char *data, size_t len, const char *what,
                      struct wh_error **err)
{
  json_error_t jerr;
  json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!j) {
    wh_error_set(err, WH_ERR_INVALID, "%s: line %d, column %d: %s",
                 what ? what : "JSON", jerr.line, jerr.column, jerr.text);
    return NULL;
  }
  return j;
}

json_t *wh_json_parse_file_at(int dirfd, const char *path, size_t max_size,
                              struct wh_error **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (wh_read_file_at(dirfd, path, max_size, &data, &len, err) < 0)
    return NULL;
  return wh_json_parse(data, len, path, err);
}

char *wh_json_dump(const json_t *j, struct wh_error **err)
{
  char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
  if (!s)
    wh_error_set(err, WH_ERR_INTERNAL, "serialize JSON: out of memory");
  return s;
}

/* Look up key; 1 if found (in *v), 0 if absent and optional, -1 if absent
 * and required. */
static int lookup(const json_t *obj, const char *key, const char *path,
                  bool required, json_t **v, struct wh_error **err)
{
  if (!json_is_object(obj))
    return wh_error_set(err, WH_ERR_INVALID, "%s: parent is not an object", path);
  *v = json_object_get(obj, key);
  if (*v)
    return 1;
  if (required)
    return wh_error_set(err, WH_ERR_INVALID, "%s: required field missing", path);
  return 0;
}

static int wrong_type(const char *path, const char *expected, struct wh_error **err)
{
  return wh_error_set(err, WH_ERR_INVALID, "%s: expected %s", path, expected);
}

int wh_json_get_string(const json_t *obj, const char *key, const char *path,
                       bool required, const char **out, struct wh_error **err)
{
  json_t *v = NULL;
  int r = lookup(obj, key, path, required, &v, err);
  if (r <= 0)
    return r;
  if (!json_is_string(v))
    return wrong_type(path, "a string", err);
  *out = json_string_value(v);
  return 0;
}

int wh_json_get_int(const json_t *obj, const char *key, const char *path,
                    bool required, int64_t *out, struct wh_error **err)
{
  json_t *v = NULL;
  int r = lookup(obj, key, path, required, &v, err);
  if (r <= 0)
    return r;
  if (!json_is_integer(v))
    return wrong_type(path, "an integer", err);
  *out = (int64_t) json_integer_value(v);
  return 0;
}

int wh_json_get_uint(const json_t *obj, const char *key, const char *path,
                     bool required, uint64_t *out, struct wh_error **err)
{
  json_t *v = NULL;
  int r = lookup(obj, key, path, required, &v, err);
  if (r <= 0)
    return r;
  if (!json_is_integer(v))
    return wrong_type(path, "a non-negative integer", err);
  json_int_t i = json_integer_value(v);
  if (i < 0)
    return wh_error_set(err, WH_ERR_INVALID,
                        "%s: expected a non-negative integer, got %" JSON_INTEGER_FORMAT,
                        path, i);
  *out = (uint64_t) i;
  return 0;
}

int wh_json_get_bool(const json_t *obj, const char *key, const char *path,
                     bool required, bool *out, struct wh_error **err)
{
  json_t *v = NULL;
  int r = lookup(obj, key, path, required, &v, err);
  if (r <= 0)
    return r;
  if (!json_is_boolean(v))
    return wrong_type(path, "a boolean", err);
  *out = json_is_true(v);
  return 0;
}

int wh_json_get_object(const json_t *obj, const char *key, const char *path,
                       bool required, json_t **out, struct wh_error **err)
{
  json_t *v = NULL;
  int r = lookup(obj, key, path, required, &v, err);
  if (r < 0)
    return r;
  if (r == 0) {
    *out = NULL;
    return 0;
  }
  if (!json_is_object(v))
    return wrong_type(path, "an object", err);
  *out = v;
  return 0;
}

int wh_json_get_array(const json_t *obj, const char *key, const char *path,
                      bool required, json_t **out, struct wh_error **err)
{
  json_t *v = NULL;
  int r = lookup(obj, key, path, required, &v, err);
  if (r < 0)
    return r;
  if (r == 0) {
    *out = NULL;
    return 0;
  }
  if (!json_is_array(v))
    return wrong_type(path, "an array", err);
  *out = v;
  return 0;
}

int wh_json_get_strv(const json_t *obj, const char *key, const char *path,
                     bool required, char ***out, struct wh_error **err)
{
  json_t *v = NULL;
  int r = lookup(obj, key, path, required, &v, err);
  if (r < 0)
    return r;
  if (r == 0) {
    *out = NULL;
    return 0;
  }
  if (!json_is_array(v))
    return wrong_type(path, "an array of strings", err);
  size_t n = json_array_size(v);
  _cleanup_strv_ char **strv = calloc(n + 1, sizeof(char *));
  if (!strv)
    return wh_error_errno(err, "%s", path);
  for (size_t i = 0; i < n; i++) {
    json_t *e = json_array_get(v, i);
    if (!json_is_string(e))
      return wh_error_set(err, WH_ERR_INVALID, "%s[%zu]: expected a string", path, i);
    strv[i] = strdup(json_string_value(e));
    if (!strv[i])
      return wh_error_errno(err, "%s", path);
  }
  *out = steal_pointer(&strv);
  return 0;
}

int wh_json_set_str(json_t *obj, const char *key, const char *value)
{
  json_t *s = json_string(value);
  if (!s)
    return -1;
  return json_object_set_new(obj, key, s);
}

int wh_json_set_int(json_t *obj, const char *key, int64_t value)
{
  json_t *i = json_integer((json_int_t) value);
  if (!i)
    return -1;
  return json_object_set_new(obj, key, i);
}
