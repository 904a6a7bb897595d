/* oci/reference.c: repository names, tags and image references (see
 * reference.h for the grammar).
 *
 * The registry checks every name in a URL with oci_name_check(), and the
 * engine splits what a user types ("localhost:5000/app:1@sha256:…") with
 * oci_reference_parse(). Both inputs are untrusted, so the checks are
 * hand-written scanners with no recursion and no allocation until the
 * input is known to be good, and every message names the offending part.
 *
 * Reasons are written as "<subject> <predicate>" ("repository name must
 * be lowercase") so the same text reads well alone ("repository name
 * 'Foo' must be lowercase") and inside a reference ("reference 'Foo/x':
 * repository name must be lowercase"). */
#include "oci/reference.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "oci/quote.h"

/* Room for a reason: fixed text plus a couple of quoted fragments. */
#define REASON_SIZE (3 * OCI_QUOTE_SIZE)

static bool is_lower_alnum(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* The scanners below take (s, len) and never look past len: callers
 * pass slices of URLs that are not NUL-terminated where the slice ends. */
static bool is_xdigit(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

/* component ::= [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
 * Fills why and returns -1 if s[0..len) is not a component. */
static int component_reason(const char *s, size_t len, char *why, size_t whysz)
{
  char qc[OCI_QUOTE_SIZE], qs[OCI_QUOTE_SIZE];
  oci_quote(qc, s, len);
  if (!is_lower_alnum(s[0])) {
    snprintf(why, whysz, "component '%s' must start with a letter or digit",
             qc);
    return -1;
  }
  size_t i = 0;
  while (i < len) {
    if (is_lower_alnum(s[i])) {
      i++;
      continue;
    }
    /* A run of separators: one '.', one or two '_', or any number of '-';
     * never a mix, and never at the end. */
    size_t start = i;
    char c = s[i];
    while (i < len && !is_lower_alnum(s[i]))
      i++;
    size_t run = i - start;
    bool uniform = true;
    for (size_t j = start; j < i; j++)
      uniform = uniform && s[j] == c;
    bool ok = uniform && ((c == '.' && run == 1) || (c == '_' && run <= 2) ||
                          c == '-');
    if (!ok) {
      snprintf(why, whysz,
               "component '%s' has '%s' between letters or digits (allowed "
               "there: '.', '_', '__' or one or more '-')",
               qc, oci_quote(qs, &s[start], run));
      return -1;
    }
    if (i == len) {
      snprintf(why, whysz, "component '%s' must end with a letter or digit",
               qc);
      return -1;
    }
  }
  return 0;
}

/* name ::= component ("/" component)*, at most max characters. */
static int name_reason(const char *s, size_t len, size_t max, char *why,
                       size_t whysz)
{
  char qc[OCI_QUOTE_SIZE];
  if (len == 0) {
    snprintf(why, whysz, "is empty");
    return -1;
  }
  if (len > max) {
    snprintf(why, whysz, "is %zu characters, at most %zu", len, max);
    return -1;
  }
  /* Character classes first: "must be lowercase" is the fix a person
   * needs for "Foo/bar", more than which component it sits in. */
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') {
      snprintf(why, whysz, "must be lowercase");
      return -1;
    }
    if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-' && c != '/') {
      snprintf(why, whysz,
               "contains '%s' (allowed: a-z, 0-9, '.', '_', '-' and '/')",
               oci_quote(qc, &s[i], 1));
      return -1;
    }
  }
  if (s[0] == '/') {
    snprintf(why, whysz, "must not start with '/'");
    return -1;
  }
  if (s[len - 1] == '/') {
    snprintf(why, whysz, "must not end with '/'");
    return -1;
  }
  size_t start = 0;
  while (start < len) {
    const char *slash = memchr(&s[start], '/', len - start);
    size_t end = slash ? (size_t) (slash - s) : len;
    if (end == start) {
      snprintf(why, whysz, "has an empty component ('//')");
      return -1;
    }
    if (component_reason(&s[start], end - start, why, whysz) < 0)
      return -1;
    start = end + 1;
  }
  return 0;
}

int oci_name_check(const char *s, size_t len, struct wh_error **err)
{
  char why[REASON_SIZE], q[OCI_QUOTE_SIZE];
  if (!s)
    return wh_error_set(err, WH_ERR_INVALID, "repository name is empty");
  if (name_reason(s, len, OCI_NAME_MAX, why, sizeof(why)) < 0)
    return wh_error_set(err, WH_ERR_INVALID, "repository name '%s' %s",
                        oci_quote(q, s, len), why);
  return 0;
}

