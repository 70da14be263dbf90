/*
 * covered.c - how many bytes of older tables a table's range tombstones
 * hide: the estimate (st_file_meta.covered_bytes) by which the picker
 * pushes a table holding range deletes down to the data they delete
 * (picker.c), so that a partition deleted with one range delete leaves the
 * disk without a strata_compact_range. RocksDB weighs range deletes the
 * same way (its "compensated range deletion size").
 *
 * The compaction workers make the estimates when they find nothing due,
 * for the tables of the current version that have none yet; they are not
 * recorded anywhere, so the tables of flushes and compactions, and every
 * table after an open, get theirs that way. For each run of the table's
 * fragments (fragments that meet end to start), an older table wholly
 * inside the run counts its size, and one the run cuts counts the
 * distance between the block offsets its index gives for the run's ends
 * (st_table_offset_of). An estimate goes stale as compactions move the
 * data it counted: a stale one costs at most a few compactions of the
 * table further down, whose outputs are estimated afresh.
 *
 * The active memtable's range deletes are weighed the same way, over all
 * the tables (st_db_weigh_memtable): when its table would be due at once,
 * it is sealed early instead of when it fills, which may be long after a
 * burst of deletes, with reads wading through the hidden data and the
 * disk holding it meanwhile (RocksDB flushes on a count of range deletes,
 * its memtable_max_range_deletions). Weighing again only once they have
 * grown by a quarter keeps the work within a few times one weighing of
 * the final list.
 */
#include <stdlib.h>

#include "base/error.h"
#include "db/db_impl.h"
#include "format/ikey.h"
#include "format/range_del.h"

/* Tables estimated per call, so that a worker goes back to picking soon
 * after a flush or an open made many. */
#define COVERED_BATCH 16

/* A stretch of keys [lo, hi) (open: to the last key) that fragments of the
 * list cover without a gap; points into the list. */
typedef struct run {
  const char *lo, *hi;
  size_t lolen, hilen;
  int open;
} run;

/* The runs of rt, in key order, malloc'ed; NULL with *n_out 0 when memory
 * runs out (no estimate then). */
static run *runs_of(const st_rtombs *rt, size_t *n_out) {
  run *r = malloc(rt->n * sizeof *r);
  size_t n = 0;
  *n_out = 0;
  if (!r) return NULL;
  for (size_t i = 0; i < rt->n; i++) {
    const st_rfrag *f = &rt->frags[i];
    if (n > 0 && !r[n - 1].open && st_ukey_compare(r[n - 1].hi, r[n - 1].hilen, f->start, f->slen) == 0) {
      r[n - 1].hi = f->end;
      r[n - 1].hilen = f->elen;
      r[n - 1].open = f->open;
    } else {
      r[n++] = (run){f->start, f->end, f->slen, f->elen, f->open};
    }
  }
  *n_out = n;
  return r;
}

