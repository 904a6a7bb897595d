/* image/store_internal.h: what store.c and store_query.c share. */
#pragma once

#include <sqlite3.h>

#include "image/store.h"

struct image_store {
  char *root;
  int rootfd;
  int lockfd;
  int blobsfd; /* blobs/sha256 */
  int layersfd;
  int tmpfd;
  sqlite3 *db;
};

static inline void store_finalizep(sqlite3_stmt **st)
{
  if (*st)
    sqlite3_finalize(*st);
  *st = (sqlite3_stmt *) 0;
}
#define _cleanup_stmt_ __attribute__((cleanup(store_finalizep)))

int store_db_error(struct image_store *s, const char *what, struct wh_error **err);
sqlite3_stmt *store_prepare(struct image_store *s, const char *sql, struct wh_error **err);
int store_exec(struct image_store *s, const char *sql, struct wh_error **err);
/* Hex part of "sha256:hex"; the whole string when there is no colon. */
const char *store_hex(const char *digest);
/* Delete files of blobs and layers with no row (after removals). */
int store_sweep(struct image_store *s, struct wh_error **err);
