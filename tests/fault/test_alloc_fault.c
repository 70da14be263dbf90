/* test_alloc_fault.c - running out of memory. The program is linked with
 * malloc, calloc and realloc wrapped (-Wl,--wrap, tests/CMakeLists.txt):
 * armed, the wrapper fails the Nth allocation of the calling thread. A
 * sequence of writes (puts, range deletes, a batch mixing kinds, a
 * latest-wins value, a list append), reads (point reads beside and inside
 * deleted ranges, a latest-wins value and a list written before, a read
 * at a snapshot, a bounded iterator, a prefix scan), a property and tuple
 * building runs with the 1st, 2nd, ... allocation
 * failing, until a run sees no failure: every malloc, calloc and realloc
 * the sequence makes on its own thread fails once (allocations inside
 * libc, as strdup's or aligned_alloc's, are not wrapped). Each call must return STRATA_OK or
 * STRATA_ENOMEM (or STRATA_EREADONLY after a failure the database could
 * not undo), never crash or leak (the sanitizer build runs this too), and
 * a read that succeeds must be right. After a reopen, every write that
 * succeeded is there and every write that failed is there whole or not
 * at all. Background threads allocate unhindered. Then a flush and a
 * compaction fail an allocation of any thread, an iterator without
 * bounds walks levels of many tables both ways, and an open recovers a
 * database from its tables and its log. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static _Thread_local long countdown; /* 0: off; else the allocations left until one fails */
static _Thread_local int failed;     /* one failed since arming */
/* The same for every thread at once (the flush's and compactions'). */
static atomic_long all_countdown;
static atomic_int all_failed;

static int fail_now(void) {
  long c = atomic_load_explicit(&all_countdown, memory_order_relaxed);
  while (c > 0 && !atomic_compare_exchange_weak(&all_countdown, &c, c - 1)) {
  }
  if (c == 1) {
    atomic_store(&all_failed, 1);
    return 1;
  }
  if (countdown == 0 || --countdown > 0) return 0;
  failed = 1;
  return 1;
}
void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return fail_now() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }

static void arm(long nth) {
  countdown = nth;
  failed = 0;
}
static void disarm(void) { countdown = 0; }

#define NPRE 200 /* keys p000 .. p199 written before arming */

static void pkey(char *out, int i) { snprintf(out, 8, "p%03d", i); }

/* What the armed sequence's writes did: their return codes. */
typedef struct outcome {
  int put, range, batch, latest, append;
} outcome;

/* 1 when rc is an allowed answer to an operation under failing
 * allocations. */
static int allowed(int rc) { return rc == STRATA_OK || rc == STRATA_ENOMEM || rc == STRATA_EREADONLY; }

/* Iterator over [p000, p020): p000..p019 minus what range deletes took
 * (p010..p014, written before arming). */
static void check_iter(strata_db *db) {
  strata_read_options ro = {0};
  ro.lower = "p000";
  ro.lower_len = 4;
  ro.upper = "p020";
  ro.upper_len = 4;
  strata_iter *it = NULL;
  int rc = strata_iter_new(db, &ro, &it);
  assert_true(allowed(rc));
  if (rc) {
    assert_null(it);
    return;
  }
  int n = 0;
  for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it)) n++;
  rc = strata_iter_status(it);
  assert_true(allowed(rc));
  if (rc == STRATA_OK) assert_int_equal(n, 15);
  strata_iter_free(it);
}

/* The typed values written before arming (open_loaded): l0's winner is
 * "new" at ts 5 though "old" at ts 3 came after it, and q0 is the list
 * "a", "b". */
