/* test_runtime_spec.c: the config.json parser (oci/runtime_spec.c): a full
 * config round-trips into the right fields, and each kind of bad input is
 * refused with a message that names the field. Also cgroupsPath as runc
 * resolves it (runtime/cgroup.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "oci/runtime_spec.h"
#include "runtime/cgroup.h"
#include "runtime/runtime.h"

static const char full[] =
  "{\"ociVersion\":\"1.1.0\","
  "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
  "\"hostname\":\"h1\",\"domainname\":\"d1\","
  "\"process\":{\"terminal\":false,\"cwd\":\"/tmp\",\"args\":[\"sh\",\"-c\",\"x\"],"
  "  \"env\":[\"A=1\"],\"user\":{\"uid\":1000,\"gid\":100,\"umask\":18,"
  "  \"additionalGids\":[5,6]},"
  "  \"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"],\"effective\":[\"CAP_KILL\"],"
  "  \"ambient\":[\"CAP_NET_RAW\"]},"
  "  \"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":100,\"hard\":200},"
  "   {\"type\":\"RLIMIT_CORE\",\"soft\":18446744073709551615,\"hard\":18446744073709551615}],"
  "  \"noNewPrivileges\":true,\"oomScoreAdj\":100},"
  "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
  "  {\"destination\":\"/data\",\"source\":\"/srv\",\"options\":[\"rbind\",\"ro\",\"nosuid\",\"rprivate\"]},"
  "  {\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"mode=755\",\"size=64k\"]}],"
  "\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\",\"args\":[\"true\"],\"timeout\":5}],"
  "  \"poststop\":[{\"path\":\"/bin/false\"}]},"
  "\"annotations\":{\"a\":\"b\"},"
  "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"},"
  "  {\"type\":\"mount\"},{\"type\":\"user\"}],"
  "  \"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}],"
  "  \"gidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}],"
  "  \"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,\"fileMode\":438}],"
  "  \"cgroupsPath\":\"/a/b\",\"rootfsPropagation\":\"rshared\","
  "  \"resources\":{\"memory\":{\"limit\":1048576,\"swap\":2097152},\"cpu\":{\"shares\":512,"
  "   \"quota\":50000,\"period\":100000,\"cpus\":\"0\"},\"pids\":{\"limit\":10},"
  "   \"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}],"
  "   \"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0}],"
  "   \"blockIO\":{\"weight\":500,\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1000}]},"
  "   \"unified\":{\"memory.high\":\"100000\"}},"
  "  \"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
  "   \"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
  "   \"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38,"
  "    \"args\":[{\"index\":1,\"value\":448,\"op\":\"SCMP_CMP_EQ\"}]}]},"
  "  \"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},"
  "  \"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],"
  "  \"timeOffsets\":{\"monotonic\":{\"secs\":10,\"nanosecs\":5}}}}";

static void test_full_config(void **state)
{
  (void) state;
  struct oci_spec s;
  struct wh_error *err = NULL;
  assert_int_equal(oci_spec_parse(full, strlen(full), &s, &err), 0);
  assert_null(err);
  assert_string_equal(s.root_path, "rootfs");
  assert_true(s.root_readonly);
  assert_string_equal(s.hostname, "h1");
  assert_string_equal(s.process.cwd, "/tmp");
  assert_string_equal(s.process.args[2], "x");
  assert_int_equal(s.process.uid, 1000);
  assert_int_equal(s.process.n_additional_gids, 2);
  assert_int_equal(s.process.umask, 18);
  assert_true(s.process.caps[OCI_CAP_BOUNDING] & (1u << 5));   /* CAP_KILL */
  assert_true(s.process.caps[OCI_CAP_BOUNDING] & (1u << 0));   /* CAP_CHOWN */
  assert_false(s.process.caps[OCI_CAP_EFFECTIVE] & (1u << 0));
  assert_true(s.process.caps[OCI_CAP_AMBIENT] & (1u << 13));   /* CAP_NET_RAW */
  assert_int_equal(s.process.n_rlimits, 2);
  assert_int_equal(s.process.rlimits[0].resource, RLIMIT_NOFILE);
  assert_int_equal(s.process.rlimits[0].hard, 200);
  assert_true(s.process.rlimits[1].soft == UINT64_MAX);
  assert_int_equal(s.process.oom_score_adj.v, 100);
  assert_int_equal(s.n_mounts, 3);
  assert_true(s.mounts[1].flags & MS_BIND);
  assert_true(s.mounts[1].flags & MS_REC);
  assert_true(s.mounts[1].flags & MS_RDONLY);
  assert_int_equal(s.mounts[1].propagation, MS_PRIVATE | MS_REC);
  assert_string_equal(s.mounts[2].data, "mode=755,size=64k");
  assert_int_equal(s.n_hooks[OCI_HOOK_PRESTART], 1);
  assert_int_equal(s.hooks[OCI_HOOK_PRESTART][0].timeout, 5);
  assert_int_equal(s.n_hooks[OCI_HOOK_POSTSTOP], 1);
  assert_true(s.ns[OCI_NS_PID].present);
  assert_string_equal(s.ns[OCI_NS_NETWORK].path, "/proc/1/ns/net");
  assert_false(s.ns[OCI_NS_UTS].present);
  assert_int_equal(s.uid_mappings[0].host_id, 1000);
  assert_int_equal(s.devices[0].major, 10);
  assert_int_equal(s.devices[0].mode, 0666);
  assert_int_equal(s.rootfs_propagation, MS_SHARED | MS_REC);
  assert_int_equal(s.resources.memory.limit.v, 1048576);
  assert_int_equal(s.resources.cpu.quota.v, 50000);
  assert_string_equal(s.resources.cpu.cpus, "0");
  assert_int_equal(s.resources.pids_limit.v, 10);
  assert_int_equal(s.resources.n_devices, 2);
  assert_false(s.resources.devices[0].allow);
  assert_int_equal(s.resources.devices[0].type, 'a');
  assert_string_equal(s.resources.devices[1].access, "rw");
  assert_string_equal(s.resources.hugepages[0].page_size, "2MB");
  assert_int_equal(s.resources.blkio.throttle[0][0].rate, 1000);
  assert_string_equal(s.resources.unified[0].key, "memory.high");
  assert_non_null(s.seccomp);
  assert_int_equal(s.seccomp->rules[0].errno_ret, 38);
  assert_int_equal(s.seccomp->rules[0].args[0].value, 448);
  assert_string_equal(s.sysctl[0].key, "net.ipv4.ip_forward");
  assert_string_equal(s.masked_paths[0], "/proc/kcore");
  assert_int_equal(s.time_monotonic.secs, 10);
  assert_string_equal(s.annotations_json, "{\"a\":\"b\"}");
  oci_spec_free(&s);
}

