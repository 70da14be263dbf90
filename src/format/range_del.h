/*
 * range_del.h - range tombstones: the encoding of a RANGE_DELETE record's
 * value (its end bound) and the fragmented list that readers ask "which
 * tombstone covers this key at this snapshot".
 *
 * A range tombstone [begin, end) @ seq hides every fragment of every key
 * in the range with a smaller sequence number. Tombstones may overlap; a
 * list cuts them at every begin and end into fragments that do not
 * overlap, each with the sequence numbers of all the tombstones over it,
 * newest first, so that a read at any snapshot takes one binary search
 * (RocksDB's FragmentedRangeTombstoneList works the same way).
 */
#ifndef STRATA_FORMAT_RANGE_DEL_H
#define STRATA_FORMAT_RANGE_DEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "format/ikey.h"
#include "format/kind.h"

/* The value of a RANGE_DELETE record or table entry: one flag byte, then
 * the end key when the range is bounded. */
#define ST_RANGE_END_OPEN 0    /* to the last key: nothing follows */
#define ST_RANGE_END_BOUNDED 1 /* the end key follows */

/* Writes the value for end (open: end ignored) to out (room for elen + 1);
 * returns its length. */
size_t st_range_end_put(char *out, const char *end, size_t elen, int open);

/* Decodes a value: 0 with the end, its length and open set, or -1 when
 * malformed. */
int st_range_end_get(const char *val, size_t vlen, const char **end_out, size_t *elen_out, int *open_out);

/*
 * A table whose range tombstones reach past the last key (an open end)
 * records as its largest key this internal key: an empty user key with
 * the trailer (0, RANGE_DELETE), which no entry can have. These compare it
 * as greater than every key.
 */
#define ST_OPEN_LARGEST_TRAILER ((uint64_t)ST_KIND_RANGE_DELETE)
static inline int st_ikey_is_open_largest(const char *k, size_t len) {
  return len == ST_IKEY_TRAILER && st_ikey_trailer(k, len) == ST_OPEN_LARGEST_TRAILER;
}
/* st_ikey_compare, with the open largest key after all others. */
static inline int st_bound_compare(const char *a, size_t alen, const char *b, size_t blen) {
  int ao = st_ikey_is_open_largest(a, alen), bo = st_ikey_is_open_largest(b, blen);
  if (ao || bo) return ao - bo;
  return st_ikey_compare(a, alen, b, blen);
}
/* The user key of largest (an internal key) against key: <0, 0, >0; the
 * open largest key is above every key. */
static inline int st_largest_ukey_compare(const char *largest, size_t llen, const char *key, size_t klen) {
  if (st_ikey_is_open_largest(largest, llen)) return 1;
  return st_ukey_compare(largest, llen - ST_IKEY_TRAILER, key, klen);
}

/* One tombstone as written: [begin, end) (open: to the last key) @ seq. */
typedef struct st_rtomb {
  const char *begin;
  size_t blen;
  const char *end;
  size_t elen;
  int open;
  uint64_t seq;
} st_rtomb;

/* A piece of the key space [start, end) with the tombstones over it. */
typedef struct st_rfrag {
  const char *start;
  size_t slen;
  const char *end;
  size_t elen;
  int open;              /* end is past the last key */
  const uint64_t *seqs;  /* newest first, distinct */
  size_t nseqs;
} st_rfrag;

#define ST_RTOMBS_BLOCK 16 /* fragments per search block: their words fill 512 bytes */

/* An immutable, reference-counted fragmented list; it owns copies of its
 * keys. Thread-safety: read from any thread; ref/unref from any thread. */
typedef struct st_rtombs {
  st_rfrag *frags; /* sorted by start, not overlapping */
  size_t n;
  size_t raw; /* tombstones it was built from */
  uint64_t *seqs;
  char *keys;
  /* Four words per fragment: the search words of its start and of its
   * end (the first 15 bytes, zero-padded, and the length up to 16, as two
   * big-endian words each; an open end's words are unused). Searches
   * compare these, contiguous in memory, and the keys themselves only
   * when two keys of 16 bytes or more share their first 15. */
  uint64_t *pfx;
  /* The start words of every ST_RTOMBS_BLOCK-th fragment: the upper
   * levels of a search, small enough to stay in cache, which end in one
   * block of fragments whose words are fetched at once. A reader's cost
   * is then a miss or two, not one per level of a binary search over the
   * whole list (thousands of small range deletes, a scan each). */
  uint64_t *top;
  size_t ntop;
  int last_open; /* the last fragment's end is past the last key */
  atomic_int refs;
} st_rtombs;

/* Builds the list of t[0..n) (in any order; keys copied) with one
 * reference. STRATA_ENOMEM. */
int st_rtombs_build(const st_rtomb *t, size_t n, st_rtombs **out);
void st_rtombs_ref(st_rtombs *l);
void st_rtombs_unref(st_rtombs *l); /* NULL is ignored */

/* The sequence number of the newest tombstone over key visible at snap
 * (seq <= snap), or 0 when none is. l may be NULL. */
uint64_t st_rtombs_cover(const st_rtombs *l, const char *key, size_t klen, uint64_t snap);

/* The answer of st_rtombs_cover for key, with the stretch of keys
 * [lo, hi) around it where the answer is the same. */
typedef struct st_rlookup {
  uint64_t seq;
  const st_rfrag *frag; /* the fragment holding key (seq may still be 0), or NULL in a gap */
  const char *lo, *hi;
  size_t lolen, hilen;
  int lo_none; /* no lower limit: from the first key */
  int hi_none; /* no upper limit: past the last key */
} st_rlookup;
void st_rtombs_lookup(const st_rtombs *l, const char *key, size_t klen, uint64_t snap, st_rlookup *out);

/* 1 when some fragment of l meets [lo, hi) (NULL lo: from the first key;
 * NULL hi: to the last), else 0 (also when lo >= hi: the range is
 * empty). l may be NULL. */
int st_rtombs_overlaps(const st_rtombs *l, const char *lo, size_t lolen, const char *hi, size_t hilen);

/* Starts fetching the part of l that a search for key will read (NULL
 * key: nothing), so that a search made a little later, after other work,
 * does not wait for memory. l may be NULL. */
void st_rtombs_prefetch(const st_rtombs *l, const char *key, size_t klen);

/* The newest seq of f visible at snap, or 0. */
uint64_t st_rfrag_seq_at(const st_rfrag *f, uint64_t snap);

/*
 * Garbage rules for flushes and compactions, given the live snapshots
 * (ascending). A reader at snapshot s sees the entry of seq e and not a
 * tombstone of seq t > e exactly when e <= s < t; readers without a
 * snapshot read at the latest seq and see both.
 */
#define ST_RFRAG_NONE 0   /* no tombstone of the fragment is newer than the entry */
#define ST_RFRAG_HIDDEN 1 /* hidden from every reader: drop it */
#define ST_RFRAG_SEEN 2   /* hidden, but a snapshot still sees it: keep it */
int st_rfrag_judge(const st_rfrag *f, uint64_t seq, const uint64_t *snaps, size_t nsnaps);

/* Writes to out (room for f->nseqs) the seqs of f worth keeping, newest
 * first: a tombstone every reader of which also sees a newer one of f is
 * left out. Returns how many. */
size_t st_rfrag_live_seqs(const st_rfrag *f, const uint64_t *snaps, size_t nsnaps, uint64_t *out);

/* 1 when some snapshot s has lo <= s < hi. */
int st_snapshot_between(const uint64_t *snaps, size_t nsnaps, uint64_t lo, uint64_t hi);

#endif
