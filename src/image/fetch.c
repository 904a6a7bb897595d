/* image/fetch.c: parallel layer download + unpack (see fetch.h). */
#include "image/fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/timeutil.h"
#include "image/client.h"
#include "image/store.h"

#define QUEUE_HIGH (32u << 20) /* pause the transfer above this many queued bytes */
#define QUEUE_LOW (8u << 20)
#define MAX_TRIES 4
#define ERRBODY_MAX 4096

struct chunk {
  struct chunk *next;
  size_t len;
  char data[];
};

struct job {
  struct image_fetch_layer *l;
  size_t idx;
  CURLM *multi;
  CURL *easy;
  const char *repo;

  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct chunk *head, *tail;
  size_t queued;
  bool eof, src_error, consumer_done, consumer_failed, paused, want_unpause;

  /* main thread only */
  uint64_t received;
  int tries;
  int64_t retry_at;
  bool active, finished, status_checked, bad_status;
  struct wh_buf errbody;
  struct wh_error *xfer_err;

  /* consumer thread only */
  pthread_t thread;
  bool started;
  struct chunk *cur;
  struct wh_hasher *comp;
  int blobfd, dirfd;
  uint64_t fed;
  const struct image_unpack_limits *limits;
  struct wh_error *unpack_err;
};

static size_t on_write(char *buf, size_t size, size_t n, void *ud)
{
  struct job *j = ud;
  size_t len = size * n;
  if (!j->status_checked) {
    long code = 0;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
    j->status_checked = true;
    j->bad_status = code != (j->received ? 206 : 200);
  }
  if (j->bad_status) {
    if (j->errbody.len < ERRBODY_MAX)
      wh_buf_append(&j->errbody, buf, len < ERRBODY_MAX ? len : ERRBODY_MAX);
    return len;
  }
  if (j->received + len > (uint64_t) j->l->desc->size) {
    wh_error_set(&j->xfer_err, WH_ERR_DIGEST,
                 "the registry sent more than the %lld bytes the manifest gives",
                 (long long) j->l->desc->size);
    return 0;
  }
  pthread_mutex_lock(&j->mu);
  if (j->consumer_done) {
    pthread_mutex_unlock(&j->mu);
    return 0;
  }
  if (j->queued >= QUEUE_HIGH) {
    j->paused = true;
    pthread_mutex_unlock(&j->mu);
    return CURL_WRITEFUNC_PAUSE;
  }
  struct chunk *c = malloc(sizeof(*c) + len);
  if (!c) {
    pthread_mutex_unlock(&j->mu);
    return 0;
  }
  c->next = NULL;
  c->len = len;
  memcpy(c->data, buf, len);
  if (j->tail)
    j->tail->next = c;
  else
    j->head = c;
  j->tail = c;
  j->queued += len;
  j->received += len;
  pthread_cond_signal(&j->cv);
  pthread_mutex_unlock(&j->mu);
  return len;
}

/* The unpacker's source (consumer thread). */
static ssize_t job_read(void *ctx, const void **buf)
{
  struct job *j = ctx;
  free(j->cur);
  j->cur = NULL;
  pthread_mutex_lock(&j->mu);
  while (!j->head && !j->eof)
    pthread_cond_wait(&j->cv, &j->mu);
  if (!j->head) {
    bool bad = j->src_error;
    pthread_mutex_unlock(&j->mu);
    return bad ? -1 : 0;
  }
  struct chunk *c = j->head;
  j->head = c->next;
  if (!j->head)
    j->tail = NULL;
  j->queued -= c->len;
  bool wake = false;
  if (j->paused && j->queued < QUEUE_LOW) {
    j->paused = false;
    j->want_unpause = true;
    wake = true;
  }
  pthread_mutex_unlock(&j->mu);
  if (wake)
    curl_multi_wakeup(j->multi);
  j->cur = c;
  wh_hasher_update(j->comp, c->data, c->len);
  if (wh_write_all(j->blobfd, c->data, c->len, &j->unpack_err) < 0)
    return -1;
  j->fed += c->len;
  *buf = c->data;
  return (ssize_t) c->len;
}

