/* test_range_del.c - fragmented range-tombstone lists (format/range_del.h)
 * against brute force: random tombstones over a small key space, every
 * key at every snapshot; the lookup's stretch of equal answers; the
 * garbage rules for flushes and compactions; the end encoding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/random.h"
#include "format/range_del.h"
#include "testutil.h"

#define SPACE 40 /* keys "k00" .. "k39", and bounds in between ("k05x") */

/* With a long common prefix the lists' 16-byte search prefixes tie, and
 * the search falls back to the keys: both paths are checked. */
static const char *common = "";

static void key_of(char *out, int i, int mid) { snprintf(out, 32, mid ? "%sk%02dx" : "%sk%02d", common, i); }

/* The newest tombstone over key at snap, by brute force. */
static uint64_t brute(const st_rtomb *t, size_t n, const char *key, uint64_t snap) {
  uint64_t best = 0;
  size_t kl = strlen(key);
  for (size_t i = 0; i < n; i++)
    if (t[i].seq <= snap && st_ukey_compare(t[i].begin, t[i].blen, key, kl) <= 0 &&
        (t[i].open || st_ukey_compare(key, kl, t[i].end, t[i].elen) < 0) && t[i].seq > best)
      best = t[i].seq;
  return best;
}

/* 1 when some tombstone meets [lo, hi) (NULL: unbounded), by brute force:
 * the larger begin is below the smaller end. */
static int brute_overlaps(const st_rtomb *t, size_t n, const char *lo, size_t lolen, const char *hi, size_t hilen) {
  for (size_t i = 0; i < n; i++) {
    const char *b = t[i].begin;
    size_t bl = t[i].blen;
    if (lo && st_ukey_compare(lo, lolen, b, bl) > 0) {
      b = lo;
      bl = lolen;
    }
    int below_end = t[i].open || st_ukey_compare(b, bl, t[i].end, t[i].elen) < 0;
    if (below_end && (!hi || st_ukey_compare(b, bl, hi, hilen) < 0)) return 1;
  }
  return 0;
}

static void random_lists_run(void) {
  st_random r;
  st_random_seed(&r, 7);
  static char keys[64][2][32];
  for (int i = 0; i < 64; i++) {
    key_of(keys[i][0], i, 0);
    key_of(keys[i][1], i, 1);
  }
  for (int round = 0; round < 400; round++) {
    /* Lists of a few fragments and of several search blocks. */
    size_t n = st_random_uniform(&r, round % 2 ? 12 : 48);
    st_rtomb t[48];
    for (size_t i = 0; i < n; i++) {
      int a = (int)st_random_uniform(&r, SPACE), b = a + (int)st_random_uniform(&r, 10);
      t[i].begin = keys[a][st_random_uniform(&r, 2)];
      t[i].blen = strlen(t[i].begin);
      t[i].end = keys[b][st_random_uniform(&r, 2)];
      t[i].elen = strlen(t[i].end);
      t[i].open = st_random_uniform(&r, 10) == 0;
      t[i].seq = 1 + st_random_uniform(&r, 30); /* repeats too: a list may hold one seq twice */
    }
    st_rtombs *l;
    assert_int_equal(st_rtombs_build(t, n, &l), STRATA_OK);
    assert_int_equal(l->raw, n);
    for (size_t f = 0; f + 1 < l->n; f++) { /* sorted, not overlapping, seqs newest first */
      assert_false(l->frags[f].open);
      assert_true(st_ukey_compare(l->frags[f].end, l->frags[f].elen, l->frags[f + 1].start, l->frags[f + 1].slen) <=
                  0);
    }
    for (size_t f = 0; f < l->n; f++)
      for (size_t s = 1; s < l->frags[f].nseqs; s++) assert_true(l->frags[f].seqs[s - 1] > l->frags[f].seqs[s]);
    for (int k = 0; k < 60; k++)
      for (int mid = 0; mid < 2; mid++)
        for (uint64_t snap = 0; snap <= 32; snap += 4) {
          const char *key = keys[k][mid];
          size_t kl = strlen(key);
          uint64_t want = brute(t, n, key, snap);
          assert_true(st_rtombs_cover(l, key, kl, snap) == want);
          st_rlookup at;
          st_rtombs_lookup(l, key, kl, snap, &at);
          assert_true(at.seq == want);
          assert_true(at.lo_none || st_ukey_compare(at.lo, at.lolen, key, kl) <= 0);
          assert_true(at.hi_none || st_ukey_compare(key, kl, at.hi, at.hilen) < 0);
          /* The answer holds over the whole stretch: check its ends. */
          if (!at.lo_none) {
            char lo[32];
            memcpy(lo, at.lo, at.lolen);
            lo[at.lolen] = 0;
            assert_true(brute(t, n, lo, snap) == want);
          }
        }
    for (int q = 0; q < 200; q++) { /* overlaps, against brute force; NULL bounds too */
      int a = (int)st_random_uniform(&r, 62), b = a + (int)st_random_uniform(&r, 64 - a);
      const char *lo = st_random_uniform(&r, 8) ? keys[a][st_random_uniform(&r, 2)] : NULL;
      const char *hi = st_random_uniform(&r, 8) ? keys[b][st_random_uniform(&r, 2)] : NULL;
      size_t lolen = lo ? strlen(lo) : 0, hilen = hi ? strlen(hi) : 0;
      assert_int_equal(st_rtombs_overlaps(l, lo, lolen, hi, hilen), brute_overlaps(t, n, lo, lolen, hi, hilen));
    }
    st_rtombs_unref(l);
  }
}