static void check_typed(strata_db *db) {
  void *val = NULL;
  size_t vlen = 0;
  uint64_t ts = 0;
  int rc = strata_get_latest(db, "l0", 2, &val, &vlen, &ts);
  assert_true(allowed(rc));
  if (rc == STRATA_OK) {
    assert_int_equal(ts, 5);
    assert_int_equal(vlen, 3);
    assert_memory_equal(val, "new", 3);
    strata_free(val);
  }
  rc = strata_get(db, "q0", 2, &val, &vlen);
  assert_true(allowed(rc));
  if (rc == STRATA_OK) {
    size_t pos = 0, elen;
    const void *e;
    assert_int_equal(strata_list_next(val, vlen, &pos, &e, &elen), 1);
    assert_memory_equal(e, "a", 1);
    assert_int_equal(strata_list_next(val, vlen, &pos, &e, &elen), 1);
    assert_memory_equal(e, "b", 1);
    assert_int_equal(strata_list_next(val, vlen, &pos, &e, &elen), 0);
    strata_free(val);
  }
}

static int count_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl) {
  (void)k, (void)kl, (void)v, (void)vl;
  (*(int *)arg)++;
  return 0;
}

/* The armed sequence. Returns 1 when no allocation failed in it. */
static int sequence(strata_db *db, long nth, outcome *o) {
  char k[8];
  void *val = NULL;
  size_t vlen = 0;
  arm(nth);
  o->put = strata_put(db, "a1", 2, "x", 1);
  o->range = strata_delete_range(db, "p050", 4, "p060", 4);
  strata_batch *b = strata_batch_new();
  if (b) {
    int rc = strata_batch_put(b, "b1", 2, "y", 1);
    if (!rc) rc = strata_batch_delete_range(b, "p100", 4, "p110", 4);
    if (!rc) rc = strata_batch_add(b, "c1", 2, 5);
    o->batch = rc ? rc : strata_write(db, b, 0);
    strata_batch_free(b);
  } else {
    o->batch = STRATA_ENOMEM;
  }
  o->latest = strata_put_latest(db, "l1", 2, "v9", 2, 9);
  o->append = strata_append(db, "q1", 2, "e1", 2);
  assert_true(allowed(o->put) && allowed(o->range) && allowed(o->batch));
  assert_true(allowed(o->latest) && allowed(o->append));

  /* Reads: a kept key, a key under a tombstone written before arming. */
  pkey(k, 5);
  int rc = strata_get(db, k, 4, &val, &vlen);
  assert_true(allowed(rc));
  if (rc == STRATA_OK) {
    assert_int_equal(vlen, 4);
    assert_memory_equal(val, k, 4);
    strata_free(val);
  }
  pkey(k, 12);
  rc = strata_get(db, k, 4, &val, &vlen);
  assert_true(rc == STRATA_NOTFOUND || rc == STRATA_ENOMEM);
  check_typed(db);
  const strata_snapshot *snap = strata_snapshot_new(db);
  if (snap) {
    strata_read_options ro;
    strata_read_options_init(&ro);
    ro.snapshot = snap;
    pkey(k, 7);
    rc = strata_get_at(db, &ro, k, 4, &val, &vlen);
    assert_true(allowed(rc));
    if (rc == STRATA_OK) {
      assert_int_equal(vlen, 4);
      assert_memory_equal(val, k, 4);
      strata_free(val);
    }
    strata_snapshot_release(db, snap);
  }
  char *text = NULL;
  rc = strata_property(db, "strata.stats", &text);
  assert_true(allowed(rc));
  if (rc == STRATA_OK) assert_non_null(strstr(text, "reads.tombstones_skipped"));
  strata_free(text);
  check_iter(db);
  int n = 0;
  long long got = strata_scan_prefix(db, NULL, "p19", 3, 0, count_cb, &n);
  assert_true(got == 10 || got == STRATA_ENOMEM);

  /* Tuples: a failed add leaves the tuple as it was. */
  strata_tuple t;
  strata_tuple_init(&t);
  rc = strata_tuple_add_bytes(&t, "user-0001", 9);
  assert_true(rc == STRATA_OK || (rc == STRATA_ENOMEM && t.len == 0));
  size_t before = t.len;
  rc = strata_tuple_add_u64_desc(&t, 1700000000);
  assert_true(rc == STRATA_OK ? t.len == before + 9 : rc == STRATA_ENOMEM && t.len == before);
  strata_tuple_free(&t);

  int clean = !failed;
  disarm();
  return clean;
}

