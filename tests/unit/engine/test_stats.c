/* test_stats.c: `stats` figures from a cgroup v2 directory, through the
 * runtime's v2 backend and the engine's parsing of its stats object.
 * The host here is v1, so the v2 files are fixtures written to a temp
 * directory laid out as a unified hierarchy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "engine/internal.h"
#include "runtime/cgroup.h"

static void put(const char *dir, const char *name, const char *text)
{
  char p[1200];
  snprintf(p, sizeof(p), "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void rm_dir(const char *root, const char *dir, const char *const *names)
{
  char p[1200];
  for (const char *const *n = names; *n; n++) {
    snprintf(p, sizeof(p), "%s/%s", dir, *n);
    unlink(p);
  }
  rmdir(dir);
  rmdir(root);
}

static const char *const files[] = {"memory.current", "memory.max", "pids.current",
                                    "pids.max", "cpu.stat", NULL};

/* Stats of a v2 cgroup whose fixture files are given. */
static void v2_sample(const char *mem_max, struct stats_sample *s)
{
  char root[] = "/tmp/wh-stats-XXXXXX";
  assert_non_null(mkdtemp(root));
  char dir[512];
  snprintf(dir, sizeof(dir), "%s/ctr", root);
  assert_int_equal(mkdir(dir, 0755), 0);
  put(dir, "memory.current", "1843200\n");
  put(dir, "memory.max", mem_max);
  put(dir, "pids.current", "3\n");
  put(dir, "pids.max", "50\n");
  put(dir, "cpu.stat", "usage_usec 250000\nuser_usec 200000\nsystem_usec 50000\n"
                       "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n");
  struct rt_cgroup cg = {.ops = &rt_cgroup_v2_ops, .path = (char *) "/ctr", .v2_root = root};
  json_t *data = json_object();
  assert_int_equal(cg.ops->stats(&cg, data, NULL), 0);
  json_t *j = json_pack("{s:s,s:o}", "type", "stats", "data", data);
  stats_sample_parse(j, s);
  json_decref(j);
  rm_dir(root, dir, files);
}

static void test_v2_limited(void **state)
{
  (void) state;
  struct stats_sample s;
  v2_sample("67108864\n", &s);
  assert_int_equal(s.cpu_ns, 250000000);
  assert_int_equal(s.mem_usage, 1843200);
  assert_int_equal(s.mem_limit, 67108864);
  assert_int_equal(s.pids, 3);
}

static void test_v2_unlimited(void **state)
{
  (void) state;
  struct stats_sample s;
  v2_sample("max\n", &s);
  assert_int_equal(s.mem_limit, -1);
  assert_int_equal(s.mem_usage, 1843200);
}

static void test_v1_shaped(void **state)
{
  (void) state;
  /* What the v1 backend reports for an unlimited container. */
  json_t *j = json_loads("{\"type\":\"stats\",\"data\":{\"cpu\":{\"usage\":{\"total\":7}},"
                         "\"memory\":{\"usage\":{\"usage\":4096,\"max\":8192,"
                         "\"limit\":9223372036854771712,\"failcnt\":0}},"
                         "\"pids\":{\"current\":1,\"limit\":0}}}", 0, NULL);
  assert_non_null(j);
  struct stats_sample s;
  stats_sample_parse(j, &s);
  json_decref(j);
  assert_int_equal(s.cpu_ns, 7);
  assert_int_equal(s.mem_usage, 4096);
  assert_int_equal(s.mem_limit, -1);
  assert_int_equal(s.pids, 1);
}

static void test_missing_fields(void **state)
{
  (void) state;
  json_t *j = json_loads("{\"type\":\"stats\",\"data\":{\"memory\":\"x\"}}", 0, NULL);
  struct stats_sample s;
  stats_sample_parse(j, &s);
  json_decref(j);
  assert_int_equal(s.cpu_ns, -1);
  assert_int_equal(s.mem_usage, -1);
  assert_int_equal(s.pids, -1);
  stats_sample_parse(NULL, &s);
  assert_int_equal(s.cpu_ns, -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_v2_limited),
    cmocka_unit_test(test_v2_unlimited),
    cmocka_unit_test(test_v1_shaped),
    cmocka_unit_test(test_missing_fields),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
