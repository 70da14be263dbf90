/* test_sst.c - the database on tables: many flushes and reopens, full
 * scans both ways, iterators and snapshots that outlive writes and
 * flushes, close while handles are open, properties, verify and dump, and
 * damaged tables and manifests. */
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

static strata_db *open_with(const char *dir, size_t memtable_bytes) {
  strata_options o;
  strata_options_init(&o);
  o.memtable_bytes = memtable_bytes;
  return tu_open(dir, &o);
}

static void million_keys_many_tables(void **state) {
  long n = tu_env_long("STRATA_TEST_KEYS", 1000000);
  strata_db *db = open_with(*state, 1 << 20);
  char key[32], val[64];
  strata_batch *b = strata_batch_new();
  for (long i = 0; i < n; i++) {
    long k = (i * 7919) % n;
    tu_key_of(key, k);
    tu_value_of(val, k);
    strata_batch_put(b, key, strlen(key), val, strlen(val));
    if (i % 100 == 99 || i == n - 1) {
      assert_int_equal(strata_write(db, b, 0), STRATA_OK);
      strata_batch_clear(b);
    }
  }
  strata_batch_free(b);
  unsigned long long flushes = tu_stat(db, "flush.count");
  printf("sst: %ld keys, %llu flushes before close\n", n, flushes);
  assert_true(flushes >= 10);
  assert_int_equal(strata_close(db), STRATA_OK);

  db = open_with(*state, 1 << 20);
  for (long i = 0; i < n; i++) {
    tu_key_of(key, i);
    tu_value_of(val, i);
    void *v;
    size_t vl;
    int rc = strata_get(db, key, strlen(key), &v, &vl);
    if (rc) fail_msg("get %s: %s (%s)", key, strata_strerror(rc), strata_errmsg());
    assert_int_equal(vl, strlen(val));
    assert_memory_equal(v, val, vl);
    strata_free(v);
  }
  tu_key_of(key, n);
  tu_expect_missing(db, key);
  assert_true(tu_stat(db, "bloom.useful") > 0);

  strata_iter *it;
  assert_int_equal(strata_iter_new(db, NULL, &it), STRATA_OK);
  long i = 0;
  for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it), i++) {
    size_t kl;
    const void *k = strata_iter_key(it, &kl);
    tu_key_of(key, i);
    assert_int_equal(kl, strlen(key));
    assert_memory_equal(k, key, kl);
  }
  assert_int_equal(strata_iter_status(it), STRATA_OK);
  assert_int_equal(i, n);
  for (strata_iter_seek_last(it); strata_iter_valid(it); strata_iter_prev(it)) {
    size_t kl;
    const void *k = strata_iter_key(it, &kl);
    tu_key_of(key, --i);
    assert_int_equal(kl, strlen(key));
    assert_memory_equal(k, key, kl);
  }
  assert_int_equal(i, 0);
  strata_iter_free(it);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void iterators_and_snapshots_are_pinned(void **state) {
  strata_db *db = open_with(*state, 64 << 10);
  char key[32], val[64];
  for (long i = 0; i < 1000; i++) {
    tu_key_of(key, i);
    assert_int_equal(strata_put(db, key, strlen(key), "old", 3), STRATA_OK);
  }
  const strata_snapshot *snap = strata_snapshot_new(db);
  assert_non_null(snap);
  strata_iter *it;
  assert_int_equal(strata_iter_new(db, NULL, &it), STRATA_OK);
  /* Overwrite and delete everything, across several flushes. */
  for (long i = 0; i < 1000; i++) {
    tu_key_of(key, i);
    tu_value_of(val, i);
    if (i % 3 == 0)
      assert_int_equal(strata_delete(db, key, strlen(key)), STRATA_OK);
    else
      assert_int_equal(strata_put(db, key, strlen(key), val, strlen(val)), STRATA_OK);
    if (i % 250 == 0) assert_int_equal(strata_flush(db), STRATA_OK);
  }
  assert_int_equal(strata_flush(db), STRATA_OK);
  long seen = 0;
  for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it), seen++) {
    size_t vl;
    const void *v = strata_iter_value(it, &vl);
    assert_int_equal(vl, 3);
    assert_memory_equal(v, "old", 3);
  }
  assert_int_equal(seen, 1000);
  strata_read_options ro;
  strata_read_options_init(&ro);
  ro.snapshot = snap;
  void *v;
  size_t vl;
  tu_key_of(key, 3);
  assert_int_equal(strata_get_at(db, &ro, key, strlen(key), &v, &vl), STRATA_OK);
  assert_memory_equal(v, "old", 3);
  strata_free(v);
  tu_expect_missing(db, key);
  /* Close refuses while handles are open, and closes nothing. */
  assert_int_equal(strata_close(db), STRATA_EBUSY);
  assert_non_null(strstr(strata_errmsg(), "iterator"));
  strata_iter_free(it);
  assert_int_equal(strata_close(db), STRATA_EBUSY);
  tu_expect_value(db, "key000000001", "value-1-0");
  strata_snapshot_release(db, snap);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* Empty keys and empty bounds are keys and bounds like any other. */
