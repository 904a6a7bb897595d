/* monitor.c: the per-container monitor.
 *
 * One small process per running container, forked (in a session of
 * its own, never waited for, so it outlives `wharf run -d`) by the command
 * that starts it. It is a subreaper, so the container's init becomes its child when
 * the runtime's `create` exits; it holds the container's stdio (pipes, or
 * the pty master for -t), writes every output line to ROOT/containers/ID/
 * ctr.log as a JSON line with a timestamp, relays stdio to attached
 * clients, records the exit status and time, applies the restart policy,
 * and with --rm removes the container before it reports the exit, so a
 * foreground `run --rm` returns only when nothing is left. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "image_link.h"
#include "internal.h"

#define MAX_CLIENTS 32
#define LINE_MAX_BYTES 16384

struct stream {
  int fd;                 /* read end (or pty master), -1 when closed */
  const char *name;       /* "stdout" / "stderr" */
  enum frame_type frame;
  struct wh_buf line;     /* a partial line not yet logged */
};

struct mon {
  struct engine *e;
  char *id;
  int log_fd;
  int listen_fd;
  int clients[MAX_CLIENTS];
  int n_clients;
  struct stream out, err;
  int stdin_fd;           /* write end of the container's stdin, or -1 */
  int pty;                /* pty master, or -1 */
  int sig_fd;
  pid_t init;
  char *error;
};

static void log_line(struct mon *m, struct stream *s, const char *data, size_t len)
{
  char ts[WH_RFC3339_MAX];
  wh_rfc3339(wh_now_real_ns(), 9, ts);
  json_t *j = json_pack("{s:s%,s:s,s:s}", "log", data, len, "stream", s->name, "time", ts);
  if (!j)
    return;
  char *txt = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
  json_decref(j);
  if (!txt)
    return;
  size_t n = strlen(txt);
  txt[n] = '\n';
  /* One write per line with O_APPEND: a reader never sees half a line
   * unless the disk is full. */
  wh_write_all(m->log_fd, txt, n + 1, NULL);
  free(txt);
}

static void broadcast(struct mon *m, enum frame_type t, const void *data, uint32_t len)
{
  for (int i = 0; i < m->n_clients; i++)
    if (m->clients[i] >= 0 && frame_write(m->clients[i], t, data, len) < 0) {
      close(m->clients[i]);
      m->clients[i] = -1;
    }
}

/* Read what the container wrote: to clients as it comes, to the log by
 * line (a line longer than LINE_MAX_BYTES is logged in parts, as docker
 * does). Returns 0 at EOF. */
