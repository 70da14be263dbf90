/* test_range.c - range deletes through the public API (docs/SEMANTICS.md,
 * "Range deletes"): what they hide and what they do not, each case read in
 * the memtable, after a flush, after a full compaction and after a reopen;
 * snapshots across them; typed keys under them; seeks that pass a deleted
 * range without reading it; compaction that reclaims the space; the table
 * tools; bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static int setup(void **state) {
  *state = tu_tmpdir();
  return 0;
}
static int teardown(void **state) {
  tu_rmdir(*state);
  return 0;
}

static const char *S(const char *s) { return s; }
#define K(s) S(s), strlen(s)

/* The keys an iterator shows, joined with ' ', forward then backward
 * (which must be the reverse). */
static void expect_scan(strata_db *db, const strata_snapshot *snap, const char *want) {
  strata_read_options ro;
  strata_read_options_init(&ro);
  ro.snapshot = snap;
  strata_iter *it;
  assert_int_equal(strata_iter_new(db, &ro, &it), STRATA_OK);
  char fwd[4096] = "", bwd[4096] = "";
  for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it)) {
    size_t n;
    const char *k = strata_iter_key(it, &n);
    if (*fwd) strcat(fwd, " ");
    strncat(fwd, k, n);
  }
  assert_int_equal(strata_iter_status(it), STRATA_OK);
  for (strata_iter_seek_last(it); strata_iter_valid(it); strata_iter_prev(it)) {
    size_t n;
    const char *k = strata_iter_key(it, &n);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%.*s%s%s", (int)n, k, *bwd ? " " : "", bwd);
    strcpy(bwd, tmp);
  }
  assert_int_equal(strata_iter_status(it), STRATA_OK);
  strata_iter_free(it);
  if (strcmp(fwd, want) != 0) fail_msg("scan forward: '%s', want '%s'", fwd, want);
  if (strcmp(bwd, want) != 0) fail_msg("scan backward: '%s', want '%s'", bwd, want);
}

static void expect_get(strata_db *db, const char *key, const char *want) {
  if (want)
    tu_expect_value(db, key, want);
  else
    tu_expect_missing(db, key);
}

static void check_basic(strata_db *db) {
  expect_scan(db, NULL, "a c e f");
  expect_get(db, "a", "1");
  expect_get(db, "b", NULL);
  expect_get(db, "bb", NULL);
  expect_get(db, "c", "new");
  expect_get(db, "d", NULL);
  expect_get(db, "e", "1"); /* the end is exclusive */
  expect_get(db, "f", "1");
}

