/*
 * db_impl.h - the inside of strata_db, shared by the files of src/db/:
 * open/close (open.c), recovery (recovery.c), the write queue (write.c),
 * flushes (flush.c), reads (read.c), snapshots (snapshot.c), iterators
 * (iterator.c), compaction workers and strata_compact_range (compact.c),
 * readers' views (view.c), obsolete files (obsolete.c), the periodic sync
 * thread (sync_thread.c) and properties (stats.c).
 * Lock order: db->obsolete_mu, then db->mu, then the version set's and
 * the caches' own mutexes.
 */
#ifndef STRATA_DB_DB_IMPL_H
#define STRATA_DB_DB_IMPL_H

#include <stdatomic.h>
#include <stdint.h>

#include "db/batch.h"
#include "env/env.h"
#include "env/sync.h"
#include "format/block_handle.h"
#include "mem/memtable.h"
#include "compact/compaction.h"
#include "sst/block_cache.h"
#include "sst/table_builder.h"
#include "sst/table_cache.h"
#include "strata.h"
#include "version/version_set.h"
#include "wal/wal_writer.h"

typedef struct st_writer st_writer;

/* Counters behind "strata.stats"; relaxed atomics, read without a lock. */
typedef struct st_db_stats {
  atomic_uint_fast64_t records, batches, groups, wal_bytes, wal_syncs;
  atomic_uint_fast64_t gets, get_hits;
  atomic_uint_fast64_t bloom_checked, bloom_useful; /* table lookups; those the filter answered */
  atomic_uint_fast64_t table_lookups;
  atomic_uint_fast64_t flushes, flush_bytes, flush_failures;
  atomic_uint_fast64_t early_flushes; /* memtables sealed early for what their range deletes hide */
  atomic_uint_fast64_t user_bytes;           /* key and value bytes written by users */
  atomic_uint_fast64_t slowdown_micros;      /* writes slept: level 0 at l0_slowdown_trigger */
  atomic_uint_fast64_t stop_micros;          /* writes waited: flushes or level 0 behind */
  atomic_int writers_stopped;                /* waiting in a stop now: a group's leader or strata_flush */
  atomic_uint_fast64_t compactions, trivial_moves, compaction_failures;
  atomic_uint_fast64_t read_compactions; /* installed, picked because reads made a table due */
  atomic_uint_fast64_t tombstone_compactions; /* installed, picked for a table's tombstones */
  atomic_uint_fast64_t compaction_bytes_read, compaction_bytes_written;
  atomic_uint_fast64_t tombstones_dropped, versions_dropped;
  atomic_uint_fast64_t tombstones_skipped; /* by iterators */
  atomic_uint_fast64_t recovered_logs, recovered_batches, recovered_records;
  atomic_uint_fast64_t wal_tail_dropped_bytes;    /* crash tail cut at open */
  atomic_uint_fast64_t wal_corrupt_dropped_bytes; /* skipped with SKIP_CORRUPT */
  atomic_uint_fast64_t obsolete_files_deleted;
} st_db_stats;

struct strata_snapshot {
  uint64_t seq;
  strata_snapshot *prev, *next; /* the db's list, guarded by db->mu */
};

#define ST_MAX_IMM 16

struct strata_db {
  st_env *env;
  char *dir;
  strata_options opt;
  st_file *lock;
  st_version_set *vs;
  st_block_cache *block_cache; /* NULL when block_cache_bytes is 0 */
  st_table_cache *table_cache;
  st_table_options table_opt;

  st_mutex mu;
  /* Guarded by mu: */
  st_writer *queue_head, *queue_tail; /* the write queue; head is the leader */
  st_memtable *mem;                   /* the active memtable */
  st_memtable *imm[ST_MAX_IMM];       /* sealed memtables waiting for flush, oldest first */
  uint64_t imm_next_log[ST_MAX_IMM];  /* the first log not covered by imm[i] */
  int nimm;
  int bg_error;                       /* first fatal error; writes get STRATA_EREADONLY */
  int stopping;                       /* close has begun: background threads exit */
  st_cond sync_cv;                    /* wakes the periodic sync thread */
  st_cond flush_cv;                   /* wakes the flush thread */
  st_cond flushed_cv;                 /* a flush ended (room for writers, strata_flush) */
  st_cond work_cv;                    /* wakes compaction workers */
  st_cond compacted_cv;               /* a compaction ended (stalled writers, compact_range) */
  uint64_t *busy;                     /* input tables of running compactions */
  size_t nbusy, cap_busy;
  st_compaction **running; /* the running compactions (cap_busy of room) */
  size_t nrunning;
  int flush_placing; /* a flush is installing a table below level 0:
                      * no compaction may start (compaction.h) */
  uint64_t *pending;                  /* tables being written: not obsolete */
  size_t npending, cap_pending;
  int pending_lost;                   /* a pending number could not be recorded: sweep no tables */
  int ncompacting;                    /* compactions running */
  int manual_compactions;             /* strata_compact_range calls running */
  uint64_t retry_compaction_at;       /* after a failure, no new compaction before (micros) */
  uint64_t flushes_done;              /* flushes ended, successfully or not */
  strata_snapshot snapshots;          /* list head (sentinel) */
  int nsnapshots;
  int niters;                         /* open strata_iter handles */
  uint64_t rdel_weighed_log;          /* the memtable (by log number) whose range deletes were last weighed */
  size_t rdel_weighed;                /* how many it held then */
  int rdel_weighing;                  /* a worker is weighing them (st_db_weigh_memtable) */
  uint64_t seal_request;              /* the log of a memtable a worker asked to seal early */

