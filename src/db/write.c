/*
 * write.c - the write path: a queue of writers whose head (the leader)
 * joins the batches queued behind it into one log record, appends it,
 * fsyncs once if any of them asked for it, inserts it into the memtable and
 * then publishes the new sequence number (group commit).
 */
#include <string.h>

#include "base/error.h"
#include "db/db_impl.h"
#include "format/batch_rep.h"
#include "format/ikey.h"
#include "format/kind.h"

/* A group stops growing past this many bytes, or past a small leader's
 * size plus 128 KiB, so that a small write is not made to wait behind a
 * large group. */
#define GROUP_MAX (1u << 20)
#define GROUP_SMALL (128u << 10)

struct st_writer {
  strata_batch *batch; /* NULL: a sync or flush request only */
  int sync;
  int force_flush; /* seal the memtable even if it is not full */
  uint64_t seal_log; /* with force_flush: an early seal (st_db_seal_early) of the memtable of this log */
  int done;
  atomic_int ready; /* set with done, or when this writer becomes the queue's head */
  int rc;
  st_errsave *err; /* where the leader leaves its message on failure */
  st_cond cv;
  st_writer *next;
};

void st_db_set_bg_error(strata_db *db, int err) {
  if (db->bg_error) return;
  db->bg_error = err;
  /* Whoever waits for a flush or a compaction must hear that none will
   * come now. */
  st_cond_broadcast(&db->flushed_cv);
  st_cond_broadcast(&db->flush_cv);
  st_cond_broadcast(&db->compacted_cv);
}

static int insert_record(void *arg, uint64_t seq, unsigned kind, const char *key, size_t klen, const char *val,
                         size_t vlen) {
  return st_memtable_add(arg, seq, kind, key, klen, val, vlen);
}

/* Chooses the group led by the queue head (mu held): returns the last
 * writer in it and the batch that holds all its records (the leader's own
 * when nobody joins). */
static st_writer *build_group(strata_db *db, strata_batch **batch_out, int *sync_out, int *rc_out) {
  st_writer *lead = db->queue_head, *last = lead;
  strata_batch *batch = lead->batch;
  int sync = lead->sync;
  size_t size = batch ? st_batch_records_len(batch) : 0;
  size_t max = size <= GROUP_SMALL ? size + GROUP_SMALL : GROUP_MAX;
  *rc_out = STRATA_OK;
  for (st_writer *w = lead->next; w; w = w->next) {
    if (w->sync && !sync) break; /* a non-sync leader does not pay for others' fsync */
    if (w->force_flush) break;   /* it must lead, to seal the memtable itself */
    if (w->batch) {
      size += st_batch_records_len(w->batch);
      if (size > max) break;
      if (batch == NULL) {
        batch = w->batch;
      } else {
        if (batch != &db->group) {
          strata_batch_clear(&db->group);
          if ((*rc_out = st_batch_append_batch(&db->group, batch))) break;
          batch = &db->group;
        }
        if ((*rc_out = st_batch_append_batch(&db->group, w->batch))) break;
      }
    }
    last = w;
  }
  if (*rc_out) {
    /* Out of memory while joining: write the leader alone. */
    last = lead;
    batch = lead->batch;
    *rc_out = STRATA_OK;
  }
  *batch_out = batch;
  *sync_out = sync || db->opt.sync_mode == STRATA_SYNC_ALWAYS;
  return last;
}

/* Runs as leader for the group; mu is not held. The leader is the only
 * thread touching the log and inserting into the memtable. *fatal_out is
 * set when the failure must make the database read-only: a failed fsync
 * may have dropped dirty pages that a retry would report as clean; an
 * append whose partial bytes could not be cut off leaves the log's tail
 * unknown; a memtable insert that failed half-way left part of a batch
 * under sequence numbers that the next write would reuse. */
static int commit_group(strata_db *db, strata_batch *batch, int sync, uint64_t seq, st_memtable *mem, int *fatal_out) {
  int rc;
  int has_records = batch && batch->count;
  char *rep = NULL;
  size_t len = 0;
  *fatal_out = 0;
  if (has_records) {
    rep = st_batch_header_put(st_batch_records(batch), seq, batch->count);
    len = (size_t)(st_batch_records(batch) - rep) + st_batch_records_len(batch);
    rc = st_wal_append(db->wal, rep - ST_WAL_HEADER, len, ST_WAL_TYPE1);
    if (rc) {
      *fatal_out = db->wal->broken;
      return rc;
    }
    atomic_fetch_add_explicit(&db->stats.wal_bytes, ST_WAL_HEADER + len, memory_order_relaxed);
  }
  if (sync && db->wal->synced != db->wal->size) {
    rc = st_wal_sync(db->wal);
    if (rc) {
      *fatal_out = 1;
      return rc;
    }
    atomic_fetch_add_explicit(&db->stats.wal_syncs, 1, memory_order_relaxed);
  }
  if (has_records) {
    rc = st_batch_rep_walk(rep, len, ST_BATCH_VARINT, insert_record, mem);
    if (rc) {
      *fatal_out = 1;
      return rc;
    }
  }
  return STRATA_OK;
}

