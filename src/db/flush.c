/*
 * flush.c - turning a full memtable into a table: sealing it (a new log,
 * the memtable becomes immutable), the background thread that writes the
 * table and installs it with a manifest edit (at level 0, or deeper when
 * nothing there overlaps it), and strata_flush.
 * Order on disk: table written and fsynced, directory fsynced, edit
 * appended to the manifest and fsynced, then the logs it covers removed:
 * a crash at any point leaves either the logs or the table to recover from.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "db/db_impl.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "format/range_del.h"
#include "merge/merge.h"

/* Failed table writes are retried (the memtable and its logs are intact)
 * this many times, then the database turns read-only. */
#define FLUSH_ATTEMPTS 3
#define FLUSH_RETRY_MICROS 20000

int st_db_switch_memtable(strata_db *db) {
  char path[PATH_MAX];
  st_memtable *fresh;
  st_wal_writer *wal = NULL;
  int rc = st_memtable_new(db->opt.memtable_bytes, &fresh);
  if (rc) return rc;
  uint64_t number = st_version_set_new_file_number(db->vs);
  st_db_log_path(db, number, path, sizeof path);
  /* The file work runs without the mutex, so that readers are not held
   * up by it. Only the write-queue leader (this thread) touches the log,
   * replaces the memtable and adds to imm[]; the flush thread only takes
   * from its front. */
  st_mutex_unlock(&db->mu);
  /* The old log is made durable first: its unsynced tail must not be
   * lost while newer, synced writes of the new log survive a power loss,
   * and a torn tail must never sit in a log that has a successor (only
   * the newest log may end torn). */
  int cut = st_wal_finish(db->wal); /* synced even if the cut failed: its records matter more */
  rc = st_wal_sync(db->wal);
  if (!rc) rc = cut;
  int old_log_failed = rc != STRATA_OK;
  if (!rc) {
    atomic_fetch_add_explicit(&db->stats.wal_syncs, 1, memory_order_relaxed);
    rc = st_wal_writer_create(db->env, path, db->opt.mmap_writes ? ST_WAL_MAP : 0, &wal);
  }
  if (!rc) rc = db->env->sync_dir(db->env, db->dir);
  if (rc) {
    st_errsave first;
    st_error_save(&first);
    if (wal) {
      st_wal_writer_close(wal);
      db->env->unlink(db->env, path);
    }
    st_memtable_unref(fresh);
    st_mutex_lock(&db->mu);
    if (old_log_failed) st_db_set_bg_error(db, rc);
    return st_error_restore(&first, rc);
  }
  st_wal_writer *old = db->wal;
  st_mutex_lock(&db->mu);
  st_wal_writer_close(old);
  db->wal = wal;
  db->wal_number = number;
  db->imm[db->nimm] = db->mem;
  db->imm_next_log[db->nimm] = number;
  db->nimm++;
  db->mem = fresh;
  st_cond_signal(&db->flush_cv);
  return STRATA_OK;
}

/* The entries of one user key, held until the key ends (pointers into the
 * memtable), so that a key with typed fragments is collapsed. */
typedef struct key_chain {
  st_merge_chain c;
  int typed;
  int keep_whole; /* the snapshots are unknown (out of memory): write every entry */
  st_collapse_opts opt;
  strata_db *db;
  st_version *older; /* the tables at the flush's start: all older data is in them */
  st_table_builder *b;
  uint64_t added;      /* entries written to b */
  const st_rtombs *rt; /* the memtable's range tombstones, or NULL */
} key_chain;

static int add_to_table(void *arg, const char *k, size_t kl, const char *v, size_t vl) {
  key_chain *c = arg;
  c->added++;
  return st_table_builder_add(c->b, k, kl, v, vl);
}

/* Drops the held entries that a range tombstone of the memtable hides
 * from every reader; returns 1 when one it hides is still seen by a
 * snapshot (the chain must then be written as it is: collapsing would
 * merge fragments across the tombstone). */
