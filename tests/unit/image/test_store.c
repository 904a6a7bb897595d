/* test_store.c: the image store's rows and files (store.c,
 * store_query.c): commit, lookup by name/id/prefix, tag, remove with and
 * without users, sweep of what an interrupted writer left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/error.h"
#include "base/file.h"
#include "image/store.h"

struct fx {
  char dir[64];
  struct image_store *s;
};

static int setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));
  strcpy(f->dir, "/tmp/wharf-store-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  assert_int_equal(image_store_open(f->dir, IMAGE_STORE_EXCLUSIVE, &f->s, NULL), 0);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fx *f = *state;
  image_store_close(f->s);
  wh_rm_rf_at(AT_FDCWD, f->dir, NULL);
  free(f);
  return 0;
}

/* An image of one layer whose blob is `content`; returns its id. */
static void add_image(struct image_store *s, const char *content, const char *name,
                      char id[WH_DIGEST_STR_MAX])
{
  char blob[WH_DIGEST_STR_MAX], cfg[WH_DIGEST_STR_MAX], man[WH_DIGEST_STR_MAX];
  char cfgdata[256], mandata[256];
  assert_int_equal(wh_digest_buf(WH_SHA256, content, strlen(content), blob, NULL), 0);
  snprintf(cfgdata, sizeof(cfgdata), "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}", blob);
  assert_int_equal(wh_digest_buf(WH_SHA256, cfgdata, strlen(cfgdata), cfg, NULL), 0);
  snprintf(mandata, sizeof(mandata), "{\"config\":\"%s\"}", cfg);
  assert_int_equal(wh_digest_buf(WH_SHA256, mandata, strlen(mandata), man, NULL), 0);
  assert_int_equal(image_store_blob_put(s, blob, content, strlen(content), NULL), 0);
  assert_int_equal(image_store_blob_put(s, cfg, cfgdata, strlen(cfgdata), NULL), 0);
  assert_int_equal(image_store_blob_put(s, man, mandata, strlen(mandata), NULL), 0);
  if (!image_store_has_layer(s, blob)) {
    char *tmp = NULL;
    int fd = image_store_tmp_dir(s, "layer", &tmp, NULL);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(image_store_layer_adopt(s, tmp, blob, NULL), 0);
    free(tmp);
  }
  struct image_store_layer l = {blob, blob, blob, "application/vnd.oci.image.layer.v1.tar",
                                (int64_t) strlen(content), 42};
  struct image_store_blob blobs[] = {
    {blob, "application/vnd.oci.image.layer.v1.tar", (int64_t) strlen(content)},
    {cfg, "application/vnd.oci.image.config.v1+json", (int64_t) strlen(cfgdata)},
    {man, "application/vnd.oci.image.manifest.v1+json", (int64_t) strlen(mandata)},
  };
  struct image_store_commit c = {
    .image_id = cfg, .manifest_digest = man,
    .manifest_media_type = "application/vnd.oci.image.manifest.v1+json",
    .os = "linux", .arch = "amd64", .layers = &l, .n_layers = 1, .blobs = blobs, .n_blobs = 3,
    .name = name,
  };
  assert_int_equal(image_store_commit(s, &c, NULL), 0);
  strcpy(id, cfg);
}

static void lookup_by_name_id_and_prefix(void **state)
{
  struct fx *f = *state;
  char id[WH_DIGEST_STR_MAX];
  add_image(f->s, "layer-one", "reg.example:5000/team/app:1", id);
  struct image_info i;
  assert_int_equal(image_store_lookup(f->s, "reg.example:5000/team/app:1", &i, NULL), 0);
  assert_string_equal(i.id, id);
  assert_int_equal(i.size, 42);
  assert_int_equal(i.n_layers, 1);
  image_info_free(&i);
  assert_int_equal(image_store_lookup(f->s, "team/app:1", &i, NULL), 0); /* short name */
  image_info_free(&i);
  char prefix[16];
  snprintf(prefix, sizeof(prefix), "%.10s", id + 7);
  assert_int_equal(image_store_lookup(f->s, prefix, &i, NULL), 0);
  image_info_free(&i);
  struct wh_error *err = NULL;
  assert_int_equal(image_store_lookup(f->s, "team/app:2", &i, &err), -1);
  assert_int_equal(err->kind, WH_ERR_NOT_FOUND);
  wh_error_free(err);
}

static void remove_by_name_keeps_other_names(void **state)
{
  struct fx *f = *state;
  char id[WH_DIGEST_STR_MAX];
  add_image(f->s, "layer-two", "localhost/a:1", id);
  assert_int_equal(image_store_tag(f->s, id, "localhost/b:1", NULL), 0);
  char *untagged = NULL, *deleted = NULL;
  assert_int_equal(image_store_remove(f->s, "localhost/a:1", false, &untagged, &deleted, NULL), 0);
  assert_string_equal(untagged, "localhost/a:1");
  assert_null(deleted);
  free(untagged);
  assert_int_equal(image_store_remove(f->s, "localhost/b:1", false, &untagged, &deleted, NULL), 0);
  assert_string_equal(deleted, id);
  free(untagged);
  free(deleted);
  struct image_info *v;
  size_t n;
  assert_int_equal(image_store_list(f->s, &v, &n, NULL), 0);
  assert_int_equal(n, 0);
  image_info_list_free(v, n);
  struct image_store_usage u;
  assert_int_equal(image_store_df(f->s, &u, NULL), 0);
  assert_int_equal(u.layers + u.blobs, 0);
}

static void users_block_removal_unless_forced(void **state)
{
  struct fx *f = *state;
  char id[WH_DIGEST_STR_MAX];
  add_image(f->s, "layer-three", "localhost/c:1", id);
  assert_int_equal(image_store_add_user(f->s, id, "container-1", NULL), 0);
  struct wh_error *err = NULL;
  assert_int_equal(image_store_remove(f->s, "localhost/c:1", false, NULL, NULL, &err), -1);
  assert_int_equal(err->kind, WH_ERR_BUSY);
  wh_error_free(err);
  assert_int_equal(image_store_remove_user(f->s, "container-1", NULL), 0);
  assert_int_equal(image_store_remove(f->s, "localhost/c:1", false, NULL, NULL, NULL), 0);
}

static void exclusive_open_sweeps_leftovers(void **state)
{
  struct fx *f = *state;
  char *tmp = NULL;
  int fd = image_store_tmp_file(f->s, "blob", &tmp, NULL);
  assert_true(fd >= 0);
  close(fd);
  /* a layer renamed into place whose transaction never ran */
  char *dir = NULL;
  fd = image_store_tmp_dir(f->s, "layer", &dir, NULL);
  close(fd);
  assert_int_equal(image_store_layer_adopt(f->s, dir,
                   "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                   NULL), 0);
  image_store_close(f->s);
  assert_int_equal(image_store_open(f->dir, IMAGE_STORE_EXCLUSIVE, &f->s, NULL), 0);
  char p[256];
  snprintf(p, sizeof(p), "%s/tmp/%s", f->dir, tmp);
  assert_int_equal(access(p, F_OK), -1);
  snprintf(p, sizeof(p), "%s/layers/%064d", f->dir, 0);
  assert_int_equal(access(p, F_OK), -1);
  free(tmp);
  free(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(lookup_by_name_id_and_prefix, setup, teardown),
    cmocka_unit_test_setup_teardown(remove_by_name_keeps_other_names, setup, teardown),
    cmocka_unit_test_setup_teardown(users_block_removal_unless_forced, setup, teardown),
    cmocka_unit_test_setup_teardown(exclusive_open_sweeps_leftovers, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
