/* wharf_image.c: pull, push, images, image inspect, image history. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "image/manifest.h"
#include "image/pull.h"
#include "image/push.h"
#include "image/regconf.h"
#include "image/store.h"
#include "wharf_image.h"
#include "wharf_image_util.h"

int wharf_open_store(const struct wharf_globals *g, enum image_store_mode mode,
                     struct image_store **s, struct wh_error **err)
{
  return image_store_open(g->root, mode, s, err);
}

int wharf_parse_size(const char *s, uint64_t *out, struct wh_error **err)
{
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (end == s || *s == '-')
    return wh_error_set(err, WH_ERR_INVALID, "size \"%s\": expected a number", s);
  unsigned long long mul = 1;
  if (*end == 'k' || *end == 'K')
    mul = 1ull << 10;
  else if (*end == 'm' || *end == 'M')
    mul = 1ull << 20;
  else if (*end == 'g' || *end == 'G')
    mul = 1ull << 30;
  else if (*end)
    return wh_error_set(err, WH_ERR_INVALID, "size \"%s\": unknown unit", s);
  if (*end && end[1] && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0)
    return wh_error_set(err, WH_ERR_INVALID, "size \"%s\": unknown unit", s);
  *out = v * mul;
  return 0;
}

int wharf_parse_bool(const char *s, bool *out, const char *what, struct wh_error **err)
{
  if (!s || strcmp(s, "true") == 0 || strcmp(s, "1") == 0) {
    *out = true;
    return 0;
  }
  if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0) {
    *out = false;
    return 0;
  }
  return wh_error_set(err, WH_ERR_INVALID, "%s: expected true or false, got \"%s\"", what, s);
}

void wharf_human_size(char *buf, size_t len, double v)
{
  /* docker's units: powers of 1000 */
  const char *u[] = {"B", "kB", "MB", "GB", "TB"};
  size_t k = 0;
  while (v >= 1000 && k + 1 < sizeof(u) / sizeof(u[0])) {
    v /= 1000;
    k++;
  }
  snprintf(buf, len, k ? "%.3g%s" : "%.0f%s", v, u[k]);
}

void wharf_ago(char *buf, size_t len, int64_t ns)
{
  if (ns <= 0) {
    snprintf(buf, len, "N/A");
    return;
  }
  int64_t s = (wh_now_real_ns() - ns) / 1000000000;
  if (s < 60)
    snprintf(buf, len, "%lld seconds ago", (long long) (s < 0 ? 0 : s));
  else if (s < 3600)
    snprintf(buf, len, "%lld minutes ago", (long long) s / 60);
  else if (s < 86400 * 2)
    snprintf(buf, len, "%lld hours ago", (long long) s / 3600);
  else if (s < 86400 * 365 * 2)
    snprintf(buf, len, "%lld days ago", (long long) s / 86400);
  else
    snprintf(buf, len, "%lld years ago", (long long) s / (86400 * 365));
}

static const char usage_pull[] =
  "Usage: wharf pull [OPTIONS] IMAGE\n"
  "\n"
  "Options:\n"
  "      --platform OS/ARCH[/VARIANT]  choose from a multi-platform index\n"
  "      --tls-verify=BOOL             verify TLS certificates (default true)\n"
  "      --creds USER:PASSWORD         credentials for the registry\n"
  "      --authfile FILE               auth.json to read credentials from\n"
  "      --max-layer-size SIZE         refuse layers larger than SIZE unpacked\n"
  "  -q, --quiet                       print only the image id\n";

enum { O_PLATFORM = 256, O_TLS, O_CREDS, O_AUTHFILE, O_MAXLAYER, O_FORMAT, O_DIGESTFILE };

/* The registry options pull and push share. */
static int client_option(int c, const char *arg, struct image_client_opts *o,
                         struct wh_error **err)
{
  bool v;
  switch (c) {
  case O_TLS:
    if (wharf_parse_bool(arg, &v, "--tls-verify", err) < 0)
      return -1;
    o->tls_verify = v;
    return 0;
  case O_CREDS: o->creds = arg; return 0;
  case O_AUTHFILE: o->auth_file = arg; return 0;
  default: return wh_error_set(err, WH_ERR_INTERNAL, "not a registry option");
  }
}

int wharf_client_opts(const struct wharf_globals *g, struct image_regconf *conf,
                      struct wh_error **err)
{
  return image_regconf_load(g->registries_conf, conf, err);
}