bool oci_name_valid(const char *s)
{
  return s && oci_name_check(s, strnlen(s, OCI_NAME_MAX + 1), NULL) == 0;
}

/* tag ::= [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127} */
static int tag_reason(const char *s, size_t len, char *why, size_t whysz)
{
  char qc[OCI_QUOTE_SIZE];
  if (len == 0) {
    snprintf(why, whysz, "is empty");
    return -1;
  }
  if (len > OCI_TAG_MAX) {
    snprintf(why, whysz, "is %zu characters, at most %d", len, OCI_TAG_MAX);
    return -1;
  }
  if (!is_alnum(s[0]) && s[0] != '_') {
    snprintf(why, whysz, "must start with a letter, a digit or '_', not '%s'",
             oci_quote(qc, s, 1));
    return -1;
  }
  for (size_t i = 1; i < len; i++) {
    char c = s[i];
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-') {
      snprintf(why, whysz,
               "contains '%s' (allowed: letters, digits, '.', '_', '-')",
               oci_quote(qc, &s[i], 1));
      return -1;
    }
  }
  return 0;
}

int oci_tag_check(const char *s, size_t len, struct wh_error **err)
{
  char why[REASON_SIZE], q[OCI_QUOTE_SIZE];
  if (!s)
    return wh_error_set(err, WH_ERR_INVALID, "tag is empty");
  if (tag_reason(s, len, why, sizeof(why)) < 0)
    return wh_error_set(err, WH_ERR_INVALID, "tag '%s' %s",
                        oci_quote(q, s, len), why);
  return 0;
}

bool oci_tag_valid(const char *s)
{
  return s && oci_tag_check(s, strnlen(s, OCI_TAG_MAX + 1), NULL) == 0;
}

/* domain-component ::= [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool domain_component_ok(const char *s, size_t len)
{
  if (len == 0 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
    return false;
  for (size_t i = 1; i + 1 < len; i++)
    if (!is_alnum(s[i]) && s[i] != '-')
      return false;
  return true;
}

/* domain ::= (domain-name | "[" [a-fA-F0-9:]+ "]") [":" [0-9]+], with
 * domain-name ::= domain-component ("." domain-component)*, as docker's
 * reference package has it. Uppercase is allowed: hosts are not paths. */
static int domain_reason(const char *s, size_t len, char *why, size_t whysz)
{
  size_t host_len;
  if (s[0] == '[') {
    const char *close = memchr(s, ']', len);
    if (!close) {
      snprintf(why, whysz, "opens an IPv6 address with '[' but has no ']'");
      return -1;
    }
    host_len = (size_t) (close - s) + 1;
    bool hex = host_len > 2;
    for (size_t i = 1; i + 1 < host_len; i++)
      hex = hex && (is_xdigit(s[i]) || s[i] == ':');
    if (!hex) {
      snprintf(why, whysz,
               "has an IPv6 address that is not hex digits and ':'");
      return -1;
    }
  } else {
    const char *colon = memchr(s, ':', len);
    host_len = colon ? (size_t) (colon - s) : len;
    size_t start = 0;
    for (;;) {
      const char *dot = memchr(&s[start], '.', host_len - start);
      size_t end = dot ? (size_t) (dot - s) : host_len;
      if (!domain_component_ok(&s[start], end - start)) {
        snprintf(why, whysz,
                 "has a host part that is not letters, digits and inner '-' "
                 "separated by single '.'");
        return -1;
      }
      if (!dot)
        break;
      start = end + 1;
    }
  }
  if (host_len == len)
    return 0;
  const char *port = s + host_len + 1;
  size_t port_len = len - host_len - 1;
  bool digits = port_len > 0;
  for (size_t i = 0; i < port_len; i++)
    digits = digits && port[i] >= '0' && port[i] <= '9';
  if (s[host_len] != ':' || !digits) {
    snprintf(why, whysz, "must be a host optionally followed by ':' and a "
                         "port number");
    return -1;
  }
  return 0;
}

/* docker's rule: the first component names a registry only if it could
 * not be a repository path component, so "x:5000" stays image x, tag 5000,
 * and "library/x" stays a path. */
static bool looks_like_domain(const char *s, size_t len)
{
  return memchr(s, '.', len) || memchr(s, ':', len) ||
         (len == 9 && memcmp(s, "localhost", 9) == 0) ||
         (len > 0 && s[0] == '[');
}

