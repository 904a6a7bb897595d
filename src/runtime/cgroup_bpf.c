/* cgroup_bpf.c: device rules on cgroup v2 as a BPF_CGROUP_DEVICE program.
 *
 * v2 has no devices.allow: access to device nodes is decided by an eBPF
 * program attached to the cgroup. We generate it from the rules as runc
 * does: the rules (spec rules, then the default allows) are emitted last
 * first and the first match decides, so the last matching rule wins, as
 * with v1's allow/deny files; nothing matching means deny. A new program
 * is attached (BPF_F_ALLOW_MULTI) before the old ones are detached, so an
 * update never leaves a window without rules. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "oci/runtime_spec.h"
#include "runtime/cgroup.h"

#define MAX_INSNS 4096

struct prog {
  struct bpf_insn insn[MAX_INSNS];
  size_t n;
  bool overflow;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
                 int32_t imm)
{
  if (p->n >= MAX_INSNS) {
    p->overflow = true;
    return;
  }
  struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off,
                        .imm = imm };
  p->insn[p->n++] = i;
}

#define LDX_W(p, dst, off) emit(p, BPF_LDX | BPF_MEM | BPF_W, dst, 1, off, 0)
#define AND_K(p, dst, k) emit(p, BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, k)
#define RSH_K(p, dst, k) emit(p, BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, k)
#define MOV_X(p, dst, src) emit(p, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_K(p, dst, k) emit(p, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, k)
#define JNE_K(p, dst, k, off) emit(p, BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, k)
#define EXIT(p) emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

struct rule {
  bool allow;
  char type;         /* 'a', 'c', 'b' */
  int64_t major, minor;
  unsigned access;   /* BPF_DEVCG_ACC_* bits */
};

static unsigned access_bits(const char *a)
{
  unsigned b = 0;
  for (; *a; a++)
    b |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE
                                                    : *a == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
  return b;
}

/* One rule: jumps to the next rule on any mismatch, else returns.
 * Returns true when the rule matches everything (what follows it would
 * be unreachable, which the verifier refuses). */
static bool emit_rule(struct prog *p, const struct rule *r)
{
  const unsigned all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
  int checks = (r->type != 'a') + (r->access != all ? 3 : 0) + (r->major >= 0) +
               (r->minor >= 0);
  /* instructions left in this block after each conditional jump: the
   * remaining checks plus "r0 = verdict; exit" */
  int left = checks + 2;
  if (r->type != 'a') {
    left--;
    JNE_K(p, 2, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, (int16_t) left);
  }
  if (r->access != all) {
    /* the request may only ask for bits the rule has */
    MOV_X(p, 1, 3);
    AND_K(p, 1, (int32_t) (~r->access & all));
    left -= 3;
    JNE_K(p, 1, 0, (int16_t) left);
  }
  if (r->major >= 0) {
    left--;
    JNE_K(p, 4, (int32_t) r->major, (int16_t) left);
  }
  if (r->minor >= 0) {
    left--;
    JNE_K(p, 5, (int32_t) r->minor, (int16_t) left);
  }
  MOV_K(p, 0, r->allow ? 1 : 0);
  EXIT(p);
  return checks == 0;
}

static long bpf(int cmd, union bpf_attr *a)
{
  return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

/* The same defaults as v1 (runc's AllowedDevices). */
static const struct rule defaults[] = {
  { true, 'c', -1, -1, BPF_DEVCG_ACC_MKNOD }, { true, 'b', -1, -1, BPF_DEVCG_ACC_MKNOD },
  { true, 'c', 1, 3, 7 }, { true, 'c', 1, 5, 7 }, { true, 'c', 1, 7, 7 },
  { true, 'c', 1, 8, 7 }, { true, 'c', 1, 9, 7 }, { true, 'c', 5, 0, 7 },
  { true, 'c', 5, 2, 7 }, { true, 'c', 136, -1, 7 },
};

int rt_cgroup_bpf_devices(const char *dir, const struct oci_resources *r,
                          struct wh_error **err)
{
  size_t n = r->n_devices + WH_ARRAY_SIZE(defaults);
  _cleanup_free_ struct rule *rules = calloc(n, sizeof(*rules));
  _cleanup_free_ struct prog *p = calloc(1, sizeof(*p));
  if (!rules || !p)
    return wh_error_errno(err, "device program");
  for (size_t i = 0; i < r->n_devices; i++) {
    const struct oci_device_rule *d = &r->devices[i];
    rules[i] = (struct rule) { d->allow, d->type, d->major, d->minor,
                               access_bits(d->access[0] ? d->access : "rwm") };
  }
  memcpy(rules + r->n_devices, defaults, sizeof(defaults));

  LDX_W(p, 2, 0);      /* access_type */
  AND_K(p, 2, 0xffff); /* device type */
  LDX_W(p, 3, 0);
  RSH_K(p, 3, 16);     /* access */
  LDX_W(p, 4, 4);      /* major */
  LDX_W(p, 5, 8);      /* minor */
  bool catch_all = false;
  for (size_t i = n; i-- > 0 && !catch_all;)
    catch_all = emit_rule(p, &rules[i]);
  if (!catch_all) {
    MOV_K(p, 0, 0);
    EXIT(p);
  }
  if (p->overflow)
    return wh_error_set(err, WH_ERR_TOO_LARGE, "linux.resources.devices: too many rules");

  char log[4096] = "";
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (uintptr_t) p->insn;
  a.insn_cnt = (uint32_t) p->n;
  a.license = (uintptr_t) "Apache-2.0";
  /* no verifier log on the fast path (it costs); only to explain a
   * refusal */
  _cleanup_close_ int prog = (int) bpf(BPF_PROG_LOAD, &a);
  if (prog < 0) {
    int e = errno;
    a.log_buf = (uintptr_t) log;
    a.log_size = sizeof(log);
    a.log_level = 1;
    bpf(BPF_PROG_LOAD, &a);
    errno = e;
    return wh_error_errno(err, "device program: load (%.200s)", log);
  }
  _cleanup_close_ int cg = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (cg < 0)
    return wh_error_errno(err, "cgroup %s", dir);

  /* what is attached now, to detach after the new one is in place */
  uint32_t ids[64];
  memset(&a, 0, sizeof(a));
  a.query.target_fd = (uint32_t) cg;
  a.query.attach_type = BPF_CGROUP_DEVICE;
  a.query.prog_ids = (uintptr_t) ids;
  a.query.prog_cnt = WH_ARRAY_SIZE(ids);
  uint32_t n_old = bpf(BPF_PROG_QUERY, &a) == 0 ? a.query.prog_cnt : 0;

  memset(&a, 0, sizeof(a));
  a.target_fd = (uint32_t) cg;
  a.attach_bpf_fd = (uint32_t) prog;
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &a) < 0)
    return wh_error_errno(err, "device program: attach to %s", dir);
  for (uint32_t i = 0; i < n_old && i < WH_ARRAY_SIZE(ids); i++) {
    memset(&a, 0, sizeof(a));
    a.prog_id = ids[i];
    _cleanup_close_ int old = (int) bpf(BPF_PROG_GET_FD_BY_ID, &a);
    if (old < 0)
      continue;
    memset(&a, 0, sizeof(a));
    a.target_fd = (uint32_t) cg;
    a.attach_bpf_fd = (uint32_t) old;
    a.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, &a) < 0)
      return wh_error_errno(err, "device program: detach the old one from %s", dir);
  }
  return 0;
}
