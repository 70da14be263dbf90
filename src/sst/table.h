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
#include "format/block_handle.h"
#include "format/footer.h"
#include "format/range_del.h"
#include "sst/block_cache.h"
#include "sst/table_props.h"

typedef struct st_table st_table;

/* Flags of st_table_open. */
#define ST_TABLE_MAP 1 /* map the file into memory when the env can (see table.c) */

/*
 * Opens the table at path, reading and checking its footer, index,
 * properties and filter (STRATA_ECORRUPT with file and offset on damage).
 * file_number keys its blocks in cache (NULL cache: no caching). flags:
 * 0 or ST_TABLE_MAP.
 */
int st_table_open(st_env *env, const char *path, uint64_t file_number, st_block_cache *cache, int flags,
                  st_table **t_out);
void st_table_close(st_table *t);

const st_table_props *st_table_get_props(const st_table *t);

/* The table's range tombstones (valid while the table is open), or NULL
 * when it has none. */
const st_rtombs *st_table_rtombs(const st_table *t);

/* 0 when the bloom filter proves user_key absent, else 1. */
int st_table_may_contain(const st_table *t, const char *ukey, size_t ulen);

/* An iterator over the table's internal keys (STRATA_ENOMEM). Damage found
 * while iterating shows as st_iter_status() == STRATA_ECORRUPT. A seek,
 * seek_first or seek_last clears an earlier failure and tries again. */
int st_table_iter_new(st_table *t, st_iter **it_out);

/* Has fn(a, b) called when it (made by st_table_iter_new) is freed, after
 * the iterator let go of the table: how a caller ties a reference that
 * keeps the table open to the iterator's life. One per iterator. */
void st_table_iter_on_free(st_iter *it, void (*fn)(void *, void *), void *a, void *b);

/* Point lookup: finds the first entry >= target (an internal key) and
 * calls fn with it, then with each following entry for as long as fn
 * returns ST_TABLE_GET_MORE (a key's chain of fragments); key and value
 * are valid only during the call. No entry >= target (or no more): fn is
 * not called. Returns fn's last result other than ST_TABLE_GET_MORE (0 when
 * the entries ran out), or STRATA_ECORRUPT / STRATA_EIO / STRATA_ENOMEM.
 * Allocates nothing when the blocks are mapped or cached. */
#define ST_TABLE_GET_MORE 1
typedef int (*st_table_get_fn)(void *arg, const char *ikey, size_t iklen, const char *val, size_t vlen);
int st_table_get(st_table *t, const char *target, size_t tlen, st_table_get_fn fn, void *arg);

/* Where ukey's entries start in the data: the offset of the first data
 * block that may hold ukey or a later user key (the index's answer, no
 * block read), or the end of the data blocks when none may; NULL ukey:
 * the end of the data blocks. Offsets grow with ukey, so the difference
 * between two estimates the bytes of the keys between them, within a
 * block. 0 when memory for the search key runs out (an estimate is all
 * this is). Thread-safe. */
uint64_t st_table_offset_of(const st_table *t, const char *ukey, size_t ulen);

/* Reads every block and checks its checksum and framing; writes one line
 * per problem to report (may be NULL). STRATA_OK or the first error. */
int st_table_verify(st_table *t, FILE *report);

/* Prints properties, and with entries != 0 every entry, to out, in the
 * stable text format of docs/FORMAT.md ("Table dump"). STRATA_OK or the
 * first error met while iterating (also printed). */
int st_table_dump(st_table *t, FILE *out, int entries);

/* ---- for the sst layer's own files (inspection) --------------------- */

/* The path and file number given to st_table_open; the file's size. */
const char *st_table_path(const st_table *t);
uint64_t st_table_file_number(const st_table *t);
uint64_t st_table_file_size(const st_table *t);
/* The footer as read at open. */
const st_footer *st_table_footer(const st_table *t);

/* Reads n bytes at off from the file; a file shorter than that is
 * STRATA_ECORRUPT (it was cut). Thread-safe. */
int st_table_pread(st_table *t, uint64_t off, char *buf, size_t n);

/* Reads the block at h from disk (never from the cache), checks its
 * trailer and uncompresses it: *buf_out is a malloc'ed buffer holding its
 * *len_out bytes of contents. what names the block in messages ("data
 * block"). STRATA_ECORRUPT (file, offset, expected vs found), STRATA_EIO,
 * STRATA_ENOMEM. Thread-safe. */
int st_table_read_block(st_table *t, const st_block_handle *h, const char *what, char **buf_out, size_t *len_out);

#endif
