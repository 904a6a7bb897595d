/* hooks.c: OCI hooks. Each runs with the container state JSON on stdin,
 * its own args and env (nothing inherited), stdout and stderr to the log
 * (or our stderr), and is killed at its timeout. A failing hook fails the
 * step it belongs to, except poststart and poststop (the spec says warn). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/timeutil.h"
#include "runtime/internal.h"

static int run_one(const struct oci_hook *h, const char *state, int log_fd,
                   struct wh_error **err)
{
  int in[2];
  /* a socket, not a pipe: send() with MSG_NOSIGNAL needs no SIGPIPE
   * disposition change in a process that may be the engine */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
    return wh_error_errno(err, "socketpair");
  pid_t pid = fork();
  if (pid < 0) {
    close(in[0]);
    close(in[1]);
    return wh_error_errno(err, "fork");
  }
  if (pid == 0) {
    dup2(in[0], 0);
    int out = log_fd >= 0 ? log_fd : 2;
    dup2(out, 1);
    dup2(out, 2);
    static char *const empty[] = { NULL };
    char *const fallback[] = { h->path, NULL };
    execve(h->path, h->args ? h->args : fallback, h->env ? h->env : empty);
    dprintf(2, "exec %s: %s\n", h->path, strerror(errno));
    _exit(127);
  }
  close(in[0]);
  /* the hook may not read its stdin: a full buffer must not block us */
  ssize_t w = send(in[1], state, strlen(state), MSG_DONTWAIT | MSG_NOSIGNAL);
  (void) w;
  close(in[1]);

  int64_t deadline = h->timeout > 0 ? wh_now_mono_ns() + (int64_t) h->timeout * 1000000000
                                    : 0;
  int status;
  for (;;) {
    pid_t r = waitpid(pid, &status, deadline ? WNOHANG : 0);
    if (r == pid)
      break;
    if (r < 0 && errno != EINTR)
      return wh_error_errno(err, "hook %s: wait", h->path);
    if (deadline && wh_now_mono_ns() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return wh_error_set(err, WH_ERR_TIMEOUT, "hook %s: timed out after %d s", h->path,
                          h->timeout);
    }
    if (deadline)
      usleep(2000);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  if (WIFEXITED(status))
    return wh_error_set(err, WH_ERR_INTERNAL, "hook %s: exit status %d", h->path,
                        WEXITSTATUS(status));
  return wh_error_set(err, WH_ERR_INTERNAL, "hook %s: killed by signal %d", h->path,
                      WTERMSIG(status));
}

int rt_run_hooks(const struct oci_spec *spec, enum oci_hook_kind kind,
                 const char *state_json, int log_fd, struct wh_error **err)
{
  for (size_t i = 0; i < spec->n_hooks[kind]; i++) {
    rt_debug(NULL, "hook", "%s[%zu] %s", oci_hook_kind_name(kind), i,
             spec->hooks[kind][i].path);
    if (run_one(&spec->hooks[kind][i], state_json ? state_json : "{}", log_fd, err) < 0)
      return wh_error_wrap(err, "hooks.%s[%zu]", oci_hook_kind_name(kind), i);
  }
  return 0;
}
