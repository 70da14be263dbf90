/*
 * iterator.c - strata_iter: a database iterator over a merged view of the
 * memtables and every live table, pinned to a snapshot. It holds
 * references on the memtables, the version and its tables, so flushes
 * and compactions never pull data from under it.
 */
#include <stdlib.h>

#include "base/error.h"
#include "base/random.h"
#include "db/db_impl.h"
#include "iter/db_iter.h"
#include "iter/level_iter.h"
#include "iter/merging_iter.h"
#include "iter/table_ref_iter.h"

struct strata_iter {
  strata_db *db;
  st_db_iter *it;
  st_iter *merged; /* owned by it: its count of entries range tombstones hid */
  st_version *version;
  int64_t until_sample; /* entries to stand on before the next read sample */
  st_random rnd;         /* the sample spacing */
};

/* Entries until the next read sample: uniform in [1, 2 x the average]. */
static int64_t sample_spacing(strata_iter *it) {
  return 1 + (int64_t)st_random_uniform(&it->rnd, 2 * ST_DB_READ_SAMPLE_ENTRIES);
}

/* After each move: counts the entry stood on, and takes a read sample of
 * it when its turn comes. */
static inline void moved(strata_iter *it) {
  if (--it->until_sample > 0 || !st_db_iter_valid(it->it)) return;
  size_t n;
  const char *k = st_db_iter_key(it->it, &n);
  st_db_read_sample(it->db, it->version, k, n);
  it->until_sample = sample_spacing(it);
}

/* The range tombstones of table f (a reference), or NULL. A table known
 * to hold none is not opened to ask; what an opening learns is kept in f
 * for the next iterator. *opened: the table cache reference taken to ask
 * (the caller's to pass on or release), or NULL. */
static int table_rtombs(strata_db *db, st_file_meta *f, st_rtombs **out, st_table **opened) {
  *out = NULL;
  *opened = NULL;
  if (f->tombstones == 0 || atomic_load_explicit(&f->range_dels, memory_order_relaxed) == 0) return STRATA_OK;
  st_table *t;
  int rc = st_table_cache_get(db->table_cache, f->number, &t);
  if (rc) return rc;
  st_rtombs *l = (st_rtombs *)st_table_rtombs(t);
  st_db_note_range_dels(f, l);
  if (l) st_rtombs_ref(l);
  *out = l;
  *opened = t;
  return STRATA_OK;
}

/* Whether table f ends before ro's lower bound, or starts at or after its
 * upper one: its key range covers its range tombstones too, so such a
 * table holds nothing a reader within the bounds could see. */
static int ends_below(const st_file_meta *f, const strata_read_options *ro) {
  return ro && ro->lower && st_largest_ukey_compare(f->largest, f->largest_len, ro->lower, ro->lower_len) < 0;
}
static int starts_above(const st_file_meta *f, const strata_read_options *ro) {
  return ro && ro->upper &&
         st_ukey_compare(f->smallest, f->smallest_len - ST_IKEY_TRAILER, ro->upper, ro->upper_len) >= 0;
}

/* The tables of level l that meet ro's bounds, [*first, *end) for levels
 * 1+ (sorted, not overlapping: a binary search finds the first), all of
 * level 0 (whose tables the caller filters one by one). A bounded scan
 * opens only the tables it can read from, however many the database has. */
static void level_span(const st_version *v, int l, const strata_read_options *ro, size_t *first, size_t *end) {
  size_t lo = l > 0 && ro && ro->lower ? st_version_first_reaching(v, l, ro->lower, ro->lower_len) : 0;
  size_t e = lo;
  while (l > 0 && e < v->nfiles[l] && !starts_above(v->files[l][e], ro)) e++;
  *first = lo;
  *end = l > 0 ? e : v->nfiles[l];
}

/* Starts fetching what keep_lists_in_bounds will read of l, so that the
 * other sources are opened while it arrives. */
static void warm_list(const st_rtombs *l, const strata_read_options *ro) {
  if (ro) st_rtombs_prefetch(l, ro->lower, ro->lower_len);
}

/* Drops the lists with no fragment within the reader's bounds: a scan of
 * a partition next to deleted ones then pays nothing for them. */
