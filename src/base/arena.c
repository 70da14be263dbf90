/*
 * arena.c - blocks of 64 KiB carve small allocations; an
 * allocation larger than a quarter block gets a block of its own so that
 * the tail of the current block is not wasted.
 */
#include "base/arena.h"

#include <stdlib.h>

#define ARENA_BLOCK 65536

struct st_arena_block {
  st_arena_block *next;
  size_t size;
  /* data follows, aligned to 16 */
};

#define HDR (((sizeof(st_arena_block) + 15) / 16) * 16)

void st_arena_init(st_arena *a) {
  a->ptr = NULL;
  a->left = 0;
  a->blocks = NULL;
  a->usage = 0;
  a->used = 0;
}

void st_arena_destroy(st_arena *a) {
  st_arena_block *b = a->blocks;
  while (b) {
    st_arena_block *next = b->next;
    free(b);
    b = next;
  }
  st_arena_init(a);
}

static char *new_block(st_arena *a, size_t size) {
  st_arena_block *b = malloc(HDR + size);
  if (!b) return NULL;
  b->next = a->blocks;
  b->size = size;
  a->blocks = b;
  a->usage += HDR + size;
  return (char *)b + HDR;
}

void *st_arena_alloc(st_arena *a, size_t n) {
  n = (n + 7) & ~(size_t)7;
  char *p;
  if (n <= a->left) {
    p = a->ptr;
    a->ptr += n;
    a->left -= n;
  } else if (n > ARENA_BLOCK / 4) {
    p = new_block(a, n);
  } else {
    p = new_block(a, ARENA_BLOCK);
    if (p) {
      a->ptr = p + n;
      a->left = ARENA_BLOCK - n;
    }
  }
  if (p) a->used += n;
  return p;
}
