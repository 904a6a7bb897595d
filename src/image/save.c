/* image/archive_write.c: `save` (see saveload.h). Layers go out as stored
 * for OCI layouts (digests unchanged); docker-archive wants them
 * uncompressed, so a compressed blob is decompressed into tmp/ first (a
 * tar header needs the size up front). */
#include "image/saveload.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "image/manifest.h"
#include "image/store.h"
#include "oci/mediatype.h"

#define COPY_BUF (256u << 10)

static int tar_fail(struct archive *a, const char *what, struct wh_error **err)
{
  const char *m = archive_error_string(a);
  return wh_error_set(err, WH_ERR_IO, "write %s: %s", what, m ? m : "failed");
}

static int add_header(struct archive *a, const char *name, int64_t size, mode_t type,
                      struct wh_error **err)
{
  struct archive_entry *e = archive_entry_new();
  if (!e)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, type);
  archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_size(e, type == AE_IFDIR ? 0 : size);
  archive_entry_set_mtime(e, time(NULL), 0);
  int r = archive_write_header(a, e);
  archive_entry_free(e);
  if (r != ARCHIVE_OK)
    return tar_fail(a, name, err);
  return 0;
}

static int add_bytes(struct archive *a, const char *name, const void *data, size_t len,
                     struct wh_error **err)
{
  if (add_header(a, name, (int64_t) len, AE_IFREG, err) < 0)
    return -1;
  if (len && archive_write_data(a, data, len) != (la_ssize_t) len)
    return tar_fail(a, name, err);
  return 0;
}

static int add_fd(struct archive *a, const char *name, int fd, struct wh_error **err)
{
  struct stat st;
  if (fstat(fd, &st) < 0)
    return wh_error_errno(err, "%s", name);
  if (add_header(a, name, st.st_size, AE_IFREG, err) < 0)
    return -1;
  _cleanup_free_ char *buf = malloc(COPY_BUF);
  if (!buf)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = read(fd, buf, COPY_BUF);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return wh_error_errno(err, "read %s", name);
    if (archive_write_data(a, buf, (size_t) n) != n)
      return tar_fail(a, name, err);
    left -= n;
  }
  return 0;
}

/* Decompress a stored blob into a temporary file of tmp/; returns its fd. */
static int decompress_blob(struct image_store *s, const char *digest, char **tmpname,
                           struct wh_error **err)
{
  _cleanup_close_ int in = image_store_blob_open(s, digest, err);
  if (in < 0)
    return -1;
  _cleanup_close_ int out = image_store_tmp_file(s, "save", tmpname, err);
  if (out < 0)
    return -1;
  struct archive *a = archive_read_new();
  if (!a)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_format_raw(a);
  struct archive_entry *e;
  int rc = 0;
  if (archive_read_open_fd(a, in, COPY_BUF) != ARCHIVE_OK ||
      archive_read_next_header(a, &e) != ARCHIVE_OK) {
    rc = wh_error_set(err, WH_ERR_INVALID, "blob %s: %s", digest, archive_error_string(a));
  } else {
    const void *buf;
    size_t size;
    la_int64_t off;
    int r;
    while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK)
      if (wh_write_all(out, buf, size, err) < 0) {
        rc = -1;
        break;
      }
    if (rc == 0 && r != ARCHIVE_EOF)
      rc = wh_error_set(err, WH_ERR_INVALID, "blob %s: %s", digest, archive_error_string(a));
  }
  archive_read_free(a);
  if (rc < 0 || lseek(out, 0, SEEK_SET) < 0) {
    image_store_tmp_remove(s, *tmpname);
    return rc < 0 ? -1 : wh_error_errno(err, "seek");
  }
  return steal_fd(&out);
}

static bool blob_is_tar(struct image_store *s, const char *digest)
{
  _cleanup_close_ int fd = image_store_blob_open(s, digest, NULL);
  unsigned char m[4] = {0};
  if (fd < 0 || read(fd, m, 4) != 4)
    return false;
  return !(m[0] == 0x1f && m[1] == 0x8b) && !(m[0] == 0x28 && m[1] == 0xb5);
}

struct saver {
  struct image_store *s;
  struct archive *a;
  json_t *written; /* names already in the tar */
};

static bool once(struct saver *sv, const char *name)
{
  if (json_object_get(sv->written, name))
    return false;
  json_object_set_new(sv->written, name, json_true());
  return true;
}

static int save_blob(struct saver *sv, const char *digest, struct wh_error **err)
{
  char name[128];
  snprintf(name, sizeof(name), "blobs/sha256/%s", strchr(digest, ':') + 1);
  if (!once(sv, name))
    return 0;
  _cleanup_close_ int fd = image_store_blob_open(sv->s, digest, err);
  if (fd < 0)
    return -1;
  return add_fd(sv->a, name, fd, err);
}

