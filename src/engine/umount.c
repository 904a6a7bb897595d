/* umount.c: unmounting without waiting for the kernel's grace period.
 *
 * umount2() takes the mount out of the tree at once (under the
 * namespace lock), then waits for an RCU grace period before it drops
 * the last references and returns: 20-50 ms here, the largest single
 * cost of removing a container. Nothing the engine does afterwards
 * needs the superblock gone, only the mount point free (to remove the
 * directory) and the mount invisible (to the host and to leftover
 * checks). So a child process makes the call and waits out the grace
 * period alone, while we watch the mount point until it is a plain
 * directory again, which it is as soon as the child is inside the call.
 *
 * The child keeps no file descriptor (a reader waiting for EOF on a
 * pipe or socket we hold must not wait for it), touches no state of
 * ours, and is reaped by whoever adopts it (our parent's reaper, or the
 * monitor, a subreaper, which exits soon after). An overlay whose mount
 * is gone lives on only until the child's call returns: its upper and
 * work directories can be removed meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/timeutil.h"
#include "internal.h"

bool mount_is_mounted(const char *path)
{
  struct stat a, b;
  _cleanup_free_ char *copy = strdup(path);
  if (!copy || lstat(path, &a) < 0 || stat(dirname(copy), &b) < 0)
    return false;
  return a.st_dev != b.st_dev;
}

static int umount_here(const char *path, struct wh_error **err)
{
  while (mount_is_mounted(path))
    if (umount2(path, MNT_DETACH) < 0) {
      if (errno == EINVAL || errno == ENOENT)
        break;
      return wh_error_errno(err, "unmount %s", path);
    }
  return 0;
}

int mount_detach_nowait(const char *path, struct wh_error **err)
{
  if (!mount_is_mounted(path))
    return 0;
  pid_t pid = fork();
  if (pid < 0)
    return umount_here(path, err);
  if (pid == 0) {
    syscall(SYS_close_range, 0U, ~0U, 0U);
    _exit(umount2(path, MNT_DETACH) == 0 ? 0 : 1);
  }
  /* The child is usually inside the call within a scheduling slice; a
   * child that failed (or a machine too busy to run it within 10 s)
   * leaves the unmount to us, which reports the error. */
  int64_t deadline = wh_now_mono_ns() + 10000000000LL;
  struct timespec step = {0, 100000};
  while (mount_is_mounted(path)) {
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid || wh_now_mono_ns() > deadline)
      return umount_here(path, err);
    nanosleep(&step, NULL);
  }
  return 0;
}