static void *consumer(void *arg)
{
  struct job *j = arg;
  int rc = image_unpack(j->dirfd, job_read, j, j->limits, &j->l->res, &j->unpack_err);
  if (rc == 0) {
    const void *b;
    ssize_t n;
    while ((n = job_read(j, &b)) > 0)
      ;
    if (n < 0)
      rc = -1;
  }
  free(j->cur);
  j->cur = NULL;
  pthread_mutex_lock(&j->mu);
  j->consumer_done = true;
  j->consumer_failed = rc < 0;
  pthread_mutex_unlock(&j->mu);
  curl_multi_wakeup(j->multi);
  return NULL;
}

static void job_finish_source(struct job *j, bool error)
{
  pthread_mutex_lock(&j->mu);
  j->eof = true;
  j->src_error = error;
  pthread_cond_broadcast(&j->cv);
  pthread_mutex_unlock(&j->mu);
}

static int job_start_transfer(struct job *j, struct image_client *c, struct wh_error **err)
{
  curl_easy_reset(j->easy);
  if (image_client_setup_blob_get(c, j->easy, j->repo, j->l->desc->digest, err) < 0)
    return -1;
  curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
  curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
  curl_easy_setopt(j->easy, CURLOPT_BUFFERSIZE, 512L * 1024);
  if (j->received)
    curl_easy_setopt(j->easy, CURLOPT_RESUME_FROM_LARGE, (curl_off_t) j->received);
  j->status_checked = j->bad_status = false;
  wh_buf_clear(&j->errbody);
  if (curl_multi_add_handle(j->multi, j->easy) != CURLM_OK)
    return wh_error_set(err, WH_ERR_INTERNAL, "curl_multi_add_handle failed");
  j->active = true;
  j->tries++;
  return 0;
}

static bool retryable(CURLcode cc, long status)
{
  if (cc == CURLE_OK)
    return status >= 500 || status == 429 || status == 401;
  return cc == CURLE_COULDNT_CONNECT || cc == CURLE_OPERATION_TIMEDOUT ||
         cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR || cc == CURLE_GOT_NOTHING ||
         cc == CURLE_PARTIAL_FILE;
}

/* A transfer ended: complete, retry later, or fail. */
static void job_done(struct job *j, struct image_client *c, CURLcode cc)
{
  long status = 0;
  curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_multi_remove_handle(j->multi, j->easy);
  j->active = false;
  if (j->xfer_err) {
    j->finished = true;
    job_finish_source(j, true);
    return;
  }
  bool ok = cc == CURLE_OK && !j->bad_status;
  if (ok && j->received == (uint64_t) j->l->desc->size) {
    j->finished = true;
    job_finish_source(j, false);
    return;
  }
  if (ok) {
    /* the body ended short without a transport error */
    cc = CURLE_PARTIAL_FILE;
  }
  if (status == 200 && j->received) {
    /* asked for a range, got the whole blob: cannot resume */
    wh_error_set(&j->xfer_err, WH_ERR_IO, "the registry does not resume downloads (Range)");
  } else if (retryable(cc, j->bad_status ? status : 0) && j->tries < MAX_TRIES) {
    if (status == 401)
      image_client_token_expired(c, j->repo);
    j->retry_at = wh_now_mono_ns() + (250000000ll << (j->tries - 1));
    return;
  } else if (cc != CURLE_OK) {
    wh_error_set(&j->xfer_err, WH_ERR_IO, "download failed after %d tries: %s", j->tries,
                 curl_easy_strerror(cc));
  } else {
    wh_error_set(&j->xfer_err, status == 404 ? WH_ERR_NOT_FOUND : WH_ERR_IO,
                 "the registry answered %ld: %.200s", status,
                 j->errbody.data ? j->errbody.data : "");
  }
  j->finished = true;
  job_finish_source(j, true);
}