static void keep_lists_in_bounds(st_rtombs **lists, size_t n, const strata_read_options *ro) {
  if (!ro || (!ro->lower && !ro->upper)) return;
  for (size_t i = 0; i < n; i++)
    if (lists[i] && !st_rtombs_overlaps(lists[i], ro->lower, ro->lower_len, ro->upper, ro->upper_len)) {
      st_rtombs_unref(lists[i]);
      lists[i] = NULL;
    }
}

/* An iterator over every source of the view, newest first: memtables
 * (runs of counter and latest-wins fragments summarized for snap), then
 * tables; each with its range tombstones, those within ro's bounds. In
 * levels 1+ the tables without range tombstones are one child per level
 * (level_iter.h), which opens only the table a seek lands in; a table
 * with range tombstones is a child of its own, its list known from the
 * start. */
static int merged_view(strata_db *db, const st_db_view *view, const strata_read_options *ro, uint64_t snap,
                       st_iter **it_out) {
  const st_version *v = view->version;
  size_t total = (size_t)view->nmems;
  for (int l = 0; l < ST_LEVELS; l++) total += v->nfiles[l];
  st_iter **children = calloc(total ? total : 1, sizeof *children);
  st_rtombs **lists = calloc(total ? total : 1, sizeof *lists);
  uint64_t *newest = calloc(total ? total : 1, sizeof *newest);
  st_file_meta **group = malloc((total ? total : 1) * sizeof *group);
  size_t n = 0;
  int rc = children && lists && newest && group ? STRATA_OK : st_error(STRATA_ENOMEM, "iterator: out of memory");
  for (int i = 0; i < view->nmems && !rc; i++) {
    newest[n] = st_memtable_max_data_seq(view->mems[i]);
    rc = st_memtable_rtombs(view->mems[i], &lists[n]);
    warm_list(lists[n], ro);
    if (!rc && !(rc = st_memtable_iter_new_at(view->mems[i], snap, &children[n]))) n++;
  }
  for (int l = 0; l < ST_LEVELS && !rc; l++) {
    size_t first, end, ngroup = 0;
    uint64_t group_newest = 0;
    level_span(v, l, ro, &first, &end);
    for (size_t i = first; i < end && !rc; i++) {
      st_file_meta *f = v->files[l][i];
      if (l == 0 && (ends_below(f, ro) || starts_above(f, ro))) continue;
      st_table *opened;
      rc = table_rtombs(db, f, &lists[n], &opened);
      if (rc) break;
      if (l > 0 && !lists[n]) {
        if (opened) st_table_cache_release(db->table_cache, opened);
        group[ngroup++] = f;
        if (f->max_seq > group_newest) group_newest = f->max_seq;
        continue;
      }
      newest[n] = f->max_seq;
      warm_list(lists[n], ro);
      rc = opened ? st_table_ref_iter_from(db->table_cache, opened, &children[n])
                  : st_table_ref_iter_new(db->table_cache, f->number, &children[n]);
      if (!rc) n++;
    }
    if (!rc && ngroup) {
      newest[n] = group_newest;
      rc = ngroup == 1 ? st_table_ref_iter_new(db->table_cache, group[0]->number, &children[n])
                       : st_level_iter_new(db->table_cache, group, ngroup, &children[n]);
      if (!rc) n++;
    }
  }
  if (rc) {
    for (size_t i = 0; i < total && lists; i++) st_rtombs_unref(lists[i]);
    for (size_t i = 0; i < n; i++) st_iter_free(children[i]);
    free(lists);
    free(newest);
  } else {
    keep_lists_in_bounds(lists, n, ro);
    rc = st_merging_iter_new_ranged(children, lists, newest, n, snap, it_out);
  }
  free(group);
  free(children);
  return rc;
}

