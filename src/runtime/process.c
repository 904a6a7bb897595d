/* process.c: the last steps before execve, for init and for exec:
 * rlimits, umask, cwd, groups and ids, the five capability sets (libcap),
 * no_new_privs, seccomp; and the console (a pty whose master goes to the
 * caller's --console-socket). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "runtime/internal.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static int apply_rlimits(const struct oci_process *p, struct wh_error **err)
{
  for (size_t i = 0; i < p->n_rlimits; i++) {
    struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
    if (setrlimit(p->rlimits[i].resource, &rl) < 0)
      return wh_error_errno(err, "process.rlimits[%zu]: setrlimit %llu/%llu", i,
                            (unsigned long long) rl.rlim_cur,
                            (unsigned long long) rl.rlim_max);
  }
  return 0;
}

static int set_ids(const struct oci_process *p, struct wh_error **err)
{
  /* setgroups is denied in a user namespace whose setgroups is "deny";
   * with no additional gids that is not an error */
  gid_t groups[256] = { 0 };
  size_t n = p->n_additional_gids < 256 ? p->n_additional_gids : 256;
  for (size_t i = 0; i < n; i++)
    groups[i] = p->additional_gids[i];
  if (setgroups(n, groups) < 0 && (n > 0 || errno != EPERM))
    return wh_error_errno(err, "process.user.additionalGids");
  if (setresgid(p->gid, p->gid, p->gid) < 0)
    return wh_error_errno(err, "process.user.gid %u", p->gid);
  if (setresuid(p->uid, p->uid, p->uid) < 0)
    return wh_error_errno(err, "process.user.uid %u", p->uid);
  return 0;
}

static int drop_bounding(const struct oci_process *p, struct wh_error **err)
{
  for (int c = 0; c <= CAP_LAST_CAP; c++) {
    if (p->caps[OCI_CAP_BOUNDING] & (UINT64_C(1) << c))
      continue;
    /* dropping a dropped cap succeeds; EINVAL: the kernel has no such cap */
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      return wh_error_errno(err, "process.capabilities.bounding: drop %s", oci_cap_name(c));
  }
  return 0;
}

static int set_caps(const struct oci_process *p, struct wh_error **err)
{
  cap_t caps = cap_init();
  if (!caps)
    return wh_error_errno(err, "capabilities");
  static const struct { enum oci_cap_set set; cap_flag_t flag; } map[] = {
    { OCI_CAP_EFFECTIVE, CAP_EFFECTIVE },
    { OCI_CAP_PERMITTED, CAP_PERMITTED },
    { OCI_CAP_INHERITABLE, CAP_INHERITABLE },
  };
  for (size_t i = 0; i < WH_ARRAY_SIZE(map); i++)
    for (int c = 0; c <= CAP_LAST_CAP; c++)
      if (p->caps[map[i].set] & (UINT64_C(1) << c)) {
        cap_value_t v = c;
        cap_set_flag(caps, map[i].flag, 1, &v, CAP_SET);
      }
  int r = cap_set_proc(caps);
  int e = errno;
  cap_free(caps);
  if (r < 0) {
    errno = e;
    return wh_error_errno(err, "process.capabilities: capset");
  }
  /* one prctl (libcap's cap_reset_ambient asks about every cap first) */
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return wh_error_errno(err, "process.capabilities.ambient");
  /* the kernel only raises an ambient cap that is also permitted and
   * inheritable; runc and crun skip the others, and so do we */
  uint64_t raisable = p->caps[OCI_CAP_AMBIENT] & p->caps[OCI_CAP_PERMITTED] &
                      p->caps[OCI_CAP_INHERITABLE];
  for (int c = 0; c <= CAP_LAST_CAP; c++)
    if (raisable & (UINT64_C(1) << c))
      if (cap_set_ambient(c, CAP_SET) < 0 && errno != EPERM)
        return wh_error_errno(err, "process.capabilities.ambient: %s", oci_cap_name(c));
  return 0;
}

