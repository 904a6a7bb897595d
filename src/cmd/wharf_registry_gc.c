/* wharf_registry_gc.c: `wharf-registry gc` and `wharf-registry repo quota`.
 *
 * gc runs in this process when no server holds the data directory, and
 * otherwise asks the server over its control socket (<data>/gc.sock), so
 * the run takes the server's GC lock and pushes and pulls go on. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/log.h"
#include "oci/reference.h"
#include "registry/audit.h"
#include "registry/gc.h"
#include "registry/registry.h"
#include "registry/store_blob.h"
#include "registry/store_meta.h"
#include "registry/store_meta_gc.h"
#include "wharf_registry_cmds.h"

static const char usage_gc[] =
  "Usage: wharf-registry gc [OPTIONS]\n"
  "\n"
  "Remove blobs that no manifest references (and, with --delete-untagged,\n"
  "untagged manifests that no tag reaches) while the registry keeps serving.\n"
  "If a server runs on the data directory, it does the run; otherwise this\n"
  "command does it.\n"
  "\n"
  "Options:\n"
  "  -d, --data DIR         data directory (default ./var/registry)\n"
  "  -n, --dry-run          report what would be removed; remove nothing\n"
  "      --grace DUR        keep content pushed or linked within DUR (default 1h;\n"
  "                         0 collects everything unreferenced, for tests)\n"
  "      --delete-untagged  also remove untagged manifests no tag reaches\n"
  "      --json             print the report as one JSON object\n"
  "  -h, --help             show this help\n";

static const char usage_repo[] =
  "Usage: wharf-registry repo quota NAME [BYTES|none] [--data DIR]\n"
  "       wharf-registry repo quota [--data DIR]   (every quota)\n"
  "\n"
  "Show a repository's storage quota and usage, or set it (units K, M, G, T\n"
  "and KiB, MiB, GiB, TiB; none or 0 removes it). A push that would take\n"
  "the repository over its quota is refused with 403 DENIED. Takes effect\n"
  "at once, also on a running server.\n";

int registry_parse_duration0(const char *s, const char *what, unsigned long *out,
                             struct wh_error **err)
{
  if (strcmp(s, "off") == 0 || strcmp(s, "0") == 0) {
    *out = 0;
    return 0;
  }
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  unsigned long mul = 0;
  if (*end == '\0' || strcmp(end, "s") == 0)
    mul = 1;
  else if (strcmp(end, "m") == 0)
    mul = 60;
  else if (strcmp(end, "h") == 0)
    mul = 3600;
  else if (strcmp(end, "d") == 0)
    mul = 86400;
  if (errno || end == s || *s == '-' || mul == 0 || v > 365UL * 86400 / mul)
    return wh_error_set(err, WH_ERR_INVALID,
                        "%s: '%s' is not a duration from 0 to 365d (e.g. 0, 90s, 30m, 1h)",
                        what, s);
  *out = v * mul;
  return 0;
}

static void print_report(const char *json, const struct gc_report *rep, bool as_json)
{
  if (as_json) {
    printf("%s\n", json);
    return;
  }
  printf("%s %llu manifests (%llu bytes), %llu blob links, %llu blob files; "
         "%llu bytes %s in %.3f s\n",
         rep->dry_run ? "would remove" : "removed", (unsigned long long) rep->manifests,
         (unsigned long long) rep->manifest_bytes, (unsigned long long) rep->blob_links,
         (unsigned long long) rep->files, (unsigned long long) rep->bytes_freed,
         rep->dry_run ? "to free" : "freed", (double) rep->duration_ns / 1e9);
}

/* The report back from the server's JSON (flat, numbers only). */
static void parse_report(const char *json, struct gc_report *rep)
{
  memset(rep, 0, sizeof(*rep));
  static const struct { const char *key; size_t off; } keys[] = {
    { "\"manifests\":", offsetof(struct gc_report, manifests) },
    { "\"manifest_bytes\":", offsetof(struct gc_report, manifest_bytes) },
    { "\"blob_links\":", offsetof(struct gc_report, blob_links) },
    { "\"files\":", offsetof(struct gc_report, files) },
    { "\"bytes_freed\":", offsetof(struct gc_report, bytes_freed) },
  };
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    const char *p = strstr(json, keys[i].key);
    if (p)
      *(uint64_t *) ((char *) rep + keys[i].off) = strtoull(p + strlen(keys[i].key), NULL, 10);
  }
  rep->dry_run = strstr(json, "\"dry_run\":true") != NULL;
  const char *p = strstr(json, "\"seconds\":");
  if (p)
    rep->duration_ns = (int64_t) (strtod(p + 10, NULL) * 1e9);
}

