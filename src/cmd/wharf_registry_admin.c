/* wharf_registry_admin.c: the operator commands of wharf-registry that
 * work on a data directory directly (the server may be running):
 *
 *   user add NAME [--admin | --permissions LIST] [--password-stdin] [--no-key]
 *   user list | remove NAME | password NAME | permissions NAME LIST
 *   user key create NAME | disable KEYID | enable KEYID | remove KEYID
 *   user key expire KEYID (--at RFC3339 | --in DURATION | --never)
 *   lifecycle run [--dry-run] [--now RFC3339]
 *
 * every one with --data DIR. A new access key's secret is printed once.
 * Changes to users and keys rewrite auth.gen, which a running server
 * checks on every request, so they take effect at once. */
#include "cmd/wharf_registry_admin.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "oci/reference.h"
#include "registry/audit.h"
#include "registry/auth.h"
#include "registry/ecr_password.h"
#include "registry/lifecycle.h"
#include "registry/registry.h"
#include "registry/store_ecr.h"
#include "registry/store_meta.h"

static const char usage_user[] =
  "Usage: wharf-registry user COMMAND --data DIR [OPTIONS]\n"
  "\n"
  "Principals of `serve --auth`: users with access keys (for the ECR API\n"
  "and `aws ecr get-login-password`) and optional passwords (for basic auth\n"
  "and `podman login`).\n"
  "\n"
  "  add NAME [--admin | --permissions LIST] [--password-stdin] [--no-key]\n"
  "        create a user and (unless --no-key) an access key, printed once;\n"
  "        LIST: registry-level ecr: actions, comma separated, wildcards\n"
  "        allowed (ecr:CreateRepository,ecr:Describe*); admin may do all\n"
  "  list                       users, their permissions and keys\n"
  "  remove NAME                the user and all its keys\n"
  "  password NAME              set the password from the first line of stdin\n"
  "  permissions NAME LIST      replace the registry-level permissions\n"
  "  key create NAME            a further access key (several per user)\n"
  "  key disable|enable KEYID   stop or resume a key at once\n"
  "  key remove KEYID\n"
  "  key expire KEYID --at TIME | --in DURATION | --never\n"
  "\n"
  "Options: -d, --data DIR (default ./var/registry), --json (machine-readable output)\n";

static const char usage_lifecycle[] =
  "Usage: wharf-registry lifecycle run --data DIR [--dry-run] [--now RFC3339]\n"
  "\n"
  "Apply every repository's lifecycle policy now (the server does it on its\n"
  "schedule, --lifecycle-interval). --dry-run only lists what would expire;\n"
  "--now evaluates as of another time (`since*` rules), e.g. to see what\n"
  "next week's run will expire.\n";

struct admin {
  const char *data;
  bool json;
  int dirfd;
  struct ecr_store *store;
};

static int admin_open(struct admin *a, struct wh_error **err)
{
  if (wh_mkdir_p_at(AT_FDCWD, a->data, 0755, err) < 0)
    return wh_error_wrap(err, "data directory %s", a->data);
  a->dirfd = open(a->data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (a->dirfd < 0)
    return wh_error_errno(err, "data directory %s", a->data);
  _cleanup_free_ char *db = NULL;
  if (asprintf(&db, "%s/meta.db", a->data) < 0)
    return wh_error_errno(err, "data directory");
  a->store = ecr_store_open(db, err);
  return a->store ? 0 : -1;
}

static void admin_close(struct admin *a)
{
  ecr_store_close(a->store);
  if (a->dirfd >= 0)
    close(a->dirfd);
}

static int check_user_name(const char *name, struct wh_error **err)
{
  size_t n = strlen(name);
  if (n == 0 || n > 64 || strcmp(name, "AWS") == 0)
    return wh_error_set(err, WH_ERR_INVALID, "user name '%s': 1 to 64 characters, not AWS "
                        "(the user name of GetAuthorizationToken logins)", name);
  for (size_t i = 0; i < n; i++) {
    char ch = name[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          strchr("+=,.@_-", ch)))
      return wh_error_set(err, WH_ERR_INVALID, "user name '%s': only letters, digits and "
                          "+=,.@_- (IAM's user names)", name);
  }
  return 0;
}

