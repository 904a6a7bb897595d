/* test_file.c: bounded reads, atomic writes, directory helpers (file.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"

struct fixture {
  char dir[64];
  int fd;
};

static int setup(void **state)
{
  struct fixture *f = calloc(1, sizeof(*f));
  snprintf(f->dir, sizeof(f->dir), "/tmp/wh-test-file-XXXXXX");
  if (!mkdtemp(f->dir))
    return -1;
  f->fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(wh_rm_rf_at(AT_FDCWD, f->dir, NULL), 0);
  assert_true(access(f->dir, F_OK) < 0);
  close(f->fd);
  free(f);
  return 0;
}

static int count_tmp_files(int dirfd)
{
  int n = 0;
  _cleanup_closedir_ DIR *d = fdopendir(dup(dirfd));
  struct dirent *de;
  while ((de = readdir(d)))
    n += strncmp(de->d_name, ".tmp-", 5) == 0;
  return n;
}

static char *slurp(int dirfd, const char *name)
{
  char *data = NULL;
  assert_int_equal(wh_read_file_at(dirfd, name, 1 << 20, &data, NULL, NULL), 0);
  return data;
}

static void test_atomic_write_replaces_contents(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(wh_write_file_atomic(f->fd, "cfg", "first version", 13, 0644, NULL), 0);
  _cleanup_free_ char *a = slurp(f->fd, "cfg");
  assert_string_equal(a, "first version");
  assert_int_equal(wh_write_file_atomic(f->fd, "cfg", "v2", 2, 0644, NULL), 0);
  _cleanup_free_ char *b = slurp(f->fd, "cfg");
  assert_string_equal(b, "v2");
  assert_int_equal(count_tmp_files(f->fd), 0);
}

static void test_atomic_write_applies_mode_despite_umask(void **state)
{
  struct fixture *f = *state;
  mode_t old = umask(077);
  assert_int_equal(wh_write_file_atomic(f->fd, "shared", "x", 1, 0644, NULL), 0);
  umask(old);
  struct stat st;
  assert_int_equal(fstatat(f->fd, "shared", &st, 0), 0);
  assert_int_equal(st.st_mode & 07777, 0644);
  assert_int_equal(wh_write_file_atomic(f->fd, "shared", "y", 1, 0600, NULL), 0);
  assert_int_equal(fstatat(f->fd, "shared", &st, 0), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_atomic_write_rejects_paths_and_leaves_no_temp_on_failure(void **state)
{
  struct fixture *f = *state;
  struct wh_error *err = NULL;
  assert_true(wh_write_file_atomic(f->fd, "a/b", "x", 1, 0644, &err) < 0);
  assert_int_equal(err->kind, WH_ERR_INVALID);
  wh_error_free(err);
  err = NULL;
  assert_true(wh_write_file_atomic(f->fd, "", "x", 1, 0644, &err) < 0);
  wh_error_free(err);
  err = NULL;
  /* Renaming a file over a non-empty directory fails after the temporary
   * file was written: it must be removed. */
  mkdirat(f->fd, "isdir", 0755);
  int sub = openat(f->fd, "isdir", O_RDONLY | O_DIRECTORY);
  assert_int_equal(wh_write_file_atomic(sub, "keep", "k", 1, 0644, NULL), 0);
  close(sub);
  assert_true(wh_write_file_atomic(f->fd, "isdir", "x", 1, 0644, &err) < 0);
  assert_non_null(strstr(err->msg, "isdir"));
  wh_error_free(err);
  assert_int_equal(count_tmp_files(f->fd), 0);
  wh_rm_rf_at(f->fd, "isdir", NULL);
}

static void test_read_bound_enforced_with_too_large(void **state)
{
  struct fixture *f = *state;
  char data[100];
  memset(data, 'z', sizeof(data));
  assert_int_equal(wh_write_file_atomic(f->fd, "hundred", data, sizeof(data), 0644, NULL), 0);
  char *out = NULL;
  size_t len = 0;
  assert_int_equal(wh_read_file_at(f->fd, "hundred", 100, &out, &len, NULL), 0);
  assert_int_equal(len, 100);
  assert_int_equal(out[100], '\0');
  free(out);
  struct wh_error *err = NULL;
  out = NULL;
  assert_true(wh_read_file_at(f->fd, "hundred", 99, &out, &len, &err) < 0);
  assert_int_equal(err->kind, WH_ERR_TOO_LARGE);
  assert_non_null(strstr(err->msg, "hundred"));
  assert_null(out);
  wh_error_free(err);
}

