/* wharf_image_archive.c: save, load, import. */
#include <stdio.h>

#include "base/error.h"
#include "wharf_image.h"

int wharf_cmd_save(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  return wh_error_set(err, WH_ERR_UNSUPPORTED, "save: not implemented yet");
}

int wharf_cmd_load(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  return wh_error_set(err, WH_ERR_UNSUPPORTED, "load: not implemented yet");
}

int wharf_cmd_import(const struct wharf_globals *g, int argc, char **argv, struct wh_error **err)
{
  return wh_error_set(err, WH_ERR_UNSUPPORTED, "import: not implemented yet");
}
