/* test_concurrency.c - readers racing a writer, and concurrent writers
 * sharing log appends and fsyncs (group commit). Run under TSan too. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/random.h"
#include "testutil.h"

static int setup(void **state) {
  *state = tu_tmpdir();
  return 0;
}
static int teardown(void **state) {
  tu_rmdir(*state);
  return 0;
}

typedef struct shared {
  strata_db *db;
  long keys;
  atomic_long published; /* keys [0, published) hold version >= 1 */
  atomic_int stop;
  atomic_long reads, errors;
} shared;

static void *reader(void *arg) {
  shared *s = arg;
  st_random rnd;
  st_random_seed(&rnd, (uint64_t)(uintptr_t)&rnd);
  while (!atomic_load(&s->stop)) {
    long pub = atomic_load(&s->published);
    if (pub == 0) continue;
    long i = (long)st_random_uniform(&rnd, (uint64_t)pub);
    char key[32];
    snprintf(key, sizeof key, "key%08ld", i);
    void *v;
    size_t n;
    int rc = strata_get(s->db, key, strlen(key), &v, &n);
    /* A published key is always readable, and its value names it. */
    if (rc != STRATA_OK || n < strlen(key) || memcmp(v, key, strlen(key)) != 0)
      atomic_fetch_add(&s->errors, 1);
    if (rc == STRATA_OK) strata_free(v);
    atomic_fetch_add(&s->reads, 1);
  }
  return NULL;
}

static void readers_race_one_writer(void **state) {
  shared s = {.keys = tu_env_long("STRATA_TEST_RACE_KEYS", 50000)};
  assert_int_equal(strata_open(*state, NULL, &s.db), STRATA_OK);
  pthread_t th[3];
  for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, reader, &s);
  char key[32], val[64];
  for (int version = 1; version <= 2; version++) {
    for (long i = 0; i < s.keys; i++) {
      snprintf(key, sizeof key, "key%08ld", i);
      snprintf(val, sizeof val, "key%08ld-v%d", i, version);
      assert_int_equal(strata_put(s.db, key, strlen(key), val, strlen(val)), STRATA_OK);
      if (version == 1) atomic_store(&s.published, i + 1);
    }
  }
  atomic_store(&s.stop, 1);
  for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
  assert_int_equal(atomic_load(&s.errors), 0);
  assert_true(atomic_load(&s.reads) > 0);
  assert_int_equal(strata_close(s.db), STRATA_OK);
}

typedef struct writer_arg {
  strata_db *db;
  int id;
  int batches;
} writer_arg;

static void *writer(void *arg) {
  writer_arg *w = arg;
  strata_batch *b = strata_batch_new();
  for (int i = 0; i < w->batches; i++) {
    char key[32];
    strata_batch_clear(b);
    for (int j = 0; j < 3; j++) {
      snprintf(key, sizeof key, "w%d-%d-%d", w->id, i, j);
      strata_batch_put(b, key, strlen(key), key, strlen(key));
    }
    if (strata_write(w->db, b, i % 2 ? STRATA_SYNC : 0) != STRATA_OK) abort();
  }
  strata_batch_free(b);
  return NULL;
}

