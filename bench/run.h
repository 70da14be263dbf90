/*
 * run.h - one invocation's state (the open engine and what the bench knows
 * the database holds) and the machinery of a timed row: worker threads
 * started together, per-operation latencies, the I/O and space measured
 * around it, and the checks of what the workers read.
 */
#ifndef STRATA_BENCH_RUN_H
#define STRATA_BENCH_RUN_H

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "args.h"
#include "dbdir.h"
#include "engine.h"
#include "histogram.h"
#include "keys.h"
#include "meter.h"
#include "report.h"

/* What the database holds, as far as the reads need to know. */
typedef enum bench_data {
  BENCH_DATA_NONE,  /* nothing (fresh) */
  BENCH_DATA_INDEX, /* the index keys i*stride for i*stride < num, values stamped with i */
  BENCH_DATA_OTHER  /* an application workload's keys */
} bench_data;

typedef struct bench_ctx {
  const bench_args *args;
  const bench_engine *eng;
  void *db;
  const bench_dbdir *dir;
  bench_report *report;
  bench_pool pool;
  int progress;
  int open_sync; /* the sync setting the engine was opened with */
  int pristine;  /* nothing has run since the database was made: no need to wipe it */

  bench_data data;
  uint64_t stride;     /* BENCH_DATA_INDEX: 1 after a fill, 2 after deletescan */
  uint64_t live_keys;  /* keys the database holds, tracked by the bench */
  uint64_t live_bytes; /* their user bytes (keys and values): space amplification's denominator */
  int compacted;       /* a compact step ran on this database: rows say "/compacted" */
  int wrong_rows;      /* rows that read wrong results: the exit status is 1 */
} bench_ctx;

/* Opens the engine on c->dir (empty). Returns 0, or -1 (reason in
 * bench_engine_last_error()). */
int bench_ctx_open(bench_ctx *c, int sync);

/* Closes the engine and opens it again, with the directory emptied first
 * when wipe is set (a fresh database: nothing tracked survives). sync: the
 * sync setting to open with. Returns 0, or -1 (reason in
 * bench_engine_last_error()). */
int bench_ctx_reopen(bench_ctx *c, int wipe, int sync);

/* A fresh database opened with sync (skips the work when nothing ran
 * since the last one was made with the same setting). */
int bench_ctx_fresh(bench_ctx *c, int sync);

/* The number of live index keys, and the index of the k-th (k < count). */
static inline uint64_t bench_index_count(const bench_ctx *c) { return (c->args->num + c->stride - 1) / c->stride; }

/* ---- worker threads ------------------------------------------------------ */

typedef struct bench_thread {
  bench_ctx *ctx;
  const void *arg; /* the workload's shared input */
  int id, nthreads;
  bench_rng rng; /* seeded from --seed, the thread and the benchmark */
  bench_meter_slot *slot;
  uint64_t last_ns; /* end of the previous operation */

  /* Results, summed over the threads after the row. */
  uint64_t ops;
  uint64_t user_bytes; /* bytes of keys and values the workload asked to write */
  uint64_t tally;      /* workload-defined (keys found, entries seen, ...) */
  uint64_t tally2;
  uint64_t wrong; /* reads that returned something other than what was written */
  char wrong_msg[256];

  bench_buf buf; /* get() output */
  char *val;     /* value being written, value-size bytes (or more, see bench_value) */
  char key[BENCH_KEY_MAX + 1];
  char key2[BENCH_KEY_MAX + 1];
  bench_hist hist;
} bench_thread;

/* A worker: runs its share of the row; returns 0, or -1 when the engine
 * failed (which ends the run). */
typedef int (*bench_thread_fn)(bench_thread *t);

/* The end of one operation: its latency (since the previous one ended, so
 * the bench's own key making counts too, as it does in ops/s) and the
 * meter. */
static inline void bench_op_done(bench_thread *t) {
  uint64_t now = bench_now_ns();
  bench_hist_add(&t->hist, now - t->last_ns);
  t->last_ns = now;
  t->ops++;
  bench_meter_tick(t->slot);
}

/* This thread's share [*b, *e) of n items. */
static inline void bench_part(const bench_thread *t, uint64_t n, uint64_t *b, uint64_t *e) {
  *b = n * (uint64_t)t->id / (uint64_t)t->nthreads;
  *e = n * (uint64_t)(t->id + 1) / (uint64_t)t->nthreads;
}

/* Records a wrong result (printf-style reason; the first is kept). */
void bench_wrong(bench_thread *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The value to write: value-size bytes from the pool with stamp in its
 * first 8 bytes (little-endian), so that reads can tell whose value they
 * got. */
static inline const char *bench_value(bench_thread *t, uint64_t stamp) {
  size_t vs = t->ctx->args->value_size;
  memcpy(t->val, bench_pool_at(&t->ctx->pool, &t->rng, vs), vs);
  bench_put_le64(t->val, stamp);
  return t->val;
}

/* 1 if v[0..len) is a value bench_value wrote with this stamp. */
static inline int bench_value_ok(const bench_thread *t, const char *v, size_t len, uint64_t stamp) {
  return len == t->ctx->args->value_size && bench_get_le64(v) == stamp;
}

/* ---- rows ----------------------------------------------------------------- */

typedef struct bench_step {
  bench_row row;
  uint64_t user_bytes, tally, tally2, wrong;
  char wrong_msg[256];
  int64_t io_written; /* bytes written to storage during the row, -1 unknown */
  bench_hist hist;
  bench_meter meter;
} bench_step;

/*
 * Runs the timed part of a row: nthreads workers running fn(arg), started
 * together; the row is named name (plus "/compacted" after a compact
 * step). Returns 0 (then report the step with bench_step_finish), or -1
 * when a worker's engine call failed or the threads could not start
 * (reason in bench_engine_last_error(); nothing to free).
 */
int bench_step_run(bench_ctx *c, bench_step *s, const char *name, int nthreads, bench_thread_fn fn, const void *arg);

/* Reports the row: amplifications from the I/O counted during the run and
 * from c's live bytes (update them first), wrong results as an error
 * line. Frees the step. Returns 0, or -1 when an output file could not be
 * written (reason in bench_engine_last_error()). */
int bench_step_finish(bench_ctx *c, bench_step *s);

#endif
