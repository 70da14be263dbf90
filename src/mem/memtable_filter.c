/*
 * memtable_filter.c - the memtable's blocked bloom filter: a key's hash
 * picks one 64-byte line, and PROBES 9-bit fields of a second mix of it
 * pick the bits in that line. With the memtable's budget / 32 bytes of
 * filter, a memtable of 100-byte values has about 40 bits a key (false
 * positives well under 1%), one of 16-byte keys and no values about 12
 * (about 1-2%, the cost of blocking).
 */
#include "mem/memtable_filter.h"

#include <stdlib.h>

#include "base/hash.h"

#define PROBES 6
#define LINE_WORDS 8 /* 64 bytes */

void st_memtable_filter_init(st_memtable_filter *f, size_t bytes) {
  f->words = NULL;
  f->line_mask = 0;
  if (bytes > ST_MEMTABLE_FILTER_MAX_BYTES) bytes = ST_MEMTABLE_FILTER_MAX_BYTES;
  if (bytes < 64) return;
  uint64_t lines = 1;
  while (lines * 2 * 64 <= bytes) lines *= 2;
  /* calloc: zeroed pages come from the kernel lazily, so a memtable that
   * stays small touches little of its filter. Without the memory the
   * memtable goes without a filter: reads search it, as before there was
   * one. */
  f->words = calloc(lines * LINE_WORDS, sizeof *f->words);
  if (f->words) f->line_mask = lines - 1;
}

void st_memtable_filter_destroy(st_memtable_filter *f) {
  free((void *)f->words);
  f->words = NULL;
}

/* The line's first word; the probes' bits (a word 0..7 and a bit 0..63
 * in each 9-bit field) come from a second mix of the hash. */
static _Atomic uint64_t *line_of(const st_memtable_filter *f, uint64_t h) {
  return f->words + (h & f->line_mask) * LINE_WORDS;
}

uint64_t st_memtable_filter_hash(const void *key, size_t klen) { return st_hash64(key, klen, 0x6d656d66696c74ull); }

void st_memtable_filter_add(st_memtable_filter *f, uint64_t h) {
  if (!f->words) return;
  uint64_t g = st_hash_mix64(h);
  _Atomic uint64_t *line = line_of(f, h);
  for (int i = 0; i < PROBES; i++, g >>= 9) {
    _Atomic uint64_t *w = &line[(g >> 6) & 7];
    uint64_t bit = 1ull << (g & 63);
    /* One writer: a load and a store, no read-modify-write needed. */
    atomic_store_explicit(w, atomic_load_explicit(w, memory_order_relaxed) | bit, memory_order_relaxed);
  }
}

int st_memtable_filter_may_contain(const st_memtable_filter *f, uint64_t h) {
  if (!f->words) return 1;
  uint64_t g = st_hash_mix64(h);
  const _Atomic uint64_t *line = line_of(f, h);
  for (int i = 0; i < PROBES; i++, g >>= 9)
    if (!(atomic_load_explicit(&line[(g >> 6) & 7], memory_order_relaxed) & (1ull << (g & 63)))) return 0;
  return 1;
}
