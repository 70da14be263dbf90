/* test_typed.c - counters, latest-wins values and lists through the public
 * API (docs/SEMANTICS.md, "Typed merges"): every edge case the issue names,
 * each read checked in the memtable, after a flush, after a full
 * compaction and after a reopen; iterators over typed and failing keys;
 * snapshots across collapsing; bounded lists; hot keys; bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void expect_int(strata_db *db, const char *key, int want_rc, int64_t want) {
  int64_t v = 12345;
  int rc = strata_get_int(db, K(key), &v);
  if (rc != want_rc) fail_msg("get_int(%s): rc %d (%s), want %d", key, rc, strata_errmsg(), want_rc);
  assert_true(v == (rc == STRATA_OK ? want : 0));
}

static void expect_get(strata_db *db, const char *key, int want_rc, const char *want, size_t want_len) {
  void *v;
  size_t n;
  int rc = strata_get(db, K(key), &v, &n);
  if (rc != want_rc) fail_msg("get(%s): rc %d (%s), want %d", key, rc, strata_errmsg(), want_rc);
  if (rc == STRATA_OK) {
    assert_int_equal(n, want_len);
    assert_memory_equal(v, want, n);
    assert_int_equal(((char *)v)[n], '\0');
  } else {
    assert_null(v);
    assert_int_equal(n, 0);
  }
  strata_free(v);
}

static void expect_text(strata_db *db, const char *key, const char *want) {
  expect_get(db, key, STRATA_OK, want, strlen(want));
}

static void expect_latest(strata_db *db, const char *key, int want_rc, uint64_t want_ts, const char *want) {
  void *v;
  size_t n;
  uint64_t ts = 99;
  int rc = strata_get_latest(db, K(key), &v, &n, &ts);
  if (rc != want_rc) fail_msg("get_latest(%s): rc %d (%s), want %d", key, rc, strata_errmsg(), want_rc);
  if (rc == STRATA_OK) {
    assert_true(ts == want_ts);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(v, want, n);
  } else {
    assert_true(ts == 0);
    assert_null(v);
  }
  strata_free(v);
}

/* The elements of the list at key joined with ',' ("" for none). */
static void expect_list(strata_db *db, const char *key, const char *want) {
  void *v;
  size_t n, pos = 0, el;
  const void *e;
  char got[4096] = "";
  size_t used = 0;
  int rc = strata_get(db, K(key), &v, &n);
  if (rc != STRATA_OK) fail_msg("get(%s): rc %d (%s)", key, rc, strata_errmsg());
  int r, count = 0;
  while ((r = strata_list_next(v, n, &pos, &e, &el)) == 1) {
    assert_true(used + el + 2 < sizeof got);
    if (count++) got[used++] = ',';
    memcpy(got + used, e, el);
    used += el;
    got[used] = '\0';
  }
  assert_int_equal(r, 0);
  assert_true(pos == n);
  if (strcmp(got, want) != 0) fail_msg("list %s: got \"%s\", want \"%s\"", key, got, want);
  strata_free(v);
}

/* ---- counters -------------------------------------------------------- */

static void write_counters(strata_db *db) {
  assert_int_equal(strata_add(db, K("plays"), 1), STRATA_OK);
  assert_int_equal(strata_add(db, K("plays"), 41), STRATA_OK);
  assert_int_equal(strata_put(db, K("base"), K("5")), STRATA_OK);
  assert_int_equal(strata_add(db, K("base"), 3), STRATA_OK);
  assert_int_equal(strata_put(db, K("neg"), K("-9223372036854775808")), STRATA_OK);
  assert_int_equal(strata_add(db, K("neg"), -1), STRATA_OK); /* wraps */
  assert_int_equal(strata_add(db, K("wrap"), INT64_MAX), STRATA_OK);
  assert_int_equal(strata_add(db, K("wrap"), 1), STRATA_OK);
  assert_int_equal(strata_put(db, K("abc"), K("abc")), STRATA_OK);
  assert_int_equal(strata_add(db, K("abc"), 1), STRATA_OK);
  assert_int_equal(strata_put(db, K("text"), K("abc")), STRATA_OK);
  assert_int_equal(strata_put(db, K("decimal"), K("007")), STRATA_OK);
  assert_int_equal(strata_add(db, K("unliked"), 5), STRATA_OK);
  assert_int_equal(strata_delete(db, K("unliked")), STRATA_OK);
  assert_int_equal(strata_add(db, K("relike"), 5), STRATA_OK);
  assert_int_equal(strata_delete(db, K("relike")), STRATA_OK);
  assert_int_equal(strata_add(db, K("relike"), 1), STRATA_OK);
  assert_int_equal(strata_add(db, K("zero"), 0), STRATA_OK);
}

