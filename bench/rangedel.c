/*
 * rangedel.c - range deletes over partitioned data: num keys, each the
 * tuple (partition, item), in partitions of --partition-keys keys; point
 * reads and partition scans; then every second partition deleted with one
 * range delete each ([prefix, strata_prefix_end(prefix)) of the tuple
 * (partition)); the same reads and scans again, without compaction, which
 * is what the deletes cost a read; a full compaction, with the disk bytes
 * before and after it; and the reads and scans once more.
 *
 * rdtwin measures the bounded scans' cost of the deletes finely, where
 * the rows before and after them differ by the machine's drift between
 * them: two databases loaded alike, every odd partition deleted in one,
 * and blocks of the same bounded scans alternated between the two.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sysstat.h"
#include "tkey.h"
#include "workloads.h"

#define RD_ELEMS 2 /* partition, item: both ascending */

typedef struct rd_arg {
  uint64_t n;           /* keys */
  uint64_t pkeys;       /* keys per partition (the last one may have fewer) */
  uint64_t parts;       /* partitions */
  uint32_t *load_order; /* rdload: the key indices 0..n-1, shuffled */
  uint32_t *del_order;  /* rdelete: the odd partitions, shuffled */
  uint64_t ndel;        /* odd partitions: parts / 2 */
  int deleted;          /* the odd partitions are gone: reads of their keys must miss */
  uint64_t read_stream; /* seed salts of the reads and scans, the same for the rows before and */
  uint64_t scan_stream; /* after the deletes, so that they draw the same keys and partitions */
  uint64_t scans;       /* partition scans of a scan row; 0: reads / 10 */
  uint64_t scan_salt;   /* mixed into scan_stream: rdtwin's blocks draw different partitions */
} rd_arg;

/* The partition scans of a scan row. */
static uint64_t scans_of(const bench_ctx *c, const rd_arg *a) {
  if (a->scans) return a->scans;
  return c->args->reads / 10 ? c->args->reads / 10 : 1;
}

static uint64_t part_size(const rd_arg *a, uint64_t p) {
  uint64_t first = p * a->pkeys;
  return a->n - first < a->pkeys ? a->n - first : a->pkeys;
}

/* Makes the key of index idx: (idx / pkeys, idx % pkeys). */
static int rd_key(strata_tuple *k, const rd_arg *a, uint64_t idx) {
  uint64_t el[RD_ELEMS] = {idx / a->pkeys, idx % a->pkeys};
  return bench_tkey_make(k, RD_ELEMS, el, 0);
}

/* Makes the prefix of partition p and the end of its range. */
static int rd_partition(strata_tuple *prefix, bench_bound *end, uint64_t p) {
  if (bench_tkey_make(prefix, 1, &p, 0)) return -1;
  return bench_tkey_partition_end(prefix, end);
}

/* Puts every key once, in a random order; tally: the user bytes of the
 * keys of even partitions (the ones that stay). */
static int load_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const rd_arg *a = t->arg;
  size_t vs = c->args->value_size;
  uint64_t b, e;
  strata_tuple key;
  int rc = -1;
  strata_tuple_init(&key);
  bench_part(t, a->n, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t idx = a->load_order[i];
    if (rd_key(&key, a, idx)) goto out;
    if (c->eng->put(c->db, bench_tkey_data(&key), key.len, bench_value(t, idx), vs)) goto out;
    t->user_bytes += key.len + vs;
    if ((idx / a->pkeys) % 2 == 0) t->tally += key.len + vs;
    bench_op_done(t);
  }
  rc = 0;
out:
  strata_tuple_free(&key);
  return rc;
}

/* R gets of keys drawn uniformly from all num; a key of a deleted
 * partition must be absent, any other present with its value. tally:
 * hits, tally2: misses (as expected). */
static int read_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const rd_arg *a = t->arg;
  uint64_t b, e;
  strata_tuple key;
  int rc = -1;
  strata_tuple_init(&key);
  bench_rng_seed(&t->rng, bench_mix64(c->args->seed + (uint64_t)t->id) ^ a->read_stream);
  bench_part(t, c->args->reads, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t idx = bench_rng_uniform(&t->rng, a->n), p = idx / a->pkeys;
    int found = 0;
    if (rd_key(&key, a, idx)) goto out;
    if (c->eng->get(c->db, bench_tkey_data(&key), key.len, &t->buf, &found)) goto out;
    if (a->deleted && p % 2 == 1) {
      if (found)
        bench_wrong(t, "key (%llu, %llu) of a deleted partition was found", (unsigned long long)p,
                    (unsigned long long)(idx % a->pkeys));
      else
        t->tally2++;
    } else if (!found) {
      bench_wrong(t, "key (%llu, %llu) not found", (unsigned long long)p, (unsigned long long)(idx % a->pkeys));
    } else if (!bench_value_ok(t, t->buf.data, t->buf.len, idx)) {
      bench_wrong(t, "key (%llu, %llu) has a wrong value (%zu bytes)", (unsigned long long)p,
                  (unsigned long long)(idx % a->pkeys), t->buf.len);
    } else {
      t->tally++;
    }
    bench_op_done(t);
  }
  rc = 0;
