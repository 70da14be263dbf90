/* read.c - point reads: the newest visible fragment of a key. */
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "db/db_impl.h"
#include "format/kind.h"

int strata_get(strata_db *db, const void *key, size_t klen, void **val_out, size_t *vlen_out) {
  if (val_out) *val_out = NULL;
  if (vlen_out) *vlen_out = 0;
  if (!db || !val_out || !vlen_out || (key == NULL && klen))
    return st_error(STRATA_EINVAL, "strata_get: NULL database, output, or key with a non-zero length");
  if (klen > db->opt.max_key_bytes)
    return st_error(STRATA_EINVAL, "strata_get: key of %zu bytes is over max_key_bytes (%zu)", klen,
                    db->opt.max_key_bytes);

  st_mutex_lock(&db->mu);
  st_memtable *mem = db->mem;
  st_memtable_ref(mem);
  st_mutex_unlock(&db->mu);
  uint64_t snapshot = atomic_load_explicit(&db->last_seq, memory_order_acquire);
  atomic_fetch_add_explicit(&db->stats.gets, 1, memory_order_relaxed);

  unsigned kind;
  const char *val;
  size_t vlen;
  int rc = st_memtable_get(mem, key, klen, snapshot, &kind, &val, &vlen);
  if (rc < 0) goto done;
  if (rc == 0 || kind == ST_KIND_DELETE) {
    rc = STRATA_NOTFOUND;
    goto done;
  }
  if (kind != ST_KIND_PUT) {
    rc = st_error(STRATA_ECORRUPT, "strata_get: fragment kind %u is not supported by this version", kind);
    goto done;
  }
  char *copy = malloc(vlen + 1);
  if (!copy) {
    rc = st_error(STRATA_ENOMEM, "strata_get: out of memory for a %zu-byte value", vlen);
    goto done;
  }
  if (vlen) memcpy(copy, val, vlen);
  copy[vlen] = '\0';
  *val_out = copy;
  *vlen_out = vlen;
  atomic_fetch_add_explicit(&db->stats.get_hits, 1, memory_order_relaxed);
  rc = STRATA_OK;
done:
  st_memtable_unref(mem);
  return rc;
}
