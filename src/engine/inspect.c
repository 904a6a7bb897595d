/* inspect.c: what `inspect`, `ps` and `port` show, in docker's shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "internal.h"

static void ts(int64_t ns, char out[WH_RFC3339_MAX])
{
  if (ns <= 0)
    strcpy(out, "0001-01-01T00:00:00Z");
  else
    wh_rfc3339(ns, 9, out);
}

/* The state as a user sees it: a running row whose monitor is gone is
 * not running (reconcile fixes the row at the next writer). */
static const char *status_of(const struct ctr *c)
{
  if ((!strcmp(c->state, "running") || !strcmp(c->state, "restarting")) &&
      !proc_alive(c->owner_pid, c->owner_start))
    return "exited";
  if (!strcmp(c->state, "creating"))
    return "created";
  return c->state;
}

static json_t *args_of(struct engine *e, const struct ctr *c)
{
  _cleanup_json_ json_t *img = ctr_image_config(e, c, NULL);
  _cleanup_strv_ char **argv = NULL;
  json_t *a = json_array();
  if (spec_process_args(c->config, img ? img : json_object(), &argv, NULL) == 0)
    for (char **p = argv; *p; p++)
      json_array_append_new(a, json_string(*p));
  return a;
}

json_t *engine_container_inspect(struct engine *e, const char *ref,
                                 struct wh_error **err)
{
  _cleanup_free_ char *id = NULL;
  _cleanup_ctr_ struct ctr c = {0};
  if (engine_container_resolve(e, ref, &id, err) < 0 || ctr_load(e, id, &c, err) < 0)
    return NULL;
  char created[WH_RFC3339_MAX], started[WH_RFC3339_MAX], finished[WH_RFC3339_MAX];
  ts(c.created_ns, created);
  ts(c.started_ns, started);
  ts(c.finished_ns, finished);
  const char *status = status_of(&c);
  bool running = !strcmp(status, "running");
  _cleanup_json_ json_t *args = args_of(e, &c);
  json_t *path = json_array_size(args) ? json_incref(json_array_get(args, 0)) : json_string("");
  json_t *rest = json_array();
  for (size_t i = 1; i < json_array_size(args); i++)
    json_array_append(rest, json_array_get(args, i));
  _cleanup_free_ char *dir = ctr_dir(e, c.id);
  _cleanup_free_ char *name = NULL, *logp = NULL, *upper = NULL, *work = NULL, *merged = NULL,
                      *hosts = NULL, *hostname = NULL, *resolv = NULL;
  if (asprintf(&name, "/%s", c.name) < 0 || asprintf(&logp, "%s/ctr.log", dir) < 0 ||
      asprintf(&upper, "%s/upper", dir) < 0 || asprintf(&work, "%s/work", dir) < 0 ||
      asprintf(&merged, "%s/rootfs", dir) < 0 || asprintf(&hosts, "%s/hosts", dir) < 0 ||
      asprintf(&hostname, "%s/hostname", dir) < 0 || asprintf(&resolv, "%s/resolv.conf", dir) < 0)
    return NULL;
  json_t *mounts = json_array();
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(c.host_config, "Mounts"), i, m)
    json_array_append_new(mounts, json_pack("{s:O,s:O,s:O,s:b}", "Type", json_object_get(m, "Type"),
        "Source", json_object_get(m, "Source"), "Destination", json_object_get(m, "Target"),
        "RW", !json_is_true(json_object_get(m, "ReadOnly"))));
  json_t *state = json_pack("{s:s,s:b,s:b,s:b,s:b,s:b,s:i,s:i,s:s,s:s,s:s}",
      "Status", status, "Running", running, "Paused", false, "Restarting", !strcmp(status, "restarting"),
      "OOMKilled", false, "Dead", false, "Pid", running ? c.pid : 0,
      "ExitCode", c.exit_code, "Error", c.error ? c.error : "",
      "StartedAt", started, "FinishedAt", finished);
  json_t *cfg = json_deep_copy(c.config);
  if (!json_object_get(cfg, "Hostname")) {
    char short_id[13];
    snprintf(short_id, sizeof(short_id), "%s", c.id);
    json_object_set_new(cfg, "Hostname", json_string(short_id));
  }
  return json_pack("{s:s,s:s,s:o,s:o,s:o,s:s,s:s,s:s,s:i,s:s,s:O,s:o,s:o,s:o,s:s,s:s,s:s,s:s,s:{s:{s:s,s:s,s:s,s:s},s:s}}",
      "Id", c.id, "Created", created, "Path", path, "Args", rest, "State", state,
      "Image", c.image_id ? c.image_id : "", "ImageName", c.image, "Name", name,
      "RestartCount", c.restart_count, "Driver", "overlay", "HostConfig", c.host_config,
      "Config", cfg, "Mounts", mounts, "NetworkSettings", net_inspect(e, &c),
      "LogPath", logp, "HostsPath", hosts, "HostnamePath", hostname, "ResolvConfPath", resolv,
      "GraphDriver", "Data", "LowerDir", c.rootfs_src ? c.rootfs_src : "", "UpperDir", upper,
      "WorkDir", work, "MergedDir", merged, "Name", "overlay");
}

