/* test_compaction.c - compaction through the public API: space reclaimed
 * after overwrites and deletes, no tombstone left at the bottom, the
 * conversation list's sort-key churn kept cheap to scan, write stalls
 * counted and a writer held at l0_stop_trigger, failures during
 * compaction losing nothing, flushed tables placed below level 0,
 * compactions triggered by reads, and the early seal of a memtable for
 * its range deletes. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db_impl.h"
#include "fault_env.h"
#include "testutil.h"

static int setup(void **state) {
  *state = tu_tmpdir();
  return 0;
}
static int teardown(void **state) {
  tu_rmdir(*state);
  return 0;
}

static void key16(char *out, long i) { snprintf(out, 17, "k%015ld", i); }

static unsigned long long prop_sum(strata_db *db, const char *prop, const char *field) {
  char *text;
  assert_int_equal(strata_property(db, prop, &text), STRATA_OK);
  unsigned long long sum = 0;
  size_t fl = strlen(field);
  for (char *p = strstr(text, field); p; p = strstr(p + fl, field)) {
    /* "<number> <field>" */
    char *q = p;
    while (q > text && q[-1] == ' ') q--;
    while (q > text && q[-1] >= '0' && q[-1] <= '9') q--;
    sum += strtoull(q, NULL, 10);
  }
  strata_free(text);
  return sum;
}

/* The "total:" line of strata.levels. */
static void levels_total(strata_db *db, unsigned long long *files, unsigned long long *bytes) {
  char *text;
  assert_int_equal(strata_property(db, "strata.levels", &text), STRATA_OK);
  char *t = strstr(text, "total:");
  assert_non_null(t);
  assert_int_equal(sscanf(t, "total: %llu files, %llu bytes", files, bytes), 2);
  strata_free(text);
}