static void writers_share_group_commits(void **state) {
  strata_db *db;
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_OK);
  enum { W = 4 };
  int batches = (int)tu_env_long("STRATA_TEST_GROUP_BATCHES", 400);
  writer_arg args[W];
  pthread_t th[W];
  for (int i = 0; i < W; i++) {
    args[i] = (writer_arg){db, i, batches};
    pthread_create(&th[i], NULL, writer, &args[i]);
  }
  for (int i = 0; i < W; i++) pthread_join(th[i], NULL);
  unsigned long long groups = tu_stat(db, "writes.groups");
  unsigned long long syncs = tu_stat(db, "wal.syncs");
  printf("group commit: %d batches in %llu groups, %llu fsyncs\n", W * batches, groups, syncs);
  assert_int_equal(tu_stat(db, "writes.batches"), (unsigned long long)W * batches);
  assert_int_equal(tu_stat(db, "writes.records"), (unsigned long long)W * batches * 3);
  assert_true(groups <= (unsigned long long)W * batches);
  assert_true(syncs < (unsigned long long)W * batches / 2); /* fsyncs were shared */
  assert_int_equal(strata_close(db), STRATA_OK);
  assert_int_equal(strata_open(*state, NULL, &db), STRATA_OK);
  for (int w = 0; w < W; w++)
    for (int i = 0; i < batches; i += 13)
      for (int j = 0; j < 3; j++) {
        char key[32];
        snprintf(key, sizeof key, "w%d-%d-%d", w, i, j);
        tu_expect_value(db, key, key);
      }
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* A small memtable and tiny levels: flushes and compactions never stop. */
static strata_db *open_with(const char *dir, size_t memtable_bytes) {
  strata_options o;
  strata_options_init(&o);
  o.memtable_bytes = memtable_bytes;
  tu_options_tiny_levels(&o);
  return tu_open(dir, &o);
}

/* Readers (gets and short scans) race a writer whose small memtable keeps
 * the flush thread and the compaction workers busy: values never wrong,
 * scans always ordered. */
typedef struct flush_race {
  strata_db *db;
  atomic_int stop;
  atomic_long errors, reads;
} flush_race;

static void *flush_reader(void *arg) {
  flush_race *r = arg;
  char key[32], val[64];
  long i = 0;
  while (!atomic_load(&r->stop)) {
    tu_key_of(key, i % 2000);
    tu_value_of(val, i % 2000);
    void *v;
    size_t vl;
    int rc = strata_get(r->db, key, strlen(key), &v, &vl);
    if (rc == STRATA_OK) {
      if (vl != strlen(val) || memcmp(v, val, vl)) atomic_fetch_add(&r->errors, 1);
      strata_free(v);
    } else if (rc != STRATA_NOTFOUND) {
      atomic_fetch_add(&r->errors, 1);
    }
    if (i % 100 == 0) {
      strata_iter *it;
      if (strata_iter_new(r->db, NULL, &it) == STRATA_OK) {
        const char *prev = NULL;
        char last[32] = "";
        int n = 0;
        for (strata_iter_seek_first(it); strata_iter_valid(it) && n < 300; strata_iter_next(it), n++) {
          size_t kl;
          const char *k = strata_iter_key(it, &kl);
          if (prev && (kl != 12 || memcmp(last, k, kl) >= 0)) atomic_fetch_add(&r->errors, 1);
          memcpy(last, k, kl < 31 ? kl : 31);
          prev = last;
        }
        if (strata_iter_status(it)) atomic_fetch_add(&r->errors, 1);
        strata_iter_free(it);
      }
    }
    atomic_fetch_add(&r->reads, 1);
    i++;
  }
  return NULL;
}

static void readers_during_flushes(void **state) {
  flush_race r = {.db = open_with(*state, 32 << 10)};
  pthread_t th[2];
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, flush_reader, &r);
  char key[32], val[64];
  long rounds = tu_env_long("STRATA_TEST_RACE_ROUNDS", 10);
  for (long round = 0; round < rounds; round++)
    for (long i = 0; i < 2000; i++) {
      tu_key_of(key, i);
      tu_value_of(val, i);
      assert_int_equal(strata_put(r.db, key, strlen(key), val, strlen(val)), STRATA_OK);
    }
  atomic_store(&r.stop, 1);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  assert_int_equal(atomic_load(&r.errors), 0);
  assert_true(tu_stat(r.db, "flush.count") >= 5);
  assert_true(tu_stat(r.db, "compaction.count") + tu_stat(r.db, "compaction.trivial_moves") >= 1);
  assert_int_equal(strata_close(r.db), STRATA_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(readers_race_one_writer, setup, teardown),
      cmocka_unit_test_setup_teardown(writers_share_group_commits, setup, teardown),
      cmocka_unit_test_setup_teardown(readers_during_flushes, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
