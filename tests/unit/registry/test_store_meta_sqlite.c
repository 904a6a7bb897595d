/* test_store_meta_sqlite.c: the SQLite metadata store
 * (registry/store_meta_sqlite*.c) on a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "registry/store_meta.h"

#define B1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define B2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define M1 "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define M2 "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

struct fixture {
  char dir[64];
  struct meta_store *m;
};

static int setup(void **state)
{
  struct fixture *f = calloc(1, sizeof(*f));
  strcpy(f->dir, "/tmp/wh-metatest-XXXXXX");
  if (!f || !mkdtemp(f->dir))
    return -1;
  f->m = meta_store_sqlite_open(AT_FDCWD, f->dir, false, NULL);
  *state = f;
  return f->m ? 0 : -1;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  meta_store_close(f->m);
  wh_rm_rf_at(AT_FDCWD, f->dir, NULL);
  free(f);
  return 0;
}

static int put(struct meta_store *m, const char *digest, const char *tag, const char *blob,
               const char *child, const char *subject, struct wh_error **e)
{
  const char *blobs[] = { blob };
  const char *children[] = { child };
  struct meta_manifest_put p = {
    .repo = "app", .digest = digest, .media_type = "application/vnd.oci.image.manifest.v1+json",
    .tag = tag, .raw = "{\"raw\":1}", .size = 9, .subject = subject,
    .artifact_type = subject ? "application/x.sig" : NULL,
    .blobs = blob ? blobs : NULL, .n_blobs = blob ? 1 : 0,
    .children = child ? children : NULL, .n_children = child ? 1 : 0,
  };
  return meta_manifest_put(m, &p, e);
}

static void test_manifest_needs_its_blobs_and_children(void **state)
{
  struct fixture *f = *state;
  struct wh_error *e = NULL;
  assert_int_equal(put(f->m, M1, "v1", B1, NULL, NULL, &e), -1);
  assert_int_equal(e->kind, WH_ERR_NOT_FOUND);
  assert_non_null(strstr(e->msg, B1));
  wh_error_free(e);
  e = NULL;
  /* nothing of the failed push is visible */
  struct meta_manifest mf;
  assert_int_equal(meta_manifest_get(f->m, "app", "v1", false, true, &mf, NULL), -1);
  assert_int_equal(meta_blob_link(f->m, "app", B1, 10, NULL), 0);
  assert_int_equal(put(f->m, M1, "v1", B1, NULL, NULL, NULL), 0);
  assert_int_equal(put(f->m, M2, "multi", NULL, B2, NULL, &e), -1);
  assert_non_null(strstr(e->msg, "before the index"));
  wh_error_free(e);
  assert_int_equal(put(f->m, M2, "multi", NULL, M1, NULL, NULL), 0);
  assert_int_equal(meta_manifest_get(f->m, "app", "v1", false, true, &mf, NULL), 0);
  assert_string_equal(mf.digest, M1);
  assert_memory_equal(mf.raw, "{\"raw\":1}", 9);
  assert_int_equal(mf.size, 9);
  meta_manifest_clear(&mf);
}

static void test_tags_move_and_delete_with_their_manifest(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(put(f->m, M1, "a", NULL, NULL, NULL, NULL), 0);
  assert_int_equal(put(f->m, M1, "b", NULL, NULL, NULL, NULL), 0);
  assert_int_equal(put(f->m, M2, "c", NULL, NULL, NULL, NULL), 0);
  assert_int_equal(put(f->m, M2, "a", NULL, NULL, NULL, NULL), 0); /* moves a */
  _cleanup_strv_ char **tags = NULL;
  bool more;
  assert_int_equal(meta_tags_list(f->m, "app", NULL, 2, &tags, &more, NULL), 0);
  assert_string_equal(tags[0], "a");
  assert_string_equal(tags[1], "b");
  assert_null(tags[2]);
  assert_true(more);
  assert_int_equal(meta_manifest_delete(f->m, "app", M2, NULL), 0);
  wh_strvfreep(&tags);
  assert_int_equal(meta_tags_list(f->m, "app", NULL, 10, &tags, &more, NULL), 0);
  assert_string_equal(tags[0], "b"); /* a and c named M2 */
  assert_null(tags[1]);
  assert_false(more);
  struct wh_error *e = NULL;
  assert_int_equal(meta_tag_delete(f->m, "app", "zzz", &e), -1);
  assert_int_equal(e->kind, WH_ERR_NOT_FOUND);
  wh_error_free(e);
}

static void test_referrers_filter_and_sessions(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(put(f->m, M1, NULL, NULL, NULL, B1, NULL), 0);
  struct meta_referrer *r;
  size_t n;
  assert_int_equal(meta_referrers(f->m, "app", B1, NULL, &r, &n, NULL), 0);
  assert_int_equal(n, 1);
  assert_string_equal(r[0].digest, M1);
  assert_string_equal(r[0].artifact_type, "application/x.sig");
  meta_referrers_free(r, n);
  assert_int_equal(meta_referrers(f->m, "app", B1, "application/other", &r, &n, NULL), 0);
  assert_int_equal(n, 0);
  meta_referrers_free(r, n);

  int64_t updated;
  assert_int_equal(meta_upload_create(f->m, "u1", "app", 100, NULL), 0);
  assert_int_equal(meta_upload_get(f->m, "u1", "other", &updated, NULL), -1);
  assert_int_equal(meta_upload_touch(f->m, "u1", 200, NULL), 0);
  assert_int_equal(meta_upload_get(f->m, "u1", "app", &updated, NULL), 0);
  assert_int_equal(updated, 200);
  _cleanup_strv_ char **old = NULL;
  assert_int_equal(meta_upload_list(f->m, 150, &old, NULL), 0);
  assert_null(old[0]);
  wh_strvfreep(&old);
  assert_int_equal(meta_upload_list(f->m, 250, &old, NULL), 0);
  assert_string_equal(old[0], "u1");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_manifest_needs_its_blobs_and_children, setup, teardown),
    cmocka_unit_test_setup_teardown(test_tags_move_and_delete_with_their_manifest, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_referrers_filter_and_sessions, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