static void empty_keys_and_bounds(void **state) {
  strata_db *db = open_with(*state, 1 << 20);
  assert_int_equal(strata_put(db, "", 0, "empty", 5), STRATA_OK);
  strata_iter *it;
  assert_int_equal(strata_iter_new(db, NULL, &it), STRATA_OK);
  strata_iter_seek_last(it);
  assert_true(strata_iter_valid(it));
  size_t n = 1;
  assert_non_null(strata_iter_key(it, &n)); /* valid: never NULL */
  assert_int_equal(n, 0);
  /* A NULL key with a length is refused. */
  strata_iter_seek(it, NULL, 3);
  assert_false(strata_iter_valid(it));
  assert_int_equal(strata_iter_status(it), STRATA_EINVAL);
  strata_iter_seek_first(it);
  assert_true(strata_iter_valid(it));
  strata_iter_free(it);
  assert_int_equal(strata_put(db, "a", 1, "1", 1), STRATA_OK);
  strata_read_options ro;
  strata_read_options_init(&ro);
  ro.upper = "";
  ro.upper_len = 0; /* nothing is below the empty key */
  assert_int_equal(strata_iter_new(db, &ro, &it), STRATA_OK);
  strata_iter_seek_first(it);
  assert_false(strata_iter_valid(it));
  strata_iter_seek_last(it);
  assert_false(strata_iter_valid(it));
  strata_iter_seek_for_prev(it, "zzz", 3);
  assert_false(strata_iter_valid(it));
  assert_int_equal(strata_iter_status(it), STRATA_OK);
  /* Not valid: key and value are NULL with length 0 (a NULL length is
   * allowed); so for a NULL iterator. */
  n = 7;
  assert_null(strata_iter_key(it, &n));
  assert_int_equal(n, 0);
  n = 7;
  assert_null(strata_iter_value(it, &n));
  assert_int_equal(n, 0);
  assert_null(strata_iter_key(it, NULL));
  assert_null(strata_iter_value(it, NULL));
  n = 7;
  assert_null(strata_iter_key(NULL, &n));
  assert_int_equal(n, 0);
  assert_false(strata_iter_valid(NULL));
  strata_iter_free(it);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void properties_describe_the_tables(void **state) {
  strata_db *db = open_with(*state, 1 << 20);
  assert_int_equal(strata_put(db, "a", 1, "1", 1), STRATA_OK);
  assert_int_equal(strata_put(db, "b", 1, "2", 1), STRATA_OK);
  assert_int_equal(strata_delete(db, "c", 1), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK); /* nothing new: no table */
  char *text;
  assert_int_equal(strata_property(db, "strata.levels", &text), STRATA_OK);
  /* The first table of a database overlaps nothing: it goes to level 1. */
  assert_non_null(strstr(text, "level.1: 1 files"));
  strata_free(text);
  assert_int_equal(strata_property(db, "strata.sstables", &text), STRATA_OK);
  assert_non_null(strstr(text, "level 1:"));
  assert_non_null(strstr(text, "'a' .. 'c'"));
  assert_non_null(strstr(text, "3 entries, 1 tombstones"));
  strata_free(text);
  assert_int_equal(tu_stat(db, "flush.count"), 1);
  /* The log the table replaced is gone; the data reads from the table. */
  tu_expect_value(db, "b", "2");
  assert_int_equal(strata_close(db), STRATA_OK);

  char table[4096];
  assert_int_equal(tu_nth_file(*state, ".sst", 0, table, sizeof table), 1);
  FILE *out = tmpfile();
  assert_int_equal(strata_sst_dump(table, out, STRATA_DUMP_ENTRIES), STRATA_OK);
  rewind(out);
  char buf[8192];
  size_t got = fread(buf, 1, sizeof buf - 1, out);
  buf[got] = '\0';
  fclose(out);
  assert_non_null(strstr(buf, "'a'"));
  assert_non_null(strstr(buf, "DELETE"));
  assert_int_equal(strata_verify(*state, NULL), STRATA_OK);
}

/* Reads every key and scans everything: each read either returns the
 * right value or fails with STRATA_ECORRUPT; never wrong data or a crash. */
static int read_all_checked(strata_db *db, long n) {
  int corrupt = 0;
  char key[32], val[64];
  for (long i = 0; i < n; i++) {
    tu_key_of(key, i);
    tu_value_of(val, i);
    void *v;
    size_t vl;
    int rc = strata_get(db, key, strlen(key), &v, &vl);
    if (rc == STRATA_ECORRUPT) {
      corrupt++;
      assert_non_null(strstr(strata_errmsg(), ".sst"));
      continue;
    }
    assert_int_equal(rc, STRATA_OK);
    assert_int_equal(vl, strlen(val));
    assert_memory_equal(v, val, vl);
    strata_free(v);
  }
  strata_iter *it;
  if (strata_iter_new(db, NULL, &it) == STRATA_OK) {
    long i = 0;
    for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it)) {
      size_t kl;
      const void *k = strata_iter_key(it, &kl);
      tu_key_of(key, i++);
      if (kl != strlen(key) || memcmp(k, key, kl) != 0) break; /* skipped keys end the check */
    }
    if (strata_iter_status(it) == STRATA_ECORRUPT) corrupt++;
    strata_iter_free(it);
  } else {
    corrupt++;
  }
  return corrupt;
}

