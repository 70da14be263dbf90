/*
 * block_builder.h - builds one block (docs/FORMAT.md, "Block contents"):
 * entries with prefix-compressed keys, a restart point (a full key) every
 * restart_interval entries, then the restart offsets and their count.
 * Not thread-safe.
 */
#ifndef STRATA_FORMAT_BLOCK_BUILDER_H
#define STRATA_FORMAT_BLOCK_BUILDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_block_builder {
  char *buf; /* entries, then (after finish) the restart array */
  size_t len, cap;
  uint32_t *restarts; /* offsets of restart entries */
  size_t nrestarts, cap_restarts;
  int restart_interval;
  int counter; /* entries since the last restart */
  char *last;  /* the previous key */
  size_t last_len, last_cap;
  uint64_t entries;
  int finished;
} st_block_builder;

/* restart_interval >= 1. No allocation until the first add. */
void st_block_builder_init(st_block_builder *b, int restart_interval);
/* Frees the buffers. */
void st_block_builder_destroy(st_block_builder *b);
/* Empties the block for reuse (keeps the buffers). */
void st_block_builder_reset(st_block_builder *b);

/*
 * Appends one entry. Keys must come in the order the reader will use
 * (the caller checks; the builder only shares prefixes). Copies the bytes.
 * STRATA_ENOMEM, or STRATA_EINVAL when the block would outgrow
 * ST_BLOCK_MAX_RAW; the block is unchanged on failure. Not after finish.
 */
int st_block_builder_add(st_block_builder *b, const char *key, size_t klen, const char *val, size_t vlen);

/* Size of the block finish produces (or produced). */
static inline size_t st_block_builder_size(const st_block_builder *b) {
  return b->finished ? b->len : b->len + 4 * (b->nrestarts + 1);
}

static inline int st_block_builder_empty(const st_block_builder *b) { return b->entries == 0; }

/* Appends the restart array and returns the block: *data_out stays valid
 * until reset or destroy. An empty block is the 4 bytes 00 00 00 00.
 * STRATA_ENOMEM. */
int st_block_builder_finish(st_block_builder *b, const char **data_out, size_t *len_out);

#endif
