/* seccomp_default.c: the default seccomp profile, equivalent to podman's
 * (containers-common /usr/share/containers/seccomp.json, Debian 12),
 * as a table. Rules for other architectures are dropped (amd64 only);
 * rules that depend on capabilities are kept with their condition, and
 * engine_seccomp_json() applies them to the container's bounding set as
 * podman does. Written from that file once by hand-run script; edit the
 * table, not a generator. */
#include "seccomp_profile.h"

static const char *const names_0[] = {
  "bdflush", "io_pgetevents", "kexec_file_load", "kexec_load",
  "migrate_pages", "move_pages", "nfsservctl", "nice", "oldfstat",
  "oldlstat", "oldolduname", "oldstat", "olduname", "pciconfig_iobase",
  "pciconfig_read", "pciconfig_write", "sgetmask", "ssetmask",
  "swapcontext", "swapoff", "swapon", "sysfs", "uselib", "userfaultfd",
  "ustat", "vm86", "vm86old", "vmsplice", NULL
};
static const char *const names_1[] = {
  "_llseek", "_newselect", "accept", "accept4", "access", "adjtimex",
  "alarm", "bind", "brk", "capget", "capset", "chdir", "chmod", "chown",
  "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
  "clock_getres_time64", "clock_gettime", "clock_gettime64",
  "clock_nanosleep", "clock_nanosleep_time64", "clone", "clone3", "close",
  "close_range", "connect", "copy_file_range", "creat", "dup", "dup2",
  "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
  "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd",
  "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
  "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
  "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
  "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
  "fremovexattr", "fsconfig", "fsetxattr", "fsmount", "fsopen", "fspick",
  "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync",
  "ftruncate", "ftruncate64", "futex", "futex_time64", "futimesat",
  "get_mempolicy", "get_robust_list", "get_thread_area", "getcpu", "getcwd",
  "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32",
  "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
  "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
  "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
  "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid",
  "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
  "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel",
  "io_destroy", "io_getevents", "io_setup", "io_submit", "ioctl",
  "ioprio_get", "ioprio_set", "ipc", "keyctl", "kill", "landlock_add_rule",
  "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32",
  "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr",
  "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise",
  "mbind", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
  "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap",
  "mmap2", "mount", "mount_setattr", "move_mount", "mprotect",
  "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
  "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
  "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync",
  "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep",
  "newfstatat", "open", "open_tree", "openat", "openat2", "pause",
  "pidfd_getfd", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
  "pivot_root", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll",
  "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
  "process_mrelease", "process_vm_readv", "process_vm_writev", "pselect6",
  "pselect6_time64", "ptrace", "pwrite64", "pwritev", "pwritev2", "read",
  "readahead", "readdir", "readlink", "readlinkat", "readv", "reboot",
  "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
  "remap_file_pages", "removexattr", "rename", "renameat", "renameat2",
  "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
  "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
  "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
  "sched_get_priority_max", "sched_get_priority_min", "sched_getaffinity",
  "sched_getattr", "sched_getparam", "sched_getscheduler",
  "sched_rr_get_interval", "sched_rr_get_interval_time64",
  "sched_setaffinity", "sched_setattr", "sched_setparam",
  "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl",
  "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
  "sendfile64", "sendmmsg", "sendmsg", "sendto", "set_mempolicy",
  "set_robust_list", "set_thread_area", "set_tid_address", "setfsgid",
  "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
  "setgroups32", "setitimer", "setns", "setpgid", "setpriority", "setregid",
  "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32",
  "setreuid", "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid",
  "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown",
  "sigaction", "sigaltstack", "signal", "signalfd", "signalfd4",
  "sigpending", "sigprocmask", "sigreturn", "sigsuspend", "socketcall",
  "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx",
  "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "syscall",
  "sysinfo", "syslog", "tee", "tgkill", "time", "timer_create",
  "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
  "timer_settime", "timer_settime64", "timerfd", "timerfd_create",
  "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
  "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
  "ugetrlimit", "umask", "umount", "umount2", "uname", "unlink", "unlinkat",
  "unshare", "utime", "utimensat", "utimensat_time64", "utimes", "vfork",
  "wait4", "waitid", "waitpid", "write", "writev", NULL
};
static const char *const names_2[] = {
  "personality", NULL
};
static const struct seccomp_arg args_2[] = {{0, 0ULL, 0ULL, "SCMP_CMP_EQ"}};
static const char *const names_3[] = {
  "personality", NULL
};
static const struct seccomp_arg args_3[] = {{0, 8ULL, 0ULL, "SCMP_CMP_EQ"}};
static const char *const names_4[] = {
  "personality", NULL
};
static const struct seccomp_arg args_4[] = {{0, 131072ULL, 0ULL, "SCMP_CMP_EQ"}};
static const char *const names_5[] = {
  "personality", NULL
};
static const struct seccomp_arg args_5[] = {{0, 131080ULL, 0ULL, "SCMP_CMP_EQ"}};
static const char *const names_6[] = {
  "personality", NULL
};
static const struct seccomp_arg args_6[] = {{0, 4294967295ULL, 0ULL, "SCMP_CMP_EQ"}};
static const char *const names_7[] = {
  "arch_prctl", NULL
};
static const char *const names_8[] = {
  "modify_ldt", NULL
};
static const char *const names_9[] = {
  "open_by_handle_at", NULL
};
static const char *const names_10[] = {
  "open_by_handle_at", NULL
};
static const char *const names_11[] = {
  "bpf", "fanotify_init", "lookup_dcookie", "perf_event_open", "quotactl",
  "setdomainname", "sethostname", "setns", NULL
};
static const char *const names_12[] = {
  "bpf", "fanotify_init", "lookup_dcookie", "perf_event_open", "quotactl",
  "setdomainname", "sethostname", "setns", NULL
};
static const char *const names_13[] = {
  "chroot", NULL
};
static const char *const names_14[] = {
  "chroot", NULL
};
static const char *const names_15[] = {
  "delete_module", "finit_module", "init_module", "query_module", NULL
};
static const char *const names_16[] = {
  "delete_module", "finit_module", "init_module", "query_module", NULL
};
static const char *const names_17[] = {
  "acct", NULL
};
static const char *const names_18[] = {
  "acct", NULL
};
static const char *const names_19[] = {
  "kcmp", "process_madvise", NULL
};
static const char *const names_20[] = {
  "kcmp", "process_madvise", NULL
};
static const char *const names_21[] = {
  "ioperm", "iopl", NULL
};
static const char *const names_22[] = {
  "ioperm", "iopl", NULL
};
static const char *const names_23[] = {
  "clock_settime", "clock_settime64", "settimeofday", "stime", NULL
};
static const char *const names_24[] = {
  "clock_settime", "clock_settime64", "settimeofday", "stime", NULL
};
static const char *const names_25[] = {
  "vhangup", NULL
};
static const char *const names_26[] = {
  "vhangup", NULL
};
static const char *const names_27[] = {
  "socket", NULL
};
static const struct seccomp_arg args_27[] = {{0, 16ULL, 0ULL, "SCMP_CMP_EQ"}, {2, 9ULL, 0ULL, "SCMP_CMP_EQ"}};
static const char *const names_28[] = {
  "socket", NULL
};
static const struct seccomp_arg args_28[] = {{2, 9ULL, 0ULL, "SCMP_CMP_NE"}};
static const char *const names_29[] = {
  "socket", NULL
};
static const struct seccomp_arg args_29[] = {{0, 16ULL, 0ULL, "SCMP_CMP_NE"}};
static const char *const names_30[] = {
  "socket", NULL
};
static const struct seccomp_arg args_30[] = {{2, 9ULL, 0ULL, "SCMP_CMP_NE"}};
static const char *const names_31[] = {
  "socket", NULL
};