static void damaged_table_is_ecorrupt_never_wrong(void **state) {
  long n = 3000;
  strata_db *db = open_with(*state, 1 << 20);
  char key[32], val[64];
  for (long i = 0; i < n; i++) {
    tu_key_of(key, i);
    tu_value_of(val, i);
    assert_int_equal(strata_put(db, key, strlen(key), val, strlen(val)), STRATA_OK);
  }
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  char table[4096];
  assert_int_equal(tu_nth_file(*state, ".sst", 0, table, sizeof table), 1);
  long long size = tu_file_size(table);
  char *orig = malloc((size_t)size);
  FILE *f = fopen(table, "rb");
  assert_int_equal(fread(orig, 1, (size_t)size, f), (size_t)size);
  fclose(f);
  /* Every region of the file: data blocks, filter, range-tombstone, index,
   * properties, footer — stepping through it. */
  long step = size > 4000 ? size / 400 : 1;
  int detected = 0, tried = 0;
  for (long off = 0; off < size; off += step) {
    tu_flip_byte(table, off, 0x01);
    strata_options o;
    strata_options_init(&o);
    o.block_cache_bytes = 0;                /* every read goes to the file */
    o.mmap_reads = (int)((off / step) % 2); /* both ways of reading a block */
    int rc = strata_open(*state, &o, &db);
    if (rc == STRATA_OK) {
      if (read_all_checked(db, n)) detected++;
      assert_int_equal(strata_close(db), STRATA_OK);
    } else {
      assert_int_equal(rc, STRATA_ECORRUPT);
      detected++;
    }
    FILE *report = tmpfile();
    assert_int_equal(strata_verify(*state, report), STRATA_ECORRUPT);
    fclose(report);
    tried++;
    tu_flip_byte(table, off, 0x01); /* repair */
  }
  printf("sst: %d of %d flipped bytes detected by reads; verify caught all\n", detected, tried);
  assert_int_equal(strata_verify(*state, NULL), STRATA_OK);
  free(orig);
}

/* Files a crash can leave behind (a table whose edit never reached the
 * manifest, a CURRENT.tmp, an old manifest) are removed at open; live
 * ones stay. */
