/*
 * version.h - a version: the set of live tables per level at one moment.
 * Immutable once installed and reference-counted, so a reader holding one
 * never sees a file disappear. Thread-safety: ref/unref from any thread;
 * the contents never change.
 */
#ifndef STRATA_VERSION_VERSION_H
#define STRATA_VERSION_VERSION_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "env/sync.h"
#include "format/range_del.h"

#define ST_LEVELS 7

/* One live table. Shared between versions (reference-counted). */
typedef struct st_file_meta {
  uint64_t number;
  uint64_t size;       /* file bytes */
  char *smallest;      /* first internal key */
  size_t smallest_len;
  char *largest;       /* last internal key */
  size_t largest_len;
  uint64_t min_seq, max_seq;
  uint64_t entries, tombstones;
  /* Whether the table holds range tombstones: 1, 0, or -1 when not known
   * (a meta read from the manifest, which does not record it, of a table
   * with tombstones; the first read that opens the table sets it). */
  atomic_int range_dels;
  /* The bytes of older tables that the table's range tombstones hide, as
   * estimated (db/covered.c) in a version holding it once range_dels is
   * known to be 1, or -1 until then. Never recorded in the manifest: after
   * an open, a table is weighed again once a read has opened it. What
   * makes the picker push the table down to the data it deletes
   * (picker.c). */
  atomic_int_fast64_t covered_bytes;
  atomic_int refs;
  /* Reads that may still look into this table before one that did not
   * find its key there: at 0 the table is due for a compaction (read.c,
   * picker.c). Set when a version adds the table; any thread decrements. */
  atomic_int_fast64_t allowed_seeks;
} st_file_meta;

/* A table allows a read that looks into it in vain per this many bytes of
 * it, and at least ST_FILE_MIN_SEEKS (LevelDB's figures: one such read
 * costs about what compacting 16 KiB does). */
#define ST_FILE_SEEK_BYTES 16384
#define ST_FILE_MIN_SEEKS 100

/* The allowed_seeks of a table of size bytes when a version adds it. */
static inline int64_t st_file_allowed_seeks(uint64_t size) {
  uint64_t n = size / ST_FILE_SEEK_BYTES;
  return n < ST_FILE_MIN_SEEKS ? ST_FILE_MIN_SEEKS : n > INT64_MAX ? INT64_MAX : (int64_t)n;
}

/* A new meta with copies of the keys and one reference; the other fields
 * (min_seq ... tombstones) are 0 for the caller to fill in before the meta
 * is shared. NULL on ENOMEM. */
st_file_meta *st_file_meta_new(uint64_t number, uint64_t size, const char *smallest, size_t slen,
                               const char *largest, size_t llen);
/* Reference counting, from any thread; the last unref frees the meta and
 * its keys. unref(NULL) is a no-op. */
void st_file_meta_ref(st_file_meta *f);
void st_file_meta_unref(st_file_meta *f);

typedef struct st_version {
  /* Level 0: newest first (highest number first); its files may overlap.
   * Levels 1+: sorted by smallest key, not overlapping. */
  st_file_meta **files[ST_LEVELS];
  size_t nfiles[ST_LEVELS];
  atomic_int refs;
  /* The version set's list of live versions (version_set.c): list_mu is
   * the set's mutex, which guards prev and next; NULL while the version is
   * in no list. Set before the version is shared, cleared by the set. */
  st_mutex *list_mu;
  struct st_version *prev, *next;
} st_version;

/* A new version with no files and one reference, in no list. NULL on
 * ENOMEM. */
st_version *st_version_new(void);

/* Reference counting, from any thread. The last unref takes the version
 * out of its set's list (locking the set's mutex, so it must not be called
 * with that mutex held), drops its references to its files and frees it.
 * unref(NULL) is a no-op. */
void st_version_ref(st_version *v);
void st_version_unref(st_version *v);

/* The first table of level (>= 1) of v whose largest user key is >= key
 * (a table whose range tombstones reach past the last key is above every
 * key), or v->nfiles[level] when none is: tables of such a level are
 * sorted and do not overlap, so a binary search. */
static inline size_t st_version_first_reaching(const st_version *v, int level, const char *key, size_t klen) {
  size_t lo = 0, hi = v->nfiles[level];
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const st_file_meta *f = v->files[level][mid];
    if (st_largest_ukey_compare(f->largest, f->largest_len, key, klen) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Bytes of all files of a level. */
uint64_t st_version_level_bytes(const st_version *v, int level);

#endif
