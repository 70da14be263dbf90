/* test_skiplist.c - ordering, seeks and movement, long scans both ways,
 * and lock-free readers racing one writer (run under TSan by the suite). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/random.h"
#include "mem/skiplist.h"
#include "testutil.h"

static int cmp(const char *a, const char *b) { return strcmp(a, b); }

static char *key_of(st_arena *a, uint64_t n) {
  char *k = st_arena_alloc(a, 24);
  snprintf(k, 24, "k%012llu", (unsigned long long)n);
  return k;
}

/* order[0..n) = the even numbers 0 .. 2n - 2, shuffled from seed; the
 * generator is returned for more draws. */
static st_random shuffled_evens(uint64_t *order, int n, uint64_t seed) {
  for (int i = 0; i < n; i++) order[i] = (uint64_t)i * 2;
  st_random r;
  st_random_seed(&r, seed);
  for (int i = n - 1; i > 0; i--) {
    int j = (int)st_random_uniform(&r, (uint64_t)i + 1);
    uint64_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return r;
}

static void ordered_iteration_and_seek(void **state) {
  (void)state;
  st_arena a;
  st_arena_init(&a);
  st_skiplist l;
  assert_int_equal(st_skiplist_init(&l, &a, cmp), STRATA_OK);
  st_skiplist_iter it;
  st_skiplist_iter_init(&it, &l);
  st_skiplist_iter_seek_first(&it);
  assert_false(st_skiplist_iter_valid(&it));
  st_skiplist_iter_seek_last(&it);
  assert_false(st_skiplist_iter_valid(&it));

  /* Even numbers 0..1998 in a shuffled order. */
  enum { N = 1000 };
  uint64_t order[N];
  shuffled_evens(order, N, 7);
  /* Half the entries live in their own node (st_skiplist_alloc_entry),
   * half elsewhere; some rooms are made and abandoned. */
  for (int i = 0; i < N; i++) {
    if (i % 10 < 2) assert_non_null(st_skiplist_alloc_entry(&l, 24)); /* forgotten by what follows */
    char *k = i % 2 ? key_of(&a, order[i]) : st_skiplist_alloc_entry(&l, 24);
    assert_non_null(k);
    if (i % 2 == 0) snprintf(k, 24, "k%012llu", (unsigned long long)order[i]);
    assert_int_equal(st_skiplist_insert(&l, k), STRATA_OK);
  }

  int count = 0;
  const char *prev = NULL;
  for (st_skiplist_iter_seek_first(&it); st_skiplist_iter_valid(&it); st_skiplist_iter_next(&it)) {
    if (prev) assert_true(strcmp(prev, st_skiplist_iter_entry(&it)) < 0);
    prev = st_skiplist_iter_entry(&it);
    count++;
  }
  assert_int_equal(count, N);

  /* Seek to an odd number lands on the next even one; prev steps back. */
  char target[24];
  snprintf(target, sizeof target, "k%012llu", 501ull);
  st_skiplist_iter_seek(&it, target);
  assert_true(st_skiplist_iter_valid(&it));
  assert_string_equal(st_skiplist_iter_entry(&it), "k000000000502");
  st_skiplist_iter_prev(&it);
  assert_string_equal(st_skiplist_iter_entry(&it), "k000000000500");
  st_skiplist_iter_seek_first(&it);
  st_skiplist_iter_prev(&it);
  assert_false(st_skiplist_iter_valid(&it));
  st_skiplist_iter_seek_last(&it);
  assert_string_equal(st_skiplist_iter_entry(&it), "k000000001998");
  st_skiplist_iter_next(&it);
  assert_false(st_skiplist_iter_valid(&it));
  snprintf(target, sizeof target, "k%012llu", 5000ull);
  st_skiplist_iter_seek(&it, target);
  assert_false(st_skiplist_iter_valid(&it));
  st_arena_destroy(&a);
}

typedef struct race {
  st_skiplist list;
  atomic_uint_fast64_t published; /* keys 0..published-1 are inserted */
  atomic_int stop;
  uint64_t total;
  atomic_int errors;
} race;

static void *reader(void *arg) {
  race *r = arg;
  st_random rnd;
  st_random_seed(&rnd, (uint64_t)(uintptr_t)pthread_self());
  st_skiplist_iter it;
  st_skiplist_iter_init_scan(&it, &r->list);
  while (!atomic_load(&r->stop)) {
    uint64_t pub = atomic_load(&r->published);
    if (pub == 0) continue;
    uint64_t want = st_random_uniform(&rnd, pub);
    char target[24];
    snprintf(target, sizeof target, "k%012llu", (unsigned long long)want);
    st_skiplist_iter_seek(&it, target);
    if (!st_skiplist_iter_valid(&it) || strcmp(st_skiplist_iter_entry(&it), target) != 0)
      atomic_fetch_add(&r->errors, 1);
    /* A walk, short or long enough to fetch ahead, sees every key
     * published before it began, in order, with no gap. */
    int steps = st_random_uniform(&rnd, 4) == 0 ? 600 : 20;
    for (int i = 0; i < steps && st_skiplist_iter_valid(&it); i++, st_skiplist_iter_next(&it)) {
      unsigned long long got;
      if (sscanf(st_skiplist_iter_entry(&it), "k%llu", &got) != 1 || got != want + (uint64_t)i) {
        atomic_fetch_add(&r->errors, 1);
        break;
      }
      if (want + (uint64_t)i + 1 >= pub) break; /* later keys may not be linked yet */
    }
  }
  st_skiplist_iter_release(&it);
  return NULL;
}

static void readers_race_one_writer(void **state) {
  (void)state;
  st_arena a;
  st_arena_init(&a);
  race *r = calloc(1, sizeof *r);
  assert_int_equal(st_skiplist_init(&r->list, &a, cmp), STRATA_OK);
  r->total = (uint64_t)tu_env_long("STRATA_TEST_SKIPLIST_KEYS", 100000);
  pthread_t th[3];
  for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, reader, r);
  /* Keys go in ascending order; readers look up only published ones. */
  for (uint64_t i = 0; i < r->total; i++) {
    assert_int_equal(st_skiplist_insert(&r->list, key_of(&a, i)), STRATA_OK);
    atomic_store(&r->published, i + 1);
  }
  atomic_store(&r->stop, 1);
  for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
  assert_int_equal(atomic_load(&r->errors), 0);
  free(r);
  st_arena_destroy(&a);
}

