/*
 * counter.c - play counts: num increments (merge_add +1) of counters
 * chosen by a Zipfian law, then row readcounters reads every counter back
 * and checks it against the increments the bench made.
 *
 * Engines without a merge operator read, add and put, which loses updates
 * when two threads increment one key; so each thread owns its own counters
 * and every total is exact.
 */
#include <stdlib.h>

#include "workloads.h"

typedef struct counter_part { /* one thread's counters */
  uint64_t nkeys;
  bench_zipf zipf; /* over this thread's counters, rank 0 the hottest */
  int64_t *counts; /* the increments made to each, by rank */
} counter_part;

typedef struct counter_arg {
  const uint32_t *perm; /* item -> key index: scatters the hot counters over the key space */
  counter_part *parts;
  uint64_t n; /* increments in all */
} counter_arg;

static void counter_key(bench_thread *t, const counter_arg *a, uint64_t r) {
  uint64_t idx = a->perm[bench_owned_item(r, t->id, t->nthreads)];
  bench_key_prefixed(t->key, t->ctx->args->key_size, 'c', idx);
}

static int increment_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const counter_arg *a = t->arg;
  counter_part *p = &a->parts[t->id];
  size_t ks = c->args->key_size;
  uint64_t b, e;
  bench_part(t, a->n, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t r = bench_zipf_next(&p->zipf, &t->rng);
    counter_key(t, a, r);
    if (c->eng->merge_add(c->db, t->key, ks, 1)) return -1;
    p->counts[r]++;
    t->user_bytes += ks + 8;
    bench_op_done(t);
  }
  return 0;
}

static int readcounters_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const counter_arg *a = t->arg;
  const counter_part *p = &a->parts[t->id];
  size_t ks = c->args->key_size;
  for (uint64_t r = 0; r < p->nkeys; r++) {
    int found = 0;
    counter_key(t, a, r);
    if (c->eng->get(c->db, t->key, ks, &t->buf, &found)) return -1;
    int64_t v = found && t->buf.len == 8 ? (int64_t)bench_get_le64(t->buf.data) : 0;
    if ((found && t->buf.len != 8) || v != p->counts[r])
      bench_wrong(t, "counter %.*s holds %lld (%zu bytes), expected %lld", (int)ks, t->key, (long long)v,
                  found ? t->buf.len : 0, (long long)p->counts[r]);
    t->tally += (uint64_t)v;
    bench_op_done(t);
  }
  return 0;
}

int bench_wl_counter(bench_ctx *c) {
  const bench_args *a = c->args;
  int T = a->threads, rc = -1;
  uint64_t K = a->zipf_keys;
  if (bench_ctx_fresh(c, a->cfg.sync)) return -1;
  counter_arg arg = {NULL, NULL, a->num};
  uint32_t *perm = malloc(K * sizeof *perm);
  counter_part *parts = calloc((size_t)T, sizeof *parts);
  if (!perm || !parts) goto oom;
  arg.perm = perm;
  arg.parts = parts;
  bench_rng r;
  bench_rng_seed(&r, bench_mix64(a->seed) ^ 0x636f756eull); /* its own stream: "coun" */
  bench_permutation(perm, K, &r);
  for (int t = 0; t < T; t++) {
    parts[t].nkeys = bench_owned_count(K, t, T);
    bench_zipf_init(&parts[t].zipf, parts[t].nkeys, a->zipf_theta);
    if (!(parts[t].counts = calloc(parts[t].nkeys, sizeof *parts[t].counts))) goto oom;
  }

  bench_step s;
  if (bench_step_run(c, &s, "counter", T, increment_worker, &arg)) goto engine_failed;
  uint64_t live = 0;
  for (int t = 0; t < T; t++)
    for (uint64_t k = 0; k < parts[t].nkeys; k++) live += parts[t].counts[k] != 0;
  c->data = BENCH_DATA_OTHER;
  c->live_keys = live;
  c->live_bytes = live * (a->key_size + 8);
  if (bench_step_finish(c, &s)) goto out;

  if (bench_step_run(c, &s, "readcounters", T, readcounters_worker, &arg)) goto engine_failed;
  uint64_t sum = s.tally, wrong = s.wrong;
  if (bench_step_finish(c, &s)) goto out;
  if (sum != a->num) {
    bench_report_error(c->report, "readcounters: the counters sum to %llu, expected %llu", (unsigned long long)sum,
                       (unsigned long long)a->num);
    if (!wrong) c->wrong_rows++;
  }
  rc = 0;
  goto out;

engine_failed:
  bench_step_free(&s);
  goto out;
oom:
  bench_engine_error("counter: out of memory for %llu counters", (unsigned long long)K);
out:
  for (int t = 0; parts && t < T; t++) free(parts[t].counts);
  free(parts);
  free(perm);
  return rc;
}
