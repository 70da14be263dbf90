/*
 * recovery.c - replays the live write-ahead logs (those at or above the
 * manifest's log number; older ones are in tables already) into the
 * memtable at open, and
 * applies DESIGN.md's rules to damage: a torn tail of the newest log (no
 * valid record after it) is a crash tail, cut off and counted; any other
 * damage is STRATA_ECORRUPT, or with STRATA_RECOVER_SKIP_CORRUPT the end of
 * the valid prefix: the log is cut there and newer logs are removed.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "db/db_impl.h"
#include "format/batch_rep.h"
#include "format/ikey.h"
#include "wal/wal_format.h"
#include "wal/wal_reader.h"

_Static_assert(ST_BATCH_FIXED == ST_WAL_TYPE0 && ST_BATCH_VARINT == ST_WAL_TYPE1,
               "a log record's type names its batch's header format");

typedef struct log_list {
  uint64_t *nums;
  size_t n, cap;
  uint64_t max_number; /* largest number of any log */
  uint64_t min_live;   /* logs below this number are obsolete: not replayed */
  int oom;
} log_list;

static void collect(void *arg, const char *name) {
  log_list *l = arg;
  uint64_t num;
  if (!st_db_parse_log_name(name, &num)) return;
  if (num > l->max_number) l->max_number = num;
  if (num < l->min_live) return;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    uint64_t *nn = realloc(l->nums, cap * sizeof *nn);
    if (!nn) {
      l->oom = 1;
      return;
    }
    l->nums = nn;
    l->cap = cap;
  }
  l->nums[l->n++] = num;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int insert_record(void *arg, uint64_t seq, unsigned kind, const char *key, size_t klen, const char *val,
                         size_t vlen) {
  strata_db *db = arg;
  uint64_t last = atomic_load_explicit(&db->last_seq, memory_order_relaxed);
  if (seq > last) atomic_store_explicit(&db->last_seq, seq, memory_order_relaxed);
  atomic_fetch_add_explicit(&db->stats.recovered_records, 1, memory_order_relaxed);
  return st_memtable_add(db->mem, seq, kind, key, klen, val, vlen);
}

/* Sequence numbers only grow from record to record and log to log (a
 * failed append is cut back and never reuses one); a record that breaks
 * this is damage, not history. */
int st_db_log_record_check(const char *rec, size_t len, int format, uint64_t at, uint64_t *last) {
  int rc = st_batch_rep_walk(rec, len, format, NULL, NULL);
  if (rc == STRATA_OK) rc = st_batch_check_follows(rec, len, format, last);
  if (rc != STRATA_ECORRUPT) return rc;
  st_errsave why;
  st_error_save(&why);
  return st_error(rc, "record at offset %llu does not decode: %s", (unsigned long long)at, why.msg);
}

/*
 * Makes a replayed log durable, first cutting it to size bytes unless size
 * is UINT64_MAX. Its records were written before a crash perhaps without
 * an fsync; were they left so, a power loss could take them while keeping
 * newer, synced writes of the next log: a hole in history, and a torn
 * older log that would no longer open.
 */
static int settle_log(strata_db *db, const char *path, uint64_t size) {
  st_file *f;
  int rc = db->env->open_file(db->env, path, ST_OPEN_APPEND, &f);
  if (rc) return rc;
  if (size != UINT64_MAX) rc = db->env->truncate(f, size);
  if (!rc) rc = db->env->sync(f);
  int crc = db->env->close(f);
  return rc ? rc : crc;
}

/*
 * Replays one log. *damage_out is set to the offset of the first damaged
 * record (or UINT64_MAX when the log is whole); *tail_out to 1 when no
 * valid record follows that damage.
 */
static int replay_log(strata_db *db, const char *path, int newest, uint64_t *damage_out, int *tail_out,
                      uint64_t *size_out, uint64_t *end_out) {
  st_wal_reader *r;
  *damage_out = UINT64_MAX;
  *tail_out = 0;
  *size_out = *end_out = 0;
  /* Only the newest log may end in the zeros a mapped writer reserved:
   * every log replayed is cut to its end below, so an older log with
   * zeros at its end lost records. */
  int rc = st_wal_reader_open(db->env, path, newest ? ST_WAL_ZERO_TAIL_ENDS : 0, &r);
  if (rc) return rc;
  *size_out = st_wal_reader_size(r);
  for (;;) {
    const char *rec;
    size_t len;
    int format; /* a record's type is its batch's header format */
    rc = st_wal_read(r, &rec, &len, &format);
    if (rc == STRATA_NOTFOUND) {
      rc = STRATA_OK;
      break;
    }
    if (rc == STRATA_OK) {
      /* Validate the whole batch before applying any of it: batches stay
       * whole. A well-framed record that does not decode is damage in
       * the middle, never a torn tail. */
      uint64_t at = st_wal_reader_offset(r) - len - ST_WAL_HEADER;
      uint64_t last = atomic_load_explicit(&db->last_seq, memory_order_relaxed); /* insert_record advances it */
      rc = st_db_log_record_check(rec, len, format, at, &last);
      if (rc == STRATA_ECORRUPT) {
        st_errsave why;
        st_error_save(&why);
        *damage_out = at;
        st_error(STRATA_ECORRUPT, "wal %s: %s", path, why.msg);
        break;
      }
      if (!rc) rc = st_batch_rep_walk(rec, len, format, insert_record, db);
      if (rc) break;
      atomic_fetch_add_explicit(&db->stats.recovered_batches, 1, memory_order_relaxed);
      continue;
    }
    if (rc != STRATA_ECORRUPT) break;
    *damage_out = st_wal_reader_offset(r);
    int found = 0;
    if (newest) {
      st_errsave damage;
      st_error_save(&damage);
      uint64_t last_seq = atomic_load_explicit(&db->last_seq, memory_order_relaxed);
      int rc2 = st_wal_reader_valid_after(r, last_seq, &found);
      if (rc2) {
        rc = rc2;
        break;
      }
      st_error(STRATA_ECORRUPT, "%s%s", damage.msg,
               found == ST_WAL_FOUND   ? " (valid records follow it)"
               : found == ST_WAL_MAYBE ? " (valid records may follow it: too many look like records to check them all)"
                                       : "");
    }
    *tail_out = newest && !found;
    /* What is dropped from here is counted without the zeros a mapped
     * writer reserved after it. */
    *size_out = st_wal_reader_content_end(r);
    break;
  }
  *end_out = st_wal_reader_end(r);
  st_wal_reader_close(r);
  return rc;
}

