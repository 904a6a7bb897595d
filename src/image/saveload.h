/* image/saveload.h: images to and from files: save and load (OCI layout
 * tar, as skopeo's oci-archive, and docker-archive, as `docker save` and
 * `podman save` write it) and import (a root file system tar becomes a
 * one-layer image). No network code: part of image_store. */
#pragma once

#include <stddef.h>

struct wh_error;
struct image_store;

enum image_archive_format { IMAGE_ARCHIVE_DOCKER = 0, IMAGE_ARCHIVE_OCI };

/* Write the images refs[0..n) to fd as one tar. */
int image_save(struct image_store *s, char *const *refs, size_t n,
               enum image_archive_format format, int fd, struct wh_error **err);

/* Read a tar written by save (either format, detected), register every
 * image in it. ids gets the new images' ids (NULL-terminated, caller frees). */
int image_load(struct image_store *s, int fd, char ***ids, struct wh_error **err);

/* A root file system tar (plain, gzip or zstd) from fd → a new image named
 * `name` (may be NULL). *id gets its id. */
int image_import(struct image_store *s, int fd, const char *name, const char *message,
                 char **id, struct wh_error **err);
