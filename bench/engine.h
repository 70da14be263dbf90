/*
 * engine.h — the one interface strata-bench drives every storage engine
 * through (strata, RocksDB, LevelDB, LMDB), so that each workload is written
 * once and every engine runs exactly the same operations.
 *
 * An engine is a table of functions (bench_engine) plus an opaque handle
 * (void *db) that its open returns. Every engine is opened with the same
 * bench_config, translated as closely as its own options allow; what could
 * not be matched is said by describe().
 *
 * Thread-safety: after open, every write, read and iterator function may be
 * called from several threads at once on one handle (each thread uses its
 * own iterators and buffers). open/close/compact are called with no other
 * call in flight.
 *
 * Typed values (counters, latest-wins values, lists) have operations of
 * their own: strata writes them as typed merge fragments (strata_add,
 * strata_put_latest, strata_append), blind; RocksDB through its merge
 * operator; LevelDB and LMDB read, change and write. What a typed value's
 * bytes look like to get() is each engine's business: the workloads read
 * them back only through the typed reads (get_counter, get_latest,
 * get + list_next), which every engine answers alike.
 *
 * Errors: functions returning int return 0 on success and -1 on failure,
 * after writing a one-line reason with bench_engine_error(); a failure ends
 * the run (the bench does not measure engines that fail).
 */
#ifndef STRATA_BENCH_ENGINE_H
#define STRATA_BENCH_ENGINE_H

#include <stddef.h>
#include <stdint.h>

/* Settings shared by every engine: the "fair settings" printed at the top
 * of each run. */
typedef struct bench_config {
  size_t memtable_bytes;    /* write buffer size */
  size_t block_bytes;       /* data block size before compression */
  int bloom_bits_per_key;   /* 0 = no filter */
  size_t block_cache_bytes; /* uncompressed block cache; 0 = none */
  int compression;          /* 0 none, 1 lz4, 2 zstd (engines that lack it fail to open) */
  int sync;                 /* 1: every write is durable (fsync) before it returns */
  int max_open_files;
  size_t list_max_elements; /* lists keep their newest this many elements; 0 = no bound */
} bench_config;

/* A caller-owned, growable buffer that get() fills: reused across calls so
 * the measured cost is the engine's, not the bench's allocator's. */
typedef struct bench_buf {
  char *data;
  size_t len; /* bytes of the last value */
  size_t cap;
} bench_buf;

/* One operation of an atomic batch (write()). */
typedef struct bench_op {
  int del; /* 1 = delete key, 0 = put key -> val */
  const char *key;
  size_t klen;
  const char *val;
  size_t vlen;
} bench_op;

