/* test_path.c: resolution under a root (path.c).
 *
 * Every escape case runs against both implementations, openat2 and the
 * user-space walk, because the walk is what runs on old kernels and must
 * give the same answers. The fixture puts a "marker" file both inside the
 * root (contents "inside") and next to it (contents "outside"): a case
 * passes only if it reads "inside" or fails, never "outside". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/path.h"

struct fixture {
  char top[64];
  int topfd;
  int rootfd;
};

enum impl { IMPL_OPENAT2, IMPL_WALK };
static const char *const impl_names[] = { "openat2", "walk" };

static int open_with(enum impl impl, int rootfd, const char *path, int flags,
                     mode_t mode, struct wh_error **err)
{
  if (impl == IMPL_WALK)
    return wh_open_in_root_walk(rootfd, path, flags, mode, err);
  return wh_open_in_root(rootfd, path, flags, mode, err);
}

static void put(int dirfd, const char *name, const char *data)
{
  assert_int_equal(wh_write_file_atomic(dirfd, name, data, strlen(data), 0644, NULL), 0);
}

static void link_at(int dirfd, const char *target, const char *name)
{
  assert_int_equal(symlinkat(target, dirfd, name), 0);
}

static int setup(void **state)
{
  struct fixture *f = calloc(1, sizeof(*f));
  snprintf(f->top, sizeof(f->top), "/tmp/wh-test-path-XXXXXX");
  if (!mkdtemp(f->top))
    return -1;
  f->topfd = open(f->top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  /* top/etc/marker = "outside", top/root/etc/marker = "inside" */
  mkdirat(f->topfd, "etc", 0755);
  mkdirat(f->topfd, "root", 0755);
  int etc = openat(f->topfd, "etc", O_RDONLY | O_DIRECTORY);
  put(etc, "marker", "outside");
  close(etc);
  f->rootfd = openat(f->topfd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r = f->rootfd;
  mkdirat(r, "etc", 0755);
  mkdirat(r, "dir", 0755);
  mkdirat(r, "dir/sub", 0755);
  etc = openat(r, "etc", O_RDONLY | O_DIRECTORY);
  put(etc, "marker", "inside");
  close(etc);
  put(r, "file", "a file");
  link_at(r, "/etc", "abs_link");
  link_at(r, "../../../../etc", "rel_up");
  link_at(r, "/", "to_root");
  link_at(r, "..", "dir/up");
  link_at(r, "/../../etc/marker", "dir/abs_file_link");
  link_at(r, "../../../..", "dir/sub/far_up");
  link_at(r, "loop_b", "loop_a");
  link_at(r, "loop_a", "loop_b");
  link_at(r, "self/x", "self");
  link_at(r, "/created_via_link", "dangling");
  link_at(r, "to_root/etc/", "etc_dir_link");
  /* chain0 -> chain1 -> ... -> chain40 -> etc/marker: 41 links from
   * chain0, 40 from chain1. */
  for (int i = 0; i <= 40; i++) {
    char name[32], target[32];
    snprintf(name, sizeof(name), "chain%d", i);
    if (i == 40)
      snprintf(target, sizeof(target), "etc/marker");
    else
      snprintf(target, sizeof(target), "chain%d", i + 1);
    link_at(r, target, name);
  }
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  close(f->rootfd);
  wh_rm_rf_at(AT_FDCWD, f->top, NULL);
  close(f->topfd);
  free(f);
  return 0;
}

/* Open path under the root and return its contents, or NULL with errno. */
static char *read_in_root(enum impl impl, int rootfd, const char *path)
{
  _cleanup_close_ int fd = open_with(impl, rootfd, path, O_RDONLY, 0, NULL);
  if (fd < 0)
    return NULL;
  char *data = NULL;
  if (wh_read_fd(fd, 4096, &data, NULL, NULL) < 0)
    return NULL;
  return data;
}

