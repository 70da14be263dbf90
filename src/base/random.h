/*
 * random.h - a small fast PRNG (xorshift64*) for skiplist heights and
 * tests. Not thread-safe: one state per user.
 */
#ifndef STRATA_BASE_RANDOM_H
#define STRATA_BASE_RANDOM_H

#include <stdint.h>

typedef struct st_random {
  uint64_t s;
} st_random;

static inline void st_random_seed(st_random *r, uint64_t seed) { r->s = seed ? seed : 0x9e3779b97f4a7c15ull; }

static inline uint64_t st_random_next(st_random *r) {
  uint64_t x = r->s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->s = x;
  return x * 0x2545f4914f6cdd1dull;
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t st_random_uniform(st_random *r, uint64_t n) { return st_random_next(r) % n; }

#endif
