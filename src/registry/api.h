/* api.h: the OCI Distribution API handlers, one file per API area, and the
 * checks they share (api_common.c). Handlers parse the request, call the
 * stores, and map the stores' typed errors to the spec's codes; they never
 * see a path on disk. */
#pragma once

#include "oci/digest.h"
#include "registry/http.h"

struct wh_error;

/* api_base.c: GET /v2/ */
int api_base_get(struct request *r);

/* api_blobs.c */
int api_blob_get(struct request *r);       /* GET and HEAD */
int api_blob_delete(struct request *r);

/* api_uploads.c */
int api_upload_post_begin(struct request *r);
int api_upload_chunk_begin(struct request *r);  /* PATCH and PUT */
int api_upload_body(struct request *r, const char *data, size_t len);
int api_upload_post_end(struct request *r);
int api_upload_patch_end(struct request *r);
int api_upload_put_end(struct request *r);
int api_upload_get(struct request *r);
int api_upload_delete(struct request *r);

/* api_manifests.c */
int api_manifest_get(struct request *r);   /* GET and HEAD */
int api_manifest_put_begin(struct request *r);
int api_manifest_put_body(struct request *r, const char *data, size_t len);
int api_manifest_put_end(struct request *r);
int api_manifest_delete(struct request *r);

/* api_tags.c, api_catalog.c, api_referrers.c */
int api_tags_list(struct request *r);
int api_catalog(struct request *r);
int api_referrers(struct request *r);

/* api_metrics.c: GET /metrics */
int api_metrics_get(struct request *r);

/* api_common.c: checks that reply with the spec's error on failure and
 * return -1 (0 when the input is good). */
int api_check_name(struct request *r);
int api_check_digest(struct request *r, const char *s, struct oci_digest *out);
/* Map a store error: NOT_FOUND → not_found, DIGEST → DIGEST_INVALID,
 * anything unexpected → 500 with the details only in the log (never a
 * path in a reply). Frees e. Returns -1. */
int api_store_error(struct request *r, struct wh_error *e, enum reg_code not_found);
/* A failed quota check: DENIED → 403 DENIED with the message (and an
 * audit line naming digest, if any), else as api_store_error. */
int api_quota_error(struct request *r, struct wh_error *e, const char *digest);
/* ?n= of the paginated lists: absent → dflt; replies 400 when bad. */
int api_page_size(struct request *r, size_t dflt, size_t *n);