static void expect_inside(int rootfd, const char *path)
{
  for (int impl = 0; impl < 2; impl++) {
    _cleanup_free_ char *data = read_in_root((enum impl) impl, rootfd, path);
    if (!data || strcmp(data, "inside") != 0)
      fail_msg("%s via %s: got %s (errno %d)", path, impl_names[impl],
               data ? data : "(null)", errno);
  }
}

static void expect_errno(int rootfd, const char *path, int flags, int want)
{
  for (int impl = 0; impl < 2; impl++) {
    struct wh_error *err = NULL;
    int fd = open_with((enum impl) impl, rootfd, path, flags, 0, &err);
    if (fd >= 0)
      fail_msg("%s via %s: opened, expected errno %d", path, impl_names[impl], want);
    if (!err || err->errnum != want)
      fail_msg("%s via %s: errno %d, expected %d", path, impl_names[impl],
               err ? err->errnum : -1, want);
    assert_non_null(strstr(err->msg, path));
    wh_error_free(err);
  }
}

static void test_kernel_has_openat2(void **state)
{
  /* Otherwise the "openat2" half of every case below would silently test
   * the walk twice. */
  assert_true(wh_have_openat2());
}

static void test_plain_paths_resolve(void **state)
{
  struct fixture *f = *state;
  expect_inside(f->rootfd, "etc/marker");
  expect_inside(f->rootfd, "/etc/marker");
  expect_inside(f->rootfd, "./etc//marker");
  expect_inside(f->rootfd, "dir/sub/../../etc/marker");
}

static void test_dotdot_stays_in_root(void **state)
{
  struct fixture *f = *state;
  expect_inside(f->rootfd, "../etc/marker");
  expect_inside(f->rootfd, "../../../../etc/marker");
  expect_inside(f->rootfd, "/../etc/marker");
  expect_inside(f->rootfd, "etc/../../etc/marker");
  expect_inside(f->rootfd, "dir/../../../etc/marker");
}

static void test_absolute_symlink_is_relative_to_root(void **state)
{
  struct fixture *f = *state;
  expect_inside(f->rootfd, "abs_link/marker");
  expect_inside(f->rootfd, "dir/abs_file_link");
  expect_inside(f->rootfd, "etc_dir_link/marker");
}

static void test_relative_symlink_cannot_climb_out(void **state)
{
  struct fixture *f = *state;
  expect_inside(f->rootfd, "rel_up/marker");
  expect_inside(f->rootfd, "dir/sub/far_up/etc/marker");
}

static void test_dotdot_through_symlink_stays_in_root(void **state)
{
  struct fixture *f = *state;
  expect_inside(f->rootfd, "dir/up/../../etc/marker");
  expect_inside(f->rootfd, "dir/up/dir/up/etc/marker");
  expect_inside(f->rootfd, "dir/sub/../up/../../etc/marker");
  expect_inside(f->rootfd, "abs_link/../../../etc/marker");
  expect_inside(f->rootfd, "dir/sub/far_up/../etc/marker");
}

static void test_symlink_to_slash_is_the_root(void **state)
{
  struct fixture *f = *state;
  expect_inside(f->rootfd, "to_root/etc/marker");
  expect_inside(f->rootfd, "to_root/../etc/marker");
  expect_inside(f->rootfd, "to_root/to_root/../to_root/etc/marker");
  for (int impl = 0; impl < 2; impl++) {
    _cleanup_close_ int fd = open_with((enum impl) impl, f->rootfd, "to_root",
                                       O_RDONLY | O_DIRECTORY, 0, NULL);
    assert_true(fd >= 0);
    struct stat a, b;
    assert_int_equal(fstat(fd, &a), 0);
    assert_int_equal(fstat(f->rootfd, &b), 0);
    assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  }
}

static void test_symlink_loops_fail_with_eloop(void **state)
{
  struct fixture *f = *state;
  expect_errno(f->rootfd, "loop_a", O_RDONLY, ELOOP);
  expect_errno(f->rootfd, "loop_b/x", O_RDONLY, ELOOP);
  expect_errno(f->rootfd, "self", O_RDONLY, ELOOP);
}