struct bad_case {
  const char *json;
  const char *msg;   /* must appear in the error */
};

#define BASE "\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"r\"}"
#define PROC(x) "\"process\":{\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}" x "}"

static void test_bad_configs(void **state)
{
  (void) state;
  static const struct bad_case cases[] = {
    { "not json", "config.json: line 1" },
    { "[]", "expected an object" },
    { "{\"root\":{\"path\":\"r\"}}", "ociVersion: missing" },
    { "{\"ociVersion\":\"2.0\"}", "ociVersion: 2.0 is not a 1.x version" },
    { "{" BASE ",\"ociVersion\":\"1.0\"}", "duplicate" },
    { "{" BASE "," PROC(",\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\",\"CAP_KILL\",\"CAP_FOO\"]}") "}",
      "process.capabilities.bounding[3]: unknown capability CAP_FOO" },
    { "{" BASE "," PROC(",\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]") "}",
      "process.rlimits[0].type: unknown rlimit RLIMIT_BOGUS" },
    { "{" BASE "," PROC(",\"args\":[\"a\",7]") "}", "process.args[1]: expected a string" },
    { "{" BASE ",\"process\":{\"cwd\":\"rel\",\"user\":{\"uid\":0,\"gid\":0}}}",
      "process.cwd: must be an absolute path" },
    { "{" BASE ",\"process\":{\"cwd\":\"/\"}}", "process.user: missing" },
    { "{" BASE "," PROC(",\"oomScoreAdj\":5000") "}", "process.oomScoreAdj: 5000 is out of range" },
    { "{" BASE ",\"mounts\":[{\"destination\":\"rel\",\"type\":\"tmpfs\"}]}",
      "mounts[0].destination: rel is not an absolute path" },
    { "{" BASE ",\"mounts\":[{\"destination\":\"/a\"}]}", "mounts[0]: no type and no bind" },
    { "{" BASE ",\"mounts\":[{\"destination\":\"/a\",\"options\":[\"bind\"]}]}",
      "mounts[0].source: missing for a bind mount" },
    { "{" BASE ",\"linux\":{\"namespaces\":[{\"type\":\"bogus\"}]}}",
      "linux.namespaces[0].type: unknown namespace bogus" },
    { "{" BASE ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
      "linux.namespaces[1].type: pid given twice" },
    { "{" BASE ",\"linux\":{\"namespaces\":[{\"type\":\"user\"}]}}",
      "a new user namespace needs uid and gid mappings" },
    { "{" BASE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOPE\"}}}",
      "linux.seccomp.defaultAction: unknown seccomp action SCMP_ACT_NOPE" },
    { "{" BASE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
      "[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":9,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
      "linux.seccomp.syscalls[0].args[0].index: 9 is out of range" },
    { "{" BASE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
      "[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_XX\"}]}]}}}",
      "linux.seccomp.syscalls[0].args[0].op: unknown operator SCMP_CMP_XX" },
    { "{" BASE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}}}",
      "listenerPath: required with SCMP_ACT_NOTIFY" },
    { "{" BASE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_Z80\"]}}}",
      "linux.seccomp.architectures[0]: unknown architecture SCMP_ARCH_Z80" },
    { "{" BASE ",\"linux\":{\"rootfsPropagation\":\"sideways\"}}",
      "linux.rootfsPropagation: unknown propagation sideways" },
    { "{" BASE ",\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1g\"}}}}",
      "linux.resources.memory.limit: expected an integer" },
    { "{" BASE ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}}}",
      "linux.resources.devices[0].access: rwx is not made of r, w, m" },
    { "{" BASE ",\"linux\":{\"resources\":{\"hugepageLimits\":[{\"pageSize\":\"2XB\",\"limit\":1}]}}}",
      "linux.resources.hugepageLimits[0].pageSize: 2XB is not a size" },
    { "{" BASE ",\"linux\":{\"resources\":{\"unified\":{\"../x\":\"1\"}}}}",
      "not a cgroup file name" },
    { "{" BASE ",\"linux\":{\"sysctl\":{\"../../etc/passwd\":\"1\"}}}", "not a sysctl name" },
    { "{" BASE ",\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"q\",\"major\":1,\"minor\":1}]}}",
      "linux.devices[0].type: q is not c, b, u or p" },
    { "{" BASE ",\"hooks\":{\"prestart\":[{\"path\":\"rel\"}]}}",
      "hooks.prestart[0].path: must be absolute" },
    { "{" BASE ",\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"timeout\":0}]}}",
      "hooks.poststop[0].timeout: 0 is out of range" },
    { "{" BASE ",\"hostname\":\"a\\u0000b\"}", "is not allowed" },
    { "{" BASE ",\"annotations\":{\"k\":1}}", "annotations.k: expected a string" },
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct oci_spec s;
    struct wh_error *err = NULL;
    int rc = oci_spec_parse(cases[i].json, strlen(cases[i].json), &s, &err);
    if (rc == 0 || !err || !strstr(err->msg, cases[i].msg)) {
      fprintf(stderr, "case %zu: rc=%d msg=%s (want %s)\n", i, rc, err ? err->msg : "(none)",
              cases[i].msg);
      fail();
    }
    wh_error_free(err);
  }
}

