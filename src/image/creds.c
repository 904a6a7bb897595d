/* image/creds.c: auth.json, docker's config.json and credential helpers
 * (see creds.h). */
#include "image/creds.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"

#define CONFIG_MAX (1u << 20)
#define HELPER_OUT_MAX (64u << 10)

/* $ENV/leaf when ENV is set, else $HOME/home_rel/leaf. */
static char *config_path(const char *env, const char *home_rel, const char *leaf)
{
  const char *e = getenv(env);
  const char *home = getenv("HOME");
  char *p = NULL;
  if (e && *e) {
    if (asprintf(&p, "%s/%s", e, leaf) < 0)
      return NULL;
  } else if (home && *home) {
    if (asprintf(&p, "%s/%s/%s", home, home_rel, leaf) < 0)
      return NULL;
  }
  return p;
}

static char *default_auth_file(void)
{
  return config_path("XDG_CONFIG_HOME", ".config", "wharf/auth.json");
}

static char *docker_config_file(void)
{
  return config_path("DOCKER_CONFIG", ".docker", "config.json");
}

/* A missing file is an empty object; a broken one is an error. */
static json_t *load_json(const char *path, struct wh_error **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  struct wh_error *e = NULL;
  if (wh_read_file_at(AT_FDCWD, path, CONFIG_MAX, &data, &len, &e) < 0) {
    if (e->kind == WH_ERR_NOT_FOUND) {
      wh_error_free(e);
      return json_object();
    }
    if (err && !*err)
      *err = e;
    else
      wh_error_free(e);
    wh_error_wrap(err, "%s", path);
    return NULL;
  }
  json_error_t je;
  json_t *j = json_loadb(data, len, 0, &je);
  if (!json_is_object(j)) {
    if (j)
      json_decref(j);
    wh_error_set(err, WH_ERR_INVALID, "%s: line %d: %s", path, je.line,
                 j ? "expected an object" : je.text);
    return NULL;
  }
  return j;
}

/* docker keys auths by "host", "https://host" or "https://host/v1/". */
static json_t *auths_entry(json_t *auths, const char *domain)
{
  const char *key;
  json_t *val;
  json_object_foreach(auths, key, val) {
    const char *k = key;
    if (strncmp(k, "https://", 8) == 0)
      k += 8;
    else if (strncmp(k, "http://", 7) == 0)
      k += 7;
    size_t n = strcspn(k, "/");
    if (n == strlen(domain) && strncmp(k, domain, n) == 0)
      return val;
  }
  return NULL;
}

static int decode_auth(const char *b64, const char *where, char **user, char **pass,
                       struct wh_error **err)
{
  size_t len = strlen(b64);
  if (len == 0 || len > 8192 || len % 4)
    return wh_error_set(err, WH_ERR_INVALID, "%s: \"auth\" is not base64", where);
  _cleanup_free_ unsigned char *out = malloc(len);
  if (!out)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  int n = EVP_DecodeBlock(out, (const unsigned char *) b64, (int) len);
  if (n < 0)
    return wh_error_set(err, WH_ERR_INVALID, "%s: \"auth\" is not base64", where);
  while (len && b64[len - 1] == '=') {
    len--;
    n--;
  }
  char *colon = memchr(out, ':', (size_t) n);
  if (!colon)
    return wh_error_set(err, WH_ERR_INVALID, "%s: \"auth\" is not user:password", where);
  *user = strndup((char *) out, (size_t) (colon - (char *) out));
  *pass = strndup(colon + 1, (size_t) n - (size_t) (colon - (char *) out) - 1);
  if (!*user || !*pass)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  return 1;
}

static int from_auths(json_t *cfg, const char *domain, const char *where, char **user,
                      char **pass, struct wh_error **err)
{
  json_t *e = auths_entry(json_object_get(cfg, "auths"), domain);
  const char *a = json_string_value(json_object_get(e, "auth"));
  if (!a || !*a)
    return 0;
  return decode_auth(a, where, user, pass, err);
}