static void overwrites_and_deletes_are_reclaimed(void **state) {
  long keys = tu_env_long("STRATA_TEST_SPACE_KEYS", 300000);
  long writes = keys * 10;
  strata_options o;
  strata_options_init(&o);
  o.memtable_bytes = 4 << 20;
  o.target_file_bytes = 8 << 20;
  o.level_base_bytes = 32 << 20;
  strata_db *db;
  assert_int_equal(strata_open(*state, &o, &db), STRATA_OK);
  char key[17], val[101];
  memset(val, 'v', 100);
  strata_batch *b = strata_batch_new();
  for (long i = 0; i < writes; i++) {
    long k = (long)(((unsigned long long)i * 2654435761u) % (unsigned long long)keys);
    key16(key, k);
    snprintf(val, sizeof val, "%099ld", i);
    strata_batch_put(b, key, 16, val, 100);
    if (i % 500 == 499) {
      assert_int_equal(strata_write(db, b, 0), STRATA_OK);
      strata_batch_clear(b);
    }
  }
  assert_int_equal(strata_write(db, b, 0), STRATA_OK);
  strata_batch_clear(b);
  assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  unsigned long long live = (unsigned long long)keys * 116, nfiles, bytes;
  levels_total(db, &nfiles, &bytes);
  printf("space: %ld writes over %ld keys -> %llu bytes in %llu tables for %llu live bytes (%.2fx)\n", writes, keys,
         bytes, nfiles, live, (double)bytes / (double)live);
  assert_true(bytes <= live * 12 / 10);
  assert_int_equal(prop_sum(db, "strata.sstables", "tombstones"), 0);
  /* The replaced tables left the disk when the compaction ended, not at
   * some later sweep: the directory holds the live tables only. */
  char path[4096];
  assert_int_equal(tu_nth_file(*state, ".sst", 0, path, sizeof path), (int)nfiles);

  /* Delete every second key: after compaction the files hold half. */
  for (long k = 0; k < keys; k += 2) {
    key16(key, k);
    strata_batch_delete(b, key, 16);
    if (k % 1000 == 998) {
      assert_int_equal(strata_write(db, b, 0), STRATA_OK);
      strata_batch_clear(b);
    }
  }
  assert_int_equal(strata_write(db, b, 0), STRATA_OK);
  strata_batch_free(b);
  assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  unsigned long long after;
  levels_total(db, &nfiles, &after);
  printf("space: after deleting half: %llu bytes (%.2fx of the live half)\n", after,
         (double)after / (double)(live / 2));
  assert_true(after <= live / 2 * 12 / 10);
  assert_int_equal(tu_nth_file(*state, ".sst", 0, path, sizeof path), (int)nfiles);
  /* No tombstone is left at the bottom. */
  assert_int_equal(prop_sum(db, "strata.sstables", "tombstones"), 0);
  assert_true(tu_stat(db, "compaction.tombstones_dropped") >= (unsigned long long)keys / 2);
  key16(key, 2);
  tu_expect_missing(db, key);
  key16(key, 3);
  void *v;
  size_t vl;
  assert_int_equal(strata_get(db, key, 16, &v, &vl), STRATA_OK);
  strata_free(v);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* The seeds' conversation list: each partition holds one row whose sort
 * key is the last message time; every message moves it (delete + insert
 * in one batch). Scanning a partition must stay cheap however long the
 * churn runs: the work per scan (fragments stepped over) is measured. */
static void sort_key_churn_stays_cheap(void **state) {
  int partitions = (int)tu_env_long("STRATA_TEST_CHURN_PARTITIONS", 20000);
  long messages = tu_env_long("STRATA_TEST_CHURN_MESSAGES", 1000000);
  strata_options o;
  strata_options_init(&o);
  o.memtable_bytes = 256 << 10;
  o.target_file_bytes = 256 << 10;
  o.level_base_bytes = 1 << 20;
  strata_db *db;
  assert_int_equal(strata_open(*state, &o, &db), STRATA_OK);
  long *last = calloc((size_t)partitions, sizeof *last);
  char key[64], old[64];
  strata_batch *b = strata_batch_new();
  for (int p = 0; p < partitions; p++) {
    snprintf(key, sizeof key, "conv/%06d/%012ld", p, 0L);
    assert_int_equal(strata_put(db, key, strlen(key), "hello", 5), STRATA_OK);
  }
  /* Cost of scanning every partition: fragments hidden by deletes that
   * the scans stepped over, per partition. */
  unsigned long long base_skipped = tu_stat(db, "reads.tombstones_skipped");
  double fresh = 0, worst = 0;
  for (long m = 1; m <= messages; m++) {
    int p = (int)((m * 7919) % partitions);
    snprintf(old, sizeof old, "conv/%06d/%012ld", p, last[p]);
    snprintf(key, sizeof key, "conv/%06d/%012ld", p, m);
    strata_batch_clear(b);
    strata_batch_delete(b, old, strlen(old));
    strata_batch_put(b, key, strlen(key), "msg", 3);
    assert_int_equal(strata_write(db, b, 0), STRATA_OK);
    last[p] = m;
    if (m % (messages / 8) == 0 || m == 1) {
      unsigned long long before = tu_stat(db, "reads.tombstones_skipped");
      for (int q = 0; q < partitions; q += 10) {
        char lo[32], hi[32];
        snprintf(lo, sizeof lo, "conv/%06d/", q);
        snprintf(hi, sizeof hi, "conv/%06d0", q);
        strata_read_options ro;
        strata_read_options_init(&ro);
        ro.lower = lo;
        ro.lower_len = strlen(lo);
        ro.upper = hi;
        ro.upper_len = strlen(hi);
        strata_iter *it;
        int rc = strata_iter_new(db, &ro, &it);
        if (rc) fail_msg("iterator: %s (%s)", strata_strerror(rc), strata_errmsg());
        int rows = 0;
        for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it)) rows++;
        assert_int_equal(rows, 1);
        strata_iter_free(it);
      }
      double per_scan = (double)(tu_stat(db, "reads.tombstones_skipped") - before) / (partitions / 10);
      if (m == 1) fresh = per_scan;
      if (per_scan > worst) worst = per_scan;
      printf("churn: %ld messages: %.2f hidden fragments stepped over per partition scan\n", m, per_scan);
    }
  }
  (void)base_skipped;
  /* A fresh scan steps over no tombstones: the cost is one row. The
   * bound: a scan's cost (1 + fragments stepped over) stays within 3x. */
  printf("churn: cost per scan fresh %.2f, worst %.2f (ratio %.2f)\n", 1 + fresh, 1 + worst, (1 + worst) / (1 + fresh));
  assert_true((1 + worst) / (1 + fresh) <= 3.0);
  printf("churn: %llu compactions, %llu tombstones dropped\n", tu_stat(db, "compaction.count"),
         tu_stat(db, "compaction.tombstones_dropped"));
  strata_batch_free(b);
  free(last);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* A database through the fault env where only manual compactions run,
 * holding `writes` overwrites spread over `keys` keys (key k's last value
 * is the one written last for it), all flushed. */
