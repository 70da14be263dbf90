/*
 * table_cache.h - open tables by file number, at most `capacity` at once
 * (LRU), so that reads do not reopen files. Thread-safe.
 */
#ifndef STRATA_SST_TABLE_CACHE_H
#define STRATA_SST_TABLE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "env/env.h"
#include "sst/block_cache.h"
#include "sst/table.h"

typedef struct st_table_cache st_table_cache;

/* Tables are dir/NNNNNN.sst. block_cache may be NULL. table_flags are
 * passed to st_table_open (ST_TABLE_MAP). */
int st_table_cache_new(st_env *env, const char *dir, size_t capacity, st_block_cache *block_cache, int table_flags,
                       st_table_cache **tc_out);
void st_table_cache_free(st_table_cache *tc);

/* The open table for file_number (opened if needed), referenced: give it
 * back with st_table_cache_release. */
/* A missing file is STRATA_ECORRUPT: the tables asked for are live ones. */
int st_table_cache_get(st_table_cache *tc, uint64_t file_number, st_table **t_out);
void st_table_cache_release(st_table_cache *tc, st_table *t);

/* 0 when the bloom filter of table file_number proves ukey absent from
 * it; 1 on any doubt (no filter, a table that cannot be opened). */
int st_table_cache_may_contain(st_table_cache *tc, uint64_t file_number, const char *ukey, size_t ulen);

/* Forgets file_number (its file is being deleted) and drops its blocks
 * from the block cache; open references stay valid until released, and
 * the table is closed by the last release. */
void st_table_cache_evict(st_table_cache *tc, uint64_t file_number);

/* "<dir>/<number, 6+ digits>.sst" into out. */
void st_table_file_name(const char *dir, uint64_t number, char *out, size_t n);

#endif
