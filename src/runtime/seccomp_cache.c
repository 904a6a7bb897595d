/* seccomp_cache.c: compiled seccomp programs kept under the state root.
 *
 * libseccomp needs ~15 ms (more on a loaded machine) to turn a profile of
 * docker's size into BPF, and every container of an engine uses one of a
 * handful of profiles. The program is a pure function of the profile,
 * the libseccomp version, the kernel's seccomp API level and the native
 * architecture, so it is cached in <root>/.seccomp/<hash>.bpf (the root
 * is 0700 and container ids never start with a dot).
 *
 * An entry holds the whole key, not just its hash: it is used only when
 * the key matches byte for byte, so a hash collision (or a profile
 * crafted to collide) can never hand one container another's filter. A
 * checksum over key and program, an exact size and the owner check turn
 * a torn or foreign file into a miss, and a miss just compiles again.
 * Entries are written like state.json (a temporary file renamed into
 * place, no fsync: the root is a tmpfs, and a damaged entry is a miss). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "runtime/internal.h"

#define CACHE_DIR ".seccomp"
#define CACHE_MAGIC "WHSCMP1\n"
/* A new entry clears the directory once it holds this many: profiles
 * are few in practice, and the cache must not grow without bound on a
 * tmpfs when a caller varies them. */
#define CACHE_MAX_ENTRIES 128
#define KEY_MAX (8u << 20)

struct entry_header {
  char magic[8];
  uint32_t key_len;
  uint32_t n_insns;
  uint64_t checksum;   /* FNV-1a 64 of key and program */
};

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= UINT64_C(0x100000001b3);
  }
  return h;
}

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)

/* Strings are length-prefixed, so no two profiles share a key. */
static int put_str(struct wh_buf *b, const char *s)
{
  return wh_buf_printf(b, "%zu:%s;", s ? strlen(s) : (size_t) 0, s ? s : "");
}

int rt_seccomp_cache_key(const struct oci_seccomp *sc, int major, int minor, int micro,
                         unsigned api, uint32_t native_arch, struct wh_buf *key)
{
  struct wh_buf *b = key;
  /* any failed append (ENOMEM) fails the key: a truncated key could
   * match another profile's */
  int bad = 0;
  bad |= wh_buf_printf(b, "libseccomp %d.%d.%d api %u native %" PRIx32 "\n", major, minor,
                       micro, api, native_arch);
  bad |= wh_buf_printf(b, "default %d %d %" PRIu32 "\n", (int) sc->default_action,
                       (int) sc->has_default_errno_ret, sc->default_errno_ret);
  for (size_t i = 0; sc->architectures && sc->architectures[i]; i++)
    bad |= wh_buf_append_str(b, "arch ") | put_str(b, sc->architectures[i]);
  for (size_t i = 0; sc->flags && sc->flags[i]; i++)
    bad |= wh_buf_append_str(b, "flag ") | put_str(b, sc->flags[i]);
  for (size_t i = 0; i < sc->n_rules && !bad; i++) {
    const struct oci_seccomp_rule *r = &sc->rules[i];
    bad |= wh_buf_printf(b, "\nrule %d %d %" PRIu32 " ", (int) r->action,
                         (int) r->has_errno_ret, r->errno_ret);
    for (size_t k = 0; r->names && r->names[k]; k++)
      bad |= put_str(b, r->names[k]);
    for (size_t k = 0; k < r->n_args; k++)
      bad |= wh_buf_printf(b, " arg %u %d %" PRIu64 " %" PRIu64, r->args[k].index,
                           (int) r->args[k].op, r->args[k].value, r->args[k].value_two);
  }
  bad |= wh_buf_append_char(b, '\n');
  if (bad || b->len > KEY_MAX) {
    errno = ENOMEM;
    return -1;
  }
  return 0;
}

static int open_cache_dir(const struct runtime_ctx *ctx, bool create)
{
  _cleanup_close_ int root = open(rt_root(ctx), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (root < 0)
    return -1;
  if (create && mkdirat(root, CACHE_DIR, 0700) < 0 && errno != EEXIST)
    return -1;
  int fd = openat(root, CACHE_DIR, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  /* ours alone: anyone else who could write here could choose our filters */
  if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022))) {
    close(fd);
    return -1;
  }
  return fd;
}

static void entry_name(const struct wh_buf *key, char name[32])
{
  snprintf(name, 32, "%016" PRIx64 ".bpf", fnv1a(FNV_OFFSET, key->data, key->len));
}

int rt_seccomp_cache_get(const struct runtime_ctx *ctx, const struct wh_buf *key,
                         struct rt_seccomp_prog *prog)
{
  _cleanup_close_ int dir = open_cache_dir(ctx, false);
  if (dir < 0)
    return -1;
  char name[32];
  entry_name(key, name);
  _cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
      (st.st_mode & 022))
    return -1;
  size_t want_max = sizeof(struct entry_header) + key->len +
                    BPF_MAXINSNS * sizeof(struct sock_filter);
  if ((size_t) st.st_size < sizeof(struct entry_header) || (size_t) st.st_size > want_max)
    return -1;
  _cleanup_free_ unsigned char *data = malloc((size_t) st.st_size);
  if (!data || wh_read_all(fd, data, (size_t) st.st_size, NULL) != st.st_size)
    return -1;
  struct entry_header h;
  memcpy(&h, data, sizeof(h));
  const unsigned char *k = data + sizeof(h), *insns = k + key->len;
  size_t prog_size = (size_t) h.n_insns * sizeof(struct sock_filter);
  if (memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) != 0 || h.key_len != key->len ||
      h.n_insns == 0 || h.n_insns > BPF_MAXINSNS ||
      (size_t) st.st_size != sizeof(h) + key->len + prog_size ||
      memcmp(k, key->data, key->len) != 0 ||
      fnv1a(fnv1a(FNV_OFFSET, k, key->len), insns, prog_size) != h.checksum)
    return -1;
  prog->insns = malloc(prog_size);
  if (!prog->insns)
    return -1;
  memcpy(prog->insns, insns, prog_size);
  prog->len = h.n_insns;
  return 0;
}

static void clear_if_full(int dir)
{
  int fd = dup(dir);
  if (fd < 0)
    return;
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return;
  }
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)))
    n += de->d_name[0] != '.';
  if (n < CACHE_MAX_ENTRIES)
    return;
  rewinddir(d);
  while ((de = readdir(d)))
    if (de->d_name[0] != '.')
      unlinkat(dir, de->d_name, 0);
}

void rt_seccomp_cache_put(const struct runtime_ctx *ctx, const struct wh_buf *key,
                          const struct rt_seccomp_prog *prog)
{
  _cleanup_close_ int dir = open_cache_dir(ctx, true);
  if (dir < 0 || !prog->insns || key->len > KEY_MAX)
    return;
  clear_if_full(dir);
  size_t prog_size = prog->len * sizeof(struct sock_filter);
  struct entry_header h = { .key_len = (uint32_t) key->len, .n_insns = (uint32_t) prog->len };
  memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
  h.checksum = fnv1a(fnv1a(FNV_OFFSET, key->data, key->len), prog->insns, prog_size);
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  if (wh_buf_append(&b, &h, sizeof(h)) < 0 || wh_buf_append(&b, key->data, key->len) < 0 ||
      wh_buf_append(&b, prog->insns, prog_size) < 0)
    return;
  char name[32];
  entry_name(key, name);
  rt_write_file_replace(dir, name, b.data, b.len, 0600, NULL);
}
