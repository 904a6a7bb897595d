/* json.h: helpers on jansson.
 *
 * Parse errors carry line and column; field getters name the field and
 * what was wrong with it ("process.args[2]: expected a string"). The raw
 * bytes of anything that is hashed are kept by the caller: JSON is never
 * re-serialized where a digest covers it. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wh_error;

static inline void wh_json_decrefp(json_t **j)
{
  if (*j)
    json_decref(*j);
  *j = (json_t *) 0;
}
#define _cleanup_json_ __attribute__((cleanup(wh_json_decrefp)))

/* Parse a buffer; `what` names it in errors ("manifest", "config.json").
 * Rejects duplicate keys (JSON_REJECT_DUPLICATES) and NUL in strings. */
json_t *wh_json_parse(const char *data, size_t len, const char *what,
                      struct wh_error **err);
json_t *wh_json_parse_file_at(int dirfd, const char *path, size_t max_size,
                              struct wh_error **err);

/* Compact serialization, keys in insertion order; caller frees. */
char *wh_json_dump(const json_t *j, struct wh_error **err);

/* Typed getters. `path` is the field's place for messages (e.g.
 * "process.user"); the key is looked up in obj. With required false, a
 * missing key leaves *out untouched and returns 0; a key of the wrong
 * type is always an error (WH_ERR_INVALID). Returned strings point into
 * obj. */
int wh_json_get_string(const json_t *obj, const char *key, const char *path,
                       bool required, const char **out, struct wh_error **err);
int wh_json_get_int(const json_t *obj, const char *key, const char *path,
                    bool required, int64_t *out, struct wh_error **err);
int wh_json_get_uint(const json_t *obj, const char *key, const char *path,
                     bool required, uint64_t *out, struct wh_error **err);
int wh_json_get_bool(const json_t *obj, const char *key, const char *path,
                     bool required, bool *out, struct wh_error **err);
/* Object or array: *out borrowed (NULL when optional and absent). */
int wh_json_get_object(const json_t *obj, const char *key, const char *path,
                       bool required, json_t **out, struct wh_error **err);
int wh_json_get_array(const json_t *obj, const char *key, const char *path,
                      bool required, json_t **out, struct wh_error **err);
/* A JSON array of strings as a new NULL-terminated vector (strings
 * copied); absent and optional gives *out = NULL. */
int wh_json_get_strv(const json_t *obj, const char *key, const char *path,
                     bool required, char ***out, struct wh_error **err);

/* Set helpers that take ownership of nothing and fail only on ENOMEM. */
int wh_json_set_str(json_t *obj, const char *key, const char *value);
int wh_json_set_int(json_t *obj, const char *key, int64_t value);
