/* id.h: random identifiers from getrandom(2). */
#pragma once

#include <stddef.h>

struct wh_error;

/* Fill buf with len random bytes (blocking only before the pool is
 * initialised at boot). */
int wh_random_bytes(void *buf, size_t len, struct wh_error **err);

/* 64 lowercase hex characters (256 bits) + NUL: container ids. */
#define WH_ID_LEN 64
int wh_random_id(char out[WH_ID_LEN + 1], struct wh_error **err);

/* An RFC 4122 version-4 UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx". */
#define WH_UUID_LEN 36
int wh_uuid4(char out[WH_UUID_LEN + 1], struct wh_error **err);

/* Lowercase hex of len bytes into out (2*len+1 bytes). */
void wh_hex_encode(const void *data, size_t len, char *out);
