/*
 * counter.c - play counts: num increments (merge_add +1) of counters
 * chosen by a Zipfian law, then row readcounters reads every counter back
 * (get_counter) and checks it against the increments the bench made.
 *
 * strata and RocksDB add blind (strata_add, a merge operator); LevelDB
 * reads, adds and puts, which would lose updates when two threads
 * increment one key; so each thread owns its own counters and every total
 * is exact.
 */
#include "keyset.h"
#include "workloads.h"

/* The workers' input is the keyset of counters; a counter's one slot is
 * the increments made to it. */

static int increment_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_keyset *keys = t->arg;
  bench_keyset_part *p = &keys->parts[t->id];
  size_t ks = c->args->key_size;
  uint64_t b, e;
  bench_part(t, c->args->num, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t r = bench_zipf_next(&p->zipf, &t->rng);
    bench_keyset_key(t, keys, 'c', r);
    if (c->eng->merge_add(c->db, t->key, ks, 1)) return -1;
    p->slots[r]++;
    t->user_bytes += ks + 8;
    bench_op_done(t);
  }
  return 0;
}

static int readcounters_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_keyset *keys = t->arg;
  const bench_keyset_part *p = &keys->parts[t->id];
  size_t ks = c->args->key_size;
  for (uint64_t r = 0; r < p->n; r++) {
    int found = 0;
    int64_t v = 0;
    bench_keyset_key(t, keys, 'c', r);
    if (c->eng->get_counter(c->db, t->key, ks, &v, &found)) return -1;
    /* A counter never incremented must be absent, not 0. */
    if (found != (p->slots[r] != 0) || (uint64_t)v != p->slots[r])
      bench_wrong(t, "counter %.*s holds %lld (%s), expected %lld", (int)ks, t->key, (long long)v,
                  found ? "found" : "absent", (long long)p->slots[r]);
    t->tally += (uint64_t)v;
    bench_op_done(t);
  }
  return 0;
}

static int counter_rows(bench_ctx *c, const bench_keyset *keys) {
  const bench_args *a = c->args;
  bench_step s;
  if (bench_step_run(c, &s, "counter", a->threads, increment_worker, keys)) return -1;
  c->data = BENCH_DATA_OTHER;
  c->live_keys = bench_keyset_touched(keys);
  c->live_bytes = c->live_keys * (a->key_size + 8);
  if (bench_step_finish(c, &s)) return -1;

  if (bench_step_run(c, &s, "readcounters", a->threads, readcounters_worker, keys)) return -1;
  uint64_t sum = s.tally, wrong = s.wrong;
  if (bench_step_finish(c, &s)) return -1;
  if (sum != a->num) {
    bench_report_error(c->report, "readcounters: the counters sum to %llu, expected %llu", (unsigned long long)sum,
                       (unsigned long long)a->num);
    if (!wrong) c->wrong_rows++;
  }
  return 0;
}

int bench_wl_counter(bench_ctx *c) {
  const bench_args *a = c->args;
  bench_keyset keys;
  if (bench_ctx_fresh(c, a->cfg.sync)) return -1;
  /* its own stream: "coun" */
  if (bench_keyset_init_zipf(&keys, a->zipf_keys, a->threads, 1, a->zipf_theta, bench_mix64(a->seed) ^ 0x636f756eull)) {
    bench_engine_error("counter: out of memory for %llu counters", (unsigned long long)a->zipf_keys);
    return -1;
  }
  int rc = counter_rows(c, &keys);
  bench_keyset_free(&keys);
  return rc;
}
