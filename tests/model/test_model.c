/*
 * test_model.c - the randomized model test: random puts, deletes, batches,
 * flushes, reopens, snapshots and iterator walks (both directions, with
 * bounds), each checked against a simple in-memory reference after every
 * step. A small memtable makes flushes frequent. The seed is printed;
 * STRATA_TEST_SEED replays a run, STRATA_MODEL_OPS sets its length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/random.h"
#include "testutil.h"

#define KEYS 1500
#define MAX_SNAPS 4

/* The reference: the value of each key (NULL = absent). */
typedef struct model {
  char *val[KEYS];
  size_t len[KEYS];
} model;

typedef struct snap {
  const strata_snapshot *s;
  model m;
} snap;

static void key_of(char *out, int k) { snprintf(out, 24, "key%05d", k); }

static void model_set(model *m, int k, const char *v, size_t n) {
  free(m->val[k]);
  m->val[k] = NULL;
  m->len[k] = 0;
  if (v) {
    m->val[k] = malloc(n ? n : 1);
    memcpy(m->val[k], v, n);
    m->len[k] = n;
  }
}

static void model_copy(model *dst, const model *src) {
  for (int k = 0; k < KEYS; k++) {
    dst->val[k] = NULL;
    model_set(dst, k, src->val[k], src->len[k]);
  }
}

static void model_free(model *m) {
  for (int k = 0; k < KEYS; k++) model_set(m, k, NULL, 0);
}

/* A value whose length varies a lot, so blocks fill unevenly. */
static size_t make_value(st_random *r, char *buf, int k) {
  size_t n = (size_t)snprintf(buf, 64, "v%d-%llu-", k, (unsigned long long)st_random_uniform(r, 1000000));
  size_t extra = st_random_uniform(r, 8) == 0 ? st_random_uniform(r, 600) : st_random_uniform(r, 20);
  for (size_t i = 0; i < extra; i++) buf[n + i] = (char)('a' + (i % 26));
  return n + extra;
}

static void check_get(strata_db *db, const strata_snapshot *s, const model *m, int k, uint64_t seed) {
  char key[24];
  key_of(key, k);
  strata_read_options ro;
  strata_read_options_init(&ro);
  ro.snapshot = s;
  void *v;
  size_t n;
  int rc = strata_get_at(db, &ro, key, strlen(key), &v, &n);
  if (m->val[k]) {
    if (rc != STRATA_OK) fail_msg("seed %llu: get %s: %s (%s)", (unsigned long long)seed, key, strata_strerror(rc), strata_errmsg());
    if (n != m->len[k] || memcmp(v, m->val[k], n) != 0) fail_msg("seed %llu: get %s: wrong value", (unsigned long long)seed, key);
    strata_free(v);
  } else if (rc != STRATA_NOTFOUND) {
    fail_msg("seed %llu: get %s: expected not found, got %s", (unsigned long long)seed, key, strata_strerror(rc));
  }
}

static int next_live(const model *m, int from, int lo, int hi) {
  for (int k = from < lo ? lo : from; k < hi; k++)
    if (m->val[k]) return k;
  return -1;
}
static int prev_live(const model *m, int from, int lo, int hi) {
  for (int k = from >= hi ? hi - 1 : from; k >= lo; k--)
    if (m->val[k]) return k;
  return -1;
}

static void expect_iter(strata_iter *it, const model *m, int k, uint64_t seed, int step) {
  if (k < 0) {
    if (strata_iter_valid(it)) fail_msg("seed %llu step %d: iterator should be at the end", (unsigned long long)seed, step);
    assert_int_equal(strata_iter_status(it), STRATA_OK);
    return;
  }
  if (!strata_iter_valid(it))
    fail_msg("seed %llu step %d: iterator ended early (%s)", (unsigned long long)seed, step,
             strata_strerror(strata_iter_status(it)));
  char key[24];
  key_of(key, k);
  size_t kl, vl;
  const void *kp = strata_iter_key(it, &kl), *vp = strata_iter_value(it, &vl);
  if (kl != strlen(key) || memcmp(kp, key, kl) != 0)
    fail_msg("seed %llu step %d: iterator at %.*s, expected %s", (unsigned long long)seed, step, (int)kl,
             (const char *)kp, key);
  if (vl != m->len[k] || memcmp(vp, m->val[k], vl) != 0)
    fail_msg("seed %llu step %d: iterator value of %s differs", (unsigned long long)seed, step, key);
}

