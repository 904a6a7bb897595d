/* wharf-init: the minimal init of `run --init`, PID 1 in the container.
 *
 * It starts the command as its child, forwards every catchable signal to
 * it, reaps every process that is re-parented to it (orphans of the
 * command), and exits with the command's status (128 + N for a signal) as
 * soon as the command exits. Built statically and bind-mounted at
 * /dev/init, so it needs nothing from the image. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  int first = 1;
  if (argc > 1 && strcmp(argv[1], "--") == 0)
    first = 2;
  if (first >= argc) {
    fputs("wharf-init: usage: wharf-init [--] COMMAND [ARG...]\n", stderr);
    return 125;
  }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) {
    perror("wharf-init: fork");
    return 125;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    /* Its own process group, so a signal to the group reaches it as a
     * shell's job would be reached. */
    setpgid(0, 0);
    execvp(argv[first], argv + first);
    fprintf(stderr, "wharf-init: %s: %s\n", argv[first], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0)
      continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0)
      if (p == child)
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
}
