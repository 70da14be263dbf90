/*
 * reads.c - point reads over index keys: readrandom (existing keys),
 * readmissing (absent keys among them), seekrandom (seek and ten nexts),
 * and mixed (90% reads, 10% overwrites). Every value read is checked
 * against the stamp its writer put in it.
 */
#include "workloads.h"

/* Reads one existing index key and checks its value; tallies hits. */
static int get_checked(bench_thread *t, uint64_t idx) {
  bench_ctx *c = t->ctx;
  size_t ks = c->args->key_size;
  int found = 0;
  bench_key_index(t->key, ks, idx);
  if (c->eng->get(c->db, t->key, ks, &t->buf, &found)) return -1;
  if (!found)
    bench_wrong(t, "key %.*s not found", (int)ks, t->key);
  else if (!bench_value_ok(t, t->buf.data, t->buf.len, idx))
    bench_wrong(t, "key %.*s has a wrong value (%zu bytes)", (int)ks, t->key, t->buf.len);
  else
    t->tally++;
  return 0;
}

static int readrandom_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  uint64_t live = bench_index_count(c), b, e;
  bench_part(t, c->args->reads, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    if (get_checked(t, bench_rng_uniform(&t->rng, live) * c->stride)) return -1;
    bench_op_done(t);
  }
  return 0;
}

static int readmissing_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  size_t ks = c->args->key_size;
  uint64_t b, e;
  bench_part(t, c->args->reads, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    int found = 0;
    bench_key_missing(t->key, ks, bench_rng_uniform(&t->rng, c->args->num));
    if (c->eng->get(c->db, t->key, ks, &t->buf, &found)) return -1;
    if (found)
      bench_wrong(t, "absent key %.*s was found", (int)ks, t->key);
    else
      t->tally++;
    bench_op_done(t);
  }
  return 0;
}

#define SEEK_NEXTS 10

static int seekrandom_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_engine *eng = c->eng;
  size_t ks = c->args->key_size;
  uint64_t live = bench_index_count(c), b, e;
  bench_part(t, c->args->reads, &b, &e);
  void *it = eng->iter_new(c->db);
  if (!it) return -1;
  for (uint64_t i = b; i < e; i++) {
    uint64_t idx = bench_rng_uniform(&t->rng, live) * c->stride;
    bench_key_index(t->key, ks, idx);
    eng->iter_seek(it, t->key, ks);
    size_t klen = 0, vlen = 0;
    const char *k = eng->iter_valid(it) ? eng->iter_key(it, &klen) : NULL;
    const char *v = k ? eng->iter_value(it, &vlen) : NULL;
    if (!k || klen != ks || memcmp(k, t->key, ks) != 0 || !bench_value_ok(t, v, vlen, idx)) {
      bench_wrong(t, "seek to existing key %.*s landed elsewhere", (int)ks, t->key);
    } else {
      /* The next keys: ascending stamps, as index order is key order. */
      uint64_t prev = idx;
      for (int n = 0; n < SEEK_NEXTS; n++) {
        eng->iter_next(it);
        if (!eng->iter_valid(it)) break;
        v = eng->iter_value(it, &vlen);
        uint64_t stamp = vlen == c->args->value_size ? bench_get_le64(v) : 0;
        if (vlen != c->args->value_size || stamp <= prev) {
          bench_wrong(t, "after seek to %.*s: entries out of order or wrong values", (int)ks, t->key);
          break;
        }
        prev = stamp;
      }
      t->tally++;
    }
    bench_op_done(t);
  }
  return eng->iter_free(it);
}

static int mixed_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  size_t ks = c->args->key_size, vs = c->args->value_size;
  uint64_t live = bench_index_count(c), b, e;
  bench_part(t, c->args->reads, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t idx = bench_rng_uniform(&t->rng, live) * c->stride;
    if (bench_rng_uniform(&t->rng, 10) == 0) {
      /* An overwrite with a new value of the same stamp: the reads of
       * other threads can check it still. */
      bench_key_index(t->key, ks, idx);
      if (c->eng->put(c->db, t->key, ks, bench_value(t, idx), vs)) return -1;
      t->user_bytes += ks + vs;
      t->tally2++;
    } else if (get_checked(t, idx)) {
      return -1;
    }
    bench_op_done(t);
  }
  return 0;
}

/* One row of fn over the index keys, with "found X of Y" when a read
 * missed. */
static int index_row(bench_ctx *c, const char *name, bench_thread_fn fn, const char *found_what) {
  if (bench_need_index(c)) return -1;
  bench_step s;
  if (bench_step_run(c, &s, name, c->args->threads, fn, NULL)) return -1;
  uint64_t tally = s.tally, wrong = s.wrong;
  if (bench_step_finish(c, &s)) return -1;
  if (wrong && found_what)
    bench_report_note(c->report, "%s %llu of %llu", found_what, (unsigned long long)tally,
                      (unsigned long long)(tally + wrong));
  return 0;
}

int bench_wl_readrandom(bench_ctx *c) { return index_row(c, "readrandom", readrandom_worker, "found"); }

int bench_wl_readmissing(bench_ctx *c) { return index_row(c, "readmissing", readmissing_worker, "not found"); }

int bench_wl_seekrandom(bench_ctx *c) { return index_row(c, "seekrandom", seekrandom_worker, NULL); }

int bench_wl_mixed(bench_ctx *c) { return index_row(c, "mixed", mixed_worker, NULL); }