/* A random walk of an iterator at snapshot s (NULL = now), with bounds. */
static void walk(st_random *r, strata_db *db, const strata_snapshot *s, const model *m, uint64_t seed) {
  strata_read_options ro;
  strata_read_options_init(&ro);
  ro.snapshot = s;
  int lo = 0, hi = KEYS;
  char lo_key[24], hi_key[24];
  if (st_random_uniform(r, 2)) {
    lo = (int)st_random_uniform(r, KEYS);
    hi = lo + (int)st_random_uniform(r, (uint64_t)(KEYS - lo + 1));
    key_of(lo_key, lo);
    key_of(hi_key, hi);
    ro.lower = lo_key;
    ro.lower_len = strlen(lo_key);
    if (hi < KEYS) {
      ro.upper = hi_key;
      ro.upper_len = strlen(hi_key);
    }
  }
  strata_iter *it;
  assert_int_equal(strata_iter_new(db, &ro, &it), STRATA_OK);
  int cur = -1;
  for (int step = 0; step < 30; step++) {
    int k = (int)st_random_uniform(r, KEYS);
    char key[24];
    key_of(key, k);
    switch (st_random_uniform(r, 6)) {
    case 0: strata_iter_seek_first(it); cur = next_live(m, lo, lo, hi); break;
    case 1: strata_iter_seek_last(it); cur = prev_live(m, hi - 1, lo, hi); break;
    case 2: strata_iter_seek(it, key, strlen(key)); cur = next_live(m, k, lo, hi); break;
    case 3: strata_iter_seek_for_prev(it, key, strlen(key)); cur = prev_live(m, k, lo, hi); break;
    case 4:
      if (cur < 0) continue;
      strata_iter_next(it);
      cur = next_live(m, cur + 1, lo, hi);
      break;
    default:
      if (cur < 0) continue;
      strata_iter_prev(it);
      cur = prev_live(m, cur - 1, lo, hi);
      break;
    }
    expect_iter(it, m, cur, seed, step);
  }
  strata_iter_free(it);
}

/* Small sizes so that flushes happen often; with compacting, also tiny
 * levels and tables so that compactions run through every level. */
static int compacting;

static strata_db *open_small(const char *dir) {
  strata_options o;
  strata_options_init(&o);
  o.memtable_bytes = 128 << 10;
  o.block_bytes = 512;
  o.block_cache_bytes = 256 << 10;
  if (compacting) {
    o.memtable_bytes = 32 << 10;
    tu_options_tiny_levels(&o);
  }
  return tu_open(dir, &o);
}

