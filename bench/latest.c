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
#include "keyset.h"
#include "workloads.h"

/* The workers' input is the keyset; a key's one slot is the greatest
 * timestamp sent to it (0: none), and the thread's clock counts the
 * timestamps up. */

/* Gets thread t's key of rank r (into t->key and t->buf) and checks that
 * it holds newest. Returns 0 with the stored timestamp in *stored_out (0
 * when there is none: timestamps start at 1), or -1 when the engine
 * failed. */
static int latest_get(bench_thread *t, const bench_keyset *keys, uint64_t r, uint64_t newest, uint64_t *stored_out) {
  bench_ctx *c = t->ctx;
  size_t ks = c->args->key_size, vs = c->args->value_size;
  int found = 0;
  *stored_out = 0;
  bench_keyset_key(t, keys, 'p', r);
  if (c->eng->get(c->db, t->key, ks, &t->buf, &found)) return -1;
  uint64_t stored = found && t->buf.len == vs ? bench_get_be64(t->buf.data) : 0;
  if (found ? t->buf.len != vs || stored != newest : newest != 0)
    bench_wrong(t, "key %.*s holds timestamp %llu, the newest sent was %llu", (int)ks, t->key,
                (unsigned long long)stored, (unsigned long long)newest);
  *stored_out = stored;
  return 0;
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
    uint64_t stored;
    if (latest_get(t, keys, r, newest, &stored)) return -1;
    if (stored < ts) { /* or none stored: ts >= 1 */
      const char *v = bench_value(t, 0);
      bench_put_be64(t->val, ts);
      if (c->eng->put(c->db, t->key, ks, v, vs)) return -1;
      t->user_bytes += ks + vs;
    } else {
      t->tally2++; /* the stored value stays */
    }
    if (ts > newest) p->slots[r] = ts;
    bench_op_done(t);
  }
  return 0;
}

static int readlatest_worker(bench_thread *t) {
  const bench_keyset *keys = t->arg;
  const bench_keyset_part *p = &keys->parts[t->id];
  for (uint64_t r = 0; r < p->n; r++) {
    uint64_t stored;
    if (latest_get(t, keys, r, p->slots[r], &stored)) return -1;
    bench_op_done(t);
  }
  return 0;
}

static int latest_rows(bench_ctx *c, const bench_keyset *keys) {
  const bench_args *a = c->args;
  bench_step s;
  if (bench_step_run(c, &s, "latest", a->threads, update_worker, keys)) return -1;
  uint64_t late = s.tally, kept = s.tally2;
  c->data = BENCH_DATA_OTHER;
  c->live_keys = bench_keyset_touched(keys);
  c->live_bytes = c->live_keys * (a->key_size + a->value_size);
  if (bench_step_finish(c, &s)) return -1;
  bench_report_note(c->report, "%llu of %llu updates came late; %llu found a newer value stored and left it",
                    (unsigned long long)late, (unsigned long long)a->num, (unsigned long long)kept);

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