void image_fetch_layers_cleanup(struct image_store *s, struct image_fetch_layer *layers,
                                size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (layers[i].blob_tmp)
      image_store_tmp_remove(s, layers[i].blob_tmp);
    if (layers[i].dir_tmp)
      image_store_tmp_remove(s, layers[i].dir_tmp);
    free(layers[i].blob_tmp);
    free(layers[i].dir_tmp);
    layers[i].blob_tmp = layers[i].dir_tmp = NULL;
  }
}

static void job_free(struct job *j)
{
  while (j->head) {
    struct chunk *c = j->head;
    j->head = c->next;
    free(c);
  }
  if (j->easy)
    curl_easy_cleanup(j->easy);
  wh_hasher_free(j->comp);
  if (j->blobfd >= 0)
    close(j->blobfd);
  if (j->dirfd >= 0)
    close(j->dirfd);
  wh_buf_free(&j->errbody);
  wh_error_free(j->xfer_err);
  wh_error_free(j->unpack_err);
  pthread_mutex_destroy(&j->mu);
  pthread_cond_destroy(&j->cv);
}

/* Check one finished job; the first error wins. */
static int job_verify(struct job *j, struct wh_error **err)
{
  const struct image_descriptor *d = j->l->desc;
  if (j->xfer_err)
    return wh_error_set(err, j->xfer_err->kind, "layer %s: %s", d->digest, j->xfer_err->msg);
  if (j->consumer_failed && j->unpack_err)
    return wh_error_set(err, j->unpack_err->kind, "layer %s: %s", d->digest,
                        j->unpack_err->msg);
  if (j->consumer_failed)
    return wh_error_set(err, WH_ERR_IO, "layer %s: unpacking failed", d->digest);
  char got[WH_DIGEST_STR_MAX];
  wh_hasher_final(j->comp, got);
  if (j->fed != (uint64_t) d->size || strcmp(got, d->digest) != 0)
    return wh_error_set(err, WH_ERR_DIGEST,
                        "layer %s: digest mismatch: received %llu bytes with digest %s",
                        d->digest, (unsigned long long) j->fed, got);
  if (j->l->diff_id && strcmp(j->l->res.diff_id, j->l->diff_id) != 0)
    return wh_error_set(err, WH_ERR_DIGEST,
                        "layer %s: uncompressed digest %s does not match the config's %s",
                        d->digest, j->l->res.diff_id, j->l->diff_id);
  return 0;
}

static void abort_all(struct job *jobs, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (jobs[i].active) {
      curl_multi_remove_handle(jobs[i].multi, jobs[i].easy);
      jobs[i].active = false;
    }
    if (!jobs[i].finished) {
      jobs[i].finished = true;
      if (!jobs[i].xfer_err)
        wh_error_set(&jobs[i].xfer_err, WH_ERR_IO, "cancelled");
      job_finish_source(&jobs[i], true);
    }
  }
}

