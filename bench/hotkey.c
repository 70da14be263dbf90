/*
 * hotkey.c - one hot counter: num increments of a single key, all while
 * they are still in the memtable, then rows hotget (reads of that counter)
 * and plainget (as many reads of a plain value in the same memtable), so
 * that their ratio shows what a chain of num fragments costs a read. The
 * issue's bound: hotget within 2x of plainget.
 *
 * strata sums a memtable run in one step (its run summaries); RocksDB's
 * get merges every operand, so give it a small --reads; LevelDB and LMDB
 * read, add and put, so their counter is a plain value.
 */
#include <string.h>

#include "workloads.h"

/* Key of the hot counter ('h') or of the plain value ('v'), key_size bytes. */
static void hot_key(bench_thread *t, char letter) {
  size_t ks = t->ctx->args->key_size;
  memset(t->key, '0', ks);
  t->key[0] = letter;
}

static int add_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  size_t ks = c->args->key_size;
  hot_key(t, 'h');
  for (uint64_t i = 0; i < c->args->num; i++) {
    if (c->eng->merge_add(c->db, t->key, ks, 1)) return -1;
    t->user_bytes += ks + 8;
    bench_op_done(t);
  }
  return 0;
}

static int hotget_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  size_t ks = c->args->key_size;
  hot_key(t, 'h');
  for (uint64_t i = 0; i < c->args->reads; i++) {
    int found = 0;
    int64_t v = 0;
    if (c->eng->get_counter(c->db, t->key, ks, &v, &found)) return -1;
    if (!found || (uint64_t)v != c->args->num)
      bench_wrong(t, "hot counter holds %lld (%s), expected %llu", (long long)v, found ? "found" : "absent",
                  (unsigned long long)c->args->num);
    bench_op_done(t);
  }
  return 0;
}

static int plainget_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  size_t ks = c->args->key_size, vs = c->args->value_size;
  hot_key(t, 'v');
  for (uint64_t i = 0; i < c->args->reads; i++) {
    int found = 0;
    if (c->eng->get(c->db, t->key, ks, &t->buf, &found)) return -1;
    if (!found || t->buf.len != vs) bench_wrong(t, "plain value absent or of %zu bytes", t->buf.len);
    bench_op_done(t);
  }
  return 0;
}

static int plain_put_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  size_t ks = c->args->key_size, vs = c->args->value_size;
  hot_key(t, 'v');
  if (c->eng->put(c->db, t->key, ks, bench_value(t, 0), vs)) return -1;
  t->user_bytes += ks + vs;
  bench_op_done(t);
  return 0;
}

int bench_wl_hotkey(bench_ctx *c) {
  bench_step s;
  if (bench_ctx_fresh(c, c->args->cfg.sync)) return -1;
  /* One writer: the increments of one key are one chain. */
  if (bench_step_run(c, &s, "hotadd", 1, add_worker, NULL)) return -1;
  c->data = BENCH_DATA_OTHER;
  c->live_keys = 1;
  c->live_bytes = c->args->key_size + 8;
  if (bench_step_finish(c, &s)) return -1;
  if (bench_step_run(c, &s, "plainput", 1, plain_put_worker, NULL)) return -1;
  c->live_keys = 2;
  c->live_bytes += c->args->key_size + c->args->value_size;
  if (bench_step_finish(c, &s)) return -1;
  if (bench_step_run(c, &s, "hotget", c->args->threads, hotget_worker, NULL)) return -1;
  if (bench_step_finish(c, &s)) return -1;
  if (bench_step_run(c, &s, "plainget", c->args->threads, plainget_worker, NULL)) return -1;
  return bench_step_finish(c, &s);
}
