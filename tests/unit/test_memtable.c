/* test_memtable.c - reads by snapshot, kinds, key order, the run
 * summaries of counter and latest-wins fragments, the key filter and the
 * key index. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/kind.h"
#include "format/range_del.h"
#include "format/typed_value.h"
#include "mem/memtable.h"
#include "testutil.h"

/* A small budget, so that the key filter is small (2 KiB) and says "may
 * be there" for absent keys now and then too. */
#define TEST_BUDGET (64u << 10)

/* What a read of key at snap finds in m alone: 1 when m holds a base (or
 * a type error) that decides it, and the read's result in *rc and out. */
static int mget(st_memtable *m, const char *key, size_t klen, uint64_t snap, int *rc, char *out, size_t *n) {
  st_merge mg;
  st_merge_init(&mg, 0);
  int decided = st_memtable_merge(m, key, klen, snap, &mg);
  assert_true(decided == 0 || decided == 1);
  *rc = st_merge_finish(&mg, 1);
  *n = 0;
  if (*rc == STRATA_OK) {
    const char *v;
    st_merge_value(&mg, &v, n);
    memcpy(out, v, *n);
  }
  st_merge_destroy(&mg);
  return decided;
}

static void get_sees_newest_at_snapshot(void **state) {
  (void)state;
  st_memtable *m;
  assert_int_equal(st_memtable_new(TEST_BUDGET, &m), STRATA_OK);
  assert_int_equal(st_memtable_add(m, 1, ST_KIND_PUT, "a", 1, "v1", 2), STRATA_OK);
  assert_int_equal(st_memtable_add(m, 2, ST_KIND_PUT, "a", 1, "v2", 2), STRATA_OK);
  assert_int_equal(st_memtable_add(m, 3, ST_KIND_DELETE, "a", 1, NULL, 0), STRATA_OK);
  assert_int_equal(st_memtable_add(m, 4, ST_KIND_PUT, "ab", 2, "x", 1), STRATA_OK);
  assert_int_equal(st_memtable_add(m, 5, ST_KIND_PUT, "", 0, "empty", 5), STRATA_OK);

  int rc;
  char v[64];
  size_t n;
  assert_int_equal(mget(m, "a", 1, 0, &rc, v, &n), 0);
  assert_int_equal(mget(m, "a", 1, 1, &rc, v, &n), 1);
  assert_int_equal(rc, STRATA_OK);
  assert_memory_equal(v, "v1", 2);
  assert_int_equal(mget(m, "a", 1, 2, &rc, v, &n), 1);
  assert_memory_equal(v, "v2", 2);
  assert_int_equal(mget(m, "a", 1, 100, &rc, v, &n), 1);
  assert_int_equal(rc, STRATA_NOTFOUND);
  /* "a" is a prefix of "ab" but a different key. */
  assert_int_equal(mget(m, "ab", 2, 3, &rc, v, &n), 0);
  assert_int_equal(mget(m, "ab", 2, 4, &rc, v, &n), 1);
  assert_int_equal(n, 1);
  assert_int_equal(mget(m, "b", 1, 100, &rc, v, &n), 0);
  assert_int_equal(mget(m, "", 0, 100, &rc, v, &n), 1);
  assert_int_equal(n, 5);
  assert_int_equal(m->entries, 5);
  assert_true(st_memtable_bytes(m) > 0);

  /* A key longer than the lookup's stack buffer. */
  char big[1000];
  memset(big, 'z', sizeof big);
  assert_int_equal(st_memtable_add(m, 6, ST_KIND_PUT, big, sizeof big, "big", 3), STRATA_OK);
  assert_int_equal(mget(m, big, sizeof big, 6, &rc, v, &n), 1);
  assert_memory_equal(v, "big", 3);
  st_memtable_unref(m);
}

static void add_op(st_memtable *m, uint64_t seq, const char *key, int64_t d) {
  char v[8];
  st_counter_encode(v, d);
  assert_int_equal(st_memtable_add(m, seq, ST_KIND_ADD, key, strlen(key), v, 8), STRATA_OK);
}