/* Run "docker-credential-<helper> get" with domain on stdin. */
static int from_helper(const char *helper, const char *domain, char **user, char **pass,
                       struct wh_error **err)
{
  if (!*helper || strchr(helper, '/'))
    return wh_error_set(err, WH_ERR_INVALID, "credential helper name \"%s\" is invalid", helper);
  char prog[256];
  snprintf(prog, sizeof(prog), "docker-credential-%s", helper);
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) < 0)
    return wh_error_errno(err, "%s: pipe", prog);
  if (pipe2(out, O_CLOEXEC) < 0) {
    close(in[0]);
    close(in[1]);
    return wh_error_errno(err, "%s: pipe", prog);
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(in[0]); close(in[1]); close(out[0]); close(out[1]);
    return wh_error_errnum(err, e, "%s: fork", prog);
  }
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    execlp(prog, prog, "get", (char *) NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  _cleanup_close_ int wfd = in[1], rfd = out[0];
  /* the helper may exit without reading: do not die of SIGPIPE */
  sighandler_t old = signal(SIGPIPE, SIG_IGN);
  wh_write_all(wfd, domain, strlen(domain), NULL);
  signal(SIGPIPE, old);
  wh_closep(&wfd);
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  int rr = wh_read_fd(rfd, HELPER_OUT_MAX, &data, &len, err);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (rr < 0)
    return wh_error_wrap(err, "%s", prog);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
      return wh_error_set(err, WH_ERR_NOT_FOUND, "credential helper %s not found", prog);
    if (data && strstr(data, "credentials not found"))
      return 0;
    return wh_error_set(err, WH_ERR_DENIED, "%s get failed: %.200s", prog,
                        data ? data : "");
  }
  json_error_t je;
  _cleanup_json_ json_t *j = json_loadb(data ? data : "", len, 0, &je);
  const char *u = json_string_value(json_object_get(j, "Username"));
  const char *p = json_string_value(json_object_get(j, "Secret"));
  if (!u || !p)
    return wh_error_set(err, WH_ERR_INVALID, "%s: expected {\"Username\", \"Secret\"}", prog);
  *user = strdup(u);
  *pass = strdup(p);
  if (!*user || !*pass)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  return 1;
}

int image_creds_lookup(const char *domain, const char *auth_file, char **user, char **pass,
                       struct wh_error **err)
{
  *user = *pass = NULL;
  _cleanup_free_ char *own = auth_file ? strdup(auth_file) : default_auth_file();
  if (own) {
    _cleanup_json_ json_t *j = load_json(own, err);
    if (!j)
      return -1;
    int r = from_auths(j, domain, own, user, pass, err);
    if (r != 0)
      return r;
  }
  _cleanup_free_ char *dc = docker_config_file();
  if (!dc)
    return 0;
  _cleanup_json_ json_t *d = load_json(dc, err);
  if (!d)
    return -1;
  const char *helper = json_string_value(json_object_get(json_object_get(d, "credHelpers"), domain));
  if (helper)
    return from_helper(helper, domain, user, pass, err);
  int r = from_auths(d, domain, dc, user, pass, err);
  if (r != 0)
    return r;
  const char *store = json_string_value(json_object_get(d, "credsStore"));
  if (store && *store)
    return from_helper(store, domain, user, pass, err);
  return 0;
}

static int save_auth_file(const char *path, json_t *j, struct wh_error **err)
{
  _cleanup_free_ char *dir = strdup(path);
  if (!dir)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  char *slash = strrchr(dir, '/');
  const char *base = path;
  if (slash) {
    *slash = '\0';
    base = slash + 1;
    if (*dir && wh_mkdir_p_at(AT_FDCWD, dir, 0700, err) < 0)
      return -1;
  }
  _cleanup_close_ int dfd = open(slash ? (*dir ? dir : "/") : ".",
                                 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return wh_error_errno(err, "%s", dir);
  _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(1));
  if (!text)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  return wh_write_file_atomic(dfd, base, text, strlen(text), 0600, err);
}

int image_creds_store(const char *domain, const char *auth_file, const char *user,
                      const char *pass, struct wh_error **err)
{
  _cleanup_free_ char *path = auth_file ? strdup(auth_file) : default_auth_file();
  if (!path)
    return wh_error_set(err, WH_ERR_INVALID, "no HOME or XDG_CONFIG_HOME for auth.json");
  _cleanup_json_ json_t *j = load_json(path, err);
  if (!j)
    return -1;
  json_t *auths = json_object_get(j, "auths");
  if (!json_is_object(auths)) {
    auths = json_object();
    json_object_set_new(j, "auths", auths);
  }
  size_t ul = strlen(user), pl = strlen(pass);
  _cleanup_free_ char *plain = malloc(ul + pl + 2);
  _cleanup_free_ unsigned char *b64 = malloc(((ul + pl + 1) / 3 + 1) * 4 + 1);
  if (!plain || !b64)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  snprintf(plain, ul + pl + 2, "%s:%s", user, pass);
  EVP_EncodeBlock(b64, (unsigned char *) plain, (int) (ul + pl + 1));
  json_t *entry = json_object();
  json_object_set_new(entry, "auth", json_string((char *) b64));
  json_object_set_new(auths, domain, entry);
  return save_auth_file(path, j, err);
}

int image_creds_erase(const char *domain, const char *auth_file, struct wh_error **err)
{
  _cleanup_free_ char *path = auth_file ? strdup(auth_file) : default_auth_file();
  if (!path)
    return wh_error_set(err, WH_ERR_INVALID, "no HOME or XDG_CONFIG_HOME for auth.json");
  _cleanup_json_ json_t *j = load_json(path, err);
  if (!j)
    return -1;
  json_t *auths = json_object_get(j, "auths");
  if (!json_object_get(auths, domain))
    return 0;
  json_object_del(auths, domain);
  if (save_auth_file(path, j, err) < 0)
    return -1;
  return 1;
}
