/* runtime_spec_resources.c: linux.resources (cgroup limits: memory, cpu,
 * pids, blockIO, hugepages, device rules, unified), also read alone for
 * `update --resources`. Part of the config.json reader (runtime_spec.c has
 * the getters). */
#include "oci/runtime_spec.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "oci/runtime_spec_internal.h"

/* ---- linux.resources ------------------------------------------------ */

int spec_parse_dev_numbers(json_t *o, const char *path, bool required,
                           int64_t *major, int64_t *minor, struct wh_error **err)
{
  struct oci_opt_i64 ma = { 0 }, mi = { 0 };
  if (spec_get_i64(o, "major", path, required, -1, UINT32_MAX, &ma, err) < 0 ||
      spec_get_i64(o, "minor", path, required, -1, UINT32_MAX, &mi, err) < 0)
    return -1;
  *major = ma.set ? ma.v : -1;
  *minor = mi.set ? mi.v : -1;
  return 0;
}

static int parse_throttle(json_t *blk, const char *key, const char *parent,
                          struct oci_throttle_device **out, size_t *n,
                          struct wh_error **err)
{
  json_t *a;
  if (spec_get_array(blk, key, parent, false, &a, err) < 0)
    return -1;
  if (!a)
    return 0;
  *out = calloc(json_array_size(a) + 1, sizeof(**out));
  if (!*out)
    return wh_error_errno(err, "%s", key);
  size_t i;
  json_t *e;
  json_array_foreach(a, i, e) {
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof(path), "%s.%s[%zu]", parent, key, i);
    if (!json_is_object(e))
      return spec_type_error(path, "an object", err);
    if (spec_parse_dev_numbers(e, path, true, &(*out)[i].major, &(*out)[i].minor, err) < 0 ||
        spec_get_u64(e, "rate", path, true, &(*out)[i].rate, err) < 0)
      return -1;
    *n = i + 1;
  }
  return 0;
}

int spec_parse_resources(json_t *r, const char *path,
                         struct oci_resources *res, struct wh_error **err)
{
  char sub[PATH_MAX_LEN];
  json_t *o;
  if (!json_is_object(r))
    return spec_type_error(path, "an object", err);

  snprintf(sub, sizeof(sub), "%s.memory", path);
  if (spec_get_object(r, "memory", path, false, &o, err) < 0)
    return -1;
  if (o) {
    if (spec_get_i64(o, "limit", sub, false, -1, INT64_MAX, &res->memory.limit, err) < 0 ||
        spec_get_i64(o, "reservation", sub, false, -1, INT64_MAX, &res->memory.reservation, err) < 0 ||
        spec_get_i64(o, "swap", sub, false, -1, INT64_MAX, &res->memory.swap, err) < 0 ||
        spec_get_i64(o, "kernel", sub, false, -1, INT64_MAX, &res->memory.kernel, err) < 0 ||
        spec_get_i64(o, "kernelTCP", sub, false, -1, INT64_MAX, &res->memory.kernel_tcp, err) < 0 ||
        spec_get_i64(o, "swappiness", sub, false, 0, 100, &res->memory.swappiness, err) < 0 ||
        spec_get_bool(o, "useHierarchy", sub, &res->memory.use_hierarchy, err) < 0)
      return -1;
    if (json_object_get(o, "disableOOMKiller")) {
      res->memory.has_disable_oom_killer = true;
      if (spec_get_bool(o, "disableOOMKiller", sub, &res->memory.disable_oom_killer, err) < 0)
        return -1;
    }
  }