static int run_loop(struct job *jobs, size_t n, CURLM *m, struct image_client *c,
                    struct image_progress *prog, struct wh_error **err)
{
  for (;;) {
    int running = 0;
    if (curl_multi_perform(m, &running) != CURLM_OK)
      return wh_error_set(err, WH_ERR_INTERNAL, "curl_multi_perform failed");
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left))) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      struct job *j = NULL;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &j);
      job_done(j, c, msg->data.result);
    }
    bool all_done = true;
    int64_t now = wh_now_mono_ns();
    long timeout_ms = 100;
    for (size_t i = 0; i < n; i++) {
      struct job *j = &jobs[i];
      pthread_mutex_lock(&j->mu);
      bool unpause = j->want_unpause, cfail = j->consumer_failed, cdone = j->consumer_done;
      j->want_unpause = false;
      pthread_mutex_unlock(&j->mu);
      if (cfail) {
        abort_all(jobs, n);
        return 0; /* the job's error is reported by job_verify */
      }
      if (unpause && j->active)
        curl_easy_pause(j->easy, CURLPAUSE_CONT);
      if (!j->finished && !j->active && j->retry_at) {
        if (now >= j->retry_at) {
          j->retry_at = 0;
          if (job_start_transfer(j, c, &j->xfer_err) < 0) {
            j->finished = true;
            job_finish_source(j, true);
          }
        } else if ((j->retry_at - now) / 1000000 < timeout_ms) {
          timeout_ms = (long) ((j->retry_at - now) / 1000000) + 1;
        }
      }
      if (j->xfer_err && j->finished) {
        abort_all(jobs, n);
        return 0;
      }
      if (!cdone)
        all_done = false;
      image_progress_bytes(prog, j->l->progress_line, j->received, (uint64_t) j->l->desc->size);
      if (j->finished && !cdone)
        image_progress_set(prog, j->l->progress_line, NULL, "Extracting");
    }
    image_progress_draw(prog, false);
    if (all_done)
      return 0;
    curl_multi_poll(m, NULL, 0, (int) timeout_ms, NULL);
  }
}

int image_fetch_layers(struct image_store *s, struct image_client *c, const char *repo,
                       struct image_fetch_layer *layers, size_t n,
                       const struct image_unpack_limits *limits, struct image_progress *prog,
                       struct wh_error **err)
{
  if (n == 0)
    return 0;
  CURLM *m = curl_multi_init();
  struct job *jobs = calloc(n, sizeof(*jobs));
  if (!m || !jobs) {
    free(jobs);
    if (m)
      curl_multi_cleanup(m);
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  }
  int rc = 0;
  size_t made = 0;
  for (; made < n; made++) {
    struct job *j = &jobs[made];
    j->l = &layers[made];
    j->idx = made;
    j->multi = m;
    j->repo = repo;
    j->limits = limits;
    j->blobfd = j->dirfd = -1;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    j->easy = curl_easy_init();
    j->comp = wh_hasher_new(WH_SHA256, err);
    if (!j->easy || !j->comp) {
      made++;
      rc = wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
      break;
    }
    j->blobfd = image_store_tmp_file(s, "blob", &j->l->blob_tmp, err);
    j->dirfd = j->blobfd < 0 ? -1 : image_store_tmp_dir(s, "layer", &j->l->dir_tmp, err);
    if (j->dirfd < 0 || job_start_transfer(j, c, err) < 0) {
      made++;
      rc = -1;
      break;
    }
    image_progress_set(prog, j->l->progress_line, j->l->desc->digest, "Downloading");
    if (pthread_create(&j->thread, NULL, consumer, j) != 0) {
      made++;
      rc = wh_error_errno(err, "pthread_create");
      break;
    }
    j->started = true;
  }
  if (rc == 0)
    rc = run_loop(jobs, n, m, c, prog, err);
  if (rc < 0)
    abort_all(jobs, made);
  for (size_t i = 0; i < made; i++)
    if (jobs[i].started)
      pthread_join(jobs[i].thread, NULL);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    if (job_verify(&jobs[i], err) < 0)
      rc = -1;
    else
      image_progress_set(prog, layers[i].progress_line, NULL, "Pull complete");
  }
  /* a failure elsewhere usually shows as "cancelled": report the cause */
  if (rc < 0 && err && *err && strstr((*err)->msg, "cancelled")) {
    for (size_t i = 0; i < made; i++) {
      struct wh_error *e2 = NULL;
      if (job_verify(&jobs[i], &e2) < 0 && !strstr(e2->msg, "cancelled")) {
        wh_error_free(*err);
        *err = e2;
        break;
      }
      wh_error_free(e2);
    }
  }
  image_progress_draw(prog, true);
  for (size_t i = 0; i < made; i++)
    job_free(&jobs[i]);
  free(jobs);
  curl_multi_cleanup(m);
  if (rc < 0)
    image_fetch_layers_cleanup(s, layers, n);
  return rc;
}
