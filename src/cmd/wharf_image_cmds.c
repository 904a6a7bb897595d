/* wharf_image_cmds.c: tag, rmi, image prune, system df, login, logout. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "image/creds.h"
#include "image/ref.h"
#include "image/regconf.h"
#include "image/store.h"
#include "oci/reference.h"
#include "wharf_image.h"
#include "wharf_image_util.h"

static int no_options(const char *cmd, const char *usage, int argc, char **argv,
                      struct wh_error **err)
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'h') {
      fputs(usage, stdout);
      return 1;
    }
    return wh_error_set(err, WH_ERR_INVALID, "%s: bad option (see --help)", cmd);
  }
  return 0;
}

int wharf_cmd_tag(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  int r = no_options("tag", "Usage: wharf tag IMAGE NAME...\n", argc, argv, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (argc - optind < 2)
    return wh_error_set(err, WH_ERR_INVALID, "tag: expected IMAGE NAME...");
  _cleanup_store_ struct image_store *s = NULL;
  if (wharf_open_store(g, IMAGE_STORE_EXCLUSIVE, &s, err) < 0)
    return -1;
  _cleanup_(image_info_free) struct image_info info = {0};
  if (image_store_lookup(s, argv[optind], &info, err) < 0)
    return -1;
  for (int k = optind + 1; k < argc; k++) {
    _cleanup_free_ char *name = NULL;
    if (image_ref_local_name(argv[k], &name, err) < 0 ||
        image_store_tag(s, info.id, name, err) < 0)
      return wh_error_wrap(err, "tag %s", argv[k]);
  }
  return 0;
}

int wharf_cmd_rmi(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option opts[] = {
    {"force", no_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  bool force = false;
  int c;
  while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
    switch (c) {
    case 'f': force = true; break;
    case 'h': fputs("Usage: wharf rmi [-f] IMAGE...\n", stdout); return 0;
    default: return wh_error_set(err, WH_ERR_INVALID, "rmi: bad option");
    }
  }
  if (optind >= argc)
    return wh_error_set(err, WH_ERR_INVALID, "rmi: expected IMAGE...");
  _cleanup_store_ struct image_store *s = NULL;
  if (wharf_open_store(g, IMAGE_STORE_EXCLUSIVE, &s, err) < 0)
    return -1;
  for (int k = optind; k < argc; k++) {
    _cleanup_free_ char *untagged = NULL, *deleted = NULL;
    if (image_store_remove(s, argv[k], force, &untagged, &deleted, err) < 0)
      return wh_error_wrap(err, "rmi %s", argv[k]);
    if (untagged)
      printf("Untagged: %s\n", untagged);
    if (deleted)
      printf("Deleted: %s\n", deleted);
  }
  return 0;
}

int wharf_cmd_prune(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option opts[] = {
    {"all", no_argument, NULL, 'a'},
    {"force", no_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  bool all = false;
  int c;
  while ((c = getopt_long(argc, argv, "afh", opts, NULL)) != -1) {
    switch (c) {
    case 'a': all = true; break;
    case 'f': break; /* no prompt: wharf never asks */
    case 'h':
      fputs("Usage: wharf image prune [-a]\n\nRemove images without a name (-a: every image"
            " no container uses).\n", stdout);
      return 0;
    default: return wh_error_set(err, WH_ERR_INVALID, "image prune: bad option");
    }
  }
  _cleanup_store_ struct image_store *s = NULL;
  if (wharf_open_store(g, IMAGE_STORE_EXCLUSIVE, &s, err) < 0)
    return -1;
  size_t n = 0;
  uint64_t bytes = 0;
  if (image_store_prune(s, all, &n, &bytes, err) < 0)
    return -1;
  char h[32];
  wharf_human_size(h, sizeof(h), (double) bytes);
  printf("Deleted %zu image(s); reclaimed %s\n", n, h);
  return 0;
}

