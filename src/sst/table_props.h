/*
 * table_props.h - what a table knows about itself, stored in its
 * properties block (docs/FORMAT.md) and kept in memory while it is open.
 */
#ifndef STRATA_SST_TABLE_PROPS_H
#define STRATA_SST_TABLE_PROPS_H

#include <stddef.h>
#include <stdint.h>

#include "format/kind.h"

typedef struct st_table_props {
  uint64_t entries;                     /* all entries */
  uint64_t kind_counts[ST_KIND_MAX + 1]; /* entries per fragment kind */
  uint64_t tombstones;                  /* DELETE + RANGE_DELETE entries */
  uint64_t min_seq, max_seq;
  uint64_t raw_key_bytes, raw_value_bytes; /* user bytes as given */
  uint64_t data_blocks;
  uint64_t data_bytes;  /* data blocks as stored (after compression) */
  uint64_t file_bytes;  /* whole file */
  int compression;      /* STRATA_COMPRESSION_* used for data blocks */
  char *smallest;       /* first internal key (malloc'ed) */
  size_t smallest_len;
  char *largest;        /* last internal key (malloc'ed) */
  size_t largest_len;
} st_table_props;

/* Frees the keys and zeroes *p. */
void st_table_props_clear(st_table_props *p);

/* Deep copy: STRATA_ENOMEM. */
int st_table_props_copy(st_table_props *dst, const st_table_props *src);

/* Encodes p as a properties block (docs/FORMAT.md, "Properties block"):
 * a malloc'ed buffer in *buf_out. STRATA_ENOMEM. */
int st_table_props_encode(const st_table_props *p, char **buf_out, size_t *len_out);

/* Decodes the properties block data[0, len) into *p_out (zeroed first;
 * owned by the caller: st_table_props_clear). Malformed or inconsistent
 * contents: STRATA_ECORRUPT with a message naming file and offset (the
 * block's offset in the file); STRATA_ENOMEM. */
int st_table_props_decode(const char *data, size_t len, const char *file, uint64_t offset, st_table_props *p_out);

#endif