static int pump(struct mon *m, struct stream *s)
{
  char buf[8192];
  ssize_t n = read(s->fd, buf, sizeof(buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return 1;
  if (n <= 0) {
    if (s->line.len)
      log_line(m, s, s->line.data, s->line.len);
    wh_buf_clear(&s->line);
    return 0;
  }
  broadcast(m, s->frame, buf, (uint32_t) n);
  for (ssize_t i = 0; i < n; i++) {
    wh_buf_append_char(&s->line, buf[i]);
    if (buf[i] == '\n' || s->line.len >= LINE_MAX_BYTES) {
      log_line(m, s, s->line.data, s->line.len);
      wh_buf_clear(&s->line);
    }
  }
  return 1;
}

static void add_client(struct mon *m, int fd)
{
  for (int i = 0; i < m->n_clients; i++)
    if (m->clients[i] < 0) {
      m->clients[i] = fd;
      return;
    }
  if (m->n_clients < MAX_CLIENTS)
    m->clients[m->n_clients++] = fd;
  else
    close(fd);
}

static void client_frame(struct mon *m, int i)
{
  char buf[FRAME_MAX];
  enum frame_type t;
  uint32_t len;
  if (frame_read(m->clients[i], &t, buf, &len) <= 0) {
    close(m->clients[i]);
    m->clients[i] = -1;
    return;
  }
  int in = m->pty >= 0 ? m->pty : m->stdin_fd;
  unsigned char *b = (unsigned char *) buf;
  switch (t) {
  case FRAME_STDIN:
    if (in >= 0)
      wh_write_all(in, buf, len, NULL);
    break;
  case FRAME_STDIN_EOF:
    if (m->stdin_fd >= 0) {
      close(m->stdin_fd);
      m->stdin_fd = -1;
    }
    break;
  case FRAME_RESIZE:
    if (m->pty >= 0 && len == 4) {
      struct winsize ws = {.ws_row = (unsigned short) (b[0] << 8 | b[1]),
                           .ws_col = (unsigned short) (b[2] << 8 | b[3])};
      ioctl(m->pty, TIOCSWINSZ, &ws);
    }
    break;
  case FRAME_SIGNAL:
    if (len == 4 && m->init > 0)
      kill(m->init, (int) b[3]);
    break;
  default:
    break;
  }
}

static int listen_unix(const char *path, struct wh_error **err)
{
  struct sockaddr_un sa;
  _cleanup_close_ int dfd = -1;
  if (unix_addr(path, &sa, &dfd, err) < 0)
    return -1;
  unlink(path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return wh_error_errno(err, "socket");
  mode_t old = umask(077);
  int r = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
  umask(old);
  if (r < 0 || listen(fd, 16) < 0) {
    wh_error_errno(err, "listen on %s", path);
    close(fd);
    return -1;
  }
  return fd;
}

/* Create and start the container with fresh stdio; on success m->init is
 * its pid. */
static int start_once(struct mon *m, struct ctr *c, struct wh_error **err)
{
  struct engine *e = m->e;
  _cleanup_free_ char *dir = ctr_dir(e, c->id), *rundir = ctr_rundir(e, c->id);
  _cleanup_free_ char *bundle = NULL, *pidf = NULL, *logp = NULL, *cons = NULL;
  if (asprintf(&bundle, "%s/bundle", dir) < 0 || asprintf(&pidf, "%s/init.pid", rundir) < 0 ||
      asprintf(&logp, "%s/runtime.log", rundir) < 0 || asprintf(&cons, "%s/console.sock", bundle) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  unlink(pidf);
  unlink(logp);
  bool tty = json_is_true(json_object_get(c->config, "Tty"));
  bool open_stdin = json_is_true(json_object_get(c->config, "OpenStdin"));
  struct ocirt_create o = {.bundle = bundle, .pid_file = pidf, .log_path = logp,
                           .stdio = {-1, -1, -1}, .start = true};
  _cleanup_close_ int cons_fd = -1, in_r = -1, out_w = -1, err_w = -1;
  if (tty) {
    cons_fd = listen_unix(cons, err);
    if (cons_fd < 0)
      return -1;
    /* runc and crun connect after changing to the bundle directory: a
     * relative name there never meets sun_path's length limit. */
    o.console_socket = "console.sock";
  } else {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
      return wh_error_errno(err, "pipe");
    m->out.fd = p[0];
    out_w = p[1];
    if (pipe2(p, O_CLOEXEC) < 0)
      return wh_error_errno(err, "pipe");
    m->err.fd = p[0];
    err_w = p[1];
    fcntl(m->out.fd, F_SETFL, O_NONBLOCK);
    fcntl(m->err.fd, F_SETFL, O_NONBLOCK);
    if (open_stdin) {
      if (pipe2(p, O_CLOEXEC) < 0)
        return wh_error_errno(err, "pipe");
      in_r = p[0];
      m->stdin_fd = p[1];
    }
    o.stdio[0] = in_r;
    o.stdio[1] = out_w;
    o.stdio[2] = err_w;
  }
  pid_t pid;
  if (ocirt_create(e, c, &o, &pid, err) < 0)
    return -1;
  if (tty) {
    struct pollfd p = {cons_fd, POLLIN, 0};
    int afd = poll(&p, 1, 5000) == 1 ? accept4(cons_fd, NULL, NULL, SOCK_CLOEXEC) : -1;
    m->pty = afd >= 0 ? recv_fd(afd) : -1;
    if (afd >= 0)
      close(afd);
    unlink(cons);
    if (m->pty < 0) {
      ocirt_delete(e, c, true, NULL);
      return wh_error_set(err, WH_ERR_IO, "no terminal from the runtime");
    }
    fcntl(m->pty, F_SETFL, O_NONBLOCK);
    m->out.fd = m->pty;
  }
  m->init = pid;
  return 0;
}

/* Serve output and clients until init exits; its status in *code. */
static void serve(struct mon *m, int *code)
{
  bool exited = false;
  int64_t drain_deadline = 0;
  while (true) {
    struct pollfd p[4 + MAX_CLIENTS];
    int n = 0;
    p[n++] = (struct pollfd){m->sig_fd, POLLIN, 0};
    p[n++] = (struct pollfd){m->listen_fd, POLLIN, 0};
    p[n++] = (struct pollfd){m->out.fd, POLLIN, 0};
    p[n++] = (struct pollfd){m->err.fd, POLLIN, 0};
    for (int i = 0; i < m->n_clients; i++)
      p[n++] = (struct pollfd){m->clients[i], POLLIN, 0};
    int polled = m->n_clients;
    if (exited && m->out.fd < 0 && m->err.fd < 0)
      return;
    int timeout = -1;
    if (exited) {
      int64_t left = (drain_deadline - wh_now_mono_ns()) / 1000000;
      if (left <= 0)
        return;
      timeout = (int) left;
    }
    if (poll(p, (nfds_t) n, timeout) < 0 && errno != EINTR)
      return;
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(m->sig_fd, &si, sizeof(si)) == sizeof(si))
        ;
      int st;
      pid_t w;
      /* Reap everything: as a subreaper the monitor also inherits the
       * runtime's helpers and orphans of exec'd processes. */
      while ((w = waitpid(-1, &st, WNOHANG)) > 0)
        if (w == m->init) {
          *code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
          exited = true;
          m->init = 0;
          /* The pid namespace is gone, so every writer is too; a pty
           * master or pipe still has buffered bytes to drain. */
          drain_deadline = wh_now_mono_ns() + 2000000000LL;
        }
    }
    if (p[1].revents & POLLIN) {
      int c = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
      if (c >= 0)
        add_client(m, c);
    }
    struct stream *ss[2] = {&m->out, &m->err};
    for (int k = 0; k < 2; k++)
      if (p[2 + k].revents & (POLLIN | POLLHUP | POLLERR)) {
        if (pump(m, ss[k]) == 0) {
          if (ss[k]->fd != m->pty)
            close(ss[k]->fd);
          ss[k]->fd = -1;
        }
      }
    /* Only the clients this poll saw: one accepted above has no entry
     * (p beyond `polled` is stale), and reading it would block until it
     * sends something, which a waiting `stop` never does. */
    for (int i = 0; i < polled; i++)
      if (p[4 + i].fd >= 0 && p[4 + i].fd == m->clients[i] &&
          (p[4 + i].revents & (POLLIN | POLLHUP | POLLERR)))
        client_frame(m, i);
  }
}

static void close_stdio(struct mon *m)
{
  if (m->out.fd >= 0 && m->out.fd != m->pty)
    close(m->out.fd);
  if (m->err.fd >= 0)
    close(m->err.fd);
  if (m->pty >= 0)
    close(m->pty);
  if (m->stdin_fd >= 0)
    close(m->stdin_fd);
  m->out.fd = m->err.fd = m->pty = m->stdin_fd = -1;
}

static bool should_restart(struct ctr *c, int code)
{
  json_t *rp = json_object_get(c->host_config, "RestartPolicy");
  const char *name = json_string_value(json_object_get(rp, "Name"));
  if (c->stop_requested || !name)
    return false;
  if (!strcmp(name, "always") || !strcmp(name, "unless-stopped"))
    return true;
  if (!strcmp(name, "on-failure")) {
    json_int_t max = json_integer_value(json_object_get(rp, "MaximumRetryCount"));
    return code != 0 && (max == 0 || c->restart_count < max);
  }
  return false;
}

static void send_code(struct mon *m, enum frame_type t, int code, const char *msg)
{
  size_t ml = msg ? strlen(msg) : 0;
  if (ml > FRAME_MAX - 4)
    ml = FRAME_MAX - 4;
  char buf[FRAME_MAX];
  buf[0] = (char) (code >> 24);
  buf[1] = (char) (code >> 16);
  buf[2] = (char) (code >> 8);
  buf[3] = (char) code;
  if (ml)
    memcpy(buf + 4, msg, ml);
  broadcast(m, t, buf, (uint32_t) (4 + ml));
}

/* from: the container as the starting command loaded it (this process's
 * copy of that memory; taken over and freed here). */
static int monitor_main(struct engine *e, struct ctr *from, int client)
{
  struct mon m = {.e = e, .log_fd = -1, .listen_fd = -1, .stdin_fd = -1, .pty = -1,
                  .out = {-1, "stdout", FRAME_STDOUT, WH_BUF_INIT},
                  .err = {-1, "stderr", FRAME_STDERR, WH_BUF_INIT}};
  _cleanup_error_ struct wh_error *err = NULL;
  _cleanup_ctr_ struct ctr c = *from;
  memset(from, 0, sizeof(*from));
  /* a copy: c is reloaded (and its strings freed) between restarts */
  _cleanup_free_ char *id = strdup(c.id);
  if (!id)
    return 1;
  if (client >= 0)
    add_client(&m, client);
  signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  m.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  _cleanup_free_ char *dir = ctr_dir(e, id), *rundir = ctr_rundir(e, id);
  _cleanup_free_ char *logp = NULL, *sockp = NULL;
  if (asprintf(&logp, "%s/ctr.log", dir) < 0 || asprintf(&sockp, "%s/attach.sock", rundir) < 0)
    return 1;
  int code = ENGINE_EXIT_ERROR;
  bool started = false;
  /* The database is opened only when first needed (db.c): with no
   * network to set up that is when the container runs, so its open is
   * not on the way to the container's start. Until then the starting
   * command is the recorded owner; ctr_set_running makes it us. */
  if (wh_mkdir_p_at(AT_FDCWD, rundir, 0700, &err) < 0)
    goto fail;
  m.log_fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  m.listen_fd = listen_unix(sockp, &err);
  if (m.log_fd < 0 || m.listen_fd < 0) {
    wh_error_errno(&err, "container log %s", logp);
    goto fail;
  }
  int nr = net_setup(e, &c, &err);
  /* -P may have read the image config: never hold the store's shared
   * lock for the container's life (a pull would wait for it). */
  image_link_close(e);
  if (nr < 0)
    goto fail;
  while (true) {
    if (start_once(&m, &c, &err) < 0)
      goto fail;
    started = true;
    ctr_set_running(e, id, m.init, NULL);
    unsigned char pb[4] = {(unsigned char) (m.init >> 24), (unsigned char) (m.init >> 16),
                           (unsigned char) (m.init >> 8), (unsigned char) m.init};
    broadcast(&m, FRAME_STARTED, pb, 4);
    serve(&m, &code);
    close_stdio(&m);
    ocirt_delete(e, &c, true, NULL);
    ctr_clear(&c);
    if (ctr_load(e, id, &c, NULL) < 0)
      break;
    bool again = should_restart(&c, code);
    if (!again) {
      ctr_set_exited(e, id, code, NULL, NULL);
      break;
    }
    /* "restarting" until the next run starts, so nobody mistakes the
     * pause between runs for the end. */
    db_exec(e, "UPDATE containers SET state='restarting', pid=0, exit_code=?, finished_ns=?,"
               " restart_count=restart_count+1 WHERE id=?", "dis", NULL, code,
            wh_now_real_ns(), id);
    send_code(&m, FRAME_EXIT, code, NULL);
    c.restart_count++;
    /* docker's back-off starts at 100 ms and doubles; cap it at 2 s. */
    int shift = c.restart_count < 5 ? c.restart_count : 5;
    struct timespec ts = {0, 0};
    int64_t ms = 100LL << shift;
    if (ms > 2000)
      ms = 2000;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000;
    nanosleep(&ts, NULL);
    /* A stop that came during the pause ends it here. */
    ctr_clear(&c);
    if (ctr_load(e, id, &c, NULL) < 0 || c.stop_requested) {
      ctr_set_exited(e, id, code, NULL, NULL);
      break;
    }
  }
  goto done;

fail:
  m.error = err ? err->msg : (char *) "monitor failed";
  code = engine_error_exit_code(err);
  if (c.id) {
    ocirt_delete(e, &c, true, NULL);
    ctr_set_exited(e, id, started ? code : code, m.error, NULL);
  }
done:
  close_stdio(&m);
  struct ctr_trash trash = {{NULL, NULL}};
  if (c.id || ctr_load(e, id, &c, NULL) == 0) {
    /* removal tears the network down with everything else; the files
     * are deleted after the exit is reported (container.c) */
    if (json_is_true(json_object_get(c.host_config, "AutoRemove"))) {
      ctr_destroy(e, &c, true, &trash, NULL);
    } else {
      net_teardown(e, &c, NULL);
      ctr_set_owner(e, id, 0, 0, NULL);
    }
  }
  if (m.listen_fd >= 0)
    unlink(sockp);
  if (m.error)
    send_code(&m, FRAME_ERROR, code, m.error);
  else
    send_code(&m, FRAME_EXIT, code, NULL);
  ctr_trash_empty(&trash);
  return 0;
}

int monitor_spawn(struct engine *e, const struct ctr *c, int client,
                  struct wh_error **err)
{
  /* SQLite keeps per-process state about open database files (POSIX
   * locks are per process): a child that inherits it and opens the
   * database again would believe it holds locks it does not, and another
   * process could then delete the WAL under it. So no connection may be
   * open across the fork; both sides reopen when they need it (db.c). */
  sqlite3_close(e->db);
  e->db = NULL;
  image_link_close(e);
  /* One fork: the monitor leaves our session, and when we exit it is
   * adopted (by init or the nearest subreaper) like a double-forked one;
   * we never wait for it. The connection is reopened only if this
   * command needs the database again (db.c). */
  pid_t m = fork();
  if (m < 0)
    return wh_error_errno(err, "fork the monitor");
  if (m == 0) {
    setsid();
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    prctl(PR_SET_NAME, "wharf-monitor");
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
    }
    /* Keep only the client socket (as fd 3): the parent's SQLite
     * connection must not be used across fork, so the monitor opens its
     * own. */
    int nc = -1;
    if (client >= 0) {
      if (client != 3)
        dup2(client, 3);
      nc = 3;
      fcntl(nc, F_SETFD, FD_CLOEXEC);
      closefrom(4);
    } else {
      closefrom(3);
    }
    e->rootfd = -1;
    /* this process's copy of the caller's ctr: the monitor takes it */
    monitor_main(e, (struct ctr *) c, nc);
    _exit(0);
  }
  return 0;
}
