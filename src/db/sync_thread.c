/*
 * sync_thread.c - STRATA_SYNC_PERIODIC: a background thread that, every
 * sync_interval_ms, queues a sync-only request in the write queue, so the
 * fsync is ordered with the leaders' appends like any other.
 */
#include "db/db_impl.h"

static void *sync_main(void *arg) {
  strata_db *db = arg;
  st_mutex_lock(&db->mu);
  while (!db->stopping) {
    st_cond_timedwait_ms(&db->sync_cv, &db->mu, db->opt.sync_interval_ms);
    if (db->stopping || db->bg_error) continue;
    st_mutex_unlock(&db->mu);
    /* A failure here is recorded as the sticky error by the write path. */
    st_db_write(db, NULL, 1, 0);
    st_mutex_lock(&db->mu);
  }
  st_mutex_unlock(&db->mu);
  return NULL;
}

int st_db_sync_thread_start(strata_db *db) { return db->env->thread_start(db->env, sync_main, db, &db->sync_thread); }

void st_db_sync_thread_stop(strata_db *db) {
  if (!db->sync_thread) return;
  st_mutex_lock(&db->mu);
  db->stopping = 1;
  st_cond_broadcast(&db->sync_cv);
  st_mutex_unlock(&db->mu);
  db->env->thread_join(db->env, db->sync_thread);
  db->sync_thread = NULL;
}
