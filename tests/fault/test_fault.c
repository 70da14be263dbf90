/* test_fault.c - I/O failures injected with the fault env: failed appends,
 * short writes, failed fsyncs (sticky read-only), failures at every step
 * of open, and simulated power loss. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db_impl.h"
#include "fault_env.h"
#include "testutil.h"

typedef struct fx {
  char *dir;
  st_env *env;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  f->dir = tu_tmpdir();
  f->env = fault_env_new();
  *state = f;
  return 0;
}
static int teardown(void **state) {
  fx *f = *state;
  tu_rmdir(f->dir);
  fault_env_free(f->env);
  free(f);
  return 0;
}

static strata_db *open_fault(fx *f, const strata_options *o) {
  strata_db *db = NULL;
  int rc = st_db_open(f->dir, o, f->env, &db);
  if (rc) fail_msg("open: %s (%s)", strata_strerror(rc), strata_errmsg());
  return db;
}

static strata_db *open_posix(fx *f) {
  strata_db *db = NULL;
  int rc = strata_open(f->dir, NULL, &db);
  if (rc) fail_msg("open: %s (%s)", strata_strerror(rc), strata_errmsg());
  return db;
}

static void put_str(strata_db *db, const char *k, const char *v, int expect) {
  assert_int_equal(strata_put(db, k, strlen(k), v, strlen(v)), expect);
}

/* Writes, or checks, keys "k0" to "k<n-1>", each its own value. */
static void put_keys(strata_db *db, int n) {
  for (int i = 0; i < n; i++) {
    char k[16];
    snprintf(k, sizeof k, "k%d", i);
    put_str(db, k, k, STRATA_OK);
  }
}
static void expect_keys(strata_db *db, int n) {
  for (int i = 0; i < n; i++) {
    char k[16];
    snprintf(k, sizeof k, "k%d", i);
    tu_expect_value(db, k, k);
  }
}

static void failed_append_is_reported_and_undone(void **state) {
  fx *f = *state;
  int codes[] = {STRATA_EIO, STRATA_ENOSPC};
  for (int i = 0; i < 2; i++) {
    strata_db *db = open_fault(f, NULL);
    put_str(db, "a", "1", STRATA_OK);
    fault_env_fail(f->env, FAULT_APPEND, 1, codes[i], 0);
    put_str(db, "b", "2", codes[i]);
    assert_non_null(strstr(strata_errmsg(), "injected"));
    tu_expect_missing(db, "b");
    /* The database stays writable once the disk recovers. */
    put_str(db, "c", "3", STRATA_OK);
    tu_expect_value(db, "c", "3");
    assert_int_equal(strata_close(db), STRATA_OK);
    db = open_posix(f);
    tu_expect_value(db, "a", "1");
    tu_expect_missing(db, "b");
    tu_expect_value(db, "c", "3");
    assert_int_equal(tu_stat(db, "recovery.wal_tail_dropped_bytes"), 0);
    assert_int_equal(strata_delete(db, "b", 1), STRATA_OK);
    assert_int_equal(strata_close(db), STRATA_OK);
  }
}

