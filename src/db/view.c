/*
 * view.c - what a reader works from: the memtables (newest first) and the
 * current version, referenced together under the mutex so that every
 * write is in exactly one of them, whatever flushes or compactions finish
 * while the reader runs. Exactly one: a flushed memtable stays in imm[]
 * for a moment after its table is installed, and reading it beside the
 * table would count its counter increments and list elements twice.
 */
#include "db/db_impl.h"

void st_db_view_get(strata_db *db, st_db_view *v) {
  st_mutex_lock(&db->mu);
  v->nmems = 0;
  uint64_t log_number;
  v->version = st_version_set_current_and_log(db->vs, &log_number);
  v->mems[v->nmems++] = db->mem;
  /* imm[i]'s writes are in the version once the version's log number
   * reaches the log that followed it. */
  for (int i = db->nimm - 1; i >= 0; i--)
    if (db->imm_next_log[i] > log_number) v->mems[v->nmems++] = db->imm[i];
  for (int i = 0; i < v->nmems; i++) st_memtable_ref(v->mems[i]);
  v->seq = atomic_load_explicit(&db->last_seq, memory_order_acquire);
  st_mutex_unlock(&db->mu);
}

void st_db_view_put(st_db_view *v) {
  for (int i = 0; i < v->nmems; i++) st_memtable_unref(v->mems[i]);
  st_version_unref(v->version);
  v->nmems = 0;
  v->version = NULL;
}
