/* table_ref_iter.c - forwards to a table iterator and releases the table
 * cache reference on free. */
#include "iter/table_ref_iter.h"

#include <stdlib.h>

#include "base/error.h"

typedef struct ref_iter {
  st_iter base;
  st_iter *inner;
  st_table_cache *tc;
  st_table *table;
} ref_iter;

#define INNER(i) (((const ref_iter *)(i))->inner)

static int r_valid(const st_iter *i) { return st_iter_valid(INNER(i)); }
static void r_seek_first(st_iter *i) { st_iter_seek_first(INNER(i)); }
static void r_seek_last(st_iter *i) { st_iter_seek_last(INNER(i)); }
static void r_seek(st_iter *i, const char *t, size_t n) { st_iter_seek(INNER(i), t, n); }
static void r_next(st_iter *i) { st_iter_next(INNER(i)); }
static void r_prev(st_iter *i) { st_iter_prev(INNER(i)); }
static const char *r_key(const st_iter *i, size_t *n) { return st_iter_key(INNER(i), n); }
static const char *r_value(const st_iter *i, size_t *n) { return st_iter_value(INNER(i), n); }
static int r_status(const st_iter *i) { return st_iter_status(INNER(i)); }

static void r_free(st_iter *i) {
  ref_iter *r = (ref_iter *)i;
  st_iter_free(r->inner);
  st_table_cache_release(r->tc, r->table);
  free(r);
}

static const st_iter_ops ref_ops = {r_valid, r_seek_first, r_seek_last, r_seek,   r_next,
                                    r_prev,  r_key,        r_value,     r_status, r_free};

int st_table_ref_iter_new(st_table_cache *tc, uint64_t file_number, st_iter **it_out) {
  *it_out = NULL;
  ref_iter *r = calloc(1, sizeof *r);
  if (!r) return st_error(STRATA_ENOMEM, "table iterator: out of memory");
  int rc = st_table_cache_get(tc, file_number, &r->table);
  if (!rc) {
    rc = st_table_iter_new(r->table, &r->inner);
    if (rc) st_table_cache_release(tc, r->table);
  }
  if (rc) {
    free(r);
    return rc;
  }
  r->base.ops = &ref_ops;
  r->tc = tc;
  *it_out = &r->base;
  return STRATA_OK;
}
