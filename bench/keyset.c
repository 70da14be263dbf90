/*
 * keyset.c - dealing a workload's keys out to its threads, their Zipfian
 * laws and permutation, and the per-key slots (see keyset.h).
 */
#include "keyset.h"

#include <stdlib.h>
#include <string.h>

int bench_keyset_init(bench_keyset *ks, uint64_t n, int nthreads, size_t width) {
  memset(ks, 0, sizeof *ks);
  ks->n = n;
  ks->nthreads = nthreads;
  ks->width = width;
  ks->parts = calloc((size_t)nthreads, sizeof *ks->parts);
  if (!ks->parts) return -1;
  for (int t = 0; t < nthreads; t++) {
    bench_keyset_part *p = &ks->parts[t];
    p->n = (n - (uint64_t)t + (uint64_t)nthreads - 1) / (uint64_t)nthreads;
    if (!(p->slots = calloc(p->n * width, sizeof *p->slots))) {
      bench_keyset_free(ks);
      return -1;
    }
  }
  return 0;
}

int bench_keyset_init_zipf(bench_keyset *ks, uint64_t n, int nthreads, size_t width, double theta, uint64_t seed) {
  if (bench_keyset_init(ks, n, nthreads, width)) return -1;
  if (!(ks->perm = malloc(n * sizeof *ks->perm))) {
    bench_keyset_free(ks);
    return -1;
  }
  bench_rng r;
  bench_rng_seed(&r, seed);
  bench_permutation(ks->perm, n, &r);
  for (int t = 0; t < nthreads; t++) bench_zipf_init(&ks->parts[t].zipf, ks->parts[t].n, theta);
  return 0;
}

void bench_keyset_free(bench_keyset *ks) {
  for (int t = 0; ks->parts && t < ks->nthreads; t++) free(ks->parts[t].slots);
  free(ks->parts);
  free(ks->perm);
  ks->parts = NULL;
  ks->perm = NULL;
}

uint64_t bench_keyset_touched(const bench_keyset *ks) {
  uint64_t n = 0;
  for (int t = 0; t < ks->nthreads; t++)
    for (uint64_t r = 0; r < ks->parts[t].n; r++) n += ks->parts[t].slots[r * ks->width] != 0;
  return n;
}
