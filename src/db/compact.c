/*
 * compact.c - the database side of compaction: background workers that
 * pick and run compactions (compact/), install their results with a
 * manifest edit, and remove what became obsolete; and strata_compact_range.
 * A compaction's input tables are "busy" while it runs, so that two never
 * share an input. A failed compaction changes nothing (its outputs are
 * removed) and is retried after a pause; a failed manifest edit makes the
 * database read-only, as for a flush.
 */
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "db/db_impl.h"

/* After a failed compaction, workers pause this long before the next. */
#define RETRY_MICROS 1000000

void st_db_maybe_schedule_compaction(strata_db *db) { st_cond_broadcast(&db->work_cv); }

/* Marks c's inputs busy and adds c to the running ones (mu held); 0 when
 * an input already is busy (or ENOMEM). Every compaction has an input, so
 * the running ones fit in cap_busy. */
static int claim(strata_db *db, st_compaction *c) {
  size_t n = c->ninputs[0] + c->ninputs[1];
  st_busy_files busy = {db->busy, db->nbusy};
  if (st_compaction_is_busy(c, &busy)) return 0;
  if (db->nbusy + n > db->cap_busy) {
    size_t cap = db->cap_busy ? db->cap_busy * 2 : 64;
    while (cap < db->nbusy + n) cap *= 2;
    uint64_t *b = realloc(db->busy, cap * sizeof *b);
    if (!b) return 0;
    db->busy = b;
    st_compaction **r = realloc(db->running, cap * sizeof *r);
    if (!r) return 0;
    db->running = r;
    db->cap_busy = cap;
  }
  for (int w = 0; w < 2; w++)
    for (size_t i = 0; i < c->ninputs[w]; i++) db->busy[db->nbusy++] = c->inputs[w][i]->number;
  db->running[db->nrunning++] = c;
  return 1;
}

static void release(strata_db *db, const st_compaction *c) {
  for (int w = 0; w < 2; w++)
    for (size_t i = 0; i < c->ninputs[w]; i++)
      for (size_t k = 0; k < db->nbusy; k++)
        if (db->busy[k] == c->inputs[w][i]->number) {
          db->busy[k] = db->busy[--db->nbusy];
          break;
        }
  for (size_t k = 0; k < db->nrunning; k++)
    if (db->running[k] == c) {
      db->running[k] = db->running[--db->nrunning];
      break;
    }
}

/* The outputs one run has numbered: all of them stop being pending when
 * the run ends, installed or not. */
typedef struct run_outputs {
  strata_db *db;
  uint64_t *numbers;
  size_t n, cap;
  int lost; /* a number could not be recorded */
} run_outputs;

static uint64_t new_output(void *arg) {
  run_outputs *o = arg;
  uint64_t number = st_db_pending_new(o->db);
  if (o->n == o->cap) {
    size_t cap = o->cap ? o->cap * 2 : 8;
    uint64_t *v = realloc(o->numbers, cap * sizeof *v);
    if (!v) {
      o->lost = 1; /* it stays pending: kept until the next open, never lost */
      return number;
    }
    o->numbers = v;
    o->cap = cap;
  }
  o->numbers[o->n++] = number;
  return number;
}

/*
 * Runs c (its inputs claimed) and installs the result; mu held on entry
 * and exit, released meanwhile. Returns the compaction's result.
 */
