/* container.c: a container's life: create, start, stop, kill, wait, rm,
 * rename, prune, and the cleanup of what a killed command left.
 *
 * States: "creating" (a command is building it; owner = that command),
 * "created", "running" (owner = its monitor), "exited", "removing"
 * (owner = the rm). A row whose owner is gone in "creating" or
 * "removing" is finished by the next command (engine_reconcile): it
 * removes everything; a "running" row whose monitor is gone has its
 * container killed and is marked exited. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/id.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "image_link.h"
#include "internal.h"

char *ctr_dir(struct engine *e, const char *id)
{
  char *p = NULL;
  return asprintf(&p, "%s/containers/%s", e->root, id) < 0 ? NULL : p;
}

char *ctr_rundir(struct engine *e, const char *id)
{
  char *p = NULL;
  return asprintf(&p, "%s/containers/%s", e->runroot, id) < 0 ? NULL : p;
}

char *runtime_root(struct engine *e)
{
  char *p = NULL;
  return asprintf(&p, "%s/runtime", e->runroot) < 0 ? NULL : p;
}

int engine_error_exit_code(const struct wh_error *err)
{
  if (err && err->errnum == -ENGINE_EXIT_NOT_FOUND)
    return ENGINE_EXIT_NOT_FOUND;
  if (err && err->errnum == -ENGINE_EXIT_CANNOT_RUN)
    return ENGINE_EXIT_CANNOT_RUN;
  return ENGINE_EXIT_ERROR;
}

static bool valid_ctr_name(const char *n)
{
  size_t len = strlen(n);
  if (len < 1 || len > 128 || !isalnum((unsigned char) n[0]))
    return false;
  for (const char *p = n; *p; p++)
    if (!isalnum((unsigned char) *p) && *p != '_' && *p != '.' && *p != '-')
      return false;
  return true;
}

static int gen_name(char out[32], struct wh_error **err)
{
  static const char *const adj[] = {"brave", "calm", "eager", "fancy", "gentle",
                                    "happy", "jolly", "keen", "lucid", "merry",
                                    "nifty", "proud", "quiet", "swift", "witty"};
  static const char *const noun[] = {"ada", "babbage", "curie", "dijkstra", "euler",
                                     "fermat", "gauss", "hopper", "knuth", "lovelace",
                                     "noether", "pascal", "ritchie", "turing", "wing"};
  unsigned char r[4];
  if (wh_random_bytes(r, sizeof(r), err) < 0)
    return -1;
  snprintf(out, 32, "%s_%s%u", adj[r[0] % WH_ARRAY_SIZE(adj)],
           noun[r[1] % WH_ARRAY_SIZE(noun)], (unsigned) (r[2] << 8 | r[3]) % 1000);
  return 0;
}

int engine_container_resolve(struct engine *e, const char *ref, char **id_out,
                             struct wh_error **err)
{
  if (!ref || !*ref || strlen(ref) > 128)
    return wh_error_set(err, WH_ERR_INVALID, "no such container: \"%s\"", ref ? ref : "");
  _cleanup_json_ json_t *rows = db_query(e, "SELECT id FROM containers WHERE name=? OR id=?",
                                         "ss", err, ref, ref);
  if (!rows)
    return -1;
  if (json_array_size(rows) == 0 && strlen(ref) >= 3 && strspn(ref, "0123456789abcdef") == strlen(ref)) {
    json_decref(rows);
    _cleanup_free_ char *pat = NULL;
    if (asprintf(&pat, "%s%%", ref) < 0)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    rows = db_query(e, "SELECT id FROM containers WHERE id LIKE ?", "s", err, pat);
    if (!rows)
      return -1;
    if (json_array_size(rows) > 1)
      return wh_error_set(err, WH_ERR_INVALID, "container id prefix %s is ambiguous", ref);
  }
  if (json_array_size(rows) == 0)
    return wh_error_set(err, WH_ERR_NOT_FOUND, "no such container: %s", ref);
  *id_out = strdup(json_string_value(json_object_get(json_array_get(rows, 0), "id")));
  return *id_out ? 0 : wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
}

static int load_ref(struct engine *e, const char *ref, struct ctr *c, struct wh_error **err)
{
  _cleanup_free_ char *id = NULL;
  if (engine_container_resolve(e, ref, &id, err) < 0)
    return -1;
  return ctr_load(e, id, c, err);
}

/* A container's own files (bundle, /etc files) need no fsync: after a
 * crash the container is rebuilt or removed by reconcile, never trusted,
 * and an fsync per file would cost more than the rest of `run`. */
