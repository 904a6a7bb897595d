/* fuzz_run_flags: every run/create flag value parser (parse.c) on
 * arbitrary bytes: no crash, no leak, and a result is either JSON or an
 * error with a message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "engine/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1 || size > 4096)
    return 0;
  char *s = malloc(size);
  if (!s)
    return 0;
  memcpy(s, data + 1, size - 1);
  s[size - 1] = 0;
  struct wh_error *err = NULL;
  json_t *j = NULL;
  int64_t v;
  int sig;
  switch (data[0] % 9) {
  case 0: engine_parse_size(s, &v, &err); break;
  case 1: {
    json_t *cfg = json_object(), *hc = json_object();
    engine_parse_publish(s, cfg, hc, &err);
    json_decref(cfg);
    json_decref(hc);
    break;
  }
  case 2: j = engine_parse_volume(s, &err); break;
  case 3: j = engine_parse_mount(s, &err); break;
  case 4: j = engine_parse_tmpfs(s, &err); break;
  case 5: j = engine_parse_ulimit(s, &err); break;
  case 6: j = engine_parse_restart(s, &err); break;
  case 7: j = engine_parse_device(s, &err); break;
  default:
    engine_parse_signal(s, &sig, &err);
    engine_parse_add_host(s, &err);
  }
  if (err && !err->msg)
    abort();
  json_decref(j);
  wh_error_free(err);
  free(s);
  return 0;
}
