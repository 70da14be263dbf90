/*
 * convchurn.c - a messaging inbox: every user has 20 conversations listed
 * newest first, keyed "m" + user + (UINT64_MAX - time) + conversation
 * (8, 8 and 4 bytes, big-endian). A new message moves its conversation to
 * the top: one atomic batch deletes the old key and puts the new one, so
 * the database fills with tombstones that scans must step over. Rows:
 * convload (every conversation once), convchurn (num messages), convscan
 * (whole inboxes of random users, checked against the bench's own copy).
 */
#include <stdlib.h>

#include "workloads.h"

#define CONVS 20
#define CONV_KEY 21   /* "m" + user + ~time + conversation */
#define CONV_PREFIX 9 /* "m" + user */

typedef struct conv_part { /* one thread's users */
  uint64_t nusers;
  uint64_t *times; /* each conversation's current time: [rank * CONVS + conversation] */
  uint64_t clock;
} conv_part;

typedef struct conv_arg {
  conv_part *parts;
  uint64_t n;
} conv_arg;

static void conv_key(char *k, uint64_t user, uint64_t time, uint32_t conv) {
  k[0] = 'm';
  bench_put_be64(k + 1, user);
  bench_put_be64(k + 9, UINT64_MAX - time);
  bench_put_be32(k + 17, conv);
}

static int load_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const conv_arg *a = t->arg;
  conv_part *p = &a->parts[t->id];
  size_t vs = c->args->value_size;
  for (uint64_t r = 0; r < p->nusers; r++) {
    uint64_t user = bench_owned_item(r, t->id, t->nthreads);
    for (uint32_t cv = 0; cv < CONVS; cv++) {
      uint64_t time = ++p->clock;
      conv_key(t->key, user, time, cv);
      if (c->eng->put(c->db, t->key, CONV_KEY, bench_value(t, time), vs)) return -1;
      p->times[r * CONVS + cv] = time;
      t->user_bytes += CONV_KEY + vs;
      bench_op_done(t);
    }
  }
  return 0;
}

static int churn_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const conv_arg *a = t->arg;
  conv_part *p = &a->parts[t->id];
  size_t vs = c->args->value_size;
  uint64_t b, e;
  bench_part(t, a->n, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t r = bench_rng_uniform(&t->rng, p->nusers);
    uint32_t cv = (uint32_t)bench_rng_uniform(&t->rng, CONVS);
    uint64_t user = bench_owned_item(r, t->id, t->nthreads);
    uint64_t old = p->times[r * CONVS + cv], now = ++p->clock;
    conv_key(t->key, user, old, cv);
    conv_key(t->key2, user, now, cv);
    bench_op ops[2] = {
        {1, t->key, CONV_KEY, NULL, 0},
        {0, t->key2, CONV_KEY, bench_value(t, now), vs},
    };
    if (c->eng->write(c->db, ops, 2)) return -1;
    p->times[r * CONVS + cv] = now;
    t->user_bytes += CONV_KEY + CONV_KEY + vs;
    bench_op_done(t);
  }
  return 0;
}

static int convscan_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_engine *eng = c->eng;
  const conv_arg *a = t->arg;
  uint64_t users = c->args->users, b, e;
  bench_part(t, c->args->reads / 10 ? c->args->reads / 10 : 1, &b, &e);
  void *it = eng->iter_new(c->db);
  if (!it) return -1;
  for (uint64_t i = b; i < e; i++) {
    /* Any user: the owners' copies are only read now. */
    uint64_t user = bench_rng_uniform(&t->rng, users);
    const conv_part *p = &a->parts[user % (uint64_t)t->nthreads];
    const uint64_t *times = &p->times[user / (uint64_t)t->nthreads * CONVS];
    t->key[0] = 'm';
    bench_put_be64(t->key + 1, user);
    eng->iter_seek(it, t->key, CONV_PREFIX);
    uint64_t got = 0, prev = UINT64_MAX;
    /* Past 2 * CONVS entries the inbox is wrong already; stop walking. */
    while (got <= 2 * CONVS && eng->iter_valid(it)) {
      size_t klen = 0, vlen = 0;
      const char *k = eng->iter_key(it, &klen);
      if (klen < CONV_PREFIX || memcmp(k, t->key, CONV_PREFIX) != 0) break;
      const char *v = eng->iter_value(it, &vlen);
      uint64_t time = klen == CONV_KEY ? UINT64_MAX - bench_get_be64(k + 9) : 0;
      uint32_t cv = klen == CONV_KEY ? bench_get_be32(k + 17) : CONVS;
      if (klen != CONV_KEY || cv >= CONVS || times[cv] != time || time >= prev || !bench_value_ok(t, v, vlen, time))
        bench_wrong(t, "inbox of user %llu: entry %llu (conversation %u, time %llu) is stale or out of order",
                    (unsigned long long)user, (unsigned long long)got, cv, (unsigned long long)time);
      prev = time;
      got++;
      eng->iter_next(it);
    }
    if (got != CONVS)
      bench_wrong(t, "inbox of user %llu: %llu conversations, expected %d", (unsigned long long)user,
                  (unsigned long long)got, CONVS);
    t->tally += got;
    bench_op_done(t);
  }
  return eng->iter_free(it);
}

int bench_wl_convchurn(bench_ctx *c) {
  const bench_args *a = c->args;
  int T = a->threads, rc = -1;
  uint64_t U = a->users;
  if (bench_ctx_fresh(c, a->cfg.sync)) return -1;
  conv_arg arg = {NULL, a->num};
  conv_part *parts = calloc((size_t)T, sizeof *parts);
  if (!parts) goto oom;
  arg.parts = parts;
  for (int t = 0; t < T; t++) {
    parts[t].nusers = bench_owned_count(U, t, T);
    if (!(parts[t].times = calloc(parts[t].nusers * CONVS, sizeof *parts[t].times))) goto oom;
  }
  c->data = BENCH_DATA_OTHER;
  c->live_keys = U * CONVS;
  c->live_bytes = c->live_keys * (CONV_KEY + a->value_size);

  bench_step s;
  if (bench_step_run(c, &s, "convload", T, load_worker, &arg)) goto engine_failed;
  if (bench_step_finish(c, &s)) goto out;
  if (bench_step_run(c, &s, "convchurn", T, churn_worker, &arg)) goto engine_failed;
  if (bench_step_finish(c, &s)) goto out;
  if (bench_step_run(c, &s, "convscan", T, convscan_worker, &arg)) goto engine_failed;
  if (bench_step_finish(c, &s)) goto out;
  rc = 0;
  goto out;

engine_failed:
  bench_step_free(&s);
  goto out;
oom:
  bench_engine_error("convchurn: out of memory for %llu users", (unsigned long long)U);
out:
  for (int t = 0; parts && t < T; t++) free(parts[t].times);
  free(parts);
  return rc;
}
