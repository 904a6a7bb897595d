/* test_parse.c: run/create flag values into docker-shaped JSON (parse.c)
 * and the process docker's rules give (spec_process_args). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/json.h"
#include "engine/engine.h"
#include "engine/internal.h"

static void test_sizes_with_units(void **state)
{
  int64_t v;
  assert_int_equal(engine_parse_size("512m", &v, NULL), 0);
  assert_int_equal(v, 512LL << 20);
  assert_int_equal(engine_parse_size("1g", &v, NULL), 0);
  assert_int_equal(v, 1LL << 30);
  assert_int_equal(engine_parse_size("100k", &v, NULL), 0);
  assert_int_equal(v, 102400);
  assert_int_equal(engine_parse_size("1024", &v, NULL), 0);
  assert_int_equal(v, 1024);
  assert_int_equal(engine_parse_size("2MB", &v, NULL), 0);
  assert_int_equal(v, 2LL << 20);
  struct wh_error *err = NULL;
  assert_int_equal(engine_parse_size("12q", &v, &err), -1);
  assert_non_null(strstr(err->msg, "unknown unit"));
  wh_error_free(err);
  assert_int_equal(engine_parse_size("-1", &v, NULL), -1);
  assert_int_equal(engine_parse_size("", &v, NULL), -1);
  assert_int_equal(engine_parse_size("99999999999t", &v, NULL), -1);
}

static void test_publish_forms(void **state)
{
  _cleanup_json_ json_t *cfg = json_object(), *hc = json_object();
  assert_int_equal(engine_parse_publish("80", cfg, hc, NULL), 0);
  assert_int_equal(engine_parse_publish("8080:80", cfg, hc, NULL), 0);
  assert_int_equal(engine_parse_publish("127.0.0.1:9090:53/udp", cfg, hc, NULL), 0);
  json_t *pb = json_object_get(hc, "PortBindings");
  json_t *tcp = json_object_get(pb, "80/tcp");
  assert_int_equal(json_array_size(tcp), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(tcp, 0), "HostPort")), "");
  assert_string_equal(json_string_value(json_object_get(json_array_get(tcp, 1), "HostPort")), "8080");
  json_t *udp = json_array_get(json_object_get(pb, "53/udp"), 0);
  assert_string_equal(json_string_value(json_object_get(udp, "HostIp")), "127.0.0.1");
  assert_string_equal(json_string_value(json_object_get(udp, "HostPort")), "9090");
  assert_non_null(json_object_get(json_object_get(cfg, "ExposedPorts"), "53/udp"));
}

static void test_publish_rejects(void **state)
{
  static const char *const bad[] = {"0", "65536", "99999:80", "80/sctp", "a:b:c:d",
                                    "1.2.3:80:80", "x:80", "80:", ""};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    _cleanup_json_ json_t *cfg = json_object(), *hc = json_object();
    struct wh_error *err = NULL;
    assert_int_equal(engine_parse_publish(bad[i], cfg, hc, &err), -1);
    assert_non_null(err);
    assert_int_equal(err->kind, WH_ERR_INVALID);
    wh_error_free(err);
  }
}

static void test_volume_forms(void **state)
{
  _cleanup_json_ json_t *b = engine_parse_volume("/host:/ctr:ro", NULL);
  assert_string_equal(json_string_value(json_object_get(b, "Type")), "bind");
  assert_true(json_is_true(json_object_get(b, "ReadOnly")));
  _cleanup_json_ json_t *n = engine_parse_volume("data:/d", NULL);
  assert_string_equal(json_string_value(json_object_get(n, "Type")), "volume");
  assert_string_equal(json_string_value(json_object_get(n, "Source")), "data");
  _cleanup_json_ json_t *a = engine_parse_volume("/anon", NULL);
  assert_string_equal(json_string_value(json_object_get(a, "Source")), "");
  _cleanup_json_ json_t *named = engine_parse_volume("rel:/d", NULL);
  assert_string_equal(json_string_value(json_object_get(named, "Type")), "volume");
  struct wh_error *err = NULL;
  assert_null(engine_parse_volume("/h:relative", &err));
  assert_non_null(strstr(err->msg, "not absolute"));
  wh_error_free(err);
  assert_null(engine_parse_volume("/h:/c:rx", NULL));
  assert_null(engine_parse_volume("/h:/c:ro:x", NULL));
  assert_null(engine_parse_volume("bad/name:/c", NULL));
}

static void test_mount_and_tmpfs(void **state)
{
  _cleanup_json_ json_t *m = engine_parse_mount("type=tmpfs,target=/t,tmpfs-size=2m", NULL);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "TmpfsOptions"), "SizeBytes")),
                   2 << 20);
  _cleanup_json_ json_t *b = engine_parse_mount("type=bind,src=/x,dst=/y,readonly", NULL);
  assert_true(json_is_true(json_object_get(b, "ReadOnly")));
  assert_null(engine_parse_mount("type=bind,src=rel,target=/y", NULL));
  assert_null(engine_parse_mount("type=tmpfs,src=x,target=/y", NULL));
  assert_null(engine_parse_mount("target=/y,color=blue", NULL));
  assert_null(engine_parse_mount("type=volume", NULL));
  _cleanup_json_ json_t *t = engine_parse_tmpfs("/run:size=64k,noexec", NULL);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(t, "TmpfsOptions"), "SizeBytes")),
                   65536);
  assert_null(engine_parse_tmpfs("/run:bogus", NULL));
}

static void test_ulimit_restart_device_signal(void **state)
{
  _cleanup_json_ json_t *u = engine_parse_ulimit("nofile=1024:2048", NULL);
  assert_int_equal(json_integer_value(json_object_get(u, "Soft")), 1024);
  assert_int_equal(json_integer_value(json_object_get(u, "Hard")), 2048);
  assert_null(engine_parse_ulimit("nofile=10:5", NULL));
  assert_null(engine_parse_ulimit("bogus=1", NULL));
  assert_null(engine_parse_ulimit("nofile", NULL));
  _cleanup_json_ json_t *r = engine_parse_restart("on-failure:3", NULL);
  assert_string_equal(json_string_value(json_object_get(r, "Name")), "on-failure");
  assert_int_equal(json_integer_value(json_object_get(r, "MaximumRetryCount")), 3);
  assert_null(engine_parse_restart("on-failure:x", NULL));
  assert_null(engine_parse_restart("sometimes", NULL));
  _cleanup_json_ json_t *d = engine_parse_device("/dev/null:/dev/x:r", NULL);
  assert_string_equal(json_string_value(json_object_get(d, "PathInContainer")), "/dev/x");
  assert_string_equal(json_string_value(json_object_get(d, "CgroupPermissions")), "r");
  assert_null(engine_parse_device("null", NULL));
  assert_null(engine_parse_device("/dev/null:/dev/x:rwx", NULL));
  int sig;
  assert_int_equal(engine_parse_signal("SIGTERM", &sig, NULL), 0);
  assert_int_equal(sig, SIGTERM);
  assert_int_equal(engine_parse_signal("usr1", &sig, NULL), 0);
  assert_int_equal(sig, SIGUSR1);
  assert_int_equal(engine_parse_signal("9", &sig, NULL), 0);
  assert_int_equal(sig, 9);
  assert_int_equal(engine_parse_signal("SIGNOPE", &sig, NULL), -1);
  assert_int_equal(engine_parse_signal("0", &sig, NULL), -1);
  assert_int_equal(engine_parse_add_host("db:10.0.0.1", NULL), 0);
  assert_int_equal(engine_parse_add_host("db:nope", NULL), -1);
  assert_int_equal(engine_parse_add_host(":1.2.3.4", NULL), -1);
}

static char *joined(char **v)
{
  static char buf[256];
  buf[0] = 0;
  for (char **p = v; *p; p++) {
    strcat(buf, *p);
    if (p[1])
      strcat(buf, " ");
  }
  return buf;
}

/* docker's rules for Entrypoint and Cmd. */
static void test_process_args_rules(void **state)
{
  _cleanup_json_ json_t *img = json_pack("{s:[s],s:[s,s]}", "Entrypoint", "/ep", "Cmd", "a", "b");
  struct {
    const char *config;
    const char *want;
  } cases[] = {
    {"{}", "/ep a b"},
    {"{\"Cmd\":[\"x\"]}", "/ep x"},
    {"{\"Entrypoint\":[\"/other\"]}", "/other"},
    {"{\"Entrypoint\":[\"/other\"],\"Cmd\":[\"y\"]}", "/other y"},
    {"{\"Entrypoint\":[],\"Cmd\":[\"sh\"]}", "sh"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    _cleanup_json_ json_t *cfg = json_loads(cases[i].config, 0, NULL);
    _cleanup_strv_ char **argv = NULL;
    assert_int_equal(spec_process_args(cfg, img, &argv, NULL), 0);
    assert_string_equal(joined(argv), cases[i].want);
  }
  _cleanup_json_ json_t *empty = json_object(), *cfg = json_object();
  _cleanup_strv_ char **argv = NULL;
  struct wh_error *err = NULL;
  assert_int_equal(spec_process_args(cfg, empty, &argv, &err), -1);
  assert_non_null(strstr(err->msg, "no command"));
  wh_error_free(err);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sizes_with_units),
    cmocka_unit_test(test_publish_forms),
    cmocka_unit_test(test_publish_rejects),
    cmocka_unit_test(test_volume_forms),
    cmocka_unit_test(test_mount_and_tmpfs),
    cmocka_unit_test(test_ulimit_restart_device_signal),
    cmocka_unit_test(test_process_args_rules),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
