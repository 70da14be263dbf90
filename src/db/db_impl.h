/*
 * db_impl.h - the inside of strata_db, shared by the files of src/db/:
 * open/close (open.c), recovery (recovery.c), the write queue (write.c),
 * reads (read.c), the periodic sync thread (sync_thread.c) and properties
 * (stats.c). Lock order: only db->mu exists so far.
 */
#ifndef STRATA_DB_DB_IMPL_H
#define STRATA_DB_DB_IMPL_H

#include <stdatomic.h>
#include <stdint.h>

#include "db/batch.h"
#include "env/env.h"
#include "env/sync.h"
#include "mem/memtable.h"
#include "strata.h"
#include "wal/wal_writer.h"

typedef struct st_writer st_writer;

/* Counters behind "strata.stats"; relaxed atomics, read without a lock. */
typedef struct st_db_stats {
  atomic_uint_fast64_t records, batches, groups, wal_bytes, wal_syncs;
  atomic_uint_fast64_t gets, get_hits;
  atomic_uint_fast64_t recovered_logs, recovered_batches, recovered_records;
  atomic_uint_fast64_t wal_tail_dropped_bytes;    /* crash tail cut at open */
  atomic_uint_fast64_t wal_corrupt_dropped_bytes; /* skipped with SKIP_CORRUPT */
} st_db_stats;

struct strata_db {
  st_env *env;
  char *dir;
  strata_options opt;
  st_file *lock;

  st_mutex mu;
  /* Guarded by mu: */
  st_writer *queue_head, *queue_tail; /* the write queue; head is the leader */
  st_memtable *mem;                   /* the active memtable */
  int bg_error;                       /* first fatal error; writes get STRATA_EREADONLY */
  int stopping;                       /* close has begun: the sync thread exits */
  st_cond sync_cv;                    /* wakes the periodic sync thread */

  /* Owned by the current leader of the write queue (and open/close): */
  st_wal_writer *wal;
  uint64_t wal_number;
  strata_batch group; /* scratch batch that joins a group's batches */

  atomic_uint_fast64_t last_seq; /* newest sequence visible to readers */
  uint64_t next_file;            /* next file number; open only, so far */
  void *sync_thread;
  st_db_stats stats;
};

/* Opens dir through env (the POSIX env for strata_open, a fault-injecting
 * one in tests). Same contract as strata_open. */
int st_db_open(const char *dir, const strata_options *o, st_env *env, strata_db **db_out);

/* Validates options; STRATA_EINVAL with a message naming the field. */
int st_options_check(const strata_options *o);

/* Replays every log of db->dir into db->mem (recovery.c). Sets
 * db->last_seq and db->next_file. */
int st_db_recover(strata_db *db);

/* Applies batch to the database through the write queue. sync: fsync the
 * log before returning. batch NULL: only sync (the periodic sync thread). */
int st_db_write(strata_db *db, strata_batch *batch, int sync);

/* Records err as the sticky background error (mu held). */
void st_db_set_bg_error(strata_db *db, int err);

int st_db_sync_thread_start(strata_db *db);
/* Stops and joins the sync thread; mu not held. */
void st_db_sync_thread_stop(strata_db *db);

/* File names inside the database directory. */
#define ST_MARKER_NAME "STRATA"
#define ST_LOCK_NAME "LOCK"
#define ST_MARKER_TEXT "strata database\nformat 1\n"

/* "<dir>/<number, 6+ digits>.log" into out (PATH_MAX bytes). */
void st_db_log_path(const strata_db *db, uint64_t number, char *out, size_t n);

/* 1 and the number when name is "<digits>.log". */
int st_db_parse_log_name(const char *name, uint64_t *number_out);

#endif
