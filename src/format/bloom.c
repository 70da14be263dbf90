/*
 * bloom.c - a classic bloom filter: m bits, k probes at positions
 * (h1 + i*h2) mod 2^32 mapped onto [0, m) by a multiply-shift, where h1, h2
 * are the halves of one MurmurHash64A of the user key.
 */
#include "format/bloom.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/hash.h"

#define BLOOM_SEED 0x7374726174610001ull /* "strata" + 1; frozen */
/* Bit positions are 32-bit products, so m < 2^32: at most 2^29 - 1 bytes. */
#define BLOOM_MAX_BYTES (((size_t)1 << 29) - 1)

int st_bloom_probes(int bits_per_key) {
  int k = bits_per_key * 69 / 100;
  return k < 1 ? 1 : k > 30 ? 30 : k;
}

void st_bloom_builder_init(st_bloom_builder *b, int bits_per_key) {
  memset(b, 0, sizeof *b);
  b->bits_per_key = bits_per_key < 1                           ? 1
                    : bits_per_key > ST_BLOOM_MAX_BITS_PER_KEY ? ST_BLOOM_MAX_BITS_PER_KEY
                                                               : bits_per_key;
}

void st_bloom_builder_destroy(st_bloom_builder *b) {
  free(b->hashes);
  memset(b, 0, sizeof *b);
}

int st_bloom_builder_add(st_bloom_builder *b, const char *key, size_t len) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 1024;
    uint64_t *h = realloc(b->hashes, cap * sizeof *h);
    if (!h) return st_error(STRATA_ENOMEM, "bloom: out of memory for %zu keys", cap);
    b->hashes = h;
    b->cap = cap;
  }
  b->hashes[b->n++] = st_hash64(key, len, BLOOM_SEED);
  return STRATA_OK;
}

static inline uint32_t probe_bit(uint32_t g, uint64_t nbits) { return (uint32_t)(((uint64_t)g * nbits) >> 32); }

int st_bloom_builder_finish(st_bloom_builder *b, char **out, size_t *len_out) {
  *out = NULL;
  *len_out = 0;
  uint64_t bits = (uint64_t)b->n * (uint64_t)b->bits_per_key;
  if (bits < 64) bits = 64;
  size_t nbytes = (size_t)((bits + 7) / 8);
  if (nbytes > BLOOM_MAX_BYTES) nbytes = BLOOM_MAX_BYTES;
  uint64_t nbits = (uint64_t)nbytes * 8;
  int k = st_bloom_probes(b->bits_per_key);
  char *f = calloc(nbytes + 1, 1);
  if (!f) return st_error(STRATA_ENOMEM, "bloom: out of memory for %zu bytes", nbytes + 1);
  for (size_t i = 0; i < b->n; i++) {
    uint32_t h1 = (uint32_t)b->hashes[i], h2 = (uint32_t)(b->hashes[i] >> 32);
    for (int j = 0; j < k; j++, h1 += h2) {
      uint32_t bit = probe_bit(h1, nbits);
      f[bit >> 3] |= (char)(1u << (bit & 7));
    }
  }
  f[nbytes] = (char)k;
  *out = f;
  *len_out = nbytes + 1;
  return STRATA_OK;
}

int st_bloom_check(const char *filter, size_t len) {
  if (len < 2) return st_error(STRATA_ECORRUPT, "filter: expected at least 2 bytes, found %zu", len);
  if (len - 1 > BLOOM_MAX_BYTES)
    return st_error(STRATA_ECORRUPT, "filter: expected at most %zu bytes of bits, found %zu", BLOOM_MAX_BYTES, len - 1);
  unsigned k = (unsigned char)filter[len - 1];
  if (k < 1 || k > 30) return st_error(STRATA_ECORRUPT, "filter: expected 1..30 probes, found %u", k);
  return STRATA_OK;
}

int st_bloom_may_contain(const char *filter, size_t len, const char *key, size_t klen) {
  if (len < 2 || len - 1 > BLOOM_MAX_BYTES) return 1;
  unsigned k = (unsigned char)filter[len - 1];
  if (k < 1 || k > 30) return 1;
  uint64_t nbits = (uint64_t)(len - 1) * 8;
  uint64_t h = st_hash64(key, klen, BLOOM_SEED);
  uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(h >> 32);
  for (unsigned j = 0; j < k; j++, h1 += h2) {
    uint32_t bit = probe_bit(h1, nbits);
    if (!(filter[bit >> 3] & (1 << (bit & 7)))) return 0;
  }
  return 1;
}
