/* test_api.c - the public API through strata.h only: writes, reads,
 * batches, reopen, limits, options and bad input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

static strata_db *open_db(const char *dir, const strata_options *o) {
  strata_db *db = NULL;
  int rc = strata_open(dir, o, &db);
  if (rc) fail_msg("open %s: %s (%s)", dir, strata_strerror(rc), strata_errmsg());
  return db;
}

static void put_get_delete(void **state) {
  strata_db *db = open_db(*state, NULL);
  tu_expect_missing(db, "a");
  assert_int_equal(strata_put(db, "a", 1, "1", 1), STRATA_OK);
  assert_int_equal(strata_put(db, "b", 1, "2", 1), STRATA_OK);
  tu_expect_value(db, "a", "1");
  assert_int_equal(strata_put(db, "a", 1, "one", 3), STRATA_OK);
  tu_expect_value(db, "a", "one");
  assert_int_equal(strata_delete(db, "a", 1), STRATA_OK);
  tu_expect_missing(db, "a");
  tu_expect_value(db, "b", "2");
  /* Deleting a missing key is not an error. */
  assert_int_equal(strata_delete(db, "zz", 2), STRATA_OK);
  /* Empty key and empty value are ordinary. */
  assert_int_equal(strata_put(db, "", 0, "", 0), STRATA_OK);
  tu_expect_value(db, "", "");
  assert_int_equal(strata_put(db, NULL, 0, NULL, 0), STRATA_OK);
  /* Binary bytes, including NUL, in keys and values. */
  assert_int_equal(strata_put(db, "k\0x", 3, "\0\xff\0", 3), STRATA_OK);
  void *v;
  size_t n;
  assert_int_equal(strata_get(db, "k\0x", 3, &v, &n), STRATA_OK);
  assert_int_equal(n, 3);
  assert_memory_equal(v, "\0\xff\0", 3);
  assert_int_equal(((char *)v)[3], '\0'); /* terminated for convenience */
  strata_free(v);
  tu_expect_missing(db, "k");
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void batches_apply_in_order(void **state) {
  strata_db *db = open_db(*state, NULL);
  strata_batch *b = strata_batch_new();
  assert_non_null(b);
  /* An empty batch is a no-op. */
  assert_int_equal(strata_write(db, b, 0), STRATA_OK);
  assert_int_equal(strata_batch_put(b, "x", 1, "1", 1), STRATA_OK);
  assert_int_equal(strata_batch_put(b, "y", 1, "2", 1), STRATA_OK);
  assert_int_equal(strata_batch_delete(b, "x", 1), STRATA_OK);
  assert_int_equal(strata_batch_put(b, "z", 1, "3", 1), STRATA_OK);
  assert_int_equal(strata_write(db, b, STRATA_SYNC), STRATA_OK);
  tu_expect_missing(db, "x"); /* later records of a batch win */
  tu_expect_value(db, "y", "2");
  tu_expect_value(db, "z", "3");
  /* The batch is left as it was: writing it again applies it again. */
  assert_int_equal(strata_put(db, "y", 1, "changed", 7), STRATA_OK);
  assert_int_equal(strata_write(db, b, 0), STRATA_OK);
  tu_expect_value(db, "y", "2");
  strata_batch_clear(b);
  assert_int_equal(strata_batch_put(b, "w", 1, "4", 1), STRATA_OK);
  assert_int_equal(strata_write(db, b, 0), STRATA_OK);
  tu_expect_value(db, "w", "4");
  tu_expect_value(db, "z", "3");
  /* A large batch grows its buffer many times. */
  strata_batch_clear(b);
  char key[32], val[200];
  memset(val, 'v', sizeof val);
  for (int i = 0; i < 10000; i++) {
    snprintf(key, sizeof key, "big%05d", i);
    assert_int_equal(strata_batch_put(b, key, strlen(key), val, sizeof val), STRATA_OK);
  }
  assert_int_equal(strata_write(db, b, 0), STRATA_OK);
  void *v;
  size_t n;
  assert_int_equal(strata_get(db, "big09999", 8, &v, &n), STRATA_OK);
  assert_int_equal(n, sizeof val);
  strata_free(v);
  strata_batch_free(b);
  strata_batch_free(NULL);
  strata_batch_clear(NULL);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void reopen_keeps_everything(void **state) {
  strata_options o;
  strata_options_init(&o);
  for (int round = 0; round < 3; round++) {
    strata_db *db = open_db(*state, &o);
    char key[32], val[32];
    for (int i = 0; i < 1000; i++) {
      snprintf(key, sizeof key, "r%d-%d", round, i);
      snprintf(val, sizeof val, "v%d", i * round);
      assert_int_equal(strata_put(db, key, strlen(key), val, strlen(val)), STRATA_OK);
    }
    snprintf(key, sizeof key, "r%d-%d", round, 7);
    assert_int_equal(strata_delete(db, key, strlen(key)), STRATA_OK);
    assert_int_equal(strata_close(db), STRATA_OK);
  }
  strata_db *db = open_db(*state, &o);
  for (int round = 0; round < 3; round++) {
    char key[32], val[32];
    for (int i = 0; i < 1000; i++) {
      snprintf(key, sizeof key, "r%d-%d", round, i);
      snprintf(val, sizeof val, "v%d", i * round);
      if (i == 7)
        tu_expect_missing(db, key);
      else
        tu_expect_value(db, key, val);
    }
  }
  assert_int_equal(tu_stat(db, "recovery.records"), 3 * 1001);
  assert_int_equal(tu_stat(db, "recovery.wal_tail_dropped_bytes"), 0);
  assert_int_equal(tu_stat(db, "sequence.last"), 3 * 1001);
  /* New writes continue the sequence after the replayed ones. */
  assert_int_equal(strata_put(db, "r0-1", 4, "new", 3), STRATA_OK);
  tu_expect_value(db, "r0-1", "new");
  assert_int_equal(strata_close(db), STRATA_OK);
  db = open_db(*state, &o);
  tu_expect_value(db, "r0-1", "new");
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void million_keys_in_memory(void **state) {
  long n = tu_env_long("STRATA_TEST_KEYS", 1000000);
  strata_db *db = open_db(*state, NULL);
  char key[32], val[32];
  strata_batch *b = strata_batch_new();
  for (long i = 0; i < n; i++) {
    snprintf(key, sizeof key, "key%010ld", (i * 7919) % n);
    snprintf(val, sizeof val, "%ld", i);
    assert_int_equal(strata_batch_put(b, key, strlen(key), val, strlen(val)), STRATA_OK);
    if (i % 1000 == 999) {
      assert_int_equal(strata_write(db, b, 0), STRATA_OK);
      strata_batch_clear(b);
    }
  }
  assert_int_equal(strata_write(db, b, 0), STRATA_OK);
  strata_batch_free(b);
  for (long i = 0; i < n; i += 7) {
    snprintf(key, sizeof key, "key%010ld", (i * 7919) % n);
    snprintf(val, sizeof val, "%ld", i);
    tu_expect_value(db, key, val);
  }
  snprintf(key, sizeof key, "key%010ld", n);
  tu_expect_missing(db, key);
  assert_int_equal(tu_stat(db, "memtable.entries"), (unsigned long long)n);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void limits_are_enforced(void **state) {
  strata_options o;
  strata_options_init(&o);
  assert_int_equal(o.max_key_bytes, 65536);
  assert_int_equal(o.max_value_bytes, 64u << 20);
  o.max_key_bytes = 10;
  o.max_value_bytes = 100;
  strata_db *db = open_db(*state, &o);
  char big[200];
  memset(big, 'x', sizeof big);
  assert_int_equal(strata_put(db, big, 10, big, 100), STRATA_OK);
  assert_int_equal(strata_put(db, big, 11, "v", 1), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "max_key_bytes"));
  assert_int_equal(strata_put(db, "k", 1, big, 101), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "max_value_bytes"));
  assert_int_equal(strata_delete(db, big, 11), STRATA_EINVAL);
  strata_batch *b = strata_batch_new();
  assert_int_equal(strata_batch_put(b, "ok", 2, "ok", 2), STRATA_OK);
  assert_int_equal(strata_batch_put(b, big, 11, "v", 1), STRATA_OK); /* checked at write */
  assert_int_equal(strata_write(db, b, 0), STRATA_EINVAL);
  tu_expect_missing(db, "ok"); /* nothing of a refused batch is applied */
  strata_batch_free(b);
  assert_int_equal(tu_stat(db, "writes.records"), 1);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void default_limits_accept_large_values(void **state) {
  strata_db *db = open_db(*state, NULL);
  size_t vlen = 8u << 20, klen = 65536;
  char *v = malloc(vlen), *k = malloc(klen + 1);
  for (size_t i = 0; i < vlen; i++) v[i] = (char)(i * 31);
  memset(k, 'k', klen + 1);
  assert_int_equal(strata_put(db, k, klen, v, vlen), STRATA_OK);
  assert_int_equal(strata_put(db, k, klen + 1, "x", 1), STRATA_EINVAL);
  assert_int_equal(strata_close(db), STRATA_OK);
  db = open_db(*state, NULL);
  void *got;
  size_t n;
  assert_int_equal(strata_get(db, k, klen, &got, &n), STRATA_OK);
  assert_int_equal(n, vlen);
  assert_memory_equal(got, v, vlen);
  strata_free(got);
  assert_int_equal(strata_close(db), STRATA_OK);
  free(v);
  free(k);
}

static void null_arguments_are_einval(void **state) {
  strata_db *db = open_db(*state, NULL);
  void *v = (void *)1;
  size_t n = 1;
  assert_int_equal(strata_put(NULL, "k", 1, "v", 1), STRATA_EINVAL);
  assert_int_equal(strata_put(db, NULL, 1, "v", 1), STRATA_EINVAL);
  assert_int_equal(strata_put(db, "k", 1, NULL, 1), STRATA_EINVAL);
  assert_int_equal(strata_delete(NULL, "k", 1), STRATA_EINVAL);
  assert_int_equal(strata_delete(db, NULL, 3), STRATA_EINVAL);
  assert_int_equal(strata_get(NULL, "k", 1, &v, &n), STRATA_EINVAL);
  assert_null(v);
  assert_int_equal(n, 0);
  assert_int_equal(strata_get(db, "k", 1, NULL, &n), STRATA_EINVAL);
  assert_int_equal(strata_get(db, "k", 1, &v, NULL), STRATA_EINVAL);
  assert_int_equal(strata_get(db, NULL, 1, &v, &n), STRATA_EINVAL);
  assert_int_equal(strata_write(NULL, NULL, 0), STRATA_EINVAL);
  assert_int_equal(strata_write(db, NULL, 0), STRATA_EINVAL);
  strata_batch *b = strata_batch_new();
  assert_int_equal(strata_write(db, b, 0x80), STRATA_EINVAL);
  assert_int_equal(strata_batch_put(NULL, "k", 1, "v", 1), STRATA_EINVAL);
  assert_int_equal(strata_batch_put(b, NULL, 1, "v", 1), STRATA_EINVAL);
  assert_int_equal(strata_batch_put(b, "k", 1, NULL, 1), STRATA_EINVAL);
  assert_int_equal(strata_batch_delete(NULL, "k", 1), STRATA_EINVAL);
  assert_int_equal(strata_batch_delete(b, NULL, 1), STRATA_EINVAL);
  strata_batch_free(b);
  char *text = (char *)1;
  assert_int_equal(strata_property(db, "no.such", &text), STRATA_EINVAL);
  assert_null(text);
  assert_int_equal(strata_property(NULL, "strata.stats", &text), STRATA_EINVAL);
  assert_int_equal(strata_property(db, NULL, &text), STRATA_EINVAL);
  assert_int_equal(strata_property(db, "strata.stats", NULL), STRATA_EINVAL);
  assert_int_equal(strata_close(NULL), STRATA_EINVAL);
  strata_db *out = (strata_db *)1;
  assert_int_equal(strata_open(NULL, NULL, &out), STRATA_EINVAL);
  assert_null(out);
  assert_int_equal(strata_open("", NULL, &out), STRATA_EINVAL);
  assert_int_equal(strata_open(*state, NULL, NULL), STRATA_EINVAL);
  strata_free(NULL);
  /* Lengths no memory could hold: refused before any size is computed. */
  assert_int_equal(strata_get(db, "k", SIZE_MAX, &v, &n), STRATA_EINVAL);
  assert_int_equal(strata_get(db, "k", SIZE_MAX - 7, &v, &n), STRATA_EINVAL);
  assert_int_equal(strata_put(db, "k", SIZE_MAX, "v", 1), STRATA_EINVAL);
  assert_int_equal(strata_put(db, "k", 1, "v", SIZE_MAX - 3), STRATA_EINVAL);
  b = strata_batch_new();
  assert_int_equal(strata_batch_put(b, "k", SIZE_MAX - 7, "v", 1), STRATA_EINVAL);
  assert_int_equal(strata_batch_put(b, "k", 1, "v", SIZE_MAX), STRATA_EINVAL);
  assert_int_equal(strata_batch_delete(b, "k", SIZE_MAX), STRATA_EINVAL);
  assert_int_equal(strata_write(db, b, 0), STRATA_OK); /* still empty */
  strata_batch_free(b);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* One option set just outside (bad) or at the edge of (good) what open
 * accepts, for each check of st_options_check. */
typedef struct option_case {
  const char *field; /* named in the error message */
  void (*bad)(strata_options *o);
  void (*good)(strata_options *o); /* the nearest accepted setting; NULL: none */
} option_case;

#define OPT_SET(fn, body) \
  static void fn(strata_options *o) { body; }
OPT_SET(sync_bad, o->sync_mode = 7)
OPT_SET(sync_good, o->sync_mode = STRATA_SYNC_ALWAYS)
OPT_SET(interval_bad, (o->sync_mode = STRATA_SYNC_PERIODIC, o->sync_interval_ms = 0))
OPT_SET(interval_good, (o->sync_mode = STRATA_SYNC_PERIODIC, o->sync_interval_ms = 1))
OPT_SET(recovery_bad, o->wal_recovery = 9)
OPT_SET(recovery_good, o->wal_recovery = STRATA_RECOVER_SKIP_CORRUPT)
OPT_SET(memtable_bad, o->memtable_bytes = 4095)
OPT_SET(memtable_good, o->memtable_bytes = 4096)
OPT_SET(key_bad, o->max_key_bytes = 0)
OPT_SET(key_big, o->max_key_bytes = (1u << 30) + 1)
OPT_SET(key_good, o->max_key_bytes = 1)
OPT_SET(value_bad, o->max_value_bytes = (1u << 30) + 1)
OPT_SET(value_good, o->max_value_bytes = 1u << 30)
OPT_SET(block_small, o->block_bytes = 255)
OPT_SET(block_small_good, o->block_bytes = 256)
OPT_SET(block_big, o->block_bytes = (16u << 20) + 1)
OPT_SET(block_big_good, o->block_bytes = 16u << 20)
OPT_SET(bloom_bad, o->bloom_bits_per_key = -1)
OPT_SET(bloom_big, o->bloom_bits_per_key = 31)
OPT_SET(bloom_good, o->bloom_bits_per_key = 30)
OPT_SET(mmap_reads_bad, o->mmap_reads = 2)
OPT_SET(mmap_writes_bad, o->mmap_writes = -1)
OPT_SET(mmap_good, (o->mmap_reads = 0, o->mmap_writes = 0))
OPT_SET(files_bad, o->max_open_files = 15)
OPT_SET(files_good, o->max_open_files = 16)
OPT_SET(threads_bad, o->background_threads = 1)
OPT_SET(threads_big, o->background_threads = 17)
OPT_SET(threads_good, o->background_threads = 16)
OPT_SET(l0_zero, o->l0_compaction_trigger = 0)
OPT_SET(l0_slow_bad, o->l0_slowdown_trigger = o->l0_compaction_trigger - 1)
OPT_SET(l0_stop_bad, o->l0_stop_trigger = o->l0_slowdown_trigger - 1)
OPT_SET(l0_good, (o->l0_compaction_trigger = 1, o->l0_slowdown_trigger = 1, o->l0_stop_trigger = 1))
OPT_SET(imm_bad, o->max_immutable_memtables = 0)
OPT_SET(imm_big, o->max_immutable_memtables = 17)
OPT_SET(imm_good, o->max_immutable_memtables = 16)
OPT_SET(base_bad, o->level_base_bytes = (64u << 10) - 1)
OPT_SET(base_good, o->level_base_bytes = 64u << 10)
OPT_SET(target_bad, o->target_file_bytes = (16u << 10) - 1)
OPT_SET(target_good, o->target_file_bytes = 16u << 10)
OPT_SET(ratio_zero, o->tombstone_compaction_ratio = 0)
OPT_SET(ratio_big, o->tombstone_compaction_ratio = 1.5)
OPT_SET(ratio_nan, o->tombstone_compaction_ratio = NAN)
OPT_SET(ratio_good, o->tombstone_compaction_ratio = 1)
OPT_SET(compression_bad, o->compression = 99)
OPT_SET(compression_good, o->compression = STRATA_COMPRESSION_NONE)
#undef OPT_SET

static const option_case option_cases[] = {
    {"sync_mode", sync_bad, sync_good},
    {"sync_interval_ms", interval_bad, interval_good},
    {"wal_recovery", recovery_bad, recovery_good},
    {"memtable_bytes", memtable_bad, memtable_good},
    {"max_key_bytes", key_bad, key_good},
    {"max_key_bytes", key_big, NULL},
    {"max_value_bytes", value_bad, value_good},
    {"block_bytes", block_small, block_small_good},
    {"block_bytes", block_big, block_big_good},
    {"bloom_bits_per_key", bloom_bad, bloom_good},
    {"bloom_bits_per_key", bloom_big, NULL},
    {"mmap_reads", mmap_reads_bad, mmap_good},
    {"mmap_writes", mmap_writes_bad, NULL},
    {"max_open_files", files_bad, files_good},
    {"background_threads", threads_bad, threads_good},
    {"background_threads", threads_big, NULL},
    {"level-0 triggers", l0_zero, l0_good},
    {"level-0 triggers", l0_slow_bad, NULL},
    {"level-0 triggers", l0_stop_bad, NULL},
    {"max_immutable_memtables", imm_bad, imm_good},
    {"max_immutable_memtables", imm_big, NULL},
    {"level_base_bytes", base_bad, base_good},
    {"target_file_bytes", target_bad, target_good},
    {"tombstone_compaction_ratio", ratio_zero, ratio_good},
    {"tombstone_compaction_ratio", ratio_big, NULL},
    {"tombstone_compaction_ratio", ratio_nan, NULL},
    {"compression", compression_bad, compression_good},
};

/* Every option outside its range is refused by name, before anything is
 * created; the edge of each range opens. */
static void bad_options_are_refused(void **state) {
  char path[4096];
  snprintf(path, sizeof path, "%s/STRATA", (char *)*state);
  for (size_t i = 0; i < sizeof option_cases / sizeof option_cases[0]; i++) {
    const option_case *c = &option_cases[i];
    strata_options o;
    strata_db *db = (strata_db *)1;
    strata_options_init(&o);
    c->bad(&o);
    int rc = strata_open(*state, &o, &db);
    if (rc != STRATA_EINVAL || strstr(strata_errmsg(), c->field) == NULL)
      fail_msg("case %zu (%s): open gave %s, \"%s\"", i, c->field, strata_strerror(rc), strata_errmsg());
    assert_null(db);
    assert_int_equal(tu_file_size(path), -1); /* nothing was created */
  }
  for (size_t i = 0; i < sizeof option_cases / sizeof option_cases[0]; i++) {
    const option_case *c = &option_cases[i];
    if (!c->good) continue;
    strata_options o;
    strata_options_init(&o);
    c->good(&o);
    strata_db *db = open_db(*state, &o);
    int rc = strata_put(db, "k", 1, "v", 1);
    if (rc) fail_msg("case %zu (%s): put gave %s, \"%s\"", i, c->field, strata_strerror(rc), strata_errmsg());
    assert_int_equal(strata_close(db), STRATA_OK);
  }
}

/* A memtable budget too big to ever fill (nothing flushes by size) opens
 * and works: its key filter is capped, not sized from it. */
static void huge_memtable_budget_opens(void **state) {
  strata_options o;
  strata_options_init(&o);
  o.memtable_bytes = SIZE_MAX;
  strata_db *db = tu_open(*state, &o);
  assert_int_equal(strata_put(db, "k", 1, "v", 1), STRATA_OK);
  void *v;
  size_t n;
  assert_int_equal(strata_get(db, "k", 1, &v, &n), STRATA_OK);
  assert_memory_equal(v, "v", 1);
  strata_free(v);
  assert_int_equal(strata_flush(db), STRATA_OK); /* a switch makes a new memtable of the same budget */
  assert_int_equal(strata_put(db, "k2", 2, "w", 1), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void directory_rules(void **state) {
  char path[4096];
  strata_options o;
  strata_db *db = (strata_db *)1;
  strata_options_init(&o);

  /* Missing directory without create_if_missing. */
  snprintf(path, sizeof path, "%s/missing", (char *)*state);
  o.create_if_missing = 0;
  assert_int_equal(strata_open(path, &o, &db), STRATA_EINVAL);
  assert_null(db);
  assert_non_null(strstr(strata_errmsg(), "create_if_missing"));
  assert_int_equal(tu_file_size(path), -1);

  /* A missing parent: a clear error, nothing created. */
  strata_options_init(&o);
  snprintf(path, sizeof path, "%s/no/such/parent", (char *)*state);
  assert_int_equal(strata_open(path, &o, &db), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "parent"));
  o.create_if_missing = 0;

  /* An empty existing directory without create_if_missing. */
  snprintf(path, sizeof path, "%s/empty", (char *)*state);
  assert_int_equal(mkdir(path, 0755), 0);
  assert_int_equal(strata_open(path, &o, &db), STRATA_EINVAL);

  /* Created with the default options, then error_if_exists. */
  strata_options_init(&o);
  snprintf(path, sizeof path, "%s/db", (char *)*state);
  db = open_db(path, &o);
  assert_int_equal(strata_put(db, "k", 1, "v", 1), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  o.error_if_exists = 1;
  assert_int_equal(strata_open(path, &o, &db), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "exists"));
  o.error_if_exists = 0;
  o.create_if_missing = 0;
  db = open_db(path, &o);
  tu_expect_value(db, "k", "v");

  /* A second open of an open database, in the same process. */
  strata_db *second = (strata_db *)1;
  assert_int_equal(strata_open(path, NULL, &second), STRATA_EBUSY);
  assert_null(second);
  assert_non_null(strstr(strata_errmsg(), "open in this or another process"));
  /* ... and from another process. */
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    strata_db *other = NULL;
    _exit(strata_open(path, NULL, &other) == STRATA_EBUSY && other == NULL ? 0 : 1);
  }
  int status;
  waitpid(pid, &status, 0);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_int_equal(strata_close(db), STRATA_OK);

  /* A path that is a file. */
  snprintf(path, sizeof path, "%s/afile", (char *)*state);
  tu_write_file(path, "x", 1);
  assert_int_equal(strata_open(path, NULL, &db), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "not a directory"));

  /* A trailing slash names the same database. */
  snprintf(path, sizeof path, "%s/db/", (char *)*state);
  db = open_db(path, NULL);
  tu_expect_value(db, "k", "v");
  assert_int_equal(strata_close(db), STRATA_OK);

  /* A relative name without a slash (the CLI's `strata mydb ...`): created
   * in the working directory, whose entry is synced for it. */
  char cwd[4096];
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(*state), 0);
  db = open_db("reldb", NULL);
  assert_int_equal(strata_put(db, "r", 1, "1", 1), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  assert_int_equal(chdir(cwd), 0);
  snprintf(path, sizeof path, "%s/reldb", (char *)*state);
  db = open_db(path, NULL);
  tu_expect_value(db, "r", "1");
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void foreign_directory_is_refused(void **state) {
  char path[4096], file[4096];
  snprintf(path, sizeof path, "%s/foreign", (char *)*state);
  assert_int_equal(mkdir(path, 0755), 0);
  snprintf(file, sizeof file, "%s/notes.txt", path);
  tu_write_file(file, "hello", 5);
  strata_db *db = (strata_db *)1;
  assert_int_equal(strata_open(path, NULL, &db), STRATA_EINVAL);
  assert_null(db);
  assert_non_null(strstr(strata_errmsg(), "not a strata database"));
  /* Nothing changed: the file is alone, no marker or log appeared. */
  assert_int_equal(tu_file_size(file), 5);
  snprintf(file, sizeof file, "%s/STRATA", path);
  assert_int_equal(tu_file_size(file), -1);
  snprintf(file, sizeof file, "%s/000001.log", path);
  assert_int_equal(tu_file_size(file), -1);
  snprintf(file, sizeof file, "%s/LOCK", path);
  assert_int_equal(tu_file_size(file), -1);

  /* A marker of another format is refused too. */
  snprintf(path, sizeof path, "%s/other", (char *)*state);
  assert_int_equal(mkdir(path, 0755), 0);
  snprintf(file, sizeof file, "%s/STRATA", path);
  tu_write_file(file, "strata database\nformat 99\n", 26);
  assert_int_equal(strata_open(path, NULL, &db), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "format"));
}

/* A format-1 directory (written by builds whose logs hold only fixed batch
 * headers) opens, and is marked format 2 before its log gets a record an
 * older build would misread; an open that fails leaves it format 1. */
static void format_1_marker_becomes_format_2(void **state) {
  const char *v1 = "strata database\nformat 1\n", *v2 = "strata database\nformat 2\n";
  char dir[4096], path[4096];
  strata_db *db = open_db(*state, NULL);
  assert_string_equal(tu_dir_text(*state, "STRATA"), v2);
  assert_int_equal(strata_close(db), STRATA_OK);

  snprintf(dir, sizeof dir, "%s/v1", (char *)*state);
  assert_int_equal(mkdir(dir, 0755), 0);
  tu_dir_put(dir, "STRATA", v1, strlen(v1));
  strata_options o;
  strata_options_init(&o);
  o.error_if_exists = 1;
  assert_int_equal(strata_open(dir, &o, &db), STRATA_EINVAL);
  assert_string_equal(tu_dir_text(dir, "STRATA"), v1);
  /* A manifest that CURRENT names but that is missing fails recovery. */
  tu_dir_put(dir, "CURRENT", "MANIFEST-000009\n", 16);
  assert_int_equal(strata_open(dir, NULL, &db), STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "MANIFEST-000009"));
  assert_string_equal(tu_dir_text(dir, "STRATA"), v1);
  snprintf(path, sizeof path, "%s/CURRENT", dir);
  assert_int_equal(unlink(path), 0);

  db = open_db(dir, NULL);
  assert_string_equal(tu_dir_text(dir, "STRATA"), v2);
  assert_int_equal(strata_put(db, "k", 1, "v", 1), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  db = open_db(dir, NULL);
  tu_expect_value(db, "k", "v");
  assert_int_equal(strata_close(db), STRATA_OK);
  assert_string_equal(tu_dir_text(dir, "STRATA"), v2);

  /* Neither a later format nor a near miss of this one is read. */
  const char *bad[] = {"strata database\nformat 3\n", "strata database\nformat 2\n\n", "strata database\nformat 2"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    tu_dir_put(dir, "STRATA", bad[i], strlen(bad[i]));
    assert_int_equal(strata_open(dir, NULL, &db), STRATA_EINVAL);
    assert_non_null(strstr(strata_errmsg(), "format 1 or 2"));
    assert_string_equal(tu_dir_text(dir, "STRATA"), bad[i]);
  }
}

/* Root ignores permission bits, so the check runs in a child that has
 * given up root. */
static void unwritable_directory_is_a_clear_error(void **state) {
  char path[4096];
  snprintf(path, sizeof path, "%s/ro", (char *)*state);
  assert_int_equal(mkdir(path, 0555), 0);
  assert_int_equal(chmod(*state, 0755), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    strata_db *db = NULL;
    int rc = strata_open(path, NULL, &db);
    int ok = rc == STRATA_EIO && db == NULL && strstr(strata_errmsg(), "Permission denied") != NULL;
    if (!ok) fprintf(stderr, "open of unwritable dir: %s (%s)\n", strata_strerror(rc), strata_errmsg());
    _exit(ok ? 0 : 1);
  }
  int status;
  waitpid(pid, &status, 0);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

static void strerror_names_every_code(void **state) {
  (void)state;
  int codes[] = {STRATA_OK,  STRATA_NOTFOUND, STRATA_EINVAL, STRATA_ETYPE, STRATA_ECORRUPT,
                 STRATA_EIO, STRATA_ENOSPC,   STRATA_ENOMEM, STRATA_EBUSY, STRATA_EREADONLY};
  const char *names[] = {"STRATA_OK",  "STRATA_NOTFOUND", "STRATA_EINVAL", "STRATA_ETYPE", "STRATA_ECORRUPT",
                         "STRATA_EIO", "STRATA_ENOSPC",   "STRATA_ENOMEM", "STRATA_EBUSY", "STRATA_EREADONLY"};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    assert_int_equal(strncmp(strata_strerror(codes[i]), names[i], strlen(names[i])), 0);
    assert_int_equal(strata_strerror(codes[i])[strlen(names[i])], ':');
  }
  assert_non_null(strata_strerror(-1000));
  assert_non_null(strata_strerror(5));
  assert_int_equal(STRATA_OK, 0);
}

static void stats_count_work(void **state) {
  strata_db *db = open_db(*state, NULL);
  assert_int_equal(strata_put(db, "a", 1, "1", 1), STRATA_OK);
  assert_int_equal(strata_delete(db, "a", 1), STRATA_OK);
  strata_batch *b = strata_batch_new();
  strata_batch_put(b, "b", 1, "2", 1);
  strata_batch_put(b, "c", 1, "3", 1);
  assert_int_equal(strata_write(db, b, STRATA_SYNC), STRATA_OK);
  strata_batch_free(b);
  tu_expect_value(db, "b", "2");
  tu_expect_missing(db, "a");
  assert_int_equal(tu_stat(db, "writes.records"), 4);
  assert_int_equal(tu_stat(db, "writes.batches"), 3);
  assert_int_equal(tu_stat(db, "reads.gets"), 2);
  assert_int_equal(tu_stat(db, "reads.found"), 1);
  assert_true(tu_stat(db, "wal.syncs") >= 1);
  assert_true(tu_stat(db, "wal.bytes") > 0);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void sync_modes(void **state) {
  for (int mode = STRATA_SYNC_NONE; mode <= STRATA_SYNC_ALWAYS; mode++) {
    strata_options o;
    strata_options_init(&o);
    o.sync_mode = mode;
    o.sync_interval_ms = 5;
    strata_db *db = open_db(*state, &o);
    assert_int_equal(strata_put(db, "m", 1, "v", 1), STRATA_OK);
    if (mode == STRATA_SYNC_ALWAYS) assert_true(tu_stat(db, "wal.syncs") >= 1);
    if (mode == STRATA_SYNC_PERIODIC) {
      /* The background thread syncs within a few intervals. */
      for (int i = 0; i < 400 && tu_stat(db, "wal.syncs") == 0; i++) usleep(5000);
      assert_true(tu_stat(db, "wal.syncs") >= 1);
    }
    if (mode == STRATA_SYNC_NONE) assert_int_equal(tu_stat(db, "wal.syncs"), 0);
    assert_int_equal(strata_close(db), STRATA_OK);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(put_get_delete, setup, teardown),
      cmocka_unit_test_setup_teardown(batches_apply_in_order, setup, teardown),
      cmocka_unit_test_setup_teardown(reopen_keeps_everything, setup, teardown),
      cmocka_unit_test_setup_teardown(million_keys_in_memory, setup, teardown),
      cmocka_unit_test_setup_teardown(limits_are_enforced, setup, teardown),
      cmocka_unit_test_setup_teardown(default_limits_accept_large_values, setup, teardown),
      cmocka_unit_test_setup_teardown(null_arguments_are_einval, setup, teardown),
      cmocka_unit_test_setup_teardown(bad_options_are_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(huge_memtable_budget_opens, setup, teardown),
      cmocka_unit_test_setup_teardown(directory_rules, setup, teardown),
      cmocka_unit_test_setup_teardown(foreign_directory_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(format_1_marker_becomes_format_2, setup, teardown),
      cmocka_unit_test_setup_teardown(unwritable_directory_is_a_clear_error, setup, teardown),
      cmocka_unit_test_setup_teardown(strerror_names_every_code, setup, teardown),
      cmocka_unit_test_setup_teardown(stats_count_work, setup, teardown),
      cmocka_unit_test_setup_teardown(sync_modes, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
