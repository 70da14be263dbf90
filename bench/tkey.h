/*
 * tkey.h - tuple keys for the workloads that model partitioned data (feed,
 * convchurn, rangedel): keys built with strata's tuple encoding
 * (strata_tuple_*), so every engine stores the same bytes; a partition is
 * the keys of a tuple prefix, [prefix, strata_prefix_end(prefix)); and the
 * parsing that checks a key read back.
 *
 * The workloads use tuples of unsigned 64-bit integers only, ascending or
 * descending. Nothing here is shared between threads: each worker owns its
 * strata_tuple and bounds.
 */
#ifndef STRATA_BENCH_TKEY_H
#define STRATA_BENCH_TKEY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "keys.h"
#include "strata.h"

/* The most elements a workload's key has. */
#define BENCH_TKEY_MAX_ELEMS 4

/* The exclusive upper end of a partition: every key with the prefix sorts
 * below it. open = 1 when no such key exists (the range goes to the last
 * key). */
typedef struct bench_bound {
  char key[BENCH_KEY_MAX + 1];
  size_t len;
  int open;
} bench_bound;

/*
 * Makes t hold the tuple of the n <= BENCH_TKEY_MAX_ELEMS elements v[0..n),
 * element i descending (strata_tuple_add_u64_desc) when bit i of desc is
 * set. t must have been initialized (strata_tuple_init). Returns 0, or -1
 * (reason recorded with bench_engine_error; t is then empty) when an add
 * fails.
 */
int bench_tkey_make(strata_tuple *t, int n, const uint64_t *v, unsigned desc);

/*
 * Parses key[0..klen) as exactly n u64 elements with the directions of
 * desc (as bench_tkey_make), into v_out[0..n). Returns 0, or -1 when the
 * key is anything else (other types, directions or count, bad bytes).
 */
int bench_tkey_parse(const char *key, size_t klen, int n, uint64_t *v_out, unsigned desc);

/*
 * The end of the partition of prefix (strata_prefix_end) into *end_out.
 * Returns 0, or -1 (reason recorded) when the prefix is too long for a
 * bound or strata_prefix_end fails.
 */
int bench_tkey_partition_end(const strata_tuple *prefix, bench_bound *end_out);

/* Bytewise key order (memcmp, then the shorter first), as every engine's
 * default comparator. */
static inline int bench_key_cmp(const char *a, size_t alen, const char *b, size_t blen) {
  int c = memcmp(a, b, alen < blen ? alen : blen);
  if (c) return c;
  return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* 1 when key[0..klen) sorts below the bound (an open bound: always). */
static inline int bench_bound_above(const bench_bound *b, const char *key, size_t klen) {
  return b->open || bench_key_cmp(key, klen, b->key, b->len) < 0;
}

/* The tuple's bytes as the engines take them. */
static inline const char *bench_tkey_data(const strata_tuple *t) { return (const char *)t->data; }

#endif