static int new_key(struct admin *a, const char *user, struct wh_error **err)
{
  char id[ECR_ACCESS_KEY_ID_LEN + 1], secret[ECR_SECRET_LEN + 1];
  unsigned char master[ECR_KEY_LEN], sk[ECR_KEY_LEN];
  if (ecr_access_key_new(id, secret, err) < 0 ||
      ecr_keyfile_load(a->dirfd, "registry.key", master, err) < 0)
    return -1;
  ecr_key_derive(master, "secrets", sk);
  memset(master, 0, sizeof(master));
  _cleanup_free_ char *sealed = ecr_secret_seal(sk, id, secret, strlen(secret), err);
  memset(sk, 0, sizeof(sk));
  if (!sealed)
    return -1;
  struct ecr_key k = { .id = id, .user = (char *) user, .sealed = sealed, .active = true,
                       .created_at = wh_now_real_ns() / 1000000000 };
  if (ecr_key_add(a->store, &k, err) < 0)
    return -1;
  if (a->json)
    printf("{\"UserName\": \"%s\", \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\"}\n",
           user, id, secret);
  else
    printf("access key for %s (the secret is shown only now):\n"
           "  aws_access_key_id = %s\n  aws_secret_access_key = %s\n", user, id, secret);
  memset(secret, 0, sizeof(secret));
  return 0;
}

static int read_password(char **out, struct wh_error **err)
{
  char buf[ECR_PASSWORD_MAX + 2];
  if (!fgets(buf, sizeof(buf), stdin))
    return wh_error_set(err, WH_ERR_INVALID, "no password on stdin");
  size_t n = strcspn(buf, "\r\n");
  if (n == sizeof(buf) - 2 && buf[n] != '\n')
    return wh_error_set(err, WH_ERR_INVALID, "password longer than %d bytes",
                        ECR_PASSWORD_MAX);
  buf[n] = '\0';
  if (n == 0)
    return wh_error_set(err, WH_ERR_INVALID, "empty password");
  *out = ecr_password_hash(buf, err);
  memset(buf, 0, sizeof(buf));
  return *out ? 0 : -1;
}

static int print_users(struct admin *a, struct wh_error **err)
{
  struct ecr_user *u;
  size_t n;
  if (ecr_user_list(a->store, &u, &n, err) < 0)
    return -1;
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    struct ecr_key *k;
    size_t nk;
    if (ecr_key_list(a->store, u[i].name, &k, &nk, err) < 0) {
      ecr_users_free(u, n);
      json_decref(arr);
      return -1;
    }
    json_t *keys = json_array();
    for (size_t j = 0; j < nk; j++)
      json_array_append_new(keys, json_pack("{s:s, s:s, s:I}", "AccessKeyId", k[j].id, "Status",
                                            k[j].active ? "Active" : "Inactive", "ExpiresAt",
                                            (json_int_t) k[j].expires_at));
    ecr_keys_free(k, nk);
    json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:o}", "UserName", u[i].name,
                                         "Permissions", u[i].perms, "Password",
                                         u[i].password != NULL, "AccessKeys", keys));
    if (!a->json) {
      printf("%-20s perms=%s password=%s\n", u[i].name, u[i].perms[0] ? u[i].perms : "-",
             u[i].password ? "set" : "none");
      size_t j;
      json_t *kk;
      json_array_foreach(keys, j, kk)
        printf("  %s %s%s\n", json_string_value(json_object_get(kk, "AccessKeyId")),
               json_string_value(json_object_get(kk, "Status")),
               json_integer_value(json_object_get(kk, "ExpiresAt")) ? " (expires)" : "");
    }
  }
  ecr_users_free(u, n);
  if (a->json) {
    char *t = json_dumps(arr, JSON_INDENT(2));
    puts(t ? t : "[]");
    free(t);
  }
  json_decref(arr);
  return 0;
}

