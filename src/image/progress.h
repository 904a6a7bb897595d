/* image/progress.h: per-layer progress lines on a terminal, as docker
 * draws them: one line per layer (short digest, state, bytes, rate),
 * redrawn in place at most every 100 ms. Silent when disabled. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct image_progress_line {
  char id[13];       /* short digest */
  const char *state; /* "Waiting", "Downloading", "Already exists", … */
  uint64_t done, total;
  int64_t started_ns;
};

struct image_progress {
  FILE *out; /* NULL: disabled */
  struct image_progress_line *lines;
  size_t n;
  bool drawn;
  int64_t last_ns;
};

/* out NULL or not a terminal: everything below does nothing. */
int image_progress_init(struct image_progress *p, FILE *out, size_t n);
void image_progress_set(struct image_progress *p, size_t i, const char *digest, const char *state);
void image_progress_bytes(struct image_progress *p, size_t i, uint64_t done, uint64_t total);
/* Redraw when force or 100 ms passed. */
void image_progress_draw(struct image_progress *p, bool force);
void image_progress_free(struct image_progress *p);