static void short_write_is_cut_back(void **state) {
  fx *f = *state;
  strata_db *db = open_fault(f, NULL);
  put_str(db, "a", "1", STRATA_OK);
  fault_env_short_write(f->env, 1);
  put_str(db, "b", "a value long enough to be cut in half", STRATA_EIO);
  put_str(db, "c", "3", STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  /* Had the half record stayed, "c" would sit after damage: corruption. */
  db = open_posix(f);
  tu_expect_value(db, "a", "1");
  tu_expect_missing(db, "b");
  tu_expect_value(db, "c", "3");
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void failed_cut_back_makes_readonly(void **state) {
  fx *f = *state;
  strata_db *db = open_fault(f, NULL);
  put_str(db, "a", "1", STRATA_OK);
  fault_env_short_write(f->env, 1);
  fault_env_fail(f->env, FAULT_TRUNCATE, 1, STRATA_EIO, 0);
  put_str(db, "b", "a value long enough to be cut in half", STRATA_EIO);
  put_str(db, "c", "3", STRATA_EREADONLY);
  tu_expect_value(db, "a", "1");
  assert_int_equal(strata_close(db), STRATA_EREADONLY);
  /* The torn half record is the tail of the newest log: dropped, counted. */
  db = open_posix(f);
  tu_expect_value(db, "a", "1");
  tu_expect_missing(db, "b");
  assert_true(tu_stat(db, "recovery.wal_tail_dropped_bytes") > 0);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void fsync_failure(fx *f, int code) {
  strata_db *db = open_fault(f, NULL);
  put_str(db, "a", "1", STRATA_OK);
  fault_env_fail(f->env, FAULT_SYNC, 1, code, 0);
  strata_batch *b = strata_batch_new();
  strata_batch_put(b, "b", 1, "2", 1);
  assert_int_equal(strata_write(db, b, STRATA_SYNC), code);
  assert_non_null(strstr(strata_errmsg(), "injected"));
  /* Every later write is refused, even though fsync works again. */
  put_str(db, "c", "3", STRATA_EREADONLY);
  assert_int_equal(strata_write(db, b, STRATA_SYNC), STRATA_EREADONLY);
  assert_int_equal(strata_delete(db, "a", 1), STRATA_EREADONLY);
  assert_non_null(strstr(strata_errmsg(), "reopen"));
  /* Reads go on. */
  tu_expect_value(db, "a", "1");
  tu_expect_missing(db, "c");
  char *text;
  assert_int_equal(strata_property(db, "strata.stats", &text), STRATA_OK);
  assert_non_null(strstr(text, code == STRATA_EIO ? "readonly: STRATA_EIO" : "readonly: STRATA_ENOSPC"));
  strata_free(text);
  /* Close says that acknowledged writes may not be durable. */
  assert_int_equal(strata_close(db), STRATA_EREADONLY);
  assert_non_null(strstr(strata_errmsg(), "may not be durable"));
  strata_batch_free(b);
  /* Reopening loses nothing acknowledged and is writable again. */
  db = open_posix(f);
  tu_expect_value(db, "a", "1");
  tu_expect_missing(db, "c");
  put_str(db, "d", "4", STRATA_OK);
  assert_int_equal(strata_delete(db, "d", 1), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void failed_fsync_is_sticky_until_reopen(void **state) {
  fsync_failure(*state, STRATA_EIO);
  fsync_failure(*state, STRATA_ENOSPC);
}

static void periodic_sync_failure_is_sticky(void **state) {
  fx *f = *state;
  strata_options o;
  strata_options_init(&o);
  o.sync_mode = STRATA_SYNC_PERIODIC;
  o.sync_interval_ms = 2;
  strata_db *db = open_fault(f, &o);
  fault_env_fail(f->env, FAULT_SYNC, 1, STRATA_EIO, 1);
  int rc = STRATA_OK;
  for (int i = 0; i < 2000 && rc == STRATA_OK; i++) {
    rc = strata_put(db, "k", 1, "v", 1);
    if (rc == STRATA_OK) usleep(1000);
  }
  assert_int_equal(rc, STRATA_EREADONLY);
  assert_int_equal(strata_close(db), STRATA_EREADONLY);
}

static void power_loss_keeps_the_synced_prefix(void **state) {
  fx *f = *state;
  strata_db *db = open_fault(f, NULL);
  strata_batch *b = strata_batch_new();
  char key[32];
  for (int i = 0; i < 50; i++) {
    strata_batch_clear(b);
    snprintf(key, sizeof key, "synced%d", i);
    strata_batch_put(b, key, strlen(key), "v", 1);
    assert_int_equal(strata_write(db, b, STRATA_SYNC), STRATA_OK);
  }
  for (int i = 0; i < 50; i++) {
    snprintf(key, sizeof key, "unsynced%d", i);
    put_str(db, key, "v", STRATA_OK);
  }
  /* The machine stops: nothing more reaches the disk, then unsynced
   * bytes and directory entries vanish. */
  fault_env_freeze(f->env);
  strata_close(db);
  assert_int_equal(fault_env_power_loss(f->env), STRATA_OK);
  strata_batch_free(b);
  db = open_posix(f);
  for (int i = 0; i < 50; i++) {
    snprintf(key, sizeof key, "synced%d", i);
    tu_expect_value(db, key, "v");
    snprintf(key, sizeof key, "unsynced%d", i);
    tu_expect_missing(db, key);
  }
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void power_loss_right_after_create(void **state) {
  fx *f = *state;
  char sub[4096];
  snprintf(sub, sizeof sub, "%s/new", f->dir);
  strata_db *db = NULL;
  assert_int_equal(st_db_open(sub, NULL, f->env, &db), STRATA_OK);
  strata_batch *b = strata_batch_new();
  strata_batch_put(b, "k", 1, "v", 1);
  assert_int_equal(strata_write(db, b, STRATA_SYNC), STRATA_OK);
  strata_batch_free(b);
  fault_env_freeze(f->env);
  strata_close(db);
  fault_env_power_loss(f->env);
  /* The marker, the log and the directory itself were made durable. */
  assert_int_equal(strata_open(sub, NULL, &db), STRATA_OK);
  tu_expect_value(db, "k", "v");
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* Writes dir/name through env: created or emptied, text, fsynced. */
static void env_put(st_env *env, const char *dir, const char *name, const char *text) {
  char path[4096];
  st_file *file;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  assert_int_equal(env->open_file(env, path, ST_OPEN_TRUNCATE, &file), STRATA_OK);
  assert_int_equal(env->append(file, text, strlen(text)), STRATA_OK);
  assert_int_equal(env->sync(file), STRATA_OK);
  assert_int_equal(env->close(file), STRATA_OK);
}

static int env_rename(st_env *env, const char *dir, const char *from, const char *to) {
  char a[4096], b[4096];
  snprintf(a, sizeof a, "%s/%s", dir, from);
  snprintf(b, sizeof b, "%s/%s", dir, to);
  return env->rename(env, a, b);
}

static int env_unlink(st_env *env, const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return env->unlink(env, path);
}

/* The fault env's power loss undoes what a real disk would: a rename or
 * an unlink whose directory was not synced, however they were chained,
 * leaves each name with what it held when the directory was last synced;
 * a failed rename changes nothing. */
static void power_loss_undoes_unsynced_names(void **state) {
  fx *f = *state;
  st_env *env = f->env;
  const char *d = f->dir;
  env_put(env, d, "B", "old B");
  env_put(env, d, "D", "old D");
  assert_int_equal(env->sync_dir(env, d), STRATA_OK);
  /* Chains: A over B, then B away to C; E over D, then D unlinked. */
  env_put(env, d, "A", "new A");
  assert_int_equal(env_rename(env, d, "A", "B"), STRATA_OK);
  assert_int_equal(env_rename(env, d, "B", "C"), STRATA_OK);
  env_put(env, d, "E", "new E");
  assert_int_equal(env_rename(env, d, "E", "D"), STRATA_OK);
  assert_int_equal(env_unlink(env, d, "D"), STRATA_OK);
  assert_string_equal(tu_dir_text(d, "C"), "new A");
  assert_int_equal(fault_env_power_loss(env), STRATA_OK);
  assert_string_equal(tu_dir_text(d, "B"), "old B");
  assert_string_equal(tu_dir_text(d, "D"), "old D");
  assert_string_equal(tu_dir_text(d, "A"), ""); /* never durable */
  assert_string_equal(tu_dir_text(d, "C"), "");
  assert_string_equal(tu_dir_text(d, "E"), "");

  /* A rename that fails (its source is missing) keeps what B would get back. */
  env_put(env, d, "A", "newer A");
  assert_int_equal(env_rename(env, d, "A", "B"), STRATA_OK);
  assert_int_not_equal(env_rename(env, d, "missing", "B"), STRATA_OK);
  assert_int_equal(fault_env_power_loss(env), STRATA_OK);
  assert_string_equal(tu_dir_text(d, "B"), "old B");

  /* Once the directory is synced, the new names hold. */
  env_put(env, d, "A", "newest A");
  assert_int_equal(env_rename(env, d, "A", "B"), STRATA_OK);
  assert_int_equal(env_unlink(env, d, "D"), STRATA_OK);
  assert_int_equal(env->sync_dir(env, d), STRATA_OK);
  assert_int_equal(fault_env_power_loss(env), STRATA_OK);
  assert_string_equal(tu_dir_text(d, "B"), "newest A");
  char path[4096];
  snprintf(path, sizeof path, "%s/D", d);
  assert_int_equal(tu_file_size(path), -1);
}

/* The machine stops at every step of an open that re-marks a format-1
 * database as format 2, and of a synced write after it, then loses power:
 * the database opens afterwards with all its data, under either marker,
 * and a write that was acknowledged is there under format 2's. */
static void power_loss_while_marking_format_2(void **state) {
  fx *f = *state;
  strata_db *db = open_posix(f);
  put_keys(db, 20);
  assert_int_equal(strata_close(db), STRATA_OK);
  strata_batch *b = strata_batch_new();
  for (uint64_t n = 1;; n++) {
    tu_dir_put(f->dir, ST_MARKER_NAME, ST_MARKER_TEXT_V1, strlen(ST_MARKER_TEXT_V1));
    st_env *env = fault_env_new();
    fault_env_freeze_after(env, n);
    int acked = 0;
    db = NULL;
    if (st_db_open(f->dir, NULL, env, &db) == STRATA_OK) {
      strata_batch_clear(b);
      strata_batch_put(b, "late", 4, &n, sizeof n);
      acked = strata_write(db, b, STRATA_SYNC) == STRATA_OK;
      strata_close(db);
    }
    int stopped = fault_env_total(env) > n;
    assert_int_equal(fault_env_power_loss(env), STRATA_OK);
    fault_env_free(env);
    const char *marker = tu_dir_text(f->dir, ST_MARKER_NAME);
    assert_true(strcmp(marker, ST_MARKER_TEXT) == 0 || (!acked && strcmp(marker, ST_MARKER_TEXT_V1) == 0));
    db = open_posix(f);
    expect_keys(db, 20);
    if (acked) {
      void *v;
      size_t len;
      assert_int_equal(strata_get(db, "late", 4, &v, &len), STRATA_OK);
      assert_true(len == sizeof n && memcmp(v, &n, len) == 0);
      strata_free(v);
    }
    assert_int_equal(strata_close(db), STRATA_OK);
    if (!stopped) {
      assert_true(acked); /* the machine never stopped: the open and the write must have worked */
      break;
    }
  }
  strata_batch_free(b);
}

/* Every writer of a failed group gets the error's message in its own
 * thread, not only the leader. */
typedef struct msg_arg {
  strata_db *db;
  int id;
  int bad; /* errors without the injected message */
} msg_arg;

static void *failing_writer(void *arg) {
  msg_arg *m = arg;
  for (int i = 0; i < 200; i++) {
    char k[32];
    snprintf(k, sizeof k, "t%d-%d", m->id, i);
    int rc = strata_put(m->db, k, strlen(k), "v", 1);
    if (rc != STRATA_EIO || !strstr(strata_errmsg(), "injected")) m->bad++;
  }
  return NULL;
}

static void every_writer_gets_the_message(void **state) {
  fx *f = *state;
  strata_db *db = open_fault(f, NULL);
  fault_env_fail(f->env, FAULT_APPEND, 1, STRATA_EIO, 1);
  msg_arg args[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (msg_arg){db, i, 0};
    pthread_create(&th[i], NULL, failing_writer, &args[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(args[i].bad, 0);
  }
  fault_env_heal(f->env);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* STRATA_RECOVER_SKIP_CORRUPT drops newer logs before it cuts the damaged
 * one: if it stops half-way, the damage is still there to be found, never
 * a clean log followed by history with a gap in it. */
static void skip_corrupt_interrupted_leaves_no_gap(void **state) {
  fx *f = *state;
  for (int s = 0; s < 3; s++) {
    strata_db *db = open_posix(f);
    for (int i = 0; i < 20; i++) {
      char k[32];
      snprintf(k, sizeof k, "s%d-%d", s, i);
      put_str(db, k, "some value bytes", STRATA_OK);
    }
    assert_int_equal(strata_close(db), STRATA_OK);
  }
  char path[4096];
  assert_int_equal(tu_nth_file(f->dir, ".log", 0, path, sizeof path), 3);
  FILE *fp = fopen(path, "r+b");
  assert_non_null(fp);
  fseek(fp, 200, SEEK_SET);
  fputc(0x55, fp);
  fclose(fp);
  strata_options o;
  strata_options_init(&o);
  o.wal_recovery = STRATA_RECOVER_SKIP_CORRUPT;
  strata_db *db = NULL;
  fault_env_fail(f->env, FAULT_UNLINK, 2, STRATA_EIO, 0); /* the second newer log */
  assert_int_equal(st_db_open(f->dir, &o, f->env, &db), STRATA_EIO);
  assert_int_equal(strata_open(f->dir, NULL, &db), STRATA_ECORRUPT);
  assert_int_equal(st_db_open(f->dir, &o, f->env, &db), STRATA_OK);
  tu_expect_value(db, "s0-0", "some value bytes");
  tu_expect_missing(db, "s2-0");
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* A process crash leaves unsynced writes in the OS's buffers; the next
 * open replays them and must make them durable before newer synced
 * writes can outlive them in a power loss. */
static void crash_then_power_loss_keeps_history_whole(void **state) {
  fx *f = *state;
  strata_db *db = open_fault(f, NULL);
  put_str(db, "a", "1", STRATA_OK); /* not synced */
  fault_env_freeze(f->env);          /* the process dies: nothing more is written */
  strata_close(db);
  fault_env_heal(f->env);
  db = open_fault(f, NULL);
  tu_expect_value(db, "a", "1");
  strata_batch *b = strata_batch_new();
  strata_batch_put(b, "b", 1, "2", 1);
  assert_int_equal(strata_write(db, b, STRATA_SYNC), STRATA_OK);
  strata_batch_free(b);
  fault_env_freeze(f->env);
  strata_close(db);
  assert_int_equal(fault_env_power_loss(f->env), STRATA_OK);
  db = open_posix(f);
  tu_expect_value(db, "b", "2");
  tu_expect_value(db, "a", "1"); /* older than a synced write: kept */
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* Fails the Nth operation of each kind during open, for every N that
 * open reaches: each attempt fails cleanly or succeeds, and the data is
 * intact afterwards. Each starts from a format-1 marker, so that its
 * rewrite to format 2 fails at every step too. */
static void every_failure_during_open(void **state) {
  fx *f = *state;
  strata_db *db = open_posix(f);
  put_keys(db, 100);
  assert_int_equal(strata_close(db), STRATA_OK);

  int attempts = 0, failures = 0;
  for (int op = 0; op < FAULT_OPS; op++) {
    for (uint64_t n = 1;; n++) {
      tu_dir_put(f->dir, ST_MARKER_NAME, ST_MARKER_TEXT_V1, strlen(ST_MARKER_TEXT_V1));
      st_env *env = fault_env_new();
      uint64_t before = fault_env_count(env, (fault_op)op);
      fault_env_fail(env, (fault_op)op, n, n % 2 ? STRATA_EIO : STRATA_ENOSPC, 0);
      db = NULL;
      int rc = st_db_open(f->dir, NULL, env, &db);
      int reached = fault_env_count(env, (fault_op)op) - before >= n;
      attempts++;
      if (rc == STRATA_OK) {
        assert_int_equal(strata_close(db), STRATA_OK);
        assert_string_equal(tu_dir_text(f->dir, ST_MARKER_NAME), ST_MARKER_TEXT);
      } else {
        failures++;
        assert_null(db);
        assert_true(rc == STRATA_EIO || rc == STRATA_ENOSPC);
        assert_true(strlen(strata_errmsg()) > 0);
      }
      fault_env_free(env);
      if (!reached) {
        assert_int_equal(rc, STRATA_OK); /* nothing was injected: the open must work */
        break;
      }
    }
  }
  assert_true(failures > 5);
  db = open_posix(f);
  expect_keys(db, 100);
  assert_int_equal(strata_close(db), STRATA_OK);
  (void)attempts;
}

/* Fails the Nth append or fsync during a run of synced batches: every
 * write that was acknowledged is there after reopen. */
static void every_failure_during_writes(void **state) {
  fx *f = *state;
  fault_op ops[] = {FAULT_APPEND, FAULT_SYNC};
  for (int o = 0; o < 2; o++) {
    for (uint64_t n = 1; n <= 12; n++) {
      tu_rmdir(f->dir);
      f->dir = tu_tmpdir();
      st_env *env = fault_env_new();
      strata_db *db = NULL;
      assert_int_equal(st_db_open(f->dir, NULL, env, &db), STRATA_OK);
      fault_env_fail(env, ops[o], n, STRATA_EIO, 0);
      int acked[20] = {0};
      strata_batch *b = strata_batch_new();
      for (int i = 0; i < 20; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%02d", i);
        strata_batch_clear(b);
        strata_batch_put(b, k, strlen(k), "a", 1);
        strata_batch_put(b, k, strlen(k) - 1, "b", 1); /* a second key, "k0" or "k1" */
        int rc = strata_write(db, b, STRATA_SYNC);
        acked[i] = rc == STRATA_OK;
        assert_true(rc == STRATA_OK || rc == STRATA_EIO || rc == STRATA_EREADONLY);
      }
      strata_batch_free(b);
      strata_close(db);
      fault_env_free(env);
      db = open_posix(f);
      for (int i = 0; i < 20; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%02d", i);
        if (acked[i]) tu_expect_value(db, k, "a");
      }
      assert_int_equal(strata_close(db), STRATA_OK);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(failed_append_is_reported_and_undone, setup, teardown),
      cmocka_unit_test_setup_teardown(short_write_is_cut_back, setup, teardown),
      cmocka_unit_test_setup_teardown(failed_cut_back_makes_readonly, setup, teardown),
      cmocka_unit_test_setup_teardown(failed_fsync_is_sticky_until_reopen, setup, teardown),
      cmocka_unit_test_setup_teardown(periodic_sync_failure_is_sticky, setup, teardown),
      cmocka_unit_test_setup_teardown(power_loss_keeps_the_synced_prefix, setup, teardown),
      cmocka_unit_test_setup_teardown(power_loss_right_after_create, setup, teardown),
      cmocka_unit_test_setup_teardown(crash_then_power_loss_keeps_history_whole, setup, teardown),
      cmocka_unit_test_setup_teardown(power_loss_while_marking_format_2, setup, teardown),
      cmocka_unit_test_setup_teardown(power_loss_undoes_unsynced_names, setup, teardown),
      cmocka_unit_test_setup_teardown(every_writer_gets_the_message, setup, teardown),
      cmocka_unit_test_setup_teardown(skip_corrupt_interrupted_leaves_no_gap, setup, teardown),
      cmocka_unit_test_setup_teardown(every_failure_during_open, setup, teardown),
      cmocka_unit_test_setup_teardown(every_failure_during_writes, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