  /* Owned by the current leader of the write queue (and open/close): */
  st_wal_writer *wal;
  uint64_t wal_number;
  strata_batch group; /* scratch batch that joins a group's batches */

  atomic_uint_fast64_t last_seq; /* newest sequence visible to readers */
  void *sync_thread;
  void *flush_thread;
  void *compact_threads[16];
  int ncompact_threads;
  atomic_int stop_compacting;   /* close is waiting: running compactions give up */
  atomic_uint_fast64_t sample_seed; /* iterators' read-sample spacing (iterator.c) */
  st_mutex obsolete_mu;         /* one obsolete-file sweep at a time */
  st_compaction_options copt;
  st_db_stats stats;
};

/* A reader's view (view.c): the memtables, newest first, the current
 * version, and the newest sequence number, all referenced at one moment. */
typedef struct st_db_view {
  st_memtable *mems[1 + ST_MAX_IMM];
  int nmems;
  st_version *version;
  uint64_t seq;
} st_db_view;

/* Takes the view (locks mu for a moment); st_db_view_put releases it. */
void st_db_view_get(strata_db *db, st_db_view *v);
void st_db_view_put(st_db_view *v);

/* Opens dir through env (the POSIX env for strata_open, a fault-injecting
 * one in tests). Same contract as strata_open. */
int st_db_open(const char *dir, const strata_options *o, st_env *env, strata_db **db_out);

/* Validates options; STRATA_EINVAL with a message naming the field. */
int st_options_check(const strata_options *o);

/* Replays the live logs of db->dir (numbered at or above the version set's
 * log number) into db->mem (recovery.c); older ones are left to
 * st_db_delete_obsolete_files. Sets db->last_seq. */
int st_db_recover(strata_db *db);

/* Checks a log record's payload, read at offset `at`, as replay takes it
 * (recovery.c): its batch decodes in the header format its record type
 * names, and its sequence numbers follow *last, which then becomes its
 * last. STRATA_ECORRUPT ("record at offset <at> does not decode: ...")
 * for a whole record that cannot be replayed: damage wherever it is,
 * never a torn tail. strata_verify uses it too, to refuse what open does. */
int st_db_log_record_check(const char *rec, size_t len, int format, uint64_t at, uint64_t *last);

/* Applies batch to the database through the write queue. sync: fsync the
 * log before returning. batch NULL: only sync (the periodic sync thread)
 * or, with force_flush, seal the memtable for flushing (strata_flush). */
int st_db_write(strata_db *db, strata_batch *batch, int sync, int force_flush);

/* The longest list fragment a flush or compaction writes: max_value_bytes,
 * but within what a table entry may hold (ST_BLOCK_MAX_RAW / 2) with room
 * to spare. */
static inline size_t st_db_max_list_bytes(const strata_db *db) {
  size_t cap = ST_BLOCK_MAX_RAW / 4;
  return db->opt.max_value_bytes < cap ? db->opt.max_value_bytes : cap;
}

/* Sequence numbers of the live snapshots, ascending, malloc'ed (NULL
 * when there are none, or when memory is exhausted: tell them apart by
 * db->nsnapshots). mu held. */
uint64_t *st_db_snapshot_seqs(strata_db *db, size_t *n_out);

/* Records in f what opening its table showed: whether it holds range
 * tombstones (rt, the table's list, or NULL). A meta read from the
 * manifest does not know; iterators, point reads and the range-delete
 * weights (covered.c) learn it. Writes only while unknown: reads on many
 * threads do not fight over the line. */
static inline void st_db_note_range_dels(st_file_meta *f, const st_rtombs *rt) {
  if (atomic_load_explicit(&f->range_dels, memory_order_relaxed) < 0)
    atomic_store_explicit(&f->range_dels, rt != NULL, memory_order_relaxed);
}

/* 0 when no table of v can hold key (key ranges and bloom filters say
 * so); 1 on any doubt (read.c). */
int st_db_version_may_hold(strata_db *db, const st_version *v, const void *key, size_t klen);

/* An iterator's read sample (read.c): when more than one table of v may
 * hold key, the first of them is charged one of its allowed_seeks, as a
 * point read that looked past it is (version.h). Any thread. */