static int write_text(const char *dir, const char *name, const char *text,
                      struct wh_error **err)
{
  _cleanup_close_ int dfd = open(dir, O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return wh_error_errno(err, "open %s", dir);
  _cleanup_close_ int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                                  0644);
  if (fd < 0)
    return wh_error_errno(err, "write %s/%s", dir, name);
  return wh_write_all(fd, text, strlen(text), err);
}

/* /etc/hostname, /etc/hosts and /etc/resolv.conf of the container. The
 * resolv.conf never comes from the host: --dns servers, or none at all,
 * so a lookup cannot leave the machine unless the user asked for it. */
static int write_etc(struct engine *e, const struct ctr *c, const char *dir,
                     struct wh_error **err)
{
  (void) e;
  const char *hn = json_string_value(json_object_get(c->config, "Hostname"));
  char short_id[13];
  snprintf(short_id, sizeof(short_id), "%s", c->id);
  if (!hn || !*hn)
    hn = short_id;
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  wh_buf_printf(&b, "%s\n", hn);
  if (write_text(dir, "hostname", b.data, err) < 0)
    return -1;
  wh_buf_clear(&b);
  wh_buf_printf(&b, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(c->host_config, "ExtraHosts"), i, v) {
    const char *s = json_string_value(v);
    const char *colon = s ? strchr(s, ':') : NULL;
    if (colon)
      wh_buf_printf(&b, "%s\t%.*s\n", colon + 1, (int) (colon - s), s);
  }
  if (write_text(dir, "hosts", b.data, err) < 0)
    return -1;
  wh_buf_clear(&b);
  wh_buf_append_str(&b, "# written by wharf: --dns servers only, never the host's\n");
  json_array_foreach(json_object_get(c->host_config, "Dns"), i, v)
    wh_buf_printf(&b, "nameserver %s\n", json_string_value(v));
  return write_text(dir, "resolv.conf", b.data, err);
}

static int make_dirs(struct engine *e, const char *id, struct wh_error **err)
{
  static const char *const sub[] = {"upper", "work", "rootfs", "bundle"};
  _cleanup_free_ char *dir = ctr_dir(e, id);
  for (size_t i = 0; i < WH_ARRAY_SIZE(sub); i++) {
    _cleanup_free_ char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, sub[i]) < 0)
      return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    if (wh_mkdir_p_at(AT_FDCWD, p, 0700, err) < 0)
      return -1;
    /* The merged root takes the upper directory's mode: 0755, as an
     * image's root is, or users other than root cannot reach anything. */
    if (!strcmp(sub[i], "upper") && chmod(p, 0755) < 0)
      return wh_error_errno(err, "chmod %s", p);
  }
  return 0;
}

/* Files, rootfs, bundle: everything after the row exists. */
static int build(struct engine *e, struct ctr *c, struct wh_error **err)
{
  _cleanup_free_ char *dir = ctr_dir(e, c->id);
  if (make_dirs(e, c->id, err) < 0 || rootfs_mount(e, c, err) < 0 ||
      write_etc(e, c, dir, err) < 0)
    return -1;
  _cleanup_free_ char *root = NULL, *bundle = NULL;
  if (asprintf(&root, "%s/rootfs", dir) < 0 || asprintf(&bundle, "%s/bundle", dir) < 0)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  _cleanup_close_ int rootfd = open(root, O_DIRECTORY | O_PATH | O_CLOEXEC);
  if (rootfd < 0)
    return wh_error_errno(err, "open %s", root);
  _cleanup_json_ json_t *spec = spec_build(e, c, rootfd, err);
  if (!spec)
    return -1;
  /* Mounts may have gained anonymous volume names: keep them. */
  _cleanup_free_ char *hc = wh_json_dump(c->host_config, err);
  _cleanup_free_ char *text = wh_json_dump(spec, err);
  if (!hc || !text)
    return -1;
  if (db_exec(e, "UPDATE containers SET host_config=? WHERE id=?", "ss", err, hc, c->id) < 0)
    return -1;
  return write_text(bundle, "config.json", text, err);
}

