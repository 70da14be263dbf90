/* test_cache.c - the block cache (LRU per shard, references, replacement,
 * erase, capacity 0, stats) and the table cache (sharing, eviction while in
 * use), then both hammered from several threads (label concurrency: runs
 * under TSan). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/random.h"
#include "sst/block_cache.h"
#include "sst/table_cache.h"
#include "table_model.h"

static void *block(uint64_t file, uint64_t off, size_t n) {
  unsigned char *p = malloc(n);
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(file * 31 + off * 7 + i);
  return p;
}

static int block_ok(const void *data, uint64_t file, uint64_t off, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++)
    if (p[i] != (unsigned char)(file * 31 + off * 7 + i)) return 0;
  return 1;
}

/* Mirrors the cache's sharding, to put entries in one shard on purpose. */
static unsigned shard_of(uint64_t file, uint64_t off) {
  return (unsigned)(st_hash_mix64(st_hash_mix64(file) ^ off) >> 60);
}

static void block_cache_basics(void **state) {
  (void)state;
  st_block_cache *c;
  assert_int_equal(st_block_cache_new(16 * 300, &c), STRATA_OK); /* 300 bytes per shard */
  assert_null(st_block_cache_lookup(c, 1, 0));
  st_cache_handle *h = st_block_cache_insert(c, 1, 0, block(1, 0, 100), 100);
  assert_non_null(h);
  assert_int_equal(st_cache_handle_size(h), 100);
  st_block_cache_release(c, h);
  h = st_block_cache_lookup(c, 1, 0);
  assert_non_null(h);
  assert_true(block_ok(st_cache_handle_data(h), 1, 0, 100));
  st_block_cache_release(c, h);

  /* LRU within one shard: offsets a, b, c, d of file 2 in shard s. */
  uint64_t offs[4];
  int found = 0;
  uint64_t o0 = 0;
  while (shard_of(2, o0) == shard_of(1, 0)) o0++;
  unsigned s = shard_of(2, o0);
  for (uint64_t o = o0; found < 4; o++)
    if (shard_of(2, o) == s) offs[found++] = o;
  for (int i = 0; i < 3; i++)
    st_block_cache_release(c, st_block_cache_insert(c, 2, offs[i], block(2, offs[i], 100), 100));
  /* Touch the oldest, then insert a fourth: the second-oldest goes. */
  st_block_cache_release(c, st_block_cache_lookup(c, 2, offs[0]));
  st_block_cache_release(c, st_block_cache_insert(c, 2, offs[3], block(2, offs[3], 100), 100));
  assert_null(st_block_cache_lookup(c, 2, offs[1]));
  for (int i = 0; i < 4; i++) {
    if (i == 1) continue;
    h = st_block_cache_lookup(c, 2, offs[i]);
    assert_non_null(h);
    assert_true(block_ok(st_cache_handle_data(h), 2, offs[i], 100));
    st_block_cache_release(c, h);
  }
  /* A referenced entry is never evicted, and stays readable. */
  st_cache_handle *held = st_block_cache_lookup(c, 2, offs[0]);
  for (int i = 0; i < 50; i++) {
    uint64_t o = 1000 + (uint64_t)i;
    st_block_cache_release(c, st_block_cache_insert(c, 2, o, block(2, o, 100), 100));
  }
  assert_true(block_ok(st_cache_handle_data(held), 2, offs[0], 100));
  h = st_block_cache_lookup(c, 2, offs[0]);
  assert_ptr_equal(h, held);
  st_block_cache_release(c, h);
  st_block_cache_release(c, held);

  /* Replacement: the old data stays valid for its holder. */
  st_cache_handle *old = st_block_cache_insert(c, 3, 5, block(3, 5, 50), 50);
  st_cache_handle *neu = st_block_cache_insert(c, 3, 5, block(3, 6, 50), 50);
  h = st_block_cache_lookup(c, 3, 5);
  assert_ptr_equal(h, neu);
  assert_true(block_ok(st_cache_handle_data(old), 3, 5, 50));
  assert_true(block_ok(st_cache_handle_data(h), 3, 6, 50));
  st_block_cache_release(c, h);
  st_block_cache_release(c, neu);
  st_block_cache_release(c, old);

  /* Erase a file: its entries go, others stay; held ones stay valid. */
  held = st_block_cache_insert(c, 4, 1, block(4, 1, 10), 10);
  st_block_cache_release(c, st_block_cache_insert(c, 4, 2, block(4, 2, 10), 10));
  st_block_cache_release(c, st_block_cache_insert(c, 5, 1, block(5, 1, 10), 10));
  st_block_cache_erase_file(c, 4);
  assert_null(st_block_cache_lookup(c, 4, 1));
  assert_null(st_block_cache_lookup(c, 4, 2));
  h = st_block_cache_lookup(c, 5, 1);
  assert_non_null(h);
  st_block_cache_release(c, h);
  assert_true(block_ok(st_cache_handle_data(held), 4, 1, 10));
  st_block_cache_release(c, held);

  /* A block bigger than a shard: usable, then dropped at release. */
  h = st_block_cache_insert(c, 6, 0, block(6, 0, 5000), 5000);
  assert_true(block_ok(st_cache_handle_data(h), 6, 0, 5000));
  st_block_cache_release(c, h);
  assert_null(st_block_cache_lookup(c, 6, 0));

  st_block_cache_stats st;
  st_block_cache_get_stats(c, &st);
  assert_true(st.usage <= st.capacity);
  assert_int_equal(st.capacity, 16 * 300);
  assert_true(st.hits >= 8 && st.misses >= 5 && st.inserts >= 60 && st.evictions > 0);
  st_block_cache_free(c);

  /* Capacity 0 caches nothing but works. */
  assert_int_equal(st_block_cache_new(0, &c), STRATA_OK);
  h = st_block_cache_insert(c, 1, 1, block(1, 1, 10), 10);
  assert_true(block_ok(st_cache_handle_data(h), 1, 1, 10));
  assert_null(st_block_cache_lookup(c, 1, 1));
  st_block_cache_release(c, h);
  st_block_cache_get_stats(c, &st);
  assert_int_equal(st.usage, 0);
  st_block_cache_free(c);
}