/* Run here, holding the data directory's lock (no server). */
static int gc_here(const char *data_dir, int dfd, const struct gc_options *o,
                   struct gc_report *rep, struct wh_error **err)
{
  struct registry reg = { .data_fd = dfd };
  reg.cfg.data_dir = (char *) data_dir;
  int ret = -1;
  reg.blobs = blob_store_fs_open(dfd, false, err);
  if (reg.blobs)
    reg.meta = meta_store_sqlite_open(dfd, data_dir, false, err);
  if (reg.meta) {
    reg.audit = audit_open(dfd, "audit.log", err);
    if (reg.audit)
      ret = registry_gc(&reg, o, rep, err);
  }
  audit_close(reg.audit);
  if (reg.meta)
    meta_store_close(reg.meta);
  blob_store_close(reg.blobs);
  return ret;
}

int registry_cmd_gc(int argc, char **argv, struct wh_error **err)
{
  enum { OPT_GRACE = 256, OPT_UNTAGGED, OPT_JSON };
  static const struct option opts[] = {
    { "data", required_argument, NULL, 'd' },
    { "dry-run", no_argument, NULL, 'n' },
    { "grace", required_argument, NULL, OPT_GRACE },
    { "delete-untagged", no_argument, NULL, OPT_UNTAGGED },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *data_dir = "./var/registry";
  struct gc_options o = { .grace_ns = 3600LL * 1000000000LL };
  bool as_json = false;
  unsigned long v;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":d:nh", opts, NULL)) != -1) {
    switch (c) {
    case 'd':
      data_dir = optarg;
      break;
    case 'n':
      o.dry_run = true;
      break;
    case OPT_GRACE:
      if (registry_parse_duration0(optarg, "--grace", &v, err) < 0)
        return -1;
      o.grace_ns = (int64_t) v * 1000000000LL;
      break;
    case OPT_UNTAGGED:
      o.delete_untagged = true;
      break;
    case OPT_JSON:
      as_json = true;
      break;
    case 'h':
      fputs(usage_gc, stdout);
      return 0;
    case ':':
      return wh_error_set(err, WH_ERR_INVALID, "gc: option %s needs a value", argv[optind - 1]);
    default:
      return wh_error_set(err, WH_ERR_INVALID, "gc: unknown option '%s' (see wharf-registry gc --help)",
                          argv[optind - 1]);
    }
  }
  if (optind < argc)
    return wh_error_set(err, WH_ERR_INVALID, "gc: unexpected argument '%s'", argv[optind]);
  wh_log_setup(WH_LOG_WARN, STDERR_FILENO, WH_LOG_TEXT);

  _cleanup_close_ int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return wh_error_errno(err, "data directory %s", data_dir);
  struct gc_report rep;
  _cleanup_free_ char *json = NULL;
  if (flock(dfd, LOCK_EX | LOCK_NB) < 0) {
    if (errno != EWOULDBLOCK)
      return wh_error_errno(err, "lock data directory %s", data_dir);
    /* A server holds the directory: it runs GC for us. */
    if (gc_request(data_dir, &o, &json, err) < 0)
      return -1;
    parse_report(json, &rep);
  } else {
    if (gc_here(data_dir, dfd, &o, &rep, err) < 0)
      return -1;
    json = gc_report_json(&rep);
    if (!json)
      return wh_error_errno(err, "gc");
  }
  print_report(json, &rep, as_json);
  return 0;
}

