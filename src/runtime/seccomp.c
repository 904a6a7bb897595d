/* seccomp.c: linux.seccomp through libseccomp, as runc reads it.
 *
 * Syscall names this libseccomp does not know are skipped (profiles list
 * syscalls of newer kernels); a rule whose action equals the default is
 * skipped (libseccomp refuses it and it changes nothing). Conditions on
 * the same argument are ORed by adding one rule per condition, as runc
 * does. With a notify action the listener fd goes to listenerPath with
 * the container state, as runc sends it.
 *
 * The parent compiles the filter before clone (rt_seccomp_compile):
 * libseccomp's BPF for a profile of docker's size takes ~15 ms to
 * generate, so the program is kept in a cache under the state root
 * (seccomp_cache.c) and the child only hands it to seccomp(2) with the
 * flags libseccomp would have used. A profile with a notify action is
 * still built and loaded by libseccomp in the child: the listener fd
 * comes from that load. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "runtime/internal.h"

static uint32_t action_of(enum oci_seccomp_action a, bool has_errno, uint32_t errno_ret)
{
  uint32_t e = has_errno ? errno_ret : EPERM;
  switch (a) {
  case OCI_SCMP_KILL:
  case OCI_SCMP_KILL_THREAD:
    return SCMP_ACT_KILL_THREAD;
  case OCI_SCMP_KILL_PROCESS:
    return SCMP_ACT_KILL_PROCESS;
  case OCI_SCMP_TRAP:
    return SCMP_ACT_TRAP;
  case OCI_SCMP_ERRNO:
    return SCMP_ACT_ERRNO(e);
  case OCI_SCMP_TRACE:
    return SCMP_ACT_TRACE(e);
  case OCI_SCMP_LOG:
    return SCMP_ACT_LOG;
  case OCI_SCMP_NOTIFY:
    return SCMP_ACT_NOTIFY;
  case OCI_SCMP_ALLOW:
  default:
    return SCMP_ACT_ALLOW;
  }
}

static const enum scmp_compare ops[] = {
  [OCI_SCMP_CMP_NE] = SCMP_CMP_NE, [OCI_SCMP_CMP_LT] = SCMP_CMP_LT,
  [OCI_SCMP_CMP_LE] = SCMP_CMP_LE, [OCI_SCMP_CMP_EQ] = SCMP_CMP_EQ,
  [OCI_SCMP_CMP_GE] = SCMP_CMP_GE, [OCI_SCMP_CMP_GT] = SCMP_CMP_GT,
  [OCI_SCMP_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static struct scmp_arg_cmp cmp_of(const struct oci_seccomp_arg *a)
{
  struct scmp_arg_cmp c = { .arg = a->index, .op = ops[a->op], .datum_a = a->value,
                            .datum_b = a->value_two };
  return c;
}

static int add_rule(scmp_filter_ctx ctx, const struct oci_seccomp_rule *r, uint32_t act,
                    int nr, const char *name, struct wh_error **err)
{
  bool same_index = false;
  for (size_t i = 0; i < r->n_args; i++)
    for (size_t j = i + 1; j < r->n_args; j++)
      if (r->args[i].index == r->args[j].index)
        same_index = true;
  int rc;
  if (!same_index) {
    struct scmp_arg_cmp cmps[6];
    for (size_t i = 0; i < r->n_args; i++)
      cmps[i] = cmp_of(&r->args[i]);
    rc = seccomp_rule_add_array(ctx, act, nr, (unsigned) r->n_args, cmps);
  } else {
    rc = 0;
    for (size_t i = 0; i < r->n_args && rc == 0; i++) {
      struct scmp_arg_cmp c = cmp_of(&r->args[i]);
      rc = seccomp_rule_add_array(ctx, act, nr, 1, &c);
    }
  }
  if (rc < 0)
    return wh_error_errnum(err, -rc, "linux.seccomp: rule for %s", name);
  return 0;
}

static scmp_filter_ctx build(const struct oci_seccomp *sc, struct wh_error **err)
{
  uint32_t def = action_of(sc->default_action, sc->has_default_errno_ret,
                           sc->default_errno_ret);
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) {
    wh_error_set(err, WH_ERR_INVALID, "linux.seccomp: cannot use the default action");
    return NULL;
  }
  /* no_new_privs is the process's business (process.noNewPrivileges) */
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  for (size_t i = 0; sc->architectures && sc->architectures[i]; i++) {
    char lower[32];
    const char *a = sc->architectures[i] + strlen("SCMP_ARCH_");
    size_t k = 0;
    for (; a[k] && k < sizeof(lower) - 1; k++)
      lower[k] = (char) (a[k] >= 'A' && a[k] <= 'Z' ? a[k] - 'A' + 'a' : a[k]);
    lower[k] = 0;
    uint32_t arch = seccomp_arch_resolve_name(lower);
    if (!arch)
      continue;   /* not an architecture this libseccomp knows */
    int rc = seccomp_arch_add(ctx, arch);
    if (rc < 0 && rc != -EEXIST) {
      seccomp_release(ctx);
      wh_error_errnum(err, -rc, "linux.seccomp.architectures[%zu]", i);
      return NULL;
    }
  }
  for (size_t i = 0; sc->flags && sc->flags[i]; i++) {
    const char *f = sc->flags[i];
    int rc = 0;
    if (strcmp(f, "SECCOMP_FILTER_FLAG_LOG") == 0)
      rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
    else if (strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
      rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
    else if (strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
      rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    /* WAIT_KILLABLE_RECV: not in this libseccomp; only affects notify */
    if (rc < 0) {
      seccomp_release(ctx);
      wh_error_errnum(err, -rc, "linux.seccomp.flags[%zu] %s", i, f);
      return NULL;
    }
  }
  for (size_t i = 0; i < sc->n_rules; i++) {
    const struct oci_seccomp_rule *r = &sc->rules[i];
    uint32_t act = action_of(r->action, r->has_errno_ret, r->errno_ret);
    if (act == def)
      continue;
    for (size_t k = 0; r->names && r->names[k]; k++) {
      int nr = seccomp_syscall_resolve_name(r->names[k]);
      if (nr == __NR_SCMP_ERROR)
        continue;
      if (add_rule(ctx, r, act, nr, r->names[k], err) < 0) {
        seccomp_release(ctx);
        wh_error_wrap(err, "linux.seccomp.syscalls[%zu]", i);
        return NULL;
      }
    }
  }
  return ctx;
}

static bool uses_notify(const struct oci_seccomp *sc)
{
  if (sc->default_action == OCI_SCMP_NOTIFY)
    return true;
  for (size_t i = 0; i < sc->n_rules; i++)
    if (sc->rules[i].action == OCI_SCMP_NOTIFY)
      return true;
  return false;
}

static bool has_flag(const struct oci_seccomp *sc, const char *name)
{
  for (size_t i = 0; sc->flags && sc->flags[i]; i++)
    if (strcmp(sc->flags[i], name) == 0)
      return true;
  return false;
}

/* The flags libseccomp's load passes to seccomp(2) for a filter without
 * notify (sys_filter_load in libseccomp 2.5): TSYNC (with TSYNC_ESRCH
 * where the kernel has it, API level 6), LOG, SPEC_ALLOW. */
static unsigned load_flags(const struct oci_seccomp *sc, unsigned api)
{
  unsigned f = 0;
  if (has_flag(sc, "SECCOMP_FILTER_FLAG_TSYNC")) {
    f |= SECCOMP_FILTER_FLAG_TSYNC;
#ifdef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
    if (api >= 6)
      f |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
#endif
  }
  if (has_flag(sc, "SECCOMP_FILTER_FLAG_LOG"))
    f |= SECCOMP_FILTER_FLAG_LOG;
  if (has_flag(sc, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
    f |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  return f;
}

/* libseccomp's program for ctx (seccomp_export_bpf writes it to an fd). */
static int export_bpf(scmp_filter_ctx ctx, struct rt_seccomp_prog *p, struct wh_error **err)
{
  _cleanup_close_ int fd = memfd_create("wharf-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return wh_error_errno(err, "linux.seccomp: memfd");
  int rc = seccomp_export_bpf(ctx, fd);
  if (rc < 0)
    return wh_error_errnum(err, -rc, "linux.seccomp: generate the filter");
  struct stat st;
  if (fstat(fd, &st) < 0)
    return wh_error_errno(err, "linux.seccomp: generate the filter");
  size_t n = (size_t) st.st_size / sizeof(struct sock_filter);
  if (n == 0 || n > BPF_MAXINSNS || (size_t) st.st_size % sizeof(struct sock_filter))
    return wh_error_set(err, WH_ERR_INVALID, "linux.seccomp: the filter has %zu instructions "
                        "(the kernel takes at most %d)", n, BPF_MAXINSNS);
  p->insns = malloc((size_t) st.st_size);
  if (!p->insns)
    return wh_error_errno(err, "linux.seccomp");
  if (pread(fd, p->insns, (size_t) st.st_size, 0) != st.st_size) {
    free(p->insns);
    p->insns = NULL;
    return wh_error_errno(err, "linux.seccomp: read the filter");
  }
  p->len = n;
  return 0;
}

int rt_seccomp_compile(const struct runtime_ctx *ctx, const struct oci_seccomp *sc,
                       struct rt_seccomp_prog *prog, struct wh_error **err)
{
  memset(prog, 0, sizeof(*prog));
  if (!sc || uses_notify(sc))
    return 0;
  /* the API level says which flags and actions the kernel takes: part of
   * the cache key, so an entry is only reused where it was valid */
  unsigned api = (unsigned) seccomp_api_get();
  prog->flags = load_flags(sc, api);
  prog->use_prctl = api < 2;
  _cleanup_buf_ struct wh_buf key = WH_BUF_INIT;
  const struct scmp_version *v = seccomp_version();
  if (rt_seccomp_cache_key(sc, v->major, v->minor, v->micro, api, seccomp_arch_native(),
                           &key) < 0)
    return wh_error_errno(err, "linux.seccomp");
  if (rt_seccomp_cache_get(ctx, &key, prog) == 0)
    return 0;
  scmp_filter_ctx c = build(sc, err);
  if (!c)
    return -1;
  int r = export_bpf(c, prog, err);
  seccomp_release(c);
  if (r < 0)
    return -1;
  rt_seccomp_cache_put(ctx, &key, prog);
  return 0;
}

void rt_seccomp_prog_free(struct rt_seccomp_prog *prog)
{
  free(prog->insns);
  prog->insns = NULL;
  prog->len = 0;
}

int rt_seccomp_load(const struct oci_seccomp *sc, const struct rt_seccomp_prog *prog,
                    int *listener_fd, struct wh_error **err)
{
  if (prog && prog->insns) {
    struct sock_fprog fp = { .len = (unsigned short) prog->len, .filter = prog->insns };
    long rc = prog->use_prctl ? prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0)
                              : syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, prog->flags, &fp);
    if (rc > 0)
      errno = ESRCH;   /* TSYNC: another thread could not be synchronised */
    if (rc != 0)
      return wh_error_errno(err, "linux.seccomp: load");
    return 0;
  }
  scmp_filter_ctx ctx = build(sc, err);
  if (!ctx)
    return -1;
  int rc = seccomp_load(ctx);
  if (rc < 0) {
    seccomp_release(ctx);
    return wh_error_errnum(err, -rc, "linux.seccomp: load");
  }
  if (listener_fd) {
    int fd = seccomp_notify_fd(ctx);
    *listener_fd = fd >= 0 ? fd : -1;
  }
  seccomp_release(ctx);
  return 0;
}

int rt_seccomp_send_listener(const struct oci_seccomp *sc, int fd,
                             const char *state_json, struct wh_error **err)
{
  if (!sc || !sc->listener_path)
    return wh_error_set(err, WH_ERR_INVALID, "linux.seccomp.listenerPath: missing");
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen(sc->listener_path) >= sizeof(sa.sun_path))
    return wh_error_set(err, WH_ERR_INVALID, "linux.seccomp.listenerPath: too long");
  strcpy(sa.sun_path, sc->listener_path);
  _cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || connect(s, (struct sockaddr *) &sa, sizeof(sa)) < 0)
    return wh_error_errno(err, "linux.seccomp.listenerPath %s", sc->listener_path);
  return rt_send_fd(s, fd, state_json, err);
}
