/* runtime_spec_internal.h: what the files of the config.json reader share
 * (runtime_spec*.c), not for other modules: the typed getters that name
 * the field's place in every error, and each section's parser.
 *
 * Getters take the member's key and its parent's place ("process.user");
 * absent (or null) and optional leaves *out untouched and returns 0. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "oci/runtime_spec.h"

/* Field places are built in fixed buffers; a place longer than that is
 * cut short on purpose (the message stays readable and bounded). */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#define PATH_MAX_LEN 256

/* ---- getters (runtime_spec.c) ---------------------------------------- */

int spec_type_error(const char *path, const char *what, struct wh_error **err);
int spec_str_dup(json_t *v, const char *path, char **out, struct wh_error **err);
int spec_get_str(json_t *obj, const char *key, const char *parent,
                 bool required, char **out, struct wh_error **err);
int spec_get_bool(json_t *obj, const char *key, const char *parent,
                  bool *out, struct wh_error **err);
bool spec_as_int(json_t *v, json_int_t *out);
int spec_get_i64(json_t *obj, const char *key, const char *parent,
                 bool required, int64_t min, int64_t max,
                 struct oci_opt_i64 *out, struct wh_error **err);
int spec_get_u32(json_t *obj, const char *key, const char *parent,
                 bool required, uint32_t *out, struct wh_error **err);
int spec_get_u64(json_t *obj, const char *key, const char *parent,
                 bool required, uint64_t *out, struct wh_error **err);
int spec_get_array(json_t *obj, const char *key, const char *parent,
                   bool required, json_t **out, struct wh_error **err);
int spec_get_object(json_t *obj, const char *key, const char *parent,
                    bool required, json_t **out, struct wh_error **err);
int spec_get_strv(json_t *obj, const char *key, const char *parent,
                  bool required, char ***out, struct wh_error **err);
void spec_strv_free(char **v);
/* Index of s in names[0..n) (NULL entries skipped), or -1. */
int spec_lookup(const char *const *names, size_t n, const char *s);

/* ---- sections ---------------------------------------------------------- */

/* runtime_spec_process.c */
int spec_parse_process(json_t *o, const char *path, struct oci_process *p,
                       struct wh_error **err);
/* runtime_spec_linux.c: fills the linux.* fields of s; spec_linux_free
 * frees them (oci_spec_free calls it). */
int spec_parse_linux(json_t *l, struct oci_spec *s, struct wh_error **err);
void spec_linux_free(struct oci_spec *s);
/* runtime_spec_resources.c; major/minor absent give -1. */
int spec_parse_dev_numbers(json_t *o, const char *path, bool required,
                           int64_t *major, int64_t *minor, struct wh_error **err);
int spec_parse_resources(json_t *r, const char *path,
                         struct oci_resources *res, struct wh_error **err);
/* runtime_spec_seccomp.c; spec_seccomp_free takes NULL. */
int spec_parse_seccomp(json_t *o, struct oci_seccomp *sc, struct wh_error **err);
void spec_seccomp_free(struct oci_seccomp *sc);
