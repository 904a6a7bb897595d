/* proc.c: process identity from /proc. A pid alone can be recycled; the
 * pair (pid, start time) names one process for the life of the boot, so
 * records keep both and "is the monitor alive" compares both. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "internal.h"

static int read_stat(pid_t pid, char *state, int64_t *start)
{
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  if (n <= 0)
    return -1;
  buf[n] = 0;
  /* The command name (field 2) may hold spaces and parentheses: fields
   * after it are counted from the last ')'. */
  char *p = strrchr(buf, ')');
  if (!p || p[1] != ' ')
    return -1;
  p += 2;
  *state = *p;
  /* p is field 3 (state); start time is field 22. */
  for (int f = 3; f < 22; f++) {
    p = strchr(p, ' ');
    if (!p)
      return -1;
    p++;
  }
  *start = strtoll(p, NULL, 10);
  return 0;
}

int proc_starttime(pid_t pid, int64_t *out)
{
  char st;
  return read_stat(pid, &st, out);
}

bool proc_alive(pid_t pid, int64_t start)
{
  char st;
  int64_t s;
  if (pid <= 0 || read_stat(pid, &st, &s) < 0)
    return false;
  return s == start && st != 'Z' && st != 'X';
}

int64_t proc_self_start(void)
{
  int64_t s = 0;
  proc_starttime(getpid(), &s);
  return s;
}