int wharf_cmd_pull(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option opts[] = {
    {"platform", required_argument, NULL, O_PLATFORM},
    {"tls-verify", optional_argument, NULL, O_TLS},
    {"creds", required_argument, NULL, O_CREDS},
    {"authfile", required_argument, NULL, O_AUTHFILE},
    {"max-layer-size", required_argument, NULL, O_MAXLAYER},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  struct image_pull_opts po = {.client = {.tls_verify = -1}};
  bool quiet = false;
  int c;
  while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
    switch (c) {
    case O_PLATFORM: po.platform = optarg; break;
    case O_TLS:
    case O_CREDS:
    case O_AUTHFILE:
      if (client_option(c, optarg, &po.client, err) < 0)
        return -1;
      break;
    case O_MAXLAYER:
      if (wharf_parse_size(optarg, &po.max_layer_bytes, err) < 0)
        return -1;
      break;
    case 'q': quiet = true; break;
    case 'h': fputs(usage_pull, stdout); return 0;
    default: return wh_error_set(err, WH_ERR_INVALID, "pull: bad option (see wharf pull --help)");
    }
  }
  if (optind + 1 != argc)
    return wh_error_set(err, WH_ERR_INVALID, "pull: expected one IMAGE (see wharf pull --help)");
  _cleanup_(image_regconf_free) struct image_regconf conf = {0};
  if (wharf_client_opts(g, &conf, err) < 0)
    return -1;
  po.client.conf = &conf;
  po.progress = quiet ? NULL : stdout;
  _cleanup_store_ struct image_store *s = NULL;
  if (wharf_open_store(g, IMAGE_STORE_WRITE, &s, err) < 0)
    return -1;
  _cleanup_free_ char *id = NULL;
  if (image_pull(s, argv[optind], &po, &id, err) < 0)
    return -1;
  printf("%s\n", id);
  return 0;
}

static const char usage_push[] =
  "Usage: wharf push [OPTIONS] IMAGE [DESTINATION]\n"
  "\n"
  "Push IMAGE to its registry, or to DESTINATION (registry/path[:tag]).\n"
  "Blobs the registry has in another repository are mounted, not sent.\n"
  "\n"
  "Options:\n"
  "      --tls-verify=BOOL        verify TLS certificates (default true)\n"
  "      --creds USER:PASSWORD    credentials for the registry\n"
  "      --authfile FILE          auth.json to read credentials from\n"
  "      --digestfile FILE        write the pushed manifest's digest to FILE\n"
  "  -q, --quiet                  no progress output\n";

int wharf_cmd_push(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option opts[] = {
    {"tls-verify", optional_argument, NULL, O_TLS},
    {"creds", required_argument, NULL, O_CREDS},
    {"authfile", required_argument, NULL, O_AUTHFILE},
    {"digestfile", required_argument, NULL, O_DIGESTFILE},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  struct image_push_opts po = {.client = {.tls_verify = -1}};
  bool quiet = false;
  const char *digestfile = NULL;
  int c;
  while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
    switch (c) {
    case O_TLS:
    case O_CREDS:
    case O_AUTHFILE:
      if (client_option(c, optarg, &po.client, err) < 0)
        return -1;
      break;
    case O_DIGESTFILE: digestfile = optarg; break;
    case 'q': quiet = true; break;
    case 'h': fputs(usage_push, stdout); return 0;
    default: return wh_error_set(err, WH_ERR_INVALID, "push: bad option (see wharf push --help)");
    }
  }
  if (optind >= argc || argc - optind > 2)
    return wh_error_set(err, WH_ERR_INVALID, "push: expected IMAGE [DESTINATION]");
  _cleanup_(image_regconf_free) struct image_regconf conf = {0};
  if (wharf_client_opts(g, &conf, err) < 0)
    return -1;
  po.client.conf = &conf;
  po.progress = quiet ? NULL : stdout;
  _cleanup_store_ struct image_store *s = NULL;
  if (wharf_open_store(g, IMAGE_STORE_READ, &s, err) < 0)
    return -1;
  _cleanup_free_ char *digest = NULL;
  if (image_push(s, argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL, &po, &digest,
                 err) < 0)
    return -1;
  if (digestfile) {
    _cleanup_fclose_ FILE *f = fopen(digestfile, "we");
    if (!f || fputs(digest, f) < 0)
      return wh_error_errno(err, "--digestfile %s", digestfile);
  }
  if (!quiet)
    printf("%s\n", digest);
  return 0;
}

