/*
 * args.c - parsing strata-bench's options from a table: each option's
 * name, kind, destination and allowed range, so the checks and the usage
 * text cannot drift apart from the parser.
 */
#include "args.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

typedef enum opt_kind { OPT_FLAG, OPT_STRING, OPT_U64, OPT_SIZE, OPT_INT, OPT_DOUBLE, OPT_COMPRESSION } opt_kind;

typedef struct opt {
  const char *name;
  opt_kind kind;
  void *dest;     /* int (flags: set to flag_value), const char *, uint64_t, size_t, double */
  int flag_value; /* OPT_FLAG */
  uint64_t min;   /* integer kinds */
  uint64_t max;
} opt;

const char *bench_compression_name(int compression) {
  return compression == 1 ? "lz4" : compression == 2 ? "zstd" : "none";
}

static void defaults(bench_args *a) {
  memset(a, 0, sizeof *a);
  a->engine = "strata";
  a->num = 1000000;
  a->key_size = 16;
  a->value_size = 100;
  a->threads = 1;
  a->cfg.memtable_bytes = 64u << 20;
  a->cfg.block_bytes = 4096;
  a->cfg.bloom_bits_per_key = 10;
  a->cfg.block_cache_bytes = 32u << 20;
  a->cfg.compression = 0;
  a->cfg.sync = 0;
  a->cfg.max_open_files = 1000;
  a->cfg.list_max_elements = 100;
  a->reads = 0; /* 0 until parsed: then the default, num */
  a->seed = 301;
  a->zipf_keys = 100000;
  a->zipf_theta = 0.99;
  a->users = 10000;
  a->part_keys = 32;
  a->progress = -1;
}

/* Strict unsigned decimal: digits only, no sign, no trailing bytes. */
static int parse_u64(const char *s, uint64_t *out) {
  if (!*s) return -1;
  for (const char *p = s; *p; p++)
    if (*p < '0' || *p > '9') return -1;
  errno = 0;
  unsigned long long v = strtoull(s, NULL, 10);
  if (errno == ERANGE) return -1;
  *out = v;
  return 0;
}

static int set_value(const opt *o, const char *v, char *err, size_t errlen) {
  switch (o->kind) {
    case OPT_STRING:
      if (!*v) {
        snprintf(err, errlen, "--%s needs a non-empty value", o->name);
        return -1;
      }
      *(const char **)o->dest = v;
      return 0;
    case OPT_COMPRESSION: {
      int c = strcmp(v, "none") == 0 ? 0 : strcmp(v, "lz4") == 0 ? 1 : strcmp(v, "zstd") == 0 ? 2 : -1;
      if (c < 0) {
        snprintf(err, errlen, "--%s must be none, lz4 or zstd, not \"%s\"", o->name, v);
        return -1;
      }
      *(int *)o->dest = c;
      return 0;
    }
    case OPT_DOUBLE: {
      char *end;
      errno = 0;
      double d = strtod(v, &end);
      /* The only double is the Zipf exponent: 0 (uniform) up to, not
       * including, 1 (the generator's formula needs theta != 1). */
      if (errno || end == v || *end || !(d >= 0 && d < 1)) {
        snprintf(err, errlen, "--%s must be a number in [0, 1), not \"%s\"", o->name, v);
        return -1;
      }
      *(double *)o->dest = d;
      return 0;
    }
    case OPT_U64:
    case OPT_SIZE:
    case OPT_INT: {
      uint64_t n;
      if (parse_u64(v, &n) || n < o->min || n > o->max) {
        snprintf(err, errlen, "--%s must be an integer in [%llu, %llu], not \"%s\"", o->name,
                 (unsigned long long)o->min, (unsigned long long)o->max, v);
        return -1;
      }
      if (o->kind == OPT_U64)
        *(uint64_t *)o->dest = n;
      else if (o->kind == OPT_SIZE)
        *(size_t *)o->dest = (size_t)n;
      else
        *(int *)o->dest = (int)n;
      return 0;
    }
    case OPT_FLAG: break;
  }
  return -1;
}