static void latest_op(st_memtable *m, uint64_t seq, const char *key, uint64_t ts, char val) {
  char v[9];
  st_put_fixed64(v, ts);
  v[8] = val;
  assert_int_equal(st_memtable_add(m, seq, ST_KIND_LATEST, key, strlen(key), v, 9), STRATA_OK);
}

static void expect(st_memtable *m, const char *key, uint64_t snap, int decided, int want_rc, const char *want) {
  int rc;
  char v[64];
  size_t n;
  assert_int_equal(mget(m, key, strlen(key), snap, &rc, v, &n), decided);
  assert_int_equal(rc, want_rc);
  if (want) {
    assert_int_equal(n, strlen(want));
    assert_memory_equal(v, want, n);
  }
}

/* Runs of operands read through their summaries: sums and winners at every
 * snapshot, runs cut by a base or by another kind, other keys between. */
static void runs_are_summarized(void **state) {
  (void)state;
  st_memtable *m;
  assert_int_equal(st_memtable_new(TEST_BUDGET, &m), STRATA_OK);
  uint64_t seq = 1;
  assert_int_equal(st_memtable_add(m, seq++, ST_KIND_PUT, "c", 1, "100", 3), STRATA_OK);
  for (int i = 1; i <= 1000; i++) {
    add_op(m, seq++, "c", i);
    add_op(m, seq++, i % 2 ? "b" : "d", 1); /* neighbours */
  }
  expect(m, "c", 1, 1, STRATA_OK, "100");
  expect(m, "c", 2, 1, STRATA_OK, "101");
  expect(m, "c", seq, 1, STRATA_OK, "500600"); /* 100 + 1000 * 1001 / 2 */
  expect(m, "b", seq, 0, STRATA_OK, "500");    /* no base here: older sources go on */
  /* A delete ends the run; a new run starts over it. */
  assert_int_equal(st_memtable_add(m, seq++, ST_KIND_DELETE, "c", 1, NULL, 0), STRATA_OK);
  add_op(m, seq++, "c", -7);
  expect(m, "c", seq, 1, STRATA_OK, "-7");
  /* Another kind over the run: the read fails, whatever the summary. */
  assert_int_equal(st_memtable_add(m, seq++, ST_KIND_APPEND, "c", 1, "\x01x", 2), STRATA_OK);
  expect(m, "c", seq, 1, STRATA_ETYPE, NULL);
  expect(m, "c", seq - 2, 1, STRATA_OK, "-7");
  /* Latest-wins: the winner of the run so far at each snapshot, ties to
   * the newer write. */
  latest_op(m, seq++, "p", 5, 'a');
  latest_op(m, seq++, "p", 9, 'b');
  uint64_t after_b = seq;
  latest_op(m, seq++, "p", 3, 'c');
  latest_op(m, seq++, "p", 9, 'd');
  expect(m, "p", after_b, 0, STRATA_OK, "b");
  expect(m, "p", seq, 0, STRATA_OK, "d");
  st_memtable_unref(m);
}

/* List runs read element by element: every length, at every snapshot,
 * whole and bounded (the read skips the rest of the run), with the run
 * broken by a delete and other keys between. */
