/*
 * block_cache.h - a sharded LRU cache of uncompressed blocks, bounded by
 * bytes, keyed by (file number, block offset). Thread-safe. Entries are
 * reference-counted: a block handed out stays alive until released even if
 * evicted meanwhile.
 */
#ifndef STRATA_SST_BLOCK_CACHE_H
#define STRATA_SST_BLOCK_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_block_cache st_block_cache;
typedef struct st_cache_handle st_cache_handle;

/* capacity in bytes (0: caches nothing but still works). */
int st_block_cache_new(size_t capacity, st_block_cache **c_out);
void st_block_cache_free(st_block_cache *c);

/* A referenced entry, or NULL on a miss. */
st_cache_handle *st_block_cache_lookup(st_block_cache *c, uint64_t file, uint64_t offset);

/* Inserts data (ownership passes to the cache: free()d when evicted and
 * unreferenced) with charge bytes, and returns a referenced handle; NULL
 * only on allocation failure (then data is freed). Replaces an existing
 * entry for the same key. */
st_cache_handle *st_block_cache_insert(st_block_cache *c, uint64_t file, uint64_t offset, void *data, size_t charge);

void *st_cache_handle_data(st_cache_handle *h);
/* The charge the entry was inserted with (for blocks: their byte length). */
size_t st_cache_handle_size(st_cache_handle *h);
void st_block_cache_release(st_block_cache *c, st_cache_handle *h);

/* Drops every entry of file (when the table is deleted). */
void st_block_cache_erase_file(st_block_cache *c, uint64_t file);

typedef struct st_block_cache_stats {
  uint64_t hits, misses, inserts, evictions;
  size_t usage, capacity;
} st_block_cache_stats;
void st_block_cache_get_stats(st_block_cache *c, st_block_cache_stats *s);

#endif
