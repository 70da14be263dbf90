/*
 * keys.c - seeding, permutations, the Zipfian generator's setup, decimal
 * keys and the value pool (see keys.h).
 */
#include "keys.h"

#include <math.h>
#include <stdlib.h>

uint64_t bench_mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void bench_rng_seed(bench_rng *r, uint64_t seed) {
  /* splitmix64 steps fill the state, as the xoshiro authors advise: never
   * all zero, and nearby seeds diverge at once. */
  for (int i = 0; i < 4; i++) {
    seed += 0x9e3779b97f4a7c15ull;
    r->s[i] = bench_mix64(seed);
  }
}

void bench_permutation(uint32_t *perm, uint64_t n, bench_rng *r) {
  for (uint64_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
  for (uint64_t i = n; i > 1; i--) {
    uint64_t j = bench_rng_uniform(r, i);
    uint32_t t = perm[i - 1];
    perm[i - 1] = perm[j];
    perm[j] = t;
  }
}

static double zeta(uint64_t n, double theta) {
  double sum = 0;
  for (uint64_t i = 1; i <= n; i++) sum += 1.0 / pow((double)i, theta);
  return sum;
}

void bench_zipf_init(bench_zipf *z, uint64_t n, double theta) {
  z->n = n;
  z->theta = theta;
  z->alpha = 1.0 / (1.0 - theta);
  z->zetan = zeta(n, theta);
  double zeta2 = zeta(n < 2 ? n : 2, theta);
  /* With n = 1 the denominator vanishes; every draw is rank 0 anyway. */
  z->eta = n < 2 ? 0 : (1.0 - pow(2.0 / (double)n, 1.0 - theta)) / (1.0 - zeta2 / z->zetan);
  z->half_pow_theta = 1.0 + pow(0.5, theta);
}

uint64_t bench_zipf_next(const bench_zipf *z, bench_rng *r) {
  if (z->n < 2) return 0;
  double u = bench_rng_double(r);
  double uz = u * z->zetan;
  if (uz < 1.0) return 0;
  if (uz < z->half_pow_theta) return 1;
  uint64_t k = (uint64_t)((double)z->n * pow(z->eta * u - z->eta + 1.0, z->alpha));
  return k < z->n ? k : z->n - 1;
}

int bench_digits(uint64_t n) {
  int d = 1;
  while (n >= 10) {
    n /= 10;
    d++;
  }
  return d;
}

void bench_key_decimal(char *out, size_t width, uint64_t i) {
  /* By hand rather than snprintf: it runs once per operation, inside the
   * timed loop. */
  for (size_t k = width; k > 0; k--) {
    out[k - 1] = (char)('0' + i % 10);
    i /= 10;
  }
}

const char *bench_key_hex(char *out, size_t cap, const char *key, size_t len) {
  static const char digits[] = "0123456789abcdef";
  size_t o = 0;
  for (size_t i = 0; i < len && o + 2 < cap; i++) {
    out[o++] = digits[(unsigned char)key[i] >> 4];
    out[o++] = digits[(unsigned char)key[i] & 15];
  }
  if (cap) out[o < cap ? o : cap - 1] = '\0';
  return out;
}

int bench_pool_init(bench_pool *p, uint64_t seed, size_t value_size) {
  size_t size = (size_t)1 << 20;
  if (value_size > size / 2) size = 2 * value_size;
  p->data = malloc(size);
  p->size = size;
  if (!p->data) return -1;
  bench_rng r;
  bench_rng_seed(&r, bench_mix64(seed ^ 0x706f6f6cull)); /* a stream of its own: "pool" */
  for (size_t i = 0; i < size; i += 8) {
    uint64_t v = bench_rng_next(&r);
    for (size_t k = 0; k < 8 && i + k < size; k++) p->data[i + k] = (char)(unsigned char)(v >> (8 * k));
  }
  return 0;
}

void bench_pool_free(bench_pool *p) {
  free(p->data);
  p->data = NULL;
  p->size = 0;
}
