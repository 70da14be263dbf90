/*
 * view.c - what a reader works from: the memtables (newest first) and the
 * current version, referenced together under the mutex so that every
 * write is in at least one of them (a flushed memtable may still be there
 * for a moment beside its table), whatever flushes or compactions finish
 * while the reader runs.
 */
#include "db/db_impl.h"

void st_db_view_get(strata_db *db, st_db_view *v) {
  st_mutex_lock(&db->mu);
  v->nmems = 0;
  v->mems[v->nmems++] = db->mem;
  for (int i = db->nimm - 1; i >= 0; i--) v->mems[v->nmems++] = db->imm[i];
  for (int i = 0; i < v->nmems; i++) st_memtable_ref(v->mems[i]);
  v->version = st_version_set_current(db->vs);
  v->seq = atomic_load_explicit(&db->last_seq, memory_order_acquire);
  st_mutex_unlock(&db->mu);
}

void st_db_view_put(st_db_view *v) {
  for (int i = 0; i < v->nmems; i++) st_memtable_unref(v->mems[i]);
  st_version_unref(v->version);
  v->nmems = 0;
  v->version = NULL;
}