static void make_tables(const char *dir, int count, tm_model *m) {
  tm_make(m, 400);
  st_table_options o;
  st_table_options_init(&o);
  o.block_bytes = 1024;
  for (int i = 1; i <= count; i++) {
    char name[32];
    snprintf(name, sizeof name, "%06d.sst", i);
    free(tm_write(dir, name, m, m->n, &o, NULL));
  }
}

static void table_cache_basics(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  tm_model m;
  make_tables(dir, 5, &m);
  st_block_cache *bc;
  assert_int_equal(st_block_cache_new(1 << 20, &bc), STRATA_OK);
  st_table_cache *tc;
  assert_int_equal(st_table_cache_new(st_env_posix(), dir, 2, bc, 0, &tc), STRATA_OK);
  st_table *a, *b, *t;
  assert_int_equal(st_table_cache_get(tc, 1, &a), STRATA_OK);
  assert_int_equal(st_table_cache_get(tc, 1, &b), STRATA_OK);
  assert_ptr_equal(a, b);
  assert_int_equal(st_table_file_number(a), 1);
  assert_int_equal(st_table_get_props(a)->entries, m.n);
  st_table_cache_release(tc, b);
  /* More tables than capacity while 1 is held: 1 stays open and usable. */
  for (uint64_t n = 2; n <= 5; n++) {
    assert_int_equal(st_table_cache_get(tc, n, &t), STRATA_OK);
    assert_int_equal(st_table_file_number(t), n);
    st_table_cache_release(tc, t);
  }
  assert_int_equal(st_table_cache_get(tc, 1, &b), STRATA_OK);
  assert_ptr_equal(a, b);
  st_table_cache_release(tc, b);
  /* Evicted while in use: still usable, closed at the last release. */
  st_table_cache_evict(tc, 1);
  st_iter *it;
  assert_int_equal(st_table_iter_new(a, &it), STRATA_OK);
  size_t n = 0;
  for (st_iter_seek_first(it); st_iter_valid(it); st_iter_next(it)) assert_true(tm_equal(it, &m.e[n++]));
  assert_int_equal(n, m.n);
  st_iter_free(it);
  assert_int_equal(st_table_cache_get(tc, 1, &b), STRATA_OK); /* reopened */
  st_table_cache_release(tc, a);
  assert_int_equal(st_table_get_props(b)->entries, m.n);
  st_table_cache_release(tc, b);
  st_table_cache_evict(tc, 3);
  st_table_cache_evict(tc, 42); /* unknown: nothing */
  /* Missing and damaged files. */
  assert_int_equal(st_table_cache_get(tc, 99, &t), STRATA_ECORRUPT);
  assert_null(t);
  char path[4096];
  st_table_file_name(dir, 98, path, sizeof path);
  tu_write_file(path, "not a table", 11);
  assert_int_equal(st_table_cache_get(tc, 98, &t), STRATA_ECORRUPT);
  st_table_cache_free(tc);
  st_block_cache_free(bc);
  tm_free(&m);
  tu_rmdir(dir);
}