int st_db_recover(strata_db *db) {
  log_list logs = {.min_live = st_version_set_log_number(db->vs)};
  char path[PATH_MAX];
  /* Sequence checks run over the replayed records alone: the manifest's
   * last sequence may be ahead of the oldest live log. */
  atomic_store_explicit(&db->last_seq, 0, memory_order_relaxed);
  int rc = db->env->list_dir(db->env, db->dir, collect, &logs);
  if (!rc && logs.oom) rc = st_error(STRATA_ENOMEM, "recovery: out of memory listing %s", db->dir);
  if (rc) goto done;
  if (logs.n) qsort(logs.nums, logs.n, sizeof *logs.nums, cmp_u64);

  /* A log followed only by empty logs counts as the newest: a crash
   * between creating a log and writing to it must not turn the previous
   * log's torn tail into corruption. */
  size_t newest = 0;
  for (size_t j = 0; j < logs.n; j++) {
    st_db_log_path(db, logs.nums[j], path, sizeof path);
    if (st_env_file_size_or_zero(db->env, path) > 0) newest = j;
  }

  int dir_changed = 0;
  size_t i;
  for (i = 0; i < logs.n; i++) {
    uint64_t damage, size, end;
    int tail;
    st_db_log_path(db, logs.nums[i], path, sizeof path);
    rc = replay_log(db, path, i >= newest, &damage, &tail, &size, &end);
    if (rc && rc != STRATA_ECORRUPT) goto done;
    atomic_fetch_add_explicit(&db->stats.recovered_logs, 1, memory_order_relaxed);
    if (damage == UINT64_MAX) {
      if (end == 0) {
        /* An empty log holds nothing: drop it rather than keep one per open. */
        if ((rc = db->env->unlink(db->env, path))) goto done;
        dir_changed = 1;
      } else if ((rc = settle_log(db, path, end < size ? end : UINT64_MAX))) {
        /* (a zero tail is cut: from now on this log is an older one) */
        goto done;
      }
      continue;
    }
    if (tail) {
      atomic_fetch_add_explicit(&db->stats.wal_tail_dropped_bytes, size - damage, memory_order_relaxed);
      if ((rc = settle_log(db, path, damage))) goto done;
      rc = STRATA_OK;
      continue;
    }
    if (db->opt.wal_recovery != STRATA_RECOVER_SKIP_CORRUPT) {
      rc = STRATA_ECORRUPT; /* the message is already recorded */
      goto done;
    }
    /* Keep the valid prefix: everything from the damage on is dropped.
     * Newer logs go first, newest first, and durably, before the damaged
     * log is cut: a crash half-way must never leave a clean log followed
     * by later history with a silent gap between them. */
    uint64_t dropped = size - damage;
    for (size_t j = logs.n - 1; j > i; j--) {
      char newer[PATH_MAX];
      st_db_log_path(db, logs.nums[j], newer, sizeof newer);
      uint64_t sz = st_env_file_size_or_zero(db->env, newer);
      if ((rc = db->env->unlink(db->env, newer))) goto done;
      dropped += sz;
    }
    if (i + 1 < logs.n && (rc = db->env->sync_dir(db->env, db->dir))) goto done;
    if ((rc = settle_log(db, path, damage))) goto done;
    atomic_fetch_add_explicit(&db->stats.wal_corrupt_dropped_bytes, dropped, memory_order_relaxed);
    rc = STRATA_OK;
    break;
  }
  if (dir_changed && (rc = db->env->sync_dir(db->env, db->dir))) goto done;
  st_version_set_mark_file_number_used(db->vs, logs.max_number);
  uint64_t replayed = atomic_load_explicit(&db->last_seq, memory_order_relaxed);
  uint64_t flushed = st_version_set_last_seq(db->vs);
  atomic_store_explicit(&db->last_seq, replayed > flushed ? replayed : flushed, memory_order_relaxed);
  rc = STRATA_OK;
done:
  free(logs.nums);
  return rc;
}
