/*
 * args.h - strata-bench's command line: the options, their defaults and
 * their checks. compare.sh relies on the option names; keep them.
 */
#ifndef STRATA_BENCH_ARGS_H
#define STRATA_BENCH_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"

typedef struct bench_args {
  const char *engine;     /* --engine (default "strata") */
  const char *benchmarks; /* --benchmarks, comma-separated (required) */
  uint64_t num;           /* --num: keys of the fills, operations of the writes */
  size_t key_size;        /* --key-size */
  size_t value_size;      /* --value-size */
  int threads;            /* --threads */
  bench_config cfg;       /* --memtable-bytes ... --max-open-files, --sync, --list-max */
  const char *db;         /* --db, or NULL for a fresh directory under $TMPDIR */
  int keep;               /* --keep: leave the database directory at the end */
  int settle;             /* --settle: after each row, wait for the engine's writes to stop */
  int fresh;              /* --fresh: a non-empty --db is emptied first */
  uint64_t reads;         /* --reads (default: num) */
  uint64_t seed;          /* --seed */
  uint64_t zipf_keys;     /* --zipf-keys: counters, latest values */
  double zipf_theta;      /* --zipf-theta */
  uint64_t users;         /* --users: appendlist, feed and convchurn */
  uint64_t part_keys;     /* --partition-keys: keys of each partition of rangedel */
  const char *csv;        /* --csv FILE: rows appended */
  const char *json;       /* --json FILE: rows added to a JSON array */
  const char *timeline;   /* --timeline FILE: ops/s per second, appended */
  int progress;           /* --progress 1, --no-progress 0, default -1: when stderr is a terminal */
  int list_engines;       /* --list-engines */
  int help;               /* --help */
} bench_args;

/*
 * Parses argv[1..argc) into *a (defaults first). Returns 0, or -1 with a
 * one-line reason in err (an unknown option, a missing or malformed value,
 * a value out of range). Benchmark names are checked by the caller. The
 * strings in *a point into argv.
 */
int bench_args_parse(int argc, char **argv, bench_args *a, char *err, size_t errlen);

/* The name of a compression setting ("none", "lz4", "zstd"). */
const char *bench_compression_name(int compression);

/* Prints the usage text. */
void bench_args_usage(FILE *f);

#endif
