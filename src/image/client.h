/* image/client.h: talking to an OCI Distribution registry (libcurl).
 *
 * One client per registry host. It finds out the scheme (HTTPS, or HTTP
 * for registries configured insecure and for loopback ones, as docker
 * does), answers auth challenges (Basic, or Bearer: challenge → token
 * endpoint → retry, tokens cached per scope), retries idempotent requests
 * on 5xx, 429 and transport errors with backoff, and sends the Accept
 * headers for OCI and Docker manifests. Credentials come from creds.h.
 * Lives in the image_client library with the pull and push code: the only
 * part of the image module that links libcurl. */
#pragma once

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct wh_error;
struct image_client;
struct image_regconf;

struct image_client_opts {
  const struct image_regconf *conf; /* may be NULL */
  int tls_verify;                   /* -1: per config; 0: off; 1: on */
  const char *creds;                /* "user:password" from the command line, or NULL */
  const char *auth_file;            /* overrides the default auth.json */
};

int image_client_new(const char *domain, const struct image_client_opts *o,
                     struct image_client **out, struct wh_error **err);
void image_client_free(struct image_client *c);
static inline void image_client_freep(struct image_client **c)
{
  if (*c)
    image_client_free(*c);
}
#define _cleanup_client_ __attribute__((cleanup(image_client_freep)))

const char *image_client_domain(const struct image_client *c);

/* GET a manifest (ref a tag or digest). *ctype gets the Content-Type. The
 * body is bounded by IMAGE_MANIFEST_MAX. WH_ERR_NOT_FOUND when the
 * registry does not know it. */
int image_client_get_manifest(struct image_client *c, const char *repo, const char *ref,
                              struct wh_buf *body, char **ctype, struct wh_error **err);
/* GET a small blob (a config) into memory, at most max bytes. */
int image_client_get_blob(struct image_client *c, const char *repo, const char *digest,
                          size_t max, struct wh_buf *body, struct wh_error **err);
/* HEAD a blob: 1 present, 0 absent. */
int image_client_blob_exists(struct image_client *c, const char *repo, const char *digest,
                             struct wh_error **err);
/* Upload a blob from fd (size bytes), first trying a cross-repository
 * mount from mount_from (a repository on the same registry, or NULL).
 * *mounted tells which happened. progress (may be NULL) gets bytes sent. */
typedef void (*image_progress_fn)(void *ctx, uint64_t done, uint64_t total);
int image_client_put_blob(struct image_client *c, const char *repo, const char *digest,
                          int fd, uint64_t size, const char *mount_from, bool *mounted,
                          image_progress_fn progress, void *pctx, struct wh_error **err);
int image_client_put_manifest(struct image_client *c, const char *repo, const char *ref,
                              const char *media_type, const void *data, size_t len,
                              struct wh_error **err);

/* Set up an easy handle for a streaming GET of a blob (the caller runs
 * it, e.g. in a multi handle, and owns the write callback). Call again
 * to retry. The header list is stored in c and freed with it. */
int image_client_setup_blob_get(struct image_client *c, CURL *easy, const char *repo,
                                const char *digest, struct wh_error **err);
/* After a 401 on a streamed request: drop the cached token for repo so
 * the next setup fetches a new one. */
void image_client_token_expired(struct image_client *c, const char *repo);