/* [b, e) hides b, bb, c and d written before it, not c written after. */
static void basic_hide(void **state) {
  strata_db *db = tu_open(*state, NULL);
  const char *keys[] = {"a", "b", "bb", "c", "d", "e", "f"};
  for (int i = 0; i < 7; i++) assert_int_equal(strata_put(db, K(keys[i]), "1", 1), STRATA_OK);
  assert_int_equal(strata_delete_range(db, "b", 1, "e", 1), STRATA_OK);
  assert_int_equal(strata_put(db, K("c"), K("new")), STRATA_OK);
  db = tu_each_stage(db, *state, NULL, check_basic);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* The data in a table, the tombstone in the memtable, then in a newer
 * table, then merged: each place of the two. */
static void check_split(strata_db *db) {
  expect_scan(db, NULL, "k0 k1 k8 k9");
  for (int i = 2; i < 8; i++) {
    char k[4];
    snprintf(k, sizeof k, "k%d", i);
    expect_get(db, k, NULL);
  }
}

static void data_older_than_tombstone(void **state) {
  strata_db *db = tu_open(*state, NULL);
  for (int i = 0; i < 10; i++) {
    char k[4];
    snprintf(k, sizeof k, "k%d", i);
    assert_int_equal(strata_put(db, K(k), "v", 1), STRATA_OK);
  }
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_delete_range(db, K("k2"), K("k8")), STRATA_OK);
  db = tu_each_stage(db, *state, NULL, check_split);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void check_open(strata_db *db) {
  expect_scan(db, NULL, "a b late");
  expect_get(db, "m", NULL);
  expect_get(db, "zzzz", NULL);
}

/* end NULL: to the last key; later writes are not hidden. A memtable with
 * nothing but the tombstone flushes to a table of only it. */
static void open_end(void **state) {
  strata_db *db = tu_open(*state, NULL);
  const char *keys[] = {"a", "b", "c", "m", "zzzz"};
  for (int i = 0; i < 5; i++) assert_int_equal(strata_put(db, K(keys[i]), "1", 1), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_delete_range(db, K("c"), NULL, 0), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK); /* a table of one range tombstone */
  /* Its largest key is the open end, which the listing names. */
  char *text;
  assert_int_equal(strata_property(db, "strata.sstables", &text), STRATA_OK);
  if (!strstr(text, "keys 'c' .. (past the last key)")) fail_msg("%s", text);
  strata_free(text);
  assert_int_equal(strata_put(db, K("late"), "1", 1), STRATA_OK);
  db = tu_each_stage(db, *state, NULL, check_open);
  /* Everything dropped by the compaction: no tombstone is left. */
  assert_int_equal(strata_property(db, "strata.sstables", &text), STRATA_OK);
  assert_null(strstr(text, "past the last key"));
  strata_free(text);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void check_batch(strata_db *db) {
  expect_get(db, "p1", NULL);
  expect_get(db, "p2", "after");
  expect_get(db, "q", "kept");
}

/* In a batch, order counts: a put before the range delete is hidden by
 * it, a put after it is not. */
static void batch_order(void **state) {
  strata_db *db = tu_open(*state, NULL);
  strata_batch *b = strata_batch_new();
  assert_int_equal(strata_batch_put(b, K("p1"), K("before")), STRATA_OK);
  assert_int_equal(strata_batch_delete_range(b, K("p"), K("q")), STRATA_OK);
  assert_int_equal(strata_batch_put(b, K("p2"), K("after")), STRATA_OK);
  assert_int_equal(strata_batch_put(b, K("q"), K("kept")), STRATA_OK);
  assert_int_equal(strata_batch_delete_range(b, K("x"), K("x")), STRATA_OK); /* empty: adds nothing */
  assert_int_equal(strata_write(db, b, 0), STRATA_OK);
  assert_int_equal(tu_stat(db, "writes.records"), 4);
  strata_batch_free(b);
  db = tu_each_stage(db, *state, NULL, check_batch);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* Overlapping and nested ranges, some over others already hidden. */
static void check_overlap(strata_db *db) {
  expect_scan(db, NULL, "k00 k01 k05 k12 k19");
  expect_get(db, "k05", "again");
  expect_get(db, "k06", NULL);
}

static void overlapping(void **state) {
  strata_db *db = tu_open(*state, NULL);
  for (int i = 0; i < 20; i++) {
    char k[8];
    snprintf(k, sizeof k, "k%02d", i);
    assert_int_equal(strata_put(db, K(k), "v", 1), STRATA_OK);
  }
  assert_int_equal(strata_delete_range(db, K("k02"), K("k08")), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_delete_range(db, K("k04"), K("k12")), STRATA_OK);
  assert_int_equal(strata_put(db, K("k05"), K("again")), STRATA_OK);
  assert_int_equal(strata_delete_range(db, K("k13"), K("k19")), STRATA_OK);
  assert_int_equal(strata_delete_range(db, K("k14"), K("k15")), STRATA_OK);
  db = tu_each_stage(db, *state, NULL, check_overlap);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* A snapshot taken before the delete keeps seeing the data through a
 * flush and a compaction; the latest reads do not. */
static void snapshots(void **state) {
  strata_db *db = tu_open(*state, NULL);
  assert_int_equal(strata_put(db, K("a"), "1", 1), STRATA_OK);
  assert_int_equal(strata_put(db, K("b"), "1", 1), STRATA_OK);
  const strata_snapshot *before = strata_snapshot_new(db);
  assert_int_equal(strata_delete_range(db, K("a"), K("z")), STRATA_OK);
  const strata_snapshot *after = strata_snapshot_new(db);
  assert_int_equal(strata_put(db, K("b"), "2", 1), STRATA_OK);
  for (int stage = 0; stage < 3; stage++) {
    expect_scan(db, before, "a b");
    expect_scan(db, after, "");
    expect_scan(db, NULL, "b");
    strata_read_options ro;
    strata_read_options_init(&ro);
    ro.snapshot = before;
    void *v;
    size_t n;
    assert_int_equal(strata_get_at(db, &ro, K("a"), &v, &n), STRATA_OK);
    strata_free(v);
    ro.snapshot = after;
    assert_int_equal(strata_get_at(db, &ro, K("b"), &v, &n), STRATA_NOTFOUND);
    expect_get(db, "b", "2");
    if (stage == 0) assert_int_equal(strata_flush(db), STRATA_OK);
    if (stage == 1) assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  }
  strata_snapshot_release(db, before);
  strata_snapshot_release(db, after);
  assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  expect_scan(db, NULL, "b");
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void check_typed(strata_db *db) {
  int64_t n;
  assert_int_equal(strata_get_int(db, K("plays"), &n), STRATA_OK);
  assert_true(n == 7);
  void *v;
  size_t len, pos = 0, el;
  const void *e;
  assert_int_equal(strata_get(db, K("feed"), &v, &len), STRATA_OK);
  assert_int_equal(strata_list_next(v, len, &pos, &e, &el), 1);
  assert_int_equal(el, 5);
  assert_memory_equal(e, "after", 5);
  assert_int_equal(strata_list_next(v, len, &pos, &e, &el), 0);
  strata_free(v);
  uint64_t ts;
  assert_int_equal(strata_get_latest(db, K("pos"), &v, &len, &ts), STRATA_OK);
  assert_true(ts == 5); /* the older ts 9 was deleted */
  strata_free(v);
}

/* Typed fragments on both sides of a tombstone: only those after it
 * count, also once flushes and compactions have collapsed them. */
static void typed_keys(void **state) {
  strata_db *db = tu_open(*state, NULL);
  assert_int_equal(strata_add(db, K("plays"), 100), STRATA_OK);
  assert_int_equal(strata_append(db, K("feed"), K("before")), STRATA_OK);
  assert_int_equal(strata_put_latest(db, K("pos"), "x", 1, 9), STRATA_OK);
  assert_int_equal(strata_delete_range(db, K("a"), K("z")), STRATA_OK);
  assert_int_equal(strata_add(db, K("plays"), 3), STRATA_OK);
  assert_int_equal(strata_add(db, K("plays"), 4), STRATA_OK);
  assert_int_equal(strata_append(db, K("feed"), K("after")), STRATA_OK);
  assert_int_equal(strata_put_latest(db, K("pos"), "y", 1, 5), STRATA_OK);
  db = tu_each_stage(db, *state, NULL, check_typed);
  /* With a snapshot between, the flush must keep the chain uncollapsed. */
  const strata_snapshot *s = strata_snapshot_new(db);
  assert_int_equal(strata_add(db, K("plays"), 1000), STRATA_OK);
  assert_int_equal(strata_delete_range(db, K("plays"), K("plays\x01")), STRATA_OK);
  assert_int_equal(strata_add(db, K("plays"), 7), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  check_typed(db);
  strata_read_options ro;
  strata_read_options_init(&ro);
  ro.snapshot = s;
  void *v;
  size_t len;
  assert_int_equal(strata_get_at(db, &ro, K("plays"), &v, &len), STRATA_OK);
  assert_int_equal(len, 1);
  assert_memory_equal(v, "7", 1);
  strata_free(v);
  strata_snapshot_release(db, s);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* Blocks read through the block cache: the tests that count them turn
 * mmap_reads off, as a mapped block is used where it lies, uncounted. */
static unsigned long long blocks_read(strata_db *db) {
  return tu_stat(db, "block_cache.hits") + tu_stat(db, "block_cache.misses");
}

/* A seek into a large deleted range lands on the next live key after
 * reading a few blocks, not the range's thousands; a point read of a
 * deleted key reads no data block; a full scan reads the live ends only. */
static void seek_skips_range(void **state) {
  strata_options o;
  strata_options_init(&o);
  o.block_bytes = 256;
  o.mmap_reads = 0;
  /* The blocks counted are the reads' alone: the flushed tombstone hides
   * only data of the level right below it, which is never more than its
   * compaction would rewrite, so at a ratio of 1 no worker compacts it
   * (docs/ARCHITECTURE.md, "Range deletes weighed"). */
  o.tombstone_compaction_ratio = 1;
  strata_db *db = tu_open(*state, &o);
  char k[32], v[64];
  for (long i = 0; i < 20000; i++) {
    tu_key_of(k, i);
    tu_value_of(v, i);
    assert_int_equal(strata_put(db, K(k), K(v)), STRATA_OK);
  }
  assert_int_equal(strata_flush(db), STRATA_OK);
  char lo[32], hi[32];
  tu_key_of(lo, 10);
  tu_key_of(hi, 19990);
  assert_int_equal(strata_delete_range(db, K(lo), K(hi)), STRATA_OK);
  for (int stage = 0; stage < 2; stage++) {
    strata_iter *it;
    assert_int_equal(strata_iter_new(db, NULL, &it), STRATA_OK);
    char mid[32];
    tu_key_of(mid, 5000);
    unsigned long long before = blocks_read(db);
    strata_iter_seek(it, K(mid));
    assert_true(strata_iter_valid(it));
    size_t n;
    const char *got = strata_iter_key(it, &n);
    assert_int_equal(n, strlen(hi));
    assert_memory_equal(got, hi, n);
    unsigned long long cost = blocks_read(db) - before;
    if (cost > 8) fail_msg("stage %d: a seek into the deleted range read %llu blocks", stage, cost);
    strata_iter_seek_for_prev(it, K(mid));
    assert_true(strata_iter_valid(it));
    tu_key_of(mid, 9);
    got = strata_iter_key(it, &n);
    assert_memory_equal(got, mid, n);
    long count = 0;
    before = blocks_read(db);
    for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it)) count++;
    assert_int_equal(count, 20);
    cost = blocks_read(db) - before;
    if (cost > 16) fail_msg("stage %d: a full scan read %llu blocks", stage, cost);
    strata_iter_free(it);
    before = blocks_read(db);
    tu_key_of(mid, 777);
    tu_expect_missing(db, mid);
    assert_true(blocks_read(db) == before);
    assert_int_equal(strata_flush(db), STRATA_OK); /* now the tombstone in a newer table */
  }
  assert_int_equal(tu_stat(db, "compaction.tombstone_triggered"), 0);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* Deleted entries still in the memtable beside newer writes are stepped
 * over one by one (reads.tombstones_skipped counts them), but a scan
 * bounded where the deleted range begins does not pass it at all. */
static void bounded_scan_stops_at_deleted_range(void **state) {
  strata_db *db = tu_open(*state, NULL);
  char k[32], v[64], lo[32], hi[32];
  for (long i = 0; i < 5000; i++) {
    tu_key_of(k, i);
    tu_value_of(v, i);
    assert_int_equal(strata_put(db, K(k), K(v)), STRATA_OK);
  }
  tu_key_of(lo, 10);
  tu_key_of(hi, 4990);
  assert_int_equal(strata_delete_range(db, K(lo), K(hi)), STRATA_OK);
  tu_key_of(k, 4995);
  assert_int_equal(strata_put(db, K(k), "new", 3), STRATA_OK); /* the memtable now has a write after it */
  for (int bounded = 1; bounded >= 0; bounded--) {
    strata_read_options ro;
    strata_read_options_init(&ro);
    if (bounded) {
      ro.upper = lo;
      ro.upper_len = strlen(lo);
    }
    unsigned long long before = tu_stat(db, "reads.tombstones_skipped");
    strata_iter *it;
    assert_int_equal(strata_iter_new(db, &ro, &it), STRATA_OK);
    long n = 0;
    for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it)) n++;
    assert_int_equal(strata_iter_status(it), STRATA_OK);
    strata_iter_free(it);
    unsigned long long skipped = tu_stat(db, "reads.tombstones_skipped") - before;
    if (bounded) {
      assert_int_equal(n, 10);
      if (skipped > 0) fail_msg("a bounded scan stepped over %llu hidden entries", skipped);
    } else {
      assert_int_equal(n, 20);
      assert_true(skipped >= 4980);
    }
  }
  assert_int_equal(strata_close(db), STRATA_OK);
}

static unsigned long long table_bytes(strata_db *db) {
  char *text;
  assert_int_equal(strata_property(db, "strata.levels", &text), STRATA_OK);
  const char *t = strstr(text, "total:");
  assert_non_null(t);
  const char *b = strstr(t, "files, ");
  assert_non_null(b);
  unsigned long long n = strtoull(b + 7, NULL, 10);
  strata_free(text);
  return n;
}

/* Deleting half of many partitions with one range delete each, then
 * compacting the whole range, leaves the live half only. With tiny levels
 * the tombstones are cut across many outputs on the way down. */
/* Keys idx in [lo, hi) an iterator over [key lo, key hi) shows when
 * [dlo, dhi) was deleted; both directions agree with it. */
static long keys_total;
static void expect_bounded(strata_db *db, long lo, long hi, long dlo, long dhi) {
  char lk[32], hk[32], k[32];
  tu_key_of(lk, lo);
  tu_key_of(hk, hi);
  strata_read_options ro = {0};
  ro.lower = lk;
  ro.lower_len = strlen(lk);
  ro.upper = hk;
  ro.upper_len = strlen(hk);
  long want = 0;
  for (long i = lo; i < hi && i < keys_total; i++) want += i < dlo || i >= dhi;
  strata_iter *it;
  assert_int_equal(strata_iter_new(db, &ro, &it), STRATA_OK);
  long n = 0, i = lo;
  for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it), n++, i++) {
    if (i >= dlo && i < dhi) i = dhi;
    size_t kl;
    const char *got = strata_iter_key(it, &kl);
    tu_key_of(k, i);
    assert_int_equal(kl, strlen(k));
    assert_memory_equal(got, k, kl);
  }
  assert_int_equal(n, want);
  n = 0;
  for (strata_iter_seek_last(it); strata_iter_valid(it); strata_iter_prev(it)) n++;
  assert_int_equal(n, want);
  assert_int_equal(strata_iter_status(it), STRATA_OK);
  strata_iter_free(it);
}

/* A bounded iterator opens only the tables whose key range meets its
 * bounds: in a database of many tables a scan of a few keys reads a few
 * blocks, and bounds falling anywhere (across tables, across a deleted
 * range kept in its own table) give exactly the keys within them. */
static void bounded_scans_open_few_tables(void **state) {
  strata_options o;
  strata_options_init(&o);
  tu_options_tiny_levels(&o);
  o.block_bytes = 256;
  o.mmap_reads = 0;
  strata_db *db = tu_open(*state, &o);
  char k[32], v[64];
  enum { N = 20000 };
  keys_total = N;
  for (long i = 0; i < N; i++) {
    tu_key_of(k, i);
    tu_value_of(v, i);
    assert_int_equal(strata_put(db, K(k), K(v)), STRATA_OK);
  }
  assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  char lo[32], hi[32];
  tu_key_of(lo, 5000);
  tu_key_of(hi, 6000);
  assert_int_equal(strata_delete_range(db, K(lo), K(hi)), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK);
  char name[256];
  int tables = tu_nth_file(*state, ".sst", 0, name, sizeof name);
  if (tables < 40) fail_msg("%d tables: the test wants many", tables);
  unsigned long long before = blocks_read(db);
  expect_bounded(db, 12000, 12010, 5000, 6000);
  unsigned long long blocks = blocks_read(db) - before;
  if (blocks > 12) fail_msg("a scan of 10 keys read %llu blocks", blocks);
  /* Bounds anywhere: within a table, across several, around and inside the
   * deleted range, past the last key. */
  unsigned long long r = 42;
  for (int q = 0; q < 150; q++) {
    r = r * 6364136223846793005ull + 1442695040888963407ull;
    long a = (long)((r >> 33) % (N + 100));
    long b = a + (long)((r >> 17) % 2000);
    expect_bounded(db, a, b, 5000, 6000);
  }
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* 200 partitions of 40 rows of 100 bytes, compacted. */
/* Rows "user<p>/<item><i>" of 100 bytes of fill, for every step-th of the
 * 200 partitions from p0 and i < rows. */
static void put_rows(strata_db *db, int p0, int step, const char *item, int rows, char fill) {
  char k[32], v[100];
  memset(v, fill, sizeof v);
  for (int p = p0; p < 200; p += step)
    for (int i = 0; i < rows; i++) {
      snprintf(k, sizeof k, "user%04d/%s%03d", p, item, i);
      assert_int_equal(strata_put(db, K(k), v, sizeof v), STRATA_OK);
    }
}

/* Waits (10 s at most) until the tables hold at most 60% of base bytes;
 * fails naming what. */
static void await_reclaimed(strata_db *db, unsigned long long base, const char *what) {
  unsigned long long now = table_bytes(db);
  for (int i = 0; i < 1000 && now * 10 > base * 6; i++) {
    usleep(10000);
    now = table_bytes(db);
  }
  if (now * 10 > base * 6) fail_msg("%s: %llu bytes of %llu left after 10 s", what, now, base);
}

static strata_db *partitions_compacted(const char *dir, strata_options *o) {
  tu_options_tiny_levels(o);
  o->memtable_bytes = 64 << 10;
  strata_db *db = tu_open(dir, o);
  put_rows(db, 0, 1, "item", 40, 'v');
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  return db;
}

/* One range delete per odd partition: each its own write, or all in one
 * batch when in_one_batch. */
static void delete_odd_partitions_as(strata_db *db, int in_one_batch) {
  strata_batch *batch = in_one_batch ? strata_batch_new() : NULL;
  if (in_one_batch) assert_non_null(batch);
  for (int p = 1; p < 200; p += 2) {
    char a[32], b[32];
    snprintf(a, sizeof a, "user%04d/", p);
    snprintf(b, sizeof b, "user%04d0", p); /* '0' follows '/': the end of the partition */
    if (in_one_batch)
      assert_int_equal(strata_batch_delete_range(batch, K(a), K(b)), STRATA_OK);
    else
      assert_int_equal(strata_delete_range(db, K(a), K(b)), STRATA_OK);
  }
  if (in_one_batch) {
    assert_int_equal(strata_write(db, batch, 0), STRATA_OK);
    strata_batch_free(batch);
  }
}

static void delete_odd_partitions(strata_db *db) { delete_odd_partitions_as(db, 0); }

/* Exactly the rows of the even partitions, rows rows each. */
static void expect_even_partitions(strata_db *db, long rows) {
  strata_iter *it;
  assert_int_equal(strata_iter_new(db, NULL, &it), STRATA_OK);
  long count = 0;
  for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it)) {
    size_t n;
    const char *key = strata_iter_key(it, &n);
    assert_int_equal((key[7] - '0') % 2, 0); /* an even partition */
    count++;
  }
  assert_int_equal(strata_iter_status(it), STRATA_OK);
  assert_int_equal(count, 100 * rows);
  strata_iter_free(it);
}

static void compaction_reclaims(void **state) {
  strata_options o;
  strata_options_init(&o);
  strata_db *db = partitions_compacted(*state, &o);
  unsigned long long full = table_bytes(db);
  delete_odd_partitions(db);
  char k[32];
  for (int p = 0; p < 200; p += 37) { /* reads see the deletes before any compaction */
    snprintf(k, sizeof k, "user%04d/item%03d", p, 7);
    if (p % 2)
      tu_expect_missing(db, k);
    else
      tu_expect_value(db, k, "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
                             "vvvv");
  }
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  unsigned long long half = table_bytes(db);
  if (half * 10 > full * 6) fail_msg("after the deletes and a compaction: %llu bytes of %llu", half, full);
  assert_true(tu_stat(db, "compaction.tombstones_dropped") >= 100);
  expect_even_partitions(db, 40);
  assert_int_equal(strata_close(db), STRATA_OK);
  assert_int_equal(strata_verify(*state, NULL), STRATA_OK);
}

/* The same deletes and no strata_compact_range: the workers weigh the
 * range tombstones by the bytes they hide below them and push them down
 * to that data, which leaves the disk by itself; again after the odd
 * partitions are written anew and the database reopened (the weights are
 * not stored). New rows written beside the deletes keep their table from
 * being tombstone-dense (a quarter of its entries are deletes): the bytes
 * hidden are what makes it due. The deletes come in one batch, so that no
 * early seal (memtable_range_deletes_flushed_early) splits them: a piece of
 * a few deletes among many new rows may hide less than tombstone_ratio x
 * what its compaction rewrites, and stay (docs/ARCHITECTURE.md). */
static void workers_reclaim_range_deletes(void **state) {
  strata_options o;
  strata_options_init(&o);
  strata_db *db = partitions_compacted(*state, &o);
  for (int round = 0; round < 2; round++) {
    if (round) {
      put_rows(db, 1, 2, "item", 40, 'n');
      assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    }
    assert_int_equal(strata_close(db), STRATA_OK);
    db = tu_open(*state, &o);
    unsigned long long before = table_bytes(db), triggered = tu_stat(db, "compaction.tombstone_triggered");
    delete_odd_partitions_as(db, 1);
    put_rows(db, 0, 2, "new", 3, 'n');
    assert_int_equal(strata_flush(db), STRATA_OK);
    await_reclaimed(db, before, round ? "after a reopen" : "first round");
    assert_true(tu_stat(db, "compaction.tombstone_triggered") > triggered);
    expect_even_partitions(db, 43);
  }
  assert_int_equal(strata_close(db), STRATA_OK);
  assert_int_equal(strata_verify(*state, NULL), STRATA_OK);
}

/* Range deletes still in the memtable are weighed too: deleting half the
 * partitions seals the memtable early, and its flush and compaction take
 * the hidden rows off the disk with no strata_flush at all. A delete that
 * hides little (one partition of 200) leaves the memtable alone: the
 * weighing after the first write finds it not due, and the one after the
 * next hundred (well over a quarter more) finds them due. */
static void memtable_range_deletes_flushed_early(void **state) {
  strata_options o;
  strata_options_init(&o);
  strata_db *db = partitions_compacted(*state, &o);
  unsigned long long full = table_bytes(db);
  assert_int_equal(tu_stat(db, "flush.early_for_range_deletes"), 0);
  assert_int_equal(strata_delete_range(db, K("user0000/"), K("user00000")), STRATA_OK);
  usleep(300000); /* the write woke a worker to weigh it */
  assert_int_equal(tu_stat(db, "flush.early_for_range_deletes"), 0);
  assert_int_equal(tu_stat(db, "memtable.entries"), 1);
  assert_int_equal(table_bytes(db), full);

  delete_odd_partitions(db);
  await_reclaimed(db, full, "memtable's range deletes");
  /* More than one when a worker weighed the deletes while they came. */
  assert_true(tu_stat(db, "flush.early_for_range_deletes") >= 1);
  assert_true(tu_stat(db, "compaction.tombstone_triggered") >= 1);
  char k[32];
  snprintf(k, sizeof k, "user%04d/item%03d", 0, 7);
  tu_expect_missing(db, k);
  snprintf(k, sizeof k, "user%04d/item%03d", 101, 7);
  tu_expect_missing(db, k);
  snprintf(k, sizeof k, "user%04d/item%03d", 102, 7);
  tu_expect_value(db, k,
                  "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
                  "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv");
  assert_int_equal(strata_close(db), STRATA_OK);
  assert_int_equal(strata_verify(*state, NULL), STRATA_OK);
}

/* Waits (10 s at most) until strata.sstables lists a table whose range
 * deletes are weighed; returns the weight. */
static long long await_weighed(strata_db *db) {
  for (int i = 0; i < 1000; i++) {
    char *text;
    assert_int_equal(strata_property(db, "strata.sstables", &text), STRATA_OK);
    const char *at = strstr(text, ", range deletes hiding about ");
    long long bytes = -1;
    if (at) assert_int_equal(sscanf(at, ", range deletes hiding about %lld bytes below", &bytes), 1);
    strata_free(text);
    if (bytes >= 0) return bytes;
    usleep(10000);
  }
  fail_msg("no table's range deletes weighed after 10 s");
  return -1;
}

/* A table of range deletes from before an open is weighed once a read
 * has opened it: the manifest does not say which tables hold range
 * tombstones, and the workers do not open tables to ask. Before the
 * reopen a ratio of 1 keeps it where it is: what it hides lies in the
 * level right below it, never more than its compaction would rewrite. */
static void reopened_range_deletes_weighed_after_a_read(void **state) {
  strata_options o;
  strata_options_init(&o);
  o.tombstone_compaction_ratio = 1;
  strata_db *db = tu_open(*state, &o);
  put_rows(db, 0, 1, "item", 40, 'v');
  assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  unsigned long long full = table_bytes(db);
  delete_odd_partitions(db);
  put_rows(db, 0, 2, "new", 3, 'v');
  assert_int_equal(strata_flush(db), STRATA_OK);
  /* The listing shows the weight: about the odd half of what lies below. */
  long long hidden = await_weighed(db);
  if (hidden * 10 < (long long)full * 4 || hidden * 10 > (long long)full * 6)
    fail_msg("range deletes hiding %lld bytes of %llu", hidden, full);
  assert_int_equal(strata_close(db), STRATA_OK);

  o.tombstone_compaction_ratio = 0.3;
  db = tu_open(*state, &o);
  usleep(1500000); /* the idle workers look again after a second */
  assert_int_equal(tu_stat(db, "compaction.tombstone_triggered"), 0);
  assert_true(table_bytes(db) > full);
  char *text;
  assert_int_equal(strata_property(db, "strata.sstables", &text), STRATA_OK);
  assert_null(strstr(text, "range deletes")); /* not known before a read opens the table */
  strata_free(text);
  tu_expect_value(db, "user0100/item007",
                  "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv");
  /* Known now; weighed when an idle worker next looks, at most a second
   * later, and then soon compacted. */
  assert_int_equal(strata_property(db, "strata.sstables", &text), STRATA_OK);
  if (!strstr(text, ", range deletes not weighed yet\n") && !strstr(text, ", range deletes hiding about "))
    fail_msg("%s", text);
  strata_free(text);
  await_reclaimed(db, full, "after a read");
  assert_int_equal(tu_stat(db, "compaction.tombstone_triggered"), 1);
  expect_even_partitions(db, 43);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* Range tombstones spread over tables by compactions at every level, with
 * small outputs cutting them, and snapshots holding some: the answers of
 * a simple model at every step. */
static void cut_across_outputs(void **state) {
  strata_options o;
  strata_options_init(&o);
  tu_options_tiny_levels(&o);
  o.memtable_bytes = 16 << 10;
  strata_db *db = tu_open(*state, &o);
  enum { N = 3000 };
  static char live[N];
  char k[32], v[64];
  unsigned seed = 12345;
  for (int round = 0; round < 30; round++) {
    for (int j = 0; j < 400; j++) {
      seed = seed * 1103515245 + 12345;
      int i = (int)((seed >> 8) % N);
      tu_key_of(k, i);
      tu_value_of(v, i);
      assert_int_equal(strata_put(db, K(k), K(v)), STRATA_OK);
      live[i] = 1;
    }
    seed = seed * 1103515245 + 12345;
    int a = (int)((seed >> 8) % N), n = (int)((seed >> 20) % 300);
    char lo[32], hi[32];
    tu_key_of(lo, a);
    tu_key_of(hi, a + n);
    assert_int_equal(strata_delete_range(db, K(lo), a + n < N ? hi : NULL, a + n < N ? strlen(hi) : 0), STRATA_OK);
    for (int i = a; i < (a + n < N ? a + n : N); i++) live[i] = 0;
    if (round % 7 == 3) assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    for (int i = 0; i < N; i += 13) {
      tu_key_of(k, i);
      if (live[i]) {
        tu_value_of(v, i);
        tu_expect_value(db, k, v);
      } else {
        tu_expect_missing(db, k);
      }
    }
  }
  strata_iter *it;
  assert_int_equal(strata_iter_new(db, NULL, &it), STRATA_OK);
  int i = 0;
  for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it), i++) {
    while (i < N && !live[i]) i++;
    assert_true(i < N);
    size_t n;
    const char *key = strata_iter_key(it, &n);
    tu_key_of(k, i);
    assert_int_equal(n, strlen(k));
    assert_memory_equal(key, k, n);
  }
  while (i < N && !live[i]) i++;
  assert_int_equal(i, N);
  assert_int_equal(strata_iter_status(it), STRATA_OK);
  strata_iter_free(it);
  assert_int_equal(strata_close(db), STRATA_OK);
  assert_int_equal(strata_verify(*state, NULL), STRATA_OK);
}

