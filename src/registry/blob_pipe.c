/* blob_pipe.c: the writer thread of large uploads (blob_pipe.h). */
#include "registry/blob_pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/error.h"
#include "base/file.h"

/* Ask the kernel to start writeback every this many bytes, so the fsync
 * at commit has little left to wait for. */
#define WRITEBACK_STEP (8 << 20)

struct blob_pipe {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int fd;
  struct wh_hasher *h;
  char *buf[2];
  size_t len[2];
  bool full[2];        /* submitted, not yet written */
  int filling;         /* the buffer the caller fills */
  bool stop;
  int errnum;          /* first write error */
  uint64_t written;
  uint64_t writeback;
};

static void *run(void *arg)
{
  struct blob_pipe *p = arg;
  int next = 0;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->full[next] && !p->stop)
      pthread_cond_wait(&p->cond, &p->lock);
    if (!p->full[next])
      break; /* stopped with nothing left */
    pthread_mutex_unlock(&p->lock);
    int e = 0;
    if (p->h)
      wh_hasher_update(p->h, p->buf[next], p->len[next]);
    if (wh_write_all(p->fd, p->buf[next], p->len[next], NULL) < 0)
      e = errno ? errno : EIO;
    pthread_mutex_lock(&p->lock);
    if (e && !p->errnum)
      p->errnum = e;
    if (!e)
      p->written += p->len[next];
    p->full[next] = false;
    if (p->written - p->writeback >= WRITEBACK_STEP) {
      sync_file_range(p->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
      p->writeback = p->written;
    }
    pthread_cond_broadcast(&p->cond);
    next ^= 1;
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

struct blob_pipe *blob_pipe_start(int fd, struct wh_hasher *h, char *first, size_t len,
                                  size_t bufsize, struct wh_error **err)
{
  struct blob_pipe *p = calloc(1, sizeof(*p));
  char *second = malloc(bufsize);
  if (!p || !second) {
    free(p);
    free(second);
    wh_error_errno(err, "upload writer");
    return NULL;
  }
  p->fd = fd;
  p->h = h;
  p->buf[0] = first;
  p->len[0] = len;
  p->full[0] = true;
  p->buf[1] = second;
  p->filling = 1;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->cond, NULL);
  int e = pthread_create(&p->thread, NULL, run, p);
  if (e != 0) {
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(second);
    free(p);
    wh_error_errnum(err, e, "upload writer thread");
    return NULL; /* `first` stays the caller's */
  }
  return p;
}

char *blob_pipe_buffer(struct blob_pipe *p)
{
  return p->buf[p->filling];
}

int blob_pipe_submit(struct blob_pipe *p, size_t len, struct wh_error **err)
{
  pthread_mutex_lock(&p->lock);
  int i = p->filling;
  p->len[i] = len;
  p->full[i] = true;
  pthread_cond_broadcast(&p->cond);
  /* The other buffer becomes ours once written. */
  while (p->full[i ^ 1])
    pthread_cond_wait(&p->cond, &p->lock);
  p->filling = i ^ 1;
  int e = p->errnum;
  pthread_mutex_unlock(&p->lock);
  if (e)
    return wh_error_errnum(err, e, "write upload");
  return 0;
}

int blob_pipe_finish(struct blob_pipe *p, uint64_t *written, struct wh_error **err)
{
  pthread_mutex_lock(&p->lock);
  p->stop = true;
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->lock);
  pthread_join(p->thread, NULL);
  int e = p->errnum;
  *written = p->written;
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->cond);
  free(p->buf[0]);
  free(p->buf[1]);
  free(p);
  if (e)
    return wh_error_errnum(err, e, "write upload");
  return 0;
}
