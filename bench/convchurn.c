/*
 * convchurn.c - a messaging inbox: every user has 20 conversations listed
 * newest first, keyed "m" + user + (UINT64_MAX - time) + conversation
 * (8, 8 and 4 bytes, big-endian). A new message moves its conversation to
 * the top: one atomic batch deletes the old key and puts the new one, so
 * the database fills with tombstones that scans must step over. Rows:
 * convload (every conversation once), convchurn (num messages), convscan
 * (whole inboxes of random users, checked against the bench's own copy).
 */
#include "keyset.h"
#include "workloads.h"

#define CONVS 20
#define CONV_KEY 21   /* "m" + user + ~time + conversation */
#define CONV_PREFIX 9 /* "m" + user */

/* The workers' input is the keyset of users (unpermuted: an item is its
 * user); a user's CONVS slots are its conversations' current times, and
 * the clock counts the times up. */

static void conv_key(char *k, uint64_t user, uint64_t time, uint32_t conv) {
  k[0] = 'm';
  bench_put_be64(k + 1, user);
  bench_put_be64(k + 9, UINT64_MAX - time);
  bench_put_be32(k + 17, conv);
}

static int load_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_keyset *users = t->arg;
  bench_keyset_part *p = &users->parts[t->id];
  size_t vs = c->args->value_size;
  for (uint64_t r = 0; r < p->n; r++) {
    uint64_t user = bench_keyset_item(users, t->id, r);
    for (uint32_t cv = 0; cv < CONVS; cv++) {
      uint64_t time = ++p->clock;
      conv_key(t->key, user, time, cv);
      if (c->eng->put(c->db, t->key, CONV_KEY, bench_value(t, time), vs)) return -1;
      p->slots[r * CONVS + cv] = time;
      t->user_bytes += CONV_KEY + vs;
      bench_op_done(t);
    }
  }
  return 0;
}

static int churn_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_keyset *users = t->arg;
  bench_keyset_part *p = &users->parts[t->id];
  size_t vs = c->args->value_size;
  uint64_t b, e;
  bench_part(t, c->args->num, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t r = bench_rng_uniform(&t->rng, p->n);
    uint32_t cv = (uint32_t)bench_rng_uniform(&t->rng, CONVS);
    uint64_t user = bench_keyset_item(users, t->id, r);
    uint64_t old = p->slots[r * CONVS + cv], now = ++p->clock;
    conv_key(t->key, user, old, cv);
    conv_key(t->key2, user, now, cv);
    bench_op ops[2] = {
        {1, t->key, CONV_KEY, NULL, 0},
        {0, t->key2, CONV_KEY, bench_value(t, now), vs},
    };
    if (c->eng->write(c->db, ops, 2)) return -1;
    p->slots[r * CONVS + cv] = now;
    t->user_bytes += CONV_KEY + CONV_KEY + vs;
    bench_op_done(t);
  }
  return 0;
}

static int convscan_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_engine *eng = c->eng;
  const bench_keyset *users = t->arg;
  uint64_t b, e;
  bench_part(t, c->args->reads / 10 ? c->args->reads / 10 : 1, &b, &e);
  void *it = eng->iter_new(c->db);
  if (!it) return -1;
  for (uint64_t i = b; i < e; i++) {
    /* Any user: the owners' copies are only read now. */
    uint64_t user = bench_rng_uniform(&t->rng, users->n);
    const uint64_t *times = bench_keyset_slots(users, user);
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

static int conv_rows(bench_ctx *c, const bench_keyset *users) {
  int T = c->args->threads;
  bench_step s;
  if (bench_step_run(c, &s, "convload", T, load_worker, users) || bench_step_finish(c, &s)) return -1;
  if (bench_step_run(c, &s, "convchurn", T, churn_worker, users) || bench_step_finish(c, &s)) return -1;
  if (bench_step_run(c, &s, "convscan", T, convscan_worker, users) || bench_step_finish(c, &s)) return -1;
  return 0;
}

int bench_wl_convchurn(bench_ctx *c) {
  const bench_args *a = c->args;
  bench_keyset users;
  if (bench_ctx_fresh(c, a->cfg.sync)) return -1;
  if (bench_keyset_init(&users, a->users, a->threads, CONVS)) {
    bench_engine_error("convchurn: out of memory for %llu users", (unsigned long long)a->users);
    return -1;
  }
  c->data = BENCH_DATA_OTHER;
  c->live_keys = a->users * CONVS;
  c->live_bytes = c->live_keys * (CONV_KEY + a->value_size);
  int rc = conv_rows(c, &users);
  bench_keyset_free(&users);
  return rc;
}