/* "100", "512K", "10MiB", "2G", "1TiB" → bytes; "none" → 0. */
static int parse_bytes(const char *s, unsigned long long *out, struct wh_error **err)
{
  if (strcmp(s, "none") == 0 || strcmp(s, "0") == 0) {
    *out = 0;
    return 0;
  }
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  static const struct { const char *suffix; unsigned long long mul; } units[] = {
    { "", 1 }, { "B", 1 },
    { "K", 1000ULL }, { "M", 1000000ULL }, { "G", 1000000000ULL }, { "T", 1000000000000ULL },
    { "KiB", 1ULL << 10 }, { "MiB", 1ULL << 20 }, { "GiB", 1ULL << 30 }, { "TiB", 1ULL << 40 },
  };
  unsigned long long mul = 0;
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
    if (strcmp(end, units[i].suffix) == 0)
      mul = units[i].mul;
  if (errno || end == s || *s == '-' || mul == 0 || v > (1ULL << 62) / mul)
    return wh_error_set(err, WH_ERR_INVALID,
                        "quota: '%s' is not a size (e.g. 500MiB, 10G, 1TiB; none to remove)", s);
  *out = v * mul;
  return 0;
}

/* Every repository with a quota: name, quota, usage. */
static int list_quotas(const char *data_dir, struct wh_error **err)
{
  struct meta_gc *g = meta_gc_open(data_dir, err);
  if (!g)
    return -1;
  char **names = NULL;
  uint64_t *bytes = NULL;
  size_t n = 0;
  int ret = meta_quota_list(g, &names, &bytes, &n, err);
  for (size_t i = 0; ret == 0 && i < n; i++) {
    uint64_t usage;
    ret = meta_quota_usage(g, names[i], &usage, err);
    if (ret == 0)
      printf("%s\t%llu\t%llu\n", names[i], (unsigned long long) bytes[i],
             (unsigned long long) usage);
  }
  for (size_t i = 0; names && i < n; i++)
    free(names[i]);
  free(names);
  free(bytes);
  meta_gc_close(g);
  return ret;
}

int registry_cmd_repo(int argc, char **argv, struct wh_error **err)
{
  static const struct option opts[] = {
    { "data", required_argument, NULL, 'd' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *data_dir = "./var/registry";
  int c;
  optind = 1;
  opterr = 0;
  /* Options may come after the positional arguments. */
  while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
    if (c == 'd') {
      data_dir = optarg;
    } else if (c == 'h') {
      fputs(usage_repo, stdout);
      return 0;
    } else {
      return wh_error_set(err, WH_ERR_INVALID, "repo: bad option '%s' (see wharf-registry repo --help)",
                          argv[optind - 1]);
    }
  }
  int n = argc - optind;
  char **args = argv + optind;
  if (n == 1 && strcmp(args[0], "quota") == 0)
    return list_quotas(data_dir, err);
  if (n < 2 || n > 3 || strcmp(args[0], "quota") != 0)
    return wh_error_set(err, WH_ERR_INVALID, "usage: wharf-registry repo quota NAME [BYTES|none] "
                        "[--data DIR]");
  const char *name = args[1];
  if (!oci_name_valid(name))
    return wh_error_set(err, WH_ERR_INVALID, "repo quota: '%s' is not a valid repository name",
                        name);
  unsigned long long bytes = 0;
  if (n == 3 && parse_bytes(args[2], &bytes, err) < 0)
    return -1;
  _cleanup_close_ int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return wh_error_errno(err, "data directory %s", data_dir);
  /* The metadata schema exists once a registry has run here; make sure. */
  struct meta_store *ms = meta_store_sqlite_open(dfd, data_dir, false, err);
  if (!ms)
    return -1;
  meta_store_close(ms);
  struct meta_gc *g = meta_gc_open(data_dir, err);
  if (!g)
    return -1;
  int ret = 0;
  if (n == 3) {
    ret = meta_quota_set(g, name, bytes, err);
    if (ret == 0) {
      struct registry reg = { .data_fd = dfd };
      reg.audit = audit_open(dfd, "audit.log", NULL);
      audit_log_counts(&reg, "quota_set", NULL, name, "bytes", (int64_t) bytes, NULL);
      audit_close(reg.audit);
    }
  }
  uint64_t quota = 0, usage = 0;
  if (ret == 0)
    ret = meta_quota_get(g, name, &quota, err);
  if (ret == 0)
    ret = meta_quota_usage(g, name, &usage, err);
  meta_gc_close(g);
  if (ret < 0)
    return -1;
  if (quota)
    printf("repository %s: quota %llu bytes, usage %llu bytes\n", name,
           (unsigned long long) quota, (unsigned long long) usage);
  else
    printf("repository %s: no quota, usage %llu bytes\n", name, (unsigned long long) usage);
  return 0;
}