out:
  strata_tuple_free(&key);
  return rc;
}

/* What a partition scan checks as its entries arrive. */
typedef struct pscan {
  bench_thread *t;
  const rd_arg *a;
  uint64_t p, got;
  int wrong;
} pscan;

static int pscan_entry(void *arg, const char *k, size_t klen, const char *v, size_t vlen) {
  pscan *s = arg;
  uint64_t el[RD_ELEMS] = {0, 0};
  if (bench_tkey_parse(k, klen, RD_ELEMS, el, 0) || el[0] != s->p || el[1] != s->got ||
      !bench_value_ok(s->t, v, vlen, s->p * s->a->pkeys + s->got)) {
    s->wrong = 1;
    return 1;
  }
  s->got++;
  return 0;
}

/* Feeds s the entries of it from its position up to the bound. */
static void scan_to(const bench_engine *eng, void *it, const bench_bound *end, pscan *s) {
  for (; eng->iter_valid(it); eng->iter_next(it)) {
    size_t klen = 0, vlen = 0;
    const char *k = eng->iter_key(it, &klen);
    if (!bench_bound_above(end, k, klen)) break;
    const char *v = eng->iter_value(it, &vlen);
    if (pscan_entry(s, k, klen, v, vlen)) break;
  }
}

/* Reports a scan that did not see exactly partition p; tallies it. */
static void scan_done(bench_thread *t, const pscan *s, uint64_t want) {
  if (s->wrong || s->got != want)
    bench_wrong(t, "scan of partition %llu: %llu entries (expected %llu)%s", (unsigned long long)s->p,
                (unsigned long long)s->got, (unsigned long long)want, s->wrong ? ", a wrong key or value" : "");
  t->tally += s->got;
  bench_op_done(t);
}

/* Seeds t's draws of partitions, the same in every scan row (and on both
 * sides of an rdtwin block), and gives its share [*b, *e) of the scans. */
static void scans_begin(bench_thread *t, const rd_arg *a, uint64_t *b, uint64_t *e) {
  const bench_ctx *c = t->ctx;
  bench_rng_seed(&t->rng, bench_mix64(c->args->seed + (uint64_t)t->id) ^ a->scan_stream ^ a->scan_salt);
  bench_part(t, scans_of(c, a), b, e);
}

/* A partition drawn uniformly from the even ones (those the deletes keep). */
static uint64_t draw_kept(bench_thread *t, const rd_arg *a) {
  return 2 * bench_rng_uniform(&t->rng, (a->parts + 1) / 2);
}

/* R/10 scans of whole partitions drawn from the even ones (those the
 * deletes keep): a seek to the partition's prefix, then nexts until a key
 * at or past strata_prefix_end. The engine gets no upper bound, so it must
 * find the first key past the partition itself; after the deletes that key
 * lies beyond a deleted partition. Each scan must see exactly the
 * partition's items, in order, with their values. tally: entries. */
static int scan_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_engine *eng = c->eng;
  const rd_arg *a = t->arg;
  uint64_t b, e;
  strata_tuple prefix;
  bench_bound end;
  int rc = -1;
  strata_tuple_init(&prefix);
  scans_begin(t, a, &b, &e);
  void *it = eng->iter_new(c->db);
  if (!it) goto out;
  for (uint64_t i = b; i < e; i++) {
    uint64_t p = draw_kept(t, a), want = part_size(a, p);
    if (rd_partition(&prefix, &end, p)) goto out;
    pscan s = {t, a, p, 0, 0};
    eng->iter_seek(it, bench_tkey_data(&prefix), prefix.len);
    scan_to(eng, it, &end, &s);
    scan_done(t, &s, want);
  }
  rc = 0;
out:
  strata_tuple_free(&prefix);
  if (it && eng->iter_free(it)) rc = -1;
  return rc;
}