int bench_args_parse(int argc, char **argv, bench_args *a, char *err, size_t errlen) {
  defaults(a);
  int bloom = a->cfg.bloom_bits_per_key, max_open = a->cfg.max_open_files;
  const opt opts[] = {
      {"engine", OPT_STRING, &a->engine, 0, 0, 0},
      {"benchmarks", OPT_STRING, &a->benchmarks, 0, 0, 0},
      {"num", OPT_U64, &a->num, 0, 1, UINT32_MAX},
      {"key-size", OPT_SIZE, &a->key_size, 0, 1, BENCH_KEY_MAX},
      {"value-size", OPT_SIZE, &a->value_size, 0, 8, 16u << 20},
      {"threads", OPT_INT, &a->threads, 0, 1, 1024},
      {"sync", OPT_FLAG, &a->cfg.sync, 1, 0, 0},
      {"db", OPT_STRING, &a->db, 0, 0, 0},
      {"keep", OPT_FLAG, &a->keep, 1, 0, 0},
      {"settle", OPT_FLAG, &a->settle, 1, 0, 0},
      {"fresh", OPT_FLAG, &a->fresh, 1, 0, 0},
      {"memtable-bytes", OPT_SIZE, &a->cfg.memtable_bytes, 0, 4096, (uint64_t)1 << 40},
      {"block-bytes", OPT_SIZE, &a->cfg.block_bytes, 0, 256, 16u << 20},
      {"bloom-bits", OPT_INT, &bloom, 0, 0, 30},
      {"cache-bytes", OPT_SIZE, &a->cfg.block_cache_bytes, 0, 0, (uint64_t)1 << 40},
      {"compression", OPT_COMPRESSION, &a->cfg.compression, 0, 0, 0},
      {"max-open-files", OPT_INT, &max_open, 0, 16, 1 << 20},
      {"reads", OPT_U64, &a->reads, 0, 1, UINT32_MAX},
      {"seed", OPT_U64, &a->seed, 0, 0, UINT64_MAX},
      {"zipf-keys", OPT_U64, &a->zipf_keys, 0, 1, UINT32_MAX},
      {"zipf-theta", OPT_DOUBLE, &a->zipf_theta, 0, 0, 0},
      {"users", OPT_U64, &a->users, 0, 1, UINT32_MAX / 20},
      {"list-max", OPT_SIZE, &a->cfg.list_max_elements, 0, 0, UINT32_MAX},
      {"partition-keys", OPT_U64, &a->part_keys, 0, 1, UINT32_MAX},
      {"csv", OPT_STRING, &a->csv, 0, 0, 0},
      {"json", OPT_STRING, &a->json, 0, 0, 0},
      {"timeline", OPT_STRING, &a->timeline, 0, 0, 0},
      {"progress", OPT_FLAG, &a->progress, 1, 0, 0},
      {"no-progress", OPT_FLAG, &a->progress, 0, 0, 0},
      {"list-engines", OPT_FLAG, &a->list_engines, 1, 0, 0},
      {"help", OPT_FLAG, &a->help, 1, 0, 0},
  };
  int reads_given = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "-h") == 0) arg = "--help";
    if (strncmp(arg, "--", 2) != 0) {
      snprintf(err, errlen, "unexpected argument \"%s\" (options start with --)", arg);
      return -1;
    }
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    const opt *o = NULL;
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++)
      if (strlen(opts[k].name) == nlen && strncmp(opts[k].name, name, nlen) == 0) o = &opts[k];
    if (!o) {
      snprintf(err, errlen, "unknown option \"%.*s\"", (int)(nlen + 2), arg);
      return -1;
    }
    if (o->kind == OPT_FLAG) {
      if (eq) {
        snprintf(err, errlen, "--%s takes no value", o->name);
        return -1;
      }
      *(int *)o->dest = o->flag_value;
      continue;
    }
    const char *value = eq ? eq + 1 : NULL;
    if (!value) {
      /* "--db --keep" is a forgotten value, not a directory named --keep. */
      if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0) {
        snprintf(err, errlen, "--%s needs a value", o->name);
        return -1;
      }
      value = argv[++i];
    }
    if (set_value(o, value, err, errlen)) return -1;
    if (o->dest == &a->reads) reads_given = 1;
  }
  a->cfg.bloom_bits_per_key = bloom;
  a->cfg.max_open_files = max_open;
  if (!reads_given) a->reads = a->num;
  if (a->help || a->list_engines) return 0;
  if (!a->benchmarks) {
    snprintf(err, errlen, "--benchmarks is required (for example --benchmarks fillrandom,readrandom)");
    return -1;
  }
  if (bench_digits(a->num - 1) > (int)a->key_size) {
    snprintf(err, errlen, "--key-size %zu cannot hold the %d digits of key indices below --num %llu", a->key_size,
             bench_digits(a->num - 1), (unsigned long long)a->num);
    return -1;
  }
  return 0;
}