static int drop_hidden(key_chain *c) {
  if (!c->rt || c->c.n == 0) return 0;
  st_rlookup at;
  const st_merge_entry *e = c->c.e;
  st_rtombs_lookup(c->rt, e->ikey, e->iklen - ST_IKEY_TRAILER, UINT64_MAX, &at);
  if (!at.frag) return 0;
  size_t kept = 0;
  int seen = 0;
  for (size_t i = 0; i < c->c.n; i++) {
    uint64_t seq = st_trailer_seq(st_ikey_trailer(c->c.e[i].ikey, c->c.e[i].iklen));
    int j = st_rfrag_judge(at.frag, seq, c->opt.snapshots, c->opt.nsnapshots);
    if (j == ST_RFRAG_HIDDEN && !c->keep_whole) continue;
    if (j != ST_RFRAG_NONE) seen = 1;
    c->c.e[kept++] = c->c.e[i];
  }
  c->c.n = kept;
  return seen;
}

/* Writes the held key's entries to the table, collapsed when typed. */
static int write_chain(key_chain *c) {
  int rc = STRATA_OK;
  int raw = drop_hidden(c);
  if (c->typed && !c->keep_whole && !raw) {
    /* A key no table holds has nothing older than this memtable (the
     * oldest one): its chain resolves into a full value, which later
     * reads stop at instead of looking through every level. */
    const st_merge_entry *e = &c->c.e[0];
    c->opt.bottom = !st_db_version_may_hold(c->db, c->older, e->ikey, e->iklen - ST_IKEY_TRAILER);
    rc = st_merge_collapse(c->c.e, c->c.n, &c->opt, add_to_table, c, NULL);
  } else {
    for (size_t i = 0; i < c->c.n && !rc; i++) {
      const st_merge_entry *e = &c->c.e[i];
      rc = add_to_table(c, e->ikey, e->iklen, e->val, e->vlen);
    }
  }
  c->c.n = 0;
  c->typed = 0;
  return rc;
}

static int hold(key_chain *c, const char *k, size_t kl, const char *v, size_t vl) {
  if (st_kind_is_typed(st_trailer_kind(st_ikey_trailer(k, kl)))) c->typed = 1;
  return st_merge_chain_push(&c->c, k, kl, v, vl);
}

/* Writes the memtable's range tombstones to the table, each fragment with
 * the seqs some reader can tell apart (all of them with keep_all). */
static int add_ranges(st_table_builder *b, const st_rtombs *rt, const uint64_t *snaps, size_t nsnaps, int keep_all) {
  if (!rt) return STRATA_OK;
  uint64_t small[16], *seqs = small;
  int rc = STRATA_OK;
  for (size_t i = 0; i < rt->n && !rc; i++) {
    const st_rfrag *f = &rt->frags[i];
    if (f->nseqs > 16 && seqs == small && (seqs = malloc(rt->raw * sizeof *seqs)) == NULL)
      return st_error(STRATA_ENOMEM, "flush: out of memory");
    size_t n = keep_all ? f->nseqs : st_rfrag_live_seqs(f, snaps, nsnaps, seqs);
    for (size_t s = 0; s < n && !rc; s++)
      rc = st_table_builder_add_range(b, f->start, f->slen, f->end, f->elen, f->open, keep_all ? f->seqs[s] : seqs[s]);
  }
  if (seqs != small) free(seqs);
  return rc;
}

/* Writes mem (the oldest memtable) to a new table; mu not held.
 * *meta_out is NULL when nothing is left to write: an empty memtable, or
 * one whose chains all collapsed to nothing (a counter added to, then
 * deleted, with nothing older below). Chains of typed
 * fragments are collapsed as far as the live snapshots (ascending) allow;
 * older fragments can only be in the current version's tables (whatever
 * compactions move meanwhile, they add no data). */
