/*
 * test_model.c - the randomized model test: random puts, deletes, counter
 * increments, latest-wins values, list appends, batches mixing them,
 * flushes, compactions, reopens, snapshots and iterator walks (both
 * directions, with bounds), each checked against a simple in-memory
 * reference after every step. A small memtable makes flushes frequent. The seed is printed;
 * STRATA_TEST_SEED replays a run, STRATA_MODEL_OPS sets its length.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/random.h"
#include "testutil.h"

#define KEYS 1500
#define MAX_SNAPS 4

/* The reference: what each key holds, kept by the rules of DESIGN.md
 * section 1 written as a state machine (independent of src/merge): each
 * write moves the key from one state to the next. */
enum { M_ABSENT, M_PLAIN, M_COUNTER, M_LATEST, M_LIST, M_ERROR };

typedef struct mkey {
  int state;
  char *val; /* PLAIN: the value; LATEST: the winner's value; LIST: the list encoding */
  size_t len;
  int64_t n;      /* COUNTER */
  uint64_t ts;    /* LATEST */
  uint64_t elems; /* LIST */
} mkey;

typedef struct model {
  mkey k[KEYS];
} model;

typedef struct snap {
  const strata_snapshot *s;
  model m;
} snap;

/* list_max_elements of the run (reads show the newest that many). */
static size_t list_max;

static void key_of(char *out, int k) { snprintf(out, 24, "key%05d", k); }

static void set_bytes(mkey *e, const char *v, size_t n) {
  char *p = malloc(n ? n : 1);
  if (n) memcpy(p, v, n);
  free(e->val);
  e->val = p;
  e->len = n;
}

static void model_set(model *m, int k, const char *v, size_t n) {
  mkey *e = &m->k[k];
  if (!v) {
    free(e->val);
    memset(e, 0, sizeof *e);
    return;
  }
  set_bytes(e, v, n);
  e->state = M_PLAIN;
}

static void fail_key(mkey *e) {
  free(e->val);
  memset(e, 0, sizeof *e);
  e->state = M_ERROR;
}

/* A decimal integer base: optional '-', digits, within int64. */
static int decimal(const char *p, size_t n, int64_t *out) {
  char buf[32];
  if (n == 0 || n >= sizeof buf) return 0;
  memcpy(buf, p, n);
  buf[n] = '\0';
  size_t i = buf[0] == '-';
  if (i == n) return 0;
  for (size_t j = i; j < n; j++)
    if (buf[j] < '0' || buf[j] > '9') return 0;
  /* Leading zeros may make it long: compare against the limits by value. */
  char *end;
  errno = 0;
  long long v = strtoll(buf, &end, 10);
  if (errno == ERANGE || *end) return 0;
  *out = v;
  return 1;
}

static void model_add(model *m, int k, int64_t d) {
  mkey *e = &m->k[k];
  int64_t base;
  switch (e->state) {
    case M_ABSENT: e->n = d; break;
    case M_PLAIN:
      if (!decimal(e->val, e->len, &base)) return fail_key(e);
      e->n = (int64_t)((uint64_t)base + (uint64_t)d);
      break;
    case M_COUNTER: e->n = (int64_t)((uint64_t)e->n + (uint64_t)d); break;
    default: return fail_key(e);
  }
  free(e->val);
  e->val = NULL;
  e->len = 0;
  e->state = M_COUNTER;
}

static void model_latest(model *m, int k, const char *v, size_t n, uint64_t ts) {
  mkey *e = &m->k[k];
  if (e->state == M_LATEST && ts < e->ts) return;
  if (e->state != M_ABSENT && e->state != M_PLAIN && e->state != M_LATEST) return fail_key(e);
  set_bytes(e, v, n);
  e->ts = ts;
  e->state = M_LATEST;
}

static void list_push(mkey *e, const char *v, size_t n) {
  char *p = realloc(e->val, e->len + n + 10);
  size_t h = 0;
  uint64_t x = n;
  do {
    p[e->len + h++] = (char)((x & 0x7f) | (x > 0x7f ? 0x80 : 0));
    x >>= 7;
  } while (x);
  memcpy(p + e->len + h, v, n);
  e->val = p;
  e->len += h + n;
  e->elems++;
}