static void test_size_bound(void **state)
{
  (void) state;
  size_t n = OCI_SPEC_MAX_SIZE + 10;
  char *big = malloc(n);
  assert_non_null(big);
  memset(big, ' ', n);
  struct oci_spec s;
  struct wh_error *err = NULL;
  assert_int_equal(oci_spec_parse(big, n, &s, &err), -1);
  assert_int_equal(err->kind, WH_ERR_TOO_LARGE);
  wh_error_free(err);
  free(big);
}

static void test_mount_options(void **state)
{
  (void) state;
  char *opts[] = { "rw", "ro", "nosuid", "suid", "rro", "rrw", "rnoexec", "shared",
                   "uid=5", "defaults", NULL };
  struct oci_mount m = { .type = "tmpfs", .options = opts };
  struct wh_error *err = NULL;
  assert_int_equal(oci_mount_options(&m, "mounts[0]", &err), 0);
  /* last one wins: ro after rw, suid after nosuid */
  assert_true(m.flags & MS_RDONLY);
  assert_false(m.flags & MS_NOSUID);
  assert_true(m.clear_flags & MS_NOSUID);
  assert_int_equal(m.propagation, MS_SHARED);
  assert_string_equal(m.data, "uid=5");
  assert_int_equal(m.attr_clr & 1, 1);     /* rrw clears rro */
  assert_int_equal(m.attr_set & 1, 0);
  assert_true(m.attr_set & 8);             /* rnoexec */
  free(m.data);
  char *idm[] = { "idmap", NULL };
  struct oci_mount m2 = { .type = "bind", .options = idm };
  assert_int_equal(oci_mount_options(&m2, "mounts[1]", &err), -1);
  assert_non_null(strstr(err->msg, "mounts[1].options[0]: idmap mounts are not supported"));
  wh_error_free(err);
}

