/*
 * feed.c - activity feeds: num events appended to the feeds of users
 * chosen by a Zipfian law, keyed "f" + user + (UINT64_MAX - time), both
 * 8-byte big-endian, so a user's newest event sorts first. Row feedread
 * then reads the latest 20 events of random users (a prefix seek and up to
 * 20 nexts) and checks them against the events written.
 */
#include "keyset.h"
#include "workloads.h"

#define FEED_PAGE 20
#define FEED_PREFIX 9 /* "f" + user */

typedef struct feed_arg {
  bench_keyset users; /* a user's one slot: the events written to its feed; the clock: event times */
  size_t klen;        /* 17, or key-size when larger (zero padding) */
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
  bench_keyset_part *p = &a->users.parts[t->id];
  size_t vs = c->args->value_size;
  uint64_t b, e;
  bench_part(t, c->args->num, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t r = bench_zipf_next(&p->zipf, &t->rng);
    uint64_t time = ++p->clock; /* unique per thread, and users are not shared */
    feed_key(t->key, a, bench_keyset_index(&a->users, bench_keyset_item(&a->users, t->id, r)), time);
    if (c->eng->put(c->db, t->key, a->klen, bench_value(t, time), vs)) return -1;
    p->slots[r]++;
    t->user_bytes += a->klen + vs;
    bench_op_done(t);
  }
  return 0;
}

static int feedread_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_engine *eng = c->eng;
  const feed_arg *a = t->arg;
  uint64_t b, e;
  bench_part(t, c->args->reads / 10 ? c->args->reads / 10 : 1, &b, &e);
  void *it = eng->iter_new(c->db);
  if (!it) return -1;
  for (uint64_t i = b; i < e; i++) {
    /* Any user: the owners' tallies are only read now. */
    uint64_t j = bench_rng_uniform(&t->rng, a->users.n);
    uint64_t events = bench_keyset_slots(&a->users, j)[0];
    uint64_t want = events < FEED_PAGE ? events : FEED_PAGE;
    uint64_t user = bench_keyset_index(&a->users, j);
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

static int feed_rows(bench_ctx *c, const feed_arg *arg) {
  const bench_args *a = c->args;
  bench_step s;
  if (bench_step_run(c, &s, "feed", a->threads, event_worker, arg)) return -1;
  c->data = BENCH_DATA_OTHER;
  c->live_keys = a->num;
  c->live_bytes = a->num * (arg->klen + a->value_size);
  if (bench_step_finish(c, &s)) return -1;

  if (bench_step_run(c, &s, "feedread", a->threads, feedread_worker, arg)) return -1;
  uint64_t feeds = s.row.ops, events = s.tally;
  if (bench_step_finish(c, &s)) return -1;
  bench_report_note(c->report, "feedread: %llu events in %llu feeds (%.1f per feed)", (unsigned long long)events,
                    (unsigned long long)feeds, feeds ? (double)events / (double)feeds : 0.0);
  return 0;
}

int bench_wl_feed(bench_ctx *c) {
  const bench_args *a = c->args;
  feed_arg arg = {.klen = a->key_size > 17 ? a->key_size : 17};
  if (bench_ctx_fresh(c, a->cfg.sync)) return -1;
  /* its own stream: "feed" */
  if (bench_keyset_init_zipf(&arg.users, a->users, a->threads, 1, a->zipf_theta,
                             bench_mix64(a->seed) ^ 0x66656564ull)) {
    bench_engine_error("feed: out of memory for %llu users", (unsigned long long)a->users);
    return -1;
  }
  int rc = feed_rows(c, &arg);
  bench_keyset_free(&arg.users);
  return rc;
}
