/* store_blob_fs.c: the blob store on a local filesystem (store_blob.h).
 *
 *   <data>/blobs/sha256/ab/abcd…   committed blobs, immutable, shared
 *   <data>/uploads/<id>            uploads in progress
 *
 * An upload's bytes are hashed as they are appended; the running hash of
 * each upload lives in memory between chunks, so a commit after streamed
 * chunks does not read the file again. After a restart the hash is gone
 * and commit re-reads the file: slower, still correct. Commit order is
 * fsync(file), rename into blobs/, fsync(directory) when sync_full: a
 * blob's name is never visible before its bytes are on disk, so a crash
 * leaves either no blob or a complete one (plus a stray upload file that
 * the restart cleans). */
#include "registry/store_blob.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/error.h"
#include "base/file.h"
#include "registry/blob_pipe.h"

/* The running hash of one upload, kept between requests. */
struct fs_upload {
  struct fs_upload *next;
  char *id;
  struct wh_hasher *h;  /* sha256 of the first `hashed` bytes, or NULL */
  uint64_t hashed;
  bool busy;            /* a writer holds it */
};

/* Small blobs (configs, tiny layers) are kept in memory once read: a
 * blob's bytes never change under its digest, so the cache needs no
 * invalidation, only a bound. One slot per hash bucket; a collision
 * replaces the older entry. At most CACHE_SLOTS * CACHE_MAX bytes. */
#define CACHE_SLOTS 512
#define CACHE_MAX (16 * 1024)

struct cache_slot {
  char digest[WH_DIGEST_STR_MAX];
  char *data;
  size_t len;
};

struct fs_store {
  struct blob_store base;
  int blobs_fd;
  int uploads_fd;
  bool sync_full;
  pthread_mutex_t lock;
  struct fs_upload *uploads;
  pthread_mutex_t cache_lock;
  struct cache_slot cache[CACHE_SLOTS];
};

/* Request bodies arrive in pieces of a few KiB; the writer gathers them
 * into WRITE_BUF before hashing and writing them. From the first full
 * buffer on (a large upload), hashing and writing move to a thread of
 * their own (blob_pipe.c), one buffer behind the receiving thread. */
#define WRITE_BUF (1 << 20)
#define WRITEBACK_STEP (8 << 20)

struct fs_writer {
  struct blob_writer base;
  struct fs_store *s;
  struct fs_upload *u;
  int fd;
  uint64_t size;        /* bytes accepted, buffered ones included */
  bool hash_ok;         /* u->h covers size bytes once all is written */
  char *buf;            /* own buffer, before a pipe starts */
  size_t buf_len;       /* bytes in the buffer being filled */
  struct blob_pipe *pipe;
  uint64_t on_disk;     /* bytes written to fd */
  uint64_t writeback;   /* bytes handed to sync_file_range */
};

static const struct blob_store_ops fs_ops;

/* Ids come from the API layer already checked; check again, because a
 * name from outside must never become a path by accident. */
static bool id_ok(const char *id)
{
  size_t n = strlen(id);
  if (n == 0 || n > 64)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f') || id[i] == '-'))
      return false;
  return true;
}

/* "sha256:abcd…" → dir "sha256/ab" and file "abcd…". */
static int blob_path(const char *digest, char dir[16], char file[WH_DIGEST_MAX_HEX + 1],
                     enum wh_digest_alg *alg, struct wh_error **err)
{
  const char *colon = strchr(digest, ':');
  int a = colon ? wh_digest_alg_parse(digest, (size_t) (colon - digest)) : -1;
  if (a < 0)
    return wh_error_set(err, WH_ERR_UNSUPPORTED, "digest algorithm of %.20s is not supported", digest);
  const char *hex = colon + 1;
  size_t n = strlen(hex);
  if (n != wh_digest_alg_hex_len((enum wh_digest_alg) a))
    return wh_error_set(err, WH_ERR_INVALID, "digest %.80s has the wrong length", digest);
  for (size_t i = 0; i < n; i++)
    if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
      return wh_error_set(err, WH_ERR_INVALID, "digest %.80s is not lowercase hex", digest);
  snprintf(dir, 16, "%s/%c%c", wh_digest_alg_name((enum wh_digest_alg) a), hex[0], hex[1]);
  memcpy(file, hex, n + 1);
  if (alg)
    *alg = (enum wh_digest_alg) a;
  return 0;
}

