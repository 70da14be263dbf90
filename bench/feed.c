/*
 * feed.c - activity feeds: num events appended to the feeds of users
 * chosen by a Zipfian law, keyed "f" + user + (UINT64_MAX - time), both
 * 8-byte big-endian, so a user's newest event sorts first. Row feedread
 * then reads the latest 20 events of random users (a prefix seek and up to
 * 20 nexts) and checks them against the events written.
 */
#include <stdlib.h>

#include "workloads.h"

#define FEED_PAGE 20
#define FEED_PREFIX 9 /* "f" + user */

typedef struct feed_part { /* one thread's users */
  uint64_t nusers;
  bench_zipf zipf;
  uint64_t *events; /* events written to each user's feed, by rank */
  uint64_t clock;   /* event times; unique per thread, and users are not shared */
} feed_part;

typedef struct feed_arg {
  const uint32_t *perm; /* item -> user id: scatters the busy users */
  feed_part *parts;
  size_t klen; /* 17, or key-size when larger (zero padding) */
  uint64_t n;
} feed_arg;

static void feed_key(char *k, const feed_arg *a, uint64_t user, uint64_t time) {
  k[0] = 'f';
  bench_put_be64(k + 1, user);
  bench_put_be64(k + 9, UINT64_MAX - time);
  memset(k + 17, 0, a->klen - 17);
}

static int event_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const feed_arg *a = t->arg;
  feed_part *p = &a->parts[t->id];
  size_t vs = c->args->value_size;
  uint64_t b, e;
  bench_part(t, a->n, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t r = bench_zipf_next(&p->zipf, &t->rng);
    uint64_t time = ++p->clock;
    feed_key(t->key, a, a->perm[bench_owned_item(r, t->id, t->nthreads)], time);
    if (c->eng->put(c->db, t->key, a->klen, bench_value(t, time), vs)) return -1;
    p->events[r]++;
    t->user_bytes += a->klen + vs;
    bench_op_done(t);
  }
  return 0;
}

static int feedread_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_engine *eng = c->eng;
  const feed_arg *a = t->arg;
  uint64_t users = c->args->users, b, e;
  bench_part(t, c->args->reads / 10 ? c->args->reads / 10 : 1, &b, &e);
  void *it = eng->iter_new(c->db);
  if (!it) return -1;
  for (uint64_t i = b; i < e; i++) {
    /* Any user: the owners' tallies are only read now. */
    uint64_t j = bench_rng_uniform(&t->rng, users);
    int owner = (int)(j % (uint64_t)t->nthreads);
    uint64_t events = a->parts[owner].events[j / (uint64_t)t->nthreads];
    uint64_t want = events < FEED_PAGE ? events : FEED_PAGE;
    uint64_t user = a->perm[j];
    t->key[0] = 'f';
    bench_put_be64(t->key + 1, user);
    eng->iter_seek(it, t->key, FEED_PREFIX);
    uint64_t got = 0, prev = UINT64_MAX;
    while (got < FEED_PAGE && eng->iter_valid(it)) {
      size_t klen = 0, vlen = 0;
      const char *k = eng->iter_key(it, &klen);
      if (klen != a->klen || memcmp(k, t->key, FEED_PREFIX) != 0) break;
      const char *v = eng->iter_value(it, &vlen);
      uint64_t time = UINT64_MAX - bench_get_be64(k + 9);
      if (time >= prev || !bench_value_ok(t, v, vlen, time)) {
        bench_wrong(t, "feed of user %llu: event %llu (time %llu) out of order or with a wrong value",
                    (unsigned long long)user, (unsigned long long)got, (unsigned long long)time);
        break;
      }
      prev = time;
      got++;
      eng->iter_next(it);
    }
    if (got != want)
      bench_wrong(t, "feed of user %llu: read %llu events, expected %llu", (unsigned long long)user,
                  (unsigned long long)got, (unsigned long long)want);
    t->tally += got;
    bench_op_done(t);
  }
  return eng->iter_free(it);
}

int bench_wl_feed(bench_ctx *c) {
  const bench_args *a = c->args;
  int T = a->threads, rc = -1;
  uint64_t U = a->users;
  if (bench_ctx_fresh(c, a->cfg.sync)) return -1;
  feed_arg arg = {NULL, NULL, a->key_size > 17 ? a->key_size : 17, a->num};
  uint32_t *perm = malloc(U * sizeof *perm);
  feed_part *parts = calloc((size_t)T, sizeof *parts);
  if (!perm || !parts) goto oom;
  arg.perm = perm;
  arg.parts = parts;
  bench_rng r;
  bench_rng_seed(&r, bench_mix64(a->seed) ^ 0x66656564ull); /* its own stream: "feed" */
  bench_permutation(perm, U, &r);
  for (int t = 0; t < T; t++) {
    parts[t].nusers = bench_owned_count(U, t, T);
    bench_zipf_init(&parts[t].zipf, parts[t].nusers, a->zipf_theta);
    if (!(parts[t].events = calloc(parts[t].nusers, sizeof *parts[t].events))) goto oom;
  }

  bench_step s;
  if (bench_step_run(c, &s, "feed", T, event_worker, &arg)) goto engine_failed;
  c->data = BENCH_DATA_OTHER;
  c->live_keys = a->num;
  c->live_bytes = a->num * (arg.klen + a->value_size);
  if (bench_step_finish(c, &s)) goto out;

  if (bench_step_run(c, &s, "feedread", T, feedread_worker, &arg)) goto engine_failed;
  uint64_t feeds = s.row.ops, events = s.tally;
  if (bench_step_finish(c, &s)) goto out;
  bench_report_note(c->report, "feedread: %llu events in %llu feeds (%.1f per feed)", (unsigned long long)events,
                    (unsigned long long)feeds, feeds ? (double)events / (double)feeds : 0.0);
  rc = 0;
  goto out;

engine_failed:
  bench_step_free(&s);
  goto out;
oom:
  bench_engine_error("feed: out of memory for %llu users", (unsigned long long)U);
out:
  for (int t = 0; parts && t < T; t++) free(parts[t].events);
  free(parts);
  free(perm);
  return rc;
}