/* Tables held at once beyond the capacity stay open: 100 of them (more
 * than the hash table's 64 first buckets, which then grow), each found
 * again while all are held, each closed once released. */
static void table_cache_many_held(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  tm_model m;
  enum { HELD = 100 };
  make_tables(dir, HELD, &m);
  st_table_cache *tc;
  assert_int_equal(st_table_cache_new(st_env_posix(), dir, 2, NULL, 0, &tc), STRATA_OK);
  st_table *held[HELD], *t;
  for (int i = 0; i < HELD; i++) {
    assert_int_equal(st_table_cache_get(tc, (uint64_t)i + 1, &held[i]), STRATA_OK);
    assert_int_equal(st_table_file_number(held[i]), i + 1);
  }
  for (int i = 0; i < HELD; i++) {
    assert_int_equal(st_table_cache_get(tc, (uint64_t)i + 1, &t), STRATA_OK);
    assert_ptr_equal(t, held[i]);
    assert_int_equal(st_table_get_props(t)->entries, m.n);
    st_table_cache_release(tc, t);
  }
  for (int i = 0; i < HELD; i++) st_table_cache_release(tc, held[i]);
  /* Released, they are closed down to the capacity, and open again. */
  assert_int_equal(st_table_cache_get(tc, 50, &t), STRATA_OK);
  assert_int_equal(st_table_file_number(t), 50);
  st_table_cache_release(tc, t);
  st_table_cache_free(tc);
  tm_free(&m);
  tu_rmdir(dir);
}

/* ---- threads ------------------------------------------------------------ */

typedef struct hammer {
  st_block_cache *bc;
  st_table_cache *tc;
  const tm_model *m;
  int tables;
  uint64_t seed;
  long ops;
  long errors;
} hammer;

static void *block_hammer(void *arg) {
  hammer *h = arg;
  st_random r;
  st_random_seed(&r, h->seed);
  st_cache_handle *held[4] = {0};
  for (long i = 0; i < h->ops; i++) {
    uint64_t file = 1 + st_random_uniform(&r, 3), off = st_random_uniform(&r, 300) * 4096;
    size_t n = 64 + (size_t)((file + off / 4096) % 400);
    st_cache_handle *c = st_block_cache_lookup(h->bc, file, off);
    if (!c) c = st_block_cache_insert(h->bc, file, off, block(file, off, n), n);
    if (!c || !block_ok(st_cache_handle_data(c), file, off, n) || st_cache_handle_size(c) != n) h->errors++;
    int slot = (int)st_random_uniform(&r, 4);
    if (held[slot]) st_block_cache_release(h->bc, held[slot]);
    held[slot] = c;
    if (st_random_uniform(&r, 5000) == 0) st_block_cache_erase_file(h->bc, file);
    if (st_random_uniform(&r, 1000) == 0) {
      st_block_cache_stats s;
      st_block_cache_get_stats(h->bc, &s);
    }
  }
  for (int i = 0; i < 4; i++) st_block_cache_release(h->bc, held[i]);
  return NULL;
}

