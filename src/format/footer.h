/*
 * footer.h - the fixed-size footer that ends every table file
 * (docs/FORMAT.md, "Footer"): the handles of the index, filter,
 * range-tombstone and properties blocks, zero padding, a masked CRC-32C of
 * the footer, the format version and the magic number. Pure; thread-safe.
 */
#ifndef STRATA_FORMAT_FOOTER_H
#define STRATA_FORMAT_FOOTER_H

#include <stdint.h>

#include "format/block_handle.h"

#define ST_FOOTER_SIZE 96
#define ST_FOOTER_HANDLES 80 /* bytes 0..79: four handles, zero-padded */
#define ST_TABLE_FORMAT_VERSION 1
#define ST_TABLE_MAGIC 0x5453415441525453ull /* bytes 53 54 52 41 54 41 53 54: "STRATAST" */

typedef struct st_footer {
  st_block_handle index;
  st_block_handle filter; /* size 0 (and offset 0): no filter */
  st_block_handle range_del;
  st_block_handle props;
  uint32_t version;
} st_footer;

/* Writes the ST_FOOTER_SIZE bytes of f (version ST_TABLE_FORMAT_VERSION). */
void st_footer_encode(const st_footer *f, char *out);

/*
 * Decodes in[0, ST_FOOTER_SIZE). Checks, in this order: the magic, the
 * CRC, the version, the handles and the zero padding. STRATA_ECORRUPT with
 * a message naming file and offset (the footer's offset in the file) and
 * what was expected and found.
 */
int st_footer_decode(const char *in, const char *file, uint64_t offset, st_footer *f_out);

/*
 * Checks that the blocks f names tile the end of a file of file_size bytes
 * as a writer lays them out: [filter], range_del, index, props, each
 * followed by its trailer, then the footer. A filter is absent when its
 * size is 0 (its offset must be 0 too). *data_end_out: the offset of the
 * first of those blocks, where the data blocks end. STRATA_ECORRUPT
 * naming file and what was expected and found.
 */
int st_footer_check_layout(const st_footer *f, uint64_t file_size, const char *file, uint64_t *data_end_out);

#endif
