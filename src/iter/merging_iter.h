/*
 * merging_iter.h - one ordered view of many internal-key iterators (the
 * memtables and the tables of every level), newest duplicates included.
 * Not thread-safe.
 */
#ifndef STRATA_ITER_MERGING_ITER_H
#define STRATA_ITER_MERGING_ITER_H

#include <stddef.h>

#include "base/iter.h"

/* Takes ownership of children[0..n) (freed with the merged iterator, also
 * on failure). The array itself is copied. STRATA_ENOMEM. */
int st_merging_iter_new(st_iter **children, size_t n, st_iter **it_out);

#endif
