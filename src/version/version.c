/*
 * version.c - reference-counted file metas and versions. A version holds a
 * reference on each of its files; its last unref takes it out of the
 * version set's list of live versions before freeing it.
 */
#include "version/version.h"

#include <stdlib.h>
#include <string.h>

st_file_meta *st_file_meta_new(uint64_t number, uint64_t size, const char *smallest, size_t slen,
                               const char *largest, size_t llen) {
  st_file_meta *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  /* +1: a zero-length key still gets a distinct allocation. */
  f->smallest = malloc(slen + 1);
  f->largest = malloc(llen + 1);
  if (!f->smallest || !f->largest) {
    free(f->smallest);
    free(f->largest);
    free(f);
    return NULL;
  }
  if (slen) memcpy(f->smallest, smallest, slen);
  if (llen) memcpy(f->largest, largest, llen);
  f->smallest_len = slen;
  f->largest_len = llen;
  f->number = number;
  f->size = size;
  atomic_init(&f->range_dels, -1);
  atomic_init(&f->covered_bytes, -1);
  atomic_init(&f->refs, 1);
  return f;
}

void st_file_meta_ref(st_file_meta *f) { atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed); }

void st_file_meta_unref(st_file_meta *f) {
  if (!f) return;
  /* acq_rel: every use of the meta by other holders happens before the free. */
  if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1) return;
  free(f->smallest);
  free(f->largest);
  free(f);
}

st_version *st_version_new(void) {
  st_version *v = calloc(1, sizeof *v);
  if (!v) return NULL;
  atomic_init(&v->refs, 1);
  return v;
}

void st_version_ref(st_version *v) { atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed); }

void st_version_unref(st_version *v) {
  if (!v) return;
  if (atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) != 1) return;
  /* Nobody can take a new reference now: the set refs only its current
   * version, which holds the set's own reference. Until it is unlinked the
   * version still counts for st_version_set_live_files, which is safe:
   * its files are released only afterwards. */
  st_mutex *mu = v->list_mu;
  if (mu) {
    st_mutex_lock(mu);
    v->prev->next = v->next;
    v->next->prev = v->prev;
    st_mutex_unlock(mu);
  }
  for (int level = 0; level < ST_LEVELS; level++) {
    for (size_t i = 0; i < v->nfiles[level]; i++) st_file_meta_unref(v->files[level][i]);
    free(v->files[level]);
  }
  free(v);
}

uint64_t st_version_level_bytes(const st_version *v, int level) {
  uint64_t total = 0;
  if (level < 0 || level >= ST_LEVELS) return 0;
  for (size_t i = 0; i < v->nfiles[level]; i++) total += v->files[level][i]->size;
  return total;
}
