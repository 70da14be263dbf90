/*
 * report.h - where the rows go: an aligned table on stdout, and on request
 * CSV rows, a JSON array and a per-second timeline in files. Files are
 * written as each row ends, so an interrupted run keeps what it measured.
 */
#ifndef STRATA_BENCH_REPORT_H
#define STRATA_BENCH_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "args.h"

/* One measured row. Negative amplifications mean "not applicable". */
typedef struct bench_row {
  char label[128]; /* benchmark, with "/compacted" after a compact step */
  int threads;
  uint64_t ops;
  double seconds;
  double p50_us, p99_us, p999_us;
  double write_amp;
  double space_amp;
  double peak_rss_mb;
} bench_row;

typedef struct bench_report {
  const bench_args *args;
  const char *engine;
  char describe[1024]; /* the engine's describe() line */
  FILE *csv, *json, *timeline;
  int json_rows; /* objects in the JSON array so far */
  int table_header_done;
} bench_report;

/*
 * Opens the output files of args (each may be absent): CSV and timeline in
 * append mode, with a header when the file is new or empty; the JSON file
 * must be absent, empty, or a JSON array (rows are added to it). Returns 0,
 * or -1 with the reason in err.
 */
int bench_report_open(bench_report *r, const bench_args *args, const char *engine, const char *describe, char *err,
                      size_t errlen);

/* Prints the settings every engine runs with, and the engine's line. */
void bench_report_settings(bench_report *r, const char *dir);

/* Reports one row: table, CSV, JSON, and its timeline (rates[0..nrates),
 * ops/s of each elapsed second). Returns 0, or -1 if a file write failed. */
int bench_report_row(bench_report *r, const bench_row *row, const double *rates, size_t nrates);

/* A line under the last row ("  note: ..."). */
void bench_report_note(bench_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A wrong result under the last row ("  ERROR: ..."); the caller makes the
 * exit status 1. */
void bench_report_error(bench_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Closes the JSON array and the files. Returns 0, or -1 if writing failed. */
int bench_report_close(bench_report *r);

#endif