/* A write's keys after a reopen: all there when it succeeded, all there or
 * none when it failed. */
static void expect_whole(int rc, int present, int total) {
  if (rc == STRATA_OK)
    assert_int_equal(present, total);
  else
    assert_true(present == 0 || present == total);
}

static int has(strata_db *db, const char *key) {
  void *v = NULL;
  size_t vl;
  int rc = strata_get(db, key, strlen(key), &v, &vl);
  assert_true(rc == STRATA_OK || rc == STRATA_NOTFOUND);
  strata_free(v);
  return rc == STRATA_OK;
}

/* Keys p[lo, hi) that a range delete took. */
static int gone(strata_db *db, int lo, int hi) {
  int n = 0;
  char k[8];
  for (int i = lo; i < hi; i++) {
    pkey(k, i);
    n += !has(db, k);
  }
  return n;
}

static void verify(strata_db *db, const outcome *o) {
  expect_whole(o->put, has(db, "a1"), 1);
  expect_whole(o->append, has(db, "q1"), 1);
  void *v = NULL;
  size_t vl = 0;
  uint64_t ts = 0;
  int lrc = strata_get_latest(db, "l1", 2, &v, &vl, &ts);
  assert_true(lrc == STRATA_OK || lrc == STRATA_NOTFOUND);
  expect_whole(o->latest, lrc == STRATA_OK && ts == 9 && vl == 2 && memcmp(v, "v9", 2) == 0, 1);
  strata_free(v);
  check_typed(db);
  expect_whole(o->range, gone(db, 50, 60), 10);
  int64_t c = 0;
  int rc = strata_get_int(db, "c1", 2, &c);
  assert_true(rc == STRATA_OK || rc == STRATA_NOTFOUND);
  /* The batch's three writes together. */
  int batch_parts = has(db, "b1") + (gone(db, 100, 110) == 10) + (rc == STRATA_OK && c == 5);
  assert_true(gone(db, 100, 110) == 0 || gone(db, 100, 110) == 10);
  expect_whole(o->batch, batch_parts, 3);
  /* Nothing else changed. */
  assert_int_equal(gone(db, 0, 10) + gone(db, 15, 50) + gone(db, 60, 100) + gone(db, 110, NPRE), 0);
  assert_int_equal(gone(db, 10, 15), 5);
}

/* A new database in dir holding p000..p199 (each its own name as value)
 * and the typed values check_typed reads, unarmed; half of the keys
 * flushed to a table first when split. */
static strata_db *open_loaded(const char *dir, const strata_options *o, int split) {
  strata_db *db = tu_open(dir, o);
  char k[8];
  for (int i = 0; i < NPRE; i++) {
    pkey(k, i);
    assert_int_equal(strata_put(db, k, 4, k, 4), STRATA_OK);
    if (split && i == NPRE / 2) assert_int_equal(strata_flush(db), STRATA_OK);
  }
  assert_int_equal(strata_put_latest(db, "l0", 2, "new", 3, 5), STRATA_OK);
  assert_int_equal(strata_put_latest(db, "l0", 2, "old", 3, 3), STRATA_OK);
  assert_int_equal(strata_append(db, "q0", 2, "a", 1), STRATA_OK);
  assert_int_equal(strata_append(db, "q0", 2, "b", 1), STRATA_OK);
  return db;
}

/* One run with the nth allocation failing; returns 1 when none failed. */
static int run_once(long nth, int flushed) {
  char *dir = tu_tmpdir();
  strata_options o;
  strata_options_init(&o);
  strata_db *db = open_loaded(dir, &o, 0);
  assert_int_equal(strata_delete_range(db, "p010", 4, "p015", 4), STRATA_OK);
  /* Tombstones read from a table's list, or from the memtable's. */
  if (flushed) assert_int_equal(strata_flush(db), STRATA_OK);
  outcome out;
  int clean = sequence(db, nth, &out);
  int rc = strata_close(db);
  assert_int_equal(rc, STRATA_OK);
  db = tu_open(dir, &o);
  verify(db, &out);
  assert_int_equal(strata_close(db), STRATA_OK);
  tu_rmdir(dir);
  return clean;
}

