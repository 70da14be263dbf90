/*
 * memtable_index.h - a hash index from each user key of one memtable to
 * the node of its newest entry, so that a point read finds a key's entries
 * with a miss or two instead of a skiplist search (a cache miss at each
 * lower level of a big list). Open addressing with linear probing; a slot
 * holds the node's address with 16 bits of the key's hash above it, so a
 * probe reads another key's node only when those bits collide.
 *
 * Its size is fixed when the memtable is made. Once 3/4 of its slots are
 * taken it is full: keys new to it are no longer indexed (the keys in it
 * still are, their slots following their newest entries), and a key it
 * does not find may be in the memtable all the same. A node whose address
 * does not fit in a slot turns the index off: from then on it answers
 * nothing, since that key's slot, if any, would fall behind.
 *
 * Thread-safety: one writer (the memtable's) puts a node after linking it;
 * readers find without locks. A reader whose snapshot holds a write finds
 * that write's node or a newer one of the key: the writer publishes the
 * write's sequence number (release) after the put, and a reader loads it
 * (acquire) before it asks.
 */
#ifndef STRATA_MEM_MEMTABLE_INDEX_H
#define STRATA_MEM_MEMTABLE_INDEX_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/skiplist.h"

typedef struct st_memtable_index {
  _Atomic uint64_t *slots; /* NULL: no index, every key is searched for */
  uint64_t mask;           /* slots - 1 (a power of two) */
  size_t used, limit;      /* writer only: slots taken, and the most it takes */
  atomic_int full;         /* a key was left out: a key not found may be there */
  atomic_int off;          /* a node could not be stored: slots may be stale, ask none */
} st_memtable_index;

/* The most an index takes, whatever the memtable's budget. */
#define ST_MEMTABLE_INDEX_MAX_BYTES ((size_t)64 << 20)

/* 1 when node holds an entry of user key (key, klen). */
typedef int (*st_memtable_index_same_fn)(const st_skip_node *node, const void *key, size_t klen);

/* An index of about `bytes` (capped, rounded down to a power of two
 * slots). Under 64 bytes, or no memory for it: no index. Never fails. */
void st_memtable_index_init(st_memtable_index *x, size_t bytes);
void st_memtable_index_destroy(st_memtable_index *x);

/* Asks for the line of the key's first slot (hash h, the memtable
 * filter's hash of the key) ahead of a put or a find. */
static inline void st_memtable_index_prefetch(const st_memtable_index *x, uint64_t h) {
  if (x->slots) __builtin_prefetch((const void *)(x->slots + ((h >> 24) & x->mask)));
}

/* Writer only: node, now linked, holds the newest entry of the key.
 * older, when not NULL, is the node of the key's entry before it (known
 * to the writer): a slot holding it is the key's without reading it. */
void st_memtable_index_put(st_memtable_index *x, uint64_t h, const st_skip_node *node, const st_skip_node *older,
                           const void *key, size_t klen, st_memtable_index_same_fn same);

/* The node of the key's newest entry that the index holds. NULL with
 * *absent 1: the memtable holds no entry of the key (as of the reader's
 * snapshot); NULL with *absent 0: no index, a full one without the key,
 * or one turned off, so the key is to be searched for. */
const st_skip_node *st_memtable_index_find(const st_memtable_index *x, uint64_t h, const void *key, size_t klen,
                                           st_memtable_index_same_fn same, int *absent);

#endif