  snprintf(sub, sizeof(sub), "%s.cpu", path);
  if (spec_get_object(r, "cpu", path, false, &o, err) < 0)
    return -1;
  if (o) {
    if (spec_get_i64(o, "shares", sub, false, 0, 262144, &res->cpu.shares, err) < 0 ||
        spec_get_i64(o, "quota", sub, false, -1, INT64_MAX, &res->cpu.quota, err) < 0 ||
        spec_get_i64(o, "period", sub, false, 0, 1000000, &res->cpu.period, err) < 0 ||
        spec_get_i64(o, "burst", sub, false, 0, INT64_MAX, &res->cpu.burst, err) < 0 ||
        spec_get_i64(o, "realtimeRuntime", sub, false, -1, INT64_MAX, &res->cpu.realtime_runtime, err) < 0 ||
        spec_get_i64(o, "realtimePeriod", sub, false, 0, INT64_MAX, &res->cpu.realtime_period, err) < 0 ||
        spec_get_i64(o, "idle", sub, false, 0, 1, &res->cpu.idle, err) < 0 ||
        spec_get_str(o, "cpus", sub, false, &res->cpu.cpus, err) < 0 ||
        spec_get_str(o, "mems", sub, false, &res->cpu.mems, err) < 0)
      return -1;
    if (res->cpu.period.set && res->cpu.period.v > 0 && res->cpu.period.v < 1000)
      return wh_error_set(err, WH_ERR_INVALID, "%s.period: below 1000 microseconds", sub);
  }

  snprintf(sub, sizeof(sub), "%s.pids", path);
  if (spec_get_object(r, "pids", path, false, &o, err) < 0)
    return -1;
  if (o && spec_get_i64(o, "limit", sub, true, INT64_MIN, INT64_MAX, &res->pids_limit, err) < 0)
    return -1;

  snprintf(sub, sizeof(sub), "%s.blockIO", path);
  if (spec_get_object(r, "blockIO", path, false, &o, err) < 0)
    return -1;
  if (o) {
    if (spec_get_i64(o, "weight", sub, false, 0, 10000, &res->blkio.weight, err) < 0 ||
        spec_get_i64(o, "leafWeight", sub, false, 0, 10000, &res->blkio.leaf_weight, err) < 0)
      return -1;
    json_t *a;
    if (spec_get_array(o, "weightDevice", sub, false, &a, err) < 0)
      return -1;
    if (a) {
      res->blkio.weight_devices = calloc(json_array_size(a) + 1,
                                         sizeof(*res->blkio.weight_devices));
      if (!res->blkio.weight_devices)
        return wh_error_errno(err, "%s", sub);
      size_t i;
      json_t *e;
      json_array_foreach(a, i, e) {
        char ep[PATH_MAX_LEN + 32];
        snprintf(ep, sizeof(ep), "%s.weightDevice[%zu]", sub, i);
        struct oci_weight_device *w = &res->blkio.weight_devices[i];
        if (!json_is_object(e))
          return spec_type_error(ep, "an object", err);
        if (spec_parse_dev_numbers(e, ep, true, &w->major, &w->minor, err) < 0 ||
            spec_get_i64(e, "weight", ep, false, 0, 10000, &w->weight, err) < 0 ||
            spec_get_i64(e, "leafWeight", ep, false, 0, 10000, &w->leaf_weight, err) < 0)
          return -1;
        res->blkio.n_weight_devices = i + 1;
      }
    }
    static const char *const tk[4] = {
      "throttleReadBpsDevice", "throttleWriteBpsDevice",
      "throttleReadIOPSDevice", "throttleWriteIOPSDevice"
    };
    for (int t = 0; t < 4; t++)
      if (parse_throttle(o, tk[t], sub, &res->blkio.throttle[t],
                         &res->blkio.n_throttle[t], err) < 0)
        return -1;
  }