/* "domain/path:tag" → repository and tag parts (into caller buffers). */
void wharf_split_name(const char *name, char *repo, size_t rlen, char *tag, size_t tlen)
{
  const char *slash = strrchr(name, '/');
  const char *colon = strrchr(slash ? slash : name, ':');
  if (!colon) {
    snprintf(repo, rlen, "%s", name);
    snprintf(tag, tlen, "<none>");
    return;
  }
  snprintf(repo, rlen, "%.*s", (int) (colon - name), name);
  snprintf(tag, tlen, "%s", colon + 1);
}

static json_t *strv_json(char **v)
{
  json_t *a = json_array();
  for (char **p = v; p && *p; p++)
    json_array_append_new(a, json_string(*p));
  return a;
}

static const char usage_images[] =
  "Usage: wharf images [OPTIONS]\n"
  "\n"
  "Options:\n"
  "  -a, --all            show every image (the default: wharf keeps no intermediates)\n"
  "      --format FORMAT  table (default) or json\n"
  "  -q, --quiet          print only image ids\n"
  "      --no-trunc       full image ids\n";

int wharf_cmd_images(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  enum { O_NOTRUNC = 300 };
  static const struct option opts[] = {
    {"all", no_argument, NULL, 'a'},
    {"format", required_argument, NULL, O_FORMAT},
    {"quiet", no_argument, NULL, 'q'},
    {"no-trunc", no_argument, NULL, O_NOTRUNC},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  bool quiet = false, json = false, notrunc = false;
  int c;
  while ((c = getopt_long(argc, argv, "aqh", opts, NULL)) != -1) {
    switch (c) {
    case 'a': break;
    case O_FORMAT:
      if (strcmp(optarg, "json") == 0)
        json = true;
      else if (strcmp(optarg, "table") != 0)
        return wh_error_set(err, WH_ERR_INVALID, "images: --format: json or table");
      break;
    case O_NOTRUNC: notrunc = true; break;
    case 'q': quiet = true; break;
    case 'h': fputs(usage_images, stdout); return 0;
    default: return wh_error_set(err, WH_ERR_INVALID, "images: bad option");
    }
  }
  if (optind != argc)
    return wh_error_set(err, WH_ERR_INVALID, "images: unexpected argument \"%s\"", argv[optind]);
  _cleanup_store_ struct image_store *s = NULL;
  if (wharf_open_store(g, IMAGE_STORE_READ, &s, err) < 0)
    return -1;
  struct image_info *v = NULL;
  size_t n = 0;
  if (image_store_list(s, &v, &n, err) < 0)
    return -1;
  if (json) {
    _cleanup_json_ json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
      json_t *o = json_object();
      char ts[WH_RFC3339_MAX];
      wh_rfc3339(v[i].created_ns, 0, ts);
      json_object_set_new(o, "Id", json_string(v[i].id + 7));
      json_object_set_new(o, "Names", strv_json(v[i].names));
      json_object_set_new(o, "RepoTags", strv_json(v[i].names));
      json_object_set_new(o, "RepoDigests", strv_json(v[i].repo_digests));
      json_object_set_new(o, "Digest", json_string(v[i].manifest_digest));
      json_object_set_new(o, "Created", json_integer(v[i].created_ns / 1000000000));
      json_object_set_new(o, "CreatedAt", json_string(ts));
      json_object_set_new(o, "Size", json_integer(v[i].size));
      json_object_set_new(o, "Containers", json_integer((json_int_t) v[i].n_users));
      json_object_set_new(o, "Dangling", json_boolean(!v[i].names || !v[i].names[0]));
      json_array_append_new(a, o);
    }
    char *text = json_dumps(a, JSON_INDENT(4));
    if (text)
      printf("%s\n", text);
    free(text);
  } else if (quiet) {
    for (size_t i = 0; i < n; i++)
      printf("%.*s\n", notrunc ? 71 : 12, notrunc ? v[i].id : v[i].id + 7);
  } else {
    printf("%-40s %-12s %-14s %-16s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
    for (size_t i = 0; i < n; i++) {
      char created[64], size[32];
      wharf_ago(created, sizeof(created), v[i].created_ns);
      wharf_human_size(size, sizeof(size), (double) v[i].size);
      char id[80];
      snprintf(id, sizeof(id), "%.*s", notrunc ? 71 : 12, notrunc ? v[i].id : v[i].id + 7);
      if (!v[i].names || !v[i].names[0])
        printf("%-40s %-12s %-14s %-16s %s\n", "<none>", "<none>", id, created, size);
      for (char **nm = v[i].names; nm && *nm; nm++) {
        char repo[512], tag[160];
        wharf_split_name(*nm, repo, sizeof(repo), tag, sizeof(tag));
        printf("%-40s %-12s %-14s %-16s %s\n", repo, tag, id, created, size);
      }
    }
  }
  image_info_list_free(v, n);
  return 0;
}

/* o[key] = v when the config has it, else a fresh default (owned). */
static void set_or(json_t *o, const char *key, json_t *v, json_t *dflt)
{
  if (v) {
    json_object_set(o, key, v);
    json_decref(dflt);
  } else {
    json_object_set_new(o, key, dflt);
  }
}

/* docker's inspect document for one image. */
static json_t *inspect_json(struct image_store *s, const struct image_info *i,
                            struct wh_error **err)
{
  _cleanup_free_ char *raw = NULL;
  size_t len = 0;
  if (image_store_blob_read(s, i->id, IMAGE_CONFIG_MAX, &raw, &len, err) < 0)
    return NULL;
  json_error_t je;
  _cleanup_json_ json_t *cfg = json_loadb(raw, len, 0, &je);
  if (!json_is_object(cfg)) {
    wh_error_set(err, WH_ERR_INVALID, "image %s: stored config is not JSON", i->id);
    return NULL;
  }
  json_t *o = json_object();
  json_object_set_new(o, "Id", json_string(i->id));
  json_object_set_new(o, "Digest", json_string(i->manifest_digest));
  json_object_set_new(o, "RepoTags", strv_json(i->names));
  json_object_set_new(o, "RepoDigests", strv_json(i->repo_digests));
  json_object_set_new(o, "Parent", json_string(""));
  json_t *v;
  set_or(o, "Comment", json_object_get(cfg, "comment"), json_string(""));
  if ((v = json_object_get(cfg, "created")))
    json_object_set(o, "Created", v);
  set_or(o, "Author", json_object_get(cfg, "author"), json_string(""));
  set_or(o, "Config", json_object_get(cfg, "config"), json_object());
  json_object_set_new(o, "Architecture", json_string(i->arch ? i->arch : ""));
  if (i->variant)
    json_object_set_new(o, "Variant", json_string(i->variant));
  json_object_set_new(o, "Os", json_string(i->os ? i->os : ""));
  json_object_set_new(o, "Size", json_integer(i->size));
  json_object_set_new(o, "VirtualSize", json_integer(i->size));
  json_object_set_new(o, "ManifestType", json_string(i->manifest_media_type));
  json_t *layers = json_array();
  for (size_t k = 0; k < i->n_layers; k++)
    json_array_append_new(layers, json_string(i->diff_ids[k]));
  json_t *rootfs = json_object();
  json_object_set_new(rootfs, "Type", json_string("layers"));
  json_object_set_new(rootfs, "Layers", layers);
  json_object_set_new(o, "RootFS", rootfs);
  /* overlay's lowerdir order: top layer first */
  struct wh_buf lower = WH_BUF_INIT;
  for (size_t k = i->n_layers; k-- > 0;) {
    _cleanup_free_ char *p = image_store_layer_path(s, i->chain_ids[k]);
    if (lower.len)
      wh_buf_append_char(&lower, ':');
    wh_buf_append_str(&lower, p ? p : "");
  }
  json_t *gd = json_object(), *data = json_object();
  json_object_set_new(data, "LowerDir", json_string(lower.data ? lower.data : ""));
  wh_buf_free(&lower);
  json_object_set_new(gd, "Name", json_string("overlay"));
  json_object_set_new(gd, "Data", data);
  json_object_set_new(o, "GraphDriver", gd);
  if ((v = json_object_get(cfg, "history")))
    json_object_set(o, "History", v);
  return o;
}

int wharf_cmd_inspect(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option opts[] = {
    {"format", required_argument, NULL, O_FORMAT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  int c;
  while ((c = getopt_long(argc, argv, "hf:", opts, NULL)) != -1) {
    switch (c) {
    case 'f':
    case O_FORMAT:
      if (strcmp(optarg, "json") != 0)
        return wh_error_set(err, WH_ERR_UNSUPPORTED, "inspect: only --format json is supported");
      break;
    case 'h': fputs("Usage: wharf image inspect IMAGE...\n", stdout); return 0;
    default: return wh_error_set(err, WH_ERR_INVALID, "inspect: bad option");
    }
  }
  if (optind >= argc)
    return wh_error_set(err, WH_ERR_INVALID, "inspect: expected IMAGE");
  _cleanup_store_ struct image_store *s = NULL;
  if (wharf_open_store(g, IMAGE_STORE_READ, &s, err) < 0)
    return -1;
  _cleanup_json_ json_t *a = json_array();
  for (int k = optind; k < argc; k++) {
    struct image_info info;
    if (image_store_lookup(s, argv[k], &info, err) < 0)
      return -1;
    json_t *o = inspect_json(s, &info, err);
    image_info_free(&info);
    if (!o)
      return -1;
    json_array_append_new(a, o);
  }
  char *text = json_dumps(a, JSON_INDENT(4));
  if (text)
    printf("%s\n", text);
  free(text);
  return 0;
}

int wharf_cmd_history(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  static const struct option opts[] = {
    {"format", required_argument, NULL, O_FORMAT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  bool json = false;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case O_FORMAT: json = strcmp(optarg, "json") == 0; break;
    case 'h': fputs("Usage: wharf image history [--format json] IMAGE\n", stdout); return 0;
    default: return wh_error_set(err, WH_ERR_INVALID, "history: bad option");
    }
  }
  if (optind + 1 != argc)
    return wh_error_set(err, WH_ERR_INVALID, "history: expected one IMAGE");
  _cleanup_store_ struct image_store *s = NULL;
  if (wharf_open_store(g, IMAGE_STORE_READ, &s, err) < 0)
    return -1;
  struct image_info info;
  if (image_store_lookup(s, argv[optind], &info, err) < 0)
    return -1;
  _cleanup_free_ char *raw = NULL;
  size_t len = 0;
  json_error_t je;
  int rc = image_store_blob_read(s, info.id, IMAGE_CONFIG_MAX, &raw, &len, err);
  _cleanup_json_ json_t *cfg = rc == 0 ? json_loadb(raw, len, 0, &je) : NULL;
  json_t *hist = json_object_get(cfg, "history");
  /* newest first; non-empty entries take the layers from the top down */
  size_t nh = json_array_size(hist);
  ssize_t layer = (ssize_t) info.n_layers - 1;
  _cleanup_json_ json_t *out = json_array();
  if (!json)
    printf("%-14s %-16s %-45s %-10s %s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
  for (size_t k = nh; rc == 0 && k-- > 0;) {
    json_t *h = json_array_get(hist, k);
    bool empty = json_is_true(json_object_get(h, "empty_layer"));
    int64_t size = 0;
    if (!empty && layer >= 0)
      size = info.layer_sizes[layer--];
    const char *created = json_string_value(json_object_get(h, "created"));
    const char *by = json_string_value(json_object_get(h, "created_by"));
    const char *comment = json_string_value(json_object_get(h, "comment"));
    int64_t ns = 0;
    if (created)
      wh_rfc3339_parse(created, &ns);
    if (json) {
      json_t *o = json_object();
      json_object_set_new(o, "id", json_string(k + 1 == nh ? info.id : "<missing>"));
      json_object_set_new(o, "created", json_string(created ? created : ""));
      json_object_set_new(o, "createdBy", json_string(by ? by : ""));
      json_object_set_new(o, "size", json_integer(size));
      json_object_set_new(o, "comment", json_string(comment ? comment : ""));
      json_array_append_new(out, o);
    } else {
      char ago[64], sz[32];
      wharf_ago(ago, sizeof(ago), ns);
      wharf_human_size(sz, sizeof(sz), (double) size);
      printf("%-14.12s %-16s %-45.45s %-10s %s\n", k + 1 == nh ? info.id + 7 : "<missing>", ago,
             by ? by : "", sz, comment ? comment : "");
    }
  }
  if (json && rc == 0) {
    char *text = json_dumps(out, JSON_INDENT(4));
    if (text)
      printf("%s\n", text);
    free(text);
  }
  image_info_free(&info);
  return rc;
}
