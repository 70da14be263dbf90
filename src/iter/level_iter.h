/*
 * level_iter.h - one iterator over tables of a level that do not overlap
 * (levels 1+), opening only the table it stands in: a seek opens one
 * table of the level instead of all of them, so what a seek costs does
 * not grow with the number of tables. Tables are opened through the table
 * cache and released when the iterator leaves them. Not thread-safe.
 */
#ifndef STRATA_ITER_LEVEL_ITER_H
#define STRATA_ITER_LEVEL_ITER_H

#include <stddef.h>

#include "base/iter.h"
#include "sst/table_cache.h"
#include "version/version.h"

/* An iterator over files[0 .. n), sorted by key and not overlapping, none
 * of them holding range tombstones (their largest key is an entry's). The
 * array is copied; the metas are not referenced: the caller keeps them
 * alive (a version reference) until the iterator is freed. Every user key
 * lies within one table (outputs are cut at user-key boundaries). */
int st_level_iter_new(st_table_cache *tc, st_file_meta *const *files, size_t n, st_iter **it_out);

#endif
