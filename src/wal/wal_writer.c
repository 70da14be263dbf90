/* wal_writer.c - framing and appending log records. */
#include "wal/wal_writer.h"

#include <stdlib.h>

#include "base/coding.h"
#include "base/crc32c.h"
#include "base/error.h"

int st_wal_writer_create(st_env *env, const char *path, st_wal_writer **w_out) {
  *w_out = NULL;
  st_wal_writer *w = calloc(1, sizeof *w);
  if (!w) return st_error(STRATA_ENOMEM, "wal %s: out of memory", path);
  int rc = env->open_file(env, path, ST_OPEN_CREATE_EXCL, &w->file);
  if (rc) {
    free(w);
    return rc;
  }
  *w_out = w;
  return STRATA_OK;
}

int st_wal_append(st_wal_writer *w, char *buf, size_t payload_len) {
  if (w->broken) return st_error(STRATA_EIO, "wal: an earlier failed append left the log in an unknown state");
  if (payload_len > ST_WAL_MAX_PAYLOAD)
    return st_error(STRATA_EINVAL, "wal: a batch of %zu bytes is over the 4 GiB record limit", payload_len);
  st_put_fixed32(buf + 4, (uint32_t)payload_len);
  uint32_t crc = st_crc32c(buf + 4, 4 + payload_len);
  st_put_fixed32(buf, st_crc32c_mask(crc));
  st_env *env = w->file->env;
  int rc = env->append(w->file, buf, ST_WAL_HEADER + payload_len);
  if (rc) {
    /* A prefix may have reached the file; a later record written after it
     * would make the log look corrupt in the middle. Cut it off. */
    if (env->truncate(w->file, w->size) != 0) w->broken = 1;
    return rc;
  }
  w->size += ST_WAL_HEADER + payload_len;
  return STRATA_OK;
}

int st_wal_sync(st_wal_writer *w) {
  if (w->synced == w->size) return STRATA_OK;
  uint64_t size = w->size;
  int rc = w->file->env->sync(w->file);
  if (rc == STRATA_OK) w->synced = size;
  return rc;
}

int st_wal_writer_close(st_wal_writer *w) {
  if (!w) return STRATA_OK;
  int rc = w->file->env->close(w->file);
  free(w);
  return rc;
}
