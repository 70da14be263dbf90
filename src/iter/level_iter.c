/*
 * level_iter.c - a level's tables as one iterator: a binary search over
 * the tables' largest keys picks the table a seek lands in; moving off
 * either end of a table opens its neighbour.
 */
#include "iter/level_iter.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "format/ikey.h"
#include "iter/table_ref_iter.h"

typedef struct level_iter {
  st_iter base;
  st_table_cache *tc;
  st_file_meta **files;
  size_t n;
  size_t cur;  /* the table `it` iterates */
  st_iter *it; /* NULL: none open (invalid) */
  int status;  /* a table that failed to open */
  /* Where it stands, read once after each move: the merging iterator
   * asks for both after every move, and a call less per step counts. */
  int valid;
  const char *key;
  size_t klen;
} level_iter;

/* Stands on table i (opening it unless it is the one open already); i == n
 * or a failure leaves no table open. 1 when a table is open. */
static int open_table(level_iter *l, size_t i) {
  if (l->it && l->cur == i) return 1;
  st_iter_free(l->it);
  l->it = NULL;
  if (i >= l->n) return 0;
  int rc = st_table_ref_iter_new(l->tc, l->files[i]->number, &l->it);
  if (rc) {
    l->status = rc;
    return 0;
  }
  l->cur = i;
  return 1;
}

/* Notes where the open table's iterator stands, valid or not. */
static void settle(level_iter *l, int valid) {
  l->valid = valid;
  if (valid) l->key = st_iter_key(l->it, &l->klen);
}

/* Past the end of the open table in the direction of travel (and not
 * failed): the neighbouring table's first entry that way, and so on. */
static void skip(level_iter *l, int forward) {
  for (;;) {
    int valid = l->it && st_iter_valid(l->it);
    size_t next = forward ? l->cur + 1 : l->cur ? l->cur - 1 : l->n;
    if (valid || !l->it || st_iter_status(l->it) != STRATA_OK || !open_table(l, next)) {
      settle(l, valid);
      return;
    }
    if (forward)
      st_iter_seek_first(l->it);
    else
      st_iter_seek_last(l->it);
  }
}

static int li_valid(const st_iter *i) { return ((const level_iter *)i)->valid; }

static void li_seek_first(st_iter *i) {
  level_iter *l = (level_iter *)i;
  l->status = STRATA_OK;
  if (open_table(l, 0)) st_iter_seek_first(l->it);
  skip(l, 1);
}

static void li_seek_last(st_iter *i) {
  level_iter *l = (level_iter *)i;
  l->status = STRATA_OK;
  if (open_table(l, l->n - 1)) st_iter_seek_last(l->it);
  skip(l, 0);
}

static void li_seek(st_iter *i, const char *target, size_t len) {
  level_iter *l = (level_iter *)i;
  l->status = STRATA_OK;
  /* The first table whose largest key is >= target: the ones before it
   * hold only smaller keys. */
  size_t lo = 0, hi = l->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const st_file_meta *f = l->files[mid];
    if (st_ikey_compare(f->largest, f->largest_len, target, len) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (open_table(l, lo)) st_iter_seek(l->it, target, len);
  skip(l, 1);
}

static void li_next(st_iter *i) {
  level_iter *l = (level_iter *)i;
  st_iter_next(l->it);
  skip(l, 1);
}

static void li_prev(st_iter *i) {
  level_iter *l = (level_iter *)i;
  st_iter_prev(l->it);
  skip(l, 0);
}

static const char *li_key(const st_iter *i, size_t *len_out) {
  const level_iter *l = (const level_iter *)i;
  *len_out = l->klen;
  return l->key;
}

static const char *li_value(const st_iter *i, size_t *len_out) {
  return st_iter_value(((const level_iter *)i)->it, len_out);
}

static int li_status(const st_iter *i) {
  const level_iter *l = (const level_iter *)i;
  if (l->status) return l->status;
  return l->it ? st_iter_status(l->it) : STRATA_OK;
}

static void li_free(st_iter *i) {
  level_iter *l = (level_iter *)i;
  st_iter_free(l->it);
  free(l->files);
  free(l);
}

/* After a step that gave key k (NULL: it left the open table): where the
 * iterator stands, and its key or NULL. */
static const char *stepped(level_iter *l, const char *k, int forward, size_t *len_out) {
  if (k)
    l->key = k;
  else
    skip(l, forward);
  *len_out = l->klen;
  return l->valid ? l->key : NULL;
}

static const char *li_next_key(st_iter *i, size_t *len_out) {
  level_iter *l = (level_iter *)i;
  return stepped(l, st_iter_next_key(l->it, &l->klen), 1, len_out);
}

static const char *li_prev_key(st_iter *i, size_t *len_out) {
  level_iter *l = (level_iter *)i;
  return stepped(l, st_iter_prev_key(l->it, &l->klen), 0, len_out);
}

static const st_iter_ops level_ops = {li_valid, li_seek_first, li_seek_last, li_seek, li_next,     li_prev,
                                      li_key,   li_value,      li_status,    li_free, li_next_key, li_prev_key};

int st_level_iter_new(st_table_cache *tc, st_file_meta *const *files, size_t n, st_iter **it_out) {
  *it_out = NULL;
  level_iter *l = calloc(1, sizeof *l);
  st_file_meta **copy = malloc((n ? n : 1) * sizeof *copy);
  if (!l || !copy) {
    free(l);
    free(copy);
    return st_error(STRATA_ENOMEM, "level iterator: out of memory for %zu tables", n);
  }
  if (n) memcpy(copy, files, n * sizeof *copy);
  l->base.ops = &level_ops;
  l->tc = tc;
  l->files = copy;
  l->n = n;
  l->cur = n;
  *it_out = &l->base;
  return STRATA_OK;
}