const struct seccomp_rule seccomp_default_rules[] = {
  {names_0, "SCMP_ACT_ERRNO", 1, NULL, 0, NULL, NULL},
  {names_1, "SCMP_ACT_ALLOW", -1, NULL, 0, NULL, NULL},
  {names_2, "SCMP_ACT_ALLOW", -1, args_2, 1, NULL, NULL},
  {names_3, "SCMP_ACT_ALLOW", -1, args_3, 1, NULL, NULL},
  {names_4, "SCMP_ACT_ALLOW", -1, args_4, 1, NULL, NULL},
  {names_5, "SCMP_ACT_ALLOW", -1, args_5, 1, NULL, NULL},
  {names_6, "SCMP_ACT_ALLOW", -1, args_6, 1, NULL, NULL},
  {names_7, "SCMP_ACT_ALLOW", -1, NULL, 0, NULL, NULL},
  {names_8, "SCMP_ACT_ALLOW", -1, NULL, 0, NULL, NULL},
  {names_9, "SCMP_ACT_ALLOW", -1, NULL, 0, "CAP_DAC_READ_SEARCH", NULL},
  {names_10, "SCMP_ACT_ERRNO", 1, NULL, 0, NULL, "CAP_DAC_READ_SEARCH"},
  {names_11, "SCMP_ACT_ALLOW", -1, NULL, 0, "CAP_SYS_ADMIN", NULL},
  {names_12, "SCMP_ACT_ERRNO", 1, NULL, 0, NULL, "CAP_SYS_ADMIN"},
  {names_13, "SCMP_ACT_ALLOW", -1, NULL, 0, "CAP_SYS_CHROOT", NULL},
  {names_14, "SCMP_ACT_ERRNO", 1, NULL, 0, NULL, "CAP_SYS_CHROOT"},
  {names_15, "SCMP_ACT_ALLOW", -1, NULL, 0, "CAP_SYS_MODULE", NULL},
  {names_16, "SCMP_ACT_ERRNO", 1, NULL, 0, NULL, "CAP_SYS_MODULE"},
  {names_17, "SCMP_ACT_ALLOW", -1, NULL, 0, "CAP_SYS_PACCT", NULL},
  {names_18, "SCMP_ACT_ERRNO", 1, NULL, 0, NULL, "CAP_SYS_PACCT"},
  {names_19, "SCMP_ACT_ALLOW", -1, NULL, 0, "CAP_SYS_PTRACE", NULL},
  {names_20, "SCMP_ACT_ERRNO", 1, NULL, 0, NULL, "CAP_SYS_PTRACE"},
  {names_21, "SCMP_ACT_ALLOW", -1, NULL, 0, "CAP_SYS_RAWIO", NULL},
  {names_22, "SCMP_ACT_ERRNO", 1, NULL, 0, NULL, "CAP_SYS_RAWIO"},
  {names_23, "SCMP_ACT_ALLOW", -1, NULL, 0, "CAP_SYS_TIME", NULL},
  {names_24, "SCMP_ACT_ERRNO", 1, NULL, 0, NULL, "CAP_SYS_TIME"},
  {names_25, "SCMP_ACT_ALLOW", -1, NULL, 0, "CAP_SYS_TTY_CONFIG", NULL},
  {names_26, "SCMP_ACT_ERRNO", 1, NULL, 0, NULL, "CAP_SYS_TTY_CONFIG"},
  {names_27, "SCMP_ACT_ERRNO", 22, args_27, 2, NULL, "CAP_AUDIT_WRITE"},
  {names_28, "SCMP_ACT_ALLOW", -1, args_28, 1, NULL, "CAP_AUDIT_WRITE"},
  {names_29, "SCMP_ACT_ALLOW", -1, args_29, 1, NULL, "CAP_AUDIT_WRITE"},
  {names_30, "SCMP_ACT_ALLOW", -1, args_30, 1, NULL, "CAP_AUDIT_WRITE"},
  {names_31, "SCMP_ACT_ALLOW", -1, NULL, 0, "CAP_AUDIT_WRITE", NULL},
};
const size_t seccomp_default_n_rules = sizeof(seccomp_default_rules) / sizeof(seccomp_default_rules[0]);