static void list_runs_read_at_every_snapshot(void **state) {
  (void)state;
  st_memtable *m;
  assert_int_equal(st_memtable_new(TEST_BUDGET, &m), STRATA_OK);
  uint64_t seq = 1;
  char v[8];
  for (int i = 0; i < 100; i++) {
    v[0] = 3;
    snprintf(v + 1, sizeof v - 1, "%03d", i);
    assert_int_equal(st_memtable_add(m, seq++, ST_KIND_APPEND, "l", 1, v, 4), STRATA_OK);
    assert_int_equal(st_memtable_add(m, seq++, ST_KIND_PUT, i % 2 ? "k" : "m", 1, "x", 1), STRATA_OK);
  }
  for (size_t list_max = 0; list_max <= 40; list_max += 7) {
    for (uint64_t snap = 1; snap <= seq; snap++) {
      st_merge mg;
      st_merge_init(&mg, list_max);
      assert_int_equal(st_memtable_merge(m, "l", 1, snap, &mg), 0);
      int rc = st_merge_finish(&mg, 1);
      uint64_t have = (snap + 1) / 2; /* appends at odd seqs 1, 3, ... */
      if (have > 100) have = 100;
      if (!have) {
        assert_int_equal(rc, STRATA_NOTFOUND);
      } else {
        assert_int_equal(rc, STRATA_OK);
        const char *out;
        size_t n, pos = 0, el;
        st_merge_value(&mg, &out, &n);
        uint64_t first = list_max && have > list_max ? have - list_max : 0, i = first;
        const char *e;
        while (st_list_next(out, n, &pos, &e, &el) == 1) {
          char want[8];
          snprintf(want, sizeof want, "%03d", (int)i++);
          assert_int_equal(el, 3);
          assert_memory_equal(e, want, 3);
        }
        assert_true(i == have);
      }
      st_merge_destroy(&mg);
    }
  }
  /* A delete breaks the run; the list starts again over it. */
  assert_int_equal(st_memtable_add(m, seq++, ST_KIND_DELETE, "l", 1, NULL, 0), STRATA_OK);
  for (int i = 0; i < 20; i++)
    assert_int_equal(st_memtable_add(m, seq++, ST_KIND_APPEND, "l", 1, "\x01z", 2), STRATA_OK);
  int rc;
  char out[64];
  size_t n;
  assert_int_equal(mget(m, "l", 1, seq, &rc, out, &n), 1);
  assert_int_equal(rc, STRATA_OK);
  assert_int_equal(n, 40);
  st_memtable_unref(m);
}

/* The filter never hides a key that was added (a blocked bloom filter of
 * any size, none at all included), and says no to most keys that were
 * not when it has room. */
static void filter_has_no_false_negatives(void **state) {
  (void)state;
  size_t sizes[] = {0, 63, 64, 1000, 4096, 1 << 16, SIZE_MAX}; /* the last: capped */
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    st_memtable_filter f;
    st_memtable_filter_init(&f, sizes[s]);
    assert_true(st_memtable_filter_bytes(&f) <= sizes[s] &&
                st_memtable_filter_bytes(&f) <= ST_MEMTABLE_FILTER_MAX_BYTES);
    char k[32];
    for (int i = 0; i < 2000; i++)
      st_memtable_filter_add(&f, st_memtable_filter_hash(k, (size_t)snprintf(k, sizeof k, "key%d", 2 * i)));
    int absent_yes = 0;
    for (int i = 0; i < 2000; i++) {
      assert_true(st_memtable_filter_may_contain(
          &f, st_memtable_filter_hash(k, (size_t)snprintf(k, sizeof k, "key%d", 2 * i))));
      absent_yes += st_memtable_filter_may_contain(
          &f, st_memtable_filter_hash(k, (size_t)snprintf(k, sizeof k, "key%d", 2 * i + 1)));
    }
    if (!f.words)
      assert_int_equal(absent_yes, 2000); /* no filter: everything may be there */
    else if (sizes[s] >= 4096)
      assert_true(absent_yes < 200); /* 16 bits a key or more: well under 10% */
    st_memtable_filter_destroy(&f);
  }
}

/* A read of a key the memtable does not hold (the filter says so, or the
 * search finds nothing) leaves the answer to older sources, unless a
 * range tombstone of the memtable covers the key at the snapshot. The
 * memtable is big enough for reads to ask its filter, and the filter
 * roomy enough to say no. */
