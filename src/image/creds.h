/* image/creds.h: registry credentials.
 *
 * Looked up in order: wharf's auth.json
 * (${XDG_CONFIG_HOME:-~/.config}/wharf/auth.json, or the file given),
 * then docker's config.json (${DOCKER_CONFIG:-~/.docker}/config.json):
 * its credHelpers entry for the registry, its auths entry, its
 * credsStore. Helpers speak the docker-credential-* protocol: the
 * program "docker-credential-NAME get" reads the server name on stdin and
 * writes {"Username": …, "Secret": …}. */
#pragma once

struct wh_error;

/* 1 and new strings when found, 0 when there are none. */
int image_creds_lookup(const char *domain, const char *auth_file, char **user, char **pass,
                       struct wh_error **err);
/* login: store in wharf's auth.json (atomically, mode 0600). */
int image_creds_store(const char *domain, const char *auth_file, const char *user,
                      const char *pass, struct wh_error **err);
/* logout: 1 removed, 0 there was nothing to remove. */
int image_creds_erase(const char *domain, const char *auth_file, struct wh_error **err);
