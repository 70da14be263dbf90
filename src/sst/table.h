/*
 * table.h - an open SSTable: point lookups through its bloom filter and
 * index, iteration, and verification of every block's checksum.
 * Thread-safety: a table may be used by many threads at once (it is
 * immutable; the block cache is thread-safe); each iterator belongs to one
 * thread.
 */
#ifndef STRATA_SST_TABLE_H
#define STRATA_SST_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/iter.h"
#include "env/env.h"
#include "sst/block_cache.h"
#include "sst/table_props.h"

typedef struct st_table st_table;

/*
 * Opens the table at path, reading and checking its footer, index,
 * properties and filter (STRATA_ECORRUPT with file and offset on damage).
 * file_number keys its blocks in cache (NULL cache: no caching).
 */
int st_table_open(st_env *env, const char *path, uint64_t file_number, st_block_cache *cache, st_table **t_out);
void st_table_close(st_table *t);

const st_table_props *st_table_get_props(const st_table *t);

/* 0 when the bloom filter proves user_key absent, else 1. */
int st_table_may_contain(const st_table *t, const char *ukey, size_t ulen);

/* An iterator over the table's internal keys (STRATA_ENOMEM). Damage found
 * while iterating shows as st_iter_status() == STRATA_ECORRUPT. */
int st_table_iter_new(st_table *t, st_iter **it_out);

/* Reads every block and checks its checksum and framing; writes one line
 * per problem to report (may be NULL). STRATA_OK or the first error. */
int st_table_verify(st_table *t, FILE *report);

/* Prints properties, and with entries != 0 every entry, to out. */
int st_table_dump(st_table *t, FILE *out, int entries);

#endif