static void absent_keys_and_range_tombstones(void **state) {
  (void)state;
  enum { KEYS = ST_MEMTABLE_FILTER_MIN_ENTRIES + 1000 };
  st_memtable *m;
  assert_int_equal(st_memtable_new(4u << 20, &m), STRATA_OK);
  char k[32], end[8];
  for (int i = 0; i < KEYS; i++) {
    size_t kl = (size_t)snprintf(k, sizeof k, "k%06d", 2 * i);
    assert_int_equal(st_memtable_add(m, (uint64_t)i + 1, ST_KIND_PUT, k, kl, "v", 1), STRATA_OK);
  }
  /* [k001000, k001100) deleted at seq KEYS + 1. */
  const uint64_t del = KEYS + 1;
  size_t elen = st_range_end_put(end, "k001100", 7, 0);
  assert_int_equal(st_memtable_add(m, del, ST_KIND_RANGE_DELETE, "k001000", 7, end, elen), STRATA_OK);
  int rc, said_no = 0;
  char v[64];
  size_t n;
  for (int i = 0; i < 2 * KEYS; i++) {
    size_t kl = (size_t)snprintf(k, sizeof k, "k%06d", i);
    int covered = i >= 1000 && i < 1100;
    if (i % 2 == 0) {
      assert_int_equal(mget(m, k, kl, del, &rc, v, &n), 1);
      assert_int_equal(rc, covered ? STRATA_NOTFOUND : STRATA_OK);
    } else {
      assert_int_equal(mget(m, k, kl, del, &rc, v, &n), covered); /* covered: decided, deleted */
      if (covered) assert_int_equal(rc, STRATA_NOTFOUND);
      assert_int_equal(mget(m, k, kl, del - 1, &rc, v, &n), 0); /* before the tombstone: not decided here */
      said_no += !st_memtable_filter_may_contain(&m->filter, st_memtable_filter_hash(k, kl));
    }
  }
  assert_true(said_no > KEYS * 9 / 10); /* the reads above took the filter's way */
  st_memtable_unref(m);
}

/* The index alone, with nodes of the test's own making (it reads a node
 * only through `same`) and hashes chosen so that keys share a slot and a
 * tag: probing, the tag check, `same`, the older-node shortcut, absence,
 * fullness and the cases without an index. */
typedef struct fake_node {
  const char *key;
} fake_node;

static int same_calls;

static int fake_same(const st_skip_node *n, const void *key, size_t klen) {
  same_calls++;
  const fake_node *f = (const fake_node *)n;
  return strlen(f->key) == klen && memcmp(f->key, key, klen) == 0;
}

#define NODE(f) ((const st_skip_node *)(f))

static const st_skip_node *ifind(const st_memtable_index *x, uint64_t h, const char *key, int *absent) {
  return st_memtable_index_find(x, h, key, strlen(key), fake_same, absent);
}

