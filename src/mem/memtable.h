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
#include "base/coding.h"
#include "base/iter.h"
#include "env/sync.h"
#include "format/range_del.h"
#include "mem/memtable_filter.h"
#include "mem/memtable_index.h"
#include "mem/skiplist.h"
#include "merge/merge.h"

typedef struct st_memtable {
  st_arena arena; /* writer only */
  st_skiplist list;
  st_memtable_filter filter; /* the user keys in list */
  st_memtable_index index;   /* each user key in list to its newest node */
  /* Range tombstones, apart: entries of the same form keyed by begin, the
   * value the end (format/range_del.h). Readers ask a fragmented list of
   * them, built when first asked after a change and shared. */
  st_skiplist rdel;
  atomic_size_t rdel_count;
  st_mutex rdel_mu; /* guards rdel_cache and rdel_cache_count */
  st_rtombs *rdel_cache;
  size_t rdel_cache_count; /* rdel_count loaded before rdel_cache was built */
  atomic_size_t usage;     /* arena bytes in use (entries and nodes), published for readers */
  atomic_uint_fast64_t entries;
  atomic_uint_fast64_t max_data_seq; /* the newest entry's seq (range tombstones not counted) */
  atomic_int refs;
} st_memtable;

/* A new empty memtable with one reference. budget is the size it will
 * grow to (options.memtable_bytes): its key filter takes budget / 32
 * bytes and its key index budget / 8, each capped (memtable_filter.h,
 * memtable_index.h; 0: none). STRATA_ENOMEM. */
#define ST_MEMTABLE_FILTER_SHARE 32
#define ST_MEMTABLE_INDEX_SHARE 8
#define ST_MEMTABLE_FILTER_MIN_ENTRIES 16384 /* smaller memtables are searched without asking filter or index */
int st_memtable_new(size_t budget, st_memtable **m_out);
void st_memtable_ref(st_memtable *m);
/* Drops a reference; the last one frees the memtable. */
void st_memtable_unref(st_memtable *m);

/* Adds one fragment (a RANGE_DELETE: key = begin, val = its end
 * encoding). Writer only. STRATA_ENOMEM leaves it unchanged. */
int st_memtable_add(st_memtable *m, uint64_t seq, unsigned kind, const void *key, size_t klen, const void *val,
                    size_t vlen);

/*
 * Feeds m the fragments of key visible at snapshot, newest first (a run
 * of operands as one fragment: see memtable.c), down to a range tombstone
 * of this memtable over the key, which is fed as a DELETE. Returns 1 when
 * m's answer is decided, 0 when the chain goes on in older sources, or an
 * error of st_merge_feed or ENOMEM. Pointers fed are valid while the
 * caller holds a reference.
 */
int st_memtable_merge(st_memtable *mt, const void *key, size_t klen, uint64_t snapshot, st_merge *m);

/*
 * The run summary of an entry (memtable.c): 0 for a base entry; for an
 * operand entry, 1 with *val_out one fragment value standing for the
 * entry and every entry of its run below it (a counter's sum, written into
 * sum; a latest-wins winner's value; NULL for a list, whose elements are
 * read one by one) and *bottom_out the node of the run's oldest entry.
 */
int st_memtable_run(const char *entry, char sum[8], const char **val_out, size_t *vlen_out,
                    const st_skip_node **bottom_out);

/* The fragmented list of the memtable's range tombstones with a reference
 * for the caller (st_rtombs_unref), or NULL when it has none. Any thread.
 * STRATA_ENOMEM. */
int st_memtable_rtombs(st_memtable *m, st_rtombs **out);

/* The seq of the newest entry added (0: none); range tombstones are not
 * entries. A reader holding a view sees every entry up to its snapshot
 * counted. */
static inline uint64_t st_memtable_max_data_seq(st_memtable *m) {
  return atomic_load_explicit(&m->max_data_seq, memory_order_relaxed);
}

static inline int st_memtable_has_rdel(st_memtable *m) {
  return atomic_load_explicit(&m->rdel_count, memory_order_acquire) != 0;
}

static inline size_t st_memtable_bytes(st_memtable *m) { return atomic_load_explicit(&m->usage, memory_order_relaxed); }

/* An iterator over the memtable's internal keys in order; it holds a
 * reference on m. Sees entries added after its creation too (callers
 * filter by sequence number). STRATA_ENOMEM. */
int st_memtable_iter_new(st_memtable *m, st_iter **it_out);

/* The same for readers at snapshot: moving forward, a counter or
 * latest-wins entry visible at snapshot shows its run's summary as its
 * value, and the next step skips the rest of the run, so that a scan
 * passes a hot key in one step. Moving backward, entries show as stored. */
int st_memtable_iter_new_at(st_memtable *m, uint64_t snapshot, st_iter **it_out);

/* A stored entry's internal key. Inline, as the two below: a scan
 * decodes every entry it passes, and the value only of those it returns. */
static inline void st_memtable_entry_key(const char *entry, const char **ikey_out, size_t *ikey_len_out) {
  uint64_t klen;
  *ikey_out = st_get_varint64(entry, entry + ST_VARINT64_MAX, &klen);
  *ikey_len_out = (size_t)klen;
}

/* The value of the entry whose internal key (from st_memtable_entry_key)
 * is [ikey, ikey + ikey_len): it follows the key. */
static inline void st_memtable_entry_value(const char *ikey, size_t ikey_len, const char **val_out, size_t *vlen_out) {
  uint64_t vlen;
  *val_out = st_get_varint64(ikey + ikey_len, ikey + ikey_len + ST_VARINT64_MAX, &vlen);
  *vlen_out = (size_t)vlen;
}

/* Decodes a stored entry: its internal key and its value. */
static inline void st_memtable_entry_decode(const char *entry, const char **ikey_out, size_t *ikey_len_out,
                                            const char **val_out, size_t *vlen_out) {
  st_memtable_entry_key(entry, ikey_out, ikey_len_out);
  st_memtable_entry_value(*ikey_out, *ikey_len_out, val_out, vlen_out);
}

#endif
