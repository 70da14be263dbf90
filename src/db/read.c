/*
 * read.c - point reads: the fragments of a key visible at a snapshot,
 * newest first, from the memtable, the immutable memtables, level-0 tables
 * newest first, then one table per deeper level by key range, fed to the
 * merge rules (merge/merge.h) until they reach the key's base; a table's
 * bloom filter is asked before its blocks are read. A read that looks
 * into more than one table charges the first one (read-triggered
 * compaction, version.h); iterators' read samples do the same. Also the
 * typed reads (strata_get_int, strata_get_latest) and strata_list_next.
 */
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "db/db_impl.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "format/range_del.h"
#include "format/typed_value.h"
#include "merge/merge.h"

/* What from_table looks for, and where the fragments go. */
typedef struct table_probe {
  const char *key;
  size_t klen;
  uint64_t cover; /* the table's range tombstone over the key, or 0 */
  st_merge *m;
  int decided;
} table_probe;

/* st_table_get's callback: the entries at or after the target are the
 * key's visible fragments, newest first, for as long as the user key is
 * the same, down to the table's range tombstone over it. */
static int probe_entry(void *arg, const char *ik, size_t iklen, const char *val, size_t vlen) {
  table_probe *p = arg;
  if (st_ukey_compare(ik, iklen - ST_IKEY_TRAILER, p->key, p->klen) != 0) return STRATA_OK;
  uint64_t trailer = st_ikey_trailer(ik, iklen);
  if (st_trailer_seq(trailer) < p->cover) return STRATA_OK;
  int rc = st_merge_feed(p->m, st_trailer_kind(trailer), val, vlen);
  if (rc < 0) return rc;
  p->decided = rc;
  return rc ? STRATA_OK : ST_TABLE_GET_MORE;
}

/* Looks in the table of file meta; *decided when the chain ended there.
 * A range tombstone of the table over the key ends the chain as a DELETE:
 * older tables hold only older fragments of the key. */
static int from_table(strata_db *db, st_file_meta *meta, const char *target, size_t tlen, st_merge *m,
                      int *decided) {
  st_table *t;
  table_probe probe = {target, tlen - ST_IKEY_TRAILER, 0, m, 0};
  int rc = st_table_cache_get(db->table_cache, meta->number, &t);
  if (rc) return rc;
  atomic_fetch_add_explicit(&db->stats.table_lookups, 1, memory_order_relaxed);
  const st_rtombs *rt = st_table_rtombs(t);
  st_db_note_range_dels(meta, rt);
  probe.cover = st_rtombs_cover(rt, probe.key, probe.klen, st_trailer_seq(st_ikey_trailer(target, tlen)));
  atomic_fetch_add_explicit(&db->stats.bloom_checked, 1, memory_order_relaxed);
  if (!st_table_may_contain(t, probe.key, probe.klen))
    atomic_fetch_add_explicit(&db->stats.bloom_useful, 1, memory_order_relaxed);
  else
    rc = st_table_get(t, target, tlen, probe_entry, &probe);
  st_table_cache_release(db->table_cache, t);
  if (rc >= 0 && !probe.decided && probe.cover) {
    rc = st_merge_feed(m, ST_KIND_DELETE, NULL, 0);
    probe.decided = rc > 0;
    if (rc > 0) rc = STRATA_OK;
  }
  *decided = probe.decided;
  return rc;
}

static int in_range(const st_file_meta *m, const void *key, size_t klen) {
  return st_ukey_compare(key, klen, m->smallest, m->smallest_len - ST_IKEY_TRAILER) >= 0 &&
         st_largest_ukey_compare(m->largest, m->largest_len, key, klen) >= 0;
}

/* The table of level (>= 1) of v whose key range holds key, or NULL.
 * Outputs are cut at user-key boundaries: one table of a level holds all
 * of a key's fragments in it. */