enum { N = 50000 };

/* A list of the even numbers below 2N, each in its node, inserted in an
 * order shuffled from seed; the generator is returned for more draws. */
static st_random random_list(st_arena *a, st_skiplist *l, uint64_t seed) {
  st_arena_init(a);
  assert_int_equal(st_skiplist_init(l, a, cmp), STRATA_OK);
  uint64_t *order = malloc(N * sizeof *order);
  st_random r = shuffled_evens(order, N, seed);
  for (int i = 0; i < N; i++) {
    char *k = st_skiplist_alloc_entry(l, 24);
    snprintf(k, 24, "k%012llu", (unsigned long long)order[i]);
    assert_int_equal(st_skiplist_insert(l, k), STRATA_OK);
  }
  free(order);
  return r;
}

/* Long scans of a list filled in random order, from random places: the
 * nodes fetched ahead (skiplist.c) come in order, with none missing. */
static void long_scans_fetch_ahead(void **state) {
  (void)state;
  st_arena a;
  st_skiplist l;
  st_random r = random_list(&a, &l, 11);
  st_skiplist_iter it;
  st_skiplist_iter_init_scan(&it, &l);
  for (int scan = 0; scan < 300; scan++) {
    /* Up to several buffers' worth (ST_SKIPLIST_AHEAD), each filled by many runs at once. */
    uint64_t from = st_random_uniform(&r, 2 * N), len = st_random_uniform(&r, 6 * ST_SKIPLIST_AHEAD);
    char target[24];
    snprintf(target, sizeof target, "k%012llu", (unsigned long long)from);
    st_skiplist_iter_seek(&it, target);
    uint64_t want = (from + 1) / 2 * 2; /* the first even number >= from */
    for (uint64_t i = 0; i < len; i++, want += 2) {
      if (want >= 2 * N) {
        assert_false(st_skiplist_iter_valid(&it));
        break;
      }
      assert_true(st_skiplist_iter_valid(&it));
      unsigned long long got;
      assert_int_equal(sscanf(st_skiplist_iter_entry(&it), "k%llu", &got), 1);
      if (got != want)
        fail_msg("scan %d from %llu: expected %llu, found %llu", scan, (unsigned long long)from,
                 (unsigned long long)want, got);
      st_skiplist_iter_next(&it);
    }
  }
  st_skiplist_iter_release(&it);
  st_arena_destroy(&a);
}

/* Scans back (skiplist.c: a stretch at a time) of a list filled in random
 * order, from random places, turning forward and back now and then, and
 * off the front: every key in order, none missing. */
