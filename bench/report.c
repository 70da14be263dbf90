/*
 * report.c - the terminal table and the CSV, JSON and timeline files (see
 * report.h). Column names are a contract with compare.sh and with people's
 * spreadsheets: change them only together with docs/BENCH.md.
 */
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const csv_header =
    "engine,benchmark,threads,num,ops,seconds,ops_per_sec,us_per_op,p50_us,p99_us,p999_us,write_amp,space_amp,"
    "peak_rss_mb\n";

/* 1 if f (just opened for appending) holds no bytes yet. */
static int file_is_empty(FILE *f) {
  struct stat st;
  return fstat(fileno(f), &st) == 0 && st.st_size == 0;
}

/* Opens path for appending; writes header first if the file is new or
 * empty. */
static FILE *open_append(const char *path, const char *header, char *err, size_t errlen) {
  FILE *f = fopen(path, "a");
  if (!f) {
    snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  if (file_is_empty(f) && (fputs(header, f) < 0 || fflush(f) != 0)) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    fclose(f);
    return NULL;
  }
  return f;
}

/* Positions f (opened "r+") so that new objects extend the JSON array it
 * holds: the closing bracket is cut off and *rows_out says whether the
 * array already has members. An empty file becomes "[". */
static int json_reopen_array(FILE *f, const char *path, int *rows_out, char *err, size_t errlen) {
  *rows_out = 0;
  if (fseek(f, 0, SEEK_END) != 0) goto bad_io;
  long size = ftell(f);
  if (size < 0) goto bad_io;
  long end = size;
  int c = 0;
  /* Back over trailing whitespace to the closing bracket. */
  while (end > 0) {
    if (fseek(f, end - 1, SEEK_SET) != 0) goto bad_io;
    c = fgetc(f);
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
    end--;
  }
  if (end == 0) { /* empty, or only whitespace */
    if (ftruncate(fileno(f), 0) != 0 || fseek(f, 0, SEEK_SET) != 0 || fputs("[", f) < 0) goto bad_io;
    return 0;
  }
  if (c != ']') goto not_array;
  long before = end - 1; /* the closing bracket */
  while (before > 0) {
    if (fseek(f, before - 1, SEEK_SET) != 0) goto bad_io;
    c = fgetc(f);
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
    before--;
  }
  if (before == 0) goto not_array;
  *rows_out = c != '['; /* "[ ]" has no members yet */
  /* Cut after the last member (or the "["), so new ones follow on. */
  fflush(f);
  if (ftruncate(fileno(f), before) != 0 || fseek(f, before, SEEK_SET) != 0) goto bad_io;
  return 0;
not_array:
  snprintf(err, errlen, "--json %s does not hold a JSON array; give a new file", path);
  return -1;
bad_io:
  snprintf(err, errlen, "cannot update %s: %s", path, strerror(errno));
  return -1;
}

int bench_report_open(bench_report *r, const bench_args *args, const char *engine, const char *describe, char *err,
                      size_t errlen) {
  memset(r, 0, sizeof *r);
  r->args = args;
  r->engine = engine;
  snprintf(r->describe, sizeof r->describe, "%s", describe);
  if (args->csv && !(r->csv = open_append(args->csv, csv_header, err, errlen))) goto fail;
  if (args->timeline &&
      !(r->timeline = open_append(args->timeline, "engine,benchmark,second,ops_per_sec\n", err, errlen)))
    goto fail;
  if (args->json) {
    r->json = fopen(args->json, "r+");
    if (!r->json && errno == ENOENT) r->json = fopen(args->json, "w+");
    if (!r->json) {
      snprintf(err, errlen, "cannot open %s: %s", args->json, strerror(errno));
      goto fail;
    }
    if (json_reopen_array(r->json, args->json, &r->json_rows, err, errlen)) goto fail;
  }
  return 0;
fail:
  if (r->csv) fclose(r->csv);
  if (r->timeline) fclose(r->timeline);
  if (r->json) fclose(r->json);
  r->csv = r->timeline = r->json = NULL;
  return -1;
}

