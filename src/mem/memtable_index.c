/*
 * memtable_index.c - the memtable's key index (memtable_index.h). A slot
 * is 0 (empty) or tag << 48 | node address: user-space addresses fit in 48
 * bits on the machines we build for, and a node that does not fit turns
 * the index off rather than being stored wrong (or leaving its key's slot
 * behind).
 */
#include "mem/memtable_index.h"

#include <stdlib.h>

#define ADDR_BITS 48
#define ADDR_MASK ((UINT64_C(1) << ADDR_BITS) - 1)

void st_memtable_index_init(st_memtable_index *x, size_t bytes) {
  x->slots = NULL;
  x->mask = 0;
  x->used = x->limit = 0;
  atomic_init(&x->full, 0);
  atomic_init(&x->off, 0);
  if (bytes > ST_MEMTABLE_INDEX_MAX_BYTES) bytes = ST_MEMTABLE_INDEX_MAX_BYTES;
  if (bytes < 64) return;
  uint64_t n = 8;
  while (n * 2 * sizeof(uint64_t) <= bytes) n *= 2;
  /* calloc: zeroed pages come lazily, so a memtable that stays small
   * touches little of it. Without the memory, keys are searched for. */
  x->slots = calloc(n, sizeof *x->slots);
  if (!x->slots) return;
  x->mask = n - 1;
  x->limit = (size_t)(n / 4 * 3);
}

void st_memtable_index_destroy(st_memtable_index *x) {
  free((void *)x->slots);
  x->slots = NULL;
}

static uint64_t tag_of(uint64_t h) { return h >> ADDR_BITS << ADDR_BITS; }

void st_memtable_index_put(st_memtable_index *x, uint64_t h, const st_skip_node *node, const st_skip_node *older,
                           const void *key, size_t klen, st_memtable_index_same_fn same) {
  if (!x->slots) return;
  uint64_t addr = (uint64_t)(uintptr_t)node, tag = tag_of(h);
  if (addr & ~ADDR_MASK) {
    /* Published with the write's seq, as a slot would be: a reader whose
     * snapshot holds this node sees the index off. */
    atomic_store_explicit(&x->off, 1, memory_order_relaxed);
    return;
  }
  for (uint64_t i = (h >> 24) & x->mask;; i = (i + 1) & x->mask) {
    uint64_t s = atomic_load_explicit(&x->slots[i], memory_order_relaxed);
    if (s == 0) {
      if (x->used >= x->limit) {
        atomic_store_explicit(&x->full, 1, memory_order_relaxed);
        return;
      }
      x->used++;
    } else {
      const st_skip_node *n = (const st_skip_node *)(uintptr_t)(s & ADDR_MASK);
      if ((s & ~ADDR_MASK) != tag || (n != older && !same(n, key, klen))) continue;
    }
    /* Release: a reader that loads the slot sees the node as linked. */
    atomic_store_explicit(&x->slots[i], tag | addr, memory_order_release);
    return;
  }
}

const st_skip_node *st_memtable_index_find(const st_memtable_index *x, uint64_t h, const void *key, size_t klen,
                                           st_memtable_index_same_fn same, int *absent) {
  *absent = 0;
  if (!x->slots || atomic_load_explicit(&x->off, memory_order_relaxed)) return NULL;
  uint64_t tag = tag_of(h);
  /* The probe ends at an empty slot, which a quarter of them stay. */
  for (uint64_t i = (h >> 24) & x->mask;; i = (i + 1) & x->mask) {
    uint64_t s = atomic_load_explicit(&x->slots[i], memory_order_acquire);
    if (s == 0) {
      *absent = !atomic_load_explicit(&x->full, memory_order_relaxed);
      return NULL;
    }
    const st_skip_node *n = (const st_skip_node *)(uintptr_t)(s & ADDR_MASK);
    if ((s & ~ADDR_MASK) == tag && same(n, key, klen)) return n;
  }
}
