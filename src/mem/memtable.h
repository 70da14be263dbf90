/*
 * memtable.h - the in-memory sorted buffer of recent fragments: a skiplist
 * of internal keys and values in an arena (docs/ARCHITECTURE.md).
 * Thread-safety: one writer adds (the write-queue leader) while any number
 * of readers get; a reader holds a reference for as long as it uses
 * pointers into the memtable.
 */
#ifndef STRATA_MEM_MEMTABLE_H
#define STRATA_MEM_MEMTABLE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/iter.h"
#include "mem/skiplist.h"
#include "merge/merge.h"

typedef struct st_memtable {
  st_arena arena;         /* writer only */
  st_skiplist list;
  atomic_size_t usage;    /* arena bytes in use (entries and nodes), published for readers */
  atomic_uint_fast64_t entries;
  atomic_int refs;
} st_memtable;

/* A new empty memtable with one reference. STRATA_ENOMEM. */
int st_memtable_new(st_memtable **m_out);
void st_memtable_ref(st_memtable *m);
/* Drops a reference; the last one frees the memtable. */
void st_memtable_unref(st_memtable *m);

/* Adds one fragment. Writer only. STRATA_ENOMEM leaves it unchanged. */
int st_memtable_add(st_memtable *m, uint64_t seq, unsigned kind, const void *key, size_t klen, const void *val,
                    size_t vlen);

/*
 * Feeds m the fragments of key visible at snapshot, newest first (a run
 * of operands as one fragment: see memtable.c). Returns 1 when m's answer
 * is decided, 0 when the chain goes on in older sources, or an error of
 * st_merge_feed. Pointers fed are valid while the caller holds a
 * reference.
 */
int st_memtable_merge(st_memtable *mt, const void *key, size_t klen, uint64_t snapshot, st_merge *m);

static inline size_t st_memtable_bytes(st_memtable *m) { return atomic_load_explicit(&m->usage, memory_order_relaxed); }

/* An iterator over the memtable's internal keys in order; it holds a
 * reference on m. Sees entries added after its creation too (callers
 * filter by sequence number). STRATA_ENOMEM. */
int st_memtable_iter_new(st_memtable *m, st_iter **it_out);

/* Decodes a stored entry: its internal key and its value. */
void st_memtable_entry_decode(const char *entry, const char **ikey_out, size_t *ikey_len_out, const char **val_out,
                              size_t *vlen_out);

#endif
