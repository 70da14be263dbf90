/* test_recovery.c - reopening after damage to the logs on disk: torn tails
 * are dropped and counted, damage in the middle is STRATA_ECORRUPT (and
 * changes nothing) unless wal_recovery says to keep the valid prefix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* One session: n keys "<prefix><i>" written one batch each. */
static void session(const char *dir, const char *prefix, int n) {
  strata_db *db;
  assert_int_equal(strata_open(dir, NULL, &db), STRATA_OK);
  for (int i = 0; i < n; i++) {
    char k[32];
    snprintf(k, sizeof k, "%s%d", prefix, i);
    assert_int_equal(strata_put(db, k, strlen(k), "value-value-value", 17), STRATA_OK);
  }
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void expect_keys(strata_db *db, const char *prefix, int from, int to, int present) {
  for (int i = from; i < to; i++) {
    char k[32];
    snprintf(k, sizeof k, "%s%d", prefix, i);
    if (present)
      tu_expect_value(db, k, "value-value-value");
    else
      tu_expect_missing(db, k);
  }
}

static void torn_tail_is_dropped_and_counted(void **state) {
  char path[4096];
  session(*state, "a", 10);
  assert_int_equal(tu_nth_file(*state, ".log", 0, path, sizeof path), 1);
  long long size = tu_file_size(path);
  assert_int_equal(truncate(path, size - 3), 0); /* the last record loses 3 bytes */
  strata_db *db;
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_OK);
  expect_keys(db, "a", 0, 9, 1);
  expect_keys(db, "a", 9, 10, 0);
  unsigned long long dropped = tu_stat(db, "recovery.wal_tail_dropped_bytes");
  assert_true(dropped > 0 && dropped < 100);
  assert_int_equal(strata_close(db), STRATA_OK);
  /* The tail was cut for good: the next open sees a whole, older log. */
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_OK);
  expect_keys(db, "a", 0, 9, 1);
  assert_int_equal(tu_stat(db, "recovery.wal_tail_dropped_bytes"), 0);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* A crash right after a new log was created leaves the previous log's
 * torn tail followed by an empty log: still a torn tail, not corruption. */
static void torn_tail_before_an_empty_log(void **state) {
  char path[4096], empty[4096];
  session(*state, "a", 10);
  assert_int_equal(tu_nth_file(*state, ".log", 0, path, sizeof path), 1);
  assert_int_equal(truncate(path, tu_file_size(path) - 3), 0);
  snprintf(empty, sizeof empty, "%s/999999.log", (char *)*state);
  tu_write_file(empty, "", 0);
  /* strata_verify agrees with open on which log is the newest. */
  assert_int_equal(strata_verify(*state, NULL), STRATA_OK);
  strata_db *db;
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_OK);
  expect_keys(db, "a", 0, 9, 1);
  assert_true(tu_stat(db, "recovery.wal_tail_dropped_bytes") > 0);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void garbage_tail_is_dropped(void **state) {
  char path[4096];
  session(*state, "a", 10);
  tu_nth_file(*state, ".log", 0, path, sizeof path);
  char junk[1000];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 151 + 7);
  tu_write_file(path, junk, sizeof junk);
  strata_db *db;
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_OK);
  expect_keys(db, "a", 0, 10, 1);
  assert_int_equal(tu_stat(db, "recovery.wal_tail_dropped_bytes"), sizeof junk);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void damage_in_the_middle_is_ecorrupt(void **state) {
  char path[4096];
  session(*state, "a", 10);
  tu_nth_file(*state, ".log", 0, path, sizeof path);
  long long size = tu_file_size(path);
  tu_flip_byte(path, (size / 2), 0x10);
  strata_db *db = (strata_db *)1;
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_ECORRUPT);
  assert_null(db);
  assert_non_null(strstr(strata_errmsg(), "offset"));
  assert_non_null(strstr(strata_errmsg(), ".log"));
  /* Nothing changed: same size, and the next attempt says the same. */
  assert_int_equal(tu_file_size(path), size);
  assert_int_equal(tu_nth_file(*state, ".log", 0, path, sizeof path), 1);
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_ECORRUPT);
}