static void index_finds_newest_and_knows_absence(void **state) {
  (void)state;
  st_memtable_index x;
  st_memtable_index_init(&x, 64 * 8); /* 64 slots, 48 taken at most */
  assert_non_null(x.slots);
  assert_int_equal(x.mask, 63);
  const uint64_t h = 0xabcd000000000000ull | (5ull << 24); /* every key below: slot 5, one tag */
  static const char *keys[] = {"a", "b", "c", "d"};
  fake_node v1[4], v2[4];
  for (int i = 0; i < 4; i++) {
    v1[i].key = v2[i].key = keys[i];
    st_memtable_index_put(&x, h, NODE(&v1[i]), NULL, keys[i], 1, fake_same);
  }
  int absent;
  for (int i = 0; i < 4; i++) {
    assert_ptr_equal(ifind(&x, h, keys[i], &absent), NODE(&v1[i]));
    assert_int_equal(absent, 0);
  }
  assert_null(ifind(&x, h, "e", &absent)); /* same slot and tag, not there */
  assert_int_equal(absent, 1);
  assert_null(ifind(&x, h ^ (1ull << 48), "a", &absent)); /* another tag: not "a" */
  assert_int_equal(absent, 1);
  /* Newer nodes replace older ones in place: by `same`, or at once when
   * the writer names the older node. */
  st_memtable_index_put(&x, h, NODE(&v2[1]), NULL, "b", 1, fake_same);
  same_calls = 0;
  st_memtable_index_put(&x, h, NODE(&v2[0]), NODE(&v1[0]), "a", 1, fake_same);
  assert_int_equal(same_calls, 0);
  assert_ptr_equal(ifind(&x, h, "a", &absent), NODE(&v2[0]));
  assert_ptr_equal(ifind(&x, h, "b", &absent), NODE(&v2[1]));
  assert_ptr_equal(ifind(&x, h, "c", &absent), NODE(&v1[2]));
  assert_int_equal(x.used, 4);
  /* Filled to its limit: keys new to it are left out, and a key it does
   * not find may then be there. */
  static fake_node many[64];
  static char names[64][8];
  for (int i = 0; i < 60; i++) {
    snprintf(names[i], sizeof names[i], "m%d", i);
    many[i].key = names[i];
    st_memtable_index_put(&x, (uint64_t)i << 24, NODE(&many[i]), NULL, names[i], strlen(names[i]), fake_same);
  }
  assert_int_equal(x.used, 48);
  assert_int_equal(atomic_load(&x.full), 1);
  assert_ptr_equal(ifind(&x, 0, "m0", &absent), NODE(&many[0]));               /* indexed before it filled */
  assert_null(ifind(&x, 59ull << 24, "m59", &absent));                         /* left out */
  assert_int_equal(absent, 0);                                                 /* so: search for it */
  st_memtable_index_put(&x, h, NODE(&v1[3]), NODE(&v1[3]), "d", 1, fake_same); /* keys in it still move */
  assert_ptr_equal(ifind(&x, h, "d", &absent), NODE(&v1[3]));
  st_memtable_index_destroy(&x);

  /* A node above 48 bits of address cannot be stored: the index turns
   * off, and answers nothing, not even for a key it held (whose slot would
   * name an older node now). */
  st_memtable_index_init(&x, 1024);
  st_memtable_index_put(&x, h, NODE(&v1[0]), NULL, "a", 1, fake_same);
  st_memtable_index_put(&x, h, (const st_skip_node *)(uintptr_t)0x0100000000001000ull, NODE(&v1[0]), "a", 1, fake_same);
  assert_null(ifind(&x, h, "a", &absent));
  assert_int_equal(absent, 0);
  assert_null(ifind(&x, h, "b", &absent));
  assert_int_equal(absent, 0);
  st_memtable_index_destroy(&x);

  /* No index (too small; capped when huge): keys are searched for. */
  size_t sizes[] = {0, 63, SIZE_MAX};
  for (size_t i = 0; i < 3; i++) {
    st_memtable_index_init(&x, sizes[i]);
    assert_true((x.slots ? (x.mask + 1) * 8 : 0) <= ST_MEMTABLE_INDEX_MAX_BYTES);
    if (sizes[i] < 64) {
      assert_null(x.slots);
      st_memtable_index_put(&x, h, NODE(&v1[0]), NULL, "a", 1, fake_same);
      assert_null(ifind(&x, h, "a", &absent));
      assert_int_equal(absent, 0);
    }
    st_memtable_index_destroy(&x);
  }
}

/* Reads through the index give what a search gives: every key of a
 * memtable big enough to ask it, with versions written in turns so that
 * a key's entries lie among other keys' in time, read at snapshots
 * before, between and after its versions; plain values, deletes and
 * counter runs; with an index that holds every key and with one that
 * filled early (the keys it left out are searched for). */