int rt_process_prepare(const struct oci_process *p, const struct oci_seccomp *sc,
                       const struct rt_seccomp_prog *prog, int *listener_fd,
                       struct wh_error **err)
{
  *listener_fd = -1;
  if (apply_rlimits(p, err) < 0)
    return -1;
  umask(p->has_umask ? p->umask : 022);
  /* before the ids change (the cwd may be closed to the user) and again
   * after (a root-squashed path may need the user) */
  bool cwd_ok = chdir(p->cwd) == 0;
  bool caps = p->has_caps;
  if (caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return wh_error_errno(err, "keepcaps");
  if (caps && drop_bounding(p, err) < 0)
    return -1;
  /* without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it
   * while we still have it (runc's order) */
  if (sc && !p->no_new_privileges && rt_seccomp_load(sc, prog, listener_fd, err) < 0)
    return -1;
  if (set_ids(p, err) < 0)
    return -1;
  if (caps && (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 || set_caps(p, err) < 0))
    return -1;
  if (!cwd_ok && chdir(p->cwd) < 0)
    return wh_error_errno(err, "process.cwd %s", p->cwd);
  if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return wh_error_errno(err, "process.noNewPrivileges");
  if (sc && p->no_new_privileges && rt_seccomp_load(sc, prog, listener_fd, err) < 0)
    return -1;
  return 0;
}

static const char *env_get(char **env, const char *name)
{
  size_t l = strlen(name);
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp(env[i], name, l) == 0 && env[i][l] == '=')
      return env[i] + l + 1;
  return NULL;
}

int rt_process_exec(const struct oci_process *p, int preserve_fds,
                    struct wh_error **err)
{
  static char *const empty[] = { NULL };
  char *const *env = p->env ? p->env : empty;
  /* nothing of ours leaks into the container: every fd above stdio and
   * the preserved ones is closed at exec */
  if (syscall(SYS_close_range, 3 + (unsigned) preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    for (int fd = 3 + preserve_fds; fd < 1024; fd++)
      fcntl(fd, F_SETFD, FD_CLOEXEC);
  for (int fd = 3; fd < 3 + preserve_fds; fd++)
    fcntl(fd, F_SETFD, 0);
  const char *file = p->args[0];
  if (strchr(file, '/')) {
    execve(file, p->args, env);
    return wh_error_errno(err, "exec %s", file);
  }
  const char *path = env_get(p->env, "PATH");
  if (!path)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int saved = ENOENT;
  while (*path) {
    const char *end = strchr(path, ':');
    size_t l = end ? (size_t) (end - path) : strlen(path);
    char full[4096];
    if (l + strlen(file) + 2 < sizeof(full)) {
      snprintf(full, sizeof(full), "%.*s/%s", (int) l, l ? path : ".", file);
      execve(full, p->args, env);
      if (errno != ENOENT && errno != ENOTDIR)
        saved = errno;
    }
    if (!end)
      break;
    path = end + 1;
  }
  errno = saved;
  return wh_error_errno(err, "exec %s", file);
}

int rt_setup_console(int console_fd, const struct oci_process *p, struct wh_error **err)
{
  _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return wh_error_errno(err, "console: /dev/ptmx");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
    return wh_error_errno(err, "console: unlock");
  /* the slave through the master (TIOCGPTPEER): no path lookup */
  _cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0)
    return wh_error_errno(err, "console: open slave");
  if (p->console_height || p->console_width) {
    struct winsize ws = { .ws_row = (unsigned short) p->console_height,
                          .ws_col = (unsigned short) p->console_width };
    ioctl(slave, TIOCSWINSZ, &ws);
  }
  if (rt_send_fd(console_fd, master, "console", err) < 0)
    return wh_error_wrap(err, "console socket");
  if (setsid() < 0 && errno != EPERM)
    return wh_error_errno(err, "console: setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0)
    return wh_error_errno(err, "console: controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0)
      return wh_error_errno(err, "console: stdio");
  return 0;
}
