/*
 * iter.h - the internal iterator interface: a cursor over ordered
 * (key, value) byte pairs. Memtables, blocks, tables, levels and merges all
 * implement it, so that they compose. Keys are internal keys (format/
 * ikey.h) everywhere above the block level.
 *
 * Contract: key() and value() may be called only while valid(); the bytes
 * stay valid until the next move or free. A failure (corrupt block, I/O)
 * makes the iterator invalid with status() != STRATA_OK, with the detail
 * in strata_errmsg() of the thread that moved it. Not thread-safe: one
 * thread at a time.
 */
#ifndef STRATA_BASE_ITER_H
#define STRATA_BASE_ITER_H

#include <stddef.h>

typedef struct st_iter st_iter;

typedef struct st_iter_ops {
  int (*valid)(const st_iter *it);
  void (*seek_first)(st_iter *it);
  void (*seek_last)(st_iter *it);
  /* First entry with key >= target (in the iterator's order). */
  void (*seek)(st_iter *it, const char *target, size_t len);
  void (*next)(st_iter *it);
  void (*prev)(st_iter *it);
  const char *(*key)(const st_iter *it, size_t *len_out);
  const char *(*value)(const st_iter *it, size_t *len_out);
  int (*status)(const st_iter *it);
  void (*free)(st_iter *it);
  /* Optional (NULL: next, valid and key are called): next, then the key,
   * or NULL when no longer valid. One call per step of a scan instead of
   * three, where the merging iterator moves a child. */
  const char *(*next_key)(st_iter *it, size_t *len_out);
  /* The same for prev (optional). */
  const char *(*prev_key)(st_iter *it, size_t *len_out);
} st_iter_ops;

/* Each implementation embeds this as its first member. */
struct st_iter {
  const st_iter_ops *ops;
};

static inline int st_iter_valid(const st_iter *it) { return it->ops->valid(it); }
static inline void st_iter_seek_first(st_iter *it) { it->ops->seek_first(it); }
static inline void st_iter_seek_last(st_iter *it) { it->ops->seek_last(it); }
static inline void st_iter_seek(st_iter *it, const char *t, size_t n) { it->ops->seek(it, t, n); }
static inline void st_iter_next(st_iter *it) { it->ops->next(it); }
static inline void st_iter_prev(st_iter *it) { it->ops->prev(it); }
static inline const char *st_iter_key(const st_iter *it, size_t *n) { return it->ops->key(it, n); }
static inline const char *st_iter_value(const st_iter *it, size_t *n) { return it->ops->value(it, n); }
static inline int st_iter_status(const st_iter *it) { return it->ops->status(it); }
static inline const char *st_iter_next_key(st_iter *it, size_t *n) {
  if (it->ops->next_key) return it->ops->next_key(it, n);
  it->ops->next(it);
  return it->ops->valid(it) ? it->ops->key(it, n) : NULL;
}
static inline const char *st_iter_prev_key(st_iter *it, size_t *n) {
  if (it->ops->prev_key) return it->ops->prev_key(it, n);
  it->ops->prev(it);
  return it->ops->valid(it) ? it->ops->key(it, n) : NULL;
}
static inline void st_iter_free(st_iter *it) {
  if (it) it->ops->free(it);
}

/* Compares two keys of an iterator's order: <0, 0, >0. */
typedef int (*st_key_cmp)(const char *a, size_t alen, const char *b, size_t blen);

#endif
