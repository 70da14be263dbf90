/*
 * keyset.h - the keys (or users) of an application workload, dealt out to
 * its threads so that each has one writer: the bench then knows exactly
 * what every key holds. Each thread picks among its own by a Zipfian law,
 * and keeps a few numbers per key (increments made, newest times).
 *
 * During a row a thread writes only its own part (slots, clock); the rest
 * is read-only. Any thread may read any part in a later row.
 */
#ifndef STRATA_BENCH_KEYSET_H
#define STRATA_BENCH_KEYSET_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "run.h"

/* One thread's items, which only that thread writes. Items 0..n-1 go
 * round-robin to the threads: thread t owns the items j with
 * j % nthreads == t, its rank r being item r * nthreads + t. */
typedef struct bench_keyset_part {
  uint64_t n;      /* items it owns */
  bench_zipf zipf; /* over its ranks, rank 0 the hottest (bench_keyset_init_zipf) */
  uint64_t *slots; /* width numbers per rank, starting at 0: [r * width + k] */
  uint64_t clock;  /* the thread's own time, from 0, for workloads that stamp their writes */
} bench_keyset_part;

typedef struct bench_keyset {
  uint64_t n;
  int nthreads;
  size_t width;
  uint32_t *perm;           /* item -> key index, scattering the hot items; NULL: item j is index j */
  bench_keyset_part *parts; /* [nthreads] */
} bench_keyset;

/* Deals n >= nthreads items to nthreads threads, each item with width
 * slots; item j is key index j. Returns 0, or -1 on out of memory (nothing
 * to free then). */
int bench_keyset_init(bench_keyset *ks, uint64_t n, int nthreads, size_t width);

/* As bench_keyset_init, and also: each thread's Zipfian law of theta over
 * its ranks (part->zipf), and a permutation drawn from seed as the key
 * indices of the items, so that the hot ones scatter over the key space. */
int bench_keyset_init_zipf(bench_keyset *ks, uint64_t n, int nthreads, size_t width, double theta, uint64_t seed);

/* Frees what an init that succeeded allocated. */
void bench_keyset_free(bench_keyset *ks);

/* The item of thread t's rank r. */
static inline uint64_t bench_keyset_item(const bench_keyset *ks, int t, uint64_t r) {
  return r * (uint64_t)ks->nthreads + (uint64_t)t;
}

/* The key index of item j. */
static inline uint64_t bench_keyset_index(const bench_keyset *ks, uint64_t j) { return ks->perm ? ks->perm[j] : j; }

/* The slots of item j, whichever thread owns it (so only in a row after
 * the one that writes them). */
static inline const uint64_t *bench_keyset_slots(const bench_keyset *ks, uint64_t j) {
  uint64_t T = (uint64_t)ks->nthreads;
  return &ks->parts[j % T].slots[j / T * ks->width];
}

/* How many items have a first slot other than 0 (were written). */
uint64_t bench_keyset_touched(const bench_keyset *ks);

/* Makes the key of thread t's rank r in t->key: prefix and the key index
 * zero-padded to key-size bytes (bench_key_prefixed). */
static inline void bench_keyset_key(bench_thread *t, const bench_keyset *ks, char prefix, uint64_t r) {
  uint64_t idx = bench_keyset_index(ks, bench_keyset_item(ks, t->id, r));
  bench_key_prefixed(t->key, t->ctx->args->key_size, prefix, idx);
}

#endif