static int parse_when(const char *flag, const char *v, int64_t *out, struct wh_error **err)
{
  int64_t ns;
  if (strcmp(flag, "at") == 0) {
    if (wh_rfc3339_parse(v, &ns) < 0)
      return wh_error_set(err, WH_ERR_INVALID, "--at '%s': expected an RFC 3339 time such as "
                          "2026-12-31T00:00:00Z", v);
    *out = ns / 1000000000;
    return 0;
  }
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  long long mul = !*end || strcmp(end, "s") == 0 ? 1 : strcmp(end, "m") == 0 ? 60
                  : strcmp(end, "h") == 0 ? 3600 : strcmp(end, "d") == 0 ? 86400 : 0;
  if (errno || end == v || n < 0 || mul == 0 || n > 100LL * 365 * 86400 / mul)
    return wh_error_set(err, WH_ERR_INVALID, "--in '%s': expected a duration such as 90d", v);
  *out = wh_now_real_ns() / 1000000000 + n * mul;
  return 0;
}

int cmd_user(int argc, char **argv, struct wh_error **err)
{
  static const struct option opts[] = {
    { "data", required_argument, NULL, 'd' }, { "json", no_argument, NULL, 'j' },
    { "admin", no_argument, NULL, 'A' }, { "permissions", required_argument, NULL, 'P' },
    { "password-stdin", no_argument, NULL, 'p' }, { "no-key", no_argument, NULL, 'N' },
    { "at", required_argument, NULL, 'a' }, { "in", required_argument, NULL, 'i' },
    { "never", no_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct admin a = { .data = "./var/registry", .dirfd = -1 };
  const char *perms = NULL, *when_flag = NULL, *when = NULL;
  bool admin = false, pw = false, no_key = false, never = false;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
    switch (c) {
    case 'd': a.data = optarg; break;
    case 'j': a.json = true; break;
    case 'A': admin = true; break;
    case 'P': perms = optarg; break;
    case 'p': pw = true; break;
    case 'N': no_key = true; break;
    case 'a': when_flag = "at"; when = optarg; break;
    case 'i': when_flag = "in"; when = optarg; break;
    case 'n': never = true; break;
    case 'h': fputs(usage_user, stdout); return 0;
    default:
      return wh_error_set(err, WH_ERR_INVALID, "user: bad option '%s' (see wharf-registry "
                          "user --help)", argv[optind - 1]);
    }
  }
  char **args = argv + optind;
  int n = argc - optind;
  if (n < 1) {
    fputs(usage_user, stderr);
    return wh_error_set(err, WH_ERR_INVALID, "user: which command?");
  }
  const char *sub = args[0];
  bool key = strcmp(sub, "key") == 0;
  const char *op = key ? (n > 1 ? args[1] : "") : sub;
  const char *arg = key ? (n > 2 ? args[2] : NULL) : (n > 1 ? args[1] : NULL);
  int need = strcmp(op, "list") == 0 ? 0 : strcmp(op, "permissions") == 0 ? 2 : 1;
  if ((key ? n - 2 : n - 1) != need)
    return wh_error_set(err, WH_ERR_INVALID, "user %s%s%s: expected %d argument%s (see "
                        "wharf-registry user --help)", key ? "key " : "", op, "", need,
                        need == 1 ? "" : "s");
  if (admin && perms)
    return wh_error_set(err, WH_ERR_INVALID, "--admin and --permissions exclude each other");
  uint64_t bits;
  bool adm;
  const char *new_perms = admin ? "admin" : perms ? perms : key || strcmp(op, "permissions")
                                                              ? "" : args[2];
  if (auth_perm_bits(new_perms, &bits, &adm, err) < 0)
    return -1;
  if (admin_open(&a, err) < 0) {
    admin_close(&a);
    return -1;
  }
  int ret = -1;
  int64_t now = wh_now_real_ns() / 1000000000;
  if (!key && strcmp(op, "add") == 0) {
    _cleanup_free_ char *hash = NULL;
    if (check_user_name(arg, err) < 0 || (pw && read_password(&hash, err) < 0) ||
        ecr_user_add(a.store, arg, new_perms, now, err) < 0 ||
        (hash && ecr_user_set(a.store, arg, "password", hash, err) < 0))
      goto out;
    if (!a.json)
      printf("user %s added\n", arg);
    if (!no_key && new_key(&a, arg, err) < 0)
      goto out;
    ret = 0;
  } else if (!key && strcmp(op, "list") == 0) {
    ret = print_users(&a, err);
  } else if (!key && strcmp(op, "remove") == 0) {
    ret = ecr_user_remove(a.store, arg, err);
  } else if (!key && strcmp(op, "password") == 0) {
    _cleanup_free_ char *hash = NULL;
    ret = read_password(&hash, err) < 0 ? -1 : ecr_user_set(a.store, arg, "password", hash, err);
  } else if (!key && strcmp(op, "permissions") == 0) {
    ret = ecr_user_set(a.store, arg, "perms", new_perms, err);
  } else if (key && strcmp(op, "create") == 0) {
    struct ecr_user u;
    if (ecr_user_get(a.store, arg, &u, err) < 0)
      goto out;
    ecr_user_clear(&u);
    ret = new_key(&a, arg, err);
  } else if (key && (strcmp(op, "disable") == 0 || strcmp(op, "enable") == 0)) {
    ret = ecr_key_set_active(a.store, arg, op[0] == 'e', err);
  } else if (key && strcmp(op, "remove") == 0) {
    ret = ecr_key_remove(a.store, arg, err);
  } else if (key && strcmp(op, "expire") == 0) {
    int64_t t = 0;
    if (!never && !when) {
      wh_error_set(err, WH_ERR_INVALID, "key expire: give --at TIME, --in DURATION or --never");
      goto out;
    }
    if (when && parse_when(when_flag, when, &t, err) < 0)
      goto out;
    ret = ecr_key_set_expiry(a.store, arg, never ? 0 : (t ? t : 1), err);
  } else {
    wh_error_set(err, WH_ERR_INVALID, "user: unknown command '%s%s' (see wharf-registry user "
                 "--help)", key ? "key " : "", op);
  }
  if (ret == 0 && strcmp(op, "list") != 0 && auth_gen_bump(a.dirfd, err) < 0)
    ret = -1;
out:
  admin_close(&a);
  return ret;
}

int cmd_lifecycle(int argc, char **argv, struct wh_error **err)
{
  static const struct option opts[] = {
    { "data", required_argument, NULL, 'd' }, { "dry-run", no_argument, NULL, 'n' },
    { "now", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct admin a = { .data = "./var/registry", .dirfd = -1 };
  bool dry = false;
  int64_t now = wh_now_real_ns() / 1000000000;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
    switch (c) {
    case 'd': a.data = optarg; break;
    case 'n': dry = true; break;
    case 't': {
      int64_t ns;
      if (wh_rfc3339_parse(optarg, &ns) < 0)
        return wh_error_set(err, WH_ERR_INVALID, "--now '%s': expected an RFC 3339 time", optarg);
      now = ns / 1000000000;
      break;
    }
    case 'h': fputs(usage_lifecycle, stdout); return 0;
    default:
      return wh_error_set(err, WH_ERR_INVALID, "lifecycle: bad option '%s'", argv[optind - 1]);
    }
  }
  if (argc - optind != 1 || strcmp(argv[optind], "run") != 0) {
    fputs(usage_lifecycle, stderr);
    return wh_error_set(err, WH_ERR_INVALID, "lifecycle: expected `run`");
  }
  wh_log_setup(WH_LOG_INFO, STDERR_FILENO, WH_LOG_TEXT);
  if (admin_open(&a, err) < 0) {
    admin_close(&a);
    return -1;
  }
  int ret = -1;
  struct meta_store *meta = meta_store_sqlite_open(a.dirfd, a.data, false, err);
  /* Without a server: expirations go to DATA/audit.log, like `gc`'s. */
  struct registry reg = { .data_fd = a.dirfd, .meta = meta };
  if (meta && !dry)
    reg.audit = audit_open(a.dirfd, "audit.log", err);
  if (meta && (dry || reg.audit)) {
    long n = lifecycle_apply_all(&reg, meta, a.store, now, dry, err);
    if (n >= 0) {
      printf("%s %ld image%s\n", dry ? "would expire" : "expired", n, n == 1 ? "" : "s");
      ret = 0;
    }
  }
  audit_close(reg.audit);
  if (meta)
    meta_store_close(meta);
  admin_close(&a);
  return ret;
}
