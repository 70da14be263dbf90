/*
 * read.c - point reads: the newest fragment of a key visible at a
 * snapshot, looked for in the memtable, the immutable memtables, level-0
 * tables newest first, then one table per deeper level by key range;
 * a table's bloom filter is asked before its blocks are read.
 */
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "db/db_impl.h"
#include "format/ikey.h"
#include "format/kind.h"

/* What a source said about the key. */
typedef struct found {
  int hit;        /* a fragment was found: stop looking */
  unsigned kind;
  char *val;      /* malloc'ed copy (PUT) */
  size_t vlen;
} found;

static int take_value(found *f, unsigned kind, const char *val, size_t vlen) {
  f->hit = 1;
  f->kind = kind;
  if (kind != ST_KIND_PUT) return STRATA_OK;
  f->val = malloc(vlen + 1);
  if (!f->val) return st_error(STRATA_ENOMEM, "get: out of memory for a %zu-byte value", vlen);
  if (vlen) memcpy(f->val, val, vlen);
  f->val[vlen] = '\0';
  f->vlen = vlen;
  return STRATA_OK;
}

static int from_memtable(st_memtable *m, const void *key, size_t klen, uint64_t snap, found *f) {
  unsigned kind;
  const char *val;
  size_t vlen;
  int rc = st_memtable_get(m, key, klen, snap, &kind, &val, &vlen);
  if (rc <= 0) return rc;
  return take_value(f, kind, val, vlen);
}

/* What from_table looks for, and where the answer goes. */
typedef struct table_probe {
  const char *key;
  size_t klen;
  found *f;
} table_probe;

/* st_table_get's callback: the first entry at or after the target is the
 * key's newest visible fragment when it has the same user key. */
static int probe_entry(void *arg, const char *ik, size_t iklen, const char *val, size_t vlen) {
  table_probe *p = arg;
  if (st_ukey_compare(ik, iklen - ST_IKEY_TRAILER, p->key, p->klen) != 0) return STRATA_OK;
  return take_value(p->f, st_trailer_kind(st_ikey_trailer(ik, iklen)), val, vlen);
}

/* Looks in the table of file meta. */
static int from_table(strata_db *db, const st_file_meta *meta, const char *target, size_t tlen, found *f) {
  st_table *t;
  table_probe probe = {target, tlen - ST_IKEY_TRAILER, f};
  int rc = st_table_cache_get(db->table_cache, meta->number, &t);
  if (rc) return rc;
  atomic_fetch_add_explicit(&db->stats.table_lookups, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&db->stats.bloom_checked, 1, memory_order_relaxed);
  if (!st_table_may_contain(t, probe.key, probe.klen))
    atomic_fetch_add_explicit(&db->stats.bloom_useful, 1, memory_order_relaxed);
  else
    rc = st_table_get(t, target, tlen, probe_entry, &probe);
  st_table_cache_release(db->table_cache, t);
  return rc;
}

static int in_range(const st_file_meta *m, const void *key, size_t klen) {
  return st_ukey_compare(key, klen, m->smallest, m->smallest_len - ST_IKEY_TRAILER) >= 0 &&
         st_ukey_compare(key, klen, m->largest, m->largest_len - ST_IKEY_TRAILER) <= 0;
}

static int from_version(strata_db *db, const st_version *v, const char *target, size_t tlen, found *f) {
  const char *key = target;
  size_t klen = tlen - ST_IKEY_TRAILER;
  /* Level 0: newest table first; a newer table holds newer fragments. */
  for (size_t i = 0; i < v->nfiles[0] && !f->hit; i++) {
    if (!in_range(v->files[0][i], key, klen)) continue;
    int rc = from_table(db, v->files[0][i], target, tlen, f);
    if (rc) return rc;
  }
  for (int level = 1; level < ST_LEVELS && !f->hit; level++) {
    /* The first table whose largest key is >= key (binary search). */
    size_t lo = 0, hi = v->nfiles[level];
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      const st_file_meta *m = v->files[level][mid];
      if (st_ukey_compare(m->largest, m->largest_len - ST_IKEY_TRAILER, key, klen) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < v->nfiles[level] && in_range(v->files[level][lo], key, klen)) {
      int rc = from_table(db, v->files[level][lo], target, tlen, f);
      if (rc) return rc;
    }
  }
  return STRATA_OK;
}

/* The read at snapshot (a sequence number, or UINT64_MAX for the latest). */
static int get_at_seq(strata_db *db, uint64_t snap, const void *key, size_t klen, void **val_out,
                      size_t *vlen_out) {
  st_db_view view;
  st_db_view_get(db, &view);
  if (snap > view.seq) snap = view.seq;
  atomic_fetch_add_explicit(&db->stats.gets, 1, memory_order_relaxed);

  found f = {0};
  char small[256], *target = NULL;
  int rc = STRATA_OK;
  for (int i = 0; i < view.nmems && rc >= 0 && !f.hit; i++) rc = from_memtable(view.mems[i], key, klen, snap, &f);
  if (rc >= 0 && !f.hit) {
    size_t tlen = klen + ST_IKEY_TRAILER;
    target = tlen <= sizeof small ? small : malloc(tlen);
    if (!target) {
      rc = st_error(STRATA_ENOMEM, "get: out of memory");
    } else {
      st_ikey_pack(target, key, klen, st_trailer_seek(snap));
      rc = from_version(db, view.version, target, tlen, &f);
    }
  }
  if (target != small) free(target);
  if (rc > 0) rc = STRATA_OK;
  if (rc == STRATA_OK) {
    if (!f.hit || f.kind == ST_KIND_DELETE) {
      rc = STRATA_NOTFOUND;
    } else if (f.kind != ST_KIND_PUT) {
      rc = st_error(STRATA_ECORRUPT, "get: fragment kind %u is not supported by this version", f.kind);
    } else {
      *val_out = f.val;
      *vlen_out = f.vlen;
      f.val = NULL;
      atomic_fetch_add_explicit(&db->stats.get_hits, 1, memory_order_relaxed);
    }
  }
  free(f.val);
  st_db_view_put(&view);
  return rc;
}

static int check_get_args(strata_db *db, const void *key, size_t klen, void **val_out, size_t *vlen_out) {
  if (val_out) *val_out = NULL;
  if (vlen_out) *vlen_out = 0;
  if (!db || !val_out || !vlen_out || (key == NULL && klen))
    return st_error(STRATA_EINVAL, "get: NULL database, output, or key with a non-zero length");
  if (klen > db->opt.max_key_bytes)
    return st_error(STRATA_EINVAL, "get: key of %zu bytes is over max_key_bytes (%zu)", klen, db->opt.max_key_bytes);
  return STRATA_OK;
}

int strata_get(strata_db *db, const void *key, size_t klen, void **val_out, size_t *vlen_out) {
  int rc = check_get_args(db, key, klen, val_out, vlen_out);
  return rc ? rc : get_at_seq(db, UINT64_MAX, key, klen, val_out, vlen_out);
}

int strata_get_at(strata_db *db, const strata_read_options *ro, const void *key, size_t klen, void **val_out,
                  size_t *vlen_out) {
  int rc = check_get_args(db, key, klen, val_out, vlen_out);
  if (rc) return rc;
  uint64_t snap = ro && ro->snapshot ? ro->snapshot->seq : UINT64_MAX;
  return get_at_seq(db, snap, key, klen, val_out, vlen_out);
}
