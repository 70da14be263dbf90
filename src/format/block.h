/*
 * block.h - reading one block (docs/FORMAT.md, "Block contents"): an
 * iterator over its entries with seek by binary search over the restart
 * points, and prev by decoding the restart interval before the entry once
 * and stepping back through what it kept.
 * Every decode is bounds-checked: damaged bytes make the iterator invalid
 * with status STRATA_ECORRUPT, never a read outside the block.
 * Not thread-safe: one thread per iterator; the block's bytes are only read.
 * An st_block_iter must not be copied by value (it points into itself).
 */
#ifndef STRATA_FORMAT_BLOCK_H
#define STRATA_FORMAT_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "base/iter.h"

typedef struct st_block_iter {
  st_iter base;     /* ops: usable as an st_iter */
  const char *data; /* the block (not owned), NULL when detached */
  size_t restarts;  /* offset of the restart array = end of the entries */
  uint32_t nrestarts;
  size_t cur;             /* offset of the current entry; == restarts when not valid */
  size_t next;            /* offset of the entry after the current one */
  uint32_t restart_index; /* the restart point last sought */
  size_t shared;          /* shared prefix length of the current entry (st_block_check) */
  st_key_cmp cmp;
  size_t key_min; /* keys shorter than this are damage */
  char *key;      /* the current key, rebuilt from its prefix: key_inline or malloc'ed */
  size_t key_len, key_cap;
  char key_inline[64]; /* short keys need no allocation */
  const char *val;     /* the current value, inside the block */
  size_t val_len;
  int status;
  int heap;                   /* made by st_block_iter_new: free() releases the struct too */
  struct st_block_back *back; /* backward steps' copy of one interval (block.c); NULL until needed */
} st_block_iter;

/* Bytewise order (memcmp, then shorter first): for blocks of plain names. */
int st_bytewise_compare(const char *a, size_t alen, const char *b, size_t blen);

/*
 * Prepares an iterator in place with no block (not valid, status OK).
 * cmp orders the keys (NULL: bytewise); key_min is the shortest key that
 * is not damage (8 for internal keys, so that cmp never sees a short one).
 */
void st_block_iter_init(st_block_iter *it, st_key_cmp cmp, size_t key_min);

/* Points the iterator at block data[0, len) (which must outlive its use),
 * not positioned. A malformed restart array: STRATA_ECORRUPT (also its
 * status). Keeps the key buffer. */
int st_block_iter_reset(st_block_iter *it, const char *data, size_t len);

/* Forgets the block (not valid, status OK). */
void st_block_iter_detach(st_block_iter *it);

/* Frees the key buffer (and what backward steps kept) of an in-place
 * iterator. */
void st_block_iter_destroy(st_block_iter *it);

/* A heap iterator over data[0, len) (free with st_iter_free). Only
 * STRATA_ENOMEM fails; damage shows in st_iter_status(). */
int st_block_iter_new(const char *data, size_t len, st_key_cmp cmp, size_t key_min, st_iter **it_out);

/* Direct calls (no indirection) for the table iterator; same meaning as
 * the st_iter operations. */
void st_block_iter_seek_first(st_block_iter *it);
void st_block_iter_seek_last(st_block_iter *it);
void st_block_iter_seek(st_block_iter *it, const char *target, size_t len);
void st_block_iter_next(st_block_iter *it);
void st_block_iter_prev(st_block_iter *it);
static inline int st_block_iter_valid(const st_block_iter *it) { return it->cur < it->restarts; }

/* The index of the last restart point at or before the current entry (the
 * iterator must be valid). In a block written with restart interval 1, an
 * index block, that is the entry's ordinal. */
uint32_t st_block_iter_restart_of_current(const st_block_iter *it);

/*
 * Checks a whole block: restart array, every entry's framing, restart
 * points at entry boundaries with no shared prefix, keys strictly
 * ascending under cmp. STRATA_OK with *entries_out, or STRATA_ECORRUPT
 * (message: which entry, at which offset, expected vs found) or
 * STRATA_ENOMEM.
 */
int st_block_check(const char *data, size_t len, st_key_cmp cmp, size_t key_min, uint64_t *entries_out);

#endif
