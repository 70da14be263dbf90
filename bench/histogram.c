/*
 * histogram.c - merging log-bucketed latency histograms and reading
 * quantiles from them (see histogram.h for the bucket layout).
 */
#include "histogram.h"

#include <string.h>

void bench_hist_init(bench_hist *h) {
  memset(h, 0, sizeof *h);
  h->min = UINT64_MAX;
}

void bench_hist_merge(bench_hist *into, const bench_hist *from) {
  into->count += from->count;
  if (from->min < into->min) into->min = from->min;
  if (from->max > into->max) into->max = from->max;
  for (int i = 0; i < BENCH_HIST_BUCKETS; i++) into->buckets[i] += from->buckets[i];
}

/* The range [*lo, *lo + *width) of values bucket b holds. */
static void bucket_range(int b, double *lo, double *width) {
  if (b < BENCH_HIST_SUB) {
    *lo = b;
    *width = 1;
    return;
  }
  int shift = b / BENCH_HIST_SUB - 1;
  *lo = (double)((uint64_t)(BENCH_HIST_SUB + b % BENCH_HIST_SUB) << shift);
  *width = (double)((uint64_t)1 << shift);
}

double bench_hist_quantile(const bench_hist *h, double q) {
  if (h->count == 0) return 0;
  /* The rank of the sample wanted, 1-based, as "nearest rank" defines it. */
  double want = q * (double)h->count;
  uint64_t rank = (uint64_t)want;
  if ((double)rank < want) rank++;
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (int b = 0; b < BENCH_HIST_BUCKETS; b++) {
    seen += h->buckets[b];
    if (seen >= rank) {
      double lo, width;
      bucket_range(b, &lo, &width);
      double v = lo + (width - 1) / 2;
      if (v < (double)h->min) v = (double)h->min;
      if (v > (double)h->max) v = (double)h->max;
      return v;
    }
  }
  return (double)h->max;
}
