/* runtime_spec.h: the OCI runtime spec's config.json as C types.
 *
 * oci_spec_parse() is the one function that reads an untrusted config.json
 * (it is fuzzed: tests/fuzz/runtime/fuzz_rt_spec.c). It validates as it
 * goes, so the runtime never sees an unknown capability, rlimit, seccomp
 * action or mount option; every error names the field:
 *   "process.capabilities.bounding[3]: unknown capability CAP_FOO".
 * Sizes are bounded (OCI_SPEC_MAX_SIZE, array lengths, string lengths). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct wh_error;

#define OCI_SPEC_MAX_SIZE (4u << 20)   /* config.json */
#define OCI_SPEC_MAX_ARRAY 65536       /* entries in any array */
#define OCI_SPEC_MAX_STRING 65536      /* bytes in any string */

struct oci_opt_i64 {
  bool set;
  int64_t v;
};

enum oci_ns_type {
  OCI_NS_PID = 0, OCI_NS_NETWORK, OCI_NS_MOUNT, OCI_NS_IPC, OCI_NS_UTS,
  OCI_NS_USER, OCI_NS_CGROUP, OCI_NS_TIME, OCI_NS_COUNT
};
const char *oci_ns_name(enum oci_ns_type t);   /* "pid", "network", … */
int oci_ns_clone_flag(enum oci_ns_type t);     /* CLONE_NEWPID, … */
const char *oci_ns_proc_name(enum oci_ns_type t); /* "pid", "net", … */

struct oci_namespace {
  bool present;
  char *path;   /* NULL: a new namespace */
};

struct oci_id_mapping {
  uint32_t container_id, host_id, size;
};

enum oci_cap_set {
  OCI_CAP_BOUNDING = 0, OCI_CAP_EFFECTIVE, OCI_CAP_INHERITABLE,
  OCI_CAP_PERMITTED, OCI_CAP_AMBIENT, OCI_CAP_NSETS
};
/* "CAP_CHOWN" → 0 …; -1 if unknown. */
int oci_cap_from_name(const char *name);
const char *oci_cap_name(int cap);
#define OCI_CAP_MAX 64
const char *oci_cap_set_name(enum oci_cap_set s);

struct oci_rlimit {
  int resource;   /* RLIMIT_* */
  uint64_t soft, hard;
};
/* "RLIMIT_NOFILE" → RLIMIT_NOFILE; -1 if unknown. */
int oci_rlimit_from_name(const char *name);

struct oci_process {
  bool terminal;
  uint32_t console_height, console_width;
  char *cwd;
  char **args;
  char **env;
  uint32_t uid, gid;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  bool has_umask;
  mode_t umask;
  bool has_caps;          /* "capabilities" present */
  uint64_t caps[OCI_CAP_NSETS];   /* bit n = capability n */
  struct oci_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  struct oci_opt_i64 oom_score_adj;
  char *apparmor_profile;
  char *selinux_label;
};

/* A mount with its options already turned into mount(2) flags. */
struct oci_mount {
  char *destination;
  char *type;     /* NULL: a bind mount (with "bind"/"rbind") */
  char *source;
  char **options; /* as given */
  unsigned long flags;        /* MS_* to set (MS_BIND, MS_REC included) */
  unsigned long clear_flags;  /* MS_* explicitly cleared ("rw", "suid", …) */
  unsigned long propagation;  /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) */
  uint64_t attr_set, attr_clr; /* MOUNT_ATTR_* for "r…" recursive options */
  char *data;     /* unknown options joined with ',' (fs-specific) */
};

enum oci_hook_kind {
  OCI_HOOK_PRESTART = 0, OCI_HOOK_CREATE_RUNTIME, OCI_HOOK_CREATE_CONTAINER,
  OCI_HOOK_START_CONTAINER, OCI_HOOK_POSTSTART, OCI_HOOK_POSTSTOP,
  OCI_HOOK_NKINDS
};
const char *oci_hook_kind_name(enum oci_hook_kind k);  /* "prestart", … */

struct oci_hook {
  char *path;
  char **args;
  char **env;
  int timeout;   /* seconds, 0 = none */
};

struct oci_device {
  char *path;
  char type;     /* 'c', 'b', 'u', 'p' */
  int64_t major, minor;
  bool has_mode;
  mode_t mode;
  bool has_uid, has_gid;
  uint32_t uid, gid;
};

struct oci_device_rule {
  bool allow;
  char type;       /* 'a', 'c', 'b' */
  int64_t major, minor;   /* -1 = any */
  char access[4];  /* subset of "rwm" */
};

struct oci_weight_device {
  int64_t major, minor;
  struct oci_opt_i64 weight, leaf_weight;
};

struct oci_throttle_device {
  int64_t major, minor;
  uint64_t rate;
};

