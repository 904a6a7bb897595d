/* audit.h: the registry's audit log: one JSON object per line, appended
 * to a file (default <data>/audit.log, `serve --audit-log PATH`).
 *
 * Every line has "time" (RFC 3339 UTC, ms), "event", "principal" (null
 * when the request was anonymous or auth is off) and "repository" (null
 * for registry-wide events), then the event's own string fields. Events
 * written by the registry so far:
 *
 *   push            manifest PUT: tag (null for a push by digest), digest,
 *                   media_type, size (a number)
 *   delete          manifest DELETE by digest: digest
 *   tag_delete      DELETE /v2/<name>/manifests/<tag>: tag
 *   blob_delete     blob DELETE: digest
 *   gc              a GC run that removed something: manifests,
 *                   blob_links, files, bytes_freed (numbers)
 *   gc_manifest     one line per manifest GC removed: digest, size
 *   quota_set       a repository's quota changed: bytes (0: removed)
 *   quota_denied    a push refused over quota: digest (null for an
 *                   upload), message
 *
 * and for the auth and policy code to call: auth_failure (with a
 * "reason"), policy_set / policy_delete, lifecycle_policy_set / ...,
 * lifecycle_expire, repository_create / repository_delete. Names are
 * lower_snake_case; add new ones to docs/registry.md.
 *
 * Appends are atomic: the file is opened O_APPEND and each line is one
 * write(2), so lines from concurrent requests (and from a `wharf-registry`
 * command run beside the server) never interleave. A failed write is
 * logged and counted, never fails the request that caused it. */
#pragma once

#include <stdint.h>

struct wh_error;
struct registry;
struct audit_log;

/* Open (create, mode 0640) the log at path; relative paths are relative
 * to dirfd. */
struct audit_log *audit_open(int dirfd, const char *path, struct wh_error **err);
void audit_close(struct audit_log *a);

/* Append one event. After repo come pairs of (const char *key,
 * const char *value) strings, ended by NULL; a NULL value is written as
 * JSON null. principal and repo may be NULL. A registry without an audit
 * log (reg->audit NULL) ignores the call. Thread-safe.
 *
 *   audit_log(reg, "auth_failure", user, repo, "reason", "bad signature",
 *             "remote", addr, NULL);
 */
void audit_log(struct registry *reg, const char *event, const char *principal,
               const char *repo, ...) __attribute__((sentinel));

/* The same with integer fields: pairs of (const char *key, int64_t value),
 * ended by NULL. */
void audit_log_counts(struct registry *reg, const char *event, const char *principal,
                      const char *repo, ...) __attribute__((sentinel));

/* The same with any JSON fields: the members of `fields` (a jansson
 * object, whose reference this call takes; NULL for none) follow the
 * common ones. */
typedef struct json_t json_t;
void audit_log_json(struct registry *reg, const char *event, const char *principal,
                    const char *repo, json_t *fields);

/* Lines written and writes that failed since open (for /metrics). */
uint64_t audit_lines_written(const struct audit_log *a);
uint64_t audit_write_errors(const struct audit_log *a);
