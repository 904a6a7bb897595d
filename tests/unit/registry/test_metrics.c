/* test_metrics.c: the counters and the text exposition (registry/metrics.c)
 * and the audit log's lines (registry/audit.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/audit.h"
#include "registry/http.h"
#include "registry/metrics.h"
#include "registry/registry.h"

static char *render(struct metrics *m)
{
  size_t len;
  char *t = metrics_render(m, NULL, &len);
  assert_non_null(t);
  assert_int_equal(strlen(t), len);
  return t;
}

static void test_requests_by_route_method_status(void **state)
{
  struct metrics *m = metrics_new();
  metrics_request(m, ROUTE_MANIFEST, "GET", 200, 0, 500, 150000);
  metrics_request(m, ROUTE_MANIFEST, "GET", 200, 0, 500, 150000);
  metrics_request(m, ROUTE_MANIFEST, "GET", 418, 0, 0, 2000000000);
  metrics_request(m, ROUTE_BLOB, "BREW", 200, 10, 0, 1);
  metrics_request(m, ROUTE_BLOB, "GET", 0, 0, 0, 1); /* cut off before a reply */
  char *t = render(m);
  assert_non_null(strstr(t, "wharf_registry_http_requests_total{route=\"manifest\",method=\"GET\","
                            "status=\"200\"} 2\n"));
  /* A status the registry does not send lands in its class. */
  assert_non_null(strstr(t, "{route=\"manifest\",method=\"GET\",status=\"4xx\"} 1\n"));
  assert_non_null(strstr(t, "{route=\"blob\",method=\"OTHER\",status=\"200\"} 1\n"));
  assert_non_null(strstr(t, "{route=\"blob\",method=\"GET\",status=\"none\"} 1\n"));
  /* 150 µs: above 0.0001, within 0.00025; 2 s within 2.5. Cumulative. */
  assert_non_null(strstr(t, "duration_seconds_bucket{route=\"manifest\",le=\"0.0001\"} 0\n"));
  assert_non_null(strstr(t, "duration_seconds_bucket{route=\"manifest\",le=\"0.00025\"} 2\n"));
  assert_non_null(strstr(t, "duration_seconds_bucket{route=\"manifest\",le=\"1\"} 2\n"));
  assert_non_null(strstr(t, "duration_seconds_bucket{route=\"manifest\",le=\"2.5\"} 3\n"));
  assert_non_null(strstr(t, "duration_seconds_bucket{route=\"manifest\",le=\"+Inf\"} 3\n"));
  assert_non_null(strstr(t, "duration_seconds_count{route=\"manifest\"} 3\n"));
  assert_non_null(strstr(t, "duration_seconds_sum{route=\"manifest\"} 2.000300000\n"));
  assert_non_null(strstr(t, "wharf_registry_http_response_bytes_total{route=\"manifest\"} 1000\n"));
  assert_non_null(strstr(t, "wharf_registry_http_request_bytes_total{route=\"blob\"} 10\n"));
  /* Routes without requests have no series. */
  assert_null(strstr(t, "route=\"catalog\""));
  free(t);
  metrics_free(m);
}

static void test_gauges_and_counters(void **state)
{
  struct metrics *m = metrics_new();
  metrics_upload_started(m);
  metrics_upload_started(m);
  metrics_upload_ended(m);
  metrics_gc_run(m, true, false, 1234, 2, 3, 5000000);
  metrics_gc_run(m, true, true, 999, 9, 9, 1);    /* a dry run frees nothing */
  metrics_gc_run(m, false, false, 0, 0, 0, 1);
  metrics_lifecycle_expired(m, 7);
  metrics_quota_denied(m);
  char *t = render(m);
  assert_non_null(strstr(t, "wharf_registry_uploads_in_progress 1\n"));
  assert_non_null(strstr(t, "wharf_registry_gc_runs_total{result=\"ok\",dry_run=\"false\"} 1\n"));
  assert_non_null(strstr(t, "wharf_registry_gc_runs_total{result=\"ok\",dry_run=\"true\"} 1\n"));
  assert_non_null(strstr(t, "wharf_registry_gc_runs_total{result=\"error\",dry_run=\"false\"} 1\n"));
  assert_non_null(strstr(t, "wharf_registry_gc_bytes_freed_total 1234\n"));
  assert_non_null(strstr(t, "wharf_registry_gc_manifests_deleted_total 2\n"));
  assert_non_null(strstr(t, "wharf_registry_gc_blobs_deleted_total 3\n"));
  assert_non_null(strstr(t, "wharf_registry_lifecycle_expired_images_total 7\n"));
  assert_non_null(strstr(t, "wharf_registry_quota_denied_total 1\n"));
  assert_non_null(strstr(t, "wharf_registry_build_info{version=\"" WHARF_VERSION "\"} 1\n"));
  /* Every family has HELP and TYPE. */
  assert_non_null(strstr(t, "# TYPE wharf_registry_uploads_in_progress gauge\n"));
  free(t);
  metrics_free(m);
  /* NULL metrics: every call is a no-op. */
  metrics_request(NULL, ROUTE_BLOB, "GET", 200, 0, 0, 0);
  metrics_gc_run(NULL, true, false, 1, 1, 1, 1);
  metrics_lifecycle_expired(NULL, 1);
}

static void test_audit_lines(void **state)
{
  char dir[] = "/tmp/wh-audit-XXXXXX";
  assert_non_null(mkdtemp(dir));
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  assert_true(dfd >= 0);
  struct registry reg = { .data_fd = dfd };
  reg.audit = audit_open(dfd, "audit.log", NULL);
  assert_non_null(reg.audit);
  audit_log(&reg, "auth_failure", "alice", NULL, "reason", "bad \"signature\"\n",
            "remote", NULL, NULL);
  audit_log_counts(&reg, "gc", NULL, NULL, "files", (int64_t) 3, NULL);
  assert_int_equal(audit_lines_written(reg.audit), 2);
  audit_close(reg.audit);
  reg.audit = NULL;
  audit_log(&reg, "ignored", NULL, NULL, NULL); /* no log: no-op */

  char path[64];
  snprintf(path, sizeof(path), "%s/audit.log", dir);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[1024];
  assert_non_null(fgets(line, sizeof(line), f));
  json_error_t je;
  json_t *o = json_loads(line, 0, &je);
  assert_non_null(o);
  assert_string_equal(json_string_value(json_object_get(o, "event")), "auth_failure");
  assert_string_equal(json_string_value(json_object_get(o, "principal")), "alice");
  assert_true(json_is_null(json_object_get(o, "repository")));
  assert_string_equal(json_string_value(json_object_get(o, "reason")), "bad \"signature\"\n");
  assert_true(json_is_null(json_object_get(o, "remote")));
  json_decref(o);
  assert_non_null(fgets(line, sizeof(line), f));
  o = json_loads(line, 0, &je);
  assert_int_equal(json_integer_value(json_object_get(o, "files")), 3);
  json_decref(o);
  assert_null(fgets(line, sizeof(line), f));
  fclose(f);
  unlink(path);
  close(dfd);
  rmdir(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_requests_by_route_method_status),
    cmocka_unit_test(test_gauges_and_counters),
    cmocka_unit_test(test_audit_lines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
