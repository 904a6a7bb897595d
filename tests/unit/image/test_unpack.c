/* test_unpack.c: layer tar → directory (unpack.c), on a real file
 * system under a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/error.h"
#include "base/file.h"
#include "image/unpack.h"

struct member {
  const char *name;
  mode_t type;
  const char *data; /* file data or link target */
};

/* A tar (optionally gzip) of members, built with libarchive. */
static void *make_tar(const struct member *m, size_t n, bool gzip, size_t *len)
{
  size_t cap = 1 << 20;
  void *buf = malloc(cap);
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip)
    archive_write_add_filter_gzip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  assert_int_equal(archive_write_open_memory(a, buf, cap, len), ARCHIVE_OK);
  for (size_t i = 0; i < n; i++) {
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, m[i].name);
    archive_entry_set_mtime(e, 1700000000, 0);
    if (m[i].type == 0) { /* hard link */
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_hardlink(e, m[i].data);
      archive_entry_set_perm(e, 0644);
    } else {
      archive_entry_set_filetype(e, m[i].type);
      archive_entry_set_perm(e, m[i].type == AE_IFDIR ? 0755 : 0640);
      if (m[i].type == AE_IFLNK)
        archive_entry_set_symlink(e, m[i].data);
      if (m[i].type == AE_IFREG)
        archive_entry_set_size(e, (la_int64_t) strlen(m[i].data));
    }
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    if (m[i].type == AE_IFREG && m[i].data[0])
      archive_write_data(a, m[i].data, strlen(m[i].data));
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return buf;
}

struct memsrc {
  const char *p;
  size_t left;
};

static ssize_t mem_read(void *ctx, const void **buf)
{
  struct memsrc *m = ctx;
  size_t n = m->left > 4096 ? 4096 : m->left; /* small pieces, as from a network */
  *buf = m->p;
  m->p += n;
  m->left -= n;
  return (ssize_t) n;
}

struct fx {
  char dir[64];
  int fd;
};

static int setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));
  strcpy(f->dir, "/tmp/wharf-unpack-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  f->fd = open(f->dir, O_RDONLY | O_DIRECTORY);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fx *f = *state;
  close(f->fd);
  wh_rm_rf_at(AT_FDCWD, f->dir, NULL);
  free(f);
  return 0;
}

static int unpack(struct fx *f, const struct member *m, size_t n, bool gzip, uint64_t max,
                  struct image_unpack_result *res, struct wh_error **err)
{
  size_t len = 0;
  void *tar = make_tar(m, n, gzip, &len);
  struct memsrc src = {tar, len};
  struct image_unpack_limits lim = {.max_bytes = max};
  int rc = image_unpack(f->fd, mem_read, &src, &lim, res, err);
  free(tar);
  return rc;
}

static void unpacks_files_links_and_whiteouts(void **state)
{
  struct fx *f = *state;
  const struct member m[] = {
    {"./bin", AE_IFDIR, NULL},
    {"./bin/tool", AE_IFREG, "binary"},
    {"./bin/alias", AE_IFLNK, "tool"},
    {"./bin/hard", 0, "bin/tool"},
    {"etc/.wh.old", AE_IFREG, ""},
    {"opt/.wh..wh..opq", AE_IFREG, ""},
    {"dev/fifo", AE_IFIFO, NULL},
  };
  struct image_unpack_result res;
  struct wh_error *err = NULL;
  assert_int_equal(unpack(f, m, 7, true, 0, &res, &err), 0);
  char buf[16] = "";
  int fd = openat(f->fd, "bin/tool", O_RDONLY);
  assert_int_equal(read(fd, buf, sizeof(buf)), 6);
  close(fd);
  assert_string_equal(buf, "binary");
  struct stat a, b;
  assert_int_equal(fstatat(f->fd, "bin/tool", &a, 0), 0);
  assert_int_equal(a.st_mode & 07777, 0640);
  assert_int_equal(a.st_mtime, 1700000000);
  assert_int_equal(fstatat(f->fd, "bin/hard", &b, AT_SYMLINK_NOFOLLOW), 0);
  assert_int_equal(a.st_ino, b.st_ino);
  char link[16] = "";
  assert_int_equal(readlinkat(f->fd, "bin/alias", link, sizeof(link)), 4);
  assert_int_equal(fstatat(f->fd, "etc/old", &a, AT_SYMLINK_NOFOLLOW), 0);
  assert_true(S_ISCHR(a.st_mode) && a.st_rdev == makedev(0, 0));
  char path[128], v[4] = "";
  snprintf(path, sizeof(path), "%s/opt", f->dir);
  assert_int_equal(getxattr(path, "trusted.overlay.opaque", v, sizeof(v)), 1);
  assert_int_equal(v[0], 'y');
  assert_int_equal(fstatat(f->fd, "dev/fifo", &a, AT_SYMLINK_NOFOLLOW), 0);
  assert_true(S_ISFIFO(a.st_mode));
  assert_int_equal(res.entries, 7);
  assert_int_equal(res.content_bytes, 6);
}