/* strata_sst_dump lists a table's range tombstones; verify checks them. */
static void dump_and_verify(void **state) {
  strata_db *db = tu_open(*state, NULL);
  assert_int_equal(strata_put(db, K("a"), "1", 1), STRATA_OK);
  assert_int_equal(strata_delete_range(db, K("b"), K("d")), STRATA_OK);
  assert_int_equal(strata_delete_range(db, K("c"), NULL, 0), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  char path[1024];
  assert_int_equal(tu_nth_file(*state, ".sst", 0, path, sizeof path), 1);
  char out[1024];
  snprintf(out, sizeof out, "%s/dump.txt", (char *)*state);
  FILE *f = fopen(out, "w+");
  assert_non_null(f);
  assert_int_equal(strata_sst_dump(path, f, STRATA_DUMP_ENTRIES), STRATA_OK);
  rewind(f);
  char text[4096];
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = 0;
  fclose(f);
  /* [c, d) keeps only its newer tombstone: no snapshot tells them apart. */
  assert_non_null(strstr(text, "kind.RANGE_DELETE: 3\n"));
  assert_non_null(strstr(text, "largest: (past the last key)\n"));
  assert_non_null(strstr(text, "range 'b' .. 'c' seqs=2\n"));
  assert_non_null(strstr(text, "range 'c' .. 'd' seqs=3\n"));
  assert_non_null(strstr(text, "range 'd' .. (past the last key) seqs=3\n"));
  assert_int_equal(strata_verify(*state, NULL), STRATA_OK);
  remove(out);
}

/* Reversed ranges, bounds over the key limit, NULL pointers: clear errors
 * and nothing written. */
static void bad_input(void **state) {
  strata_options o;
  strata_options_init(&o);
  o.max_key_bytes = 16;
  strata_db *db = tu_open(*state, &o);
  assert_int_equal(strata_put(db, K("m"), "1", 1), STRATA_OK);
  assert_int_equal(strata_delete_range(db, K("z"), K("a")), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "reversed"));
  assert_int_equal(strata_delete_range(db, K("m"), K("m")), STRATA_OK); /* empty: a no-op */
  assert_int_equal(strata_delete_range(db, K("a"), K("zzzzzzzzzzzzzzzzzzzz")), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "max_key_bytes"));
  assert_int_equal(strata_delete_range(db, K("aaaaaaaaaaaaaaaaaaaaaaa"), NULL, 0), STRATA_EINVAL);
  assert_int_equal(strata_delete_range(db, NULL, 3, NULL, 0), STRATA_EINVAL);
  assert_int_equal(strata_delete_range(db, K("a"), NULL, 2), STRATA_EINVAL);
  assert_int_equal(strata_delete_range(NULL, K("a"), K("b")), STRATA_EINVAL);
  strata_batch *b = strata_batch_new();
  assert_int_equal(strata_batch_delete_range(b, K("z"), K("a")), STRATA_EINVAL);
  assert_int_equal(strata_batch_delete_range(NULL, K("a"), K("z")), STRATA_EINVAL);
  assert_int_equal(strata_batch_delete_range(b, K("a"), K("zzzzzzzzzzzzzzzzzzzzzz")), STRATA_OK);
  assert_int_equal(strata_write(db, b, 0), STRATA_EINVAL); /* the end is a key, checked at write */
  strata_batch_free(b);
  tu_expect_value(db, "m", "1");
  assert_int_equal(tu_stat(db, "writes.records"), 1);
  /* The empty key begins the key space: [, n) covers m. */
  assert_int_equal(strata_delete_range(db, "", 0, K("n")), STRATA_OK);
  tu_expect_missing(db, "m");
  assert_int_equal(strata_close(db), STRATA_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(basic_hide, setup, teardown),
      cmocka_unit_test_setup_teardown(data_older_than_tombstone, setup, teardown),
      cmocka_unit_test_setup_teardown(open_end, setup, teardown),
      cmocka_unit_test_setup_teardown(batch_order, setup, teardown),
      cmocka_unit_test_setup_teardown(overlapping, setup, teardown),
      cmocka_unit_test_setup_teardown(snapshots, setup, teardown),
      cmocka_unit_test_setup_teardown(typed_keys, setup, teardown),
      cmocka_unit_test_setup_teardown(seek_skips_range, setup, teardown),
      cmocka_unit_test_setup_teardown(bounded_scan_stops_at_deleted_range, setup, teardown),
      cmocka_unit_test_setup_teardown(bounded_scans_open_few_tables, setup, teardown),
      cmocka_unit_test_setup_teardown(compaction_reclaims, setup, teardown),
    cmocka_unit_test_setup_teardown(workers_reclaim_range_deletes, setup, teardown),
    cmocka_unit_test_setup_teardown(memtable_range_deletes_flushed_early, setup, teardown),
    cmocka_unit_test_setup_teardown(reopened_range_deletes_weighed_after_a_read, setup, teardown),
      cmocka_unit_test_setup_teardown(cut_across_outputs, setup, teardown),
      cmocka_unit_test_setup_teardown(dump_and_verify, setup, teardown),
      cmocka_unit_test_setup_teardown(bad_input, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
