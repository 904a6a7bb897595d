/* test_store_blob_fs.c: the filesystem blob store (registry/store_blob_fs.c
 * and blob_pipe.c) on a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/error.h"
#include "base/file.h"
#include "registry/store_blob.h"

#define ID1 "11111111-1111-4111-8111-111111111111"
#define ID2 "22222222-2222-4222-8222-222222222222"

struct fixture {
  char dir[64];
  int dirfd;
  struct blob_store *s;
};

static int setup(void **state)
{
  struct fixture *f = calloc(1, sizeof(*f));
  strcpy(f->dir, "/tmp/wh-blobtest-XXXXXX");
  if (!f || !mkdtemp(f->dir))
    return -1;
  f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY);
  f->s = blob_store_fs_open(f->dirfd, true, NULL);
  *state = f;
  return f->s ? 0 : -1;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  blob_store_close(f->s);
  wh_rm_rf_at(AT_FDCWD, f->dir, NULL);
  close(f->dirfd);
  free(f);
  return 0;
}

static void digest_of(const void *data, size_t len, char out[WH_DIGEST_STR_MAX])
{
  assert_int_equal(wh_digest_buf(WH_SHA256, data, len, out, NULL), 0);
}

static void upload(struct blob_store *s, const char *id, const char *data, size_t len,
                   size_t piece)
{
  struct blob_writer *w;
  uint64_t size;
  assert_int_equal(blob_upload_create(s, id, NULL), 0);
  assert_int_equal(blob_upload_open(s, id, &w, &size, NULL), 0);
  assert_int_equal(size, 0);
  for (size_t off = 0; off < len; off += piece) {
    size_t n = len - off < piece ? len - off : piece;
    assert_int_equal(blob_write(w, data + off, n, NULL), 0);
  }
  blob_writer_release(w);
}

static void commit(struct blob_store *s, const char *id, const char *digest, int expect,
                   enum wh_err_kind kind)
{
  struct blob_writer *w;
  uint64_t size;
  struct wh_error *e = NULL;
  assert_int_equal(blob_upload_open(s, id, &w, &size, NULL), 0);
  assert_int_equal(blob_commit(w, digest, &size, &e), expect);
  if (expect < 0) {
    assert_non_null(e);
    assert_int_equal(e->kind, kind);
  }
  wh_error_free(e);
}

static void test_chunks_commit_and_read_back(void **state)
{
  struct fixture *f = *state;
  const char data[] = "hello, content-addressed world";
  char d[WH_DIGEST_STR_MAX];
  digest_of(data, sizeof(data) - 1, d);
  upload(f->s, ID1, data, sizeof(data) - 1, 5);
  commit(f->s, ID1, d, 0, 0);
  uint64_t size;
  assert_int_equal(blob_stat(f->s, d, &size, NULL), 0);
  assert_int_equal(size, sizeof(data) - 1);
  char *got;
  size_t n;
  assert_int_equal(blob_read_small(f->s, d, 1024, &got, &n, NULL), 0);
  assert_memory_equal(got, data, n);
  free(got);
  /* again, from the cache */
  assert_int_equal(blob_read_small(f->s, d, 1024, &got, &n, NULL), 0);
  assert_memory_equal(got, data, n);
  free(got);
  struct wh_error *e = NULL;
  assert_int_equal(blob_read_small(f->s, d, 4, &got, &n, &e), -1);
  assert_int_equal(e->kind, WH_ERR_TOO_LARGE);
  wh_error_free(e);
  /* the upload is gone */
  assert_int_equal(blob_upload_size(f->s, ID1, &size, NULL), -1);
}

static void test_large_upload_goes_through_the_pipe(void **state)
{
  struct fixture *f = *state;
  size_t len = (5 << 20) + 12345; /* several 1 MiB buffers and a tail */
  char *data = malloc(len);
  for (size_t i = 0; i < len; i++)
    data[i] = (char) (i * 2654435761u >> 13);
  char d[WH_DIGEST_STR_MAX];
  digest_of(data, len, d);
  upload(f->s, ID1, data, len, 16384);
  commit(f->s, ID1, d, 0, 0);
  int fd;
  uint64_t size;
  assert_int_equal(blob_open(f->s, d, &fd, &size, NULL), 0);
  assert_int_equal(size, len);
  char got[WH_DIGEST_STR_MAX];
  assert_int_equal(wh_digest_fd(WH_SHA256, fd, got, NULL, NULL), 0);
  assert_string_equal(got, d);
  close(fd);
  free(data);
}

static void test_digest_mismatch_removes_the_upload(void **state)
{
  struct fixture *f = *state;
  char d[WH_DIGEST_STR_MAX];
  digest_of("other", 5, d);
  upload(f->s, ID1, "content", 7, 7);
  commit(f->s, ID1, d, -1, WH_ERR_DIGEST);
  uint64_t size;
  assert_int_equal(blob_stat(f->s, d, &size, NULL), -1);
  assert_int_equal(blob_upload_size(f->s, ID1, &size, NULL), -1);
}

static void test_second_writer_is_busy_and_duplicate_commit_dedups(void **state)
{
  struct fixture *f = *state;
  char d[WH_DIGEST_STR_MAX];
  digest_of("same", 4, d);
  upload(f->s, ID1, "same", 4, 4);
  upload(f->s, ID2, "same", 4, 2);
  struct blob_writer *w, *w2;
  uint64_t size;
  struct wh_error *e = NULL;
  assert_int_equal(blob_upload_open(f->s, ID1, &w, &size, NULL), 0);
  assert_int_equal(blob_upload_open(f->s, ID1, &w2, &size, &e), -1);
  assert_int_equal(e->kind, WH_ERR_BUSY);
  wh_error_free(e);
  e = NULL;
  assert_int_equal(blob_upload_delete(f->s, ID1, &e), -1);
  assert_int_equal(e->kind, WH_ERR_BUSY);
  wh_error_free(e);
  assert_int_equal(blob_commit(w, d, &size, NULL), 0);
  commit(f->s, ID2, d, 0, 0);
  char **ids = NULL;
  assert_int_equal(blob_upload_list(f->s, &ids, NULL), 0);
  assert_null(ids[0]);
  free(ids);
}

static void test_hostile_ids_and_digests(void **state)
{
  struct fixture *f = *state;
  uint64_t size;
  struct wh_error *e = NULL;
  assert_int_equal(blob_upload_create(f->s, "../meta.db", &e), -1);
  wh_error_free(e);
  e = NULL;
  assert_int_equal(blob_upload_size(f->s, "../../etc", &size, &e), -1);
  assert_int_equal(e->kind, WH_ERR_NOT_FOUND);
  wh_error_free(e);
  e = NULL;
  assert_int_equal(blob_stat(f->s, "sha256:../../../etc/passwd", &size, &e), -1);
  wh_error_free(e);
  e = NULL;
  assert_int_equal(blob_stat(f->s, "md5:00", &size, &e), -1);
  assert_int_equal(e->kind, WH_ERR_UNSUPPORTED);
  wh_error_free(e);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_chunks_commit_and_read_back, setup, teardown),
    cmocka_unit_test_setup_teardown(test_large_upload_goes_through_the_pipe, setup, teardown),
    cmocka_unit_test_setup_teardown(test_digest_mismatch_removes_the_upload, setup, teardown),
    cmocka_unit_test_setup_teardown(test_second_writer_is_busy_and_duplicate_commit_dedups,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(test_hostile_ids_and_digests, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