static void test_read_bound_enforced_on_pipes(void **state)
{
  /* No size from fstat: the bound must hold while reading. */
  int p[2];
  assert_int_equal(pipe(p), 0);
  char data[5000];
  memset(data, 'p', sizeof(data));
  assert_int_equal(wh_write_all(p[1], data, sizeof(data), NULL), 0);
  close(p[1]);
  struct wh_error *err = NULL;
  char *out = NULL;
  assert_true(wh_read_fd(p[0], 4999, &out, NULL, &err) < 0);
  assert_int_equal(err->kind, WH_ERR_TOO_LARGE);
  wh_error_free(err);
  close(p[0]);

  assert_int_equal(pipe(p), 0);
  assert_int_equal(wh_write_all(p[1], data, sizeof(data), NULL), 0);
  close(p[1]);
  size_t len = 0;
  assert_int_equal(wh_read_fd(p[0], 5000, &out, &len, NULL), 0);
  assert_int_equal(len, 5000);
  free(out);
  close(p[0]);
}

static void test_read_without_limit_reads_large_files(void **state)
{
  struct fixture *f = *state;
  size_t n = 100000;
  _cleanup_free_ char *big = malloc(n);
  memset(big, 'b', n);
  /* SIZE_MAX means no limit: the bound arithmetic must not wrap. */
  assert_int_equal(wh_write_file_atomic(f->fd, "big", big, n, 0644, NULL), 0);
  _cleanup_close_ int fd = openat(f->fd, "big", O_RDONLY);
  char *out = NULL;
  size_t len = 0;
  assert_int_equal(wh_read_fd(fd, SIZE_MAX, &out, &len, NULL), 0);
  assert_int_equal(len, n);
  free(out);
}

static void test_read_missing_file_is_not_found(void **state)
{
  struct fixture *f = *state;
  struct wh_error *err = NULL;
  char *out = NULL;
  assert_true(wh_read_file_at(f->fd, "absent", 10, &out, NULL, &err) < 0);
  assert_int_equal(err->kind, WH_ERR_NOT_FOUND);
  assert_non_null(strstr(err->msg, "absent"));
  wh_error_free(err);
}

static void test_tmpfile_name_and_exclusive_create(void **state)
{
  struct fixture *f = *state;
  char *a = NULL, *b = NULL;
  int fa = wh_tmpfile_at(f->fd, "blob", 0600, &a, NULL);
  int fb = wh_tmpfile_at(f->fd, "blob", 0600, &b, NULL);
  assert_true(fa >= 0 && fb >= 0);
  assert_true(strncmp(a, ".tmp-blob-", 10) == 0);
  assert_int_equal(strlen(a), 10 + 16);
  assert_string_not_equal(a, b);
  assert_true(fcntl(fa, F_GETFD) & FD_CLOEXEC);
  assert_int_equal(fcntl(fa, F_GETFL) & O_ACCMODE, O_RDWR);
  unlinkat(f->fd, a, 0);
  unlinkat(f->fd, b, 0);
  close(fa);
  close(fb);
  free(a);
  free(b);
}

static void test_mkdir_p_creates_and_accepts_existing(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(wh_mkdir_p_at(f->fd, "m/a/b/c", 0755, NULL), 0);
  assert_int_equal(wh_mkdir_p_at(f->fd, "m/a/b/c/", 0755, NULL), 0);
  assert_int_equal(wh_mkdir_p_at(f->fd, "m//a", 0755, NULL), 0);
  struct stat st;
  assert_int_equal(fstatat(f->fd, "m/a/b/c", &st, 0), 0);
  assert_true(S_ISDIR(st.st_mode));
  char abs[128];
  snprintf(abs, sizeof(abs), "%s/m/abs/x", ((struct fixture *) *state)->dir);
  assert_int_equal(wh_mkdir_p_at(AT_FDCWD, abs, 0755, NULL), 0);
  assert_int_equal(fstatat(f->fd, "m/abs/x", &st, 0), 0);
  wh_rm_rf_at(f->fd, "m", NULL);
}

static void test_mkdir_p_over_file_is_exists(void **state)
{
  struct fixture *f = *state;
  wh_write_file_atomic(f->fd, "plain", "x", 1, 0644, NULL);
  struct wh_error *err = NULL;
  assert_true(wh_mkdir_p_at(f->fd, "plain/sub", 0755, &err) < 0);
  wh_error_free(err);
  err = NULL;
  assert_true(wh_mkdir_p_at(f->fd, "plain", 0755, &err) < 0);
  assert_int_equal(err->kind, WH_ERR_EXISTS);
  wh_error_free(err);
  err = NULL;
  assert_true(wh_mkdir_p_at(f->fd, "", 0755, &err) < 0);
  assert_int_equal(err->kind, WH_ERR_INVALID);
  wh_error_free(err);
}