static void test_forty_links_resolve_forty_one_fail(void **state)
{
  struct fixture *f = *state;
  expect_inside(f->rootfd, "chain1");
  expect_errno(f->rootfd, "chain0", O_RDONLY, ELOOP);
}

static void test_missing_file_is_enoent_and_not_found(void **state)
{
  struct fixture *f = *state;
  expect_errno(f->rootfd, "etc/nothing", O_RDONLY, ENOENT);
  expect_errno(f->rootfd, "file/x", O_RDONLY, ENOTDIR);
  struct wh_error *err = NULL;
  assert_true(wh_open_in_root(f->rootfd, "nope", O_RDONLY, 0, &err) < 0);
  assert_int_equal(err->kind, WH_ERR_NOT_FOUND);
  wh_error_free(err);
}

static void test_nofollow_final_symlink(void **state)
{
  struct fixture *f = *state;
  for (int impl = 0; impl < 2; impl++) {
    /* O_PATH|O_NOFOLLOW gives the link itself. */
    _cleanup_close_ int fd = open_with((enum impl) impl, f->rootfd, "dir/abs_file_link",
                                       O_PATH | O_NOFOLLOW, 0, NULL);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
  }
  expect_errno(f->rootfd, "dir/abs_file_link", O_RDONLY | O_NOFOLLOW, ELOOP);
  /* Links before the final component are still followed. */
  _cleanup_close_ int fd = wh_open_in_root_nofollow(f->rootfd, "abs_link/marker",
                                                    O_RDONLY, 0, NULL);
  assert_true(fd >= 0);
  struct wh_error *err = NULL;
  assert_true(wh_open_in_root_nofollow(f->rootfd, "abs_link", O_RDONLY, 0, &err) < 0);
  assert_int_equal(err->errnum, ELOOP);
  wh_error_free(err);
}

static void test_create_through_dangling_link_lands_in_root(void **state)
{
  struct fixture *f = *state;
  for (int impl = 0; impl < 2; impl++) {
    _cleanup_close_ int fd = open_with((enum impl) impl, f->rootfd, "dangling",
                                       O_WRONLY | O_CREAT, 0600, NULL);
    if (fd < 0)
      fail_msg("create via %s: errno %d", impl_names[impl], errno);
    struct stat st;
    assert_int_equal(fstatat(f->rootfd, "created_via_link", &st, 0), 0);
    assert_int_equal(unlinkat(f->rootfd, "created_via_link", 0), 0);
    /* Nothing was created outside. */
    assert_true(access("/created_via_link", F_OK) < 0);
  }
}

static void test_exclusive_create_on_a_link_is_eexist(void **state)
{
  struct fixture *f = *state;
  /* O_CREAT|O_EXCL never follows a final link, dangling or not. */
  expect_errno(f->rootfd, "dangling", O_WRONLY | O_CREAT | O_EXCL, EEXIST);
  expect_errno(f->rootfd, "dir/abs_file_link", O_WRONLY | O_CREAT | O_EXCL, EEXIST);
  assert_true(faccessat(f->rootfd, "created_via_link", F_OK, 0) < 0);
}

static void test_magic_links_are_refused_by_openat2(void **state)
{
  /* /proc/self/root is a "magic" link that jumps without a path; with the
   * host's / as the root it is the only way such a link can be reached
   * in a test. The walk reads it as the text "/" instead, which is safe. */
  _cleanup_close_ int slash = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct wh_error *err = NULL;
  assert_true(wh_open_in_root(slash, "proc/self/root", O_RDONLY, 0, &err) < 0);
  assert_int_equal(err->errnum, ELOOP);
  wh_error_free(err);
  _cleanup_close_ int fd = wh_open_in_root_walk(slash, "proc/self/root", O_RDONLY, 0, NULL);
  assert_true(fd >= 0);
}

