/* engine.c: opening the engine's state (directories, database, settings)
 * and `info`. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "image_link.h"
#include "runtime/runtime.h"
#include "internal.h"

const char *engine_root(const struct engine *e)
{
  return e->root;
}

const char *engine_runroot(const struct engine *e)
{
  return e->runroot;
}

/* A setting is fixed when the state is first made: a later command that
 * names another value is refused, since the bridge and table already
 * exist under the first name. */
static int setting(struct engine *e, const char *key, const char *given,
                   const char *dflt, char **out, struct wh_error **err)
{
  if (db_setting_get(e, key, out, err) < 0)
    return -1;
  if (*out) {
    if (given && strcmp(given, *out))
      return wh_error_set(err, WH_ERR_INVALID, "%s is \"%s\" for the state under %s; \"%s\" was given",
                          key, *out, e->root, given);
    return 0;
  }
  *out = strdup(given ? given : dflt);
  if (!*out)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  return db_setting_set(e, key, *out, err);
}

int engine_open(const struct engine_opts *o, struct engine **out,
                struct wh_error **err)
{
  struct engine *e = calloc(1, sizeof(*e));
  _cleanup_engine_ struct engine *owner = e;
  if (!e)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  e->rootfd = -1;
  e->root = strdup(o->root ? o->root : ENGINE_DEFAULT_ROOT);
  e->runroot = strdup(o->runroot ? o->runroot : ENGINE_DEFAULT_RUNROOT);
  if (!e->root || !e->runroot)
    return wh_error_set(err, WH_ERR_INTERNAL, "out of memory");
  if (e->root[0] != '/' || e->runroot[0] != '/')
    return wh_error_set(err, WH_ERR_INVALID, "--root and --runroot must be absolute paths");
  static const char *const subs[] = {"containers", "volumes"};
  for (size_t i = 0; i < WH_ARRAY_SIZE(subs); i++) {
    _cleanup_free_ char *p = NULL;
    if (asprintf(&p, "%s/%s", e->root, subs[i]) < 0 || wh_mkdir_p_at(AT_FDCWD, p, 0700, err) < 0)
      return wh_error_wrap(err, "state directory %s", e->root);
  }
  _cleanup_free_ char *rc = NULL;
  if (asprintf(&rc, "%s/containers", e->runroot) < 0 || wh_mkdir_p_at(AT_FDCWD, rc, 0700, err) < 0)
    return wh_error_wrap(err, "run directory %s", e->runroot);
  e->rootfd = open(e->root, O_DIRECTORY | O_CLOEXEC);
  if (e->rootfd < 0)
    return wh_error_errno(err, "open %s", e->root);
  if (db_open(e, err) < 0)
    return -1;
  if (setting(e, "bridge", o->bridge, ENGINE_DEFAULT_BRIDGE, &e->bridge, err) < 0 ||
      setting(e, "subnet", o->subnet, ENGINE_DEFAULT_SUBNET, &e->subnet, err) < 0 ||
      setting(e, "nft_table", o->nft_table, ENGINE_DEFAULT_NFT_TABLE, &e->nft_table, err) < 0)
    return -1;
  if (engine_reconcile(e, err) < 0 || image_users_check_boot(e, err) < 0)
    return -1;
  *out = steal_pointer(&owner);
  return 0;
}

pid_t engine_warm_start(void)
{
  return runtime_warm_cgroups();
}

void engine_warm_done(pid_t *pid)
{
  runtime_warm_cgroups_done(pid);
}

void engine_close(struct engine *e)
{
  if (!e)
    return;
  image_link_close(e);
  if (e->db)
    sqlite3_close(e->db);
  if (e->rootfd >= 0)
    close(e->rootfd);
  free(e->root);
  free(e->runroot);
  free(e->bridge);
  free(e->subnet);
  free(e->nft_table);
  free(e);
}

static json_int_t count(struct engine *e, const char *sql)
{
  _cleanup_json_ json_t *r = db_query(e, sql, "", NULL);
  return json_integer_value(json_object_get(json_array_get(r, 0), "n"));
}

json_t *engine_info(struct engine *e, struct wh_error **err)
{
  (void) err;
  struct utsname u;
  uname(&u);
  return json_pack("{s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
      "Containers", count(e, "SELECT COUNT(*) AS n FROM containers"),
      "ContainersRunning", count(e, "SELECT COUNT(*) AS n FROM containers WHERE state='running'"),
      "ContainersStopped", count(e, "SELECT COUNT(*) AS n FROM containers WHERE state!='running'"),
      "Volumes", count(e, "SELECT COUNT(*) AS n FROM volumes"),
      "Networks", count(e, "SELECT COUNT(*) AS n FROM networks"),
      "ServerVersion", WHARF_VERSION, "Driver", "overlay", "DockerRootDir", e->root,
      "RunRoot", e->runroot, "DefaultRuntime", "in-process (src/runtime)", "CgroupDriver", "cgroupfs",
      "KernelVersion", u.release, "OperatingSystem", "linux", "Architecture", u.machine,
      "DefaultBridge", e->bridge, "NftTable", e->nft_table);
}