void bench_args_usage(FILE *f) {
  fputs(
      "usage: strata-bench --benchmarks LIST [options]\n"
      "\n"
      "Runs the comma-separated benchmarks in order on one database and prints a row\n"
      "of measurements for each (see docs/BENCH.md).\n"
      "\n"
      "benchmarks:\n"
      "  fillseq fillrandom overwrite fillsync   writes (fill* start a fresh database)\n"
      "  readrandom readmissing seekrandom       point reads and seeks\n"
      "  readseq readreverse                     full scans\n"
      "  mixed                                   90% reads, 10% overwrites\n"
      "  compact                                 full compaction; later rows are <name>/compacted\n"
      "  deletescan                              3 scans, delete every second key, 3 scans again\n"
      "  counter latest appendlist               typed values: counters, latest-wins values, lists\n"
      "  hotkey                                  one counter incremented num times, then read\n"
      "  feed convchurn                          feeds and inboxes (tuple keys)\n"
      "  rangedel                                partitions; reads and scans before and after deleting\n"
      "                                          every second partition with one range delete each\n"
      "  rdtwin                                  the same partitions in two databases, every second one\n"
      "                                          deleted in one; bounded scans alternated between them\n"
      "                                          (the application workloads start a fresh database)\n"
      "\n"
      "options (defaults in brackets):\n"
      "  --engine NAME          strata|rocksdb|leveldb|lmdb, as built in [strata]\n"
      "  --num N                keys of the fills, operations of the writes [1000000]\n"
      "  --reads R              operations of the reads [num]\n"
      "  --key-size K           bytes [16]\n"
      "  --value-size V         bytes, at least 8 [100]\n"
      "  --threads T            [1]\n"
      "  --sync                 every write durable before it returns\n"
      "  --db DIR               database directory [a new one under $TMPDIR]\n"
      "  --fresh                empty a non-empty --db first\n"
      "  --keep                 leave the database directory at the end\n"
      "  --settle               after each row, wait until the process writes nothing for 1 s (120 s at\n"
      "                         most) and count those writes in the row's write amplification\n"
      "  --memtable-bytes B     [67108864]\n"
      "  --block-bytes B        [4096]\n"
      "  --bloom-bits N         bloom filter bits per key, 0 = none [10]\n"
      "  --cache-bytes B        block cache [33554432]\n"
      "  --compression C        none|lz4|zstd [none]\n"
      "  --max-open-files N     [1000]\n"
      "  --seed S               [301]\n"
      "  --zipf-keys K          keys of counter and latest [100000]\n"
      "  --zipf-theta X         Zipf exponent, 0 <= X < 1 [0.99]\n"
      "  --users U              users of appendlist, feed and convchurn [10000]\n"
      "  --list-max L           appendlist: lists keep their newest L events, 0 = all [100]\n"
      "  --partition-keys P     rangedel: keys per partition [32]\n"
      "  --csv FILE             append rows as CSV\n"
      "  --json FILE            add rows to a JSON array\n"
      "  --timeline FILE        append ops/s for every second of every row\n"
      "  --progress, --no-progress   progress line on stderr [when it is a terminal]\n"
      "  --list-engines         print the engines built in and exit\n"
      "  --help\n",
      f);
}