static void check_counters(strata_db *db) {
  expect_int(db, "plays", STRATA_OK, 42);
  expect_text(db, "plays", "42");
  expect_int(db, "base", STRATA_OK, 8);
  expect_int(db, "neg", STRATA_OK, INT64_MAX);
  expect_int(db, "wrap", STRATA_OK, INT64_MIN);
  expect_text(db, "wrap", "-9223372036854775808");
  /* ADD over a PUT of "abc": every read fails, and keeps failing. */
  expect_int(db, "abc", STRATA_ETYPE, 0);
  expect_get(db, "abc", STRATA_ETYPE, NULL, 0);
  /* get_int on a plain value: a decimal integer reads, anything else is
   * not a counter. */
  expect_int(db, "text", STRATA_ETYPE, 0);
  expect_int(db, "decimal", STRATA_OK, 7);
  expect_text(db, "decimal", "007");
  expect_int(db, "unliked", STRATA_NOTFOUND, 0);
  expect_int(db, "relike", STRATA_OK, 1);
  expect_int(db, "zero", STRATA_OK, 0);
  expect_int(db, "absent", STRATA_NOTFOUND, 0);
}

static void counters(void **state) {
  strata_db *db = tu_open(*state, NULL);
  write_counters(db);
  db = tu_each_stage(db, *state, NULL, check_counters);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* ---- latest-wins ------------------------------------------------------ */

static void write_latest(strata_db *db) {
  /* A podcast position: updates arrive out of order. */
  assert_int_equal(strata_put_latest(db, K("pos"), K("at 300s"), 30), STRATA_OK);
  assert_int_equal(strata_put_latest(db, K("pos"), K("at 100s"), 10), STRATA_OK);
  assert_int_equal(strata_put_latest(db, K("pos"), K("at 200s"), 20), STRATA_OK);
  /* Ties go to the newer write. */
  assert_int_equal(strata_put_latest(db, K("tie"), K("first"), 7), STRATA_OK);
  assert_int_equal(strata_put_latest(db, K("tie"), K("second"), 7), STRATA_OK);
  /* ts 0 and UINT64_MAX are ordinary. */
  assert_int_equal(strata_put_latest(db, K("zero"), K("z"), 0), STRATA_OK);
  assert_int_equal(strata_put_latest(db, K("max"), K("top"), UINT64_MAX), STRATA_OK);
  assert_int_equal(strata_put_latest(db, K("max"), K("later but lower"), UINT64_MAX - 1), STRATA_OK);
  assert_int_equal(strata_put_latest(db, K("max"), K(""), 0), STRATA_OK);
  /* A PUT below is ignored; a PUT above replaces. */
  assert_int_equal(strata_put(db, K("over"), K("plain")), STRATA_OK);
  assert_int_equal(strata_put_latest(db, K("over"), K("l"), 3), STRATA_OK);
  assert_int_equal(strata_put_latest(db, K("replaced"), K("l"), 3), STRATA_OK);
  assert_int_equal(strata_put(db, K("replaced"), K("plain")), STRATA_OK);
}

static void check_latest(strata_db *db) {
  expect_latest(db, "pos", STRATA_OK, 30, "at 300s");
  expect_text(db, "pos", "at 300s");
  expect_latest(db, "tie", STRATA_OK, 7, "second");
  expect_latest(db, "zero", STRATA_OK, 0, "z");
  expect_latest(db, "max", STRATA_OK, UINT64_MAX, "top");
  expect_latest(db, "over", STRATA_OK, 3, "l");
  /* A plain value alone is not a latest-wins one. */
  expect_latest(db, "replaced", STRATA_ETYPE, 0, NULL);
  expect_text(db, "replaced", "plain");
  expect_latest(db, "absent", STRATA_NOTFOUND, 0, NULL);
  expect_int(db, "pos", STRATA_ETYPE, 0);
}

static void latest_wins(void **state) {
  strata_db *db = tu_open(*state, NULL);
  write_latest(db);
  db = tu_each_stage(db, *state, NULL, check_latest);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* ---- lists ------------------------------------------------------------ */

static void write_lists(strata_db *db) {
  assert_int_equal(strata_append(db, K("feed"), K("a")), STRATA_OK);
  assert_int_equal(strata_append(db, K("feed"), K("b")), STRATA_OK);
  assert_int_equal(strata_append(db, K("feed"), K("")), STRATA_OK); /* empty element */
  assert_int_equal(strata_append(db, K("feed"), K("c")), STRATA_OK);
  assert_int_equal(strata_put(db, K("based"), K("first")), STRATA_OK);
  assert_int_equal(strata_append(db, K("based"), K("second")), STRATA_OK);
  assert_int_equal(strata_append(db, K("restart"), K("old")), STRATA_OK);
  assert_int_equal(strata_delete(db, K("restart")), STRATA_OK);
  assert_int_equal(strata_append(db, K("restart"), K("new")), STRATA_OK);
  /* ADD then APPEND on one key. */
  assert_int_equal(strata_add(db, K("mixed"), 1), STRATA_OK);
  assert_int_equal(strata_append(db, K("mixed"), K("x")), STRATA_OK);
  assert_int_equal(strata_append(db, K("bin"), "\0\x01\xff", 3), STRATA_OK);
}

static void check_lists(strata_db *db) {
  expect_list(db, "feed", "a,b,,c");
  expect_list(db, "based", "first,second");
  expect_list(db, "restart", "new");
  expect_get(db, "mixed", STRATA_ETYPE, NULL, 0);
  expect_int(db, "mixed", STRATA_ETYPE, 0);
  expect_latest(db, "feed", STRATA_ETYPE, 0, NULL);
  expect_get(db, "bin", STRATA_OK, "\x03\0\x01\xff", 4);
}

static void lists(void **state) {
  strata_db *db = tu_open(*state, NULL);
  write_lists(db);
  db = tu_each_stage(db, *state, NULL, check_lists);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* A list longer than max_value_bytes: each element fits, the list does
 * not; it reads whole, and collapsing keeps it whole. */
static void check_long_list(strata_db *db) {
  void *v;
  size_t n, pos = 0, el;
  const void *e;
  assert_int_equal(strata_get(db, K("long"), &v, &n), STRATA_OK);
  assert_true(n > 100);
  int i = 0;
  while (strata_list_next(v, n, &pos, &e, &el) == 1) {
    char want[16];
    snprintf(want, sizeof want, "e%03d", i++);
    assert_int_equal(el, strlen(want));
    assert_memory_equal(e, want, el);
  }
  assert_int_equal(i, 60);
  strata_free(v);
}

static void list_over_max_value_bytes(void **state) {
  strata_options o;
  strata_options_init(&o);
  o.max_value_bytes = 20;
  strata_db *db = tu_open(*state, &o);
  char elem[16];
  for (int i = 0; i < 60; i++) {
    snprintf(elem, sizeof elem, "e%03d", i);
    assert_int_equal(strata_append(db, K("long"), K(elem)), STRATA_OK);
  }
  char big[21];
  memset(big, 'x', sizeof big);
  assert_int_equal(strata_append(db, K("long"), big, 21), STRATA_EINVAL);
  assert_int_equal(strata_put_latest(db, K("l"), big, 20, 1), STRATA_OK); /* the ts does not count */
  assert_int_equal(strata_put_latest(db, K("l"), big, 21, 1), STRATA_EINVAL);
  db = tu_each_stage(db, *state, &o, check_long_list);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* list_max_elements keeps the newest N, in reads and in compaction. */
static void bounded_lists(void **state) {
  strata_options o;
  strata_options_init(&o);
  o.list_max_elements = 3;
  strata_db *db = tu_open(*state, &o);
  const char *e[] = {"1", "2", "3", "4", "5"};
  for (int i = 0; i < 5; i++) assert_int_equal(strata_append(db, K("capped"), K(e[i])), STRATA_OK);
  expect_list(db, "capped", "3,4,5");
  assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  expect_list(db, "capped", "3,4,5");
  assert_int_equal(strata_append(db, K("capped"), K("6")), STRATA_OK);
  expect_list(db, "capped", "4,5,6");
  assert_int_equal(strata_close(db), STRATA_OK);
  /* Raising the bound does not bring dropped elements back; lowering it
   * applies at once. */
  o.list_max_elements = 0;
  db = tu_open(*state, &o);
  expect_list(db, "capped", "3,4,5,6");
  assert_int_equal(strata_close(db), STRATA_OK);
  o.list_max_elements = 1;
  db = tu_open(*state, &o);
  expect_list(db, "capped", "6");
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* A memtable whose every chain collapses to nothing (a counter added to,
 * then deleted, over no older data) flushes to no table at all; the
 * database stays writable, and so after a reopen. */
static void flush_of_nothing(void **state) {
  strata_db *db = tu_open(*state, NULL);
  char path[512];
  assert_int_equal(strata_add(db, K("tmp"), 1), STRATA_OK);
  assert_int_equal(strata_append(db, K("tmp2"), K("x")), STRATA_OK);
  assert_int_equal(strata_delete(db, K("tmp")), STRATA_OK);
  assert_int_equal(strata_delete(db, K("tmp2")), STRATA_OK);
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(tu_nth_file(*state, ".sst", 0, path, sizeof path), 0); /* no table, and no orphan */
  assert_int_equal(strata_put(db, K("after"), K("ok")), STRATA_OK);
  expect_int(db, "tmp", STRATA_NOTFOUND, 0);
  assert_int_equal(strata_close(db), STRATA_OK);
  db = tu_open(*state, NULL);
  expect_text(db, "after", "ok");
  expect_int(db, "tmp", STRATA_NOTFOUND, 0);
  assert_int_equal(strata_put(db, K("more"), K("ok")), STRATA_OK);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* ---- batches, snapshots, iterators -------------------------------------- */

static void batches_mix_kinds(void **state) {
  strata_db *db = tu_open(*state, NULL);
  strata_batch *b = strata_batch_new();
  assert_non_null(b);
  assert_int_equal(strata_batch_add(b, K("c"), 2), STRATA_OK);
  assert_int_equal(strata_batch_add(b, K("c"), 3), STRATA_OK);
  assert_int_equal(strata_batch_put_latest(b, K("l"), K("v"), 9), STRATA_OK);
  assert_int_equal(strata_batch_append(b, K("a"), K("x")), STRATA_OK);
  assert_int_equal(strata_batch_put(b, K("p"), K("q")), STRATA_OK);
  assert_int_equal(strata_write(db, b, STRATA_SYNC), STRATA_OK);
  expect_int(db, "c", STRATA_OK, 5);
  expect_latest(db, "l", STRATA_OK, 9, "v");
  expect_list(db, "a", "x");
  expect_text(db, "p", "q");
  /* Bad input changes nothing. */
  assert_int_equal(strata_batch_add(NULL, K("c"), 1), STRATA_EINVAL);
  assert_int_equal(strata_batch_add(b, NULL, 3, 1), STRATA_EINVAL);
  assert_int_equal(strata_batch_put_latest(b, K("l"), NULL, 2, 1), STRATA_EINVAL);
  assert_int_equal(strata_batch_append(b, K("a"), NULL, 1), STRATA_EINVAL);
  assert_int_equal(strata_add(NULL, K("c"), 1), STRATA_EINVAL);
  assert_int_equal(strata_append(db, K("a"), NULL, 1), STRATA_EINVAL);
  assert_int_equal(strata_put_latest(db, NULL, 1, K("v"), 1), STRATA_EINVAL);
  int64_t x;
  assert_int_equal(strata_get_int(db, K("c"), NULL), STRATA_EINVAL);
  assert_int_equal(strata_get_int(NULL, K("c"), &x), STRATA_EINVAL);
  void *v;
  size_t n;
  assert_int_equal(strata_get_latest(db, K("l"), &v, &n, NULL), STRATA_EINVAL);
  strata_batch_free(b);
  expect_int(db, "c", STRATA_OK, 5);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static void list_next_rejects_bad_bytes(void **state) {
  (void)state;
  size_t pos = 0, el;
  const void *e;
  assert_int_equal(strata_list_next("", 0, &pos, &e, &el), 0);
  assert_int_equal(strata_list_next("\x05"
                                    "ab",
                                    3, &pos, &e, &el),
                   STRATA_EINVAL); /* runs past the end */
  assert_null(e);
  assert_int_equal(el, 0);
  pos = 0;
  assert_int_equal(strata_list_next("\xff\xff\xff\xff\xff\x01", 6, &pos, &e, &el), STRATA_EINVAL);
  pos = 9;
  assert_int_equal(strata_list_next("\x01"
                                    "a",
                                    2, &pos, &e, &el),
                   STRATA_EINVAL); /* pos beyond len */
  assert_int_equal(strata_list_next(NULL, 2, &pos, &e, &el), STRATA_EINVAL);
  assert_int_equal(strata_list_next("\x01"
                                    "a",
                                    2, NULL, &e, &el),
                   STRATA_EINVAL);
  pos = 0;
  assert_int_equal(strata_list_next("\x01"
                                    "a"
                                    "\x00",
                                    3, &pos, &e, &el),
                   1);
  assert_int_equal(el, 1);
  assert_int_equal(strata_list_next("\x01"
                                    "a"
                                    "\x00",
                                    3, &pos, &e, &el),
                   1);
  assert_int_equal(el, 0);
  assert_int_equal(strata_list_next("\x01"
                                    "a"
                                    "\x00",
                                    3, &pos, &e, &el),
                   0);
}

/* Snapshot reads of chains that flushes and compactions collapse. */
static void snapshots_survive_collapsing(void **state) {
  strata_db *db = tu_open(*state, NULL);
  assert_int_equal(strata_put(db, K("c"), K("10")), STRATA_OK);
  assert_int_equal(strata_add(db, K("c"), 1), STRATA_OK);
  assert_int_equal(strata_append(db, K("l"), K("a")), STRATA_OK);
  assert_int_equal(strata_put_latest(db, K("p"), K("five"), 5), STRATA_OK);
  const strata_snapshot *s1 = strata_snapshot_new(db);
  assert_int_equal(strata_flush(db), STRATA_OK);
  assert_int_equal(strata_add(db, K("c"), 100), STRATA_OK);
  assert_int_equal(strata_append(db, K("l"), K("b")), STRATA_OK);
  assert_int_equal(strata_put_latest(db, K("p"), K("nine"), 9), STRATA_OK);
  assert_int_equal(strata_append(db, K("c"), K("breaks it")), STRATA_OK);
  const strata_snapshot *s2 = strata_snapshot_new(db);
  assert_int_equal(strata_add(db, K("l"), 1), STRATA_OK);
  for (int round = 0; round < 3; round++) {
    strata_read_options ro;
    strata_read_options_init(&ro);
    void *v;
    size_t n;
    ro.snapshot = s1;
    assert_int_equal(strata_get_at(db, &ro, K("c"), &v, &n), STRATA_OK);
    assert_string_equal(v, "11");
    strata_free(v);
    assert_int_equal(strata_get_at(db, &ro, K("p"), &v, &n), STRATA_OK);
    assert_string_equal(v, "five");
    strata_free(v);
    assert_int_equal(strata_get_at(db, &ro, K("l"), &v, &n), STRATA_OK);
    assert_memory_equal(v,
                        "\x01"
                        "a",
                        2);
    strata_free(v);
    ro.snapshot = s2;
    assert_int_equal(strata_get_at(db, &ro, K("c"), &v, &n), STRATA_ETYPE);
    assert_int_equal(strata_get_at(db, &ro, K("l"), &v, &n), STRATA_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(v,
                        "\x01"
                        "a"
                        "\x01"
                        "b",
                        4);
    strata_free(v);
    assert_int_equal(strata_get_at(db, &ro, K("p"), &v, &n), STRATA_OK);
    assert_string_equal(v, "nine");
    strata_free(v);
    expect_get(db, "l", STRATA_ETYPE, NULL, 0);
    if (round == 0) assert_int_equal(strata_flush(db), STRATA_OK);
    if (round == 1) assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  }
  strata_snapshot_release(db, s1);
  strata_snapshot_release(db, s2);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* Iterators resolve like strata_get, both ways, and stand on a failing
 * key with STRATA_ETYPE until the next move. */
static void check_iter(strata_db *db) {
  strata_iter *it;
  assert_int_equal(strata_iter_new(db, NULL, &it), STRATA_OK);
  const char *keys[] = {"a", "b", "c", "d", "e"};
  const char *vals[] = {"3", NULL, "\x01x\x01y", "pv", "late"};
  for (int dir = 0; dir < 2; dir++) {
    int i = dir ? 4 : 0;
    for (dir ? strata_iter_seek_last(it) : strata_iter_seek_first(it); strata_iter_valid(it);
         dir ? strata_iter_prev(it) : strata_iter_next(it), i += dir ? -1 : 1) {
      size_t kl, vl;
      const char *k = strata_iter_key(it, &kl);
      const char *v = strata_iter_value(it, &vl);
      assert_true(i >= 0 && i < 5);
      assert_int_equal(kl, 1);
      assert_memory_equal(k, keys[i], 1);
      if (!vals[i]) {
        assert_null(v);
        assert_int_equal(vl, 0);
        assert_int_equal(strata_iter_status(it), STRATA_ETYPE);
      } else {
        assert_int_equal(strata_iter_status(it), STRATA_OK);
        assert_int_equal(vl, strlen(vals[i]));
        assert_memory_equal(v, vals[i], vl);
      }
    }
    assert_int_equal(i, dir ? -1 : 5);
    assert_int_equal(strata_iter_status(it), STRATA_OK);
  }
  /* Changing direction on and around resolved keys. */
  strata_iter_seek(it, K("b"));
  assert_int_equal(strata_iter_status(it), STRATA_ETYPE);
  strata_iter_next(it);
  assert_int_equal(strata_iter_status(it), STRATA_OK);
  strata_iter_prev(it);
  size_t kl;
  assert_memory_equal(strata_iter_key(it, &kl), "b", 1);
  strata_iter_prev(it);
  assert_memory_equal(strata_iter_key(it, &kl), "a", 1);
  strata_iter_next(it);
  strata_iter_next(it);
  assert_memory_equal(strata_iter_key(it, &kl), "c", 1);
  strata_iter_seek_for_prev(it, K("e"));
  assert_memory_equal(strata_iter_key(it, &kl), "e", 1);
  strata_iter_prev(it);
  assert_memory_equal(strata_iter_key(it, &kl), "d", 1);
  strata_iter_next(it);
  strata_iter_next(it);
  assert_false(strata_iter_valid(it));
  strata_iter_free(it);
}

static void iterators_resolve(void **state) {
  strata_db *db = tu_open(*state, NULL);
  assert_int_equal(strata_add(db, K("a"), 1), STRATA_OK);
  assert_int_equal(strata_add(db, K("a"), 2), STRATA_OK);
  assert_int_equal(strata_add(db, K("b"), 1), STRATA_OK);
  assert_int_equal(strata_append(db, K("b"), K("x")), STRATA_OK);
  assert_int_equal(strata_append(db, K("c"), K("x")), STRATA_OK);
  assert_int_equal(strata_append(db, K("c"), K("y")), STRATA_OK);
  assert_int_equal(strata_add(db, K("d"), 7), STRATA_OK);
  assert_int_equal(strata_put(db, K("d"), K("pv")), STRATA_OK);
  assert_int_equal(strata_put_latest(db, K("e"), K("late"), 2), STRATA_OK);
  assert_int_equal(strata_put_latest(db, K("e"), K("early"), 1), STRATA_OK);
  assert_int_equal(strata_add(db, K("f"), 1), STRATA_OK);
  assert_int_equal(strata_delete(db, K("f")), STRATA_OK);
  db = tu_each_stage(db, *state, NULL, check_iter);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* A counter incremented many times while every fragment is still in the
 * memtable reads right (its run summary), also at snapshots in between. */
static void hot_keys(void **state) {
  long n = tu_env_long("STRATA_TEST_HOT_ADDS", 200000);
  strata_db *db = tu_open(*state, NULL);
  const strata_snapshot *half = NULL;
  for (long i = 1; i <= n; i++) {
    assert_int_equal(strata_add(db, K("hot"), i % 3 == 0 ? -1 : 2), STRATA_OK);
    assert_int_equal(strata_put_latest(db, K("pos"), &"abcdefgh"[i % 8], 1, (uint64_t)(i * 7919 % 1000)), STRATA_OK);
    if (i == n / 2) half = strata_snapshot_new(db);
  }
  for (long i = 0; i < 20000; i++) assert_int_equal(strata_append(db, K("list"), "e", 1), STRATA_OK);
  int64_t want = 0, want_half = 0;
  for (long i = 1; i <= n; i++) {
    want += i % 3 == 0 ? -1 : 2;
    if (i == n / 2) want_half = want;
  }
  expect_int(db, "hot", STRATA_OK, want);
  strata_read_options ro;
  strata_read_options_init(&ro);
  ro.snapshot = half;
  void *v;
  size_t len;
  assert_int_equal(strata_get_at(db, &ro, K("hot"), &v, &len), STRATA_OK);
  char text[32];
  snprintf(text, sizeof text, "%lld", (long long)want_half);
  assert_string_equal(v, text);
  strata_free(v);
  /* The greatest ts is 999; of the writes with it the newest wins. */
  long last999 = 0;
  for (long i = 1; i <= n; i++)
    if (i * 7919 % 1000 == 999) last999 = i;
  char want_pos[2] = {"abcdefgh"[last999 % 8], 0};
  expect_latest(db, "pos", STRATA_OK, 999, want_pos);
  assert_int_equal(strata_get(db, K("list"), &v, &len), STRATA_OK);
  assert_int_equal(len, 40000);
  strata_free(v);
  /* Backward onto the hot keys from the end: each is resolved at once,
   * not stepped back through. */
  strata_iter *rev;
  assert_int_equal(strata_iter_new(db, NULL, &rev), STRATA_OK);
  strata_iter_seek_last(rev);
  size_t bl;
  assert_memory_equal(strata_iter_key(rev, &bl), "pos", 3);
  strata_iter_prev(rev);
  strata_iter_prev(rev);
  assert_memory_equal(strata_iter_key(rev, &bl), "hot", 3);
  strata_iter_free(rev);
  /* A scan reads the run summaries too: the same answers, both ways, now
   * and at the snapshot. */
  for (int at_half = 0; at_half < 2; at_half++) {
    strata_iter *it;
    assert_int_equal(strata_iter_new(db, at_half ? &ro : NULL, &it), STRATA_OK);
    snprintf(text, sizeof text, "%lld", (long long)(at_half ? want_half : want));
    for (int back = 0; back < 2; back++) {
      back ? strata_iter_seek_for_prev(it, K("hot")) : strata_iter_seek(it, K("hot"));
      for (int step = 0; step < 2; step++) { /* there, then back again after a step on */
        size_t kl, vl;
        assert_true(strata_iter_valid(it));
        assert_memory_equal(strata_iter_key(it, &kl), "hot", 3);
        const char *iv = strata_iter_value(it, &vl);
        assert_int_equal(vl, strlen(text));
        assert_memory_equal(iv, text, vl);
        strata_iter_next(it);
        assert_true(strata_iter_valid(it));
        assert_memory_equal(strata_iter_key(it, &kl), at_half ? "pos" : "list", 3); /* no list yet at the snapshot */
        strata_iter_prev(it);
      }
    }
    strata_iter_free(it);
  }
  strata_snapshot_release(db, half);
  assert_int_equal(strata_close(db), STRATA_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(counters, setup, teardown),
      cmocka_unit_test_setup_teardown(latest_wins, setup, teardown),
      cmocka_unit_test_setup_teardown(lists, setup, teardown),
      cmocka_unit_test_setup_teardown(list_over_max_value_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(bounded_lists, setup, teardown),
      cmocka_unit_test_setup_teardown(flush_of_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(batches_mix_kinds, setup, teardown),
      cmocka_unit_test(list_next_rejects_bad_bytes),
      cmocka_unit_test_setup_teardown(snapshots_survive_collapsing, setup, teardown),
      cmocka_unit_test_setup_teardown(iterators_resolve, setup, teardown),
      cmocka_unit_test_setup_teardown(hot_keys, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
