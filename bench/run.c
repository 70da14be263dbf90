/*
 * run.c - opening and renewing the database, and running a row: threads
 * held at a barrier until all exist, the clock and the I/O counter read
 * around their work, and their results merged into one row (see run.h).
 */
#include "run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sysstat.h"

int bench_ctx_open(bench_ctx *c, int sync) {
  bench_config cfg = c->args->cfg;
  cfg.sync = sync;
  if (c->eng->open(c->dir->path, &cfg, &c->db)) return -1;
  c->open_sync = sync;
  return 0;
}

int bench_ctx_reopen(bench_ctx *c, int wipe, int sync) {
  c->eng->close(c->db);
  c->db = NULL;
  if (wipe) {
    char err[512];
    if (bench_dbdir_clear(c->dir, err, sizeof err)) {
      bench_engine_error("%s", err);
      return -1;
    }
    c->data = BENCH_DATA_NONE;
    c->stride = 1;
    c->live_keys = c->live_bytes = 0;
    c->compacted = 0;
    c->pristine = 1;
  }
  return bench_ctx_open(c, sync);
}

int bench_ctx_fresh(bench_ctx *c, int sync) {
  if (c->pristine && c->open_sync == sync) return 0;
  return bench_ctx_reopen(c, 1, sync);
}

void bench_wrong(bench_thread *t, const char *fmt, ...) {
  if (t->wrong++ == 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->wrong_msg, sizeof t->wrong_msg, fmt, ap);
    va_end(ap);
  }
}

/* What each worker thread is handed. */
typedef struct worker {
  bench_thread *t;
  bench_thread_fn fn;
  pthread_barrier_t *start;
  pthread_t tid;
  int rc;
} worker;

static void *worker_main(void *arg) {
  worker *w = arg;
  pthread_barrier_wait(w->start);
  w->t->last_ns = bench_now_ns();
  w->rc = w->fn(w->t);
  return NULL;
}

/* FNV-1a: a benchmark's name picks its random stream, so the same name
 * draws the same keys before and after a compact step. */
static uint64_t name_salt(const char *name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *name; name++) h = (h ^ (unsigned char)*name) * 0x100000001b3ull;
  return h;
}

int bench_step_run(bench_ctx *c, bench_step *s, const char *name, int nthreads, bench_thread_fn fn, const void *arg) {
  memset(s, 0, sizeof *s);
  bench_hist_init(&s->hist);
  snprintf(s->row.label, sizeof s->row.label, "%s%s", name, c->compacted ? "/compacted" : "");
  s->row.threads = nthreads;
  s->io_written = -1;
  c->pristine = 0;

  int rc = -1;
  uint64_t salt = name_salt(name);
  worker *w = calloc((size_t)nthreads, sizeof *w);
  pthread_barrier_t start;
  int barrier_ok = 0;
  if (!w) {
    bench_engine_error("out of memory for %d threads", nthreads);
    return -1;
  }
  for (int i = 0; i < nthreads; i++) {
    /* Each thread's state on cache lines of its own. */
    bench_thread *t = aligned_alloc(64, (sizeof *t + 63) / 64 * 64);
    if (!t) goto fail_alloc;
    memset(t, 0, sizeof *t);
    w[i].t = t;
    t->ctx = c;
    t->arg = arg;
    t->id = i;
    t->nthreads = nthreads;
    bench_rng_seed(&t->rng, bench_mix64(c->args->seed + (uint64_t)i) ^ salt);
    bench_hist_init(&t->hist);
    t->val = malloc(c->args->value_size);
    if (!t->val || bench_buf_reserve(&t->buf, c->args->value_size + 64)) goto fail_alloc;
  }
  if (pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1) != 0) goto fail_alloc;
  barrier_ok = 1;
  if (bench_meter_start(&s->meter, s->row.label, nthreads, c->progress)) goto fail_alloc;
  for (int i = 0; i < nthreads; i++) {
    w[i].t->slot = bench_meter_slot_of(&s->meter, i);
    w[i].fn = fn;
    w[i].start = &start;
    if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
      /* The barrier counts on every thread: without all of them nobody
       * may pass. Nothing to do but stop. */
      fprintf(stderr, "strata-bench: cannot start thread %d of %d\n", i + 1, nthreads);
      exit(1);
    }
  }

  /* What earlier rows left dirty in the page cache is written back now,
   * untimed: otherwise this row's writes to those pages would count for
   * nothing, and their writeback would slow this row down. */
  bench_sync_dir(c->dir->path);
  int64_t io_before = bench_io_write_bytes();
  uint64_t t0 = bench_now_ns();
  pthread_barrier_wait(&start);
  rc = 0;
  for (int i = 0; i < nthreads; i++) {
    pthread_join(w[i].tid, NULL);
    if (w[i].rc) rc = -1;
  }
  uint64_t t1 = bench_now_ns();
  int64_t io_after = bench_io_write_bytes();
  bench_meter_stop(&s->meter);
  /* Untimed: the flushes and compactions the row started count for it,
   * wherever it ended, and the next row starts on a quiet engine. */
  if (c->args->settle && io_after >= 0) io_after += bench_io_settle(1000, 120000);

  s->row.seconds = (double)(t1 - t0) / 1e9;
  if (io_before >= 0 && io_after >= io_before) s->io_written = io_after - io_before;
  for (int i = 0; i < nthreads; i++) {
    const bench_thread *t = w[i].t;
    s->row.ops += t->ops;
    s->user_bytes += t->user_bytes;
    s->tally += t->tally;
    s->tally2 += t->tally2;
    if (t->wrong && s->wrong == 0) snprintf(s->wrong_msg, sizeof s->wrong_msg, "%s", t->wrong_msg);
    s->wrong += t->wrong;
    bench_hist_merge(&s->hist, &t->hist);
  }
  goto out;

fail_alloc:
  bench_engine_error("out of memory or threads for %d workers", nthreads);
out:
  if (barrier_ok) pthread_barrier_destroy(&start);
  for (int i = 0; i < nthreads; i++) {
    if (!w[i].t) continue;
    free(w[i].t->val);
    free(w[i].t->buf.data);
    free(w[i].t);
  }
  free(w);
  if (rc) bench_meter_free(&s->meter);
  return rc;
}

int bench_step_finish(bench_ctx *c, bench_step *s) {
  bench_row *row = &s->row;
  row->p50_us = bench_hist_quantile(&s->hist, 0.50) / 1e3;
  row->p99_us = bench_hist_quantile(&s->hist, 0.99) / 1e3;
  row->p999_us = bench_hist_quantile(&s->hist, 0.999) / 1e3;
  row->write_amp = s->user_bytes && s->io_written >= 0 ? (double)s->io_written / (double)s->user_bytes : -1;
  int64_t on_disk = bench_dir_bytes(c->dir->path);
  row->space_amp = c->live_bytes && on_disk >= 0 ? (double)on_disk / (double)c->live_bytes : -1;
  row->peak_rss_mb = bench_peak_rss_mb();
  int rc = bench_report_row(c->report, row, s->meter.rates, s->meter.nrates);
  if (s->wrong) {
    bench_report_error(c->report, "%s: %llu wrong results; the first: %s", row->label, (unsigned long long)s->wrong,
                       s->wrong_msg);
    c->wrong_rows++;
  }
  bench_meter_free(&s->meter);
  if (rc) bench_engine_error("cannot write the --csv, --json or --timeline file");
  return rc;
}
