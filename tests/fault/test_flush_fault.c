/* test_flush_fault.c - flushes under failure: a power loss at every I/O
 * step of a flush (table, directory, manifest, log removal) and an I/O
 * error at every step. Every reopen recovers, and nothing synced before
 * the failure is lost. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_impl.h"
#include "fault_env.h"
#include "testutil.h"

#define KEYS 200

static strata_db *open_env(const char *dir, st_env *env) {
  strata_options o;
  strata_options_init(&o);
  strata_db *db = NULL;
  int rc = st_db_open(dir, &o, env, &db);
  if (rc) fail_msg("open: %s (%s)", strata_strerror(rc), strata_errmsg());
  return db;
}

/* KEYS keys in synced batches of ten. */
static void write_synced(strata_db *db, const char *prefix) {
  strata_batch *b = strata_batch_new();
  for (int i = 0; i < KEYS; i++) {
    char k[32];
    snprintf(k, sizeof k, "%s%04d", prefix, i);
    strata_batch_put(b, k, strlen(k), k, strlen(k));
    if (i % 10 == 9) {
      assert_int_equal(strata_write(db, b, STRATA_SYNC), STRATA_OK);
      strata_batch_clear(b);
    }
  }
  strata_batch_free(b);
}

static void expect_all(strata_db *db, const char *prefix) {
  for (int i = 0; i < KEYS; i++) {
    char k[32];
    snprintf(k, sizeof k, "%s%04d", prefix, i);
    tu_expect_value(db, k, k);
  }
}

static void power_loss_at_every_step_of_a_flush(void **state) {
  (void)state;
  int steps = 0;
  for (uint64_t n = 0;; n++) {
    char *dir = tu_tmpdir();
    st_env *env = fault_env_new();
    strata_db *db = open_env(dir, env);
    write_synced(db, "a");
    assert_int_equal(strata_flush(db), STRATA_OK); /* a table exists already */
    write_synced(db, "b");
    uint64_t before = fault_env_total(env);
    fault_env_freeze_after(env, n);
    int rc = strata_flush(db);
    int cut = fault_env_total(env) - before > n;
    strata_close(db);
    assert_int_equal(fault_env_power_loss(env), STRATA_OK);
    fault_env_free(env);
    /* The machine comes back: the database opens with everything synced. */
    if (strata_open(dir, NULL, &db) != STRATA_OK)
      fail_msg("step %llu: reopen after power loss: %s", (unsigned long long)n, strata_errmsg());
    expect_all(db, "a");
    expect_all(db, "b");
    assert_int_equal(strata_close(db), STRATA_OK);
    assert_int_equal(strata_verify(dir, NULL), STRATA_OK);
    tu_rmdir(dir);
    steps++;
    if (!cut) {
      assert_int_equal(rc, STRATA_OK);
      break;
    }
  }
  printf("flush: power loss tried at each of %d steps\n", steps);
  assert_true(steps > 5);
}

static void io_error_at_every_step_of_a_flush(void **state) {
  (void)state;
  fault_op ops[] = {FAULT_OPEN, FAULT_APPEND, FAULT_SYNC, FAULT_SYNC_DIR, FAULT_RENAME, FAULT_UNLINK};
  int failures = 0;
  for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
    for (uint64_t n = 1;; n++) {
      char *dir = tu_tmpdir();
      st_env *env = fault_env_new();
      strata_db *db = open_env(dir, env);
      write_synced(db, "a");
      uint64_t before = fault_env_count(env, ops[o]);
      fault_env_fail(env, ops[o], n, n % 2 ? STRATA_EIO : STRATA_ENOSPC, 0);
      int rc = strata_flush(db);
      int reached = fault_env_count(env, ops[o]) - before >= n;
      fault_env_heal(env); /* the failure was meant for the flush only */
      /* Whatever happened, the database answers reads. */
      expect_all(db, "a");
      if (rc != STRATA_OK) {
        /* Sealing the memtable may fail cleanly (a new log could not be
         * made: the database stays writable); a failed flush or a failed
         * fsync of the old log makes it read-only, and says so. */
        failures++;
        assert_true(rc == STRATA_EIO || rc == STRATA_ENOSPC || rc == STRATA_EREADONLY);
        char *text;
        assert_int_equal(strata_property(db, "strata.stats", &text), STRATA_OK);
        int readonly = strstr(text, "readonly: no") == NULL;
        strata_free(text);
        if (rc == STRATA_EREADONLY) assert_true(readonly);
        assert_int_equal(strata_put(db, "x", 1, "y", 1), readonly ? STRATA_EREADONLY : STRATA_OK);
      }
      strata_close(db);
      fault_env_free(env);
      if (strata_open(dir, NULL, &db) != STRATA_OK)
        fail_msg("op %d step %llu: reopen: %s", (int)ops[o], (unsigned long long)n, strata_errmsg());
      expect_all(db, "a");
      assert_int_equal(strata_put(db, "x", 1, "y", 1), STRATA_OK);
      assert_int_equal(strata_close(db), STRATA_OK);
      tu_rmdir(dir);
      if (!reached) break;
    }
  }
  printf("flush: %d injected failures made the flush fail\n", failures);
}

static void full_disk_during_flush(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  st_env *env = fault_env_new();
  strata_db *db = open_env(dir, env);
  write_synced(db, "a");
  fault_env_fail(env, FAULT_APPEND, 1, STRATA_ENOSPC, 1);
  assert_int_equal(strata_flush(db), STRATA_EREADONLY);
  assert_true(tu_stat(db, "flush.failures") >= 1);
  expect_all(db, "a");
  assert_int_equal(strata_close(db), STRATA_EREADONLY);
  fault_env_free(env);
  assert_int_equal(strata_open(dir, NULL, &db), STRATA_OK);
  expect_all(db, "a");
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  tu_rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(power_loss_at_every_step_of_a_flush),
      cmocka_unit_test(io_error_at_every_step_of_a_flush),
      cmocka_unit_test(full_disk_during_flush),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
