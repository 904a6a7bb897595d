/* id.c: random identifiers from getrandom(2) (see id.h). */
#include "base/id.h"

#include <errno.h>
#include <sys/random.h>

#include "base/error.h"

int wh_random_bytes(void *buf, size_t len, struct wh_error **err)
{
  unsigned char *p = buf;
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return wh_error_errno(err, "getrandom");
    }
    p += n;
    len -= (size_t) n;
  }
  return 0;
}

void wh_hex_encode(const void *data, size_t len, char *out)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = hex[p[i] >> 4];
    out[2 * i + 1] = hex[p[i] & 0xf];
  }
  out[2 * len] = '\0';
}

int wh_random_id(char out[WH_ID_LEN + 1], struct wh_error **err)
{
  unsigned char b[WH_ID_LEN / 2];
  if (wh_random_bytes(b, sizeof(b), err) < 0)
    return -1;
  wh_hex_encode(b, sizeof(b), out);
  return 0;
}

int wh_uuid4(char out[WH_UUID_LEN + 1], struct wh_error **err)
{
  unsigned char b[16];
  if (wh_random_bytes(b, sizeof(b), err) < 0)
    return -1;
  b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40); /* version 4 */
  b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80); /* variant 10 */
  char hex[33];
  wh_hex_encode(b, sizeof(b), hex);
  int o = 0;
  for (int i = 0; i < 32; i++) {
    if (i == 8 || i == 12 || i == 16 || i == 20)
      out[o++] = '-';
    out[o++] = hex[i];
  }
  out[o] = '\0';
  return 0;
}