static void test_create_new_file_in_resolved_dir(void **state)
{
  struct fixture *f = *state;
  for (int impl = 0; impl < 2; impl++) {
    _cleanup_close_ int fd = open_with((enum impl) impl, f->rootfd, "../abs_link/new",
                                       O_WRONLY | O_CREAT | O_EXCL, 0600, NULL);
    assert_true(fd >= 0);
    assert_int_equal(unlinkat(f->rootfd, "etc/new", 0), 0);
    expect_errno(f->rootfd, "etc/marker", O_WRONLY | O_CREAT | O_EXCL, EEXIST);
  }
}

static void test_empty_path_and_dot_open_the_root(void **state)
{
  struct fixture *f = *state;
  for (int impl = 0; impl < 2; impl++) {
    const char *paths[] = { "", ".", "/", "..", "dir/.." };
    for (size_t i = 0; i < WH_ARRAY_SIZE(paths); i++) {
      _cleanup_close_ int fd = open_with((enum impl) impl, f->rootfd, paths[i],
                                         O_RDONLY | O_DIRECTORY, 0, NULL);
      if (fd < 0)
        fail_msg("'%s' via %s: errno %d", paths[i], impl_names[impl], errno);
      struct stat a, b;
      fstat(fd, &a);
      fstat(f->rootfd, &b);
      assert_true(a.st_ino == b.st_ino);
    }
  }
}

static void test_trailing_slash_requires_directory_and_follows_link(void **state)
{
  struct fixture *f = *state;
  expect_errno(f->rootfd, "file/", O_RDONLY, ENOTDIR);
  expect_errno(f->rootfd, "newfile/", O_WRONLY | O_CREAT, EISDIR);
  for (int impl = 0; impl < 2; impl++) {
    /* Even with O_NOFOLLOW, "link/" names the directory behind it. */
    _cleanup_close_ int fd = open_with((enum impl) impl, f->rootfd, "abs_link/",
                                       O_RDONLY | O_NOFOLLOW, 0, NULL);
    if (fd < 0)
      fail_msg("abs_link/ via %s: errno %d", impl_names[impl], errno);
    struct stat st;
    fstat(fd, &st);
    assert_true(S_ISDIR(st.st_mode));
  }
}

static void test_mkdir_in_root_creates_missing_dirs(void **state)
{
  struct fixture *f = *state;
  _cleanup_close_ int fd = wh_mkdir_in_root(f->rootfd, "new/a/b", 0755, NULL);
  assert_true(fd >= 0);
  struct stat st;
  assert_int_equal(fstatat(f->rootfd, "new/a/b", &st, 0), 0);
  assert_true(S_ISDIR(st.st_mode));
  /* Existing directories are fine and the fd is the last one. */
  _cleanup_close_ int again = wh_mkdir_in_root(f->rootfd, "new/a/b/", 0755, NULL);
  assert_true(again >= 0);
  struct stat a;
  fstat(again, &a);
  assert_true(a.st_ino == st.st_ino);
  wh_rm_rf_at(f->rootfd, "new", NULL);
}

static void test_mkdir_in_root_stays_in_root(void **state)
{
  struct fixture *f = *state;
  _cleanup_close_ int fd = wh_mkdir_in_root(f->rootfd, "../../escaped", 0755, NULL);
  assert_true(fd >= 0);
  assert_int_equal(faccessat(f->rootfd, "escaped", F_OK, 0), 0);
  assert_true(faccessat(f->topfd, "escaped", F_OK, 0) < 0);
  unlinkat(f->rootfd, "escaped", AT_REMOVEDIR);

  _cleanup_close_ int fd2 = wh_mkdir_in_root(f->rootfd, "abs_link/../../etc/sub", 0755, NULL);
  assert_true(fd2 >= 0);
  assert_int_equal(faccessat(f->rootfd, "etc/sub", F_OK, 0), 0);
  assert_true(faccessat(f->topfd, "etc/sub", F_OK, 0) < 0);
  unlinkat(f->rootfd, "etc/sub", AT_REMOVEDIR);

  _cleanup_close_ int fd3 = wh_mkdir_in_root(f->rootfd, "to_root/made", 0755, NULL);
  assert_true(fd3 >= 0);
  assert_int_equal(faccessat(f->rootfd, "made", F_OK, 0), 0);
  unlinkat(f->rootfd, "made", AT_REMOVEDIR);
}

