/*
 * arena.h - bump allocator for the memtable: many small allocations freed
 * all at once. Not thread-safe: one writer allocates; memory it handed out
 * may be read by any thread once published.
 */
#ifndef STRATA_BASE_ARENA_H
#define STRATA_BASE_ARENA_H

#include <stddef.h>

typedef struct st_arena_block st_arena_block;

typedef struct st_arena {
  char *ptr;              /* next free byte of the current block */
  size_t left;            /* bytes left in the current block */
  st_arena_block *blocks; /* every block, newest first */
  size_t usage;           /* bytes malloc'ed, blocks and headers included */
  size_t used;            /* bytes handed out (aligned sizes) */
} st_arena;

void st_arena_init(st_arena *a);
void st_arena_destroy(st_arena *a);

/* n bytes aligned to 8, or NULL when malloc fails (the arena is unchanged).
 * n must be > 0. */
void *st_arena_alloc(st_arena *a, size_t n);

static inline size_t st_arena_usage(const st_arena *a) { return a->usage; }

/* Bytes handed out so far: what the data takes, unlike st_arena_usage,
 * which counts whole blocks reserved ahead. */
static inline size_t st_arena_used(const st_arena *a) { return a->used; }

#endif
