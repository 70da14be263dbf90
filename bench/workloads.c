/*
 * workloads.c - the table of benchmarks, the checks made before a run
 * starts, and the compact step.
 */
#include "workloads.h"

#include <stdio.h>
#include <string.h>

static const bench_workload workloads[] = {
    {"fillseq", bench_wl_fillseq},   {"fillrandom", bench_wl_fillrandom},   {"overwrite", bench_wl_overwrite},
    {"fillsync", bench_wl_fillsync}, {"readrandom", bench_wl_readrandom},   {"readmissing", bench_wl_readmissing},
    {"readseq", bench_wl_readseq},   {"readreverse", bench_wl_readreverse}, {"seekrandom", bench_wl_seekrandom},
    {"compact", bench_wl_compact},   {"deletescan", bench_wl_deletescan},   {"mixed", bench_wl_mixed},
    {"counter", bench_wl_counter},   {"latest", bench_wl_latest},           {"appendlist", bench_wl_appendlist},
    {"feed", bench_wl_feed},         {"convchurn", bench_wl_convchurn},     {"hotkey", bench_wl_hotkey},
    {"rangedel", bench_wl_rangedel}, {"rdtwin", bench_wl_rdtwin},
};

const bench_workload *bench_workload_find(const char *name) {
  for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
    if (strcmp(workloads[i].name, name) == 0) return &workloads[i];
  return NULL;
}

static void known_names(char *out, size_t cap) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < sizeof workloads / sizeof workloads[0] && used < cap; i++) {
    int n = snprintf(out + used, cap - used, "%s%s", i ? "," : "", workloads[i].name);
    if (n < 0) break;
    used += (size_t)n;
  }
}

int bench_workloads_check(const bench_args *a, char *err, size_t errlen) {
  const char *p = a->benchmarks;
  for (;;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    char name[64];
    if (len == 0) {
      snprintf(err, errlen, "--benchmarks \"%s\" has an empty name", a->benchmarks);
      return -1;
    }
    snprintf(name, sizeof name, "%.*s", (int)len, p);
    if (len >= sizeof name || !bench_workload_find(name)) {
      char known[512];
      known_names(known, sizeof known);
      snprintf(err, errlen, "unknown benchmark \"%.*s\" (known: %s)", (int)len, p, known);
      return -1;
    }
    if (strcmp(name, "counter") == 0 || strcmp(name, "latest") == 0) {
      /* Keys are a letter and the zero-padded index. */
      if (a->key_size < 2 || bench_digits(a->zipf_keys - 1) > (int)a->key_size - 1) {
        snprintf(err, errlen, "%s: --key-size %zu cannot hold a letter and the digits of --zipf-keys %llu", name,
                 a->key_size, (unsigned long long)a->zipf_keys);
        return -1;
      }
      if ((uint64_t)a->threads > a->zipf_keys) {
        snprintf(err, errlen, "%s: each thread owns keys of its own, so --threads must be <= --zipf-keys", name);
        return -1;
      }
    }
    if (strcmp(name, "appendlist") == 0 && (a->key_size < 2 || bench_digits(a->users - 1) > (int)a->key_size - 1)) {
      snprintf(err, errlen, "%s: --key-size %zu cannot hold a letter and the digits of --users %llu", name, a->key_size,
               (unsigned long long)a->users);
      return -1;
    }
    if ((strcmp(name, "feed") == 0 || strcmp(name, "convchurn") == 0 || strcmp(name, "appendlist") == 0) &&
        (uint64_t)a->threads > a->users) {
      snprintf(err, errlen, "%s: each thread owns users of its own, so --threads must be <= --users", name);
      return -1;
    }
    if (strcmp(name, "rangedel") == 0 && a->num / 2 < a->part_keys) {
      snprintf(err, errlen, "%s: --num %llu makes fewer than 2 partitions of --partition-keys %llu", name,
               (unsigned long long)a->num, (unsigned long long)a->part_keys);
      return -1;
    }
    if (!comma) break;
    p = comma + 1;
  }
  return 0;
}

int bench_need_index(const bench_ctx *c) {
  if (c->data == BENCH_DATA_INDEX) return 0;
  bench_engine_error("the database holds no keys of a fill: put fillseq or fillrandom before it in --benchmarks");
  return -1;
}

static int compact_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  if (c->eng->compact(c->db)) return -1;
  bench_op_done(t);
  return 0;
}

int bench_wl_compact(bench_ctx *c) {
  bench_step s;
  if (bench_step_run(c, &s, "compact", 1, compact_worker, NULL)) return -1;
  int64_t written = s.io_written;
  int rc = bench_step_finish(c, &s);
  if (written >= 0 && c->live_bytes)
    bench_report_note(c->report, "compaction wrote %.1f MiB, %.2f x the live user data", (double)written / 1048576.0,
                      (double)written / (double)c->live_bytes);
  c->compacted = 1;
  return rc;
}
