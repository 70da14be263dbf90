/*
 * main.c - strata-bench: parses the command line, prepares the database
 * directory and the outputs, runs the benchmarks in order on one engine,
 * and cleans up. Exit status: 0, 1 when an engine failed or a benchmark
 * read wrong results, 2 for bad usage.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "dbdir.h"
#include "engine.h"
#include "report.h"
#include "run.h"
#include "workloads.h"

static int usage_error(const char *msg) {
  fprintf(stderr, "strata-bench: %s (see strata-bench --help)\n", msg);
  return 2;
}

/* Runs each benchmark of the list in order. Returns 0, or -1 when one
 * failed (reason printed). */
static int run_all(bench_ctx *c) {
  const char *p = c->args->benchmarks;
  for (;;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)len, p); /* checked to fit before the run */
    const bench_workload *w = bench_workload_find(name);
    if (!w || w->run(c)) {
      fprintf(stderr, "strata-bench: %s: %s\n", name, bench_engine_last_error());
      return -1;
    }
    if (!comma) return 0;
    p = comma + 1;
  }
}

int main(int argc, char **argv) {
  bench_args a;
  char err[1024];
  if (bench_args_parse(argc, argv, &a, err, sizeof err)) return usage_error(err);
  if (a.help) {
    bench_args_usage(stdout);
    return 0;
  }
  if (a.list_engines) {
    puts(bench_engine_list());
    return 0;
  }
  const bench_engine *eng = bench_engine_find(a.engine);
  if (!eng) {
    snprintf(err, sizeof err, "unknown engine \"%s\" (built in: %s)", a.engine, bench_engine_list());
    return usage_error(err);
  }
  if (bench_workloads_check(&a, err, sizeof err)) return usage_error(err);

  bench_ctx c;
  memset(&c, 0, sizeof c);
  c.args = &a;
  c.eng = eng;
  c.stride = 1;
  c.progress = a.progress >= 0 ? a.progress : isatty(STDERR_FILENO);
  if (bench_pool_init(&c.pool, a.seed, a.value_size)) {
    fprintf(stderr, "strata-bench: out of memory for the value pool\n");
    return 1;
  }
  char describe[1024];
  eng->describe(&a.cfg, describe, sizeof describe);
  bench_report report;
  if (bench_report_open(&report, &a, eng->name, describe, err, sizeof err)) {
    fprintf(stderr, "strata-bench: %s\n", err);
    bench_pool_free(&c.pool);
    return 1;
  }
  c.report = &report;
  bench_dbdir dir;
  if (bench_dbdir_prepare(&dir, a.db, eng->name, a.fresh, err, sizeof err)) {
    fprintf(stderr, "strata-bench: %s\n", err);
    bench_report_close(&report);
    bench_pool_free(&c.pool);
    return a.db ? 2 : 1;
  }
  c.dir = &dir;
  bench_report_settings(&report, dir.path);

  int failed = 0;
  if (bench_ctx_open(&c, a.cfg.sync)) {
    fprintf(stderr, "strata-bench: %s\n", bench_engine_last_error());
    failed = 1;
  } else {
    c.pristine = 1;
    failed = run_all(&c) != 0;
    eng->close(c.db);
    c.db = NULL;
  }

  if (bench_report_close(&report)) {
    fprintf(stderr, "strata-bench: cannot finish writing the output files\n");
    failed = 1;
  }
  if (a.keep) {
    printf("database kept in %s\n", dir.path);
  } else if (bench_dbdir_remove(&dir, err, sizeof err)) {
    fprintf(stderr, "strata-bench: %s\n", err);
    failed = 1;
  }
  bench_pool_free(&c.pool);
  if (c.wrong_rows) fprintf(stderr, "strata-bench: %d rows read wrong results\n", c.wrong_rows);
  return failed || c.wrong_rows ? 1 : 0;
}