int wharf_cmd_df(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  int r = no_options("system df", "Usage: wharf system df\n", argc, argv, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_store_ struct image_store *s = NULL;
  if (wharf_open_store(g, IMAGE_STORE_READ, &s, err) < 0)
    return -1;
  struct image_store_usage u;
  if (image_store_df(s, &u, err) < 0)
    return -1;
  char l[32], b[32], un[32];
  wharf_human_size(l, sizeof(l), (double) u.layer_bytes);
  wharf_human_size(b, sizeof(b), (double) u.blob_bytes);
  wharf_human_size(un, sizeof(un), (double) u.unused_layer_bytes);
  printf("%-16s %-8s %-12s %s\n", "TYPE", "TOTAL", "SIZE", "RECLAIMABLE");
  printf("%-16s %-8zu %-12s %s\n", "Images", u.images, l, un);
  printf("%-16s %-8zu %-12s %s\n", "Layers", u.layers, l, un);
  printf("%-16s %-8zu %-12s %s\n", "Blobs", u.blobs, b, "0B");
  printf("%-16s %-8d %-12s %s\n", "Containers", 0, "0B", "0B");
  return 0;
}

static int read_password(bool from_stdin, char *buf, size_t len, struct wh_error **err)
{
  struct termios old, quiet;
  bool tty = !from_stdin && isatty(0) && tcgetattr(0, &old) == 0;
  if (tty) {
    fputs("Password: ", stderr);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t) ECHO;
    tcsetattr(0, TCSAFLUSH, &quiet);
  }
  char *r = fgets(buf, (int) len, stdin);
  if (tty) {
    tcsetattr(0, TCSAFLUSH, &old);
    fputc('\n', stderr);
  }
  if (!r)
    return wh_error_set(err, WH_ERR_INVALID, "login: no password given");
  buf[strcspn(buf, "\r\n")] = '\0';
  return 0;
}

int wharf_cmd_login(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  enum { O_PWSTDIN = 256, O_AUTHFILE2 };
  static const struct option opts[] = {
    {"username", required_argument, NULL, 'u'},
    {"password", required_argument, NULL, 'p'},
    {"password-stdin", no_argument, NULL, O_PWSTDIN},
    {"authfile", required_argument, NULL, O_AUTHFILE2},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *user = NULL, *pass = NULL, *authfile = NULL;
  bool pw_stdin = false;
  int c;
  while ((c = getopt_long(argc, argv, "u:p:h", opts, NULL)) != -1) {
    switch (c) {
    case 'u': user = optarg; break;
    case 'p': pass = optarg; break;
    case O_PWSTDIN: pw_stdin = true; break;
    case O_AUTHFILE2: authfile = optarg; break;
    case 'h':
      fputs("Usage: wharf login [-u USER] [-p PASSWORD | --password-stdin] [--authfile F]"
            " REGISTRY\n", stdout);
      return 0;
    default: return wh_error_set(err, WH_ERR_INVALID, "login: bad option");
    }
  }
  if (optind + 1 != argc)
    return wh_error_set(err, WH_ERR_INVALID, "login: expected REGISTRY");
  const char *reg = argv[optind];
  if (!user)
    return wh_error_set(err, WH_ERR_INVALID, "login: give --username");
  char pw[1024];
  if (!pass) {
    if (read_password(pw_stdin, pw, sizeof(pw), err) < 0)
      return -1;
    pass = pw;
  }
  if (image_creds_store(reg, authfile, user, pass, err) < 0)
    return wh_error_wrap(err, "login %s", reg);
  explicit_bzero(pw, sizeof(pw));
  printf("Login Succeeded!\n");
  return 0;
}

int wharf_cmd_logout(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  enum { O_AUTHFILE3 = 256 };
  static const struct option opts[] = {
    {"authfile", required_argument, NULL, O_AUTHFILE3},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *authfile = NULL;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case O_AUTHFILE3: authfile = optarg; break;
    case 'h': fputs("Usage: wharf logout [--authfile F] REGISTRY\n", stdout); return 0;
    default: return wh_error_set(err, WH_ERR_INVALID, "logout: bad option");
    }
  }
  if (optind + 1 != argc)
    return wh_error_set(err, WH_ERR_INVALID, "logout: expected REGISTRY");
  int r = image_creds_erase(argv[optind], authfile, err);
  if (r < 0)
    return wh_error_wrap(err, "logout %s", argv[optind]);
  if (r == 0)
    return wh_error_set(err, WH_ERR_NOT_FOUND, "logout: not logged in to %s", argv[optind]);
  printf("Removed login credentials for %s\n", argv[optind]);
  return 0;
}
