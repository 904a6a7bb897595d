/* image/progress.c: terminal progress lines (see progress.h). */
#include "image/progress.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/timeutil.h"

int image_progress_init(struct image_progress *p, FILE *out, size_t n)
{
  memset(p, 0, sizeof(*p));
  if (!out || !isatty(fileno(out)) || n == 0)
    return 0;
  p->lines = calloc(n, sizeof(*p->lines));
  if (!p->lines)
    return -1;
  p->out = out;
  p->n = n;
  return 0;
}

void image_progress_set(struct image_progress *p, size_t i, const char *digest, const char *state)
{
  if (!p->out || i >= p->n)
    return;
  struct image_progress_line *l = &p->lines[i];
  if (digest) {
    const char *h = strchr(digest, ':');
    snprintf(l->id, sizeof(l->id), "%s", h ? h + 1 : digest);
  }
  if (state && l->state != state && strcmp(state, "Downloading") == 0)
    l->started_ns = wh_now_mono_ns();
  l->state = state;
}

void image_progress_bytes(struct image_progress *p, size_t i, uint64_t done, uint64_t total)
{
  if (!p->out || i >= p->n)
    return;
  p->lines[i].done = done;
  p->lines[i].total = total;
}

static void human(char *buf, size_t len, double v)
{
  const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t k = 0;
  while (v >= 1024 && k + 1 < sizeof(u) / sizeof(u[0])) {
    v /= 1024;
    k++;
  }
  snprintf(buf, len, k ? "%.1f%s" : "%.0f%s", v, u[k]);
}

void image_progress_draw(struct image_progress *p, bool force)
{
  if (!p->out)
    return;
  int64_t now = wh_now_mono_ns();
  if (!force && now - p->last_ns < 100000000)
    return;
  p->last_ns = now;
  if (p->drawn)
    fprintf(p->out, "\033[%zuA", p->n);
  for (size_t i = 0; i < p->n; i++) {
    struct image_progress_line *l = &p->lines[i];
    char d[32] = "", t[32] = "", r[32] = "";
    if (l->total || l->done) {
      human(d, sizeof(d), (double) l->done);
      human(t, sizeof(t), (double) l->total);
      double secs = l->started_ns ? (double) (now - l->started_ns) / 1e9 : 0;
      if (secs > 0.05 && l->state && strcmp(l->state, "Downloading") == 0) {
        human(r, sizeof(r), (double) l->done / secs);
        strcat(r, "/s");
      }
    }
    fprintf(p->out, "\r\033[2K%s: %-16s", l->id, l->state ? l->state : "");
    if (l->total || l->done)
      fprintf(p->out, " %s/%s %s", d, t, r);
    fputc('\n', p->out);
  }
  fflush(p->out);
  p->drawn = true;
}

void image_progress_free(struct image_progress *p)
{
  free(p->lines);
  memset(p, 0, sizeof(*p));
}