typedef struct bench_engine {
  const char *name; /* "strata", "rocksdb", "leveldb", "lmdb" */

  /* Opens a fresh database in dir (which exists and is empty). */
  int (*open)(const char *dir, const bench_config *cfg, void **db_out);
  /* Flushes whatever the engine buffers and closes; NULL is ignored. */
  void (*close)(void *db);
  /* One line saying how cfg was applied (engine-specific notes). */
  void (*describe)(const bench_config *cfg, char *out, size_t cap);

  int (*put)(void *db, const char *k, size_t klen, const char *v, size_t vlen);
  int (*del)(void *db, const char *k, size_t klen);
  /* Applies ops[0..n) atomically. */
  int (*write)(void *db, const bench_op *ops, int n);
  /* *found = 1 and the value in out, or *found = 0. */
  int (*get)(void *db, const char *k, size_t klen, bench_buf *out, int *found);
  /* Adds delta to the counter at k (absent = 0). strata: strata_add;
   * RocksDB: its merge operator; LevelDB and LMDB: read, add and put (on
   * LevelDB not atomic across threads: the counter workloads give each key
   * one writer, see keyset.h). */
  int (*merge_add)(void *db, const char *k, size_t klen, int64_t delta);
  /* Reads the counter at k: *found = 1 and *v_out its sum, or *found = 0
   * (and *v_out 0). */
  int (*get_counter)(void *db, const char *k, size_t klen, int64_t *v_out, int *found);

  /* Latest-wins: of all the values written to k, reads show the one with
   * the greatest ts, of equal ts the one written last. v holds ts as its
   * first 8 bytes (big-endian; vlen >= 8), which the engines that compare
   * stored values read back. strata: strata_put_latest (blind); RocksDB:
   * its merge operator (blind); LevelDB and LMDB: get, compare, put when
   * not older (one writer per key, as merge_add). */
  int (*put_latest)(void *db, const char *k, size_t klen, const char *v, size_t vlen, uint64_t ts);
  /* Reads the winner at k: *found = 1, its value in out and its ts in
   * *ts_out, or *found = 0 (and *ts_out 0). */
  int (*get_latest)(void *db, const char *k, size_t klen, bench_buf *out, uint64_t *ts_out, int *found);

  /* Appends one element to the list at k (absent = empty), which then
   * keeps only its newest cfg->list_max_elements elements (0: all).
   * strata: strata_append; RocksDB: its merge operator; LevelDB and LMDB:
   * read, append, cut and put (one writer per key, as merge_add). */
  int (*append)(void *db, const char *k, size_t klen, const char *elem, size_t elen);
  /* Walks a list as get() returned it: start with *pos = 0; returns 1 with
   * the next element in *elem_out / *elen_out (pointing into list), 0 at
   * the end, or -1 when the bytes are not a list. Pure: no engine call. */
  int (*list_next)(const char *list, size_t len, size_t *pos, const char **elem_out, size_t *elen_out);

  /* Deletes every key in [begin, end) (bytewise order; end NULL with elen
   * 0: to the last key). strata: strata_delete_range, one range tombstone;
   * RocksDB: a write batch holding one DeleteRange (its C API has no
   * handle for the default column family to call DeleteRange with).
   * LevelDB and LMDB have no range delete: an iterator finds the keys of
   * the range and each is deleted (LevelDB: one write batch of deletes,
   * not atomic against concurrent writers to the range; LMDB: cursor
   * deletes in one write transaction). */
  int (*delete_range)(void *db, const char *begin, size_t blen, const char *end, size_t elen);
  /* 1 when delete_range is one operation of the engine, 0 when it visits
   * and deletes each key (workloads say so in their output). */
  int native_delete_range;

  /* Compacts the whole key range, so reads see the engine's final shape. */
  int (*compact)(void *db);

  /* A partition scan as an application writes it: every key starting
   * with prefix (whose range ends at end, NULL: the last key), in order,
   * to fn (0 = go on), with the engine's own bounded scan: strata's
   * strata_scan_prefix, RocksDB's iterator with iterate_upper_bound. NULL
   * when the engine has none: the workload then uses a fresh iterator
   * per scan and checks the bound itself. Returns 0, or -1 (reported). */
  int (*scan_prefix)(void *db, const char *prefix, size_t plen, const char *end, size_t elen,
                     int (*fn)(void *arg, const char *k, size_t klen, const char *v, size_t vlen), void *arg);

  /* Iterators: one per thread. seek lands on the first key >= k. */
  void *(*iter_new)(void *db);
  void (*iter_seek)(void *it, const char *k, size_t klen);
  void (*iter_seek_first)(void *it);
  void (*iter_seek_last)(void *it);
  void (*iter_next)(void *it);
  void (*iter_prev)(void *it);
  int (*iter_valid)(void *it);
  const char *(*iter_key)(void *it, size_t *len);
  const char *(*iter_value)(void *it, size_t *len);
  /* Returns 0, or -1 (and reports) if the iterator ended on an error. */
  int (*iter_free)(void *it);
} bench_engine;

/* The engines built into this binary; NULL when name is unknown or was not
 * compiled in (its -dev package was missing at build time). */
const bench_engine *bench_engine_find(const char *name);
/* Comma-separated names of the engines compiled in. */
const char *bench_engine_list(void);

/* Records the reason of a failure (printf-style), printed by the bench. */
void bench_engine_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The message of the last bench_engine_error() call, or "" if none. The
 * buffer is shared by all threads (the last writer wins): read it after the
 * threads that may have failed have ended. */
const char *bench_engine_last_error(void);

/* Grows b to hold n bytes; returns 0, or -1 on out of memory. */
int bench_buf_reserve(bench_buf *b, size_t n);

extern const bench_engine bench_engine_strata;
extern const bench_engine bench_engine_rocksdb; /* defined when BENCH_HAVE_ROCKSDB */
extern const bench_engine bench_engine_leveldb; /* defined when BENCH_HAVE_LEVELDB */
extern const bench_engine bench_engine_lmdb;    /* defined when BENCH_HAVE_LMDB */

#endif