/* Level-0 tables in the current version. */
static size_t level0_files(strata_db *db) {
  st_version *v = st_version_set_current(db->vs);
  size_t n = v->nfiles[0];
  st_version_unref(v);
  return n;
}

/* How long a write sleeps when level 0 nears its stop trigger. */
#define SLOWDOWN_MICROS 1000

/* A writer starts waiting in a stop: counted in writes.stopped until
 * make_room returns. The start time, never 0. */
static uint64_t stop_begins(strata_db *db) {
  atomic_fetch_add_explicit(&db->stats.writers_stopped, 1, memory_order_relaxed);
  uint64_t now = db->env->now_micros(db->env);
  return now ? now : 1;
}

/*
 * Makes sure the memtable has room for the leader's group (mu held):
 * seals a full memtable, or any non-empty one when forced. Writes are
 * held back while compaction is behind: each sleeps a moment once level 0
 * reaches l0_slowdown_trigger, and they wait while level 0 is at
 * l0_stop_trigger or max_immutable_memtables are waiting for flush, so
 * that memory and read cost stay bounded whatever the write rate. An
 * early seal (asked by w, or by a worker that found the queue busy) is
 * made only while it holds nobody up, and never waited for.
 */
static int make_room(strata_db *db, st_writer *w) {
  int force = w->force_flush;
  int slowed = 0;
  uint64_t stopped_since = 0;
  int rc = STRATA_OK;
  for (;;) {
    if (db->bg_error) {
      rc = st_error(STRATA_EREADONLY, "database is read-only after an earlier failure (%s); reopen it",
                    strata_strerror(db->bg_error));
      break;
    }
    size_t l0 = level0_files(db);
    uint64_t early = w->seal_log ? w->seal_log : db->seal_request;
    if (early && early == db->wal_number && db->nimm < db->opt.max_immutable_memtables &&
        l0 < (size_t)db->opt.l0_slowdown_trigger && atomic_load_explicit(&db->mem->entries, memory_order_relaxed)) {
      /* An option, never a reason to fail a write: when the seal fails,
       * the group goes into the memtable there is, unless the failure made
       * the database read-only (the loop's first check). */
      if (st_db_switch_memtable(db) == STRATA_OK)
        atomic_fetch_add_explicit(&db->stats.early_flushes, 1, memory_order_relaxed);
      else
        db->seal_request = 0;
      if (w->seal_log) break;
      continue;
    }
    if (w->seal_log) break;
    if (!slowed && !force && l0 >= (size_t)db->opt.l0_slowdown_trigger && l0 < (size_t)db->opt.l0_stop_trigger) {
      /* Give compaction some room without stopping this writer. */
      slowed = 1;
      st_mutex_unlock(&db->mu);
      db->env->sleep_micros(db->env, SLOWDOWN_MICROS);
      atomic_fetch_add_explicit(&db->stats.slowdown_micros, SLOWDOWN_MICROS, memory_order_relaxed);
      st_mutex_lock(&db->mu);
      continue;
    }
    uint64_t entries = atomic_load_explicit(&db->mem->entries, memory_order_relaxed);
    if (force ? entries == 0 : st_memtable_bytes(db->mem) < db->opt.memtable_bytes) break;
    if (db->nimm >= db->opt.max_immutable_memtables) {
      /* Flushes are behind: wait for one to finish. */
      if (!stopped_since) stopped_since = stop_begins(db);
      st_cond_wait(&db->flushed_cv, &db->mu);
      continue;
    }
    if (l0 >= (size_t)db->opt.l0_stop_trigger) {
      /* Compaction is behind: wait for it to empty level 0 a little. */
      if (!stopped_since) stopped_since = stop_begins(db);
      st_db_maybe_schedule_compaction(db);
      st_cond_timedwait_ms(&db->compacted_cv, &db->mu, 100);
      continue;
    }
    rc = st_db_switch_memtable(db);
    break;
  }
  if (stopped_since) {
    atomic_fetch_add_explicit(&db->stats.stop_micros, db->env->now_micros(db->env) - stopped_since,
                              memory_order_relaxed);
    atomic_fetch_sub_explicit(&db->stats.writers_stopped, 1, memory_order_relaxed);
  }
  return rc;
}

