/*
 * hash.c - MurmurHash64A, written from its public-domain description: words
 * of 8 bytes are multiplied and folded into the state, the 0-7 tail bytes
 * are folded in at the end, then the state is mixed twice more.
 */
#include "base/hash.h"

#include "base/coding.h"

#define MURMUR_M 0xc6a4a7935bd1e995ull
#define MURMUR_R 47

uint64_t st_hash64(const void *data, size_t n, uint64_t seed) {
  const char *p = data;
  uint64_t h = seed ^ ((uint64_t)n * MURMUR_M);
  for (size_t words = n / 8; words > 0; words--, p += 8) {
    uint64_t k = st_get_fixed64(p);
    k *= MURMUR_M;
    k ^= k >> MURMUR_R;
    k *= MURMUR_M;
    h ^= k;
    h *= MURMUR_M;
  }
  size_t tail = n & 7;
  if (tail) {
    const unsigned char *t = (const unsigned char *)p;
    for (size_t i = tail; i > 0; i--) h ^= (uint64_t)t[i - 1] << (8 * (i - 1));
    h *= MURMUR_M;
  }
  h ^= h >> MURMUR_R;
  h *= MURMUR_M;
  h ^= h >> MURMUR_R;
  return h;
}
