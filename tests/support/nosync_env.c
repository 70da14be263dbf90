/* nosync_env.c - the POSIX env table with its two sync entries replaced. */
#include "nosync_env.h"

#include <pthread.h>

#include "strata.h"

static st_env env;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int nop_sync(st_file *f) {
  (void)f;
  return STRATA_OK;
}

static int nop_sync_dir(st_env *e, const char *path) {
  (void)e, (void)path;
  return STRATA_OK;
}

static void init(void) {
  env = *st_env_posix();
  env.sync = nop_sync;
  env.sync_dir = nop_sync_dir;
}

st_env *nosync_env(void) {
  pthread_once(&once, init);
  return &env;
}