/*
 * A writer queued behind a leader waits a little without sleeping: a
 * group's commit takes a few microseconds (a copy into the mapped log and
 * the memtable inserts), less than a sleep and a wake-up cost, and with
 * two threads writing, sleeping on every write made them ping-pong between
 * sleeping and waking at a third of one thread's rate. A short busy spin,
 * then yields (so that on a busy CPU the leader can run), then the
 * condition variable. mu held on entry and exit, released meanwhile.
 */
#define SPIN_STEPS 200
#define YIELD_STEPS 50
static void await_turn(strata_db *db, st_writer *w) {
  st_mutex_unlock(&db->mu);
  for (int i = 0; i < SPIN_STEPS + YIELD_STEPS; i++) {
    if (atomic_load_explicit(&w->ready, memory_order_acquire)) break;
    if (i < SPIN_STEPS)
      st_cpu_relax();
    else
      st_thread_yield();
  }
  st_mutex_lock(&db->mu);
}

/* Queues w and waits until its batch is written (by itself as leader, or
 * by a leader whose group it joined). */
static int submit(strata_db *db, st_writer *w) {
  strata_batch *batch = w->batch;
  st_errsave err;
  w->err = &err;
  st_mutex_lock(&db->mu);
  if (w->seal_log && db->queue_head) {
    /* A worker does not queue behind a leader that may be waiting for
     * compaction, which could be its own: the leaders see the request. */
    db->seal_request = w->seal_log;
    st_mutex_unlock(&db->mu);
    return STRATA_OK;
  }
  atomic_init(&w->ready, 0);
  st_cond_init(&w->cv);
  if (db->queue_tail)
    db->queue_tail->next = w;
  else
    db->queue_head = w;
  db->queue_tail = w;
  if (db->queue_head != w) await_turn(db, w);
  while (!w->done && db->queue_head != w) st_cond_wait(&w->cv, &db->mu);
  if (w->done) {
    st_mutex_unlock(&db->mu);
    st_cond_destroy(&w->cv);
    if (w->rc == STRATA_OK && batch) atomic_fetch_add_explicit(&db->stats.batches, 1, memory_order_relaxed);
    /* The message was recorded in the leader's thread: make it ours. */
    return w->rc ? st_error_restore(&err, w->rc) : STRATA_OK;
  }

  /* This thread leads. */
  strata_batch *group = NULL;
  int group_sync = 0;
  st_writer *last = w;
  /* If there is no room, the leader alone reports why. */
  int rc = make_room(db, w);
  if (rc == STRATA_OK) last = build_group(db, &group, &group_sync, &rc);
  if (rc == STRATA_OK && group && atomic_load_explicit(&db->last_seq, memory_order_relaxed) + group->count > ST_SEQ_MAX)
    rc = st_error(STRATA_EINVAL, "sequence numbers are exhausted (2^56 writes)");
  if (rc == STRATA_OK) {
    uint64_t seq = atomic_load_explicit(&db->last_seq, memory_order_relaxed) + 1;
    st_memtable *mem = db->mem;
    st_mutex_unlock(&db->mu);
    int fatal;
    rc = commit_group(db, group, group_sync, seq, mem, &fatal);
    st_mutex_lock(&db->mu);
    if (rc == STRATA_OK && group) atomic_store_explicit(&db->last_seq, seq + group->count - 1, memory_order_release);
    if (fatal) st_db_set_bg_error(db, rc);
    if (rc == STRATA_OK && group) {
      atomic_fetch_add_explicit(&db->stats.groups, 1, memory_order_relaxed);
      atomic_fetch_add_explicit(&db->stats.records, group->count, memory_order_relaxed);
      atomic_fetch_add_explicit(&db->stats.user_bytes, group->user_bytes, memory_order_relaxed);
      if (st_db_memtable_weigh_due(db)) st_db_maybe_schedule_compaction(db);
    }
  }

  /* Hand results to every member of the group and pass leadership on. */
  for (;;) {
    st_writer *m = db->queue_head;
    db->queue_head = m->next;
    if (!db->queue_head) db->queue_tail = NULL;
    if (m != w) {
      if (rc) st_error_save(m->err);
      m->rc = rc;
      m->done = 1;
      atomic_store_explicit(&m->ready, 1, memory_order_release);
      st_cond_signal(&m->cv);
    }
    if (m == last) break;
  }
  if (db->queue_head) {
    atomic_store_explicit(&db->queue_head->ready, 1, memory_order_release);
    st_cond_signal(&db->queue_head->cv);
  }
  st_mutex_unlock(&db->mu);
  st_cond_destroy(&w->cv);
  if (rc == STRATA_OK && batch) atomic_fetch_add_explicit(&db->stats.batches, 1, memory_order_relaxed);
  return rc;
}

int st_db_write(strata_db *db, strata_batch *batch, int sync, int force_flush) {
  st_writer w = {.batch = batch, .sync = sync, .force_flush = force_flush};
  return submit(db, &w);
}