static st_file_meta *level_table(const st_version *v, int level, const char *key, size_t klen) {
  size_t lo = st_version_first_reaching(v, level, key, klen);
  return lo < v->nfiles[level] && in_range(v->files[level][lo], key, klen) ? v->files[level][lo] : NULL;
}

/* A read looked into f and on into another table: one of the reads f
 * allows (version.h). Spending the last one wakes the compaction workers,
 * which then pick f when no level is due. */
static void charge(strata_db *db, st_file_meta *f) {
  /* Once spent, no more writes: readers on several threads would fight
   * over the line for nothing. */
  if (atomic_load_explicit(&f->allowed_seeks, memory_order_relaxed) <= 0) return;
  if (atomic_fetch_sub_explicit(&f->allowed_seeks, 1, memory_order_relaxed) != 1) return;
  st_mutex_lock(&db->mu);
  st_db_maybe_schedule_compaction(db);
  st_mutex_unlock(&db->mu);
}

/* Feeds m from the tables of v, newest first, until it is decided. */
static int from_version(strata_db *db, const st_version *v, const char *target, size_t tlen, st_merge *m) {
  const char *key = target;
  size_t klen = tlen - ST_IKEY_TRAILER;
  int decided = 0, rc = STRATA_OK, looked = 0;
  st_file_meta *first = NULL;
  /* Level 0: newest table first; a newer table holds newer fragments. */
  for (size_t i = 0; i < v->nfiles[0] && !decided && !rc; i++) {
    if (!in_range(v->files[0][i], key, klen)) continue;
    if (!looked++) first = v->files[0][i];
    rc = from_table(db, v->files[0][i], target, tlen, m, &decided);
  }
  for (int level = 1; level < ST_LEVELS && !decided && !rc; level++) {
    st_file_meta *f = level_table(v, level, key, klen);
    if (!f) continue;
    if (!looked++) first = f;
    rc = from_table(db, f, target, tlen, m, &decided);
  }
  if (looked > 1) charge(db, first);
  return rc;
}

void st_db_read_sample(strata_db *db, const st_version *v, const void *key, size_t klen) {
  st_file_meta *first = NULL;
  int holders = 0;
  for (size_t i = 0; i < v->nfiles[0]; i++)
    if (in_range(v->files[0][i], key, klen) && !holders++) first = v->files[0][i];
  for (int level = 1; level < ST_LEVELS; level++) {
    st_file_meta *f = level_table(v, level, key, klen);
    if (f && !holders++) first = f;
  }
  if (holders > 1) charge(db, first);
}

int st_db_version_may_hold(strata_db *db, const st_version *v, const void *key, size_t klen) {
  for (size_t i = 0; i < v->nfiles[0]; i++)
    if (in_range(v->files[0][i], key, klen) &&
        st_table_cache_may_contain(db->table_cache, v->files[0][i]->number, key, klen))
      return 1;
  for (int level = 1; level < ST_LEVELS; level++) {
    const st_file_meta *f = level_table(v, level, key, klen);
    if (f && st_table_cache_may_contain(db->table_cache, f->number, key, klen)) return 1;
  }
  return 0;
}

/* Resolves key at snapshot (a sequence number, or UINT64_MAX for the
 * latest) into m: m->rc and the result as st_merge_finish leaves them. */