/* p000..p199 as their own names, less p010..p014 and p120..p179 (range
 * deletes) but p130, put again as "new" after the second. */
static void expect_keys(strata_db *db) {
  char k[8];
  for (int i = 0; i < NPRE; i++) {
    pkey(k, i);
    if (i == 130)
      tu_expect_value(db, k, "new");
    else if ((i >= 10 && i < 15) || (i >= 120 && i < 180))
      tu_expect_missing(db, k);
    else
      tu_expect_value(db, k, k);
  }
}

/* One run of a flush and a full compaction with the nth allocation of any
 * thread failing; returns 1 when none failed. The memtable holds puts and
 * range deletes over tables that hold older keys, so the flush writes
 * range tombstones and the compaction drops what they cover. */
static int flush_and_compact_once(long nth) {
  char *dir = tu_tmpdir();
  strata_options o;
  strata_options_init(&o);
  strata_db *db = open_loaded(dir, &o, 1);
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_delete_range(db, "p010", 4, "p015", 4), STRATA_OK);
  assert_int_equal(strata_delete_range(db, "p120", 4, "p180", 4), STRATA_OK);
  assert_int_equal(strata_put(db, "p130", 4, "new", 3), STRATA_OK);
  atomic_store(&all_failed, 0);
  atomic_store(&all_countdown, nth);
  int rc = strata_flush(db);
  assert_true(allowed(rc) || rc == STRATA_EIO);
  int rc2 = strata_compact_range(db, NULL, 0, NULL, 0);
  assert_true(allowed(rc2) || rc2 == STRATA_EIO);
  atomic_store(&all_countdown, 0);
  int clean = !atomic_load(&all_failed);
  if (clean) assert_true(rc == STRATA_OK && rc2 == STRATA_OK);
  assert_true(allowed(strata_close(db)));
  /* Nothing lost, nothing brought back. */
  db = tu_open(dir, &o);
  expect_keys(db);
  check_typed(db);
  assert_int_equal(strata_close(db), STRATA_OK);
  tu_rmdir(dir);
  return clean;
}

static void flush_and_compaction_run_out(void **state) {
  (void)state;
  long nth = 1;
  while (!flush_and_compact_once(nth)) nth++;
  assert_true(nth > 10);
  print_message("flush and compaction: %ld allocations failed in turn\n", nth - 1);
}

static void each_allocation_fails_once(void **state) {
  (void)state;
  for (int flushed = 0; flushed < 2; flushed++) {
    long nth = 1;
    while (!run_once(nth, flushed)) nth++;
    /* The sequence allocates: the loop failed something. */
    assert_true(nth > 10);
    print_message("%s: %ld allocations failed in turn\n",
                  flushed ? "tombstones in a table" : "tombstones in the memtable", nth - 1);
  }
}

/* An iterator without bounds over levels of many small tables, some with
 * range tombstones (their own children) and most without (one child per
 * level, which opens a table when it reaches it), failing its nth
 * allocation: each call answers OK or ENOMEM, and a scan that ends OK saw
 * every key. The database is reopened first, so the iterator also learns
 * which tables hold range tombstones. Returns 1 when none failed. */
