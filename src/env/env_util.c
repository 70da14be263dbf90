/* env_util.c - whole-file helpers built from the env table's primitives. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "env/env.h"

uint64_t st_env_file_size_or_zero(st_env *env, const char *path) {
  st_file *f;
  uint64_t size = 0;
  if (env->open_file(env, path, ST_OPEN_READ, &f) != STRATA_OK) return 0;
  if (env->size(f, &size) != STRATA_OK) size = 0;
  env->close(f);
  return size;
}

int st_env_read_all(st_env *env, const char *path, char **data_out, size_t *len_out) {
  st_file *f = NULL;
  char *buf = NULL;
  uint64_t size;
  size_t got = 0;
  *data_out = NULL;
  *len_out = 0;
  int rc = env->open_file(env, path, ST_OPEN_READ, &f);
  if (rc) goto fail;
  rc = f->env->size(f, &size);
  if (rc) goto fail;
  buf = malloc((size_t)size + 1);
  if (!buf) {
    rc = st_error(STRATA_ENOMEM, "read %s: out of memory", path);
    goto fail;
  }
  rc = f->env->pread(f, 0, buf, (size_t)size, &got);
  if (rc) goto fail;
  buf[got] = '\0';
  env->close(f);
  *data_out = buf;
  *len_out = got;
  return STRATA_OK;
fail:
  free(buf);
  if (f) env->close(f);
  return rc;
}

int st_env_write_atomic(st_env *env, const char *dir, const char *name, const void *data, size_t n) {
  char tmp[4096], dst[4096];
  st_file *f = NULL;
  snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
  snprintf(dst, sizeof dst, "%s/%s", dir, name);
  int rc = env->open_file(env, tmp, ST_OPEN_TRUNCATE, &f);
  if (rc) return rc;
  rc = env->append(f, data, n);
  if (!rc) rc = env->sync(f);
  int crc = env->close(f);
  if (!rc) rc = crc;
  if (rc) goto fail;
  if ((rc = env->rename(env, tmp, dst))) goto fail;
  return env->sync_dir(env, dir);
fail: {
  st_errsave first;
  st_error_save(&first);
  env->unlink(env, tmp);
  return st_error_restore(&first, rc);
}
}
