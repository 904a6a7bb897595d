/* attach.c: the byte stream between a container's monitor and the
 * commands attached to it (run without -d, attach, start -a, wait, stop).
 *
 * Frames are a type byte, a 4-byte big-endian length and the payload
 * (at most FRAME_MAX bytes). The monitor sends output, STARTED, EXIT and
 * ERROR; a client sends stdin, stdin EOF, terminal sizes and signals to
 * forward. The socket is RUNROOT/containers/ID/attach.sock (mode 0600),
 * or one end of a socketpair for the command that starts the container,
 * so that command misses no output. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "internal.h"

int frame_write(int fd, enum frame_type t, const void *data, uint32_t len)
{
  unsigned char hdr[5] = {(unsigned char) t, (unsigned char) (len >> 24),
                          (unsigned char) (len >> 16), (unsigned char) (len >> 8),
                          (unsigned char) len};
  if (len > FRAME_MAX)
    return -1;
  if (wh_write_all(fd, hdr, 5, NULL) < 0)
    return -1;
  if (len && wh_write_all(fd, data, len, NULL) < 0)
    return -1;
  return 0;
}

int frame_read(int fd, enum frame_type *t, char *buf, uint32_t *len)
{
  unsigned char hdr[5];
  ssize_t n = wh_read_all(fd, hdr, 5, NULL);
  if (n == 0)
    return 0;
  if (n != 5)
    return -1;
  uint32_t l = (uint32_t) hdr[1] << 24 | (uint32_t) hdr[2] << 16 |
               (uint32_t) hdr[3] << 8 | hdr[4];
  if (l > FRAME_MAX)
    return -1;
  if (l && wh_read_all(fd, buf, l, NULL) != (ssize_t) l)
    return -1;
  *t = (enum frame_type) hdr[0];
  *len = l;
  return 1;
}

int unix_addr(const char *path, struct sockaddr_un *sa, int *dirfd, struct wh_error **err)
{
  memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  *dirfd = -1;
  if (strlen(path) < sizeof(sa->sun_path)) {
    strcpy(sa->sun_path, path);
    return 0;
  }
  /* sun_path holds 108 bytes and a --runroot plus a 64-character id can
   * be longer: name the socket through an open fd of its directory. */
  const char *slash = strrchr(path, '/');
  if (!slash || strlen(slash + 1) > 40)
    return wh_error_set(err, WH_ERR_INVALID, "%s: socket path too long", path);
  _cleanup_free_ char *dir = strndup(path, (size_t) (slash - path));
  if (!dir)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  *dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*dirfd < 0)
    return wh_error_errno(err, "open %s", dir);
  snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", *dirfd, slash + 1);
  return 0;
}

int recv_fd(int sock)
{
  char c[256];
  struct iovec iov = {c, sizeof(c)};
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof(cbuf)};
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0)
    return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  if (!cm || cm->cmsg_type != SCM_RIGHTS)
    return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof(int));
  return fd;
}

int attach_connect(struct engine *e, const char *id, struct wh_error **err)
{
  _cleanup_free_ char *dir = ctr_rundir(e, id), *path = NULL;
  if (!dir || asprintf(&path, "%s/attach.sock", dir) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  struct sockaddr_un sa;
  _cleanup_close_ int dfd = -1;
  if (unix_addr(path, &sa, &dfd, err) < 0)
    return -1;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return wh_error_errno(err, "socket");
  if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
    wh_error_errno(err, "container %.12s is not running (monitor at %s)", id, path);
    close(fd);
    return -1;
  }
  return fd;
}

static void send_size(int sock, int tty_fd)
{
  struct winsize ws;
  if (ioctl(tty_fd, TIOCGWINSZ, &ws) < 0)
    return;
  unsigned char b[4] = {(unsigned char) (ws.ws_row >> 8), (unsigned char) ws.ws_row,
                        (unsigned char) (ws.ws_col >> 8), (unsigned char) ws.ws_col};
  frame_write(sock, FRAME_RESIZE, b, 4);
}

int attach_client(int sock, const struct engine_start *s, bool tty,
                  int *exit_code, struct wh_error **err)
{
  struct termios saved;
  bool raw = false;
  if (tty && s->attach_stdin && isatty(s->in_fd) && tcgetattr(s->in_fd, &saved) == 0) {
    struct termios t = saved;
    cfmakeraw(&t);
    raw = tcsetattr(s->in_fd, TCSANOW, &t) == 0;
  }
  sigset_t mask, old;
  sigemptyset(&mask);
  if (s->forward_signals) {
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < WH_ARRAY_SIZE(sigs); i++)
      sigaddset(&mask, sigs[i]);
  }
  if (tty)
    sigaddset(&mask, SIGWINCH);
  sigprocmask(SIG_BLOCK, &mask, &old);
  _cleanup_close_ int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (tty && isatty(s->out_fd))
    send_size(sock, s->out_fd);

  _cleanup_free_ char *buf = malloc(FRAME_MAX);
  bool in_open = s->attach_stdin;
  int rc = -1;
  *exit_code = -1;
  while (buf) {
    struct pollfd p[3] = {{sock, POLLIN, 0}, {in_open ? s->in_fd : -1, POLLIN, 0},
                          {sfd, POLLIN, 0}};
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      wh_error_errno(err, "poll");
      break;
    }
    if (p[2].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGWINCH) {
          send_size(sock, s->out_fd);
        } else {
          unsigned char b[4] = {0, 0, 0, (unsigned char) si.ssi_signo};
          frame_write(sock, FRAME_SIGNAL, b, 4);
        }
      }
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(s->in_fd, buf, FRAME_MAX);
      if (n > 0) {
        frame_write(sock, FRAME_STDIN, buf, (uint32_t) n);
      } else if (n == 0 || errno != EINTR) {
        in_open = false;
        frame_write(sock, FRAME_STDIN_EOF, NULL, 0);
      }
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      enum frame_type t;
      uint32_t len;
      int r = frame_read(sock, &t, buf, &len);
      if (r <= 0) {
        wh_error_set(err, WH_ERR_IO, "the container's monitor went away");
        break;
      }
      if (t == FRAME_STDOUT)
        wh_write_all(s->out_fd, buf, len, NULL);
      else if (t == FRAME_STDERR)
        wh_write_all(s->err_fd, buf, len, NULL);
      else if (t == FRAME_EXIT && len == 4) {
        unsigned char *b = (unsigned char *) buf;
        *exit_code = (int) ((uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 |
                            (uint32_t) b[2] << 8 | b[3]);
        rc = 0;
        break;
      } else if (t == FRAME_ERROR && len >= 4) {
        unsigned char *b = (unsigned char *) buf;
        *exit_code = b[3];
        enum wh_err_kind k = *exit_code == ENGINE_EXIT_NOT_FOUND ? WH_ERR_NOT_FOUND
                           : *exit_code == ENGINE_EXIT_CANNOT_RUN ? WH_ERR_DENIED
                           : WH_ERR_IO;
        wh_error_set(err, k, "%.*s", (int) (len - 4), buf + 4);
        if (*err && *exit_code != ENGINE_EXIT_ERROR)
          (*err)->errnum = -*exit_code;
        break;
      }
    }
  }
  if (raw)
    tcsetattr(s->in_fd, TCSANOW, &saved);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return rc;
}