static strata_db *manual_only_db(const char *dir, st_env *env, strata_options *o, long writes, long keys) {
  strata_options_init(o);
  o->memtable_bytes = 64 << 10;
  o->l0_compaction_trigger = 100;
  o->l0_slowdown_trigger = 100;
  o->l0_stop_trigger = 100;
  strata_db *db;
  assert_int_equal(st_db_open(dir, o, env, &db), STRATA_OK);
  char key[17], val[101];
  for (long i = 0; i < writes; i++) {
    key16(key, i % keys);
    snprintf(val, sizeof val, "%099ld", i);
    assert_int_equal(strata_put(db, key, 16, val, strlen(val)), STRATA_OK);
  }
  assert_int_equal(strata_flush(db), STRATA_OK);
  return db;
}

/* Failures while compacting: the compaction is abandoned, its outputs are
 * removed, reads go on, and it succeeds once the disk is healthy. */
static void failed_compaction_loses_nothing(void **state) {
  st_env *env = fault_env_new();
  strata_options o;
  strata_db *db = manual_only_db(*state, env, &o, 20000, 5000);
  char key[17], val[101];
  unsigned long long tables_before, tables, bytes;
  levels_total(db, &tables_before, &bytes);
  /* The output table's writes, its fsync, its creation (the manifest's
   * own failures are the next test's). */
  fault_op ops[] = {FAULT_APPEND, FAULT_SYNC, FAULT_OPEN};
  for (int i = 0; i < 3; i++) {
    fault_env_fail(env, ops[i], ops[i] == FAULT_APPEND ? 2 : 1, i == 0 ? STRATA_ENOSPC : STRATA_EIO, 0);
    int rc = strata_compact_range(db, NULL, 0, NULL, 0);
    fault_env_heal(env);
    assert_true(rc == STRATA_EIO || rc == STRATA_ENOSPC);
    assert_true(tu_stat(db, "compaction.failures") >= (unsigned long long)i + 1);
    /* Nothing changed: the same tables, no stray outputs, all data. */
    levels_total(db, &tables, &bytes);
    assert_int_equal(tables, tables_before);
    char name[4096];
    int on_disk = tu_nth_file(*state, ".sst", 0, name, sizeof name);
    assert_int_equal(on_disk, (int)tables_before);
    for (long k = 0; k < 5000; k += 97) {
      key16(key, k);
      snprintf(val, sizeof val, "%099ld", 15000 + k);
      tu_expect_value(db, key, val);
    }
  }
  assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  levels_total(db, &tables, &bytes);
  assert_true(tables < tables_before);
  for (long i = 0; i < 5000; i++) {
    key16(key, i);
    assert_int_equal(strata_put(db, key, 16, "x", 1), STRATA_OK);
  }
  assert_int_equal(strata_close(db), STRATA_OK);
  fault_env_free(env);
  assert_int_equal(strata_open(*state, &o, &db), STRATA_OK);
  key16(key, 7);
  tu_expect_value(db, key, "x");
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* Writes are slowed, then stopped, while level 0 is too deep; both are
 * counted. */
/* A failed manifest edit after a compaction: reads go on, writes are
 * refused (the manifest's tail is unknown), and reopening recovers. */
static void failed_compaction_edit_is_fatal_for_writes_only(void **state) {
  st_env *env = fault_env_new();
  strata_options o;
  strata_db *db = manual_only_db(*state, env, &o, 10000, 3000);
  char key[17], val[101];
  fault_env_fail_on(env, FAULT_APPEND, "MANIFEST", 1, STRATA_EIO, 0);
  assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_EIO);
  fault_env_heal(env);
  assert_int_equal(strata_put(db, "k", 1, "v", 1), STRATA_EREADONLY);
  for (long k = 0; k < 3000; k += 71) {
    key16(key, k);
    snprintf(val, sizeof val, "%099ld", k >= 1000 ? 6000 + k : 9000 + k);
    tu_expect_value(db, key, val);
  }
  assert_int_equal(strata_close(db), STRATA_EREADONLY);
  fault_env_free(env);
  assert_int_equal(strata_open(*state, &o, &db), STRATA_OK);
  key16(key, 5);
  snprintf(val, sizeof val, "%099ld", 9005L);
  tu_expect_value(db, key, val);
  assert_int_equal(strata_put(db, "k", 1, "v", 1), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* Files at level of strata.levels. */
static unsigned long long level_files(strata_db *db, int level) {
  char *text, name[16];
  unsigned long long n = 0, bytes;
  assert_int_equal(strata_property(db, "strata.levels", &text), STRATA_OK);
  snprintf(name, sizeof name, "level.%d:", level);
  char *at = strstr(text, name);
  assert_non_null(at);
  assert_int_equal(sscanf(at + strlen(name), " %llu files, %llu bytes", &n, &bytes), 2);
  strata_free(text);
  return n;
}

/* A 16 KiB memtable and level-0 triggers of 2, 3 and 4 tables: stalls
 * come within a few hundred writes. */
static void stall_options(strata_options *o) {
  strata_options_init(o);
  o->memtable_bytes = 16 << 10;
  o->l0_compaction_trigger = 2;
  o->l0_slowdown_trigger = 3;
  o->l0_stop_trigger = 4;
}

static void write_stalls_are_counted(void **state) {
  strata_options o;
  stall_options(&o);
  strata_db *db;
  assert_int_equal(strata_open(*state, &o, &db), STRATA_OK);
  char key[17], val[101];
  memset(val, 'x', 100);
  val[100] = '\0';
  /* Memory in memtables stays within memtable_bytes x (1 + the sealed
   * ones allowed), plus at most one write group past the limit. */
  unsigned long long bound = (16u << 10) * (1 + (unsigned long long)o.max_immutable_memtables) + (1u << 20);
  for (long i = 0; i < 20000; i++) {
    key16(key, i);
    assert_int_equal(strata_put(db, key, 16, val, 100), STRATA_OK);
    if (i % 500 == 0)
      assert_true(tu_stat(db, "memtable.bytes") + tu_stat(db, "memtable.immutable_bytes") <= bound);
  }
  unsigned long long slow = tu_stat(db, "writes.slowdown_micros"), stop = tu_stat(db, "writes.stop_micros");
  printf("stalls: slowed %llu us, stopped %llu us, %llu compactions\n", slow, stop, tu_stat(db, "compaction.count"));
  assert_true(slow + stop > 0);
  /* Level 0 never grew past the stop trigger plus the sealed memtables. */
  char *text;
  assert_int_equal(strata_property(db, "strata.levels", &text), STRATA_OK);
  unsigned long long l0 = 0, bytes;
  sscanf(strstr(text, "level.0:"), "level.0: %llu files, %llu bytes", &l0, &bytes);
  strata_free(text);
  assert_true(l0 <= 4 + 2);
  for (long i = 0; i < 20000; i += 101) {
    key16(key, i);
    tu_expect_value(db, key, val);
  }
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* A flushed table that overlaps nothing goes straight to level 1 (no
 * level-0 compaction rewrites it); one that overlaps stays at level 0.
 * Then disjoint and overlapping flushes race compactions of tiny levels:
 * every key reads back, also after a reopen. */
static void flushes_skip_level0_when_nothing_overlaps(void **state) {
  strata_options o;
  strata_options_init(&o);
  o.memtable_bytes = 64 << 10;
  strata_db *db = tu_open(*state, &o);
  char key[17], val[32];
  for (long i = 0; i < 3000; i++) { /* about 6 memtables, ascending keys */
    key16(key, i);
    snprintf(val, sizeof val, "v%ld", i);
    assert_int_equal(strata_put(db, key, 16, val, strlen(val)), STRATA_OK);
    if (i % 500 == 499) assert_int_equal(strata_flush(db), STRATA_OK);
  }
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(level_files(db, 0), 0);
  assert_int_equal(level_files(db, 1), 6);
  assert_int_equal(tu_stat(db, "compaction.count"), 0);
  key16(key, 1500); /* overlaps the fourth table of level 1 */
  assert_int_equal(strata_put(db, key, 16, "new", 3), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(level_files(db, 0), 1);
  tu_expect_value(db, key, "new");
  key16(key, 1499);
  tu_expect_value(db, key, "v1499");
  assert_int_equal(strata_close(db), STRATA_OK);

  /* The race: each round writes one band of keys far from the others (its
   * table may go to level 1) and a few keys across all of them (level 0),
   * while compactions of tiny levels move tables down. */
  tu_options_tiny_levels(&o);
  o.memtable_bytes = 32 << 10;
  db = tu_open(*state, &o);
  enum { ROUNDS = 200, BAND = 40 };
  for (long r = 0; r < ROUNDS; r++) {
    long band = (r * 7919) % ROUNDS;
    for (long i = 0; i < BAND; i++) {
      key16(key, 100000 + band * BAND + i);
      snprintf(val, sizeof val, "b%ld-%ld", r, i);
      assert_int_equal(strata_put(db, key, 16, val, strlen(val)), STRATA_OK);
    }
    assert_int_equal(strata_flush(db), STRATA_OK);
    key16(key, 100000 + ((r * 31) % (ROUNDS * BAND)));
    snprintf(val, sizeof val, "x%ld", r);
    assert_int_equal(strata_put(db, key, 16, val, strlen(val)), STRATA_OK);
  }
  assert_true(tu_stat(db, "compaction.count") > 0);
  for (int reopen = 0; reopen < 2; reopen++) {
    for (long k = 0; k < ROUNDS * BAND; k++) {
      for (long q = 0; q < ROUNDS; q++) { /* replay the writes of key k */
        if ((q * 7919) % ROUNDS == k / BAND) snprintf(val, sizeof val, "b%ld-%ld", q, k % BAND);
        if ((q * 31) % (ROUNDS * BAND) == k) snprintf(val, sizeof val, "x%ld", q);
      }
      key16(key, 100000 + k);
      tu_expect_value(db, key, val);
    }
    assert_int_equal(strata_close(db), STRATA_OK);
    if (!reopen) db = tu_open(*state, &o);
  }
}

/* Waits (10 s at most) until reads have triggered a compaction and level
 * 0 is empty again. */
static void await_read_compaction(strata_db *db) {
  for (int i = 0; i < 1000 && (tu_stat(db, "compaction.read_triggered") == 0 || level_files(db, 0) > 0); i++)
    usleep(10000);
  assert_true(tu_stat(db, "compaction.read_triggered") >= 1);
  assert_int_equal(level_files(db, 0), 0);
}

/* A table at level 1 holding even keys and one at level 0 over the same
 * range holding odd ones: a read of an even key looks into both. */
static strata_db *two_overlapping_tables(const char *dir, strata_options *o) {
  strata_options_init(o);
  o->l0_compaction_trigger = 100;
  o->l0_slowdown_trigger = 100;
  o->l0_stop_trigger = 100;
  strata_db *db = tu_open(dir, o);
  char key[17];
  for (int odd = 0; odd < 2; odd++) {
    for (long i = odd; i < 4000; i += 2) {
      key16(key, i);
      assert_int_equal(strata_put(db, key, 16, key, 16), STRATA_OK);
    }
    assert_int_equal(strata_flush(db), STRATA_OK);
  }
  assert_int_equal(level_files(db, 0), 1);
  assert_int_equal(level_files(db, 1), 1);
  return db;
}

/* Reads that keep looking into a table that does not hold their keys
 * make it due for a compaction when no level is (LevelDB's seek
 * compaction): point reads charge it directly, scans by samples. Every
 * key reads back afterwards. */
static void reads_compact_tables_they_look_into_in_vain(void **state) {
  strata_options o;
  char key[17];
  strata_db *db = two_overlapping_tables(*state, &o);
  /* The level-0 table allows 100 such reads (it is under 1.6 MB): the
   * 100th makes it due. Reads of odd keys stop at it and charge nothing,
   * and 99 reads of even keys are not enough. */
  for (long i = 1; i < 4000; i += 2) {
    key16(key, i);
    tu_expect_value(db, key, key);
  }
  for (long i = 2; i < 2 * ST_FILE_MIN_SEEKS; i += 2) { /* key 0 is below the level-0 table */
    key16(key, i);
    tu_expect_value(db, key, key);
  }
  usleep(50000);
  assert_int_equal(tu_stat(db, "compaction.read_triggered"), 0);
  key16(key, 2 * ST_FILE_MIN_SEEKS);
  tu_expect_value(db, key, key);
  await_read_compaction(db);
  for (long i = 0; i < 4000; i++) {
    key16(key, i);
    tu_expect_value(db, key, key);
  }
  assert_int_equal(strata_close(db), STRATA_OK);

  /* Scans: a sample at a random spacing of 1 .. 16384 entries, each
   * charging the level-0 table (both tables hold every key's range). Each
   * iterator starts its spacing afresh, so scans of 4000 keys take about
   * one sample per four: 100 samples after some 1.5 million entries. 1000
   * scans give 4 million. */
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/scans", (const char *)*state);
  db = two_overlapping_tables(dir, &o);
  long seen = 0;
  for (int s = 0; s < 1000 && tu_stat(db, "compaction.read_triggered") == 0; s++) {
    strata_iter *it;
    assert_int_equal(strata_iter_new(db, NULL, &it), STRATA_OK);
    for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it)) seen++;
    strata_iter_free(it);
  }
  printf("reads: a compaction after %ld entries scanned\n", seen);
  await_read_compaction(db);
  assert_true(seen >= 8192L * ST_FILE_MIN_SEEKS / 4);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* The active memtable's log number. */
static uint64_t active_log(strata_db *db) {
  st_mutex_lock(&db->mu);
  uint64_t log = db->wal_number;
  st_mutex_unlock(&db->mu);
  return log;
}

/*
 * An early seal (st_db_seal_early, which a worker asks for when the
 * memtable's range deletes hide enough flushed data) never queues behind
 * a writer, whose leader could be waiting for that worker's compaction:
 * with the queue busy it leaves the request, and the next leader seals
 * before its own write goes in; with the queue empty it seals at once. A
 * memtable that is no longer the active one, or an empty one, is left
 * alone. No thread can be held as the queue's leader, so the queue is
 * made busy by hand here, with no other writer running.
 */
/* Asks for an early seal of the active memtable with the write queue
 * made busy by hand, so that the request is left to the next leader. */
static void request_seal(strata_db *db, uint64_t log) {
  static uint64_t busy_marker; /* stands for a leader; never dereferenced */
  st_mutex_lock(&db->mu);
  db->queue_head = (st_writer *)(void *)&busy_marker;
  st_mutex_unlock(&db->mu);
  assert_int_equal(st_db_seal_early(db, log), STRATA_OK); /* returns at once */
  st_mutex_lock(&db->mu);
  assert_int_equal(db->seal_request, log);
  db->queue_head = NULL;
  st_mutex_unlock(&db->mu);
  assert_int_equal(active_log(db), log);
}

/* Holds background compactions back as a strata_compact_range call does
 * (white-box), or lets them go again. */
static void hold_compactions(strata_db *db, int hold) {
  st_mutex_lock(&db->mu);
  db->manual_compactions += hold ? 1 : -1;
  st_cond_broadcast(&db->work_cv);
  st_mutex_unlock(&db->mu);
}

typedef struct stop_writer {
  strata_db *db;
  long n;
  atomic_int done;
  int rc;
} stop_writer;

/* Writes n values over 50 keys, so that every flush overlaps the last. */
static void *stop_writer_main(void *arg) {
  stop_writer *w = arg;
  char key[17], val[101];
  for (long i = 0; i < w->n && !w->rc; i++) {
    key16(key, i % 50);
    snprintf(val, sizeof val, "%0100ld", i);
    w->rc = strata_put(w->db, key, 16, val, 100);
  }
  atomic_store(&w->done, 1);
  return NULL;
}

/* With compactions held back, a writer that needs more memtables than
 * level 0 may take waits at l0_stop_trigger (and says so in
 * writes.stopped) instead of growing level 0; once compactions run again
 * it finishes, and nothing is lost. Deterministic: the writes cannot all
 * fit while compactions are held. */
static void stop_trigger_holds_writers(void **state) {
  strata_options o;
  stall_options(&o);
  o.max_immutable_memtables = 1;
  strata_db *db;
  assert_int_equal(strata_open(*state, &o, &db), STRATA_OK);
  hold_compactions(db, 1);
  /* 2,000 writes of 100 bytes: about 15 memtables, where level 0 and
   * level 1, the sealed memtable and the active one hold 7 at most. */
  stop_writer w = {db, 2000, 0, STRATA_OK};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, stop_writer_main, &w), 0);
  int stopped = 0;
  for (int i = 0; i < 30000 && !stopped; i++) { /* 30 s at most */
    stopped = tu_stat(db, "writes.stopped") == 1 && level_files(db, 0) == 4;
    if (!stopped) usleep(1000);
  }
  assert_true(stopped);
  assert_false(atomic_load(&w.done));
  assert_int_equal(tu_stat(db, "compaction.count"), 0);
  usleep(50 * 1000); /* a stop that let writes through would show here */
  assert_int_equal(level_files(db, 0), 4);
  assert_int_equal(tu_stat(db, "writes.stopped"), 1);
  assert_false(atomic_load(&w.done));

  hold_compactions(db, 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(w.rc, STRATA_OK);
  assert_int_equal(tu_stat(db, "writes.stopped"), 0);
  assert_true(tu_stat(db, "writes.stop_micros") > 0);
  assert_true(tu_stat(db, "compaction.count") > 0);
  char key[17], val[101];
  for (long k = 0; k < 50; k++) {
    key16(key, k);
    snprintf(val, sizeof val, "%0100ld", 1950 + k);
    tu_expect_value(db, key, val);
  }
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void early_seal_waits_for_nobody(void **state) {
  st_env *env = fault_env_new();
  strata_db *db;
  assert_int_equal(st_db_open(*state, NULL, env, &db), STRATA_OK);
  assert_int_equal(strata_put(db, "a", 1, "1", 1), STRATA_OK);
  uint64_t log = active_log(db);
  assert_int_equal(st_db_seal_early(db, log + 1000), STRATA_OK);
  assert_int_equal(active_log(db), log);

  /* An early seal is an option, never a reason to fail a write: the next
   * log cannot be created, and the leader's write goes on in the memtable
   * it has. */
  request_seal(db, log);
  fault_env_fail_on(env, FAULT_OPEN, ".log", 1, STRATA_EIO, 0);
  assert_int_equal(strata_put(db, "c", 1, "3", 1), STRATA_OK);
  fault_env_heal(env);
  assert_int_equal(active_log(db), log);
  assert_int_equal(tu_stat(db, "memtable.entries"), 2);
  assert_int_equal(tu_stat(db, "flush.early_for_range_deletes"), 0);

  request_seal(db, log);
  assert_int_equal(strata_put(db, "b", 1, "2", 1), STRATA_OK);
  assert_int_equal(tu_stat(db, "flush.early_for_range_deletes"), 1);
  uint64_t log2 = active_log(db);
  assert_true(log2 > log);
  assert_int_equal(tu_stat(db, "memtable.entries"), 1); /* "b", in the new memtable */

  assert_int_equal(st_db_seal_early(db, log2), STRATA_OK);
  assert_int_equal(tu_stat(db, "flush.early_for_range_deletes"), 2);
  assert_int_equal(tu_stat(db, "memtable.entries"), 0);
  uint64_t log3 = active_log(db);
  assert_true(log3 > log2);
  assert_int_equal(st_db_seal_early(db, log3), STRATA_OK); /* empty */
  assert_int_equal(active_log(db), log3);
  assert_int_equal(tu_stat(db, "flush.early_for_range_deletes"), 2);

  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  fault_env_free(env);
  db = tu_open(*state, NULL);
  tu_expect_value(db, "a", "1");
  tu_expect_value(db, "b", "2");
  tu_expect_value(db, "c", "3");
  assert_int_equal(strata_close(db), STRATA_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(overwrites_and_deletes_are_reclaimed, setup, teardown),
      cmocka_unit_test_setup_teardown(sort_key_churn_stays_cheap, setup, teardown),
      cmocka_unit_test_setup_teardown(failed_compaction_loses_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(failed_compaction_edit_is_fatal_for_writes_only, setup, teardown),
      cmocka_unit_test_setup_teardown(write_stalls_are_counted, setup, teardown),
      cmocka_unit_test_setup_teardown(flushes_skip_level0_when_nothing_overlaps, setup, teardown),
      cmocka_unit_test_setup_teardown(reads_compact_tables_they_look_into_in_vain, setup, teardown),
      cmocka_unit_test_setup_teardown(stop_trigger_holds_writers, setup, teardown),
      cmocka_unit_test_setup_teardown(early_seal_waits_for_nobody, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
