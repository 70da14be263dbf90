/*
 * bloom.h - the table's bloom filter over user keys (docs/FORMAT.md,
 * "Filter block"): a bit array probed k times by double hashing of one
 * 64-bit hash, followed by one byte holding k.
 */
#ifndef STRATA_FORMAT_BLOOM_H
#define STRATA_FORMAT_BLOOM_H

#include <stddef.h>
#include <stdint.h>

#define ST_BLOOM_MAX_BITS_PER_KEY 30

/* The number of probes for bits_per_key: floor(bits * 0.69) in 1..30. */
int st_bloom_probes(int bits_per_key);

/* Collects key hashes, then builds the filter. Not thread-safe. */
typedef struct st_bloom_builder {
  uint64_t *hashes;
  size_t n, cap;
  int bits_per_key;
} st_bloom_builder;

/* bits_per_key in 1..ST_BLOOM_MAX_BITS_PER_KEY (clamped). */
void st_bloom_builder_init(st_bloom_builder *b, int bits_per_key);
void st_bloom_builder_destroy(st_bloom_builder *b);

/* Adds a user key (the caller skips repeats of the same key). STRATA_ENOMEM. */
int st_bloom_builder_add(st_bloom_builder *b, const char *key, size_t len);

/* Number of keys added. */
static inline size_t st_bloom_builder_count(const st_bloom_builder *b) { return b->n; }

/* The filter for every key added, malloc'ed (*out, *len_out). STRATA_ENOMEM. */
int st_bloom_builder_finish(st_bloom_builder *b, char **out, size_t *len_out);

/* STRATA_OK when filter[0, len) is well formed (at least one byte of bits,
 * k in 1..30), else STRATA_ECORRUPT with a message (no file name). */
int st_bloom_check(const char *filter, size_t len);

/* 0 when key is certainly absent, 1 when it may be present. A malformed
 * filter answers 1. Thread-safe (reads only). */
int st_bloom_may_contain(const char *filter, size_t len, const char *key, size_t klen);

#endif