static void human_ago(struct wh_buf *b, int64_t ns)
{
  int64_t s = (wh_now_real_ns() - ns) / 1000000000;
  if (s < 1)
    wh_buf_append_str(b, "Less than a second");
  else if (s < 60)
    wh_buf_printf(b, "%lld second%s", (long long) s, s == 1 ? "" : "s");
  else if (s < 3600)
    wh_buf_printf(b, "%lld minute%s", (long long) (s / 60), s / 60 == 1 ? "" : "s");
  else if (s < 86400)
    wh_buf_printf(b, "%lld hour%s", (long long) (s / 3600), s / 3600 == 1 ? "" : "s");
  else
    wh_buf_printf(b, "%lld days", (long long) (s / 86400));
}

json_t *engine_container_list(struct engine *e, bool all, struct wh_error **err)
{
  _cleanup_strv_ char **ids = NULL;
  if (ctr_ids(e, &ids, err) < 0)
    return NULL;
  json_t *out = json_array();
  for (char **id = ids; *id; id++) {
    _cleanup_ctr_ struct ctr c = {0};
    if (ctr_load(e, *id, &c, NULL) < 0)
      continue;
    const char *status = status_of(&c);
    if (!all && strcmp(status, "running"))
      continue;
    _cleanup_buf_ struct wh_buf st = WH_BUF_INIT;
    if (!strcmp(status, "running")) {
      wh_buf_append_str(&st, "Up ");
      human_ago(&st, c.started_ns);
    } else if (!strcmp(status, "exited")) {
      wh_buf_printf(&st, "Exited (%d) ", c.exit_code);
      human_ago(&st, c.finished_ns);
      wh_buf_append_str(&st, " ago");
    } else if (!strcmp(status, "restarting")) {
      wh_buf_printf(&st, "Restarting (%d) ", c.exit_code);
      human_ago(&st, c.finished_ns);
      wh_buf_append_str(&st, " ago");
    } else {
      wh_buf_append_str(&st, "Created");
    }
    _cleanup_json_ json_t *args = args_of(e, &c);
    _cleanup_buf_ struct wh_buf cmd = WH_BUF_INIT;
    size_t i;
    json_t *a;
    json_array_foreach(args, i, a)
      wh_buf_printf(&cmd, "%s%s", i ? " " : "", json_string_value(a));
    json_array_append_new(out, json_pack("{s:s,s:[s],s:s,s:s,s:I,s:s,s:s,s:o}",
        "Id", c.id, "Names", c.name, "Image", c.image ? c.image : "",
        "Command", cmd.data ? cmd.data : "", "Created", (json_int_t) (c.created_ns / 1000000000),
        "State", status, "Status", st.data ? st.data : "", "Ports", net_ports(e, &c)));
  }
  return out;
}

json_t *engine_container_ports(struct engine *e, const char *ref,
                               struct wh_error **err)
{
  _cleanup_free_ char *id = NULL;
  _cleanup_ctr_ struct ctr c = {0};
  if (engine_container_resolve(e, ref, &id, err) < 0 || ctr_load(e, id, &c, err) < 0)
    return NULL;
  return net_ports(e, &c);
}
