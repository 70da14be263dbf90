/*
 * workloads.h - the benchmarks --benchmarks names, each a function that
 * runs one or more rows on the open database and checks what it reads.
 *
 * Contract of every workload: returns 0 when it ran (wrong results are
 * reported under their row and counted in ctx->wrong_rows), or -1 when the
 * engine failed or memory ran out (reason in bench_engine_last_error()),
 * which ends the run. Each keeps ctx's picture of the database (data,
 * stride, live keys and bytes) true.
 */
#ifndef STRATA_BENCH_WORKLOADS_H
#define STRATA_BENCH_WORKLOADS_H

#include <stddef.h>

#include "run.h"

typedef int (*bench_workload_fn)(bench_ctx *c);

typedef struct bench_workload {
  const char *name;
  bench_workload_fn run;
} bench_workload;

/* The workload called name, or NULL. */
const bench_workload *bench_workload_find(const char *name);

/* Checks every name of the comma-separated list a->benchmarks, and the
 * limits of the options the named workloads use, before anything runs.
 * Returns 0, or -1 with the reason in err. */
int bench_workloads_check(const bench_args *a, char *err, size_t errlen);

/* fill.c */
int bench_wl_fillseq(bench_ctx *c);
int bench_wl_fillrandom(bench_ctx *c);
int bench_wl_fillsync(bench_ctx *c);
int bench_wl_overwrite(bench_ctx *c);

/* reads.c */
int bench_wl_readrandom(bench_ctx *c);
int bench_wl_readmissing(bench_ctx *c);
int bench_wl_seekrandom(bench_ctx *c);
int bench_wl_mixed(bench_ctx *c);

/* scans.c */
int bench_wl_readseq(bench_ctx *c);
int bench_wl_readreverse(bench_ctx *c);
int bench_wl_deletescan(bench_ctx *c);

/* workloads.c */
int bench_wl_compact(bench_ctx *c);

/* counter.c, latest.c, appendlist.c, feed.c, convchurn.c, rangedel.c: the application
 * workloads */
int bench_wl_counter(bench_ctx *c);
int bench_wl_hotkey(bench_ctx *c); /* hotkey.c */
int bench_wl_latest(bench_ctx *c);
int bench_wl_appendlist(bench_ctx *c);
int bench_wl_feed(bench_ctx *c);
int bench_wl_convchurn(bench_ctx *c);
int bench_wl_rangedel(bench_ctx *c); /* rangedel.c */
int bench_wl_rdtwin(bench_ctx *c);   /* rangedel.c */

/* Shared by the workloads: fails the run unless the database holds the
 * index keys (a fill ran). Returns 0, or -1 with the reason recorded. */
int bench_need_index(const bench_ctx *c);

#endif