static void print_bytes(FILE *f, uint64_t b) {
  if (b >= (1u << 20) && b % (1u << 20) == 0)
    fprintf(f, "%llu MiB", (unsigned long long)(b >> 20));
  else if (b >= 1024 && b % 1024 == 0)
    fprintf(f, "%llu KiB", (unsigned long long)(b >> 10));
  else
    fprintf(f, "%llu B", (unsigned long long)b);
}

void bench_report_settings(bench_report *r, const char *dir) {
  const bench_args *a = r->args;
  const bench_config *c = &a->cfg;
  printf("strata-bench: engine %s, --num %llu, --reads %llu, keys %zu B, values %zu B, threads %d, seed %llu\n",
         r->engine, (unsigned long long)a->num, (unsigned long long)a->reads, a->key_size, a->value_size, a->threads,
         (unsigned long long)a->seed);
  printf("settings (every engine): memtable ");
  print_bytes(stdout, c->memtable_bytes);
  printf(", block ");
  print_bytes(stdout, c->block_bytes);
  printf(", bloom %d bits/key, block cache ", c->bloom_bits_per_key);
  print_bytes(stdout, c->block_cache_bytes);
  printf(", compression %s, sync %s, max open files %d, lists cut at %zu elements%s\n",
         bench_compression_name(c->compression), c->sync ? "on" : "off", c->max_open_files, c->list_max_elements,
         c->list_max_elements ? "" : " (never)");
  printf("engine: %s\n", r->describe);
  printf("database: %s\n", dir);
  fflush(stdout);
}

static void table_header(void) {
  printf("\n%-8s %-28s %3s %11s %9s %11s %9s %9s %9s %9s %6s %6s %8s\n", "engine", "benchmark", "thr", "ops", "seconds",
         "ops/s", "us/op", "p50 us", "p99 us", "p99.9 us", "w-amp", "s-amp", "rss MiB");
}

/* "%.2f" of v into buf, or "-" when v is negative (not applicable). */
static const char *amp_text(char *buf, size_t cap, double v) {
  if (v < 0)
    snprintf(buf, cap, "-");
  else
    snprintf(buf, cap, "%.2f", v);
  return buf;
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(f, "\\%c", ch);
    else if (ch < 0x20)
      fprintf(f, "\\u%04x", ch);
    else
      fputc(ch, f);
  }
  fputc('"', f);
}

static void json_amp(FILE *f, const char *name, double v) {
  if (v < 0)
    fprintf(f, "\"%s\": null, ", name);
  else
    fprintf(f, "\"%s\": %.4f, ", name, v);
}

static int write_json(bench_report *r, const bench_row *row, double ops_per_sec, double us_per_op) {
  const bench_args *a = r->args;
  const bench_config *c = &a->cfg;
  FILE *f = r->json;
  fputs(r->json_rows ? ",\n  {" : "\n  {", f);
  fputs("\"engine\": ", f);
  json_string(f, r->engine);
  fputs(", \"benchmark\": ", f);
  json_string(f, row->label);
  fprintf(f,
          ", \"threads\": %d, \"num\": %llu, \"ops\": %llu, \"seconds\": %.6f, \"ops_per_sec\": %.1f, "
          "\"us_per_op\": %.4f, \"p50_us\": %.3f, \"p99_us\": %.3f, \"p999_us\": %.3f, ",
          row->threads, (unsigned long long)a->num, (unsigned long long)row->ops, row->seconds, ops_per_sec, us_per_op,
          row->p50_us, row->p99_us, row->p999_us);
  json_amp(f, "write_amp", row->write_amp);
  json_amp(f, "space_amp", row->space_amp);
  fprintf(f, "\"peak_rss_mb\": %.1f,\n   \"config\": {\"key_size\": %zu, \"value_size\": %zu, ", row->peak_rss_mb,
          a->key_size, a->value_size);
  fprintf(f,
          "\"memtable_bytes\": %zu, \"block_bytes\": %zu, \"bloom_bits\": %d, \"cache_bytes\": %zu, "
          "\"compression\": \"%s\", \"sync\": %s, \"max_open_files\": %d, \"reads\": %llu, \"seed\": %llu, "
          "\"zipf_keys\": %llu, \"zipf_theta\": %g, \"users\": %llu, \"list_max\": %zu, \"partition_keys\": %llu, "
          "\"describe\": ",
          c->memtable_bytes, c->block_bytes, c->bloom_bits_per_key, c->block_cache_bytes,
          bench_compression_name(c->compression), c->sync ? "true" : "false", c->max_open_files,
          (unsigned long long)a->reads, (unsigned long long)a->seed, (unsigned long long)a->zipf_keys, a->zipf_theta,
          (unsigned long long)a->users, c->list_max_elements, (unsigned long long)a->part_keys);
  json_string(f, r->describe);
  fputs("}}", f);
  r->json_rows++;
  return fflush(f) == 0 ? 0 : -1;
}

