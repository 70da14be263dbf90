/*
 * test_crash.c - kill -9 at random moments. A child process writes batches
 * from two threads and reports each acknowledged batch through a pipe; the
 * parent kills it, reopens the database and checks that every acknowledged
 * batch is there and that every batch is whole or absent. Each batch also
 * increments two counters, appends its id to a list and offers its id as
 * a latest-wins ts, so after every recovery the counters must equal the
 * sums over exactly the batches present, the list must hold exactly their
 * ids, and the latest value must be the greatest of them. Every batch
 * also writes three keys r<id>-0..2 and then range-deletes [r<id>-1,
 * r<id>-2): after a recovery either all three are gone or exactly the
 * middle one is. Half the cycles
 * use synced batches, half rely on the OS buffers (which a process crash
 * does not lose). STRATA_CRASH_CYCLES raises the count (default 50).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/random.h"
#include "testutil.h"

#define KEYS_PER_BATCH 5
#define THREADS 2

typedef struct child_ctx {
  strata_db *db;
  atomic_int next_id;
  int fd;
  int sync;
} child_ctx;

static void batch_key(char *out, size_t n, int id, int j) { snprintf(out, n, "b%08d-%d", id, j); }
static void range_key(char *out, size_t n, int id, int j) { snprintf(out, n, "r%08d-%d", id, j); }

static void *child_writer(void *arg) {
  child_ctx *c = arg;
  strata_batch *b = strata_batch_new();
  char key[32], val[64];
  for (;;) {
    int id = atomic_fetch_add(&c->next_id, 1);
    strata_batch_clear(b);
    for (int j = 0; j < KEYS_PER_BATCH; j++) {
      batch_key(key, sizeof key, id, j);
      snprintf(val, sizeof val, "value-of-%d-%d-%0*d", id, j, id % 30, 0);
      strata_batch_put(b, key, strlen(key), val, strlen(val));
    }
    for (int j = 0; j < 3; j++) {
      range_key(key, sizeof key, id, j);
      strata_batch_put(b, key, strlen(key), "r", 1);
    }
    char end[32];
    range_key(key, sizeof key, id, 1);
    range_key(end, sizeof end, id, 2);
    strata_batch_delete_range(b, key, strlen(key), end, strlen(end));
    snprintf(val, sizeof val, "batch %d", id);
    strata_batch_add(b, "count", 5, 1);
    strata_batch_add(b, "sum", 3, id);
    strata_batch_append(b, "ids", 3, &id, sizeof id);
    strata_batch_put_latest(b, "last", 4, val, strlen(val), (uint64_t)id);
    if (strata_write(c->db, b, c->sync ? STRATA_SYNC : 0) != STRATA_OK) _exit(3);
    if (write(c->fd, &id, sizeof id) != sizeof id) _exit(4);
  }
  return NULL;
}

/* Options of the current run: NULL (defaults: everything stays in the
 * memtable) or small sizes that keep flushes and compactions going. */
static const strata_options *run_opts;

static void run_child(const char *dir, int fd, int start, int sync) {
  child_ctx c = {.fd = fd, .sync = sync};
  atomic_init(&c.next_id, start);
  if (strata_open(dir, run_opts, &c.db) != STRATA_OK) _exit(2);
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, child_writer, &c);
  for (;;) pause();
}

/* What the batches present so far add up to. */
typedef struct totals {
  int64_t count, sum;
  int max_id;
} totals;

static void check_typed(strata_db *db, const totals *t, int cycle) {
  int64_t count, sum;
  assert_int_equal(strata_get_int(db, "count", 5, &count), t->count ? STRATA_OK : STRATA_NOTFOUND);
  assert_int_equal(strata_get_int(db, "sum", 3, &sum), t->count ? STRATA_OK : STRATA_NOTFOUND);
  if (count != t->count || sum != t->sum)
    fail_msg("cycle %d: counters %lld and %lld, the batches present add up to %lld and %lld", cycle, (long long)count,
             (long long)sum, (long long)t->count, (long long)t->sum);
  if (!t->count) return;
  void *v;
  size_t n, pos = 0, el;
  const void *e;
  int64_t elems = 0, esum = 0;
  assert_int_equal(strata_get(db, "ids", 3, &v, &n), STRATA_OK);
  while (strata_list_next(v, n, &pos, &e, &el) == 1) {
    int id;
    assert_int_equal(el, sizeof id);
    memcpy(&id, e, sizeof id);
    elems++;
    esum += id;
  }
  strata_free(v);
  if (elems != t->count || esum != t->sum)
    fail_msg("cycle %d: the list of ids disagrees with the batches present", cycle);
  uint64_t ts;
  assert_int_equal(strata_get_latest(db, "last", 4, &v, &n, &ts), STRATA_OK);
  char want[32];
  snprintf(want, sizeof want, "batch %d", t->max_id);
  if (ts != (uint64_t)t->max_id || n != strlen(want) || memcmp(v, want, n) != 0)
    fail_msg("cycle %d: latest is ts %llu, the newest batch present is %d", cycle, (unsigned long long)ts, t->max_id);
  strata_free(v);
}

