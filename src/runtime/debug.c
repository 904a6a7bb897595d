/* debug.c: the --debug trace of a container's lifecycle.
 *
 * One key=value line (or JSON object, with --log-format json) per step:
 * event=<step> id=<container> msg="...". It goes through base/log.h, which
 * main() sets up at debug level only with --debug, so without it these
 * calls cost one comparison and write nothing. Init calls it too between
 * clone() and execve(): the logger is plain memory copied by clone(). */
#include <stdarg.h>
#include <stdio.h>

#include "base/log.h"
#include "runtime/internal.h"

void rt_debug(const char *id, const char *step, const char *fmt, ...)
{
  if (!wh_log_enabled(WH_LOG_DEBUG))
    return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  struct wh_logline l;
  wh_logline_begin(&l, WH_LOG_DEBUG, step);
  if (id)
    wh_logline_str(&l, "id", id);
  wh_logline_str(&l, "msg", msg);
  wh_logline_end(&l);
}