static void block_cache_threads(void **state) {
  (void)state;
  st_block_cache *bc;
  assert_int_equal(st_block_cache_new(16 * 2048, &bc), STRATA_OK);
  enum { THREADS = 8 };
  pthread_t th[THREADS];
  hammer h[THREADS];
  long ops = tu_env_long("STRATA_TEST_CACHE_OPS", 40000);
  for (int i = 0; i < THREADS; i++) {
    h[i] = (hammer){bc, NULL, NULL, 0, (uint64_t)i + 1, ops, 0};
    assert_int_equal(pthread_create(&th[i], NULL, block_hammer, &h[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(h[i].errors, 0);
  }
  st_block_cache_stats s;
  st_block_cache_get_stats(bc, &s);
  print_message("block cache: %llu hits, %llu misses, %llu inserts, %llu evictions, usage %zu of %zu\n",
                (unsigned long long)s.hits, (unsigned long long)s.misses, (unsigned long long)s.inserts,
                (unsigned long long)s.evictions, s.usage, s.capacity);
  assert_int_equal(s.hits + s.misses, (uint64_t)THREADS * (uint64_t)ops);
  assert_true(s.usage <= s.capacity);
  st_block_cache_free(bc);
}

static void *table_hammer(void *arg) {
  hammer *h = arg;
  st_random r;
  st_random_seed(&r, h->seed);
  for (long i = 0; i < h->ops; i++) {
    uint64_t number = 1 + st_random_uniform(&r, (uint64_t)h->tables);
    if (h->seed == 1 && i % 7 == 0) {
      st_table_cache_evict(h->tc, number); /* as if the file were being replaced */
      continue;
    }
    st_table *t;
    if (st_table_cache_get(h->tc, number, &t) != STRATA_OK) {
      h->errors++;
      continue;
    }
    st_iter *it;
    if (st_table_iter_new(t, &it) != STRATA_OK) {
      h->errors++;
    } else {
      size_t e = (size_t)st_random_uniform(&r, h->m->n);
      st_iter_seek(it, h->m->e[e].k, h->m->e[e].kl);
      for (int s = 0; s < 5 && e < h->m->n; s++, e++, st_iter_next(it))
        if (!st_iter_valid(it) || !tm_equal(it, &h->m->e[e])) h->errors++;
      st_iter_free(it);
    }
    st_table_cache_release(h->tc, t);
  }
  return NULL;
}

static void table_cache_threads(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  tm_model m;
  enum { TABLES = 8, THREADS = 6 };
  make_tables(dir, TABLES, &m);
  st_block_cache *bc;
  assert_int_equal(st_block_cache_new(16 * 4096, &bc), STRATA_OK);
  st_table_cache *tc;
  assert_int_equal(st_table_cache_new(st_env_posix(), dir, 3, bc, 0, &tc), STRATA_OK);
  pthread_t th[THREADS];
  hammer h[THREADS];
  long ops = tu_env_long("STRATA_TEST_CACHE_OPS", 40000) / 10;
  for (int i = 0; i < THREADS; i++) {
    h[i] = (hammer){bc, tc, &m, TABLES, (uint64_t)i + 1, ops, 0};
    assert_int_equal(pthread_create(&th[i], NULL, table_hammer, &h[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(h[i].errors, 0);
  }
  st_table_cache_free(tc);
  st_block_cache_free(bc);
  tm_free(&m);
  tu_rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(block_cache_basics),
      cmocka_unit_test(table_cache_basics),
      cmocka_unit_test(table_cache_many_held),
      cmocka_unit_test(block_cache_threads),
      cmocka_unit_test(table_cache_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
