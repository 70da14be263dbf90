/*
 * table_ref_iter.h - an iterator over one table taken from the table
 * cache, holding the cache's reference until it is freed, so the table
 * stays open under it. Not thread-safe.
 */
#ifndef STRATA_ITER_TABLE_REF_ITER_H
#define STRATA_ITER_TABLE_REF_ITER_H

#include <stdint.h>

#include "base/iter.h"
#include "sst/table_cache.h"

/* Opens (or finds) table file_number and iterates it. */
int st_table_ref_iter_new(st_table_cache *tc, uint64_t file_number, st_iter **it_out);
/* Iterates t, a reference the caller took from tc; the reference passes
 * to the iterator (released by it, or here when it cannot be made). */
int st_table_ref_iter_from(st_table_cache *tc, st_table *t, st_iter **it_out);

#endif