static int save_oci(struct saver *sv, const struct image_info *info, json_t *index,
                    struct wh_error **err)
{
  if (save_blob(sv, info->manifest_digest, err) < 0 || save_blob(sv, info->id, err) < 0)
    return -1;
  for (size_t i = 0; i < info->n_layers; i++) {
    if (!info->layer_blobs[i])
      return wh_error_set(err, WH_ERR_NOT_FOUND, "layer %s has no stored blob",
                          info->chain_ids[i]);
    if (save_blob(sv, info->layer_blobs[i], err) < 0)
      return -1;
  }
  struct stat st;
  _cleanup_close_ int fd = image_store_blob_open(sv->s, info->manifest_digest, err);
  if (fd < 0 || fstat(fd, &st) < 0)
    return -1;
  json_t *d = json_object();
  json_object_set_new(d, "mediaType", json_string(info->manifest_media_type));
  json_object_set_new(d, "digest", json_string(info->manifest_digest));
  json_object_set_new(d, "size", json_integer(st.st_size));
  if (info->names && info->names[0]) {
    json_t *ann = json_object();
    json_object_set_new(ann, "org.opencontainers.image.ref.name", json_string(info->names[0]));
    json_object_set_new(ann, "io.containerd.image.name", json_string(info->names[0]));
    json_object_set_new(d, "annotations", ann);
  }
  json_array_append_new(index, d);
  return 0;
}

static int save_docker(struct saver *sv, const struct image_info *info, json_t *manifest,
                       struct wh_error **err)
{
  char cfgname[128];
  snprintf(cfgname, sizeof(cfgname), "%s.json", info->id + 7);
  if (once(sv, cfgname)) {
    _cleanup_close_ int fd = image_store_blob_open(sv->s, info->id, err);
    if (fd < 0 || add_fd(sv->a, cfgname, fd, err) < 0)
      return -1;
  }
  json_t *layers = json_array();
  json_t *entry = json_object();
  json_object_set_new(entry, "Config", json_string(cfgname));
  json_t *tags = json_array();
  for (char **n = info->names; n && *n; n++)
    json_array_append_new(tags, json_string(*n));
  json_object_set_new(entry, "RepoTags", tags);
  json_object_set_new(entry, "Layers", layers);
  json_array_append_new(manifest, entry);
  for (size_t i = 0; i < info->n_layers; i++) {
    char lname[160];
    snprintf(lname, sizeof(lname), "%s/layer.tar", info->diff_ids[i] + 7);
    json_array_append_new(layers, json_string(lname));
    if (!once(sv, lname))
      continue;
    if (!info->layer_blobs[i])
      return wh_error_set(err, WH_ERR_NOT_FOUND, "layer %s has no stored blob",
                          info->chain_ids[i]);
    _cleanup_free_ char *tmp = NULL;
    _cleanup_close_ int fd = blob_is_tar(sv->s, info->layer_blobs[i])
        ? image_store_blob_open(sv->s, info->layer_blobs[i], err)
        : decompress_blob(sv->s, info->layer_blobs[i], &tmp, err);
    if (fd < 0)
      return -1;
    char dname[160];
    snprintf(dname, sizeof(dname), "%s", info->diff_ids[i] + 7);
    int r = add_header(sv->a, dname, 0, AE_IFDIR, err);
    if (r == 0)
      r = add_fd(sv->a, lname, fd, err);
    if (tmp)
      image_store_tmp_remove(sv->s, tmp);
    if (r < 0)
      return -1;
  }
  return 0;
}

int image_save(struct image_store *s, char *const *refs, size_t n,
               enum image_archive_format format, int fd, struct wh_error **err)
{
  _cleanup_json_ json_t *written = json_object();
  struct saver sv = {.s = s, .a = archive_write_new(), .written = written};
  _cleanup_json_ json_t *list = json_array();
  if (!sv.a)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  int rc = -1;
  _cleanup_json_ json_t *index = NULL;
  _cleanup_free_ char *text = NULL;
  archive_write_set_format_pax_restricted(sv.a);
  if (archive_write_open_fd(sv.a, fd) != ARCHIVE_OK) {
    tar_fail(sv.a, "archive", err);
    goto out;
  }
  if (format == IMAGE_ARCHIVE_OCI) {
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    if (add_bytes(sv.a, "oci-layout", layout, strlen(layout), err) < 0)
      goto out;
  }
  for (size_t i = 0; i < n; i++) {
    _cleanup_(image_info_free) struct image_info info = {0};
    if (image_store_lookup(s, refs[i], &info, err) < 0)
      goto out;
    int r = format == IMAGE_ARCHIVE_OCI ? save_oci(&sv, &info, list, err)
                                        : save_docker(&sv, &info, list, err);
    if (r < 0) {
      wh_error_wrap(err, "save %s", refs[i]);
      goto out;
    }
  }
  json_t *top = list;
  if (format == IMAGE_ARCHIVE_OCI) {
    index = json_object();
    json_object_set_new(index, "schemaVersion", json_integer(2));
    json_object_set_new(index, "mediaType", json_string(OCI_MT_IMAGE_INDEX));
    json_object_set(index, "manifests", list);
    top = index;
  }
  text = json_dumps(top, JSON_COMPACT);
  if (!text) {
    wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
    goto out;
  }
  if (add_bytes(sv.a, format == IMAGE_ARCHIVE_OCI ? "index.json" : "manifest.json", text,
                strlen(text), err) < 0)
    goto out;
  if (archive_write_close(sv.a) != ARCHIVE_OK) {
    tar_fail(sv.a, "archive", err);
    goto out;
  }
  rc = 0;
out:
  archive_write_free(sv.a);
  return rc;
}