static void damage_in_an_older_log_is_ecorrupt(void **state) {
  char path[4096];
  session(*state, "a", 10);
  session(*state, "b", 10);
  assert_int_equal(tu_nth_file(*state, ".log", 0, path, sizeof path), 2);
  /* Even a cut at the end of an older log is corruption: only the newest
   * log can have been torn by a crash. */
  assert_int_equal(truncate(path, tu_file_size(path) - 2), 0);
  strata_db *db;
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_ECORRUPT);

  strata_options o;
  strata_options_init(&o);
  o.wal_recovery = STRATA_RECOVER_SKIP_CORRUPT;
  assert_int_equal(strata_open(*state, &o, &db), STRATA_OK);
  expect_keys(db, "a", 0, 9, 1);
  expect_keys(db, "a", 9, 10, 0);
  expect_keys(db, "b", 0, 10, 0); /* after the gap: not a prefix, dropped */
  assert_true(tu_stat(db, "recovery.wal_corrupt_dropped_bytes") > 0);
  assert_int_equal(strata_put(db, "c", 1, "new", 3), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  /* The database is whole again under the default rules. */
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_OK);
  expect_keys(db, "a", 0, 9, 1);
  tu_expect_value(db, "c", "new");
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* A process that dies leaves its mapped log with the zeros it reserved:
 * the next open reads the log to its last record and cuts the zeros.
 * From then on that log is an older one, and zeros at its end are lost
 * records: STRATA_ECORRUPT, never a silent hole in history. */
static void zero_tail_of_a_killed_writer(void **state) {
  char path[4096];
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    strata_db *db;
    if (strata_open(*state, NULL, &db) != STRATA_OK) _exit(2);
    for (int i = 0; i < 1000; i++) {
      char k[32];
      snprintf(k, sizeof k, "a%d", i);
      if (strata_put(db, k, strlen(k), "value-value-value", 17) != STRATA_OK) _exit(3);
    }
    _exit(0); /* no close: the log keeps its reserved zeros */
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_int_equal(tu_nth_file(*state, ".log", 0, path, sizeof path), 1);
  long long reserved = tu_file_size(path);
  assert_true(reserved >= (1 << 18) && reserved % (1 << 18) == 0); /* 256 KiB steps */

  strata_db *db;
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_OK);
  expect_keys(db, "a", 0, 1000, 1);
  assert_int_equal(tu_stat(db, "recovery.wal_tail_dropped_bytes"), 0); /* zeros are not a torn tail */
  long long cut = tu_file_size(path);
  assert_true(cut > 1000 * 20 && cut < reserved);
  assert_int_equal(strata_put(db, "b", 1, "newer", 5), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);

  /* Zero the older log from a record boundary on: the records of a0..a99
   * take 10 x 42 + 90 x 43 bytes (40 + key length each). */
  assert_int_equal(truncate(path, 10 * 42 + 90 * 43), 0);
  assert_int_equal(truncate(path, cut), 0);
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_ECORRUPT);
  assert_null(db);
}

/* The log written with write() rather than through a mapping
 * (mmap_writes = 0) reads back the same, and either way of writing opens
 * what the other wrote. */
