/*
 * fill.c - the write benchmarks over index keys: fillseq and fillrandom
 * (a fresh database, every key 0..num-1 once), fillsync (fillrandom with
 * every write durable) and overwrite (num puts of random existing keys).
 */
#include <stdlib.h>

#include "workloads.h"

typedef struct fill_arg {
  const uint32_t *order; /* the indices to write, num of them; NULL: 0..num-1 in order */
  uint64_t n;            /* puts in all */
  int random_keys;       /* overwrite: each put picks a random live key */
} fill_arg;

static int fill_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const fill_arg *a = t->arg;
  size_t ks = c->args->key_size, vs = c->args->value_size;
  uint64_t live = bench_index_count(c), b, e;
  /* Threads split the index range (or the permutation) into parts. */
  bench_part(t, a->n, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t idx = a->random_keys ? bench_rng_uniform(&t->rng, live) * c->stride : a->order ? a->order[i] : i;
    bench_key_index(t->key, ks, idx);
    if (c->eng->put(c->db, t->key, ks, bench_value(t, idx), vs)) return -1;
    t->user_bytes += ks + vs;
    bench_op_done(t);
  }
  return 0;
}

/* A fresh database opened with sync, filled with every index once, in
 * order or in a random permutation. */
static int fill(bench_ctx *c, const char *name, int random, int sync) {
  const bench_args *a = c->args;
  if (bench_ctx_fresh(c, sync)) return -1;
  uint32_t *order = NULL;
  if (random) {
    order = malloc(a->num * sizeof *order);
    if (!order) {
      bench_engine_error("%s: out of memory for a permutation of %llu keys", name, (unsigned long long)a->num);
      return -1;
    }
    bench_rng r;
    bench_rng_seed(&r, bench_mix64(a->seed) ^ 0x7065726dull); /* its own stream: "perm" */
    bench_permutation(order, a->num, &r);
  }
  fill_arg arg = {order, a->num, 0};
  bench_step s;
  int rc = bench_step_run(c, &s, name, a->threads, fill_worker, &arg);
  free(order);
  if (rc) return -1;
  c->data = BENCH_DATA_INDEX;
  c->stride = 1;
  c->live_keys = a->num;
  c->live_bytes = a->num * (a->key_size + a->value_size);
  return bench_step_finish(c, &s);
}

int bench_wl_fillseq(bench_ctx *c) { return fill(c, "fillseq", 0, c->args->cfg.sync); }

int bench_wl_fillrandom(bench_ctx *c) { return fill(c, "fillrandom", 1, c->args->cfg.sync); }

int bench_wl_fillsync(bench_ctx *c) {
  if (fill(c, "fillsync", 1, 1)) return -1;
  /* The rows after it run with the run's own setting again. */
  if (c->open_sync != c->args->cfg.sync && bench_ctx_reopen(c, 0, c->args->cfg.sync)) return -1;
  return 0;
}

int bench_wl_overwrite(bench_ctx *c) {
  if (bench_need_index(c)) return -1;
  fill_arg arg = {NULL, c->args->num, 1};
  bench_step s;
  if (bench_step_run(c, &s, "overwrite", c->args->threads, fill_worker, &arg)) return -1;
  return bench_step_finish(c, &s); /* the same keys stay live */
}
