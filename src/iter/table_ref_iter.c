/* table_ref_iter.c - a table iterator that releases its table cache
 * reference when freed (no wrapper: every step of a scan is one call). */
#include "iter/table_ref_iter.h"

#include "strata.h"

static void release(void *tc, void *table) { st_table_cache_release(tc, table); }

int st_table_ref_iter_from(st_table_cache *tc, st_table *t, st_iter **it_out) {
  int rc = st_table_iter_new(t, it_out);
  if (rc) {
    st_table_cache_release(tc, t);
    return rc;
  }
  st_table_iter_on_free(*it_out, release, tc, t);
  return STRATA_OK;
}

int st_table_ref_iter_new(st_table_cache *tc, uint64_t file_number, st_iter **it_out) {
  *it_out = NULL;
  st_table *t;
  int rc = st_table_cache_get(tc, file_number, &t);
  return rc ? rc : st_table_ref_iter_from(tc, t, it_out);
}