/* The bytes of older table g inside runs[0, n). */
static uint64_t covered_in(strata_db *db, const st_file_meta *g, const run *runs, size_t n) {
  const char *gs = g->smallest;
  size_t gslen = g->smallest_len - ST_IKEY_TRAILER;
  int g_open = st_ikey_is_open_largest(g->largest, g->largest_len);
  /* The first run ending after g's smallest key. */
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (!runs[mid].open && st_ukey_compare(runs[mid].hi, runs[mid].hilen, gs, gslen) <= 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  uint64_t bytes = 0;
  st_table *t = NULL;
  for (size_t i = lo; i < n; i++) {
    const run *r = &runs[i];
    if (!g_open && st_largest_ukey_compare(g->largest, g->largest_len, r->lo, r->lolen) < 0) break;
    int from_start = st_ukey_compare(r->lo, r->lolen, gs, gslen) <= 0;
    int to_end = r->open || (!g_open && st_largest_ukey_compare(g->largest, g->largest_len, r->hi, r->hilen) < 0);
    if (from_start && to_end) {
      bytes = g->size;
      break;
    }
    /* An estimate only: a table that does not open counts nothing here,
     * and the reads that need it report why. */
    if (!t && st_table_cache_get(db->table_cache, g->number, &t) != STRATA_OK) return bytes;
    uint64_t a = from_start ? 0 : st_table_offset_of(t, r->lo, r->lolen);
    uint64_t b = st_table_offset_of(t, r->open ? NULL : r->hi, r->hilen);
    if (b > a) bytes += b - a;
  }
  if (t) st_table_cache_release(db->table_cache, t);
  return bytes;
}

/* The bytes runs[0, n) hide in the tables of v from level down: at level
 * 0 in its tables from index first on, at deeper levels within the span
 * between the first run's start and the last run's end. */
static uint64_t covered_from(strata_db *db, const st_version *v, const run *runs, size_t n, int level, size_t first) {
  uint64_t bytes = 0;
  if (n == 0) return 0;
  if (level == 0) {
    for (size_t j = first; j < v->nfiles[0]; j++) bytes += covered_in(db, v->files[0][j], runs, n);
    level = 1;
  }
  const run *last = &runs[n - 1];
  for (int l = level; l < ST_LEVELS; l++) {
    for (size_t j = st_version_first_reaching(v, l, runs[0].lo, runs[0].lolen); j < v->nfiles[l]; j++) {
      const st_file_meta *g = v->files[l][j];
      if (!last->open && st_ukey_compare(g->smallest, g->smallest_len - ST_IKEY_TRAILER, last->hi, last->hilen) >= 0)
        break;
      bytes += covered_in(db, g, runs, n);
    }
  }
  return bytes;
}

/* The estimate for table i of level in v: the bytes its range tombstones
 * hide in the tables older than it (deeper levels; at level 0 also the
 * level-0 tables after it). A table that does not open (or memory running
 * out) weighs 0: the reads that need it report why. */
static uint64_t estimate(strata_db *db, const st_version *v, int level, size_t i) {
  st_file_meta *f = v->files[level][i];
  st_table *t;
  if (st_table_cache_get(db->table_cache, f->number, &t) != STRATA_OK) return 0;
  const st_rtombs *rt = st_table_rtombs(t);
  st_db_note_range_dels(f, rt);
  size_t n = 0;
  run *runs = rt ? runs_of(rt, &n) : NULL;
  uint64_t bytes = level == 0 ? covered_from(db, v, runs, n, 0, i + 1) : covered_from(db, v, runs, n, level + 1, 0);
  free(runs);
  st_table_cache_release(db->table_cache, t);
  return bytes;
}

/* Whether f (above the last level) waits for its estimate: it is known
 * to hold range tombstones. A table not known either way (after an open)
 * waits until a read opens it: opening every table with tombstones just
 * to ask would read the meta blocks of much of a large database after
 * each open. */
static int waiting(st_file_meta *f) {
  return atomic_load_explicit(&f->range_dels, memory_order_relaxed) > 0 &&
         atomic_load_explicit(&f->covered_bytes, memory_order_relaxed) < 0;
}

int st_db_covered_waiting(const st_version *v) {
  for (int level = 0; level < ST_LEVELS - 1; level++)
    for (size_t i = 0; i < v->nfiles[level]; i++)
      if (waiting(v->files[level][i])) return 1;
  return 0;
}

size_t st_db_estimate_covered(strata_db *db) {
  st_version *v = st_version_set_current(db->vs);
  size_t done = 0;
  for (int level = 0; level < ST_LEVELS - 1 && done < COVERED_BATCH; level++)
    for (size_t i = 0; i < v->nfiles[level] && done < COVERED_BATCH; i++) {
      st_file_meta *f = v->files[level][i];
      if (!waiting(f)) continue;
      if (atomic_load_explicit(&db->stop_compacting, memory_order_relaxed)) goto out;
      uint64_t bytes = estimate(db, v, level, i);
      atomic_store_explicit(&f->covered_bytes, bytes > INT64_MAX ? INT64_MAX : (int64_t)bytes,
                            memory_order_relaxed);
      done++;
    }
out:
  st_version_unref(v);
  return done;
}

/* ---- the active memtable ---------------------------------------------- */

int st_db_memtable_weigh_due(const strata_db *db) {
  if (db->rdel_weighing) return 0;
  size_t n = atomic_load_explicit(&db->mem->rdel_count, memory_order_relaxed);
  if (n == 0) return 0;
  if (db->rdel_weighed_log != db->wal_number) return 1;
  return n > db->rdel_weighed + db->rdel_weighed / 4;
}

/* Whether mem's range deletes would make its table due for them at once,
 * were it flushed now over the current version. */
static int memtable_due(strata_db *db, st_memtable *mem) {
  st_rtombs *rt;
  if (st_memtable_rtombs(mem, &rt) != STRATA_OK || !rt) return 0;
  size_t n;
  run *runs = runs_of(rt, &n);
  int due = 0;
  if (n > 0) {
    st_version *v = st_version_set_current(db->vs);
    const run *last = &runs[n - 1];
    uint64_t covered = covered_from(db, v, runs, n, 0, 0);
    uint64_t cost = st_compaction_flush_cost(v, runs[0].lo, runs[0].lolen, last->open ? NULL : last->hi, last->hilen,
                                             st_memtable_bytes(mem));
    due = st_compaction_covered_due(&db->copt, covered, cost);
    st_version_unref(v);
  }
  free(runs);
  st_rtombs_unref(rt);
  return due;
}

void st_db_weigh_memtable(strata_db *db) {
  st_memtable *mem = db->mem;
  uint64_t log = db->wal_number;
  /* Loaded before the list is built, which then holds at least these. */
  size_t count = atomic_load_explicit(&mem->rdel_count, memory_order_acquire);
  st_memtable_ref(mem);
  db->rdel_weighing = 1;
  st_mutex_unlock(&db->mu);
  /* A seal that fails leaves the memtable as it was, or, when the old log
   * could not be made durable, the database read-only: writers say so. */
  if (!atomic_load_explicit(&db->stop_compacting, memory_order_relaxed) && memtable_due(db, mem))
    (void)st_db_seal_early(db, log);
  st_memtable_unref(mem);
  st_mutex_lock(&db->mu);
  db->rdel_weighed_log = log;
  db->rdel_weighed = count;
  db->rdel_weighing = 0;
}
