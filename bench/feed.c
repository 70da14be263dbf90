/*
 * feed.c - activity feeds: num events appended to the feeds of users
 * chosen by a Zipfian law, each keyed by the tuple (user, time descending)
 * (strata_tuple_add_u64, strata_tuple_add_u64_desc), so a user's feed is
 * the partition of the tuple (user) and its newest event sorts first. Row
 * feedread then reads the latest 20 events of random users (a seek to the
 * partition and up to 20 nexts, bounded by strata_prefix_end) and checks
 * them against the events written.
 */
#include "keyset.h"
#include "tkey.h"
#include "workloads.h"

#define FEED_PAGE 20
#define FEED_ELEMS 2   /* user, time */
#define FEED_DESC 0x2u /* the time descends */

typedef struct feed_arg {
  bench_keyset users; /* a user's one slot: the events written to its feed; the clock: event times */
} feed_arg;

static int event_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const feed_arg *a = t->arg;
  bench_keyset_part *p = &a->users.parts[t->id];
  size_t vs = c->args->value_size;
  uint64_t b, e;
  strata_tuple key;
  int rc = -1;
  strata_tuple_init(&key);
  bench_part(t, c->args->num, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t r = bench_zipf_next(&p->zipf, &t->rng);
    uint64_t time = ++p->clock; /* unique per thread, and users are not shared */
    uint64_t el[FEED_ELEMS] = {bench_keyset_index(&a->users, bench_keyset_item(&a->users, t->id, r)), time};
    if (bench_tkey_make(&key, FEED_ELEMS, el, FEED_DESC)) goto out;
    if (c->eng->put(c->db, bench_tkey_data(&key), key.len, bench_value(t, time), vs)) goto out;
    p->slots[r]++;
    t->user_bytes += key.len + vs;
    bench_op_done(t);
  }
  rc = 0;
out:
  strata_tuple_free(&key);
  return rc;
}

static int feedread_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_engine *eng = c->eng;
  const feed_arg *a = t->arg;
  uint64_t b, e;
  strata_tuple prefix;
  bench_bound end;
  int rc = -1;
  strata_tuple_init(&prefix);
  bench_part(t, c->args->reads / 10 ? c->args->reads / 10 : 1, &b, &e);
  void *it = eng->iter_new(c->db);
  if (!it) goto out;
  for (uint64_t i = b; i < e; i++) {
    /* Any user: the owners' tallies are only read now. */
    uint64_t j = bench_rng_uniform(&t->rng, a->users.n);
    uint64_t events = bench_keyset_slots(&a->users, j)[0];
    uint64_t want = events < FEED_PAGE ? events : FEED_PAGE;
    uint64_t user = bench_keyset_index(&a->users, j);
    if (bench_tkey_make(&prefix, 1, &user, 0) || bench_tkey_partition_end(&prefix, &end)) goto out;
    eng->iter_seek(it, bench_tkey_data(&prefix), prefix.len);
    uint64_t got = 0, prev = UINT64_MAX;
    while (got < FEED_PAGE && eng->iter_valid(it)) {
      size_t klen = 0, vlen = 0;
      const char *k = eng->iter_key(it, &klen);
      if (!bench_bound_above(&end, k, klen)) break;
      const char *v = eng->iter_value(it, &vlen);
      uint64_t el[FEED_ELEMS] = {0, 0};
      int parsed = bench_tkey_parse(k, klen, FEED_ELEMS, el, FEED_DESC) == 0;
      if (!parsed || el[0] != user || el[1] >= prev || !bench_value_ok(t, v, vlen, el[1])) {
        bench_wrong(t, "feed of user %llu: event %llu (time %llu) %s", (unsigned long long)user,
                    (unsigned long long)got, (unsigned long long)el[1],
                    parsed ? "out of order or with a wrong value" : "has a key that is not (user, time desc)");
        break;
      }
      prev = el[1];
      got++;
      eng->iter_next(it);
    }
    if (got != want)
      bench_wrong(t, "feed of user %llu: read %llu events, expected %llu", (unsigned long long)user,
                  (unsigned long long)got, (unsigned long long)want);
    t->tally += got;
    bench_op_done(t);
  }
  rc = 0;
out:
  strata_tuple_free(&prefix);
  if (it && eng->iter_free(it)) rc = -1;
  return rc;
}

static int feed_rows(bench_ctx *c, const feed_arg *arg) {
  const bench_args *a = c->args;
  bench_step s;
  if (bench_step_run(c, &s, "feed", a->threads, event_worker, arg)) return -1;
  c->data = BENCH_DATA_OTHER;
  c->live_keys = a->num;
  c->live_bytes = s.user_bytes; /* every event is a key of its own */
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
  feed_arg arg;
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