static void diff_id_is_the_tar_digest(void **state)
{
  struct fx *f = *state;
  const struct member m[] = {{"a", AE_IFREG, "hello"}};
  size_t len = 0;
  void *tar = make_tar(m, 1, false, &len);
  char want[WH_DIGEST_STR_MAX];
  assert_int_equal(wh_digest_buf(WH_SHA256, tar, len, want, NULL), 0);
  struct memsrc src = {tar, len};
  struct image_unpack_result res;
  assert_int_equal(image_unpack(f->fd, mem_read, &src, NULL, &res, NULL), 0);
  assert_string_equal(res.diff_id, want);
  assert_int_equal(res.tar_bytes, len);
  free(tar);
}

static void expect_refusal(struct fx *f, const struct member *m, size_t n, const char *part)
{
  struct image_unpack_result res;
  struct wh_error *err = NULL;
  assert_int_equal(unpack(f, m, n, false, 0, &res, &err), -1);
  assert_non_null(err);
  if (!strstr(err->msg, part))
    fail_msg("\"%s\" not in \"%s\"", part, err->msg);
  wh_error_free(err);
}

static void refuses_escapes(void **state)
{
  struct fx *f = *state;
  const struct member dotdot[] = {{"../escape", AE_IFREG, "x"}};
  expect_refusal(f, dotdot, 1, "would leave the layer");
  const struct member through[] = {{"l", AE_IFLNK, "/tmp"}, {"l/x", AE_IFREG, "x"}};
  expect_refusal(f, through, 2, "goes through the symlink");
  const struct member relsym[] = {{"a/b", AE_IFLNK, "../../x"}};
  expect_refusal(f, relsym, 1, "points out of the layer");
  const struct member hard[] = {{"h", 0, "/etc/passwd"}};
  expect_refusal(f, hard, 1, "is not a file in the layer");
  const struct member wh[] = {{".wh..", AE_IFREG, ""}};
  expect_refusal(f, wh, 1, "names no file");
}

static void refuses_tar_bombs(void **state)
{
  struct fx *f = *state;
  char *big = malloc(200001);
  memset(big, 'z', 200000);
  big[200000] = '\0';
  const struct member m[] = {{"bomb", AE_IFREG, big}};
  struct image_unpack_result res;
  struct wh_error *err = NULL;
  assert_int_equal(unpack(f, m, 1, true, 100000, &res, &err), -1);
  assert_int_equal(err->kind, WH_ERR_TOO_LARGE);
  wh_error_free(err);
  free(big);
}

static void refuses_garbage(void **state)
{
  struct fx *f = *state;
  static const char junk[] = "this is not a tar archive at all, not even close";
  struct memsrc src = {junk, sizeof(junk)};
  struct image_unpack_result res;
  struct wh_error *err = NULL;
  assert_int_equal(image_unpack(f->fd, mem_read, &src, NULL, &res, &err), -1);
  assert_int_equal(err->kind, WH_ERR_INVALID);
  wh_error_free(err);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(unpacks_files_links_and_whiteouts, setup, teardown),
    cmocka_unit_test_setup_teardown(diff_id_is_the_tar_digest, setup, teardown),
    cmocka_unit_test_setup_teardown(refuses_escapes, setup, teardown),
    cmocka_unit_test_setup_teardown(refuses_tar_bombs, setup, teardown),
    cmocka_unit_test_setup_teardown(refuses_garbage, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
