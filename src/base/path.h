/* path.h: paths resolved under a directory fd that they cannot escape.
 *
 * Used for every name that comes from outside (a tar entry, a mount
 * destination in config.json, a path in a request) inside a root such as
 * a container rootfs or a layer directory. Resolution follows the
 * semantics of chroot: ".." at the root stays at the root, and an absolute
 * symlink is taken relative to the root. Where the kernel has openat2(2),
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS does the work; elsewhere a
 * component-by-component walk with O_NOFOLLOW does the same. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct wh_error;

/* Open `path` under rootfd. flags as for openat (O_CLOEXEC is added); with
 * O_CREAT the final component is created inside the root. */
int wh_open_in_root(int rootfd, const char *path, int flags, mode_t mode,
                    struct wh_error **err);

/* Like wh_open_in_root() but never follows a symlink in the final
 * component (O_NOFOLLOW; O_PATH allowed to get the link itself). */
int wh_open_in_root_nofollow(int rootfd, const char *path, int flags,
                             mode_t mode, struct wh_error **err);

/* The fallback behind wh_open_in_root() when openat2(2) is missing
 * (ENOSYS): a component-by-component walk from rootfd with
 * O_PATH|O_NOFOLLOW that reads each symlink and resolves it itself with
 * chroot semantics (at most 40 links, then ELOOP). O_NOFOLLOW in flags
 * leaves a final symlink unfollowed, as in wh_open_in_root_nofollow().
 * Exposed so tests run both implementations on the same cases; callers
 * use wh_open_in_root(). */
int wh_open_in_root_walk(int rootfd, const char *path, int flags, mode_t mode,
                         struct wh_error **err);

/* Create every missing directory of `path` under rootfd (mode for new
 * ones) and return an O_DIRECTORY fd of the last one. A component that
 * exists and is not a directory (after resolving links inside the root)
 * fails with WH_ERR_EXISTS. */
int wh_mkdir_in_root(int rootfd, const char *path, mode_t mode,
                     struct wh_error **err);

/* Lexically normalise a relative or absolute path: collapse "//" and ".",
 * apply ".." without going above the start (the result never begins with
 * ".."), drop a leading "/". "" and "/" become ".". Returns a new string
 * or NULL on ENOMEM. */
char *wh_path_clean(const char *path);

/* Split `path` (cleaned) into its parent directory and last component:
 * "a/b/c" → "a/b" and "c"; "c" → "." and "c". Both new strings. */
int wh_path_split(const char *path, char **dir_out, char **base_out,
                  struct wh_error **err);

/* True if the running kernel has openat2 (probed once, cached per call
 * site by the caller if wanted; cheap: one failing syscall). */
bool wh_have_openat2(void);
