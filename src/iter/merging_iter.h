/*
 * merging_iter.h - one ordered view of many internal-key iterators (the
 * memtables and the tables of every level), newest duplicates included.
 * Not thread-safe.
 */
#ifndef STRATA_ITER_MERGING_ITER_H
#define STRATA_ITER_MERGING_ITER_H

#include <stddef.h>

#include "base/iter.h"
#include "format/range_del.h"

/* Takes ownership of children[0..n) (freed with the merged iterator, also
 * on failure). The array itself is copied. STRATA_ENOMEM. */
int st_merging_iter_new(st_iter **children, size_t n, st_iter **it_out);

/*
 * The same for readers, with range tombstones: lists[i] (NULL when none)
 * are child i's range tombstones; newest[i] is the greatest seq of child
 * i's entries visible at snap (UINT64_MAX when unknown). The iterator
 * takes over both malloc'ed arrays and the lists' references (also on
 * failure). Children must come
 * newest first (memtables, level-0 tables newest first, then deeper
 * levels): an older child holds only fragments older than a newer child's
 * tombstone over them. Entries hidden by a tombstone visible at snap are
 * never shown; moving over a deleted range seeks past it every child that
 * is older than the tombstone (by position, or by newest[]) instead of
 * stepping through what it hides.
 */
int st_merging_iter_new_ranged(st_iter **children, st_rtombs **lists, uint64_t *newest, size_t n, uint64_t snap,
                               st_iter **it_out);

/* The bounds [lower, upper) of the reader above (copied; NULL: none): an
 * entry outside them is left as it is, hidden or not, since the reader
 * stops there anyway; so a bounded scan that ends where a deleted range
 * begins does not pay to pass it. For an iterator made by
 * st_merging_iter_new_ranged only. STRATA_ENOMEM. */
int st_merging_iter_set_bounds(st_iter *it, const void *lower, size_t llen, const void *upper, size_t ulen);

/* 1 when it was made by st_merging_iter_new or _new_ranged. */
int st_is_merging_iter(const st_iter *it);

/* st_iter_valid, _next, _key and _value of a merging iterator as direct
 * calls: the database iterator, whose inner iterator is always one, makes
 * several per entry it returns, and an indirect call is not inlined. */
int st_merging_iter_valid(const st_iter *it);
void st_merging_iter_next(st_iter *it);
const char *st_merging_iter_key(const st_iter *it, size_t *len_out);
const char *st_merging_iter_value(const st_iter *it, size_t *len_out);

/* Moves forward past every entry of the current entry's user key (the
 * current one included): what stepping until the user key changes does,
 * without a call through the interface and a parse per entry. Returns the
 * number of entries passed after the current one. A valid iterator only;
 * on ENOMEM it ends with that status. */
uint64_t st_merging_iter_next_key(st_iter *it);

/* Entries a range tombstone hid that the iterator stepped over one by one
 * (those passed by a seek are not counted). */
uint64_t st_merging_iter_hidden_stepped(const st_iter *it);

#endif