static void random_operations(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  uint64_t seed = (uint64_t)tu_env_long("STRATA_TEST_SEED", (long)time(NULL));
  long ops = tu_env_long("STRATA_MODEL_OPS", 200000);
  printf("model: seed %llu, %ld operations\n", (unsigned long long)seed, ops);
  st_random r;
  st_random_seed(&r, seed);
  model *m = calloc(1, sizeof *m);
  snap snaps[MAX_SNAPS];
  int nsnaps = 0;
  strata_db *db = open_small(dir);
  strata_batch *b = strata_batch_new();
  char key[24], val[700];
  long flushes = 0, reopens = 0, walks = 0;
  for (long i = 0; i < ops; i++) {
    uint64_t dice = st_random_uniform(&r, 10000);
    int k = (int)st_random_uniform(&r, KEYS);
    key_of(key, k);
    if (dice < 5500) { /* put */
      size_t n = make_value(&r, val, k);
      assert_int_equal(strata_put(db, key, strlen(key), val, n), STRATA_OK);
      model_set(m, k, val, n);
    } else if (dice < 7000) { /* delete */
      assert_int_equal(strata_delete(db, key, strlen(key)), STRATA_OK);
      model_set(m, k, NULL, 0);
    } else if (dice < 7600) { /* batch of mixed writes, applied after all of them */
      strata_batch_clear(b);
      int n = 1 + (int)st_random_uniform(&r, 8);
      model staged;
      model_copy(&staged, m);
      for (int j = 0; j < n; j++) {
        int bk = (int)st_random_uniform(&r, KEYS);
        key_of(key, bk);
        if (st_random_uniform(&r, 3)) {
          size_t vn = make_value(&r, val, bk);
          strata_batch_put(b, key, strlen(key), val, vn);
          model_set(&staged, bk, val, vn);
        } else {
          strata_batch_delete(b, key, strlen(key));
          model_set(&staged, bk, NULL, 0);
        }
      }
      assert_int_equal(strata_write(db, b, 0), STRATA_OK);
      model_free(m);
      *m = staged;
    } else if (dice < 9400) { /* point read, now or at a snapshot */
      if (nsnaps && st_random_uniform(&r, 2)) {
        snap *s = &snaps[st_random_uniform(&r, (uint64_t)nsnaps)];
        check_get(db, s->s, &s->m, k, seed);
      } else {
        check_get(db, NULL, m, k, seed);
      }
    } else if (dice < 9700) { /* iterator walk */
      walks++;
      if (nsnaps && st_random_uniform(&r, 2)) {
        snap *s = &snaps[st_random_uniform(&r, (uint64_t)nsnaps)];
        walk(&r, db, s->s, &s->m, seed);
      } else {
        walk(&r, db, NULL, m, seed);
      }
    } else if (dice < 9850) { /* take or release a snapshot */
      if (nsnaps < MAX_SNAPS && st_random_uniform(&r, 2)) {
        snaps[nsnaps].s = strata_snapshot_new(db);
        assert_non_null(snaps[nsnaps].s);
        model_copy(&snaps[nsnaps].m, m);
        nsnaps++;
      } else if (nsnaps) {
        int j = (int)st_random_uniform(&r, (uint64_t)nsnaps);
        strata_snapshot_release(db, snaps[j].s);
        model_free(&snaps[j].m);
        snaps[j] = snaps[--nsnaps];
      }
    } else if (dice < 9860) { /* flush, or with compactions, compact a range */
      if (compacting && st_random_uniform(&r, 4) == 0) {
        char lo[24], hi[24];
        int a = (int)st_random_uniform(&r, KEYS), n = (int)st_random_uniform(&r, KEYS / 4);
        key_of(lo, a);
        key_of(hi, a + n);
        assert_int_equal(strata_compact_range(db, lo, strlen(lo), hi, strlen(hi)), STRATA_OK);
      } else {
        assert_int_equal(strata_flush(db), STRATA_OK);
      }
      flushes++;
    } else if (dice < 9865) { /* reopen (snapshots do not survive it) */
      while (nsnaps) {
        strata_snapshot_release(db, snaps[nsnaps - 1].s);
        model_free(&snaps[--nsnaps].m);
      }
      assert_int_equal(strata_close(db), STRATA_OK);
      db = open_small(dir);
      reopens++;
      /* Everything reads back after a reopen. */
      for (int j = 0; j < KEYS; j += 7) check_get(db, NULL, m, j, seed);
    } else { /* point read of a key just written to */
      check_get(db, NULL, m, k, seed);
    }
  }
  while (nsnaps) {
    strata_snapshot_release(db, snaps[nsnaps - 1].s);
    model_free(&snaps[--nsnaps].m);
  }
  for (int j = 0; j < KEYS; j++) check_get(db, NULL, m, j, seed);
  printf("model: %ld explicit flushes or compactions, %ld reopens, %ld iterator walks\n", flushes, reopens, walks);
  if (compacting) {
    char *text;
    assert_int_equal(strata_property(db, "strata.levels", &text), STRATA_OK);
    printf("%s", text);
    strata_free(text);
    printf("model: %llu compactions, %llu trivial moves since the last reopen\n", tu_stat(db, "compaction.count"),
           tu_stat(db, "compaction.trivial_moves"));
  }
  strata_batch_free(b);
  assert_int_equal(strata_close(db), STRATA_OK);
  model_free(m);
  free(m);
  tu_rmdir(dir);
}

/* The same with compactions running through every level meanwhile. */
static void random_operations_with_compactions(void **state) {
  compacting = 1;
  random_operations(state);
  compacting = 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(random_operations),
      cmocka_unit_test(random_operations_with_compactions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