static void random_lists(void **state) {
  (void)state;
  common = "";
  random_lists_run();
  common = "partition-0123456789/"; /* 21 bytes in common */
  random_lists_run();
  common = "";
}

static void empty_and_degenerate(void **state) {
  (void)state;
  st_rtombs *l;
  assert_int_equal(st_rtombs_build(NULL, 0, &l), STRATA_OK);
  assert_int_equal(l->n, 0);
  assert_true(st_rtombs_cover(l, "a", 1, 100) == 0);
  st_rtombs_unref(l);
  assert_true(st_rtombs_cover(NULL, "a", 1, 100) == 0);
  /* begin >= end covers nothing; the empty key can begin a range. */
  st_rtomb t[2] = {{"b", 1, "b", 1, 0, 5}, {"", 0, "a", 1, 0, 3}};
  assert_int_equal(st_rtombs_build(t, 2, &l), STRATA_OK);
  assert_int_equal(l->n, 1);
  assert_true(st_rtombs_cover(l, "", 0, 10) == 3);
  assert_true(st_rtombs_cover(l, "a", 1, 10) == 0);
  assert_true(st_rtombs_cover(l, "b", 1, 10) == 0);
  st_rtombs_unref(l);
}

/* Which bounds a list's fragments meet ([b, d) and [f, past the end)). */
static void overlaps(void **state) {
  (void)state;
  st_rtomb t[2] = {{"b", 1, "d", 1, 0, 5}, {"f", 1, NULL, 0, 1, 7}};
  st_rtombs *l;
  assert_int_equal(st_rtombs_build(t, 2, &l), STRATA_OK);
  assert_false(st_rtombs_overlaps(l, "a", 1, "b", 1));
  assert_true(st_rtombs_overlaps(l, "a", 1, "b\0", 2));
  assert_true(st_rtombs_overlaps(l, "c", 1, "c\0", 2));
  assert_false(st_rtombs_overlaps(l, "c", 1, "c", 1)); /* an empty range meets nothing */
  assert_false(st_rtombs_overlaps(l, "d", 1, "f", 1));
  assert_true(st_rtombs_overlaps(l, "d", 1, "f\0", 2));
  assert_true(st_rtombs_overlaps(l, "zz", 2, NULL, 0));
  assert_false(st_rtombs_overlaps(l, NULL, 0, "b", 1));
  assert_true(st_rtombs_overlaps(l, NULL, 0, NULL, 0));
  st_rtombs_unref(l);
  assert_int_equal(st_rtombs_build(t, 1, &l), STRATA_OK);
  assert_false(st_rtombs_overlaps(l, "d", 1, NULL, 0));
  assert_true(st_rtombs_overlaps(l, "a", 1, NULL, 0));
  st_rtombs_unref(l);
  assert_false(st_rtombs_overlaps(NULL, NULL, 0, NULL, 0));
}

