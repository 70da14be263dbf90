/* snapshot.c - snapshots: a sequence number held in the db's list, which
 * flushes and compactions consult to keep the versions a snapshot still
 * needs. */
#include <stdlib.h>

#include "base/error.h"
#include "db/db_impl.h"

const strata_snapshot *strata_snapshot_new(strata_db *db) {
  if (!db) return NULL;
  strata_snapshot *s = malloc(sizeof *s);
  if (!s) return NULL;
  st_mutex_lock(&db->mu);
  s->seq = atomic_load_explicit(&db->last_seq, memory_order_acquire);
  s->next = &db->snapshots;
  s->prev = db->snapshots.prev;
  s->prev->next = s;
  db->snapshots.prev = s;
  db->nsnapshots++;
  st_mutex_unlock(&db->mu);
  return s;
}

void strata_snapshot_release(strata_db *db, const strata_snapshot *snap) {
  if (!db || !snap) return;
  strata_snapshot *s = (strata_snapshot *)snap;
  st_mutex_lock(&db->mu);
  s->prev->next = s->next;
  s->next->prev = s->prev;
  db->nsnapshots--;
  st_mutex_unlock(&db->mu);
  free(s);
}

void strata_read_options_init(strata_read_options *ro) {
  if (!ro) return;
  ro->snapshot = NULL;
  ro->lower = NULL;
  ro->lower_len = 0;
  ro->upper = NULL;
  ro->upper_len = 0;
}

uint64_t *st_db_snapshot_seqs(strata_db *db, size_t *n_out) {
  *n_out = 0;
  if (!db->nsnapshots) return NULL;
  uint64_t *v = malloc((size_t)db->nsnapshots * sizeof *v);
  if (!v) return NULL;
  /* The list is in creation order, which is ascending too. */
  for (strata_snapshot *s = db->snapshots.next; s != &db->snapshots; s = s->next) v[(*n_out)++] = s->seq;
  return v;
}