static void test_rm_rf_removes_tree_without_following_links(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(wh_mkdir_p_at(f->fd, "victim/a/b", 0755, NULL), 0);
  assert_int_equal(wh_mkdir_p_at(f->fd, "keep", 0755, NULL), 0);
  int keep = openat(f->fd, "keep", O_RDONLY | O_DIRECTORY);
  wh_write_file_atomic(keep, "precious", "p", 1, 0644, NULL);
  close(keep);
  int a = openat(f->fd, "victim/a", O_RDONLY | O_DIRECTORY);
  wh_write_file_atomic(a, "f", "f", 1, 0644, NULL);
  char target[128];
  snprintf(target, sizeof(target), "%s/keep", f->dir);
  assert_int_equal(symlinkat(target, a, "abs_link_to_keep"), 0);
  assert_int_equal(symlinkat("../../keep", a, "rel_link_to_keep"), 0);
  close(a);
  /* A directory without write permission for its owner still goes. */
  fchmodat(f->fd, "victim/a/b", 0500, 0);

  assert_int_equal(wh_rm_rf_at(f->fd, "victim", NULL), 0);
  assert_true(faccessat(f->fd, "victim", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
  assert_int_equal(faccessat(f->fd, "keep/precious", F_OK, 0), 0);
}

static void test_rm_rf_of_missing_target_succeeds(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(wh_rm_rf_at(f->fd, "never-existed", NULL), 0);
}

static void test_rm_rf_of_symlink_removes_only_the_link(void **state)
{
  struct fixture *f = *state;
  wh_mkdir_p_at(f->fd, "real", 0755, NULL);
  int r = openat(f->fd, "real", O_RDONLY | O_DIRECTORY);
  wh_write_file_atomic(r, "inside", "i", 1, 0644, NULL);
  close(r);
  symlinkat("real", f->fd, "link");
  assert_int_equal(wh_rm_rf_at(f->fd, "link", NULL), 0);
  assert_true(faccessat(f->fd, "link", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
  assert_int_equal(faccessat(f->fd, "real/inside", F_OK, 0), 0);
  wh_rm_rf_at(f->fd, "real", NULL);
}

static void test_write_all_and_read_all_round_trip(void **state)
{
  int fd = memfd_create("rw", MFD_CLOEXEC);
  assert_int_equal(wh_write_all(fd, "hello world", 11, NULL), 0);
  lseek(fd, 0, SEEK_SET);
  char buf[32];
  assert_int_equal(wh_read_all(fd, buf, sizeof(buf), NULL), 11);
  assert_memory_equal(buf, "hello world", 11);
  struct wh_error *err = NULL;
  assert_true(wh_write_all(-1, "x", 1, &err) < 0);
  assert_int_equal(err->errnum, EBADF);
  wh_error_free(err);
  close(fd);
}

static void test_fsync_dir_accepts_directory(void **state)
{
  struct fixture *f = *state;
  assert_int_equal(wh_fsync_dir(f->fd, NULL), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_atomic_write_replaces_contents),
    cmocka_unit_test(test_atomic_write_applies_mode_despite_umask),
    cmocka_unit_test(test_atomic_write_rejects_paths_and_leaves_no_temp_on_failure),
    cmocka_unit_test(test_read_bound_enforced_with_too_large),
    cmocka_unit_test(test_read_bound_enforced_on_pipes),
    cmocka_unit_test(test_read_without_limit_reads_large_files),
    cmocka_unit_test(test_read_missing_file_is_not_found),
    cmocka_unit_test(test_tmpfile_name_and_exclusive_create),
    cmocka_unit_test(test_mkdir_p_creates_and_accepts_existing),
    cmocka_unit_test(test_mkdir_p_over_file_is_exists),
    cmocka_unit_test(test_rm_rf_removes_tree_without_following_links),
    cmocka_unit_test(test_rm_rf_of_missing_target_succeeds),
    cmocka_unit_test(test_rm_rf_of_symlink_removes_only_the_link),
    cmocka_unit_test(test_write_all_and_read_all_round_trip),
    cmocka_unit_test(test_fsync_dir_accepts_directory),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
