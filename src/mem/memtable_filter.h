/*
 * memtable_filter.h - a bloom filter over the user keys of one memtable,
 * so that a point read of a key the memtable does not hold skips the
 * search of its skiplist (a cache miss at each of its lower levels). It is
 * blocked: all probes of a key fall in one 64-byte line, one miss a test.
 * Thread-safety: one writer adds (the memtable's) while readers test
 * without locks. The writer adds a key before linking its entry, and a
 * reader only looks for entries published before it began, so it finds
 * the bits of every entry it could see.
 */
#ifndef STRATA_MEM_MEMTABLE_FILTER_H
#define STRATA_MEM_MEMTABLE_FILTER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct st_memtable_filter {
  _Atomic uint64_t *words; /* NULL: no filter, every key may be there */
  uint64_t line_mask;      /* lines - 1 (a power of two) */
} st_memtable_filter;

/* The most a filter takes, whatever the memtable's budget (a budget set
 * huge so that nothing flushes by size must not ask for a huge filter). */
#define ST_MEMTABLE_FILTER_MAX_BYTES ((size_t)64 << 20)

/* A filter of about `bytes` (at most ST_MEMTABLE_FILTER_MAX_BYTES, rounded
 * down to a power of two lines). Less than a line, or no memory for it:
 * no filter (every key may be there). Never fails. */
void st_memtable_filter_init(st_memtable_filter *f, size_t bytes);
void st_memtable_filter_destroy(st_memtable_filter *f);

/* A key's hash, which the calls below take. */
uint64_t st_memtable_filter_hash(const void *key, size_t klen);

/* Asks for the key's line ahead of an add or a test (a cache miss). */
static inline void st_memtable_filter_prefetch(const st_memtable_filter *f, uint64_t h) {
  if (f->words) __builtin_prefetch((const void *)(f->words + (h & f->line_mask) * 8));
}

/* Writer only. */
void st_memtable_filter_add(st_memtable_filter *f, uint64_t h);

/* 0 when no key of hash h was added; 1 when one may have been. */
int st_memtable_filter_may_contain(const st_memtable_filter *f, uint64_t h);

/* Bytes the filter holds. */
static inline size_t st_memtable_filter_bytes(const st_memtable_filter *f) {
  return f->words ? (size_t)(f->line_mask + 1) * 64 : 0;
}

#endif