int oci_reference_parse(const char *s, struct oci_reference *out,
                        struct wh_error **err)
{
  char q[OCI_QUOTE_SIZE], why[REASON_SIZE], qp[OCI_QUOTE_SIZE];
  /* A failed parse leaves *out empty, so freeing it is always safe. */
  memset(out, 0, sizeof(*out));
  if (!s || !*s)
    return wh_error_set(err, WH_ERR_INVALID, "reference is empty");
  size_t len = strnlen(s, OCI_REFERENCE_MAX + 1);
  oci_quote(q, s, len);
  if (len > OCI_REFERENCE_MAX)
    return wh_error_set(err, WH_ERR_INVALID,
                        "reference '%s' is longer than %d characters", q,
                        OCI_REFERENCE_MAX);

  /* "@" cannot occur in a name or tag, so the first one starts the digest
   * (checked last, so problems are reported left to right); a second one
   * is rejected by the digest's charset. */
  const char *at = memchr(s, '@', len);
  size_t rest_len = at ? (size_t) (at - s) : len;

  /* The tag follows the last ':' after the last '/': any ':' before that
   * belongs to the domain's port. */
  const char *tag = NULL;
  size_t tag_len = 0;
  const char *last_slash = memrchr(s, '/', rest_len);
  const char *after_slash = last_slash ? last_slash + 1 : s;
  const char *colon = memrchr(after_slash, ':', rest_len - (size_t) (after_slash - s));
  size_t name_len = rest_len;
  if (colon) {
    tag = colon + 1;
    tag_len = rest_len - (size_t) (tag - s);
    name_len = (size_t) (colon - s);
  }

  const char *path = s;
  size_t path_len = name_len;
  size_t domain_len = 0;
  const char *first_slash = memchr(s, '/', name_len);
  if (first_slash && looks_like_domain(s, (size_t) (first_slash - s))) {
    domain_len = (size_t) (first_slash - s);
    path = first_slash + 1;
    path_len = name_len - domain_len - 1;
    if (domain_len == 0 || domain_reason(s, domain_len, why, sizeof(why)) < 0)
      return wh_error_set(err, WH_ERR_INVALID, "reference '%s': domain '%s' %s",
                          q, oci_quote(qp, s, domain_len),
                          domain_len ? why : "is empty");
  }
  /* The 255 limit covers the domain too (distribution counts the whole
   * name), so the path gets what the domain leaves. */
  size_t path_max = domain_len ? OCI_NAME_MAX - domain_len - 1 : OCI_NAME_MAX;
  if (domain_len && domain_len + 1 + path_len > OCI_NAME_MAX)
    return wh_error_set(err, WH_ERR_INVALID,
                        "reference '%s': name is %zu characters with its "
                        "domain, at most %d",
                        q, domain_len + 1 + path_len, OCI_NAME_MAX);
  if (name_reason(path, path_len, path_max, why, sizeof(why)) < 0)
    return wh_error_set(err, WH_ERR_INVALID,
                        "reference '%s': repository name %s", q, why);
  if (tag && tag_reason(tag, tag_len, why, sizeof(why)) < 0)
    return wh_error_set(err, WH_ERR_INVALID, "reference '%s': tag '%s' %s", q,
                        oci_quote(qp, tag, tag_len), why);
  struct oci_digest digest;
  if (at && oci_digest_parse(at + 1, len - rest_len - 1, &digest, err) < 0)
    return wh_error_wrap(err, "reference '%s'", q);

  struct oci_reference r = { 0 };
  bool oom = false;
  if (domain_len && !(r.domain = strndup(s, domain_len)))
    oom = true;
  if (!oom && !(r.path = strndup(path, path_len)))
    oom = true;
  if (!oom && tag && !(r.tag = strndup(tag, tag_len)))
    oom = true;
  if (!oom && at && !(r.digest = strdup(digest.str)))
    oom = true;
  if (oom) {
    oci_reference_free(&r);
    return wh_error_errnum(err, ENOMEM, "reference '%s'", q);
  }
  *out = r;
  return 0;
}

void oci_reference_free(struct oci_reference *r)
{
  if (!r)
    return;
  free(r->domain);
  free(r->path);
  free(r->tag);
  free(r->digest);
  memset(r, 0, sizeof(*r));
}

char *oci_reference_format(const struct oci_reference *r)
{
  if (!r || !r->path)
    return NULL;
  _cleanup_buf_ struct wh_buf b = WH_BUF_INIT;
  if (r->domain && wh_buf_printf(&b, "%s/", r->domain) < 0)
    return NULL;
  if (wh_buf_append_str(&b, r->path) < 0)
    return NULL;
  if (r->tag && wh_buf_printf(&b, ":%s", r->tag) < 0)
    return NULL;
  if (r->digest && wh_buf_printf(&b, "@%s", r->digest) < 0)
    return NULL;
  return wh_buf_steal(&b);
}