/* Reads acknowledgements until deadline_ms passes (or the child dies). */
static void collect_acks(int fd, int deadline_ms, unsigned char *acked, int *max_acked) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    int wait = deadline_ms < 0 ? -1 : (int)(deadline_ms - elapsed);
    if (deadline_ms >= 0 && wait <= 0) return;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, wait) <= 0) return;
    int id;
    ssize_t r = read(fd, &id, sizeof id);
    if (r == 0) return;
    if (r < 0) {
      if (errno == EINTR) continue;
      return;
    }
    assert_int_equal(r, sizeof id);
    acked[id] = 1;
    if (id > *max_acked) *max_acked = id;
  }
}

static void kill_cycles_run(const strata_options *opts) {
  run_opts = opts;
  char *dir = tu_tmpdir();
  int cycles = (int)tu_env_long("STRATA_CRASH_CYCLES", 50);
  size_t cap = 4u << 20;
  unsigned char *acked = calloc(cap, 1), *counted = calloc(cap, 1);
  totals t = {0, 0, -1};
  st_random rnd;
  uint64_t seed = (uint64_t)time(NULL);
  st_random_seed(&rnd, seed);
  printf("crash: seed %llu, %d cycles\n", (unsigned long long)seed, cycles);
  int start = 0, total_acked = 0;
  for (int cycle = 0; cycle < cycles; cycle++) {
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    int sync = cycle % 2 == 0;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(pipefd[0]);
      run_child(dir, pipefd[1], start, sync);
    }
    close(pipefd[1]);
    int max_acked = start - 1;
    collect_acks(pipefd[0], 5 + (int)st_random_uniform(&rnd, 60), acked, &max_acked);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status)); /* not an early exit of its own */
    collect_acks(pipefd[0], -1, acked, &max_acked);
    close(pipefd[0]);
    assert_true((size_t)max_acked + 64 < cap);

    strata_db *db;
    int rc = strata_open(dir, run_opts, &db);
    if (rc) fail_msg("cycle %d: reopen: %s (%s)", cycle, strata_strerror(rc), strata_errmsg());
    /* Every batch so far: whole or absent; acknowledged ones present.
     * Unacknowledged ones may be in flight, at most one per thread. */
    /* This cycle's batches are all checked; older ones, checked whole
     * when their cycle ended, are sampled so that long runs stay linear. */
    int end = max_acked + THREADS + 2;
    for (int id = 0; id < end; id = id >= start ? id + 1 : (id + 61 < start ? id + 61 : start)) {
      int present = 0;
      for (int j = 0; j < KEYS_PER_BATCH; j++) {
        char key[32];
        void *v;
        size_t n;
        batch_key(key, sizeof key, id, j);
        rc = strata_get(db, key, strlen(key), &v, &n);
        assert_true(rc == STRATA_OK || rc == STRATA_NOTFOUND);
        if (rc == STRATA_OK) {
          char want[64];
          snprintf(want, sizeof want, "value-of-%d-%d-%0*d", id, j, id % 30, 0);
          assert_int_equal(n, strlen(want));
          assert_memory_equal(v, want, n);
          strata_free(v);
          present++;
        }
      }
      int ranged = 0; /* r<id>-0..2 present, as bits */
      for (int j = 0; j < 3; j++) {
        char key[32];
        void *v;
        size_t n;
        range_key(key, sizeof key, id, j);
        rc = strata_get(db, key, strlen(key), &v, &n);
        assert_true(rc == STRATA_OK || rc == STRATA_NOTFOUND);
        if (rc == STRATA_OK) ranged |= 1 << j;
        strata_free(v);
      }
      if (present != 0 && present != KEYS_PER_BATCH)
        fail_msg("cycle %d: batch %d is torn (%d keys)", cycle, id, present);
      if (ranged != (present ? 5 : 0))
        fail_msg("cycle %d: batch %d: range keys %d present (want %d)", cycle, id, ranged, present ? 5 : 0);
      if (acked[id] && present == 0) fail_msg("cycle %d: acknowledged batch %d is lost", cycle, id);
      if (present) acked[id] = 1; /* survived: must survive every later cycle */
      if (present && !counted[id]) {
        counted[id] = 1;
        t.count++;
        t.sum += id;
        if (id > t.max_id) t.max_id = id;
      }
    }
    check_typed(db, &t, cycle);
    assert_int_equal(strata_close(db), STRATA_OK);
    total_acked = max_acked + 1;
    start = end;
  }
  printf("crash: %d batches acknowledged over %d cycles\n", total_acked, cycles);
  assert_true(total_acked > cycles);
  free(acked);
  free(counted);
  tu_rmdir(dir);
}

static void kill_cycles(void **state) {
  (void)state;
  kill_cycles_run(NULL);
}

/* The same with flushes and compactions running when the kill comes. */
static void kill_cycles_with_compactions(void **state) {
  (void)state;
  strata_options o;
  strata_options_init(&o);
  o.memtable_bytes = 32 << 10;
  o.l0_compaction_trigger = 2;
  o.level_base_bytes = 128 << 10;
  o.target_file_bytes = 32 << 10;
  kill_cycles_run(&o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(kill_cycles),
      cmocka_unit_test(kill_cycles_with_compactions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