enum { NLEVEL = 1500 };
static int level_scan_once(const char *dir, long nth) {
  strata_options o;
  strata_options_init(&o);
  tu_options_tiny_levels(&o);
  strata_db *db = tu_open(dir, &o);
  char k[16];
  arm(nth);
  strata_iter *it = NULL;
  int rc = strata_iter_new(db, NULL, &it);
  assert_true(allowed(rc));
  if (rc == STRATA_OK) {
    int n = 0;
    for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it)) n++;
    rc = strata_iter_status(it);
    assert_true(allowed(rc));
    if (rc == STRATA_OK) assert_int_equal(n, NLEVEL - 100);
    snprintf(k, sizeof k, "q%05d", NLEVEL / 2);
    n = 0;
    for (strata_iter_seek(it, k, strlen(k)); strata_iter_valid(it); strata_iter_prev(it)) n++;
    rc = strata_iter_status(it);
    assert_true(allowed(rc));
    if (rc == STRATA_OK) assert_int_equal(n, NLEVEL / 2 + 1 - 100);
    strata_iter_free(it);
  }
  int clean = !failed;
  disarm();
  assert_int_equal(strata_close(db), STRATA_OK);
  return clean;
}

static void level_iterators_run_out(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  strata_options o;
  strata_options_init(&o);
  tu_options_tiny_levels(&o);
  strata_db *db = tu_open(dir, &o);
  char k[16], v[200];
  memset(v, 'v', sizeof v);
  for (int i = 0; i < NLEVEL; i++) {
    snprintf(k, sizeof k, "q%05d", i);
    assert_int_equal(strata_put(db, k, strlen(k), v, sizeof v), STRATA_OK);
  }
  assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  assert_int_equal(strata_delete_range(db, "q00100", 6, "q00200", 6), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  long nth = 1;
  while (!level_scan_once(dir, nth)) nth++;
  assert_true(nth > 10);
  print_message("level iterators: %ld allocations failed in turn\n", nth - 1);
  tu_rmdir(dir);
}

/* What open_once's database holds: expect_keys's, the typed values
 * check_typed reads, and the counter c1 at 5, added in the log. */
static void expect_recovered(strata_db *db) {
  expect_keys(db);
  int64_t c = 0;
  assert_int_equal(strata_get_int(db, "c1", 2, &c), STRATA_OK);
  assert_int_equal(c, 5);
  check_typed(db);
}

/* strata_open of a database with tables and a log to replay, failing the
 * nth allocation of the opening thread: it answers OK or ENOMEM (no
 * handle then), and whatever it did on disk before failing, the next open
 * finds everything as written. Returns 1 when none failed. */
static int open_once(long nth) {
  char *dir = tu_tmpdir();
  strata_options o;
  strata_options_init(&o);
  strata_db *db = open_loaded(dir, &o, 1);
  assert_int_equal(strata_delete_range(db, "p010", 4, "p015", 4), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_delete_range(db, "p120", 4, "p180", 4), STRATA_OK);
  assert_int_equal(strata_put(db, "p130", 4, "new", 3), STRATA_OK);
  assert_int_equal(strata_add(db, "c1", 2, 2), STRATA_OK);
  assert_int_equal(strata_add(db, "c1", 2, 3), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);

  db = (strata_db *)&o; /* must be overwritten */
  arm(nth);
  int rc = strata_open(dir, &o, &db);
  int clean = !failed;
  disarm();
  assert_true(rc == STRATA_OK || rc == STRATA_ENOMEM);
  if (rc == STRATA_OK) {
    expect_recovered(db);
    assert_int_equal(strata_close(db), STRATA_OK);
  } else {
    assert_null(db);
    assert_non_null(strstr(strata_errmsg(), "memory"));
  }
  db = tu_open(dir, &o);
  expect_recovered(db);
  assert_int_equal(strata_close(db), STRATA_OK);
  tu_rmdir(dir);
  return clean;
}

static void open_runs_out(void **state) {
  (void)state;
  long nth = 1;
  while (!open_once(nth)) nth++;
  assert_true(nth > 10);
  print_message("open: %ld allocations failed in turn\n", nth - 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(each_allocation_fails_once),
      cmocka_unit_test(flush_and_compaction_run_out),
      cmocka_unit_test(level_iterators_run_out),
      cmocka_unit_test(open_runs_out),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