int strata_iter_new(strata_db *db, const strata_read_options *ro, strata_iter **it_out) {
  if (it_out) *it_out = NULL;
  if (!db || !it_out) return st_error(STRATA_EINVAL, "strata_iter_new: NULL database or output");
  if (ro && ((ro->lower == NULL && ro->lower_len) || (ro->upper == NULL && ro->upper_len)))
    return st_error(STRATA_EINVAL, "strata_iter_new: NULL bound with a non-zero length");
  strata_iter *it = calloc(1, sizeof *it);
  if (!it) return st_error(STRATA_ENOMEM, "strata_iter_new: out of memory");
  st_mutex_lock(&db->mu);
  db->niters++;
  st_mutex_unlock(&db->mu);
  it->db = db;

  st_db_view view;
  st_db_view_get(db, &view);
  uint64_t snap = ro && ro->snapshot ? ro->snapshot->seq : view.seq;
  st_iter *merged = NULL;
  int rc = merged_view(db, &view, ro, snap, &merged);
  if (!rc && ro && (rc = st_merging_iter_set_bounds(merged, ro->lower, ro->lower_len, ro->upper, ro->upper_len)))
    st_iter_free(merged);
  it->merged = merged;
  if (!rc)
    rc = st_db_iter_new(merged, snap, ro ? ro->lower : NULL, ro ? ro->lower_len : 0, ro ? ro->upper : NULL,
                        ro ? ro->upper_len : 0, &it->it);
  if (!rc) st_db_iter_set_list_max(it->it, db->opt.list_max_elements);
  /* The iterator keeps the version (its tables stay live); the memtable
   * iterators hold their own references. */
  it->version = view.version;
  st_version_ref(it->version);
  st_db_view_put(&view);
  /* Each iterator its own spacing: short scans still add up to samples. */
  uint64_t seed = atomic_fetch_add_explicit(&db->sample_seed, 1, memory_order_relaxed) + 1;
  st_random_seed(&it->rnd, seed * 0x9e3779b97f4a7c15ull);
  it->until_sample = sample_spacing(it);
  if (rc) {
    strata_iter_free(it);
    return rc;
  }
  *it_out = it;
  return STRATA_OK;
}

void strata_iter_free(strata_iter *it) {
  if (!it) return;
  if (it->it) {
    atomic_fetch_add_explicit(&it->db->stats.tombstones_skipped,
                              st_db_iter_tombstones_skipped(it->it) + st_merging_iter_hidden_stepped(it->merged),
                              memory_order_relaxed);
    st_db_iter_free(it->it);
  }
  if (it->version) st_version_unref(it->version);
  st_mutex_lock(&it->db->mu);
  it->db->niters--;
  st_mutex_unlock(&it->db->mu);
  free(it);
}

void strata_iter_seek_first(strata_iter *it) {
  if (!it) return;
  st_db_iter_seek_first(it->it);
  moved(it);
}
void strata_iter_seek_last(strata_iter *it) {
  if (!it) return;
  st_db_iter_seek_last(it->it);
  moved(it);
}
/* A NULL key with a length is refused: the iterator ends with EINVAL. */
static int seek_args_ok(strata_iter *it, const void *key, size_t klen) {
  if (key || !klen) return 1;
  st_db_iter_set_error(it->it, st_error(STRATA_EINVAL, "strata_iter_seek: NULL key with a non-zero length"));
  return 0;
}

void strata_iter_seek(strata_iter *it, const void *key, size_t klen) {
  if (!it || !seek_args_ok(it, key, klen)) return;
  st_db_iter_seek(it->it, key, klen);
  moved(it);
}
void strata_iter_seek_for_prev(strata_iter *it, const void *key, size_t klen) {
  if (!it || !seek_args_ok(it, key, klen)) return;
  st_db_iter_seek_for_prev(it->it, key, klen);
  moved(it);
}
void strata_iter_next(strata_iter *it) {
  if (!it) return;
  st_db_iter_next(it->it);
  moved(it);
}
void strata_iter_prev(strata_iter *it) {
  if (!it) return;
  st_db_iter_prev(it->it);
  moved(it);
}
int strata_iter_valid(const strata_iter *it) { return it && st_db_iter_valid(it->it); }

const void *strata_iter_key(const strata_iter *it, size_t *len_out) {
  if (!strata_iter_valid(it)) {
    if (len_out) *len_out = 0;
    return NULL;
  }
  size_t n;
  const char *k = st_db_iter_key(it->it, &n);
  if (len_out) *len_out = n;
  return k;
}

const void *strata_iter_value(const strata_iter *it, size_t *len_out) {
  if (!strata_iter_valid(it)) {
    if (len_out) *len_out = 0;
    return NULL;
  }
  size_t n;
  const char *v = st_db_iter_value(it->it, &n);
  if (len_out) *len_out = n;
  return v;
}

int strata_iter_status(const strata_iter *it) {
  if (!it) return st_error(STRATA_EINVAL, "strata_iter_status: NULL iterator");
  return st_db_iter_status(it->it);
}