int st_db_seal_early(strata_db *db, uint64_t log_number) {
  st_writer w = {.force_flush = 1, .seal_log = log_number};
  return submit(db, &w);
}

/* Checks a batch against the limits of db before it is queued. */
static int check_limits(const strata_db *db, const strata_batch *b) {
  if (b->max_klen > db->opt.max_key_bytes)
    return st_error(STRATA_EINVAL, "key of %zu bytes is over max_key_bytes (%zu)", b->max_klen, db->opt.max_key_bytes);
  if (b->max_vlen > db->opt.max_value_bytes)
    return st_error(STRATA_EINVAL, "value of %zu bytes is over max_value_bytes (%zu)", b->max_vlen,
                    db->opt.max_value_bytes);
  return STRATA_OK;
}

int strata_write(strata_db *db, strata_batch *b, int flags) {
  if (!db || !b) return st_error(STRATA_EINVAL, "strata_write: NULL database or batch");
  if (flags & ~STRATA_SYNC) return st_error(STRATA_EINVAL, "strata_write: unknown flags 0x%x", (unsigned)flags);
  int rc = check_limits(db, b);
  if (rc) return rc;
  if (b->count == 0) return STRATA_OK;
  return st_db_write(db, b, (flags & STRATA_SYNC) != 0, 0);
}

/* A single write goes through a batch on the stack: one code path. Its
 * value is head | val (head: the typed part, see st_batch_add_parts). */
static int write_one(strata_db *db, unsigned kind, const void *key, size_t klen, const char *head, size_t hlen,
                     const void *val, size_t vlen) {
  char buf[512];
  strata_batch b;
  if (!db) return st_error(STRATA_EINVAL, "NULL database");
  if ((key == NULL && klen) || (val == NULL && vlen))
    return st_error(STRATA_EINVAL, "NULL key or value with a non-zero length");
  if (klen > db->opt.max_key_bytes)
    return st_error(STRATA_EINVAL, "key of %zu bytes is over max_key_bytes (%zu)", klen, db->opt.max_key_bytes);
  if (vlen > db->opt.max_value_bytes)
    return st_error(STRATA_EINVAL, "value of %zu bytes is over max_value_bytes (%zu)", vlen, db->opt.max_value_bytes);
  size_t need = ST_BATCH_ROOM + st_batch_record_len(kind, klen, hlen + vlen);
  if (need <= sizeof buf) {
    /* Small writes build their batch in place, with no allocation. */
    memset(&b, 0, sizeof b);
    b.buf = buf;
    b.cap = sizeof buf;
    b.len = ST_BATCH_ROOM;
  } else if (st_batch_init(&b)) {
    return STRATA_ENOMEM;
  }
  int rc = st_batch_add_parts(&b, kind, key, klen, head, hlen, val, vlen);
  if (!rc) rc = st_db_write(db, &b, 0, 0);
  if (b.buf != buf) st_batch_destroy(&b);
  return rc;
}

int strata_put(strata_db *db, const void *key, size_t klen, const void *val, size_t vlen) {
  return write_one(db, ST_KIND_PUT, key, klen, NULL, 0, val, vlen);
}

int strata_delete(strata_db *db, const void *key, size_t klen) {
  return write_one(db, ST_KIND_DELETE, key, klen, NULL, 0, NULL, 0);
}

int strata_add(strata_db *db, const void *key, size_t klen, int64_t delta) {
  char head[16];
  size_t hlen = st_batch_typed_head(ST_KIND_ADD, head, delta, 0, 0);
  return write_one(db, ST_KIND_ADD, key, klen, head, hlen, NULL, 0);
}

int strata_put_latest(strata_db *db, const void *key, size_t klen, const void *val, size_t vlen, uint64_t ts) {
  char head[16];
  size_t hlen = st_batch_typed_head(ST_KIND_LATEST, head, 0, ts, 0);
  return write_one(db, ST_KIND_LATEST, key, klen, head, hlen, val, vlen);
}

int strata_append(strata_db *db, const void *key, size_t klen, const void *elem, size_t elen) {
  char head[16];
  size_t hlen = st_batch_typed_head(ST_KIND_APPEND, head, 0, 0, elen);
  return write_one(db, ST_KIND_APPEND, key, klen, head, hlen, elem, elen);
}

int strata_delete_range(strata_db *db, const void *begin, size_t blen, const void *end, size_t elen) {
  if (!db) return st_error(STRATA_EINVAL, "strata_delete_range: NULL database");
  strata_batch b;
  if (st_batch_init(&b)) return STRATA_ENOMEM;
  int rc = st_batch_add_range(&b, begin, blen, end, elen, "strata_delete_range");
  if (!rc) rc = strata_write(db, &b, 0);
  st_batch_destroy(&b);
  return rc;
}
