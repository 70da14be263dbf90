/*
 * scans.c - full scans over index keys: readseq, readreverse, and
 * deletescan, which measures what deleting half of the keys does to the
 * cost of a scan (tombstones the engine must step over).
 */
#include <stdlib.h>

#include "workloads.h"

typedef struct scan_arg {
  int reverse;
  int passes;
} scan_arg;

/* deletescan's rows are this many full scans each: one scan of 1,000,000
 * entries lasts about 70 ms, short enough that a pause of the shared
 * machine moved one scan's rate by a third from run to run. */
#define DELETESCAN_PASSES 3

/* One full scan: every live index key once, in key order (stamps strictly
 * ascending, or descending in reverse), each entry timed as an operation. */
static int scan_once(bench_thread *t, int reverse) {
  bench_ctx *c = t->ctx;
  const bench_engine *eng = c->eng;
  size_t ks = c->args->key_size, vs = c->args->value_size;
  void *it = eng->iter_new(c->db);
  if (!it) return -1;
  if (reverse)
    eng->iter_seek_last(it);
  else
    eng->iter_seek_first(it);
  uint64_t n = 0, prev = 0;
  while (eng->iter_valid(it)) {
    size_t klen = 0, vlen = 0;
    const char *k = eng->iter_key(it, &klen);
    const char *v = eng->iter_value(it, &vlen);
    uint64_t stamp = vlen == vs ? bench_get_le64(v) : 0;
    int in_order = n == 0 || (reverse ? stamp < prev : stamp > prev);
    /* The key's last digit binds it to the value's stamp, cheaply. */
    if (klen != ks || vlen != vs || !in_order || stamp >= c->args->num || stamp % c->stride != 0 ||
        k[ks - 1] != (char)('0' + stamp % 10))
      bench_wrong(t, "entry %llu of the scan: key of %zu bytes, value of %zu bytes, stamp %llu after %llu",
                  (unsigned long long)n, klen, vlen, (unsigned long long)stamp, (unsigned long long)prev);
    prev = stamp;
    n++;
    bench_op_done(t);
    if (reverse)
      eng->iter_prev(it);
    else
      eng->iter_next(it);
  }
  t->tally += n;
  if (n != c->live_keys)
    bench_wrong(t, "the scan saw %llu entries, the database holds %llu", (unsigned long long)n,
                (unsigned long long)c->live_keys);
  return eng->iter_free(it);
}

/* a->passes full scans, one after the other. */
static int scan_worker(bench_thread *t) {
  const scan_arg *a = t->arg;
  for (int pass = 0; pass < a->passes; pass++)
    if (scan_once(t, a->reverse)) return -1;
  return 0;
}

/* A scan row: every thread scans the whole database, passes times. */
static int scan_row(bench_ctx *c, const char *name, int reverse, int passes, int threads, double *seconds_out,
                    uint64_t *ops_out) {
  scan_arg arg = {reverse, passes};
  bench_step s;
  if (bench_step_run(c, &s, name, threads, scan_worker, &arg)) return -1;
  *seconds_out = s.row.seconds;
  *ops_out = s.row.ops;
  return bench_step_finish(c, &s);
}

int bench_wl_readseq(bench_ctx *c) {
  double sec;
  uint64_t ops;
  if (bench_need_index(c)) return -1;
  return scan_row(c, "readseq", 0, 1, c->args->threads, &sec, &ops);
}

int bench_wl_readreverse(bench_ctx *c) {
  double sec;
  uint64_t ops;
  if (bench_need_index(c)) return -1;
  return scan_row(c, "readreverse", 1, 1, c->args->threads, &sec, &ops);
}

typedef struct delete_arg {
  const uint32_t *order; /* the odd indices, shuffled */
  uint64_t n;
} delete_arg;

static int delete_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const delete_arg *a = t->arg;
  size_t ks = c->args->key_size;
  uint64_t b, e;
  bench_part(t, a->n, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    bench_key_index(t->key, ks, a->order[i]);
    if (c->eng->del(c->db, t->key, ks)) return -1;
    t->user_bytes += ks; /* a delete hands the engine its key only */
    bench_op_done(t);
  }
  return 0;
}

int bench_wl_deletescan(bench_ctx *c) {
  const bench_args *a = c->args;
  if (bench_need_index(c)) return -1;
  if (c->stride != 1) {
    bench_engine_error("deletescan needs every key of a fill; it deleted half of them already");
    return -1;
  }
  double sec_before, sec_after;
  uint64_t ops_before, ops_after;
  if (scan_row(c, "scan_before", 0, DELETESCAN_PASSES, 1, &sec_before, &ops_before)) return -1;

  /* Every second index (the odd ones), in random order. */
  uint64_t n = a->num / 2;
  uint32_t *order = malloc((n ? n : 1) * sizeof *order);
  if (!order) {
    bench_engine_error("deletescan: out of memory for %llu keys", (unsigned long long)n);
    return -1;
  }
  bench_rng r;
  bench_rng_seed(&r, bench_mix64(a->seed) ^ 0x64656cull); /* its own stream: "del" */
  bench_permutation(order, n, &r);
  for (uint64_t i = 0; i < n; i++) order[i] = order[i] * 2 + 1;
  delete_arg arg = {order, n};
  bench_step s;
  int rc = bench_step_run(c, &s, "deleterandom", a->threads, delete_worker, &arg);
  free(order);
  if (rc) return -1;
  c->stride = 2;
  c->live_keys = a->num - n;
  c->live_bytes = c->live_keys * (a->key_size + a->value_size);
  if (bench_step_finish(c, &s)) return -1;

  if (scan_row(c, "scan_after_delete", 0, DELETESCAN_PASSES, 1, &sec_after, &ops_after)) return -1;
  if (ops_before && ops_after && sec_before > 0)
    bench_report_note(c->report, "per live entry, scan_after_delete costs %.2f x scan_before",
                      (sec_after / (double)ops_after) / (sec_before / (double)ops_before));
  return 0;
}