/* The same partitions as scan_worker, scanned the way an application
 * scans a partition: the engine's bounded scan (strata_scan_prefix,
 * RocksDB's iterate_upper_bound), or for engines without one a fresh
 * iterator per scan that stops at the bound. The scan ends where the
 * partition does, so a deleted partition after it costs nothing to pass
 * where the engine knows the bound. tally: entries. */
static int pscan_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_engine *eng = c->eng;
  const rd_arg *a = t->arg;
  uint64_t b, e;
  strata_tuple prefix;
  bench_bound end;
  int rc = -1;
  strata_tuple_init(&prefix);
  scans_begin(t, a, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t p = draw_kept(t, a), want = part_size(a, p);
    if (rd_partition(&prefix, &end, p)) goto out;
    pscan s = {t, a, p, 0, 0};
    if (eng->scan_prefix) {
      if (eng->scan_prefix(c->db, bench_tkey_data(&prefix), prefix.len, end.open ? NULL : end.key,
                           end.open ? 0 : end.len, pscan_entry, &s))
        goto out;
    } else {
      void *it = eng->iter_new(c->db);
      if (!it) goto out;
      eng->iter_seek(it, bench_tkey_data(&prefix), prefix.len);
      scan_to(eng, it, &end, &s);
      if (eng->iter_free(it)) goto out;
    }
    scan_done(t, &s, want);
  }
  rc = 0;
out:
  strata_tuple_free(&prefix);
  return rc;
}

/* One range delete per odd partition, in a random order. */
static int delete_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const rd_arg *a = t->arg;
  uint64_t b, e;
  strata_tuple prefix;
  bench_bound end;
  int rc = -1;
  strata_tuple_init(&prefix);
  bench_part(t, a->ndel, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    if (rd_partition(&prefix, &end, a->del_order[i])) goto out;
    if (c->eng->delete_range(c->db, bench_tkey_data(&prefix), prefix.len, end.open ? NULL : end.key,
                             end.open ? 0 : end.len))
      goto out;
    t->user_bytes += prefix.len + end.len; /* what the caller hands over: the two bounds */
    bench_op_done(t);
  }
  rc = 0;
out:
  strata_tuple_free(&prefix);
  return rc;
}

static int compact_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  if (c->eng->compact(c->db)) return -1;
  bench_op_done(t);
  return 0;
}

/* Runs one row and finishes it; *cost_out: seconds per operation (0 when
 * none ran). */
static int rd_row(bench_ctx *c, const char *name, bench_thread_fn fn, rd_arg *a, double *cost_out) {
  bench_step s;
  if (bench_step_run(c, &s, name, c->args->threads, fn, a)) return -1;
  *cost_out = s.row.ops ? s.row.seconds / (double)s.row.ops : 0;
  return bench_step_finish(c, &s);
}

static double rd_ratio(double after, double before) { return before > 0 ? after / before : 0; }

static double mib(int64_t bytes) { return (double)bytes / 1048576.0; }