void st_db_read_sample(strata_db *db, const st_version *v, const void *key, size_t klen);

/* Iterators take a read sample about once per this many entries they
 * stand on (at random, so that a regular layout cannot dodge it). About
 * LevelDB's 1 MiB of keys and values between samples, for 128-byte
 * entries. */
#define ST_DB_READ_SAMPLE_ENTRIES 8192

/* Feeds m (initialized by the caller) every visible fragment of key at
 * snapshot snap (UINT64_MAX = latest) newest first and finishes it: returns
 * m->rc (STRATA_OK with the result in m, STRATA_NOTFOUND, STRATA_ETYPE) or
 * an error (read.c). */
int st_db_resolve(strata_db *db, uint64_t snap, const void *key, size_t klen, st_merge *m);

/* Records err as the sticky background error (mu held). */
void st_db_set_bg_error(strata_db *db, int err);

/* Seals the memtable (mu held, called by the write-queue leader): a new
 * log, the memtable becomes imm, the flush thread is woken. Waits (mu
 * released meanwhile) while a previous imm is still being flushed. */
int st_db_switch_memtable(strata_db *db);

int st_db_flush_thread_start(strata_db *db);
/* Stops and joins the flush thread, after the flush in progress; mu not held. */
void st_db_flush_thread_stop(strata_db *db);

int st_db_sync_thread_start(strata_db *db);
/* Stops and joins the sync thread; mu not held. */
void st_db_sync_thread_stop(strata_db *db);

/* Removes files no live version or log needs (obsolete.c); mu not held. */
void st_db_delete_obsolete_files(strata_db *db);

/* Allocates a file number for a table about to be written and records it
 * as pending, so that no obsolete-file sweep removes it; mu not held.
 * st_db_pending_done forgets it once the table is installed or removed. */
uint64_t st_db_pending_new(strata_db *db);
void st_db_pending_done(strata_db *db, uint64_t number);

/* Compaction workers (compact.c). */
int st_db_compaction_threads_start(strata_db *db);
void st_db_compaction_threads_stop(strata_db *db);
/* Wakes the workers: a flush or compaction may have made work (mu held). */
void st_db_maybe_schedule_compaction(strata_db *db);
/* Estimates st_file_meta.covered_bytes (covered.c) for some of the tables
 * of the current version above the last level that may hold range
 * tombstones and have no estimate yet; returns how many it estimated (0:
 * none was waiting, or close asked the workers to stop). mu not held.
 * Safe beside readers, flushes and other workers: two that estimate one
 * table store about the same number. */
size_t st_db_estimate_covered(strata_db *db);
/* 1 when some table of v waits for that estimate, else 0; reads only the
 * metas (no I/O), any thread. */
int st_db_covered_waiting(const st_version *v);
/* 1 when the active memtable's range deletes are due to be weighed (mu
 * held): none of it was yet, or they grew by a quarter since, and no
 * worker is at it. Cheap: the write leader asks after each group. */
int st_db_memtable_weigh_due(const strata_db *db);
/* Weighs them (mu held on entry and exit, released meanwhile): the bytes
 * of the tables they hide, against what their table's compaction would
 * rewrite if the memtable were flushed now (st_compaction_flush_cost).
 * When the rule that makes a table due for its range deletes
 * (st_compaction_covered_due) holds, seals the memtable early, so that
 * the flush and that compaction take the hidden data off the disk now
 * rather than when the memtable fills. */
void st_db_weigh_memtable(strata_db *db);
/* Seals the memtable of log log_number (the active one then) early, if
 * that holds nobody up: it is still the active one, holds entries, fewer
 * than max_immutable_memtables wait and level 0 is under
 * l0_slowdown_trigger (stat flush.early_for_range_deletes). Through the
 * write queue when it is empty; else the request is left to the leaders,
 * and this returns at once (never behind a leader that waits for a
 * compaction, which could be the caller's own). A seal that fails is
 * not made, and fails no write: the leader's group goes into the memtable
 * there is (unless the failure made the database read-only). Errors as
 * st_db_write. mu not held. */
int st_db_seal_early(strata_db *db, uint64_t log_number);

/* File names inside the database directory. */
#define ST_MARKER_NAME "STRATA"
#define ST_LOCK_NAME "LOCK"
/* Format 2 is format 1 whose logs may hold type-1 records (the varint
 * batch header); a build that predates them must refuse the directory
 * rather than take those records for a torn tail. */
#define ST_MARKER_TEXT "strata database\nformat 2\n"
#define ST_MARKER_TEXT_V1 "strata database\nformat 1\n"

/* "<dir>/<number, 6+ digits>.log" into out (PATH_MAX bytes). */
void st_db_log_path(const strata_db *db, uint64_t number, char *out, size_t n);

/* 1 and the number when name is "<digits>.log". */
int st_db_parse_log_name(const char *name, uint64_t *number_out);

#endif
