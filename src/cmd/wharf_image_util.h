/* wharf_image_util.h: helpers the image command files share. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wharf_image.h"

struct image_store;
struct image_regconf;

#include "image/store.h"

int wharf_open_store(const struct wharf_globals *g, enum image_store_mode mode,
                     struct image_store **s, struct wh_error **err);
int wharf_client_opts(const struct wharf_globals *g, struct image_regconf *conf,
                      struct wh_error **err);
int wharf_parse_size(const char *s, uint64_t *out, struct wh_error **err);
int wharf_parse_bool(const char *s, bool *out, const char *what, struct wh_error **err);
void wharf_human_size(char *buf, size_t len, double v);
void wharf_ago(char *buf, size_t len, int64_t ns);
void wharf_split_name(const char *name, char *repo, size_t rlen, char *tag, size_t tlen);