static void test_mkdir_in_root_over_file_is_exists(void **state)
{
  struct fixture *f = *state;
  struct wh_error *err = NULL;
  assert_true(wh_mkdir_in_root(f->rootfd, "file/sub", 0755, &err) < 0);
  assert_int_equal(err->kind, WH_ERR_EXISTS);
  assert_non_null(strstr(err->msg, "file"));
  wh_error_free(err);
  err = NULL;
  assert_true(wh_mkdir_in_root(f->rootfd, "etc/marker", 0755, &err) < 0);
  assert_int_equal(err->kind, WH_ERR_EXISTS);
  wh_error_free(err);
}

static void check_clean(const char *in, const char *want)
{
  _cleanup_free_ char *got = wh_path_clean(in);
  assert_non_null(got);
  if (strcmp(got, want) != 0)
    fail_msg("clean('%s') = '%s', want '%s'", in, got, want);
}

static void test_path_clean_normalises(void **state)
{
  check_clean("", ".");
  check_clean("/", ".");
  check_clean(".", ".");
  check_clean("//", ".");
  check_clean("a", "a");
  check_clean("/a/b/", "a/b");
  check_clean("a//b///c", "a/b/c");
  check_clean("./a/./b/.", "a/b");
  check_clean("a/b/../c", "a/c");
  check_clean("a/b/../../c", "c");
  check_clean("...", "...");
  check_clean("..a/b..", "..a/b..");
}

static void test_path_clean_never_climbs_above_start(void **state)
{
  check_clean("..", ".");
  check_clean("../..", ".");
  check_clean("../a", "a");
  check_clean("/../../etc/passwd", "etc/passwd");
  check_clean("a/../../b", "b");
  check_clean("a/../..", ".");
}

static void check_split(const char *in, const char *dir, const char *base)
{
  _cleanup_free_ char *d = NULL, *b = NULL;
  assert_int_equal(wh_path_split(in, &d, &b, NULL), 0);
  assert_string_equal(d, dir);
  assert_string_equal(b, base);
}

static void test_path_split_gives_parent_and_last(void **state)
{
  check_split("a/b/c", "a/b", "c");
  check_split("c", ".", "c");
  check_split("/a//b/", "a", "b");
  check_split("a/../b", ".", "b");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_kernel_has_openat2),
    cmocka_unit_test(test_plain_paths_resolve),
    cmocka_unit_test(test_dotdot_stays_in_root),
    cmocka_unit_test(test_absolute_symlink_is_relative_to_root),
    cmocka_unit_test(test_relative_symlink_cannot_climb_out),
    cmocka_unit_test(test_dotdot_through_symlink_stays_in_root),
    cmocka_unit_test(test_symlink_to_slash_is_the_root),
    cmocka_unit_test(test_symlink_loops_fail_with_eloop),
    cmocka_unit_test(test_forty_links_resolve_forty_one_fail),
    cmocka_unit_test(test_missing_file_is_enoent_and_not_found),
    cmocka_unit_test(test_nofollow_final_symlink),
    cmocka_unit_test(test_create_through_dangling_link_lands_in_root),
    cmocka_unit_test(test_exclusive_create_on_a_link_is_eexist),
    cmocka_unit_test(test_magic_links_are_refused_by_openat2),
    cmocka_unit_test(test_create_new_file_in_resolved_dir),
    cmocka_unit_test(test_empty_path_and_dot_open_the_root),
    cmocka_unit_test(test_trailing_slash_requires_directory_and_follows_link),
    cmocka_unit_test(test_mkdir_in_root_creates_missing_dirs),
    cmocka_unit_test(test_mkdir_in_root_stays_in_root),
    cmocka_unit_test(test_mkdir_in_root_over_file_is_exists),
    cmocka_unit_test(test_path_clean_normalises),
    cmocka_unit_test(test_path_clean_never_climbs_above_start),
    cmocka_unit_test(test_path_split_gives_parent_and_last),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