static void model_append(model *m, int k, const char *v, size_t n) {
  mkey *e = &m->k[k];
  if (e->state == M_PLAIN) {
    char *old = e->val;
    size_t olen = e->len;
    e->val = NULL;
    e->len = 0;
    e->elems = 0;
    list_push(e, old, olen);
    free(old);
  } else if (e->state == M_ABSENT) {
    e->elems = 0;
  } else if (e->state != M_LIST) {
    return fail_key(e);
  }
  list_push(e, v, n);
  e->state = M_LIST;
}

static void model_copy(model *dst, const model *src) {
  for (int k = 0; k < KEYS; k++) {
    dst->k[k] = src->k[k];
    dst->k[k].val = NULL;
    if (src->k[k].val) set_bytes(&dst->k[k], src->k[k].val, src->k[k].len);
  }
}

static void model_free(model *m) {
  for (int k = 0; k < KEYS; k++) model_set(m, k, NULL, 0);
}

static int present(const model *m, int k) { return m->k[k].state != M_ABSENT; }

/* What strata_get returns for a key in a state other than ABSENT and
 * ERROR: into buf (room for 32) or pointing into the model. */
static const char *rendered(const mkey *e, char *buf, size_t *n) {
  if (e->state == M_COUNTER) {
    *n = (size_t)snprintf(buf, 32, "%lld", (long long)e->n);
    return buf;
  }
  if (e->state != M_LIST || !list_max || e->elems <= list_max) {
    *n = e->len;
    return e->val ? e->val : "";
  }
  /* The newest list_max elements. */
  size_t pos = 0;
  for (uint64_t skip = e->elems - list_max; skip; skip--) {
    uint64_t x = 0;
    int shift = 0;
    unsigned char c;
    do {
      c = (unsigned char)e->val[pos++];
      x |= (uint64_t)(c & 0x7f) << shift;
      shift += 7;
    } while (c & 0x80);
    pos += x;
  }
  *n = e->len - pos;
  return e->val + pos;
}

/* A value whose length varies a lot, so blocks fill unevenly; now and then
 * a decimal integer (a counter's base), or text that looks like one. */
static size_t make_value(st_random *r, char *buf, int k) {
  static const char *const numbers[] = {
      "0",  "-0", "007", "42", "-17", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
      "+5", " 5", ""};
  if (st_random_uniform(r, 6) == 0) {
    const char *x = numbers[st_random_uniform(r, sizeof numbers / sizeof numbers[0])];
    memcpy(buf, x, strlen(x));
    return strlen(x);
  }
  size_t n = (size_t)snprintf(buf, 64, "v%d-%llu-", k, (unsigned long long)st_random_uniform(r, 1000000));
  size_t extra = st_random_uniform(r, 8) == 0 ? st_random_uniform(r, 600) : st_random_uniform(r, 20);
  for (size_t i = 0; i < extra; i++) buf[n + i] = (char)('a' + (i % 26));
  return n + extra;
}

static int64_t make_delta(st_random *r) {
  switch (st_random_uniform(r, 20)) {
    case 0: return INT64_MAX;
    case 1: return INT64_MIN;
    case 2: return -(int64_t)st_random_uniform(r, 1000);
    default: return (int64_t)st_random_uniform(r, 100);
  }
}

static uint64_t make_ts(st_random *r) {
  switch (st_random_uniform(r, 30)) {
    case 0: return 0;
    case 1: return UINT64_MAX;
    default: return st_random_uniform(r, 40); /* small: ties happen */
  }
}