static int write_table(strata_db *db, st_memtable *mem, const uint64_t *snaps, size_t nsnaps, int keep_whole,
                              st_file_meta **meta_out) {
  char path[PATH_MAX];
  st_iter *it = NULL;
  st_table_props props = {0};
  key_chain chain = {0};
  *meta_out = NULL;
  st_rtombs *rt = NULL;
  if (atomic_load_explicit(&mem->entries, memory_order_relaxed) == 0 && !st_memtable_has_rdel(mem)) return STRATA_OK;
  uint64_t number = st_db_pending_new(db);
  st_table_file_name(db->dir, number, path, sizeof path);
  int rc = st_memtable_rtombs(mem, &rt);
  if (!rc) rc = st_memtable_iter_new(mem, &it);
  if (!rc) rc = st_table_builder_new(db->env, path, &db->table_opt, &chain.b);
  if (rc) goto done;
  chain.db = db;
  chain.rt = rt;
  chain.keep_whole = keep_whole;
  chain.older = st_version_set_current(db->vs);
  chain.opt = (st_collapse_opts){.snapshots = snaps,
                                 .nsnapshots = nsnaps,
                                 .list_max = db->opt.list_max_elements,
                                 .max_list_bytes = st_db_max_list_bytes(db)};
  for (st_iter_seek_first(it); st_iter_valid(it); st_iter_next(it)) {
    size_t klen, vlen;
    const char *k = st_iter_key(it, &klen), *v = st_iter_value(it, &vlen);
    const st_merge_entry *first = chain.c.e;
    if (chain.c.n && st_ukey_compare(k, klen - ST_IKEY_TRAILER, first->ikey, first->iklen - ST_IKEY_TRAILER) != 0 &&
        (rc = write_chain(&chain)))
      goto done;
    if ((rc = hold(&chain, k, klen, v, vlen))) goto done;
  }
  if ((rc = st_iter_status(it)) || (rc = write_chain(&chain)) ||
      (rc = add_ranges(chain.b, rt, snaps, nsnaps, keep_whole)))
    goto done;
  if (st_table_builder_entries(chain.b) == 0) { /* no table: the edit only retires the log */
    st_db_pending_done(db, number);
    goto done;
  }
  rc = st_table_builder_finish(chain.b, &props);
  chain.b = NULL;
  if (rc) goto done;
  /* The table's directory entry must be durable before the manifest
   * names it. */
  if ((rc = db->env->sync_dir(db->env, db->dir))) {
    db->env->unlink(db->env, path);
    goto done;
  }
  st_file_meta *meta =
      st_file_meta_new(number, props.file_bytes, props.smallest, props.smallest_len, props.largest, props.largest_len);
  if (!meta) {
    rc = st_error(STRATA_ENOMEM, "flush: out of memory");
    db->env->unlink(db->env, path);
    goto done;
  }
  meta->min_seq = props.min_seq;
  meta->max_seq = props.max_seq;
  meta->entries = props.entries;
  meta->tombstones = props.tombstones;
  atomic_store_explicit(&meta->range_dels, props.kind_counts[ST_KIND_RANGE_DELETE] > 0, memory_order_relaxed);
  *meta_out = meta;
  atomic_fetch_add_explicit(&db->stats.flush_bytes, props.file_bytes, memory_order_relaxed);
done:
  if (chain.b) st_table_builder_abandon(chain.b);
  st_merge_chain_free(&chain.c);
  if (chain.older) st_version_unref(chain.older);
  st_rtombs_unref(rt);
  st_iter_free(it);
  st_table_props_clear(&props);
  /* Installed or removed, the table is no longer pending once the edit
   * is applied; until then the caller's meta keeps it from the sweep. */
  if (rc) st_db_pending_done(db, number);
  return rc;
}

/* The level for the flushed table meta (mu not held): below level 0 when
 * nothing there or running stands in the way (st_compaction_flush_level).
 * Then no compaction starts until the caller clears flush_placing. */
static int place_table(strata_db *db, const st_file_meta *meta) {
  st_mutex_lock(&db->mu);
  st_version *v = st_version_set_current(db->vs);
  int level = st_compaction_flush_level(v, &db->copt, meta, db->running, db->nrunning);
  st_version_unref(v);
  if (level > 0) db->flush_placing = 1;
  st_mutex_unlock(&db->mu);
  return level;
}

/* Flushes the oldest immutable memtable (there is one; mu held on entry
 * and exit, released meanwhile). */