static void test_process_and_resources(void **state)
{
  (void) state;
  const char *p = "{\"cwd\":\"/\",\"args\":[\"ls\"],\"user\":{\"uid\":3,\"gid\":4}}";
  struct oci_process proc;
  struct wh_error *err = NULL;
  assert_int_equal(oci_process_parse(p, strlen(p), &proc, &err), 0);
  assert_int_equal(proc.uid, 3);
  assert_string_equal(proc.args[0], "ls");
  oci_process_free(&proc);

  const char *r = "{\"memory\":{\"limit\":-1},\"pids\":{\"limit\":5},\"cpu\":{\"period\":10}}";
  struct oci_resources res;
  assert_int_equal(oci_resources_parse(r, strlen(r), &res, &err), -1);
  assert_non_null(strstr(err->msg, "resources.cpu.period: below 1000"));
  wh_error_free(err);
  err = NULL;
  r = "{\"memory\":{\"limit\":-1},\"pids\":{\"limit\":5}}";
  assert_int_equal(oci_resources_parse(r, strlen(r), &res, &err), 0);
  assert_int_equal(res.memory.limit.v, -1);
  assert_int_equal(res.pids_limit.v, 5);
  oci_resources_free(&res);
}

static void test_cgroup_paths(void **state)
{
  (void) state;
  struct { const char *in; bool systemd; const char *own; const char *out; } ok[] = {
    { NULL, false, NULL, "/ctr" },
    { "", false, NULL, "/ctr" },
    { "/a/b", false, NULL, "/a/b" },
    { "/a/b/", false, NULL, "/a/b" },
    { "x/y", false, "/parent", "/parent/x/y" },
    { "x", false, "/", "/x" },
    { "system.slice:libpod:abc", true, NULL, "/system.slice/libpod-abc.scope" },
    { "a-b-c.slice:pre:name", true, NULL, "/a.slice/a-b.slice/a-b-c.slice/pre-name.scope" },
    { ":pre:name", true, NULL, "/system.slice/pre-name.scope" },
    { "-.slice:pre:name", true, NULL, "/pre-name.scope" },
    { "user.slice::sub.slice", true, NULL, "/user.slice/sub.slice" },
  };
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    struct wh_error *err = NULL;
    char *p = rt_cgroup_resolve(ok[i].in, "ctr", ok[i].systemd, ok[i].own, &err);
    if (!p || strcmp(p, ok[i].out) != 0) {
      fprintf(stderr, "case %zu: got %s (%s), want %s\n", i, p ? p : "NULL",
              err ? err->msg : "", ok[i].out);
      fail();
    }
    free(p);
  }
  struct { const char *in; bool systemd; const char *msg; } bad[] = {
    { "/a/../../b", false, "leaves the hierarchy" },
    { "/", false, "root cgroup" },
    { "nocolons", true, "is not slice:prefix:name" },
    { "bad:pre:n", true, "is not a systemd slice name" },
    { "a--b.slice:p:n", true, "is not a systemd slice name" },
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct wh_error *err = NULL;
    char *p = rt_cgroup_resolve(bad[i].in, "ctr", bad[i].systemd, NULL, &err);
    assert_null(p);
    if (!err || !strstr(err->msg, bad[i].msg)) {
      fprintf(stderr, "bad case %zu: %s\n", i, err ? err->msg : "(none)");
      fail();
    }
    wh_error_free(err);
  }
}

static void test_default_spec_parses(void **state)
{
  (void) state;
  for (int rootless = 0; rootless < 2; rootless++) {
    struct wh_error *err = NULL;
    char *s = runtime_default_spec(rootless, &err);
    assert_non_null(s);
    struct oci_spec spec;
    assert_int_equal(oci_spec_parse(s, strlen(s), &spec, &err), 0);
    assert_true(spec.ns[OCI_NS_MOUNT].present);
    assert_int_equal(spec.ns[OCI_NS_USER].present, rootless);
    assert_true(spec.process.no_new_privileges);
    oci_spec_free(&spec);
    free(s);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_full_config),
    cmocka_unit_test(test_bad_configs),
    cmocka_unit_test(test_size_bound),
    cmocka_unit_test(test_mount_options),
    cmocka_unit_test(test_process_and_resources),
    cmocka_unit_test(test_cgroup_paths),
    cmocka_unit_test(test_default_spec_parses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
