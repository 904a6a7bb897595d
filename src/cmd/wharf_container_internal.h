/* wharf_container_internal.h: what the files of the container command
 * line share (wharf_container.c: the table and small commands;
 * wharf_container_run.c: run/create flags; wharf_container_objects.c:
 * volume and network commands). */
#pragma once

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"

struct wh_error;

struct globals {
  struct engine_opts o;
};


struct flags {
  bool a, f, q, v, i, t, d, json, follow, ts, no_stream, privileged;
  bool t_is_time; /* stop: -t SECONDS; elsewhere -t is --tty */
  long n;
  int sig;
  const char *since, *until, *user, *workdir;
  json_t *env;
};


int open_engine(struct globals *g, struct engine **e, struct wh_error **err);
void print_json(json_t *j);
void print_strv(char **v);
/* A JSON array member of o, made when missing. */
json_t *arr_get(json_t *o, const char *key);
/* Parse flags with getopt_long into on(); the first non-flag is at optind. */
int simple_opts(int argc, char **argv, const char *shorts, const struct option *longs,
                int min_args, const char *usage, int (*on)(int, void *), void *ctx,
                struct wh_error **err);
int on_flag(int opt, void *p);
int opts_and_engine(struct globals *g, int argc, char **argv, const char *shorts,
                    const struct option *longs, int min_args, const char *usage,
                    struct flags *f, struct engine **e, struct wh_error **err);

int cmd_run(struct globals *g, int argc, char **argv, struct wh_error **err);
int cmd_create(struct globals *g, int argc, char **argv, struct wh_error **err);
int cmd_volume(struct globals *g, int argc, char **argv, struct wh_error **err);
int cmd_network(struct globals *g, int argc, char **argv, struct wh_error **err);