static int flush_imm(strata_db *db) {
  st_memtable *imm = db->imm[0];
  uint64_t next_log = db->imm_next_log[0];
  uint64_t last_seq = atomic_load_explicit(&db->last_seq, memory_order_acquire);
  /* Snapshots made after this point see the whole memtable. */
  size_t nsnaps;
  uint64_t *snaps = st_db_snapshot_seqs(db, &nsnaps);
  int no_snaps = db->nsnapshots && !snaps;
  st_memtable_ref(imm);
  st_mutex_unlock(&db->mu);

  st_file_meta *meta = NULL;
  int rc = STRATA_OK;
  for (int attempt = 1; attempt <= FLUSH_ATTEMPTS; attempt++) {
    /* Without the snapshot list nothing may be collapsed, but the flush
     * can still go on: collapsing only saves space. */
    rc = write_table(db, imm, snaps, nsnaps, no_snaps, &meta);
    if (rc == STRATA_OK) break;
    atomic_fetch_add_explicit(&db->stats.flush_failures, 1, memory_order_relaxed);
    if (attempt < FLUSH_ATTEMPTS) db->env->sleep_micros(db->env, FLUSH_RETRY_MICROS * (uint64_t)attempt);
  }
  int fatal = rc != STRATA_OK;
  uint64_t table = meta ? meta->number : 0;
  int level = meta ? place_table(db, meta) : 0;
  if (rc == STRATA_OK) {
    st_version_edit edit;
    st_version_edit_init(&edit);
    if (meta) rc = st_version_edit_add_file(&edit, level, meta);
    edit.has_log_number = 1;
    edit.log_number = next_log;
    st_version_set_set_last_seq(db->vs, last_seq);
    /* A failed manifest append leaves its tail unknown: no retry. */
    if (!rc) rc = st_version_set_apply(db->vs, &edit);
    fatal = rc != STRATA_OK;
    st_version_edit_clear(&edit);
  }
  free(snaps);
  if (meta) st_file_meta_unref(meta);
  if (table) st_db_pending_done(db, table);
  st_memtable_unref(imm);
  if (rc == STRATA_OK) {
    atomic_fetch_add_explicit(&db->stats.flushes, 1, memory_order_relaxed);
    st_db_delete_obsolete_files(db);
  }

  st_mutex_lock(&db->mu);
  if (level > 0) {
    db->flush_placing = 0;
    st_cond_broadcast(&db->work_cv);
  }
  st_memtable *done = NULL;
  if (rc == STRATA_OK) {
    done = db->imm[0];
    db->nimm--;
    memmove(db->imm, db->imm + 1, (size_t)db->nimm * sizeof db->imm[0]);
    memmove(db->imm_next_log, db->imm_next_log + 1, (size_t)db->nimm * sizeof db->imm_next_log[0]);
    st_db_maybe_schedule_compaction(db);
  } else if (fatal) {
    st_db_set_bg_error(db, rc);
  }
  db->flushes_done++;
  st_cond_broadcast(&db->flushed_cv);
  if (done) {
    /* Freeing a whole arena must not hold up readers waiting for mu. */
    st_mutex_unlock(&db->mu);
    st_memtable_unref(done);
    st_mutex_lock(&db->mu);
  }
  return rc;
}

static void *flush_main(void *arg) {
  strata_db *db = arg;
  st_mutex_lock(&db->mu);
  for (;;) {
    if (db->nimm && !db->bg_error) {
      flush_imm(db);
      continue;
    }
    if (db->stopping) break;
    st_cond_wait(&db->flush_cv, &db->mu);
  }
  st_mutex_unlock(&db->mu);
  return NULL;
}

int st_db_flush_thread_start(strata_db *db) {
  return db->env->thread_start(db->env, flush_main, db, &db->flush_thread);
}

void st_db_flush_thread_stop(strata_db *db) {
  if (!db->flush_thread) return;
  st_mutex_lock(&db->mu);
  db->stopping = 1;
  st_cond_broadcast(&db->flush_cv);
  st_mutex_unlock(&db->mu);
  db->env->thread_join(db->env, db->flush_thread);
  db->flush_thread = NULL;
}

int strata_flush(strata_db *db) {
  if (!db) return st_error(STRATA_EINVAL, "strata_flush: NULL database");
  /* Sealing goes through the write queue: only its leader may switch logs. */
  int rc = st_db_write(db, NULL, 0, 1);
  if (rc) return rc;
  st_mutex_lock(&db->mu);
  /* Wait for the memtables sealed so far (ours is the newest of them),
   * not for ones sealed later under a steady stream of writes. */
  uint64_t target = db->flushes_done + (uint64_t)db->nimm;
  while (db->flushes_done < target && !db->bg_error) st_cond_wait(&db->flushed_cv, &db->mu);
  if (db->bg_error)
    rc = st_error(STRATA_EREADONLY, "flush failed; the database is read-only after %s", strata_strerror(db->bg_error));
  st_mutex_unlock(&db->mu);
  return rc;
}