static void check_get(strata_db *db, const strata_snapshot *s, const model *m, int k, uint64_t seed) {
  char key[24], buf[32];
  key_of(key, k);
  strata_read_options ro;
  strata_read_options_init(&ro);
  ro.snapshot = s;
  void *v;
  size_t n, want_n;
  const mkey *e = &m->k[k];
  int rc = strata_get_at(db, &ro, key, strlen(key), &v, &n);
  int want_rc = e->state == M_ABSENT ? STRATA_NOTFOUND : e->state == M_ERROR ? STRATA_ETYPE : STRATA_OK;
  if (rc != want_rc)
    fail_msg("seed %llu: get %s: %s (%s), expected %s", (unsigned long long)seed, key, strata_strerror(rc),
             strata_errmsg(), strata_strerror(want_rc));
  if (rc == STRATA_OK) {
    const char *want = rendered(e, buf, &want_n);
    if (n != want_n || memcmp(v, want, n) != 0)
      fail_msg("seed %llu: get %s (state %d): got %zu bytes \"%.*s\", want %zu bytes \"%.*s\"",
               (unsigned long long)seed, key, e->state, n, (int)n, (char *)v, want_n, (int)want_n, want);
    strata_free(v);
  }
  if (s) return;
  /* The typed reads agree (they read the latest state only). */
  int64_t x;
  int64_t dec;
  rc = strata_get_int(db, key, strlen(key), &x);
  want_rc = e->state == M_ABSENT                                   ? STRATA_NOTFOUND
            : e->state == M_COUNTER                                ? STRATA_OK
            : e->state == M_PLAIN && decimal(e->val, e->len, &dec) ? STRATA_OK
                                                                   : STRATA_ETYPE;
  if (rc != want_rc || (rc == STRATA_OK && x != (e->state == M_COUNTER ? e->n : dec)))
    fail_msg("seed %llu: get_int %s: %s", (unsigned long long)seed, key, strata_strerror(rc));
  uint64_t ts;
  rc = strata_get_latest(db, key, strlen(key), &v, &n, &ts);
  want_rc = e->state == M_ABSENT ? STRATA_NOTFOUND : e->state == M_LATEST ? STRATA_OK : STRATA_ETYPE;
  if (rc != want_rc || (rc == STRATA_OK && (ts != e->ts || n != e->len || memcmp(v, e->val, n) != 0)))
    fail_msg("seed %llu: get_latest %s: %s", (unsigned long long)seed, key, strata_strerror(rc));
  strata_free(v);
}

static int next_live(const model *m, int from, int lo, int hi) {
  for (int k = from < lo ? lo : from; k < hi; k++)
    if (present(m, k)) return k;
  return -1;
}
static int prev_live(const model *m, int from, int lo, int hi) {
  for (int k = from >= hi ? hi - 1 : from; k >= lo; k--)
    if (present(m, k)) return k;
  return -1;
}