static int rangedel_rows(bench_ctx *c, rd_arg *a) {
  const bench_args *args = c->args;
  double read_before, scan_before, read_after, scan_after, read_compacted, scan_compacted;
  double pscan_before, pscan_after, pscan_compacted;
  bench_step s;

  if (bench_step_run(c, &s, "rdload", args->threads, load_worker, a)) return -1;
  uint64_t kept_bytes = s.tally;
  c->data = BENCH_DATA_OTHER;
  c->live_keys = a->n;
  c->live_bytes = s.user_bytes;
  if (bench_step_finish(c, &s)) return -1;
  bench_report_note(c->report, "%llu keys in %llu partitions of %llu", (unsigned long long)a->n,
                    (unsigned long long)a->parts, (unsigned long long)a->pkeys);

  if (rd_row(c, "rdread", read_worker, a, &read_before)) return -1;
  if (rd_row(c, "rdscan", scan_worker, a, &scan_before)) return -1;
  if (rd_row(c, "rdpscan", pscan_worker, a, &pscan_before)) return -1;

  if (bench_step_run(c, &s, "rdelete", args->threads, delete_worker, a)) return -1;
  a->deleted = 1;
  c->live_keys = 0;
  for (uint64_t p = 0; p < a->parts; p += 2) c->live_keys += part_size(a, p);
  c->live_bytes = kept_bytes;
  if (bench_step_finish(c, &s)) return -1;
  if (c->eng->native_delete_range)
    bench_report_note(c->report, "%llu partitions deleted, one range delete each", (unsigned long long)a->ndel);
  else
    bench_report_note(c->report,
                      "%llu partitions deleted; %s has no range delete: each range's keys were found by an iterator "
                      "and deleted one by one",
                      (unsigned long long)a->ndel, c->eng->name);

  if (rd_row(c, "rdread_after", read_worker, a, &read_after)) return -1;
  if (rd_row(c, "rdscan_after", scan_worker, a, &scan_after)) return -1;
  if (rd_row(c, "rdpscan_after", pscan_worker, a, &pscan_after)) return -1;
  bench_report_note(c->report,
                    "read cost after the deletes / before: point reads %.2f x (half of them now miss), "
                    "partition scans %.2f x (one iterator, no bound), %.2f x (bounded, %s)",
                    rd_ratio(read_after, read_before), rd_ratio(scan_after, scan_before),
                    rd_ratio(pscan_after, pscan_before),
                    c->eng->scan_prefix ? "the engine's own" : "a fresh iterator each");

  int64_t disk_before = bench_dir_bytes(c->dir->path);
  if (bench_step_run(c, &s, "rdcompact", 1, compact_worker, NULL)) return -1;
  int64_t disk_after = bench_dir_bytes(c->dir->path);
  c->compacted = 1;
  if (bench_step_finish(c, &s)) return -1;
  if (disk_before > 0 && disk_after >= 0)
    bench_report_note(
        c->report, "disk: %.1f MiB before the compaction, %.1f MiB after (%.2f x); live user data %.1f MiB",
        mib(disk_before), mib(disk_after), (double)disk_after / (double)disk_before, mib((int64_t)c->live_bytes));

  if (rd_row(c, "rdread_after", read_worker, a, &read_compacted)) return -1;
  if (rd_row(c, "rdscan_after", scan_worker, a, &scan_compacted)) return -1;
  if (rd_row(c, "rdpscan_after", pscan_worker, a, &pscan_compacted)) return -1;
  bench_report_note(c->report,
                    "after the compaction / before the deletes: point reads %.2f x, partition scans %.2f x, "
                    "bounded %.2f x",
                    rd_ratio(read_compacted, read_before), rd_ratio(scan_compacted, scan_before),
                    rd_ratio(pscan_compacted, pscan_before));
  return 0;
}

/* Fills a for a run (the load and delete orders allocated: rd_free) on a
 * fresh database. Returns 0, or -1. */
static int rd_setup(bench_ctx *c, rd_arg *out) {
  const bench_args *args = c->args;
  rd_arg a = {.n = args->num, .pkeys = args->part_keys};
  a.parts = (a.n + a.pkeys - 1) / a.pkeys;
  a.ndel = a.parts / 2;
  a.read_stream = bench_mix64(args->seed) ^ 0x7264726561ull;   /* "rdrea" */
  a.scan_stream = bench_mix64(args->seed) ^ 0x72647363616eull; /* "rdscan" */
  if (bench_ctx_fresh(c, args->cfg.sync)) return -1;
  uint32_t *load_order = malloc(a.n * sizeof *load_order);
  uint32_t *del_order = malloc((a.ndel ? a.ndel : 1) * sizeof *del_order);
  if (!load_order || !del_order) {
    free(load_order);
    free(del_order);
    bench_engine_error("rangedel: out of memory for %llu keys", (unsigned long long)a.n);
    return -1;
  }
  bench_rng r;
  bench_rng_seed(&r, bench_mix64(args->seed) ^ 0x72646c64ull); /* its own stream: "rdld" */
  bench_permutation(load_order, a.n, &r);
  bench_permutation(del_order, a.ndel, &r);
  for (uint64_t i = 0; i < a.ndel; i++) del_order[i] = del_order[i] * 2 + 1;
  a.load_order = load_order;
  a.del_order = del_order;
  *out = a;
  return 0;
}

static void rd_free(rd_arg *a) {
  free(a->load_order);
  free(a->del_order);
}

int bench_wl_rangedel(bench_ctx *c) {
  rd_arg a;
  if (rd_setup(c, &a)) return -1;
  int rc = rangedel_rows(c, &a);
  rd_free(&a);
  return rc;
}

/* Runs fn on c's database as a block of an A/B comparison: timed, checked,
 * not reported as a row; adds its seconds to *seconds. */