static void reads_through_the_index_at_every_snapshot(void **state) {
  (void)state;
  enum { KEYS = ST_MEMTABLE_FILTER_MIN_ENTRIES / 2 + 500, TURNS = 3 };
  size_t budgets[] = {8u << 20, 16u << 10}; /* the second: an index of 2 KiB, full at 192 keys */
  for (size_t b = 0; b < 2; b++) {
    st_memtable *m;
    assert_int_equal(st_memtable_new(budgets[b], &m), STRATA_OK);
    char k[32], v[32];
    uint64_t seq = 0;
    for (int t = 0; t < TURNS; t++)
      for (int i = 0; i < KEYS; i++) {
        size_t kl = (size_t)snprintf(k, sizeof k, "k%06d", i);
        if (i % 3 == 0) {
          char d[ST_COUNTER_BYTES];
          st_counter_encode(d, t + 1);
          assert_int_equal(st_memtable_add(m, ++seq, ST_KIND_ADD, k, kl, d, sizeof d), STRATA_OK);
        } else if (i % 3 == 1 && t == TURNS - 1) {
          assert_int_equal(st_memtable_add(m, ++seq, ST_KIND_DELETE, k, kl, NULL, 0), STRATA_OK);
        } else {
          size_t vl = (size_t)snprintf(v, sizeof v, "%d.%d", i, t);
          assert_int_equal(st_memtable_add(m, ++seq, ST_KIND_PUT, k, kl, v, vl), STRATA_OK);
        }
      }
    assert_true(atomic_load(&m->entries) >= ST_MEMTABLE_FILTER_MIN_ENTRIES);
    assert_int_equal(atomic_load(&m->index.full), b == 1);
    int rc;
    char out[64];
    size_t n;
    for (int i = 0; i < KEYS; i++) {
      size_t kl = (size_t)snprintf(k, sizeof k, "k%06d", i);
      for (int t = 0; t <= TURNS; t++) {
        /* Snapshots: before turn t's write of the key (t = 0: before any),
         * and the last one. */
        uint64_t snap = t < TURNS ? (uint64_t)t * KEYS + (uint64_t)i : seq;
        int seen = t; /* versions visible */
        int decided = mget(m, k, kl, snap, &rc, out, &n);
        if (seen == 0) {
          assert_int_equal(decided, 0);
          assert_int_equal(rc, STRATA_NOTFOUND);
        } else if (i % 3 == 0) {
          assert_int_equal(decided, 0); /* counters: older sources may add */
          assert_int_equal(rc, STRATA_OK);
          size_t vl = (size_t)snprintf(v, sizeof v, "%d", seen * (seen + 1) / 2); /* shown in decimal */
          assert_int_equal(n, vl);
          assert_memory_equal(out, v, vl);
        } else if (i % 3 == 1 && seen == TURNS) {
          assert_int_equal(decided, 1);
          assert_int_equal(rc, STRATA_NOTFOUND);
        } else {
          assert_int_equal(decided, 1);
          assert_int_equal(rc, STRATA_OK);
          size_t vl = (size_t)snprintf(v, sizeof v, "%d.%d", i, seen - 1);
          assert_int_equal(n, vl);
          assert_memory_equal(out, v, vl);
        }
      }
      /* A key between two written ones is in neither index nor list. */
      kl = (size_t)snprintf(k, sizeof k, "k%06d+", i);
      assert_int_equal(mget(m, k, kl, seq, &rc, out, &n), 0);
      assert_int_equal(rc, STRATA_NOTFOUND);
    }
    /* A hot key written many times after each snapshot read: from the
     * index's node a read steps over a few newer entries, and searches
     * when there are more. */
    const uint64_t hot0 = seq;
    for (int t = 0; t < 40; t++) {
      size_t vl = (size_t)snprintf(v, sizeof v, "hot.%d", t);
      assert_int_equal(st_memtable_add(m, ++seq, ST_KIND_PUT, "hot", 3, v, vl), STRATA_OK);
    }
    assert_int_equal(mget(m, "hot", 3, hot0, &rc, out, &n), 0);
    for (int t = 0; t < 40; t++) {
      assert_int_equal(mget(m, "hot", 3, hot0 + 1 + (uint64_t)t, &rc, out, &n), 1);
      size_t vl = (size_t)snprintf(v, sizeof v, "hot.%d", t);
      assert_int_equal(n, vl);
      assert_memory_equal(out, v, vl);
    }
    st_memtable_unref(m);
  }
}

/* A writer adds new keys and new versions of old ones, publishing each
 * write's seq after the add as the database does; readers read published
 * keys at the published seq and must find the newest version as of it,
 * and never a key not yet published. Run under TSan by the suite. */