int st_db_resolve(strata_db *db, uint64_t snap, const void *key, size_t klen, st_merge *m) {
  st_db_view view;
  st_db_view_get(db, &view);
  if (snap > view.seq) snap = view.seq;
  atomic_fetch_add_explicit(&db->stats.gets, 1, memory_order_relaxed);

  char small[256], *target = NULL;
  int rc = 0;
  for (int i = 0; i < view.nmems && rc == 0; i++) rc = st_memtable_merge(view.mems[i], key, klen, snap, m);
  if (rc == 0) {
    size_t tlen = klen + ST_IKEY_TRAILER;
    target = tlen <= sizeof small ? small : malloc(tlen);
    if (!target) {
      rc = st_error(STRATA_ENOMEM, "get: out of memory");
    } else {
      st_ikey_pack(target, key, klen, st_trailer_seek(snap));
      rc = from_version(db, view.version, target, tlen, m);
    }
  }
  if (target != small) free(target);
  if (rc >= 0) rc = st_merge_finish(m, 1);
  if (rc == STRATA_OK) atomic_fetch_add_explicit(&db->stats.get_hits, 1, memory_order_relaxed);
  if (rc == STRATA_ETYPE)
    rc = st_error(STRATA_ETYPE,
                  "get: the fragments of the key do not combine (mixed kinds, or a counter over a value that is not a "
                  "decimal integer)");
  st_db_view_put(&view);
  return rc;
}

/* The read at snapshot as strata_get returns it. */
static int get_at_seq(strata_db *db, uint64_t snap, const void *key, size_t klen, void **val_out, size_t *vlen_out) {
  st_merge m;
  st_merge_init(&m, db->opt.list_max_elements);
  int rc = st_db_resolve(db, snap, key, klen, &m);
  if (rc == STRATA_OK) rc = st_merge_take_value(&m, (char **)val_out, vlen_out);
  st_merge_destroy(&m);
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

int strata_get_int(strata_db *db, const void *key, size_t klen, int64_t *out) {
  void *unused;
  size_t unused_len;
  if (out) *out = 0;
  int rc = check_get_args(db, key, klen, &unused, &unused_len);
  if (rc) return rc;
  if (!out) return st_error(STRATA_EINVAL, "get_int: NULL output");
  st_merge m;
  st_merge_init(&m, db->opt.list_max_elements);
  rc = st_db_resolve(db, UINT64_MAX, key, klen, &m);
  if (rc == STRATA_OK) {
    if (m.kind == ST_KIND_COUNTER)
      *out = m.sum;
    else if (m.kind != ST_KIND_PUT || !st_merge_parse_decimal(m.best.p, m.best.len, out))
      rc = st_error(STRATA_ETYPE, "get_int: the value of the key is not a counter or a decimal integer");
  }
  st_merge_destroy(&m);
  return rc;
}

int strata_get_latest(strata_db *db, const void *key, size_t klen, void **val_out, size_t *vlen_out, uint64_t *ts_out) {
  if (ts_out) *ts_out = 0;
  int rc = check_get_args(db, key, klen, val_out, vlen_out);
  if (rc) return rc;
  if (!ts_out) return st_error(STRATA_EINVAL, "get_latest: NULL ts output");
  st_merge m;
  st_merge_init(&m, db->opt.list_max_elements);
  rc = st_db_resolve(db, UINT64_MAX, key, klen, &m);
  if (rc == STRATA_OK && m.kind != ST_KIND_LATEST_BASE)
    rc = st_error(STRATA_ETYPE, "get_latest: the value of the key is not a latest-wins value");
  if (rc == STRATA_OK) {
    uint64_t ts = st_merge_latest_ts(&m);
    rc = st_merge_take_value(&m, (char **)val_out, vlen_out);
    if (rc == STRATA_OK) *ts_out = ts; /* 0 on every failure */
  }
  st_merge_destroy(&m);
  return rc;
}

int strata_list_next(const void *list, size_t len, size_t *pos, const void **elem_out, size_t *elen_out) {
  if (elem_out) *elem_out = NULL;
  if (elen_out) *elen_out = 0;
  if (!pos || !elem_out || !elen_out || (list == NULL && len))
    return st_error(STRATA_EINVAL, "list_next: NULL argument");
  const char *e;
  int r = st_list_next(list, len, pos, &e, elen_out);
  if (r < 0) return st_error(STRATA_EINVAL, "list_next: the bytes at offset %zu are not a list element", *pos);
  *elem_out = e;
  return r;
}
