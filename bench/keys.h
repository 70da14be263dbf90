/*
 * keys.h - what the workloads write: keys (zero-padded decimal indices, so
 * index order is key order), the random-number generators that pick them
 * (uniform and Zipfian), the pool values are cut from, and byte encodings.
 * Everything is deterministic from --seed.
 */
#ifndef STRATA_BENCH_KEYS_H
#define STRATA_BENCH_KEYS_H

#include <stddef.h>
#include <stdint.h>

/* Longest key the bench builds (LMDB's default limit is 511 bytes). */
#define BENCH_KEY_MAX 511

/* ---- random numbers ----------------------------------------------------- */

/* xoshiro256**: fast, good quality, 32 bytes of state. One per thread. */
typedef struct bench_rng {
  uint64_t s[4];
} bench_rng;

/* splitmix64 of x: spreads nearby seeds into unrelated ones. */
uint64_t bench_mix64(uint64_t x);

/* Seeds r from seed; seeds that differ give unrelated streams. */
void bench_rng_seed(bench_rng *r, uint64_t seed);

static inline uint64_t bench_rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t bench_rng_next(bench_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = bench_rng_rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = bench_rng_rotl(s[3], 45);
  return result;
}

/* Uniform in [0, n) for n >= 1 (multiply-shift: the bias is below 2^-32
 * for any n the bench uses). */
static inline uint64_t bench_rng_uniform(bench_rng *r, uint64_t n) {
  return (uint64_t)(((unsigned __int128)bench_rng_next(r) * n) >> 64);
}

/* Uniform in [0, 1). */
static inline double bench_rng_double(bench_rng *r) { return (double)(bench_rng_next(r) >> 11) * 0x1.0p-53; }

/* Fills perm[0..n) with a random permutation of 0..n-1 (Fisher-Yates). */
void bench_permutation(uint32_t *perm, uint64_t n, bench_rng *r);

/* ---- Zipfian ranks ------------------------------------------------------ */

/* Ranks 0..n-1 with P(rank k) proportional to 1 / (k+1)^theta, rank 0 the
 * most popular (Gray et al., "Quickly generating billion-record synthetic
 * databases", as YCSB does it). Set up in O(n); read-only afterwards, so
 * threads may share one. */
typedef struct bench_zipf {
  uint64_t n;
  double theta, alpha, zetan, eta, half_pow_theta;
} bench_zipf;

/* n >= 1, 0 <= theta < 1. */
void bench_zipf_init(bench_zipf *z, uint64_t n, double theta);
uint64_t bench_zipf_next(const bench_zipf *z, bench_rng *r);

/* ---- keys --------------------------------------------------------------- */

/* Number of decimal digits of n (1 for 0). */
int bench_digits(uint64_t n);

/* out[0..width) = i in decimal, zero-padded to width; i must have at most
 * width digits. Not NUL-terminated. */
void bench_key_decimal(char *out, size_t width, uint64_t i);

/* The key of index i: key_size bytes. */
static inline void bench_key_index(char *out, size_t key_size, uint64_t i) { bench_key_decimal(out, key_size, i); }

/* A key no workload ever writes that sorts among the index keys: index i's
 * key with its last digit replaced by ':' (the byte after '9'), which lands
 * between the keys of indices 10*(i/10)+9 and 10*(i/10)+10. A range check
 * cannot reject it; only a filter or a search can. */
static inline void bench_key_missing(char *out, size_t key_size, uint64_t i) {
  bench_key_decimal(out, key_size, i);
  out[key_size - 1] = ':';
}

/* A one-letter-prefixed key of key_size bytes: prefix then index i
 * zero-padded to key_size - 1 digits ("c000..42" for counters). */
static inline void bench_key_prefixed(char *out, size_t key_size, char prefix, uint64_t i) {
  out[0] = prefix;
  bench_key_decimal(out + 1, key_size - 1, i);
}

/* Writes key[0..len) as hex into out (NUL-terminated, cut to fit cap),
 * for messages about binary keys. Returns out. */
const char *bench_key_hex(char *out, size_t cap, const char *key, size_t len);

/* ---- byte encodings ----------------------------------------------------- */

static inline void bench_put_be64(char *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (char)(unsigned char)v;
}
static inline uint64_t bench_get_be64(const char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | (unsigned char)p[i];
  return v;
}
static inline void bench_put_be32(char *p, uint32_t v) {
  for (int i = 3; i >= 0; i--, v >>= 8) p[i] = (char)(unsigned char)v;
}
static inline uint32_t bench_get_be32(const char *p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v = v << 8 | (unsigned char)p[i];
  return v;
}
static inline void bench_put_le64(char *p, uint64_t v) {
  for (int i = 0; i < 8; i++, v >>= 8) p[i] = (char)(unsigned char)v;
}
static inline uint64_t bench_get_le64(const char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | (unsigned char)p[i];
  return v;
}

/* ---- values ------------------------------------------------------------- */

/* Random bytes generated once; each value is a window of it at a random
 * offset, so values cost a memcpy and do not compress (the same for every
 * engine). */
typedef struct bench_pool {
  char *data;
  size_t size;
} bench_pool;

/* Makes a pool of max(1 MiB, 2 * value_size) bytes from seed. Returns 0 or
 * -1 on out of memory. */
int bench_pool_init(bench_pool *p, uint64_t seed, size_t value_size);
void bench_pool_free(bench_pool *p);

/* A window of len <= p->size / 2 bytes at a random offset (valid while the
 * pool lives). */
static inline const char *bench_pool_at(const bench_pool *p, bench_rng *r, size_t len) {
  return p->data + bench_rng_uniform(r, p->size - len + 1);
}

#endif