static void leftovers_are_removed_at_open(void **state) {
  strata_db *db = open_with(*state, 1 << 20);
  assert_int_equal(strata_put(db, "k", 1, "v", 1), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  char live[4096], orphan[4096], tmp[4096], old_manifest[4096];
  assert_int_equal(tu_nth_file(*state, ".sst", 0, live, sizeof live), 1);
  snprintf(orphan, sizeof orphan, "%s/999999.sst", (char *)*state);
  snprintf(tmp, sizeof tmp, "%s/CURRENT.tmp", (char *)*state);
  snprintf(old_manifest, sizeof old_manifest, "%s/MANIFEST-000001", (char *)*state);
  tu_write_file(orphan, "half a table", 12);
  tu_write_file(tmp, "MANIFEST-0", 10);
  tu_write_file(old_manifest, "", 0);
  db = open_with(*state, 1 << 20);
  assert_int_equal(tu_file_size(orphan), -1);
  assert_int_equal(tu_file_size(tmp), -1);
  assert_int_equal(tu_file_size(old_manifest), -1);
  assert_true(tu_file_size(live) > 0);
  tu_expect_value(db, "k", "v");
  assert_true(tu_stat(db, "files.obsolete_deleted") >= 1);
  /* A new table never takes the orphan's number either. */
  assert_int_equal(strata_put(db, "k2", 2, "v", 1), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  assert_int_equal(tu_nth_file(*state, ".sst", 0, live, sizeof live), 2);
}

/* A table the manifest names but the directory lacks is damage, not a
 * missing key. */
static void missing_table_is_ecorrupt(void **state) {
  strata_db *db = open_with(*state, 1 << 20);
  assert_int_equal(strata_put(db, "k", 1, "v", 1), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  char table[4096];
  assert_int_equal(tu_nth_file(*state, ".sst", 0, table, sizeof table), 1);
  assert_int_equal(unlink(table), 0);
  db = open_with(*state, 1 << 20);
  void *v;
  size_t n;
  assert_int_equal(strata_get(db, "k", 1, &v, &n), STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "missing"));
  strata_iter *it;
  int rc = strata_iter_new(db, NULL, &it);
  if (rc == STRATA_OK) {
    strata_iter_seek_first(it);
    assert_false(strata_iter_valid(it));
    rc = strata_iter_status(it);
    strata_iter_free(it);
  }
  assert_int_equal(rc, STRATA_ECORRUPT);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static unsigned long long blocks_read(strata_db *db) {
  return tu_stat(db, "block_cache.hits") + tu_stat(db, "block_cache.misses");
}

/* The key an iterator stands on is key i (by tu_key_of). */
static void expect_at(strata_iter *it, long i) {
  char want[32];
  tu_key_of(want, i);
  if (!strata_iter_valid(it)) fail_msg("iterator ended (status %d) where %s was due", strata_iter_status(it), want);
  size_t kl;
  const char *k = strata_iter_key(it, &kl);
  if (kl != strlen(want) || memcmp(k, want, kl)) fail_msg("iterator at %.*s, %s was due", (int)kl, k, want);
}

/* A database of many tables in levels 1+: an iterator without bounds
 * opens, in each level, only the table a seek lands in (a seek and ten
 * steps read a few blocks, not one per table); it crosses from table to
 * table both ways; and a table of the level that is gone is ECORRUPT when
 * a scan reaches it, either way, not a silent gap. */
static void unbounded_seeks_open_one_table_per_level(void **state) {
  strata_options o;
  strata_options_init(&o);
  tu_options_tiny_levels(&o);
  o.block_bytes = 256;
  o.mmap_reads = 0; /* blocks are counted through the block cache */
  strata_db *db = tu_open(*state, &o);
  char k[32], v[64];
  enum { N = 20000 };
  for (long i = 0; i < N; i++) {
    tu_key_of(k, i);
    tu_value_of(v, i);
    assert_int_equal(strata_put(db, k, strlen(k), v, strlen(v)), STRATA_OK);
  }
  assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  char name[256];
  int tables = tu_nth_file(*state, ".sst", 0, name, sizeof name);
  if (tables < 40) fail_msg("%d tables: the test wants many", tables);
  strata_iter *it;
  assert_int_equal(strata_iter_new(db, NULL, &it), STRATA_OK);
  unsigned long long r = 7, most = 0;
  for (int q = 0; q < 200; q++) {
    r = r * 6364136223846793005ull + 1442695040888963407ull;
    long at = (long)((r >> 33) % N);
    tu_key_of(k, at);
    unsigned long long before = blocks_read(db);
    strata_iter_seek(it, k, strlen(k));
    for (long i = at; i < at + 10 && i < N; i++, strata_iter_next(it)) expect_at(it, i);
    unsigned long long blocks = blocks_read(db) - before;
    if (blocks > most) most = blocks;
  }
  printf("sst: %d tables; a seek and 10 steps read at most %llu blocks\n", tables, most);
  if (most > 12) fail_msg("a seek and 10 steps read %llu blocks of %d tables", most, tables);
  /* Both ways across every table boundary, and off both ends. */
  long i = 0;
  for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it)) expect_at(it, i++);
  assert_int_equal(i, N);
  for (strata_iter_seek_last(it); strata_iter_valid(it); strata_iter_prev(it)) expect_at(it, --i);
  assert_int_equal(i, 0);
  assert_int_equal(strata_iter_status(it), STRATA_OK);
  strata_iter_seek(it, "a", 1); /* before the first key */
  expect_at(it, 0);
  strata_iter_prev(it);
  assert_false(strata_iter_valid(it));
  strata_iter_seek(it, "z", 1); /* past the last */
  assert_false(strata_iter_valid(it));
  strata_iter_seek_for_prev(it, "z", 1);
  expect_at(it, N - 1);
  strata_iter_free(it);
  assert_int_equal(strata_close(db), STRATA_OK);

  /* A table in the middle of the key space goes missing. */
  assert_int_equal(tu_nth_file(*state, ".sst", tables / 2, name, sizeof name), tables);
  assert_int_equal(unlink(name), 0);
  assert_int_equal(strata_open(*state, &o, &db), STRATA_OK);
  assert_int_equal(strata_iter_new(db, NULL, &it), STRATA_OK);
  long seen = 0;
  for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it)) expect_at(it, seen++);
  assert_int_equal(strata_iter_status(it), STRATA_ECORRUPT);
  if (seen >= N) fail_msg("the scan saw all %ld keys without the table", seen);
  long back = N;
  for (strata_iter_seek_last(it); strata_iter_valid(it); strata_iter_prev(it)) expect_at(it, --back);
  assert_int_equal(strata_iter_status(it), STRATA_ECORRUPT); /* backward too */
  if (back <= 0) fail_msg("the reverse scan saw every key without the table");
  strata_iter_free(it);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void damaged_manifest_is_ecorrupt(void **state) {
  strata_db *db = open_with(*state, 1 << 20);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(strata_put(db, "k", 1, "v", 1), STRATA_OK);
    assert_int_equal(strata_flush(db), STRATA_OK);
  }
  assert_int_equal(strata_close(db), STRATA_OK);
  char manifest[512] = {0}, current[512];
  snprintf(current, sizeof current, "%s/CURRENT", (char *)*state);
  FILE *f = fopen(current, "r");
  assert_non_null(f);
  char name[256];
  assert_non_null(fgets(name, sizeof name, f));
  fclose(f);
  name[strcspn(name, "\n")] = '\0';
  snprintf(manifest, sizeof manifest, "%s/%s", (char *)*state, name);
  long long size = tu_file_size(manifest);
  assert_true(size > 20);
  tu_flip_byte(manifest, (size / 2), 0x01);
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "MANIFEST"));
  assert_int_equal(strata_verify(*state, NULL), STRATA_ECORRUPT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(million_keys_many_tables, setup, teardown),
      cmocka_unit_test_setup_teardown(iterators_and_snapshots_are_pinned, setup, teardown),
      cmocka_unit_test_setup_teardown(empty_keys_and_bounds, setup, teardown),
      cmocka_unit_test_setup_teardown(properties_describe_the_tables, setup, teardown),
      cmocka_unit_test_setup_teardown(damaged_table_is_ecorrupt_never_wrong, setup, teardown),
      cmocka_unit_test_setup_teardown(leftovers_are_removed_at_open, setup, teardown),
      cmocka_unit_test_setup_teardown(missing_table_is_ecorrupt, setup, teardown),
      cmocka_unit_test_setup_teardown(unbounded_seeks_open_one_table_per_level, setup, teardown),
      cmocka_unit_test_setup_teardown(damaged_manifest_is_ecorrupt, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