static void garbage_rules(void **state) {
  (void)state;
  uint64_t seqs[] = {30, 20, 10};
  st_rfrag f = {"a", 1, "z", 1, 0, seqs, 3};
  uint64_t none[1] = {0}, snaps[] = {15, 25};
  /* No snapshots: anything older than a tombstone is hidden from all. */
  assert_int_equal(st_rfrag_judge(&f, 5, none, 0), ST_RFRAG_HIDDEN);
  assert_int_equal(st_rfrag_judge(&f, 31, none, 0), ST_RFRAG_NONE);
  /* Snapshot 15 sees seq 12 (tombstone 20 is newer than it). */
  assert_int_equal(st_rfrag_judge(&f, 12, snaps, 2), ST_RFRAG_SEEN);
  assert_int_equal(st_rfrag_judge(&f, 22, snaps, 2), ST_RFRAG_SEEN); /* snapshot 25 < 30 */
  assert_int_equal(st_rfrag_judge(&f, 5, snaps, 2), ST_RFRAG_HIDDEN); /* tombstone 10 before every snapshot */
  uint64_t out[3];
  assert_int_equal(st_rfrag_live_seqs(&f, none, 0, out), 1);
  assert_true(out[0] == 30);
  assert_int_equal(st_rfrag_live_seqs(&f, snaps, 2, out), 3); /* 15 in [10, 20), 25 in [20, 30) */
  uint64_t one[] = {12};
  assert_int_equal(st_rfrag_live_seqs(&f, one, 1, out), 2);
  assert_true(out[0] == 30 && out[1] == 10);
  assert_true(st_snapshot_between(snaps, 2, 15, 16));
  assert_false(st_snapshot_between(snaps, 2, 16, 25));
}

static void end_encoding(void **state) {
  (void)state;
  char buf[16];
  const char *e;
  size_t el;
  int open;
  size_t n = st_range_end_put(buf, "xyz", 3, 0);
  assert_int_equal(n, 4);
  assert_int_equal(st_range_end_get(buf, n, &e, &el, &open), 0);
  assert_int_equal(el, 3);
  assert_memory_equal(e, "xyz", 3);
  assert_false(open);
  n = st_range_end_put(buf, NULL, 0, 1);
  assert_int_equal(st_range_end_get(buf, n, &e, &el, &open), 0);
  assert_true(open);
  assert_int_equal(st_range_end_get(buf, 0, &e, &el, &open), -1);
  assert_int_equal(st_range_end_get("\x07", 1, &e, &el, &open), -1);
  assert_int_equal(st_range_end_get("\x00x", 2, &e, &el, &open), -1); /* open with bytes after */
  /* The open largest key sorts after every key. */
  char inf[8];
  st_put_fixed64(inf, ST_OPEN_LARGEST_TRAILER);
  char k[9];
  st_ikey_pack(k, "z", 1, 0);
  assert_true(st_bound_compare(inf, 8, k, 9) > 0);
  assert_true(st_bound_compare(k, 9, inf, 8) < 0);
  assert_true(st_largest_ukey_compare(inf, 8, "zzzz", 4) > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(random_lists),
      cmocka_unit_test(empty_and_degenerate),
      cmocka_unit_test(overlaps),
      cmocka_unit_test(garbage_rules),
      cmocka_unit_test(end_encoding),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