static int run_compaction(strata_db *db, st_compaction *c) {
  size_t nsnaps;
  uint64_t *snaps = st_db_snapshot_seqs(db, &nsnaps);
  int rc = db->nsnapshots && !snaps ? st_error(STRATA_ENOMEM, "compaction: out of memory") : STRATA_OK;
  uint64_t last_seq = atomic_load_explicit(&db->last_seq, memory_order_acquire);
  db->ncompacting++;
  st_mutex_unlock(&db->mu);
  run_outputs outputs = {.db = db};

  st_compaction_ctx ctx = {
      .env = db->env,
      .dir = db->dir,
      .table_cache = db->table_cache,
      .table_opt = &db->table_opt,
      .target_file_bytes = db->copt.target_file_bytes,
      .new_file = new_output,
      .arg = &outputs,
      .snapshots = snaps,
      .nsnapshots = nsnaps,
      .last_seq = last_seq,
      .stop = &db->stop_compacting,
      .list_max = db->opt.list_max_elements,
      .max_list_bytes = st_db_max_list_bytes(db),
  };
  st_compaction_stats cs = {0};
  st_version_edit edit;
  st_version_edit_init(&edit);
  if (!rc) rc = st_compaction_run(c, &ctx, &edit, &cs);
  /* Outputs must be durable names in the directory before the manifest
   * refers to them. */
  if (!rc && !c->trivial_move) rc = db->env->sync_dir(db->env, db->dir);
  int fatal = 0;
  if (!rc) {
    rc = st_version_set_apply(db->vs, &edit);
    fatal = rc != STRATA_OK;
  }
  /* Outputs are in the version now, or not to be kept: a failed job
   * removed its own, and after a failed directory fsync or apply the sweep
   * decides (the set keeps them live when the edit may be on disk). No
   * longer pending either way. */
  for (size_t i = 0; i < outputs.n; i++) st_db_pending_done(db, outputs.numbers[i]);
  free(outputs.numbers);
  st_version_edit_clear(&edit);
  free(snaps);
  if (!rc) {
    if (c->reason == ST_COMPACT_READS) atomic_fetch_add_explicit(&db->stats.read_compactions, 1, memory_order_relaxed);
    if (c->reason == ST_COMPACT_TOMBSTONES || c->reason == ST_COMPACT_RANGE_DELETES)
      atomic_fetch_add_explicit(&db->stats.tombstone_compactions, 1, memory_order_relaxed);
    if (c->trivial_move) {
      atomic_fetch_add_explicit(&db->stats.trivial_moves, 1, memory_order_relaxed);
    } else {
      atomic_fetch_add_explicit(&db->stats.compactions, 1, memory_order_relaxed);
      atomic_fetch_add_explicit(&db->stats.compaction_bytes_read, cs.bytes_read, memory_order_relaxed);
      atomic_fetch_add_explicit(&db->stats.compaction_bytes_written, cs.bytes_written, memory_order_relaxed);
      atomic_fetch_add_explicit(&db->stats.tombstones_dropped, cs.tombstones_dropped, memory_order_relaxed);
      atomic_fetch_add_explicit(&db->stats.versions_dropped, cs.versions_dropped, memory_order_relaxed);
    }
    /* The inputs are garbage now, unless a reader still holds them: drop
     * the job's own hold on the input version first, or the sweep would
     * find them live and leave them on disk until some later sweep. */
    st_version_unref(c->version);
    c->version = NULL;
    st_db_delete_obsolete_files(db);
  } else if (rc != STRATA_EBUSY) {
    atomic_fetch_add_explicit(&db->stats.compaction_failures, 1, memory_order_relaxed);
  }

  st_mutex_lock(&db->mu);
  db->ncompacting--;
  if (fatal) st_db_set_bg_error(db, rc);
  if (rc && rc != STRATA_EBUSY)
    db->retry_compaction_at = db->env->now_micros(db->env) + RETRY_MICROS;
  st_cond_broadcast(&db->compacted_cv);
  st_cond_broadcast(&db->work_cv); /* more may be due now */
  return rc;
}

static void *compact_main(void *arg) {
  strata_db *db = arg;
  st_mutex_lock(&db->mu);
  while (!db->stopping) {
    st_compaction *c = NULL;
    uint64_t now = db->env->now_micros(db->env);
    if (!db->bg_error && now >= db->retry_compaction_at && !db->manual_compactions && !db->flush_placing) {
      st_version *v = st_version_set_current(db->vs);
      st_busy_files busy = {db->busy, db->nbusy};
      c = st_compaction_pick(v, &db->copt, &busy);
      int weigh = !c && st_db_covered_waiting(v);
      st_version_unref(v);
      if (c && !claim(db, c)) {
        st_compaction_free(c);
        c = NULL;
      }
      if (weigh) {
        /* Nothing due: new tables may be, once their range tombstones are
         * weighed. Then pick again: whatever was signalled while mu was
         * released (a flush, close) is seen by the next round. */
        st_mutex_unlock(&db->mu);
        st_db_estimate_covered(db);
        st_mutex_lock(&db->mu);
        continue;
      }
      if (!c && st_db_memtable_weigh_due(db)) {
        /* So may the memtable's range deletes, once flushed. */
        st_db_weigh_memtable(db);
        continue;
      }
    }
    if (!c) {
      uint64_t wait_ms = 1000;
      if (db->retry_compaction_at > now) wait_ms = (db->retry_compaction_at - now) / 1000 + 1;
      st_cond_timedwait_ms(&db->work_cv, &db->mu, wait_ms);
      continue;
    }
    run_compaction(db, c);
    release(db, c);
    st_compaction_free(c);
  }
  st_mutex_unlock(&db->mu);
  return NULL;
}