static int twin_block(bench_ctx *c, bench_thread_fn fn, rd_arg *a, double *seconds) {
  bench_step s;
  if (bench_step_run(c, &s, "rdtwin", 1, fn, a)) return -1;
  *seconds += s.row.seconds;
  bench_meter_free(&s.meter);
  if (s.wrong) {
    bench_report_error(c->report, "rdtwin: %llu wrong results; the first: %s", (unsigned long long)s.wrong,
                       s.wrong_msg);
    c->wrong_rows++;
  }
  return 0;
}

#define TWIN_BLOCKS 40

/* The blocks, alternated (AB BA AB ...) so that neither side always runs
 * first; cost ratio of the twin with the deletes (db_del) over the one
 * without (the context's), the spread of the blocks' ratios beside it. */
static int twin_blocks(bench_ctx *c, rd_arg *a, void *db_del) {
  void *db_kept = c->db;
  /* Both start quiet: a flush of the twin loaded last would slow only its
   * first blocks. */
  bench_io_settle(1000, 60000);
  double kept = 0, del = 0, lo = 0, hi = 0;
  /* Each side scans R/5 partitions in all: twice a scan row's, for the
   * finer measure. */
  a->scans = 2 * scans_of(c, a) / TWIN_BLOCKS ? 2 * scans_of(c, a) / TWIN_BLOCKS : 1;
  for (int i = 0; i < TWIN_BLOCKS; i++) {
    double k = 0, d = 0;
    a->scan_salt = bench_mix64((uint64_t)i + 1); /* the same partitions on both sides of a block */
    for (int side = 0; side < 2; side++) {
      int del_side = (side + i) % 2;
      c->db = del_side ? db_del : db_kept;
      int rc = twin_block(c, pscan_worker, a, del_side ? &d : &k);
      c->db = db_kept;
      if (rc) return -1;
    }
    double r = k > 0 ? d / k : 0;
    lo = i == 0 || r < lo ? r : lo;
    hi = i == 0 || r > hi ? r : hi;
    kept += k;
    del += d;
  }
  bench_report_note(c->report,
                    "bounded partition scans where every odd partition was deleted / on a twin database without the "
                    "deletes: %.3f x (%d alternated blocks of %llu scans each; block ratios %.3f to %.3f)",
                    rd_ratio(del, kept), TWIN_BLOCKS, (unsigned long long)a->scans, lo, hi);
  a->scans = a->scan_salt = 0;
  return 0;
}

/* rdtwin: load the context's database and a twin beside it alike, delete
 * every odd partition in the twin, then alternate blocks of bounded scans
 * between the two. */
int bench_wl_rdtwin(bench_ctx *c) {
  rd_arg a;
  if (rd_setup(c, &a)) return -1;
  bench_dbdir twin;
  char path[sizeof twin.path], err[512];
  void *db_del = NULL;
  int rc = -1;
  bench_step s;
  if (snprintf(path, sizeof path, "%s-twin", c->dir->path) >= (int)sizeof path ||
      bench_dbdir_prepare(&twin, path, c->eng->name, 1, err, sizeof err)) {
    bench_engine_error("rdtwin: no directory for the twin database: %s", path);
    rd_free(&a);
    return -1;
  }
  if (bench_step_run(c, &s, "rdload", c->args->threads, load_worker, &a)) goto out;
  c->data = BENCH_DATA_OTHER;
  c->live_keys = a.n;
  c->live_bytes = s.user_bytes;
  if (bench_step_finish(c, &s) || c->eng->open(twin.path, &c->args->cfg, &db_del)) goto out;
  void *db_kept = c->db;
  const bench_dbdir *dir_kept = c->dir;
  c->db = db_del; /* the twin's rows: its directory's bytes and writes */
  c->dir = &twin;
  int failed = bench_step_run(c, &s, "rdload_twin", c->args->threads, load_worker, &a) || bench_step_finish(c, &s);
  uint64_t all_bytes = c->live_bytes;
  c->live_bytes = s.tally; /* the twin keeps the even partitions */
  failed =
      failed || bench_step_run(c, &s, "rdelete_twin", c->args->threads, delete_worker, &a) || bench_step_finish(c, &s);
  c->live_bytes = all_bytes;
  c->db = db_kept;
  c->dir = dir_kept;
  if (failed || twin_blocks(c, &a, db_del)) goto out;
  rc = 0;
out:
  if (db_del) c->eng->close(db_del);
  if (bench_dbdir_remove(&twin, err, sizeof err)) {
    bench_engine_error("rdtwin: %s", err);
    rc = -1;
  }
  rd_free(&a);
  return rc;
}
