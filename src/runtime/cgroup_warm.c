/* cgroup_warm.c: start early the RCU grace period that the first cgroup v1
 * migration waits for.
 *
 * Every write to a v1 cgroup.procs takes the kernel's threadgroup rwsem
 * for writing, and a writer that finds that rwsem idle waits for a whole
 * RCU grace period first (4 to 14 ms measured here), while a writer that
 * comes within a grace period of another shares it. Moving init into its
 * cgroups is such a write, and it was most of what `run` spends. So a
 * short-lived helper, forked before the config is even read, moves itself
 * into the cgroup it is already in (a no-op migration): the grace period
 * then runs while the runtime parses, makes cgroups and clones, and
 * init's migration finds it passed or shares it. The helper is only a
 * hint: when it cannot write, nothing changes but the time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "runtime/cgroup.h"
#include "runtime/runtime.h"

/* The helper: find our own cgroup in a v1 hierarchy and write "0" (the
 * writer itself) to its cgroup.procs. Runs in the forked child only. */
static void warm_child(void)
{
  int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    _exit(0);
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    _exit(0);
  buf[n] = 0;
  /* lines are "ID:controllers:path"; take the first plain v1 controller
   * (not "name=" hierarchies, not the v2 "0::" line) */
  char *save, *line;
  for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2 || c2 == c1 + 1 || strncmp(c1 + 1, "name=", 5) == 0)
      continue;
    *c2 = 0;
    char path[4200];
    int l = snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s/cgroup.procs", c1 + 1,
                     strcmp(c2 + 1, "/") ? c2 + 1 : "");
    if (l <= 0 || (size_t) l >= sizeof(path))
      _exit(0);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      ssize_t w = write(fd, "0", 1);
      (void) w;
      close(fd);
    }
    _exit(0);
  }
  _exit(0);
}

pid_t rt_cgroup_warm_start(void)
{
  pid_t pid = fork();
  if (pid == 0)
    warm_child();
  return pid > 0 ? pid : -1;
}

void rt_cgroup_warm_end(pid_t *pid)
{
  if (*pid <= 0)
    return;
  while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
    ;
  *pid = -1;
}

pid_t runtime_warm_cgroups(void)
{
  return rt_cgroup_host_is_v2() ? -1 : rt_cgroup_warm_start();
}

void runtime_warm_cgroups_done(pid_t *pid)
{
  rt_cgroup_warm_end(pid);
}