int st_db_compaction_threads_start(strata_db *db) {
  int n = db->opt.background_threads - 1;
  for (int i = 0; i < n; i++) {
    int rc = db->env->thread_start(db->env, compact_main, db, &db->compact_threads[i]);
    if (rc) return rc;
    db->ncompact_threads++;
  }
  return STRATA_OK;
}

void st_db_compaction_threads_stop(strata_db *db) {
  atomic_store(&db->stop_compacting, 1);
  st_mutex_lock(&db->mu);
  db->stopping = 1;
  st_cond_broadcast(&db->work_cv);
  st_mutex_unlock(&db->mu);
  for (int i = 0; i < db->ncompact_threads; i++) db->env->thread_join(db->env, db->compact_threads[i]);
  db->ncompact_threads = 0;
}

/* 1 when every input table of c was written after file number first. */
static int written_since(const st_compaction *c, uint64_t first) {
  for (size_t i = 0; i < c->ninputs[0]; i++)
    if (c->inputs[0][i]->number <= first) return 0;
  return 1;
}

/* The deepest level holding tables that overlap the range (0 if none). */
static int deepest_overlapping(strata_db *db, const void *begin, size_t blen, const void *end, size_t elen) {
  st_version *v = st_version_set_current(db->vs);
  int deepest = 0;
  for (int level = 1; level < ST_LEVELS; level++) {
    st_compaction *c = st_compaction_range(v, level, begin, blen, end, elen, 1);
    if (c) {
      deepest = level;
      st_compaction_free(c);
    }
  }
  st_version_unref(v);
  return deepest;
}

int strata_compact_range(strata_db *db, const void *begin, size_t blen, const void *end, size_t elen) {
  if (!db || (begin == NULL && blen) || (end == NULL && elen))
    return st_error(STRATA_EINVAL, "strata_compact_range: NULL database, or NULL bound with a non-zero length");
  /* What is in memory goes down too. */
  int rc = strata_flush(db);
  if (rc) return rc;
  st_mutex_lock(&db->mu);
  db->manual_compactions++; /* no background compaction starts now */
  /* One running could still move the range's tables below the deepest
   * level found next: let those end first. */
  while (db->ncompacting && !db->bg_error) st_cond_wait(&db->compacted_cv, &db->mu);
  st_mutex_unlock(&db->mu);
  /* Every level down to the deepest holding the range is rewritten, that
   * one included (into the next level, or in place at the last), so that
   * garbage kept for snapshots since released goes too. */
  int deepest = deepest_overlapping(db, begin, blen, end, elen);
  /* Tables numbered above this one are written by this call. */
  uint64_t first_new = st_version_set_new_file_number(db->vs);
  st_mutex_lock(&db->mu);
  for (int level = 0; level <= deepest && !rc; level++) {
    for (;;) {
      if (db->bg_error) {
        rc = st_error(STRATA_EREADONLY, "compaction stopped: the database is read-only after %s",
                      strata_strerror(db->bg_error));
        break;
      }
      if (db->flush_placing) { /* its table may land in this range */
        st_cond_wait(&db->flushed_cv, &db->mu);
        continue;
      }
      st_version *v = st_version_set_current(db->vs);
      st_compaction *c = st_compaction_range(v, level, begin, blen, end, elen, 1);
      st_version_unref(v);
      if (!c) break; /* this level is done */
      if (level == deepest && level > 0 && written_since(c, first_new)) {
        /* The level above was just compacted into every one of these
         * tables: they hold no garbage a rewrite would drop. */
        st_compaction_free(c);
        break;
      }
      if (!claim(db, c)) {
        st_compaction_free(c);
        if (!db->ncompacting) {
          rc = st_error(STRATA_ENOMEM, "compaction: out of memory");
          break;
        }
        /* A background compaction holds some inputs: wait for it. */
        st_cond_wait(&db->compacted_cv, &db->mu);
        continue;
      }
      rc = run_compaction(db, c);
      release(db, c);
      st_compaction_free(c);
      break; /* the level's overlapping tables are now one level down */
    }
  }
  db->manual_compactions--;
  st_cond_broadcast(&db->work_cv);
  st_mutex_unlock(&db->mu);
  return rc;
}
