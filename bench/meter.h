/*
 * meter.h - throughput while a row runs: every worker thread bumps its own
 * operation counter, and a sampler thread reads them once a second to
 * build the row's timeline (ops/s for each elapsed second) and, when asked,
 * to redraw a progress line on stderr.
 */
#ifndef STRATA_BENCH_METER_H
#define STRATA_BENCH_METER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* One thread's counter, alone on its cache line so that counting costs no
 * cache-line traffic between workers. */
typedef struct bench_meter_slot {
  _Alignas(64) _Atomic uint64_t ops;
} bench_meter_slot;

typedef struct bench_meter {
  bench_meter_slot *slots; /* one per worker */
  int nslots;
  char label[128];
  int progress; /* draw the progress line */
  uint64_t start_ns;

  pthread_t sampler;
  int running;
  pthread_mutex_t mu; /* guards stop, for the condition below */
  pthread_cond_t cv;  /* signalled to stop the sampler early */
  int stop;

  /* Written by the sampler, read after bench_meter_stop. */
  double *rates; /* ops/s of each elapsed second; the last may be a part */
  size_t nrates, cap;
  int drawn; /* a progress line is on the screen */
} bench_meter;

/* Monotonic nanoseconds. */
uint64_t bench_now_ns(void);

/* Counts one operation in the slot of the calling worker (its only
 * writer: a relaxed load and store, no read-modify-write). */
static inline void bench_meter_tick(bench_meter_slot *s) {
  atomic_store_explicit(&s->ops, atomic_load_explicit(&s->ops, memory_order_relaxed) + 1, memory_order_relaxed);
}

/*
 * Starts measuring a row named label for nthreads workers: zeroes the
 * slots and starts the sampler. progress: redraw a line on stderr each
 * second once the row has run 2 s. Returns 0, or -1 when the sampler could
 * not start (out of memory or threads).
 */
int bench_meter_start(bench_meter *m, const char *label, int nthreads, int progress);

/* The slot of worker t (0 <= t < nthreads). */
static inline bench_meter_slot *bench_meter_slot_of(bench_meter *m, int t) { return &m->slots[t]; }

/* Stops the sampler, adds the last part-second to the timeline (when the
 * row was shorter than a second, or the part is long enough to mean
 * something), and clears the progress line. The timeline stays in
 * m->rates until bench_meter_free. */
void bench_meter_stop(bench_meter *m);

void bench_meter_free(bench_meter *m);

#endif
