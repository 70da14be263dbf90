/*
 * hash.h - non-cryptographic hashing: a 64-bit hash of byte strings (bloom
 * filters; its output is stored on disk through the filter bits, so it is
 * frozen, docs/FORMAT.md) and a 64-bit integer mixer (cache sharding).
 */
#ifndef STRATA_BASE_HASH_H
#define STRATA_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* MurmurHash64A (Austin Appleby's public-domain design) of data[0, n) with
 * seed, reading 8-byte words as little-endian on every host, so the value
 * is the same everywhere. Pure; thread-safe. */
uint64_t st_hash64(const void *data, size_t n, uint64_t seed);

/* A bijective mix of x (the MurmurHash3 64-bit finalizer): every input bit
 * affects every output bit. For hash tables over integer keys. */
static inline uint64_t st_hash_mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

#endif