  json_t *a;
  snprintf(sub, sizeof(sub), "%s.hugepageLimits", path);
  if (spec_get_array(r, "hugepageLimits", path, false, &a, err) < 0)
    return -1;
  if (a) {
    res->hugepages = calloc(json_array_size(a) + 1, sizeof(*res->hugepages));
    if (!res->hugepages)
      return wh_error_errno(err, "%s", sub);
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
      char ep[PATH_MAX_LEN + 16];
      snprintf(ep, sizeof(ep), "%s[%zu]", sub, i);
      if (!json_is_object(e))
        return spec_type_error(ep, "an object", err);
      struct oci_hugepage_limit *h = &res->hugepages[i];
      res->n_hugepages = i + 1;
      if (spec_get_str(e, "pageSize", ep, true, &h->page_size, err) < 0 ||
          spec_get_u64(e, "limit", ep, true, &h->limit, err) < 0)
        return -1;
      size_t k = strspn(h->page_size, "0123456789");
      if (k == 0 || k > 6 || (strcmp(h->page_size + k, "KB") != 0 &&
                              strcmp(h->page_size + k, "MB") != 0 &&
                              strcmp(h->page_size + k, "GB") != 0))
        return wh_error_set(err, WH_ERR_INVALID,
                            "%s.pageSize: %.32s is not a size like 2MB", ep, h->page_size);
    }
  }

  snprintf(sub, sizeof(sub), "%s.devices", path);
  if (spec_get_array(r, "devices", path, false, &a, err) < 0)
    return -1;
  if (a) {
    res->devices = calloc(json_array_size(a) + 1, sizeof(*res->devices));
    if (!res->devices)
      return wh_error_errno(err, "%s", sub);
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
      char ep[PATH_MAX_LEN + 16];
      snprintf(ep, sizeof(ep), "%s[%zu]", sub, i);
      if (!json_is_object(e))
        return spec_type_error(ep, "an object", err);
      struct oci_device_rule *d = &res->devices[i];
      res->n_devices = i + 1;
      _cleanup_free_ char *type = NULL, *access = NULL;
      if (spec_get_bool(e, "allow", ep, &d->allow, err) < 0 ||
          spec_get_str(e, "type", ep, false, &type, err) < 0 ||
          spec_get_str(e, "access", ep, false, &access, err) < 0 ||
          spec_parse_dev_numbers(e, ep, false, &d->major, &d->minor, err) < 0)
        return -1;
      if (!json_object_get(e, "allow"))
        return wh_error_set(err, WH_ERR_INVALID, "%s.allow: missing", ep);
      d->type = type ? type[0] : 'a';
      if (type && (strlen(type) != 1 || !strchr("acb", type[0])))
        return wh_error_set(err, WH_ERR_INVALID, "%s.type: %.16s is not a, c or b", ep, type);
      const char *acc = access ? access : "rwm";
      if (strlen(acc) > 3 || strspn(acc, "rwm") != strlen(acc))
        return wh_error_set(err, WH_ERR_INVALID, "%s.access: %.16s is not made of r, w, m",
                            ep, acc);
      strcpy(d->access, acc);
    }
  }

  snprintf(sub, sizeof(sub), "%s.unified", path);
  if (spec_get_object(r, "unified", path, false, &o, err) < 0)
    return -1;
  if (o) {
    res->unified = calloc(json_object_size(o) + 1, sizeof(*res->unified));
    if (!res->unified)
      return wh_error_errno(err, "%s", sub);
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
      char ep[PATH_MAX_LEN + 64];
      snprintf(ep, sizeof(ep), "%s.%.60s", sub, k);
      if (strchr(k, '/') || k[0] == '.' || !strchr(k, '.'))
        return wh_error_set(err, WH_ERR_INVALID, "%s: not a cgroup file name", ep);
      struct oci_kv *kv = &res->unified[res->n_unified];
      if (spec_str_dup(v, ep, &kv->value, err) < 0)
        return -1;
      res->n_unified++;
      kv->key = strdup(k);
      if (!kv->key)
        return wh_error_errno(err, "%s", ep);
    }
  }
  return 0;
}

void oci_resources_free(struct oci_resources *r)
{
  free(r->cpu.cpus);
  free(r->cpu.mems);
  free(r->blkio.weight_devices);
  for (int t = 0; t < 4; t++)
    free(r->blkio.throttle[t]);
  for (size_t i = 0; i < r->n_hugepages; i++)
    free(r->hugepages[i].page_size);
  free(r->hugepages);
  free(r->devices);
  for (size_t i = 0; i < r->n_unified; i++) {
    free(r->unified[i].key);
    free(r->unified[i].value);
  }
  free(r->unified);
  memset(r, 0, sizeof(*r));
}