static void log_written_without_mapping(void **state) {
  strata_options o;
  strata_options_init(&o);
  o.mmap_writes = 0;
  strata_db *db;
  assert_int_equal(strata_open(*state, &o, &db), STRATA_OK);
  assert_int_equal(strata_put(db, "k1", 2, "value-value-value", 17), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  char path[4096];
  assert_int_equal(tu_nth_file(*state, ".log", 0, path, sizeof path), 1);
  assert_true(tu_file_size(path) < 100); /* nothing reserved */
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_OK);
  tu_expect_value(db, "k1", "value-value-value");
  assert_int_equal(strata_put(db, "k2", 2, "value-value-value", 17), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
  assert_int_equal(strata_open(*state, &o, &db), STRATA_OK);
  tu_expect_value(db, "k1", "value-value-value");
  tu_expect_value(db, "k2", "value-value-value");
  assert_int_equal(strata_close(db), STRATA_OK);
  o.mmap_writes = 2;
  assert_int_equal(strata_open(*state, &o, &db), STRATA_EINVAL);
}

/* A log written by builds before varint batch headers replays: the bytes
 * of docs/FORMAT.md's worked example as it stood then (type-0 records,
 * fixed 12-byte headers: PUT k v and DELETE k at seq 1-2, PUT "" "" at 3).
 * Later writes go to a new log in the current format; both reopen, and
 * the directory verifies. */
static void log_of_an_earlier_build_replays(void **state) {
  static const unsigned char old_log[] = {
      0x51, 0x7f, 0x82, 0x13, 0x14, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 1, 0x6b, 1, 0x76, 0, 1, 0x6b,
      0x7a, 0x3f, 0x09, 0x65, 0x0f, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0};
  tu_dir_put(*state, "STRATA", "strata database\nformat 1\n", 25);
  tu_dir_put(*state, "000001.log", old_log, sizeof old_log);
  strata_db *db;
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_OK);
  tu_expect_missing(db, "k");
  tu_expect_value(db, "", "");
  /* Shown only if it got a sequence number above the replayed DELETE's. */
  assert_int_equal(strata_put(db, "k", 1, "again", 5), STRATA_OK);
  tu_expect_value(db, "k", "again");
  assert_int_equal(strata_close(db), STRATA_OK);
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_OK);
  tu_expect_value(db, "k", "again");
  tu_expect_value(db, "", "");
  assert_int_equal(strata_close(db), STRATA_OK);
  assert_int_equal(strata_verify(*state, NULL), STRATA_OK);
}

/* Swaps the log's records `a` and `a + 1` (of the same length): each keeps
 * its checksum, so the log is well framed, but their sequence numbers now
 * go backwards. */
static void swap_records(const char *path, int a) {
  FILE *f = fopen(path, "r+b");
  assert_non_null(f);
  static unsigned char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  assert_true(n > 0 && n < sizeof buf);
  size_t off[64], len[64];
  int count = 0;
  for (size_t p = 0; p + 8 <= n && count < 64; count++) {
    size_t l = buf[p + 4] | (size_t)buf[p + 5] << 8 | (size_t)buf[p + 6] << 16 | (size_t)buf[p + 7] << 24;
    if (l == 0) break; /* the zeros a mapped writer reserved */
    off[count] = p;
    len[count] = 8 + l;
    p += 8 + l;
  }
  assert_true(a + 1 < count);
  assert_int_equal(len[a], len[a + 1]);
  unsigned char tmp[256];
  assert_true(len[a] <= sizeof tmp);
  memcpy(tmp, buf + off[a], len[a]);
  memmove(buf + off[a], buf + off[a + 1], len[a]);
  memcpy(buf + off[a + 1], tmp, len[a]);
  assert_int_equal(fseek(f, 0, SEEK_SET), 0);
  assert_int_equal(fwrite(buf, 1, n, f), n);
  assert_int_equal(fclose(f), 0);
}

/* Records whose checksums hold but whose sequence numbers go backwards
 * are damage, not a torn tail, even at the end of the newest log; and
 * strata_verify says so as open does. */
static void sequence_going_backwards_is_ecorrupt(void **state) {
  char path[4096];
  for (int last = 0; last < 2; last++) {
    tu_rmdir(*state);
    *state = tu_tmpdir();
    session(*state, "a", 10); /* keys a0..a9: records of one length */
    assert_int_equal(tu_nth_file(*state, ".log", 0, path, sizeof path), 1);
    long long size = tu_file_size(path);
    swap_records(path, last ? 8 : 3); /* the last two, or two in the middle */
    char *text = NULL;
    size_t tlen = 0;
    FILE *report = open_memstream(&text, &tlen);
    assert_non_null(report);
    assert_int_equal(strata_verify(*state, report), STRATA_ECORRUPT);
    fclose(report);
    assert_non_null(strstr(text, "does not follow"));
    assert_null(strstr(text, "torn tail"));
    free(text);
    strata_db *db = (strata_db *)1;
    assert_int_equal(strata_open(*state, NULL, &db), STRATA_ECORRUPT);
    assert_null(db);
    assert_non_null(strstr(strata_errmsg(), "does not follow"));
    assert_int_equal(tu_file_size(path), size); /* nothing changed */
    /* The valid prefix is kept when asked for: the records before the
     * swap and the first of the swapped two (key a<s+1>). */
    strata_options o;
    strata_options_init(&o);
    o.wal_recovery = STRATA_RECOVER_SKIP_CORRUPT;
    assert_int_equal(strata_open(*state, &o, &db), STRATA_OK);
    int s = last ? 8 : 3;
    expect_keys(db, "a", 0, s, 1);
    expect_keys(db, "a", s, s + 1, 0);
    expect_keys(db, "a", s + 1, s + 2, 1);
    expect_keys(db, "a", s + 2, 10, 0);
    assert_int_equal(strata_close(db), STRATA_OK);
  }
}

