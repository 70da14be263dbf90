/*
 * latest.c - podcast positions: num updates of Zipf-chosen keys, each with
 * a user timestamp, about a fifth of them late (older than the newest
 * already sent for that key). The value is the 8-byte big-endian timestamp
 * and filler. Each update is one put_latest: blind on strata
 * (strata_put_latest) and RocksDB (a merge operator), a get, a comparison
 * and a put on LevelDB and LMDB. Row readlatest checks every key holds the
 * newest timestamp sent to it, and that newest value's bytes.
 *
 * Each thread owns its keys, so the read-compare-put is exact.
 */
#include "keyset.h"
#include "workloads.h"

/* The workers' input is the keyset; a key's one slot is the greatest
 * timestamp sent to it (0: none), and the thread's clock counts the
 * timestamps up. */

/* The value of the update of key index idx at ts, in t->val: the
 * timestamp, then filler from the pool at an offset drawn from both, so
 * that the read can check every byte of the value it gets. */
static const char *latest_value(bench_thread *t, uint64_t idx, uint64_t ts) {
  const bench_pool *pool = &t->ctx->pool;
  size_t vs = t->ctx->args->value_size;
  uint64_t off = bench_mix64(ts ^ bench_mix64(idx)) % (pool->size - vs + 1);
  memcpy(t->val, pool->data + off, vs);
  bench_put_be64(t->val, ts);
  return t->val;
}

static int update_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_keyset *keys = t->arg;
  bench_keyset_part *p = &keys->parts[t->id];
  size_t ks = c->args->key_size, vs = c->args->value_size;
  uint64_t b, e;
  bench_part(t, c->args->num, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t r = bench_zipf_next(&p->zipf, &t->rng);
    uint64_t newest = p->slots[r], ts;
    if (newest > 1 && bench_rng_uniform(&t->rng, 5) == 0) {
      /* Late: somewhere in the 1000 ticks before the newest. */
      uint64_t span = newest - 1 < 1000 ? newest - 1 : 1000;
      ts = newest - 1 - bench_rng_uniform(&t->rng, span);
      t->tally++;
    } else {
      ts = ++p->clock; /* the clock never lags a key's newest */
    }
    bench_keyset_key(t, keys, 'p', r);
    const char *v = latest_value(t, bench_keyset_index(keys, bench_keyset_item(keys, t->id, r)), ts);
    if (c->eng->put_latest(c->db, t->key, ks, v, vs, ts)) return -1;
    t->user_bytes += ks + vs;
    if (ts > newest) p->slots[r] = ts;
    bench_op_done(t);
  }
  return 0;
}

static int readlatest_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_keyset *keys = t->arg;
  const bench_keyset_part *p = &keys->parts[t->id];
  size_t ks = c->args->key_size, vs = c->args->value_size;
  for (uint64_t r = 0; r < p->n; r++) {
    uint64_t newest = p->slots[r], ts = 0;
    int found = 0;
    bench_keyset_key(t, keys, 'p', r);
    if (c->eng->get_latest(c->db, t->key, ks, &t->buf, &ts, &found)) return -1;
    if (found && newest) latest_value(t, bench_keyset_index(keys, bench_keyset_item(keys, t->id, r)), newest);
    if (found != (newest != 0) || ts != newest || (found && (t->buf.len != vs || memcmp(t->buf.data, t->val, vs))))
      bench_wrong(t, "key %.*s holds timestamp %llu (%s, value of %zu bytes), the newest sent was %llu", (int)ks,
                  t->key, (unsigned long long)ts, found ? "found" : "absent", found ? t->buf.len : 0,
                  (unsigned long long)newest);
    bench_op_done(t);
  }
  return 0;
}

static int latest_rows(bench_ctx *c, const bench_keyset *keys) {
  const bench_args *a = c->args;
  bench_step s;
  if (bench_step_run(c, &s, "latest", a->threads, update_worker, keys)) return -1;
  uint64_t late = s.tally;
  c->data = BENCH_DATA_OTHER;
  c->live_keys = bench_keyset_touched(keys);
  c->live_bytes = c->live_keys * (a->key_size + a->value_size);
  if (bench_step_finish(c, &s)) return -1;
  bench_report_note(c->report, "%llu of %llu updates came late (older than the newest sent to their key)",
                    (unsigned long long)late, (unsigned long long)a->num);

  if (bench_step_run(c, &s, "readlatest", a->threads, readlatest_worker, keys)) return -1;
  return bench_step_finish(c, &s);
}

int bench_wl_latest(bench_ctx *c) {
  const bench_args *a = c->args;
  bench_keyset keys;
  if (bench_ctx_fresh(c, a->cfg.sync)) return -1;
  /* its own stream: "late" */
  if (bench_keyset_init_zipf(&keys, a->zipf_keys, a->threads, 1, a->zipf_theta, bench_mix64(a->seed) ^ 0x6c617465ull)) {
    bench_engine_error("latest: out of memory for %llu keys", (unsigned long long)a->zipf_keys);
    return -1;
  }
  int rc = latest_rows(c, &keys);
  bench_keyset_free(&keys);
  return rc;
}