int bench_report_row(bench_report *r, const bench_row *row, const double *rates, size_t nrates) {
  const bench_args *a = r->args;
  double ops_per_sec = row->seconds > 0 ? (double)row->ops / row->seconds : 0;
  double us_per_op = row->ops ? row->seconds * 1e6 / (double)row->ops : 0;
  char wa[32], sa[32];
  if (!r->table_header_done) {
    table_header();
    r->table_header_done = 1;
  }
  printf("%-8s %-28s %3d %11llu %9.3f %11.0f %9.3f %9.2f %9.2f %9.2f %6s %6s %8.1f\n", r->engine, row->label,
         row->threads, (unsigned long long)row->ops, row->seconds, ops_per_sec, us_per_op, row->p50_us, row->p99_us,
         row->p999_us, amp_text(wa, sizeof wa, row->write_amp), amp_text(sa, sizeof sa, row->space_amp),
         row->peak_rss_mb);
  fflush(stdout);
  int rc = 0;
  if (r->csv) {
    /* CSV leaves a not-applicable cell empty. */
    char wcell[32] = "", scell[32] = "";
    if (row->write_amp >= 0) snprintf(wcell, sizeof wcell, "%.4f", row->write_amp);
    if (row->space_amp >= 0) snprintf(scell, sizeof scell, "%.4f", row->space_amp);
    fprintf(r->csv, "%s,%s,%d,%llu,%llu,%.6f,%.1f,%.4f,%.3f,%.3f,%.3f,%s,%s,%.1f\n", r->engine, row->label,
            row->threads, (unsigned long long)a->num, (unsigned long long)row->ops, row->seconds, ops_per_sec,
            us_per_op, row->p50_us, row->p99_us, row->p999_us, wcell, scell, row->peak_rss_mb);
    if (fflush(r->csv) != 0) rc = -1;
  }
  if (r->json && write_json(r, row, ops_per_sec, us_per_op)) rc = -1;
  if (r->timeline) {
    for (size_t i = 0; i < nrates; i++)
      fprintf(r->timeline, "%s,%s,%zu,%.1f\n", r->engine, row->label, i + 1, rates[i]);
    if (fflush(r->timeline) != 0) rc = -1;
  }
  return rc;
}

static void line_under(const char *tag, const char *fmt, va_list ap) {
  printf("  %s: ", tag);
  vprintf(fmt, ap);
  fputc('\n', stdout);
  fflush(stdout);
}

void bench_report_note(bench_report *r, const char *fmt, ...) {
  (void)r;
  va_list ap;
  va_start(ap, fmt);
  line_under("note", fmt, ap);
  va_end(ap);
}

void bench_report_error(bench_report *r, const char *fmt, ...) {
  (void)r;
  va_list ap;
  va_start(ap, fmt);
  line_under("ERROR", fmt, ap);
  va_end(ap);
}

int bench_report_close(bench_report *r) {
  int rc = 0;
  if (r->json) {
    fputs(r->json_rows ? "\n]\n" : "]\n", r->json);
    if (fclose(r->json) != 0) rc = -1;
  }
  if (r->csv && fclose(r->csv) != 0) rc = -1;
  if (r->timeline && fclose(r->timeline) != 0) rc = -1;
  r->csv = r->json = r->timeline = NULL;
  return rc;
}