int engine_container_create(struct engine *e, const struct engine_create *cr,
                            char **id_out, struct wh_error **err)
{
  _cleanup_ctr_ struct ctr c = {0};
  char id[WH_ID_LEN + 1], name[32];
  if (wh_random_id(id, err) < 0)
    return -1;
  if (cr->name && !valid_ctr_name(cr->name))
    return wh_error_set(err, WH_ERR_INVALID, "invalid container name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", cr->name);
  if (!cr->name && gen_name(name, err) < 0)
    return -1;
  c.id = strdup(id);
  c.name = strdup(cr->name ? cr->name : name);
  c.config = json_deep_copy(cr->config);
  c.host_config = json_deep_copy(cr->host_config);
  c.state = strdup("creating");
  c.created_ns = wh_now_real_ns();
  c.owner_pid = getpid();
  c.owner_start = proc_self_start();
  if (cr->rootfs) {
    struct stat st;
    if (cr->rootfs[0] != '/' || stat(cr->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
      return wh_error_set(err, WH_ERR_INVALID, "--rootfs %s: not an absolute path to a directory", cr->rootfs);
    c.rootfs_src = strdup(cr->rootfs);
    c.image = strdup(cr->rootfs);
  } else {
    const char *ref = json_string_value(json_object_get(cr->config, "Image"));
    _cleanup_json_ json_t *icfg = NULL;
    if (!ref || !*ref)
      return wh_error_set(err, WH_ERR_INVALID, "no image given");
    if (image_resolve(e, ref, &c.image_id, &c.image, &icfg, err) < 0)
      return -1;
  }
  if (!c.id || !c.name || !c.config || !c.host_config || !c.state || !c.image)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  if (net_check(e, &c, err) < 0 || ctr_insert(e, &c, err) < 0)
    return -1;
  if ((c.image_id && image_add_user(e, c.image_id, c.id, err) < 0) ||
      build(e, &c, err) < 0 ||
      db_exec(e, "UPDATE containers SET state='created', owner_pid=0 WHERE id=?", "s", err, c.id) < 0) {
    ctr_destroy(e, &c, true, NULL, NULL);
    return -1;
  }
  *id_out = steal_pointer(&c.id);
  return 0;
}

static bool monitor_alive(const struct ctr *c)
{
  return c->owner_pid > 0 && proc_alive(c->owner_pid, c->owner_start);
}

int engine_container_start(struct engine *e, const char *ref,
                           const struct engine_start *s, int *exit_code,
                           struct wh_error **err)
{
  _cleanup_ctr_ struct ctr c = {0};
  if (load_ref(e, ref, &c, err) < 0)
    return -1;
  if (!strcmp(c.state, "running") && monitor_alive(&c)) {
    if (s && s->attach)
      return engine_container_attach(e, ref, s, exit_code, err);
    return 0;
  }
  if (strcmp(c.state, "created") && strcmp(c.state, "exited"))
    return wh_error_set(err, WH_ERR_BUSY, "container %s is %s", c.name, c.state);
  if (rootfs_mount(e, &c, err) < 0)
    return -1;
  /* We own the container until its monitor records itself as owner
   * when the container runs: if the monitor dies before, the next
   * command's reconcile finds us gone and cleans up. */
  if (db_exec(e, "UPDATE containers SET stop_requested=0, restart_count=0, owner_pid=?,"
                 " owner_start=? WHERE id=?",
              "dis", err, (int) getpid(), proc_self_start(), c.id) < 0)
    return -1;
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
    return wh_error_errno(err, "socketpair");
  _cleanup_close_ int mine = sp[0];
  c.stop_requested = false;
  c.restart_count = 0;
  int r = monitor_spawn(e, &c, sp[1], err);
  close(sp[1]);
  if (r < 0)
    return -1;
  if (s && s->attach)
    return attach_client(mine, s, json_is_true(json_object_get(c.config, "Tty")),
                         exit_code, err);
  /* Detached: wait only for the outcome of the start. */
  char *buf = malloc(FRAME_MAX);
  if (!buf)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  int rc = -1;
  while (true) {
    enum frame_type t;
    uint32_t len;
    if (frame_read(mine, &t, buf, &len) <= 0) {
      wh_error_set(err, WH_ERR_IO, "the container's monitor exited before the container started");
      break;
    }
    if (t == FRAME_STARTED || t == FRAME_EXIT) {
      rc = 0;
      break;
    }
    if (t == FRAME_ERROR && len >= 4) {
      int code = (unsigned char) buf[3];
      wh_error_set(err, WH_ERR_IO, "%.*s", (int) (len - 4), buf + 4);
      if (*err && code != ENGINE_EXIT_ERROR)
        (*err)->errnum = -code;
      break;
    }
  }
  free(buf);
  if (exit_code)
    *exit_code = 0;
  return rc;
}

int engine_container_attach(struct engine *e, const char *ref,
                            const struct engine_start *s, int *exit_code,
                            struct wh_error **err)
{
  _cleanup_ctr_ struct ctr c = {0};
  if (load_ref(e, ref, &c, err) < 0)
    return -1;
  if (strcmp(c.state, "running"))
    return wh_error_set(err, WH_ERR_BUSY, "you cannot attach to a stopped container, start it first");
  _cleanup_close_ int sock = attach_connect(e, c.id, err);
  if (sock < 0)
    return -1;
  return attach_client(sock, s, json_is_true(json_object_get(c.config, "Tty")), exit_code, err);
}

/* Wait for the running container's current run to end, at most
 * timeout_ms (-1: forever). 1 if it ended, 0 on timeout. */
static int wait_exit(struct engine *e, const char *id, int timeout_ms, int *code)
{
  _cleanup_close_ int sock = attach_connect(e, id, NULL);
  int64_t deadline = timeout_ms < 0 ? 0 : wh_now_mono_ns() + (int64_t) timeout_ms * 1000000;
  if (sock >= 0) {
    _cleanup_free_ char *buf = malloc(FRAME_MAX);
    while (buf) {
      int left = -1;
      if (timeout_ms >= 0) {
        left = (int) ((deadline - wh_now_mono_ns()) / 1000000);
        if (left <= 0)
          return 0;
      }
      struct pollfd p = {sock, POLLIN, 0};
      int r = poll(&p, 1, left);
      if (r == 0)
        return 0;
      if (r < 0 && errno == EINTR)
        continue;
      enum frame_type t;
      uint32_t len;
      if (r < 0 || frame_read(sock, &t, buf, &len) <= 0)
        break;
      if (t == FRAME_EXIT || t == FRAME_ERROR) {
        /* The monitor reports the exit just before it goes away: read
         * the row after that for the final state. */
        break;
      }
    }
  }
  /* No monitor (or it went away): the row says how it ended; a monitor
   * that is still finishing up is given until the deadline. */
  while (true) {
    _cleanup_ctr_ struct ctr c = {0};
    if (ctr_load(e, id, &c, NULL) < 0) {
      *code = -1;
      return 1; /* removed (--rm) */
    }
    if (strcmp(c.state, "running") || !monitor_alive(&c)) {
      *code = c.exit_code;
      if (!strcmp(c.state, "exited") || !monitor_alive(&c))
        return 1;
    }
    if (timeout_ms >= 0 && wh_now_mono_ns() > deadline)
      return 0;
    usleep(5000);
  }
}

int engine_container_wait(struct engine *e, const char *ref, int *exit_code,
                          struct wh_error **err)
{
  _cleanup_ctr_ struct ctr c = {0};
  if (load_ref(e, ref, &c, err) < 0)
    return -1;
  if (strcmp(c.state, "running")) {
    *exit_code = c.exit_code;
    return 0;
  }
  wait_exit(e, c.id, -1, exit_code);
  return 0;
}

int engine_container_kill(struct engine *e, const char *ref, int sig,
                          struct wh_error **err)
{
  _cleanup_ctr_ struct ctr c = {0};
  if (load_ref(e, ref, &c, err) < 0)
    return -1;
  if (strcmp(c.state, "running") || !monitor_alive(&c))
    return wh_error_set(err, WH_ERR_BUSY, "container %s is not running", c.name);
  if (sig == SIGKILL || sig == SIGTERM)
    db_exec(e, "UPDATE containers SET stop_requested=1 WHERE id=? AND"
               " json_extract(host_config, '$.RestartPolicy.Name') = 'unless-stopped'",
            "s", NULL, c.id);
  return ocirt_kill(e, &c, sig, false, err);
}

int engine_container_stop(struct engine *e, const char *ref, int timeout_s,
                          struct wh_error **err)
{
  _cleanup_ctr_ struct ctr c = {0};
  if (load_ref(e, ref, &c, err) < 0)
    return -1;
  if (db_exec(e, "UPDATE containers SET stop_requested=1 WHERE id=?", "s", err, c.id) < 0)
    return -1;
  if ((strcmp(c.state, "running") && strcmp(c.state, "restarting")) || !monitor_alive(&c))
    return 0;
  int sig = SIGTERM;
  const char *ss = json_string_value(json_object_get(c.config, "StopSignal"));
  if (ss)
    engine_parse_signal(ss, &sig, NULL);
  int code;
  if (timeout_s > 0) {
    _cleanup_error_ struct wh_error *e2 = NULL;
    if (ocirt_kill(e, &c, sig, false, &e2) == 0 && wait_exit(e, c.id, timeout_s * 1000, &code) == 1)
      return 0;
  }
  /* Past the timeout: SIGKILL every process of the container. */
  _cleanup_error_ struct wh_error *e3 = NULL;
  ocirt_kill(e, &c, SIGKILL, true, &e3);
  wait_exit(e, c.id, 10000, &code);
  return 0;
}

int ctr_teardown(struct engine *e, const struct ctr *c, struct wh_error **err)
{
  int r = 0;
  _cleanup_error_ struct wh_error *e1 = NULL, *e2 = NULL, *e3 = NULL;
  if (ocirt_delete(e, c, true, &e1) < 0)
    r = -1;
  if (net_teardown(e, c, &e2) < 0)
    r = -1;
  if (rootfs_umount(e, c->id, &e3) < 0)
    r = -1;
  if (r < 0) {
    struct wh_error *first = e1 ? e1 : e2 ? e2 : e3;
    return wh_error_set(err, first->kind, "%s", first->msg);
  }
  return 0;
}

/* Rename dir to base/.trash/id; the new path, or NULL if that failed. */
static char *trash_move(const char *base, const char *dir, const char *id)
{
  char *t = NULL;
  if (asprintf(&t, "%s/.trash", base) < 0)
    return NULL;
  if (mkdir(t, 0700) < 0 && errno != EEXIST) {
    free(t);
    return NULL;
  }
  free(t);
  t = NULL;
  if (asprintf(&t, "%s/.trash/%s", base, id) < 0)
    return NULL;
  if (rename(dir, t) < 0) {
    free(t);
    return NULL;
  }
  return t;
}

void ctr_trash_empty(struct ctr_trash *t)
{
  for (size_t i = 0; i < WH_ARRAY_SIZE(t->path); i++) {
    if (t->path[i])
      wh_rm_rf_at(AT_FDCWD, t->path[i], NULL);
    free(t->path[i]);
    t->path[i] = NULL;
  }
}

/* What a monitor killed between the rename and the delete left in
 * base/.trash: entries moved there (a rename sets their ctime) more than
 * ten seconds ago. Younger ones are still being deleted by their monitor. */
static void trash_sweep(const char *base)
{
  _cleanup_free_ char *d = NULL;
  if (asprintf(&d, "%s/.trash", base) < 0)
    return;
  _cleanup_closedir_ DIR *dir = opendir(d);
  if (!dir)
    return;
  time_t now = time(NULL);
  struct dirent *de;
  while ((de = readdir(dir))) {
    struct stat st;
    if (de->d_name[0] == '.' ||
        fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        now - st.st_ctime < 10)
      continue;
    wh_rm_rf_at(dirfd(dir), de->d_name, NULL);
  }
}

int ctr_destroy(struct engine *e, const struct ctr *c, bool volumes,
                struct ctr_trash *later, struct wh_error **err)
{
  if (ctr_teardown(e, c, err) < 0)
    return wh_error_wrap(err, "remove container %.12s", c->id);
  _cleanup_free_ char *dir = ctr_dir(e, c->id), *rundir = ctr_rundir(e, c->id);
  if (later) {
    later->path[0] = trash_move(e->runroot, rundir, c->id);
    later->path[1] = trash_move(e->root, dir, c->id);
  }
  if ((!later || !later->path[0]) && wh_rm_rf_at(AT_FDCWD, rundir, err) < 0)
    return wh_error_wrap(err, "remove container %.12s", c->id);
  if ((!later || !later->path[1]) && wh_rm_rf_at(AT_FDCWD, dir, err) < 0)
    return wh_error_wrap(err, "remove container %.12s", c->id);
  _cleanup_json_ json_t *anon = NULL;
  if (volumes)
    anon = db_query(e, "SELECT v.name AS name FROM volumes v JOIN volume_users u ON"
                       " u.volume = v.name WHERE u.container=? AND v.anonymous=1",
                    "s", NULL, c->id);
  if (c->image_id)
    image_remove_user(e, c->id, NULL);
  if (ctr_delete_row(e, c->id, err) < 0)
    return -1;
  size_t i;
  json_t *v;
  json_array_foreach(anon, i, v)
    engine_volume_remove(e, json_string_value(json_object_get(v, "name")), false, NULL);
  return 0;
}

int engine_container_remove(struct engine *e, const char *ref, bool force,
                            bool volumes, struct wh_error **err)
{
  _cleanup_ctr_ struct ctr c = {0};
  if (load_ref(e, ref, &c, err) < 0)
    return -1;
  if ((!strcmp(c.state, "running") || !strcmp(c.state, "restarting")) && monitor_alive(&c)) {
    if (!force)
      return wh_error_set(err, WH_ERR_BUSY, "cannot remove container %s: it is running (stop it first, or use -f)", c.name);
    db_exec(e, "UPDATE containers SET stop_requested=1 WHERE id=?", "s", NULL, c.id);
    ocirt_kill(e, &c, SIGKILL, true, NULL);
    int code;
    wait_exit(e, c.id, 10000, &code);
  } else if ((!strcmp(c.state, "creating") || !strcmp(c.state, "removing")) &&
             monitor_alive(&c)) {
    return wh_error_set(err, WH_ERR_BUSY, "container %s is %s by process %d", c.name, c.state, c.owner_pid);
  }
  /* The monitor of an --rm container may have removed it meanwhile. */
  _cleanup_free_ char *id = steal_pointer(&c.id);
  ctr_clear(&c);
  if (ctr_load(e, id, &c, NULL) < 0)
    return 0;
  if (ctr_set_state(e, c.id, "removing", err) < 0 ||
      ctr_set_owner(e, c.id, getpid(), proc_self_start(), err) < 0)
    return -1;
  return ctr_destroy(e, &c, volumes, NULL, err);
}

int engine_container_rename(struct engine *e, const char *ref,
                            const char *new_name, struct wh_error **err)
{
  _cleanup_free_ char *id = NULL;
  if (engine_container_resolve(e, ref, &id, err) < 0)
    return -1;
  if (!valid_ctr_name(new_name))
    return wh_error_set(err, WH_ERR_INVALID, "invalid container name \"%s\"", new_name);
  if (db_exec(e, "UPDATE containers SET name=? WHERE id=?", "ss", err, new_name, id) < 0) {
    if (*err && (*err)->kind == WH_ERR_EXISTS)
      return wh_error_wrap(err, "the container name \"%s\" is already in use", new_name);
    return -1;
  }
  return 0;
}

int engine_container_prune(struct engine *e, char ***ids, struct wh_error **err)
{
  _cleanup_json_ json_t *rows = db_query(e, "SELECT id FROM containers WHERE state IN"
                                            " ('exited', 'created')", "", err);
  if (!rows)
    return -1;
  size_t n = json_array_size(rows), k = 0;
  _cleanup_strv_ char **out = calloc(n + 1, sizeof(char *));
  if (!out)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *id = json_string_value(json_object_get(json_array_get(rows, i), "id"));
    if (engine_container_remove(e, id, false, false, err) < 0)
      return -1;
    out[k++] = strdup(id);
  }
  *ids = steal_pointer(&out);
  return 0;
}

/* Remove ROOT/containers/X and RUNROOT/containers/X without a row: a
 * command killed between mkdir and insert, or after the row went. */
static void sweep_orphans(struct engine *e, const char *base)
{
  _cleanup_free_ char *d = NULL;
  if (asprintf(&d, "%s/containers", base) < 0)
    return;
  _cleanup_closedir_ DIR *dir = opendir(d);
  if (!dir)
    return;
  struct dirent *de;
  while ((de = readdir(dir))) {
    if (de->d_name[0] == '.' || strlen(de->d_name) != WH_ID_LEN)
      continue;
    _cleanup_json_ json_t *rows = db_query(e, "SELECT id FROM containers WHERE id=?", "s",
                                           NULL, de->d_name);
    if (!rows || json_array_size(rows) > 0)
      continue;
    struct ctr c = {.id = de->d_name, .host_config = NULL};
    ctr_teardown(e, &c, NULL);
    int dfd = dirfd(dir);
    wh_rm_rf_at(dfd, de->d_name, NULL);
  }
}

int engine_reconcile(struct engine *e, struct wh_error **err)
{
  _cleanup_json_ json_t *rows = db_query(e, "SELECT id FROM containers WHERE state IN"
                                            " ('creating', 'removing', 'running', 'restarting')",
                                         "", err);
  if (!rows)
    return -1;
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) {
    _cleanup_ctr_ struct ctr c = {0};
    if (ctr_load(e, json_string_value(json_object_get(r, "id")), &c, NULL) < 0)
      continue;
    if (monitor_alive(&c))
      continue;
    if (!strcmp(c.state, "running") || !strcmp(c.state, "restarting")) {
      /* The monitor died (killed): nobody reaps, logs or restarts the
       * container any more, so stop it and record that. */
      ocirt_delete(e, &c, true, NULL);
      net_teardown(e, &c, NULL);
      ctr_set_exited(e, c.id, 137, "the container's monitor died", NULL);
      ctr_set_owner(e, c.id, 0, 0, NULL);
      if (json_is_true(json_object_get(c.host_config, "AutoRemove")))
        ctr_destroy(e, &c, true, NULL, NULL);
      continue;
    }
    ctr_destroy(e, &c, true, NULL, NULL);
  }
  /* A monitor that died before its container ran (killed during network
   * setup) leaves a created/exited row owned by a dead process. */
  _cleanup_json_ json_t *stale = db_query(e, "SELECT id FROM containers WHERE state IN"
                                             " ('created', 'exited') AND owner_pid != 0", "", NULL);
  json_array_foreach(stale, i, r) {
    _cleanup_ctr_ struct ctr c = {0};
    if (ctr_load(e, json_string_value(json_object_get(r, "id")), &c, NULL) < 0 || monitor_alive(&c))
      continue;
    ocirt_delete(e, &c, true, NULL);
    net_teardown(e, &c, NULL);
    ctr_set_owner(e, c.id, 0, 0, NULL);
  }
  sweep_orphans(e, e->root);
  sweep_orphans(e, e->runroot);
  trash_sweep(e->root);
  trash_sweep(e->runroot);
  return 0;
}