static void expect_iter(strata_iter *it, const model *m, int k, uint64_t seed, int step) {
  if (k < 0) {
    if (strata_iter_valid(it))
      fail_msg("seed %llu step %d: iterator should be at the end", (unsigned long long)seed, step);
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
  if (m->k[k].state == M_ERROR) {
    /* A key whose fragments do not combine: the iterator stands on it. */
    if (vp || vl || strata_iter_status(it) != STRATA_ETYPE)
      fail_msg("seed %llu step %d: iterator at %s should fail with STRATA_ETYPE", (unsigned long long)seed, step, key);
    return;
  }
  char buf[32];
  size_t want_n;
  const char *want = rendered(&m->k[k], buf, &want_n);
  if (strata_iter_status(it) != STRATA_OK || vl != want_n || memcmp(vp, want, vl) != 0)
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
      case 0:
        strata_iter_seek_first(it);
        cur = next_live(m, lo, lo, hi);
        break;
      case 1:
        strata_iter_seek_last(it);
        cur = prev_live(m, hi - 1, lo, hi);
        break;
      case 2:
        strata_iter_seek(it, key, strlen(key));
        cur = next_live(m, k, lo, hi);
        break;
      case 3:
        strata_iter_seek_for_prev(it, key, strlen(key));
        cur = prev_live(m, k, lo, hi);
        break;
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

/* One random write to key k, to db or (db NULL) into batch b, and to the
 * model. Keys have a usual kind by k % 4 (counters, latest-wins values,
 * lists, plain values), as an application's would; one write in 20 uses
 * any kind, so that chains of mixed kinds fail and then recover. */
static void write_one(st_random *r, strata_db *db, strata_batch *b, model *m, int k) {
  char key[24], val[700];
  key_of(key, k);
  size_t kl = strlen(key);
  int kind = k % 4;
  if (st_random_uniform(r, 20) == 0) kind = (int)st_random_uniform(r, 4);
  if (st_random_uniform(r, 8) == 0) kind = 4; /* delete: an unlike, a removed element */
  if (st_random_uniform(r, 60) == 0) kind = 5; /* a range delete: a partition dropped */
  switch (kind) {
    case 5: {
      /* [k, k + n): fixed-width names make it exactly those keys; now and
       * then the end is a longer key (covering k + n too), the range is
       * open (to the last key), empty, or reversed (refused). */
      int n = (int)st_random_uniform(r, 40), open = st_random_uniform(r, 30) == 0;
      int longer = st_random_uniform(r, 4) == 0, reversed = st_random_uniform(r, 25) == 0;
      char end[32];
      key_of(end, k + n);
      if (longer) strcat(end, "0");
      if (reversed && n > 0) {
        int rc = db ? strata_delete_range(db, end, strlen(end), key, kl)
                    : strata_batch_delete_range(b, end, strlen(end), key, kl);
        assert_int_equal(rc, STRATA_EINVAL);
        break;
      }
      const char *e = open ? NULL : end;
      size_t el = open ? 0 : strlen(end);
      assert_int_equal(db ? strata_delete_range(db, key, kl, e, el) : strata_batch_delete_range(b, key, kl, e, el),
                       STRATA_OK);
      int last = open ? KEYS - 1 : k + n - 1 + longer;
      for (int j = k; j <= last && j < KEYS; j++) model_set(m, j, NULL, 0);
      break;
    }
    case 0: {
      int64_t d = make_delta(r);
      assert_int_equal(db ? strata_add(db, key, kl, d) : strata_batch_add(b, key, kl, d), STRATA_OK);
      model_add(m, k, d);
      break;
    }
    case 1: {
      size_t n = make_value(r, val, k);
      uint64_t ts = make_ts(r);
      assert_int_equal(
          db ? strata_put_latest(db, key, kl, val, n, ts) : strata_batch_put_latest(b, key, kl, val, n, ts), STRATA_OK);
      model_latest(m, k, val, n, ts);
      break;
    }
    case 2: {
      size_t n = make_value(r, val, k); /* short elements, now and then empty */
      if (n > 24) n = 24;
      if (st_random_uniform(r, 4) == 0) n = 0;
      assert_int_equal(db ? strata_append(db, key, kl, val, n) : strata_batch_append(b, key, kl, val, n), STRATA_OK);
      model_append(m, k, val, n);
      break;
    }
    case 3: {
      size_t n = make_value(r, val, k);
      assert_int_equal(db ? strata_put(db, key, kl, val, n) : strata_batch_put(b, key, kl, val, n), STRATA_OK);
      model_set(m, k, val, n);
      break;
    }
    default:
      assert_int_equal(db ? strata_delete(db, key, kl) : strata_batch_delete(b, key, kl), STRATA_OK);
      model_set(m, k, NULL, 0);
  }
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
  o.list_max_elements = list_max;
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
  long ops = tu_env_long("STRATA_MODEL_OPS", 250000);
  printf("model: seed %llu, %ld operations\n", (unsigned long long)seed, ops);
  st_random r;
  st_random_seed(&r, seed);
  model *m = calloc(1, sizeof *m);
  snap snaps[MAX_SNAPS];
  int nsnaps = 0;
  strata_db *db = open_small(dir);
  strata_batch *b = strata_batch_new();
  char key[24];
  long flushes = 0, reopens = 0, walks = 0;
  for (long i = 0; i < ops; i++) {
    uint64_t dice = st_random_uniform(&r, 10000);
    int k = (int)st_random_uniform(&r, KEYS);
    key_of(key, k);
    if (dice < 7000) { /* one write */
      write_one(&r, db, NULL, m, k);
    } else if (dice < 7600) { /* batch of mixed writes, applied after all of them */
      strata_batch_clear(b);
      int n = 1 + (int)st_random_uniform(&r, 8);
      model staged;
      model_copy(&staged, m);
      for (int j = 0; j < n; j++) write_one(&r, NULL, b, &staged, (int)st_random_uniform(&r, KEYS));
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

/* The same with compactions running through every level meanwhile, and
 * lists bounded to their newest 8 elements. */
static void random_operations_with_compactions(void **state) {
  compacting = 1;
  list_max = 8;
  random_operations(state);
  compacting = 0;
  list_max = 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(random_operations),
      cmocka_unit_test(random_operations_with_compactions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
