/* sync.c: messages between the runtime and the container's init over a
 * SOCK_SEQPACKET pair (one message per send, so no framing is needed),
 * and file descriptors passed with SCM_RIGHTS. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "runtime/internal.h"

#define SYNC_MAX 8192

int rt_sync_send(int fd, enum rt_sync type, const char *msg, struct wh_error **err)
{
  char buf[SYNC_MAX];
  size_t len = msg ? strlen(msg) : 0;
  if (len > SYNC_MAX - 2)
    len = SYNC_MAX - 2;
  buf[0] = (char) type;
  memcpy(buf + 1, msg ? msg : "", len);
  buf[len + 1] = 0;
  ssize_t n;
  do
    n = send(fd, buf, len + 2, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return wh_error_errno(err, "sync send");
  return 0;
}

int rt_sync_recv(int fd, enum rt_sync *type, char **msg, struct wh_error **err)
{
  char buf[SYNC_MAX];
  ssize_t n;
  do
    n = recv(fd, buf, sizeof(buf) - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return wh_error_errno(err, "sync receive");
  if (n == 0)
    return wh_error_set(err, WH_ERR_IO, "container init exited during setup");
  buf[n] = 0;
  *type = (enum rt_sync) (unsigned char) buf[0];
  if (msg) {
    *msg = strdup(n > 1 ? buf + 1 : "");
    if (!*msg)
      return wh_error_errno(err, "sync receive");
  }
  return 0;
}

int rt_sync_expect(int fd, enum rt_sync want, struct wh_error **err)
{
  enum rt_sync t;
  _cleanup_free_ char *msg = NULL;
  if (rt_sync_recv(fd, &t, &msg, err) < 0)
    return -1;
  if (t == RT_SYNC_ERROR)
    return wh_error_set(err, WH_ERR_INTERNAL, "%s", msg);
  if (t != want)
    return wh_error_set(err, WH_ERR_INTERNAL, "sync: expected message %d, got %d",
                        want, t);
  return 0;
}

int rt_send_fd(int sock, int fd, const char *payload, struct wh_error **err)
{
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof(cbuf));
  const char *p = payload && *payload ? payload : "0";
  struct iovec iov = { .iov_base = (void *) p, .iov_len = strlen(p) };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof(cbuf) };
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  ssize_t n;
  do
    n = sendmsg(sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return wh_error_errno(err, "send file descriptor");
  return 0;
}

int rt_recv_fd(int sock, struct wh_error **err)
{
  char cbuf[CMSG_SPACE(sizeof(int))], data[SYNC_MAX];
  struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof(cbuf) };
  ssize_t n;
  do
    n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return wh_error_errno(err, "receive file descriptor");
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  if (!cm || cm->cmsg_type != SCM_RIGHTS)
    return wh_error_set(err, WH_ERR_IO, "receive file descriptor: none sent");
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof(int));
  return fd;
}

void rt_default_signals(void)
{
  static const int sigs[] = { SIGPIPE, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                              SIGCHLD, SIGALRM, SIGTTIN, SIGTTOU, SIGTSTP, SIGWINCH, SIGURG };
  for (size_t i = 0; i < WH_ARRAY_SIZE(sigs); i++)
    signal(sigs[i], SIG_DFL);
}
