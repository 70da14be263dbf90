/*
 * latest.c - podcast positions: num updates of Zipf-chosen keys, each with
 * a user timestamp, about a fifth of them late (older than the newest
 * already sent for that key). The value is the 8-byte big-endian timestamp
 * and filler. Each update reads the stored value and writes only when its
 * own is newer (what an application does without an engine-side
 * latest-wins merge). Row readlatest checks every key holds the newest
 * timestamp sent to it.
 *
 * Each thread owns its keys, so the read-compare-put is exact.
 */
#include <stdlib.h>

#include "workloads.h"

typedef struct latest_part { /* one thread's keys */
  uint64_t nkeys;
  bench_zipf zipf;
  uint64_t *newest; /* the greatest timestamp sent to each key (0: none), by rank */
  uint64_t clock;   /* the thread's timestamps count up from here */
  uint64_t late;    /* updates sent late */
} latest_part;

typedef struct latest_arg {
  const uint32_t *perm; /* item -> key index */
  latest_part *parts;
  uint64_t n;
} latest_arg;

static void latest_key(bench_thread *t, const latest_arg *a, uint64_t r) {
  uint64_t idx = a->perm[bench_owned_item(r, t->id, t->nthreads)];
  bench_key_prefixed(t->key, t->ctx->args->key_size, 'p', idx);
}

static int update_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const latest_arg *a = t->arg;
  latest_part *p = &a->parts[t->id];
  size_t ks = c->args->key_size, vs = c->args->value_size;
  uint64_t b, e;
  bench_part(t, a->n, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t r = bench_zipf_next(&p->zipf, &t->rng);
    uint64_t newest = p->newest[r], ts;
    if (newest > 1 && bench_rng_uniform(&t->rng, 5) == 0) {
      /* Late: somewhere in the 1000 ticks before the newest. */
      uint64_t span = newest - 1 < 1000 ? newest - 1 : 1000;
      ts = newest - 1 - bench_rng_uniform(&t->rng, span);
      p->late++;
    } else {
      ts = ++p->clock; /* the clock never lags a key's newest */
    }
    latest_key(t, a, r);
    int found = 0;
    if (c->eng->get(c->db, t->key, ks, &t->buf, &found)) return -1;
    uint64_t stored = found && t->buf.len == vs ? bench_get_be64(t->buf.data) : 0;
    if (found ? t->buf.len != vs || stored != newest : newest != 0)
      bench_wrong(t, "key %.*s holds timestamp %llu, the newest sent was %llu", (int)ks, t->key,
                  (unsigned long long)stored, (unsigned long long)newest);
    if (!found || stored < ts) {
      const char *v = bench_value(t, 0);
      bench_put_be64(t->val, ts);
      if (c->eng->put(c->db, t->key, ks, v, vs)) return -1;
      t->user_bytes += ks + vs;
    } else {
      t->tally2++; /* the stored value stays */
    }
    if (ts > newest) p->newest[r] = ts;
    bench_op_done(t);
  }
  return 0;
}

static int readlatest_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const latest_arg *a = t->arg;
  const latest_part *p = &a->parts[t->id];
  size_t ks = c->args->key_size, vs = c->args->value_size;
  for (uint64_t r = 0; r < p->nkeys; r++) {
    int found = 0;
    latest_key(t, a, r);
    if (c->eng->get(c->db, t->key, ks, &t->buf, &found)) return -1;
    uint64_t stored = found && t->buf.len == vs ? bench_get_be64(t->buf.data) : 0;
    if (found ? t->buf.len != vs || stored != p->newest[r] : p->newest[r] != 0)
      bench_wrong(t, "key %.*s holds timestamp %llu, the newest sent was %llu", (int)ks, t->key,
                  (unsigned long long)stored, (unsigned long long)p->newest[r]);
    bench_op_done(t);
  }
  return 0;
}

int bench_wl_latest(bench_ctx *c) {
  const bench_args *a = c->args;
  int T = a->threads, rc = -1;
  uint64_t K = a->zipf_keys;
  if (bench_ctx_fresh(c, a->cfg.sync)) return -1;
  latest_arg arg = {NULL, NULL, a->num};
  uint32_t *perm = malloc(K * sizeof *perm);
  latest_part *parts = calloc((size_t)T, sizeof *parts);
  if (!perm || !parts) goto oom;
  arg.perm = perm;
  arg.parts = parts;
  bench_rng r;
  bench_rng_seed(&r, bench_mix64(a->seed) ^ 0x6c617465ull); /* its own stream: "late" */
  bench_permutation(perm, K, &r);
  for (int t = 0; t < T; t++) {
    parts[t].nkeys = bench_owned_count(K, t, T);
    bench_zipf_init(&parts[t].zipf, parts[t].nkeys, a->zipf_theta);
    if (!(parts[t].newest = calloc(parts[t].nkeys, sizeof *parts[t].newest))) goto oom;
  }

  bench_step s;
  if (bench_step_run(c, &s, "latest", T, update_worker, &arg)) goto engine_failed;
  uint64_t live = 0, late = 0, kept = s.tally2;
  for (int t = 0; t < T; t++) {
    late += parts[t].late;
    for (uint64_t k = 0; k < parts[t].nkeys; k++) live += parts[t].newest[k] != 0;
  }
  c->data = BENCH_DATA_OTHER;
  c->live_keys = live;
  c->live_bytes = live * (a->key_size + a->value_size);
  if (bench_step_finish(c, &s)) goto out;
  bench_report_note(c->report, "%llu of %llu updates came late; %llu found a newer value stored and left it",
                    (unsigned long long)late, (unsigned long long)a->num, (unsigned long long)kept);

  if (bench_step_run(c, &s, "readlatest", T, readlatest_worker, &arg)) goto engine_failed;
  if (bench_step_finish(c, &s)) goto out;
  rc = 0;
  goto out;

engine_failed:
  bench_step_free(&s);
  goto out;
oom:
  bench_engine_error("latest: out of memory for %llu keys", (unsigned long long)K);
out:
  for (int t = 0; parts && t < T; t++) free(parts[t].newest);
  free(parts);
  free(perm);
  return rc;
}
