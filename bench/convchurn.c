/*
 * convchurn.c - a messaging inbox: every user has 20 conversations listed
 * newest first, each keyed by the tuple (user, time of its last message
 * descending, conversation) (strata_tuple_add_u64 / _u64_desc), so an
 * inbox is the partition of the tuple (user). A new message moves its
 * conversation to the top: one atomic batch deletes the old key and puts
 * the new one, so the database fills with tombstones that scans must step
 * over. Rows: convload (every conversation once), convchurn (num
 * messages), convscan (whole inboxes of random users, bounded by
 * strata_prefix_end, checked against the bench's own copy).
 */
#include "keyset.h"
#include "tkey.h"
#include "workloads.h"

#define CONVS 20
#define CONV_ELEMS 3   /* user, ~time, conversation */
#define CONV_DESC 0x2u /* the time descends */

/* The workers' input is the keyset of users (unpermuted: an item is its
 * user); a user's CONVS slots are its conversations' current times, and
 * the clock counts the times up. */

/* Makes the key of conversation conv of user, last written at time. */
static int conv_key(strata_tuple *k, uint64_t user, uint64_t time, uint32_t conv) {
  uint64_t el[CONV_ELEMS] = {user, time, conv};
  return bench_tkey_make(k, CONV_ELEMS, el, CONV_DESC);
}

static int load_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_keyset *users = t->arg;
  bench_keyset_part *p = &users->parts[t->id];
  size_t vs = c->args->value_size;
  strata_tuple key;
  int rc = -1;
  strata_tuple_init(&key);
  for (uint64_t r = 0; r < p->n; r++) {
    uint64_t user = bench_keyset_item(users, t->id, r);
    for (uint32_t cv = 0; cv < CONVS; cv++) {
      uint64_t time = ++p->clock;
      if (conv_key(&key, user, time, cv)) goto out;
      if (c->eng->put(c->db, bench_tkey_data(&key), key.len, bench_value(t, time), vs)) goto out;
      p->slots[r * CONVS + cv] = time;
      t->user_bytes += key.len + vs;
      bench_op_done(t);
    }
  }
  rc = 0;
out:
  strata_tuple_free(&key);
  return rc;
}

static int churn_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_keyset *users = t->arg;
  bench_keyset_part *p = &users->parts[t->id];
  size_t vs = c->args->value_size;
  uint64_t b, e;
  strata_tuple old_key, new_key;
  int rc = -1;
  strata_tuple_init(&old_key);
  strata_tuple_init(&new_key);
  bench_part(t, c->args->num, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t r = bench_rng_uniform(&t->rng, p->n);
    uint32_t cv = (uint32_t)bench_rng_uniform(&t->rng, CONVS);
    uint64_t user = bench_keyset_item(users, t->id, r);
    uint64_t old = p->slots[r * CONVS + cv], now = ++p->clock;
    if (conv_key(&old_key, user, old, cv) || conv_key(&new_key, user, now, cv)) goto out;
    bench_op ops[2] = {
        {1, bench_tkey_data(&old_key), old_key.len, NULL, 0},
        {0, bench_tkey_data(&new_key), new_key.len, bench_value(t, now), vs},
    };
    if (c->eng->write(c->db, ops, 2)) goto out;
    p->slots[r * CONVS + cv] = now;
    t->user_bytes += old_key.len + new_key.len + vs;
    bench_op_done(t);
  }
  rc = 0;
out:
  strata_tuple_free(&old_key);
  strata_tuple_free(&new_key);
  return rc;
}

static int convscan_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_engine *eng = c->eng;
  const bench_keyset *users = t->arg;
  uint64_t b, e;
  strata_tuple prefix;
  bench_bound end;
  int rc = -1;
  strata_tuple_init(&prefix);
  bench_part(t, c->args->reads / 10 ? c->args->reads / 10 : 1, &b, &e);
  void *it = eng->iter_new(c->db);
  if (!it) goto out;
  for (uint64_t i = b; i < e; i++) {
    /* Any user: the owners' copies are only read now. */
    uint64_t user = bench_rng_uniform(&t->rng, users->n);
    const uint64_t *times = bench_keyset_slots(users, user);
    if (bench_tkey_make(&prefix, 1, &user, 0) || bench_tkey_partition_end(&prefix, &end)) goto out;
    eng->iter_seek(it, bench_tkey_data(&prefix), prefix.len);
    uint64_t got = 0, prev = UINT64_MAX;
    /* Past 2 * CONVS entries the inbox is wrong already; stop walking. */
    while (got <= 2 * CONVS && eng->iter_valid(it)) {
      size_t klen = 0, vlen = 0;
      const char *k = eng->iter_key(it, &klen);
      if (!bench_bound_above(&end, k, klen)) break;
      const char *v = eng->iter_value(it, &vlen);
      uint64_t el[CONV_ELEMS] = {0, 0, CONVS};
      int parsed = bench_tkey_parse(k, klen, CONV_ELEMS, el, CONV_DESC) == 0;
      uint64_t time = el[1], cv = el[2];
      if (!parsed || el[0] != user || cv >= CONVS || times[cv] != time || time >= prev ||
          !bench_value_ok(t, v, vlen, time))
        bench_wrong(t, "inbox of user %llu: entry %llu (conversation %llu, time %llu) is stale or out of order",
                    (unsigned long long)user, (unsigned long long)got, (unsigned long long)cv,
                    (unsigned long long)time);
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
  rc = 0;
out:
  strata_tuple_free(&prefix);
  if (it && eng->iter_free(it)) rc = -1;
  return rc;
}

/* The user bytes of every inbox as the bench's copy has them (the length
 * of a tuple key depends on its numbers): space amplification's
 * denominator. Returns 0, or -1 (reason recorded). */
static int inbox_bytes(const bench_ctx *c, const bench_keyset *users, uint64_t *bytes_out) {
  strata_tuple key;
  int rc = 0;
  *bytes_out = 0;
  strata_tuple_init(&key);
  for (uint64_t u = 0; u < users->n && rc == 0; u++) {
    const uint64_t *times = bench_keyset_slots(users, u);
    for (uint32_t cv = 0; cv < CONVS && rc == 0; cv++) {
      rc = conv_key(&key, u, times[cv], cv);
      *bytes_out += key.len + c->args->value_size;
    }
  }
  strata_tuple_free(&key);
  return rc;
}

static int conv_rows(bench_ctx *c, const bench_keyset *users) {
  int T = c->args->threads;
  bench_step s;
  if (bench_step_run(c, &s, "convload", T, load_worker, users)) return -1;
  c->data = BENCH_DATA_OTHER;
  c->live_keys = users->n * CONVS;
  c->live_bytes = s.user_bytes; /* every conversation once */
  if (bench_step_finish(c, &s)) return -1;
  if (bench_step_run(c, &s, "convchurn", T, churn_worker, users)) return -1;
  if (inbox_bytes(c, users, &c->live_bytes)) {
    bench_step_finish(c, &s);
    return -1;
  }
  if (bench_step_finish(c, &s)) return -1;
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
  int rc = conv_rows(c, &users);
  bench_keyset_free(&users);
  return rc;
}
