/* wal_writer.c - framing and appending log records (written, or copied into
 * a mapping: see wal_writer.h). */
#include "wal/wal_writer.h"

#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "base/crc32c.h"
#include "base/error.h"

/* The mapped window. */
#define ST_WAL_WINDOW (1u << 20)
/* The step in which space is reserved ahead: the zeros at the end of a
 * live log are disk the database takes and holds nothing in, so the step
 * is kept small; one fallocate per 256 KiB (some 2,000 small writes) costs
 * nothing measurable. A multiple of the page size, as the copies must not
 * touch a page past the end of the file. */
#define ST_WAL_RESERVE_STEP (256u << 10)

int st_wal_writer_create(st_env *env, const char *path, int flags, st_wal_writer **w_out) {
  *w_out = NULL;
  st_wal_writer *w = calloc(1, sizeof *w);
  if (!w) return st_error(STRATA_ENOMEM, "wal %s: out of memory", path);
  int rc = env->open_file(env, path, ST_OPEN_CREATE_EXCL, &w->file);
  if (rc) {
    free(w);
    return rc;
  }
  w->mapped = (flags & ST_WAL_MAP) && env->allocate && env->map_shared && env->unmap;
  *w_out = w;
  return STRATA_OK;
}

static void unmap_window(st_wal_writer *w) {
  if (!w->window) return;
  w->file->env->unmap(w->file->env, w->window, ST_WAL_WINDOW);
  w->window = NULL;
}

/* Copies the record p[0, n) to the mapping at w->size. The space for all
 * of it is reserved first, so only a failed mmap can stop it halfway
 * (then fall_back cuts what was copied). */
/* The mapped path failed (a file system without fallocate or shared
 * writable maps, no space to reserve, no memory to map): this log goes on
 * with write(), after the reserved zeros and any part of the record
 * already copied are cut off. If that cut fails, the writer is broken. */
static int fall_back(st_wal_writer *w) {
  unmap_window(w);
  w->mapped = 0;
  int rc = w->file->env->truncate(w->file, w->size);
  if (rc) {
    w->broken = 1;
    return rc;
  }
  w->reserved = w->size;
  w->tail_cut = 1;
  return STRATA_OK;
}

static int map_append(st_wal_writer *w, const char *p, size_t n) {
  st_env *env = w->file->env;
  uint64_t end = w->size + n;
  if (end > w->reserved) {
    uint64_t want = (end + ST_WAL_RESERVE_STEP - 1) / ST_WAL_RESERVE_STEP * ST_WAL_RESERVE_STEP;
    int rc = env->allocate(w->file, want);
    if (rc) return rc; /* nothing copied yet: the log is as it was */
    w->reserved = want;
  }
  uint64_t pos = w->size;
  while (pos < end) {
    if (!w->window || pos >= w->window_off + ST_WAL_WINDOW) {
      unmap_window(w);
      uint64_t off = pos / ST_WAL_WINDOW * ST_WAL_WINDOW;
      int rc = env->map_shared(w->file, off, ST_WAL_WINDOW, &w->window);
      if (rc) return rc; /* part of the record may be copied: fall_back cuts it */
      w->window_off = off;
    }
    size_t k = (size_t)(w->window_off + ST_WAL_WINDOW - pos);
    if (k > end - pos) k = (size_t)(end - pos);
    memcpy(w->window + (pos - w->window_off), p, k);
    p += k;
    pos += k;
  }
  return STRATA_OK;
}

int st_wal_append(st_wal_writer *w, char *buf, size_t payload_len, int type) {
  if (w->broken) return st_error(STRATA_EIO, "wal: an earlier failed append left the log in an unknown state");
  if (payload_len > ST_WAL_MAX_PAYLOAD)
    return st_error(STRATA_EINVAL, "wal: a batch of %zu bytes is over the 4 GiB record limit", payload_len);
  st_put_fixed32(buf + 4, (uint32_t)payload_len);
  uint32_t crc = st_crc32c(buf + 4, 4 + payload_len);
  st_put_fixed32(buf, st_crc32c_mask_by(crc, st_wal_type_delta(type)));
  if (w->mapped) {
    int rc = map_append(w, buf, ST_WAL_HEADER + payload_len);
    if (rc == STRATA_OK) {
      w->size += ST_WAL_HEADER + payload_len;
      return STRATA_OK;
    }
    if ((rc = fall_back(w)) != STRATA_OK) return rc;
    st_error_clear(); /* the append goes on below */
  }
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
  if (w->synced == w->size && !w->tail_cut) return STRATA_OK;
  uint64_t size = w->size;
  int rc = w->file->env->sync(w->file);
  if (rc == STRATA_OK) {
    w->synced = size;
    w->tail_cut = 0;
  }
  return rc;
}

int st_wal_finish(st_wal_writer *w) {
  if (!w->mapped) return STRATA_OK;
  /* Unmapped first: the pages past the cut must not stay mapped. */
  unmap_window(w);
  w->mapped = 0; /* no more appends are expected; any would be written */
  if (w->reserved == w->size) return STRATA_OK;
  int rc = w->file->env->truncate(w->file, w->size);
  if (rc == STRATA_OK) {
    w->reserved = w->size;
    w->tail_cut = 1;
  } else {
    w->broken = 1; /* a record written after the zeros would read as damage */
  }
  return rc;
}

int st_wal_writer_close(st_wal_writer *w) {
  if (!w) return STRATA_OK;
  unmap_window(w);
  int rc = w->file->env->close(w->file);
  free(w);
  return rc;
}