static void skip_corrupt_keeps_the_valid_prefix(void **state) {
  char path[4096];
  session(*state, "a", 20);
  tu_nth_file(*state, ".log", 0, path, sizeof path);
  long long size = tu_file_size(path);
  tu_flip_byte(path, (size / 2), 0x10);
  strata_options o;
  strata_options_init(&o);
  o.wal_recovery = STRATA_RECOVER_SKIP_CORRUPT;
  strata_db *db;
  assert_int_equal(strata_open(*state, &o, &db), STRATA_OK);
  int present = 0;
  for (int i = 0; i < 20; i++) {
    char k[32];
    void *v;
    size_t n;
    snprintf(k, sizeof k, "a%d", i);
    int rc = strata_get(db, k, strlen(k), &v, &n);
    if (rc == STRATA_OK) {
      assert_int_equal(present, i); /* a prefix: no key after a missing one */
      present++;
      strata_free(v);
    }
  }
  assert_true(present >= 5 && present < 20);
  assert_true(tu_stat(db, "recovery.wal_corrupt_dropped_bytes") > 0);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* Only canonical log names are logs: "7.log" or "0000001.log" would be
 * read under another name or twice. */
static void odd_log_names_are_not_logs(void **state) {
  char path[4096];
  session(*state, "a", 3);
  assert_int_equal(tu_nth_file(*state, ".log", 0, path, sizeof path), 1);
  char odd[4096];
  snprintf(odd, sizeof odd, "%s/7.log", (char *)*state);
  tu_write_file(odd, "junk", 4);
  snprintf(odd, sizeof odd, "%s/0000001.log", (char *)*state);
  FILE *src = fopen(path, "rb"), *dst = fopen(odd, "wb");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, src)) > 0) fwrite(buf, 1, n, dst);
  fclose(src);
  fclose(dst);
  strata_db *db;
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_OK);
  expect_keys(db, "a", 0, 3, 1);
  assert_int_equal(tu_stat(db, "recovery.records"), 3);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void empty_logs_do_not_pile_up(void **state) {
  char path[4096];
  for (int i = 0; i < 5; i++) session(*state, "a", 0);
  assert_int_equal(tu_nth_file(*state, ".log", 0, path, sizeof path), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(torn_tail_is_dropped_and_counted, setup, teardown),
      cmocka_unit_test_setup_teardown(torn_tail_before_an_empty_log, setup, teardown),
      cmocka_unit_test_setup_teardown(garbage_tail_is_dropped, setup, teardown),
      cmocka_unit_test_setup_teardown(damage_in_the_middle_is_ecorrupt, setup, teardown),
      cmocka_unit_test_setup_teardown(damage_in_an_older_log_is_ecorrupt, setup, teardown),
      cmocka_unit_test_setup_teardown(zero_tail_of_a_killed_writer, setup, teardown),
      cmocka_unit_test_setup_teardown(log_written_without_mapping, setup, teardown),
      cmocka_unit_test_setup_teardown(log_of_an_earlier_build_replays, setup, teardown),
      cmocka_unit_test_setup_teardown(sequence_going_backwards_is_ecorrupt, setup, teardown),
      cmocka_unit_test_setup_teardown(skip_corrupt_keeps_the_valid_prefix, setup, teardown),
      cmocka_unit_test_setup_teardown(odd_log_names_are_not_logs, setup, teardown),
      cmocka_unit_test_setup_teardown(empty_logs_do_not_pile_up, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