static int fs_stat(struct blob_store *bs, const char *digest, uint64_t *size,
                   struct wh_error **err)
{
  struct fs_store *s = (struct fs_store *) bs;
  char dir[16], file[WH_DIGEST_MAX_HEX + 1], path[16 + WH_DIGEST_MAX_HEX + 2];
  if (blob_path(digest, dir, file, NULL, err) < 0)
    return -1;
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  struct stat st;
  if (fstatat(s->blobs_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return wh_error_errno(err, "blob %s", digest);
  if (!S_ISREG(st.st_mode))
    return wh_error_set(err, WH_ERR_INTERNAL, "blob %s is not a regular file", digest);
  *size = (uint64_t) st.st_size;
  return 0;
}

static int fs_open(struct blob_store *bs, const char *digest, int *fd_out,
                   uint64_t *size, struct wh_error **err)
{
  struct fs_store *s = (struct fs_store *) bs;
  char dir[16], file[WH_DIGEST_MAX_HEX + 1], path[16 + WH_DIGEST_MAX_HEX + 2];
  if (blob_path(digest, dir, file, NULL, err) < 0)
    return -1;
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  _cleanup_close_ int fd = openat(s->blobs_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return wh_error_errno(err, "blob %s", digest);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return wh_error_errno(err, "blob %s", digest);
  *size = (uint64_t) st.st_size;
  *fd_out = steal_fd(&fd);
  return 0;
}

static struct cache_slot *cache_slot(struct fs_store *s, const char *digest)
{
  /* The hex of a digest is already uniformly distributed. */
  const char *hex = strchr(digest, ':');
  unsigned h = 0;
  for (int i = 1; i <= 4 && hex && hex[i]; i++)
    h = h * 16 + (unsigned) (hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10);
  return &s->cache[h % CACHE_SLOTS];
}

static int fs_read_small(struct blob_store *bs, const char *digest, size_t max,
                         char **data_out, size_t *len_out, struct wh_error **err)
{
  struct fs_store *s = (struct fs_store *) bs;
  struct cache_slot *slot = cache_slot(s, digest);
  pthread_mutex_lock(&s->cache_lock);
  if (slot->data && strcmp(slot->digest, digest) == 0 && slot->len <= max) {
    char *copy = malloc(slot->len + 1);
    if (copy) {
      memcpy(copy, slot->data, slot->len);
      *data_out = copy;
      *len_out = slot->len;
    }
    pthread_mutex_unlock(&s->cache_lock);
    return copy ? 0 : wh_error_errno(err, "blob %s", digest);
  }
  pthread_mutex_unlock(&s->cache_lock);

  int fd;
  uint64_t size;
  if (fs_open(bs, digest, &fd, &size, err) < 0)
    return -1;
  _cleanup_close_ int owned = fd;
  if (size > max)
    return wh_error_set(err, WH_ERR_TOO_LARGE, "blob %s is larger than %zu bytes", digest, max);
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (wh_read_fd(owned, max, &data, &len, err) < 0)
    return wh_error_wrap(err, "blob %s", digest);
  if (len <= CACHE_MAX && strlen(digest) < sizeof(slot->digest)) {
    char *keep = malloc(len + 1);
    if (keep) {
      memcpy(keep, data, len);
      pthread_mutex_lock(&s->cache_lock);
      free(slot->data);
      snprintf(slot->digest, sizeof(slot->digest), "%s", digest);
      slot->data = keep;
      slot->len = len;
      pthread_mutex_unlock(&s->cache_lock);
    }
  }
  *data_out = steal_pointer(&data);
  *len_out = len;
  return 0;
}

/* Under s->lock. */
static struct fs_upload *find_upload(struct fs_store *s, const char *id,
                                     struct fs_upload ***link_out)
{
  struct fs_upload **link = &s->uploads;
  for (; *link; link = &(*link)->next) {
    if (strcmp((*link)->id, id) == 0) {
      if (link_out)
        *link_out = link;
      return *link;
    }
  }
  return NULL;
}

static void upload_entry_free(struct fs_upload *u)
{
  if (!u)
    return;
  wh_hasher_free(u->h);
  free(u->id);
  free(u);
}

/* Drop the in-memory state of an upload (under s->lock). */
static void forget_upload(struct fs_store *s, const char *id)
{
  struct fs_upload **link;
  struct fs_upload *u = find_upload(s, id, &link);
  if (u) {
    *link = u->next;
    upload_entry_free(u);
  }
}

static int fs_upload_create(struct blob_store *bs, const char *id,
                            struct wh_error **err)
{
  struct fs_store *s = (struct fs_store *) bs;
  if (!id_ok(id))
    return wh_error_set(err, WH_ERR_INVALID, "upload id is malformed");
  struct fs_upload *u = calloc(1, sizeof(*u));
  if (!u || !(u->id = strdup(id))) {
    free(u);
    return wh_error_errno(err, "upload %s", id);
  }
  u->h = wh_hasher_new(WH_SHA256, err);
  if (!u->h) {
    upload_entry_free(u);
    return -1;
  }
  int fd = openat(s->uploads_fd, id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    upload_entry_free(u);
    return wh_error_errno(err, "create upload %s", id);
  }
  close(fd);
  pthread_mutex_lock(&s->lock);
  u->next = s->uploads;
  s->uploads = u;
  pthread_mutex_unlock(&s->lock);
  return 0;
}

static int fs_upload_open(struct blob_store *bs, const char *id,
                          struct blob_writer **w_out, uint64_t *size,
                          struct wh_error **err)
{
  struct fs_store *s = (struct fs_store *) bs;
  if (!id_ok(id))
    return wh_error_set(err, WH_ERR_NOT_FOUND, "no such upload");
  _cleanup_close_ int fd = openat(s->uploads_fd, id, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return wh_error_errno(err, "upload %s", id);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return wh_error_errno(err, "upload %s", id);

  struct fs_writer *w = calloc(1, sizeof(*w));
  if (!w)
    return wh_error_errno(err, "upload %s", id);
  pthread_mutex_lock(&s->lock);
  struct fs_upload *u = find_upload(s, id, NULL);
  if (u && u->busy) {
    pthread_mutex_unlock(&s->lock);
    free(w);
    return wh_error_set(err, WH_ERR_BUSY, "upload %s is being written by another request", id);
  }
  if (!u) {
    /* Known on disk but not in memory (the process restarted): the hash
     * is recomputed from the file at commit. */
    u = calloc(1, sizeof(*u));
    if (u && !(u->id = strdup(id))) {
      free(u);
      u = NULL;
    }
    if (!u) {
      pthread_mutex_unlock(&s->lock);
      free(w);
      return wh_error_errno(err, "upload %s", id);
    }
    u->next = s->uploads;
    s->uploads = u;
  }
  u->busy = true;
  pthread_mutex_unlock(&s->lock);

  w->base.ops = &fs_ops;
  w->s = s;
  w->u = u;
  w->fd = steal_fd(&fd);
  w->size = w->on_disk = w->writeback = (uint64_t) st.st_size;
  w->hash_ok = u->h && u->hashed == w->size;
  *size = w->size;
  *w_out = &w->base;
  return 0;
}

/* After a failed write the file holds some prefix of the data: the
 * running hash no longer describes it (commit re-reads the file). */
static void write_failed(struct fs_writer *w)
{
  w->hash_ok = false;
  w->buf_len = 0;
  struct stat st;
  if (fstat(w->fd, &st) == 0)
    w->size = w->on_disk = (uint64_t) st.st_size;
}

/* Hash and write what is buffered, on this thread or through the pipe,
 * and wait until it is in the file. */
static int flush(struct fs_writer *w, struct wh_error **err)
{
  if (w->pipe) {
    uint64_t written;
    int r = 0;
    if (w->buf_len > 0)
      r = blob_pipe_submit(w->pipe, w->buf_len, err);
    w->buf_len = 0;
    int f = blob_pipe_finish(w->pipe, &written, r < 0 ? NULL : err);
    w->pipe = NULL;
    w->on_disk += written;
    if (r < 0 || f < 0) {
      write_failed(w);
      return wh_error_wrap(err, "upload");
    }
    return 0;
  }
  if (w->buf_len == 0)
    return 0;
  if (w->hash_ok)
    wh_hasher_update(w->u->h, w->buf, w->buf_len);
  if (wh_write_all(w->fd, w->buf, w->buf_len, err) < 0) {
    write_failed(w);
    return wh_error_wrap(err, "write upload");
  }
  w->on_disk += w->buf_len;
  w->buf_len = 0;
  if (w->on_disk - w->writeback >= WRITEBACK_STEP) {
    /* Only a hint: errors show up at fsync. */
    sync_file_range(w->fd, (off_t) w->writeback, (off_t) (w->on_disk - w->writeback),
                    SYNC_FILE_RANGE_WRITE);
    w->writeback = w->on_disk;
  }
  return 0;
}

/* The buffer being filled is full: hand it on. */
static int buffer_full(struct fs_writer *w, struct wh_error **err)
{
  if (w->pipe) {
    w->buf_len = 0;
    if (blob_pipe_submit(w->pipe, WRITE_BUF, err) < 0) {
      uint64_t written;
      blob_pipe_finish(w->pipe, &written, NULL);
      w->pipe = NULL;
      w->on_disk += written;
      write_failed(w);
      return -1;
    }
    return 0;
  }
  /* A large upload: from here on the pipe hashes and writes. If its
   * thread cannot start, this thread does the work. */
  w->pipe = blob_pipe_start(w->fd, w->hash_ok ? w->u->h : NULL, w->buf, w->buf_len,
                            WRITE_BUF, NULL);
  if (!w->pipe)
    return flush(w, err);
  w->buf = NULL;
  w->buf_len = 0;
  return 0;
}

static int fs_write(struct blob_writer *bw, const void *data, size_t len,
                    struct wh_error **err)
{
  struct fs_writer *w = (struct fs_writer *) bw;
  if (!w->pipe && !w->buf && !(w->buf = malloc(WRITE_BUF)))
    return wh_error_errno(err, "write upload");
  w->size += len;
  const char *p = data;
  while (len > 0) {
    char *b = w->pipe ? blob_pipe_buffer(w->pipe) : w->buf;
    size_t n = WRITE_BUF - w->buf_len;
    if (n > len)
      n = len;
    memcpy(b + w->buf_len, p, n);
    w->buf_len += n;
    p += n;
    len -= n;
    if (w->buf_len == WRITE_BUF && buffer_full(w, err) < 0)
      return -1;
  }
  return 0;
}

static uint64_t fs_writer_size(const struct blob_writer *bw)
{
  return ((const struct fs_writer *) bw)->size;
}

static void writer_free(struct fs_writer *w)
{
  if (w->pipe) {
    uint64_t written;
    blob_pipe_finish(w->pipe, &written, NULL);
  }
  if (w->fd >= 0)
    close(w->fd);
  free(w->buf);
  free(w);
}

static void fs_writer_release(struct blob_writer *bw)
{
  struct fs_writer *w = (struct fs_writer *) bw;
  struct fs_store *s = w->s;
  /* A failed flush leaves the hash invalid; the next commit re-reads. */
  flush(w, NULL);
  pthread_mutex_lock(&s->lock);
  if (w->hash_ok) {
    w->u->hashed = w->size;
  } else {
    wh_hasher_free(w->u->h);
    w->u->h = NULL;
    w->u->hashed = 0;
  }
  w->u->busy = false;
  pthread_mutex_unlock(&s->lock);
  writer_free(w);
}

static int remove_upload(struct fs_store *s, const char *id, struct wh_error **err)
{
  pthread_mutex_lock(&s->lock);
  forget_upload(s, id);
  pthread_mutex_unlock(&s->lock);
  if (unlinkat(s->uploads_fd, id, 0) < 0 && errno != ENOENT)
    return wh_error_errno(err, "remove upload %s", id);
  return 0;
}

/* mkdir -p "<alg>/<xx>" under blobs/; returns an fd of the leaf. */
static int open_blob_dir(struct fs_store *s, const char *dir, struct wh_error **err)
{
  int fd = openat(s->blobs_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0)
    return fd;
  if (wh_mkdir_p_at(s->blobs_fd, dir, 0755, err) < 0)
    return -1;
  if (s->sync_full) {
    /* New directories must be durable before a name inside them is. */
    _cleanup_close_ int alg_fd = -1;
    char alg[16];
    snprintf(alg, sizeof(alg), "%.*s", (int) (strchr(dir, '/') - dir), dir);
    alg_fd = openat(s->blobs_fd, alg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (alg_fd < 0 || wh_fsync_dir(alg_fd, err) < 0 || wh_fsync_dir(s->blobs_fd, err) < 0)
      return alg_fd < 0 ? wh_error_errno(err, "blob directory %s", alg) : -1;
  }
  fd = openat(s->blobs_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return wh_error_errno(err, "blob directory %s", dir);
  return fd;
}

static int fs_commit(struct blob_writer *bw, const char *digest, uint64_t *size,
                     struct wh_error **err)
{
  struct fs_writer *w = (struct fs_writer *) bw;
  struct fs_store *s = w->s;
  _cleanup_free_ char *id = strdup(w->u->id);
  if (!id) {
    fs_writer_release(bw);
    return wh_error_errno(err, "commit upload");
  }
  char dir[16], file[WH_DIGEST_MAX_HEX + 1];
  enum wh_digest_alg alg;
  if (blob_path(digest, dir, file, &alg, err) < 0 || flush(w, err) < 0) {
    fs_writer_release(bw);
    return -1;
  }
  char got[WH_DIGEST_STR_MAX];
  if (alg == WH_SHA256 && w->hash_ok) {
    wh_hasher_final(w->u->h, got);
  } else {
    _cleanup_close_ int rfd = openat(s->uploads_fd, id, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (rfd < 0 || wh_digest_fd(alg, rfd, got, NULL, err) < 0) {
      if (rfd < 0)
        wh_error_errno(err, "read upload %s", id);
      fs_writer_release(bw);
      return -1;
    }
  }
  uint64_t n = w->size;
  if (strcmp(got, digest) != 0) {
    writer_free(w);
    remove_upload(s, id, NULL);
    return wh_error_set(err, WH_ERR_DIGEST,
                        "the uploaded content (%llu bytes) has digest %s, not %s",
                        (unsigned long long) n, got, digest);
  }
  /* The bytes are on disk before the name is visible. */
  if (fsync(w->fd) < 0) {
    int e = errno;
    writer_free(w);
    remove_upload(s, id, NULL);
    return wh_error_errnum(err, e, "fsync upload");
  }
  writer_free(w);
  _cleanup_close_ int dfd = open_blob_dir(s, dir, err);
  if (dfd < 0) {
    remove_upload(s, id, NULL);
    return -1;
  }
  /* An existing blob of the same digest is complete (it was renamed
   * only after its fsync): keep it and drop the upload. */
  struct stat st;
  if (fstatat(dfd, file, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
    *size = n;
    return remove_upload(s, id, err);
  }
  if (renameat(s->uploads_fd, id, dfd, file) < 0) {
    int e = errno;
    remove_upload(s, id, NULL);
    return wh_error_errnum(err, e, "rename upload into place as %s", digest);
  }
  pthread_mutex_lock(&s->lock);
  forget_upload(s, id);
  pthread_mutex_unlock(&s->lock);
  if (s->sync_full && (wh_fsync_dir(dfd, err) < 0 || wh_fsync_dir(s->uploads_fd, err) < 0))
    return -1;
  *size = n;
  return 0;
}

static int fs_upload_size(struct blob_store *bs, const char *id, uint64_t *size,
                          struct wh_error **err)
{
  struct fs_store *s = (struct fs_store *) bs;
  if (!id_ok(id))
    return wh_error_set(err, WH_ERR_NOT_FOUND, "no such upload");
  struct stat st;
  if (fstatat(s->uploads_fd, id, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return wh_error_errno(err, "upload %s", id);
  *size = (uint64_t) st.st_size;
  return 0;
}

static int fs_upload_delete(struct blob_store *bs, const char *id,
                            struct wh_error **err)
{
  struct fs_store *s = (struct fs_store *) bs;
  if (!id_ok(id))
    return wh_error_set(err, WH_ERR_NOT_FOUND, "no such upload");
  pthread_mutex_lock(&s->lock);
  struct fs_upload *u = find_upload(s, id, NULL);
  bool busy = u && u->busy;
  pthread_mutex_unlock(&s->lock);
  if (busy)
    return wh_error_set(err, WH_ERR_BUSY, "upload %s is being written", id);
  if (remove_upload(s, id, err) < 0)
    return -1;
  if (s->sync_full)
    return wh_fsync_dir(s->uploads_fd, err);
  return 0;
}

static int fs_upload_list(struct blob_store *bs, char ***ids_out,
                          struct wh_error **err)
{
  struct fs_store *s = (struct fs_store *) bs;
  int dfd = dup(s->uploads_fd);
  if (dfd < 0)
    return wh_error_errno(err, "list uploads");
  _cleanup_closedir_ DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return wh_error_errno(err, "list uploads");
  }
  rewinddir(d);
  size_t n = 0, cap = 8;
  _cleanup_strv_ char **ids = calloc(cap, sizeof(char *));
  if (!ids)
    return wh_error_errno(err, "list uploads");
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (n + 2 > cap) {
      char **nv = realloc(ids, cap * 2 * sizeof(char *));
      if (!nv)
        return wh_error_errno(err, "list uploads");
      ids = nv;
      cap *= 2;
    }
    if (!(ids[n] = strdup(de->d_name)))
      return wh_error_errno(err, "list uploads");
    ids[++n] = NULL;
  }
  *ids_out = steal_pointer(&ids);
  return 0;
}

/* Only after every writer is released (the server has stopped). */
static void fs_close(struct blob_store *bs)
{
  struct fs_store *s = (struct fs_store *) bs;
  while (s->uploads) {
    struct fs_upload *u = s->uploads;
    s->uploads = u->next;
    upload_entry_free(u);
  }
  for (size_t i = 0; i < CACHE_SLOTS; i++)
    free(s->cache[i].data);
  pthread_mutex_destroy(&s->cache_lock);
  pthread_mutex_destroy(&s->lock);
  close(s->blobs_fd);
  close(s->uploads_fd);
  free(s);
}

/* --- garbage collection ------------------------------------------------ */

static int fs_remove(struct blob_store *bs, const char *digest, uint64_t *size,
                     struct wh_error **err)
{
  struct fs_store *s = (struct fs_store *) bs;
  char dir[16], file[WH_DIGEST_MAX_HEX + 1], path[16 + WH_DIGEST_MAX_HEX + 2];
  if (blob_path(digest, dir, file, NULL, err) < 0)
    return -1;
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  struct stat st;
  if (fstatat(s->blobs_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return wh_error_errno(err, "blob %s", digest);
  if (unlinkat(s->blobs_fd, path, 0) < 0)
    return wh_error_errno(err, "remove blob %s", digest);
  *size = (uint64_t) st.st_size;
  /* Drop a cached copy: memory only (the bytes would still be right,
   * but a removed blob should not hold cache space). */
  struct cache_slot *slot = cache_slot(s, digest);
  pthread_mutex_lock(&s->cache_lock);
  if (slot->data && strcmp(slot->digest, digest) == 0) {
    free(slot->data);
    slot->data = NULL;
    slot->len = 0;
    slot->digest[0] = '\0';
  }
  pthread_mutex_unlock(&s->cache_lock);
  if (s->sync_full) {
    _cleanup_close_ int dfd = openat(s->blobs_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0)
      wh_fsync_dir(dfd, NULL);
  }
  return 0;
}

static bool hex_name(const char *s, size_t want)
{
  size_t n = strlen(s);
  if (n != want)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

/* blobs/<alg>/<xx>/<hex>: anything else in the tree is not ours to judge
 * and is skipped. */
static int fs_walk(struct blob_store *bs, int64_t before_ns,
                   int (*fn)(void *cls, const char *digest, uint64_t size), void *cls,
                   struct wh_error **err)
{
  struct fs_store *s = (struct fs_store *) bs;
  static const enum wh_digest_alg algs[] = { WH_SHA256, WH_SHA512 };
  for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
    const char *alg = wh_digest_alg_name(algs[a]);
    size_t hexlen = wh_digest_alg_hex_len(algs[a]);
    int afd = openat(s->blobs_fd, alg, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (afd < 0) {
      if (errno == ENOENT)
        continue;
      return wh_error_errno(err, "blob directory %s", alg);
    }
    _cleanup_closedir_ DIR *ad = fdopendir(afd);
    if (!ad) {
      close(afd);
      return wh_error_errno(err, "blob directory %s", alg);
    }
    struct dirent *de;
    while ((de = readdir(ad))) {
      if (!hex_name(de->d_name, 2))
        continue;
      int pfd = openat(afd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (pfd < 0)
        continue;
      _cleanup_closedir_ DIR *pd = fdopendir(pfd);
      if (!pd) {
        close(pfd);
        continue;
      }
      struct dirent *fe;
      while ((fe = readdir(pd))) {
        if (!hex_name(fe->d_name, hexlen) || strncmp(fe->d_name, de->d_name, 2) != 0)
          continue;
        struct stat st;
        if (fstatat(pfd, fe->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
          continue;
        int64_t mtime = (int64_t) st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
        if (mtime >= before_ns)
          continue;
        char digest[WH_DIGEST_STR_MAX];
        snprintf(digest, sizeof(digest), "%s:%.*s", alg, (int) hexlen, fe->d_name);
        if (fn(cls, digest, (uint64_t) st.st_size) < 0)
          return 0;
      }
    }
  }
  return 0;
}

static const struct blob_store_ops fs_ops = {
  .stat = fs_stat,
  .open = fs_open,
  .read_small = fs_read_small,
  .upload_create = fs_upload_create,
  .upload_open = fs_upload_open,
  .write = fs_write,
  .writer_size = fs_writer_size,
  .writer_release = fs_writer_release,
  .commit = fs_commit,
  .upload_size = fs_upload_size,
  .upload_delete = fs_upload_delete,
  .upload_list = fs_upload_list,
  .close = fs_close,
  .remove = fs_remove,
  .walk = fs_walk,
};

static int open_subdir(int dirfd, const char *name, struct wh_error **err)
{
  if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
    return wh_error_errno(err, "create %s", name);
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return wh_error_errno(err, "open %s", name);
  return fd;
}

struct blob_store *blob_store_fs_open(int dirfd, bool sync_full, struct wh_error **err)
{
  struct fs_store *s = calloc(1, sizeof(*s));
  if (!s) {
    wh_error_errno(err, "blob store");
    return NULL;
  }
  s->base.ops = &fs_ops;
  s->sync_full = sync_full;
  s->blobs_fd = open_subdir(dirfd, "blobs", err);
  s->uploads_fd = s->blobs_fd >= 0 ? open_subdir(dirfd, "uploads", err) : -1;
  if (s->uploads_fd < 0) {
    if (s->blobs_fd >= 0)
      close(s->blobs_fd);
    free(s);
    return NULL;
  }
  pthread_mutex_init(&s->lock, NULL);
  pthread_mutex_init(&s->cache_lock, NULL);
  return &s->base;
}