static void long_scans_back_and_forth(void **state) {
  (void)state;
  st_arena a;
  st_skiplist l;
  st_random r = random_list(&a, &l, 12);
  st_skiplist_iter it;
  st_skiplist_iter_init_scan(&it, &l);
  int64_t want = 2 * N - 2, seen = 0;
  for (st_skiplist_iter_seek_last(&it); st_skiplist_iter_valid(&it); st_skiplist_iter_prev(&it), want -= 2, seen++) {
    unsigned long long got;
    assert_int_equal(sscanf(st_skiplist_iter_entry(&it), "k%llu", &got), 1);
    if ((int64_t)got != want) fail_msg("whole scan back: expected %lld, found %llu", (long long)want, got);
  }
  assert_int_equal(seen, N);
  for (int scan = 0; scan < 300; scan++) {
    uint64_t from = st_random_uniform(&r, 2 * N), len = st_random_uniform(&r, 2000);
    char target[24];
    snprintf(target, sizeof target, "k%012llu", (unsigned long long)from);
    st_skiplist_iter_seek(&it, target);
    want = (int64_t)(from + 1) / 2 * 2;
    for (uint64_t i = 0; i < len; i++) {
      if (want < 0 || want >= 2 * N) {
        assert_false(st_skiplist_iter_valid(&it));
        break;
      }
      assert_true(st_skiplist_iter_valid(&it));
      unsigned long long got;
      assert_int_equal(sscanf(st_skiplist_iter_entry(&it), "k%llu", &got), 1);
      if ((int64_t)got != want)
        fail_msg("scan %d from %llu, step %llu: expected %lld, found %llu", scan, (unsigned long long)from,
                 (unsigned long long)i, (long long)want, got);
      if (st_random_uniform(&r, 100) < 3) {
        st_skiplist_iter_next(&it);
        want += 2;
      } else {
        st_skiplist_iter_prev(&it);
        want -= 2;
      }
    }
  }
  st_skiplist_iter_release(&it);
  st_arena_destroy(&a);
}

/* One writer inserts even numbers in random order, marking each once
 * linked; readers walk back from random places, each stretch while the
 * writer links nodes inside it: keys strictly fall, and every key marked
 * before the walk began is met. */
typedef struct back_race {
  st_skiplist list;
  atomic_uchar *linked;
  atomic_int stop, errors;
} back_race;

enum { BACK_RACE_N = 40000, BACK_RACE_WALK = 300 };

static void *back_reader(void *arg) {
  back_race *b = arg;
  st_random rnd;
  st_random_seed(&rnd, (uint64_t)(uintptr_t)pthread_self());
  st_skiplist_iter it;
  st_skiplist_iter_init_scan(&it, &b->list);
  unsigned char *before = malloc(BACK_RACE_WALK);
  while (!atomic_load(&b->stop)) {
    uint64_t top = BACK_RACE_WALK + st_random_uniform(&rnd, BACK_RACE_N - BACK_RACE_WALK); /* a key number */
    for (int i = 0; i < BACK_RACE_WALK; i++) before[i] = atomic_load(&b->linked[top - (uint64_t)i]);
    char target[24];
    snprintf(target, sizeof target, "k%012llu", (unsigned long long)(2 * top + 1));
    st_skiplist_iter_seek(&it, target);
    if (st_skiplist_iter_valid(&it))
      st_skiplist_iter_prev(&it);
    else
      st_skiplist_iter_seek_last(&it);
    /* The walk covers key numbers [low, top]: every one linked before
     * it began is met, in falling order. */
    int64_t low = (int64_t)top - BACK_RACE_WALK + 1, expect = (int64_t)top;
    unsigned long long last = ~0ull;
    for (; st_skiplist_iter_valid(&it) && expect >= low; st_skiplist_iter_prev(&it)) {
      unsigned long long got;
      if (sscanf(st_skiplist_iter_entry(&it), "k%llu", &got) != 1 || got >= last) {
        atomic_fetch_add(&b->errors, 1);
        break;
      }
      last = got;
      if (got / 2 > top) continue; /* linked since the seek, between its target and where it landed */
      for (; expect > (int64_t)(got / 2) && expect >= low; expect--)
        if (before[top - (uint64_t)expect]) atomic_fetch_add(&b->errors, 1); /* passed a key linked before the walk */
      expect = (int64_t)(got / 2) - 1;
    }
    if (!st_skiplist_iter_valid(&it)) /* ran off the front: nothing may be left */
      for (; expect >= low; expect--)
        if (before[top - (uint64_t)expect]) atomic_fetch_add(&b->errors, 1);
  }
  free(before);
  st_skiplist_iter_release(&it);
  return NULL;
}

static void back_walks_race_one_writer(void **state) {
  (void)state;
  st_arena a;
  st_arena_init(&a);
  back_race *b = calloc(1, sizeof *b);
  b->linked = calloc(BACK_RACE_N, sizeof *b->linked);
  assert_int_equal(st_skiplist_init(&b->list, &a, cmp), STRATA_OK);
  uint64_t *order = malloc(BACK_RACE_N * sizeof *order);
  shuffled_evens(order, BACK_RACE_N, 13);
  pthread_t th[2];
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, back_reader, b);
  for (int i = 0; i < BACK_RACE_N; i++) {
    assert_int_equal(st_skiplist_insert(&b->list, key_of(&a, order[i])), STRATA_OK);
    atomic_store(&b->linked[order[i] / 2], 1);
  }
  atomic_store(&b->stop, 1);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  assert_int_equal(atomic_load(&b->errors), 0);
  free(order);
  free(b->linked);
  free(b);
  st_arena_destroy(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ordered_iteration_and_seek), cmocka_unit_test(long_scans_fetch_ahead),
      cmocka_unit_test(long_scans_back_and_forth),  cmocka_unit_test(readers_race_one_writer),
      cmocka_unit_test(back_walks_race_one_writer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