enum { RACE_KEYS = 40000, RACE_READERS = 2 };

typedef struct index_race {
  st_memtable *m;
  _Atomic uint64_t published; /* writes 1..published are in */
  atomic_int stop, errors;
} index_race;

/* Write number w (from 1): key w / 2 (keys come twice), value its w. */
static size_t race_key(char *k, uint64_t w) { return (size_t)snprintf(k, 16, "r%07llu", (unsigned long long)(w / 2)); }

static void *index_reader(void *arg) {
  index_race *r = arg;
  uint64_t x = (uint64_t)(uintptr_t)&x | 1;
  while (!atomic_load(&r->stop)) {
    uint64_t pub = atomic_load_explicit(&r->published, memory_order_acquire);
    if (pub < 4) continue;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    uint64_t w = 2 + x % (pub - 1); /* a published write, 2..pub */
    char k[16], out[32];
    size_t kl = race_key(k, w), n;
    int rc;
    int decided = mget(r->m, k, kl, pub, &rc, out, &n);
    /* The key's newest write as of pub: w | 1 when that is published. */
    uint64_t newest = (w | 1) <= pub ? (w | 1) : (w & ~1ull);
    char want[32];
    size_t wl = (size_t)snprintf(want, sizeof want, "%llu", (unsigned long long)newest);
    if (!decided || rc != STRATA_OK || n != wl || memcmp(out, want, wl) != 0) atomic_fetch_add(&r->errors, 1);
    /* Keys beyond the published ones are not there yet, as of pub. */
    kl = race_key(k, pub + 4 + x % 64);
    decided = mget(r->m, k, kl, pub, &rc, out, &n);
    if (decided || rc != STRATA_NOTFOUND) atomic_fetch_add(&r->errors, 1);
  }
  return NULL;
}

static void index_reads_race_one_writer(void **state) {
  (void)state;
  index_race *r = calloc(1, sizeof *r);
  assert_non_null(r);
  assert_int_equal(st_memtable_new(8u << 20, &r->m), STRATA_OK);
  pthread_t th[RACE_READERS];
  for (int i = 0; i < RACE_READERS; i++) pthread_create(&th[i], NULL, index_reader, r);
  for (uint64_t w = 2; w < 2 * RACE_KEYS; w++) {
    char k[16], v[32];
    size_t kl = race_key(k, w), vl = (size_t)snprintf(v, sizeof v, "%llu", (unsigned long long)w);
    assert_int_equal(st_memtable_add(r->m, w, ST_KIND_PUT, k, kl, v, vl), STRATA_OK);
    atomic_store_explicit(&r->published, w, memory_order_release);
  }
  atomic_store(&r->stop, 1);
  for (int i = 0; i < RACE_READERS; i++) pthread_join(th[i], NULL);
  assert_int_equal(atomic_load(&r->errors), 0);
  assert_int_equal(atomic_load(&r->m->index.full), 0);
  st_memtable_unref(r->m);
  free(r);
}

static void references_keep_it_alive(void **state) {
  (void)state;
  st_memtable *m;
  assert_int_equal(st_memtable_new(TEST_BUDGET, &m), STRATA_OK);
  st_memtable_ref(m);
  st_memtable_unref(m);
  assert_int_equal(st_memtable_add(m, 1, ST_KIND_PUT, "k", 1, "v", 1), STRATA_OK);
  st_memtable_unref(m); /* ASan/valgrind would flag a use after free or a leak */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(get_sees_newest_at_snapshot),
      cmocka_unit_test(runs_are_summarized),
      cmocka_unit_test(list_runs_read_at_every_snapshot),
      cmocka_unit_test(filter_has_no_false_negatives),
      cmocka_unit_test(absent_keys_and_range_tombstones),
      cmocka_unit_test(index_finds_newest_and_knows_absence),
      cmocka_unit_test(reads_through_the_index_at_every_snapshot),
      cmocka_unit_test(index_reads_race_one_writer),
      cmocka_unit_test(references_keep_it_alive),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
