/*
 * histogram.h - latencies in log-spaced buckets: 16 buckets per power of
 * two (values below 16 ns exact), so any percentile is within about 3% of
 * the truth, in fixed memory. One per thread, merged after the row.
 */
#ifndef STRATA_BENCH_HISTOGRAM_H
#define STRATA_BENCH_HISTOGRAM_H

#include <stdint.h>

#define BENCH_HIST_SUB_BITS 4
#define BENCH_HIST_SUB (1 << BENCH_HIST_SUB_BITS)
#define BENCH_HIST_BUCKETS (61 * BENCH_HIST_SUB)

typedef struct bench_hist {
  uint64_t count;
  uint64_t min, max; /* ns; min is UINT64_MAX while empty */
  uint64_t buckets[BENCH_HIST_BUCKETS];
} bench_hist;

void bench_hist_init(bench_hist *h);

static inline int bench_hist_bucket(uint64_t ns) {
  if (ns < BENCH_HIST_SUB) return (int)ns;
  int msb = 63 - __builtin_clzll(ns);
  int shift = msb - BENCH_HIST_SUB_BITS;
  return (shift + 1) * BENCH_HIST_SUB + (int)((ns >> shift) & (BENCH_HIST_SUB - 1));
}

/* Records one latency in nanoseconds. Not thread-safe: one writer. */
static inline void bench_hist_add(bench_hist *h, uint64_t ns) {
  h->count++;
  if (ns < h->min) h->min = ns;
  if (ns > h->max) h->max = ns;
  h->buckets[bench_hist_bucket(ns)]++;
}

/* into += from. */
void bench_hist_merge(bench_hist *into, const bench_hist *from);

/* The latency (ns) below which a fraction q (0..1) of the samples fall: the
 * middle of its bucket, clamped to [min, max]; 0 when empty. */
double bench_hist_quantile(const bench_hist *h, double q);

#endif
