/* test_db_iter.c - the merging and database iterators over several
 * memtables, checked against a reference model: random versions and
 * deletes spread across sources, snapshots, bounds, and random walks that
 * change direction. The seed is printed; STRATA_TEST_SEED replays one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/random.h"
#include "format/kind.h"
#include "iter/db_iter.h"
#include "iter/merging_iter.h"
#include "mem/memtable.h"
#include "testutil.h"

#define TEST_BUDGET (1u << 20) /* a memtable with a key filter of 32 KiB */

#define KEYS 60
#define SOURCES 4

typedef struct op {
  uint64_t seq;
  int key;
  int del;
  int val;
} op;

static void key_name(char *out, int k) { snprintf(out, 16, "k%03d", k); }

/* The model: for each key, the newest op at or below snap. *live_out[k]
 * is 1 with its value when the key is visible. */
static void model(const op *ops, int nops, uint64_t snap, int *live, int *val) {
  for (int k = 0; k < KEYS; k++) live[k] = 0;
  uint64_t best[KEYS] = {0};
  for (int i = 0; i < nops; i++) {
    if (ops[i].seq > snap || ops[i].seq < best[ops[i].key]) continue;
    best[ops[i].key] = ops[i].seq;
    live[ops[i].key] = !ops[i].del;
    val[ops[i].key] = ops[i].val;
  }
}

static void expect_at(st_db_iter *it, int k, const int *val) {
  if (k < 0) {
    assert_false(st_db_iter_valid(it));
    assert_int_equal(st_db_iter_status(it), STRATA_OK);
    return;
  }
  assert_true(st_db_iter_valid(it));
  char name[16], v[32];
  key_name(name, k);
  snprintf(v, sizeof v, "v%d", val[k]);
  size_t kl, vl;
  const char *key = st_db_iter_key(it, &kl), *value = st_db_iter_value(it, &vl);
  assert_int_equal(kl, strlen(name));
  assert_memory_equal(key, name, kl);
  assert_int_equal(vl, strlen(v));
  assert_memory_equal(value, v, vl);
}

static int next_live(const int *live, int from, int lo, int hi) {
  for (int k = from < lo ? lo : from; k < hi; k++)
    if (live[k]) return k;
  return -1;
}
static int prev_live(const int *live, int from, int lo, int hi) {
  for (int k = from >= hi ? hi - 1 : from; k >= lo; k--)
    if (live[k]) return k;
  return -1;
}

static void random_walks(void **state) {
  (void)state;
  uint64_t seed = (uint64_t)tu_env_long("STRATA_TEST_SEED", (long)time(NULL));
  printf("db_iter: seed %llu\n", (unsigned long long)seed);
  st_random r;
  st_random_seed(&r, seed);
  int rounds = (int)tu_env_long("STRATA_TEST_ITER_ROUNDS", 300);
  for (int round = 0; round < rounds; round++) {
    /* 1 to SOURCES sources: a heap of two (a scan's memtable over one
     * level) has a path of its own in the merging iterator. */
    int nsrc = 1 + (int)st_random_uniform(&r, SOURCES);
    st_memtable *mem[SOURCES];
    for (int s = 0; s < nsrc; s++) assert_int_equal(st_memtable_new(TEST_BUDGET, &mem[s]), STRATA_OK);
    int nops = 1 + (int)st_random_uniform(&r, 200);
    op *ops = calloc((size_t)nops, sizeof *ops);
    for (int i = 0; i < nops; i++) {
      ops[i] = (op){.seq = (uint64_t)i + 1,
                    .key = (int)st_random_uniform(&r, KEYS),
                    .del = st_random_uniform(&r, 4) == 0,
                    .val = (int)st_random_uniform(&r, 1000)};
      char name[16], v[32];
      key_name(name, ops[i].key);
      snprintf(v, sizeof v, "v%d", ops[i].val);
      /* Newer data tends to sit in "newer" sources, but not always. */
      int s = (int)st_random_uniform(&r, (uint64_t)nsrc);
      assert_int_equal(st_memtable_add(mem[s], ops[i].seq, ops[i].del ? ST_KIND_DELETE : ST_KIND_PUT, name,
                                       strlen(name), v, ops[i].del ? 0 : strlen(v)),
                       STRATA_OK);
    }
    uint64_t snap = st_random_uniform(&r, (uint64_t)nops + 2);
    int live[KEYS], val[KEYS];
    model(ops, nops, snap, live, val);
    int lo = 0, hi = KEYS;
    char lo_name[16], hi_name[16];
    int bounded = st_random_uniform(&r, 2) == 0;
    if (bounded) {
      lo = (int)st_random_uniform(&r, KEYS);
      hi = lo + (int)st_random_uniform(&r, (uint64_t)(KEYS - lo + 1));
      key_name(lo_name, lo);
      key_name(hi_name, hi);
    }
    st_iter *children[SOURCES];
    for (int s = 0; s < nsrc; s++) assert_int_equal(st_memtable_iter_new(mem[s], &children[s]), STRATA_OK);
    st_iter *merged;
    assert_int_equal(st_merging_iter_new(children, (size_t)nsrc, &merged), STRATA_OK);
    st_db_iter *it;
    assert_int_equal(st_db_iter_new(merged, snap, bounded ? lo_name : NULL, strlen(lo_name), bounded ? hi_name : NULL,
                                    strlen(hi_name), &it),
                     STRATA_OK);
    int cur = -1;
    for (int step = 0; step < 60; step++) {
      int what = (int)st_random_uniform(&r, 6);
      int k = (int)st_random_uniform(&r, KEYS + 2) - 1;
      char name[16];
      key_name(name, k < 0 ? 0 : k);
      switch (what) {
        case 0:
          st_db_iter_seek_first(it);
          cur = next_live(live, lo, lo, hi);
          break;
        case 1:
          st_db_iter_seek_last(it);
          cur = prev_live(live, hi - 1, lo, hi);
          break;
        case 2:
          st_db_iter_seek(it, name, strlen(name));
          cur = next_live(live, k < 0 ? 0 : k, lo, hi);
          break;
        case 3:
          st_db_iter_seek_for_prev(it, name, strlen(name));
          cur = prev_live(live, k < 0 ? 0 : k, lo, hi);
          break;
        case 4:
          if (cur < 0) continue;
          st_db_iter_next(it);
          cur = next_live(live, cur + 1, lo, hi);
          break;
        default:
          if (cur < 0) continue;
          st_db_iter_prev(it);
          cur = prev_live(live, cur - 1, lo, hi);
          break;
      }
      expect_at(it, cur, val);
    }
    st_db_iter_free(it);
    for (int s = 0; s < nsrc; s++) st_memtable_unref(mem[s]);
    free(ops);
  }
}

/* The database iterator passes keys inside its merging iterator: any
 * other inner iterator is refused (and freed, which ASan checks). */
static void inner_must_be_merging(void **state) {
  (void)state;
  st_memtable *mem;
  assert_int_equal(st_memtable_new(TEST_BUDGET, &mem), STRATA_OK);
  st_iter *inner;
  assert_int_equal(st_memtable_iter_new(mem, &inner), STRATA_OK);
  st_db_iter *it = (st_db_iter *)&it;
  assert_int_equal(st_db_iter_new(inner, 1, NULL, 0, NULL, 0, &it), STRATA_EINVAL);
  assert_null(it);
  st_memtable_unref(mem);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(random_walks),
      cmocka_unit_test(inner_must_be_merging),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
