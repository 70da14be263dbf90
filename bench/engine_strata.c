/*
 * engine_strata.c - strata behind the bench_engine interface, through
 * strata.h only: the bench measures what an embedding program gets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "strata.h"

static void fill_options(const bench_config *cfg, strata_options *o) {
  strata_options_init(o);
  o->memtable_bytes = cfg->memtable_bytes;
  o->block_bytes = cfg->block_bytes;
  o->bloom_bits_per_key = cfg->bloom_bits_per_key;
  o->block_cache_bytes = cfg->block_cache_bytes;
  o->max_open_files = cfg->max_open_files;
  o->compression = cfg->compression == 1   ? STRATA_COMPRESSION_LZ4
                   : cfg->compression == 2 ? STRATA_COMPRESSION_ZSTD
                                           : STRATA_COMPRESSION_NONE;
  /* sync_mode ALWAYS makes every put, delete and batch durable before it
   * returns, with concurrent writers sharing one fsync (group commit): the
   * same promise as a per-write STRATA_SYNC flag, without building a batch
   * for each single put. */
  o->sync_mode = cfg->sync ? STRATA_SYNC_ALWAYS : STRATA_SYNC_NONE;
  o->list_max_elements = cfg->list_max_elements;
}

static int fail(const char *what, int rc) {
  bench_engine_error("strata %s: %s (%s)", what, strata_strerror(rc), strata_errmsg());
  return -1;
}

/* Copies a value strata malloc'ed into out and frees it. */
static int copy_out(const char *what, void *val, size_t vlen, bench_buf *out) {
  if (bench_buf_reserve(out, vlen ? vlen : 1)) {
    strata_free(val);
    bench_engine_error("strata %s: out of memory for a value of %zu bytes", what, vlen);
    return -1;
  }
  memcpy(out->data, val, vlen);
  out->len = vlen;
  strata_free(val);
  return 0;
}

static int s_open(const char *dir, const bench_config *cfg, void **db_out) {
  *db_out = NULL;
  strata_options o;
  fill_options(cfg, &o);
  strata_db *db = NULL;
  int rc = strata_open(dir, &o, &db);
  if (rc != STRATA_OK) return fail("open", rc);
  *db_out = db;
  return 0;
}

static void s_close(void *db) {
  if (!db) return;
  /* Nothing to do with an error here: the run is over for this handle. */
  (void)strata_close(db);
}

static void s_describe(const bench_config *cfg, char *out, size_t cap) {
  strata_options o;
  fill_options(cfg, &o);
  snprintf(out, cap,
           "strata %s: sync_mode %s, %d background threads (1 flush, %d compaction), L0 compaction at %d tables, "
           "level 1 target %llu MiB (x10 per level), tables cut at %llu MiB; typed merges, all blind: "
           "merge_add = strata_add, put_latest = strata_put_latest, append = strata_append (list_max_elements %zu); "
           "reads strata_get_int, strata_get_latest, strata_get + strata_list_next; delete_range = strata_delete_range",
           STRATA_VERSION, cfg->sync ? "ALWAYS (fsync per write group)" : "NONE", o.background_threads,
           o.background_threads - 1, o.l0_compaction_trigger, (unsigned long long)(o.level_base_bytes >> 20),
           (unsigned long long)(o.target_file_bytes >> 20), o.list_max_elements);
}

static int s_put(void *db, const char *k, size_t klen, const char *v, size_t vlen) {
  int rc = strata_put(db, k, klen, v, vlen);
  return rc == STRATA_OK ? 0 : fail("put", rc);
}

static int s_del(void *db, const char *k, size_t klen) {
  int rc = strata_delete(db, k, klen);
  return rc == STRATA_OK ? 0 : fail("delete", rc);
}

static int s_delete_range(void *db, const char *begin, size_t blen, const char *end, size_t elen) {
  int rc = strata_delete_range(db, begin, blen, end, elen);
  return rc == STRATA_OK ? 0 : fail("delete_range", rc);
}

static int s_write(void *db, const bench_op *ops, int n) {
  strata_batch *b = strata_batch_new();
  if (!b) return fail("batch_new", STRATA_ENOMEM);
  int rc = STRATA_OK;
  for (int i = 0; i < n && rc == STRATA_OK; i++)
    rc = ops[i].del ? strata_batch_delete(b, ops[i].key, ops[i].klen)
                    : strata_batch_put(b, ops[i].key, ops[i].klen, ops[i].val, ops[i].vlen);
  if (rc == STRATA_OK) rc = strata_write(db, b, 0);
  strata_batch_free(b);
  return rc == STRATA_OK ? 0 : fail("write", rc);
}

static int s_get(void *db, const char *k, size_t klen, bench_buf *out, int *found) {
  void *val = NULL;
  size_t vlen = 0;
  *found = 0;
  int rc = strata_get(db, k, klen, &val, &vlen);
  if (rc == STRATA_NOTFOUND) return 0;
  if (rc != STRATA_OK) return fail("get", rc);
  if (copy_out("get", val, vlen, out)) return -1;
  *found = 1;
  return 0;
}

static int s_merge_add(void *db, const char *k, size_t klen, int64_t delta) {
  int rc = strata_add(db, k, klen, delta);
  return rc == STRATA_OK ? 0 : fail("add", rc);
}

static int s_get_counter(void *db, const char *k, size_t klen, int64_t *v_out, int *found) {
  *v_out = 0;
  *found = 0;
  int rc = strata_get_int(db, k, klen, v_out);
  if (rc == STRATA_NOTFOUND) return 0;
  if (rc != STRATA_OK) return fail("get_int", rc);
  *found = 1;
  return 0;
}