struct oci_hugepage_limit {
  char *page_size;   /* "2MB", "1GB" */
  uint64_t limit;
};

struct oci_kv {
  char *key, *value;
};

struct oci_resources {
  struct {
    struct oci_opt_i64 limit, reservation, swap, kernel, kernel_tcp,
                       swappiness;
    bool disable_oom_killer;
    bool has_disable_oom_killer;
    bool use_hierarchy;
  } memory;
  struct {
    struct oci_opt_i64 shares, quota, period, realtime_runtime,
                       realtime_period, burst, idle;
    char *cpus, *mems;
  } cpu;
  struct oci_opt_i64 pids_limit;
  struct {
    struct oci_opt_i64 weight, leaf_weight;
    struct oci_weight_device *weight_devices;
    size_t n_weight_devices;
    /* read bps, write bps, read iops, write iops */
    struct oci_throttle_device *throttle[4];
    size_t n_throttle[4];
  } blkio;
  struct oci_hugepage_limit *hugepages;
  size_t n_hugepages;
  struct oci_device_rule *devices;
  size_t n_devices;
  struct oci_kv *unified;
  size_t n_unified;
};

enum oci_seccomp_action {
  OCI_SCMP_KILL = 0, OCI_SCMP_KILL_PROCESS, OCI_SCMP_KILL_THREAD,
  OCI_SCMP_TRAP, OCI_SCMP_ERRNO, OCI_SCMP_TRACE, OCI_SCMP_ALLOW,
  OCI_SCMP_LOG, OCI_SCMP_NOTIFY
};
enum oci_seccomp_op {
  OCI_SCMP_CMP_NE = 0, OCI_SCMP_CMP_LT, OCI_SCMP_CMP_LE, OCI_SCMP_CMP_EQ,
  OCI_SCMP_CMP_GE, OCI_SCMP_CMP_GT, OCI_SCMP_CMP_MASKED_EQ
};

struct oci_seccomp_arg {
  unsigned index;
  uint64_t value, value_two;
  enum oci_seccomp_op op;
};

struct oci_seccomp_rule {
  char **names;
  enum oci_seccomp_action action;
  bool has_errno_ret;
  uint32_t errno_ret;
  struct oci_seccomp_arg *args;
  size_t n_args;
};

struct oci_seccomp {
  enum oci_seccomp_action default_action;
  bool has_default_errno_ret;
  uint32_t default_errno_ret;
  char **architectures;   /* "SCMP_ARCH_X86_64", … (validated) */
  char **flags;           /* "SECCOMP_FILTER_FLAG_LOG", … (validated) */
  char *listener_path;
  char *listener_metadata;
  struct oci_seccomp_rule *rules;
  size_t n_rules;
};

struct oci_time_offset {
  bool set;
  int64_t secs;
  uint32_t nanosecs;
};

struct oci_spec {
  char *oci_version;
  char *root_path;
  bool root_readonly;
  char *hostname;
  char *domainname;
  struct oci_mount *mounts;
  size_t n_mounts;
  bool has_process;
  struct oci_process process;
  struct oci_hook *hooks[OCI_HOOK_NKINDS];
  size_t n_hooks[OCI_HOOK_NKINDS];
  char *annotations_json;   /* the object re-serialized, "{}" if none */

  /* linux */
  struct oci_namespace ns[OCI_NS_COUNT];
  struct oci_id_mapping *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
  struct oci_time_offset time_monotonic, time_boottime;
  struct oci_device *devices;
  size_t n_devices;
  char *cgroups_path;
  bool has_resources;
  struct oci_resources resources;
  unsigned long rootfs_propagation;   /* 0 = default (rslave for runc) */
  struct oci_seccomp *seccomp;        /* NULL: none */
  struct oci_kv *sysctl;
  size_t n_sysctl;
  char **masked_paths;
  char **readonly_paths;
  char *mount_label;
};

/* Parse and validate config.json bytes into *out (zeroed first). On
 * failure *out holds nothing that needs freeing. */
int oci_spec_parse(const char *data, size_t len, struct oci_spec *out,
                   struct wh_error **err);
void oci_spec_free(struct oci_spec *s);

/* A "process" object alone (exec --process FILE). */
int oci_process_parse(const char *data, size_t len, struct oci_process *out,
                      struct wh_error **err);
void oci_process_free(struct oci_process *p);

/* A LinuxResources object alone (update -r FILE). */
int oci_resources_parse(const char *data, size_t len,
                        struct oci_resources *out, struct wh_error **err);
void oci_resources_free(struct oci_resources *r);

/* Mount options → flags, as oci_spec_parse does for each mount (exposed
 * for the unit tests and for `update`). Unknown options go to *data. */
int oci_mount_options(struct oci_mount *m, const char *path,
                      struct wh_error **err);
