/*
 * table_builder.h - writes one SSTable (docs/FORMAT.md, "SSTable") from
 * internal keys given in ascending order. Not thread-safe.
 */
#ifndef STRATA_SST_TABLE_BUILDER_H
#define STRATA_SST_TABLE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "env/env.h"
#include "sst/table_props.h"

typedef struct st_table_options {
  size_t block_bytes;      /* target uncompressed data block size (default 4096) */
  int restart_interval;    /* keys between restart points (default 16) */
  int bloom_bits_per_key;  /* 0 = no filter (default 10) */
  int compression;         /* STRATA_COMPRESSION_* of strata.h */
} st_table_options;

void st_table_options_init(st_table_options *o);

typedef struct st_table_builder st_table_builder;

/* Creates path (must not exist) and a builder writing it. */
int st_table_builder_new(st_env *env, const char *path, const st_table_options *o, st_table_builder **b_out);

/* Adds one entry; ikey must sort after the previous one (format/ikey.h
 * order). Copies the bytes. STRATA_EINVAL (changes nothing, the builder
 * stays usable): ikey shorter than its 8-byte trailer, a kind above
 * ST_KIND_MAX or RANGE_DELETE, a key not after the previous one, an entry over 256 MiB
 * of key or 512 MiB of value. Any other error (ENOMEM, I/O) is sticky:
 * every later call returns it; finish or abandon the builder. */
int st_table_builder_add(st_table_builder *b, const char *ikey, size_t iklen, const char *val, size_t vlen);

/*
 * Adds one range tombstone [start, end) @ seq (open: to the last key) to
 * the range-tombstone block. In internal-key order of (start, seq) among
 * range tombstones, else STRATA_EINVAL; at any time relative to add. The
 * table's smallest and largest keys cover the ranges: a bounded end e
 * counts as the largest user key e, or e without its last byte when that
 * is 0x00 (the greatest key below e); an open end makes the largest key
 * the open one (format/range_del.h). Errors as add.
 */
int st_table_builder_add_range(st_table_builder *b, const char *start, size_t slen, const char *end, size_t elen,
                               int open, uint64_t seq);

/* Entries added so far, range tombstones included. */
uint64_t st_table_builder_entries(const st_table_builder *b);

/* Writes the remaining blocks, the footer, fsyncs and closes the file, and
 * fills *props_out (owned by the caller: st_table_props_clear). Frees b
 * whatever the result; on failure the file is removed. */
int st_table_builder_finish(st_table_builder *b, st_table_props *props_out);

/* Stops, closes and removes the file, frees b. NULL ok. */
void st_table_builder_abandon(st_table_builder *b);

#endif