static int s_put_latest(void *db, const char *k, size_t klen, const char *v, size_t vlen, uint64_t ts) {
  int rc = strata_put_latest(db, k, klen, v, vlen, ts);
  return rc == STRATA_OK ? 0 : fail("put_latest", rc);
}

static int s_get_latest(void *db, const char *k, size_t klen, bench_buf *out, uint64_t *ts_out, int *found) {
  void *val = NULL;
  size_t vlen = 0;
  *ts_out = 0;
  *found = 0;
  int rc = strata_get_latest(db, k, klen, &val, &vlen, ts_out);
  if (rc == STRATA_NOTFOUND) return 0;
  if (rc != STRATA_OK) return fail("get_latest", rc);
  if (copy_out("get_latest", val, vlen, out)) return -1;
  *found = 1;
  return 0;
}

static int s_append(void *db, const char *k, size_t klen, const char *elem, size_t elen) {
  int rc = strata_append(db, k, klen, elem, elen);
  return rc == STRATA_OK ? 0 : fail("append", rc);
}

static int s_list_next(const char *list, size_t len, size_t *pos, const char **elem_out, size_t *elen_out) {
  const void *elem = NULL;
  int rc = strata_list_next(list, len, pos, &elem, elen_out);
  *elem_out = elem;
  return rc < 0 ? -1 : rc;
}

/* Levels holding tables, from the "strata.levels" property ("level.N: F
 * files, B bytes" lines); -1 if it cannot be read. */
static int levels_in_use(strata_db *db) {
  char *text = NULL;
  if (strata_property(db, "strata.levels", &text) != STRATA_OK) return -1;
  int used = 0;
  for (const char *line = text; line && *line;) {
    int level;
    unsigned long long files;
    if (sscanf(line, "level.%d: %llu files", &level, &files) == 2 && files > 0) used++;
    line = strchr(line, '\n');
    if (line) line++;
  }
  strata_free(text);
  return used;
}

/* One strata_compact_range over everything flushes the memtable and
 * rewrites every level, deepest included, into the next: afterwards the
 * data sits in one level. A background compaction that slipped in between
 * could leave a second level in use, so check and repeat (bounded). */
static int s_compact(void *db) {
  for (int round = 0; round < 8; round++) {
    int rc = strata_compact_range(db, NULL, 0, NULL, 0);
    if (rc != STRATA_OK) return fail("compact_range", rc);
    int used = levels_in_use(db);
    if (used <= 1) break;
  }
  return 0;
}

static void *s_iter_new(void *db) {
  strata_iter *it = NULL;
  int rc = strata_iter_new(db, NULL, &it);
  if (rc != STRATA_OK) {
    fail("iter_new", rc);
    return NULL;
  }
  return it;
}

/* strata_scan_prefix finds the end of the prefix itself. */
typedef struct s_scan_ctx {
  int (*fn)(void *arg, const char *k, size_t klen, const char *v, size_t vlen);
  void *arg;
} s_scan_ctx;

static int s_scan_one(void *arg, const void *k, size_t klen, const void *v, size_t vlen) {
  s_scan_ctx *c = arg;
  return c->fn(c->arg, k, klen, v, vlen);
}

static int s_scan_prefix(void *db, const char *prefix, size_t plen, const char *end, size_t elen,
                         int (*fn)(void *arg, const char *k, size_t klen, const char *v, size_t vlen), void *arg) {
  (void)end, (void)elen;
  s_scan_ctx c = {fn, arg};
  long long n = strata_scan_prefix(db, NULL, prefix, plen, 0, s_scan_one, &c);
  return n < 0 ? fail("scan_prefix", (int)n) : 0;
}

static void s_iter_seek(void *it, const char *k, size_t klen) { strata_iter_seek(it, k, klen); }
static void s_iter_seek_first(void *it) { strata_iter_seek_first(it); }
static void s_iter_seek_last(void *it) { strata_iter_seek_last(it); }
static void s_iter_next(void *it) { strata_iter_next(it); }
static void s_iter_prev(void *it) { strata_iter_prev(it); }
static int s_iter_valid(void *it) { return strata_iter_valid(it); }
static const char *s_iter_key(void *it, size_t *len) { return strata_iter_key(it, len); }
static const char *s_iter_value(void *it, size_t *len) { return strata_iter_value(it, len); }

static int s_iter_free(void *it) {
  int rc = it ? strata_iter_status(it) : STRATA_OK;
  strata_iter_free(it);
  return rc == STRATA_OK ? 0 : fail("iterator", rc);
}

const bench_engine bench_engine_strata = {
    .name = "strata",
    .open = s_open,
    .close = s_close,
    .describe = s_describe,
    .put = s_put,
    .del = s_del,
    .write = s_write,
    .get = s_get,
    .merge_add = s_merge_add,
    .get_counter = s_get_counter,
    .put_latest = s_put_latest,
    .get_latest = s_get_latest,
    .append = s_append,
    .list_next = s_list_next,
    .delete_range = s_delete_range,
    .native_delete_range = 1,
    .compact = s_compact,
    .scan_prefix = s_scan_prefix,
    .iter_new = s_iter_new,
    .iter_seek = s_iter_seek,
    .iter_seek_first = s_iter_seek_first,
    .iter_seek_last = s_iter_seek_last,
    .iter_next = s_iter_next,
    .iter_prev = s_iter_prev,
    .iter_valid = s_iter_valid,
    .iter_key = s_iter_key,
    .iter_value = s_iter_value,
    .iter_free = s_iter_free,
};
