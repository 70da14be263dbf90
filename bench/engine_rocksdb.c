/*
 * engine_rocksdb.c - the RocksDB rival behind bench_engine, through its C API
 * (<rocksdb/c.h>, RocksDB 7.x). bench_config is mapped onto RocksDB's own
 * options; everything else stays at RocksDB's defaults, and describe() names
 * every option this file sets. Counters, latest-wins values and lists are
 * merges, through one merge operator written here.
 */
#include <rocksdb/c.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "listfmt.h"

/* BottommostLevelCompaction::kForceOptimized: a full compaction also rewrites
 * the last level (dropping tombstones and shadowed versions there), without
 * rewriting again the files it has just written. strata_compact_range does
 * the same, so compacted reads compare like with like. */
#define RDB_BOTTOMMOST_FORCE_OPTIMIZED 3

/* strata runs 2 background threads (one flushes, one compacts); this is also
 * RocksDB's default, set explicitly so a change of default cannot skew runs. */
#define RDB_BACKGROUND_JOBS 2

typedef struct rdb_handle {
  rocksdb_t *db;
  rocksdb_readoptions_t *ro;  /* shared by every get and iterator */
  rocksdb_writeoptions_t *wo; /* sync as bench_config says */
} rdb_handle;

/* Reports err (a message RocksDB malloc'ed, or NULL) and frees it. */
static int rdb_fail(const char *what, char *err) {
  bench_engine_error("rocksdb %s: %s", what, err ? err : "out of memory");
  rocksdb_free(err);
  return -1;
}

/* ---- the typed merge operator ----------------------------------------- */

/* RocksDB takes one merge operator per column family, so one operator
 * serves the three typed values; the first byte of every operand says
 * which (the keys are the application's, the operator does not read them):
 *   'a' + int64 little-endian          a counter's delta
 *   't' + value                        a latest-wins value, its first 8
 *                                      bytes the big-endian ts
 *   'e' + varint-prefixed elements     one or more list elements (listfmt.h)
 * What a merge stores, and get() returns: a counter as its 8-byte
 * little-endian sum, a latest-wins value as written, a list in listfmt.h's
 * bytes cut to its newest list_max_elements.
 *
 * A merge fails only when memory runs out: a failed merge inside a
 * background compaction would stop every write of the database, not just
 * the one bad key. So operands of a kind other than the newest one's are
 * ignored, and a stored value that does not fit (a counter not 8 bytes, a
 * value shorter than its ts, bytes that are not a list) counts as absent. */
#define RDB_OP_ADD 'a'
#define RDB_OP_LATEST 't'
#define RDB_OP_APPEND 'e'

typedef struct rdb_merge_state {
  size_t list_max; /* lists keep their newest this many elements; 0 = all */
} rdb_merge_state;

static int64_t rdb_counter_decode(const char *p, size_t n) {
  if (!p || n != 8) return 0;
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | (unsigned char)p[i];
  return (int64_t)v;
}

static void rdb_counter_encode(int64_t v, char *out) {
  uint64_t u = (uint64_t)v;
  for (int i = 0; i < 8; i++) out[i] = (char)(u >> (8 * i));
}

static uint64_t rdb_ts(const char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | (unsigned char)p[i];
  return v;
}

/* A counter's result fits in a buffer of the thread's own: RocksDB copies
 * a merge result and then calls delete_value on the same thread, which
 * frees every other result (malloc'ed). */
static _Thread_local char rdb_merge_out[9];

static void rdb_merge_delete_value(void *state, const char *value, size_t len) {
  (void)state, (void)len;
  if (value != rdb_merge_out) free((char *)value);
}

/* Sums in uint64 so that overflow wraps instead of being undefined. */
static uint64_t rdb_sum_operands(const char *const *ops, const size_t *lens, int n) {
  uint64_t sum = 0;
  for (int i = 0; i < n; i++)
    if (lens[i] == 9 && ops[i][0] == RDB_OP_ADD) sum += (uint64_t)rdb_counter_decode(ops[i] + 1, 8);
  return sum;
}

/* The newest 't' operand of greatest ts (ops are oldest first, so a later
 * one wins a tie), or -1. */
static int rdb_latest_operand(const char *const *ops, const size_t *lens, int n, uint64_t *ts_out) {
  int best = -1;
  uint64_t best_ts = 0;
  for (int i = 0; i < n; i++) {
    if (lens[i] < 9 || ops[i][0] != RDB_OP_LATEST) continue;
    uint64_t ts = rdb_ts(ops[i] + 1);
    if (best < 0 || ts >= best_ts) best = i, best_ts = ts;
  }
  *ts_out = best_ts;
  return best;
}

/* base[0..blen) (a stored list; blen 0 for none) followed by the elements
 * of the 'e' operands, cut to the newest list_max, in a malloc'ed buffer
 * that starts with the byte tag unless it is 0 (a partial merge's result
 * is an operand again). NULL when memory ran out. */
static char *rdb_list_join(const rdb_merge_state *st, int tag, const char *base, size_t blen, const char *const *ops,
                           const size_t *lens, int n, size_t *len_out) {
  size_t total = (size_t)(tag != 0) + blen;
  for (int i = 0; i < n; i++)
    if (lens[i] >= 1 && ops[i][0] == RDB_OP_APPEND) total += lens[i] - 1;
  char *out = malloc(total ? total : 1);
  if (!out) return NULL;
  size_t len = 0;
  if (tag) out[len++] = (char)tag;
  size_t start = len;
  if (blen) memcpy(out + len, base, blen), len += blen;
  for (int i = 0; i < n; i++)
    if (lens[i] >= 1 && ops[i][0] == RDB_OP_APPEND) memcpy(out + len, ops[i] + 1, lens[i] - 1), len += lens[i] - 1;
  int64_t cut = bench_list_cut(out + start, len - start, st->list_max);
  if (cut > 0) {
    memmove(out + start, out + start + cut, len - start - (size_t)cut);
    len -= (size_t)cut;
  }
  *len_out = len;
  return out;
}

static char *rdb_full_merge(void *state, const char *key, size_t klen, const char *existing, size_t elen,
                            const char *const *ops, const size_t *lens, int n, unsigned char *success,
                            size_t *len_out) {
  (void)key, (void)klen;
  const rdb_merge_state *st = state;
  char kind = n > 0 && lens[n - 1] > 0 ? ops[n - 1][0] : RDB_OP_ADD;
  *success = 1;
  if (kind == RDB_OP_LATEST) {
    uint64_t ts;
    int i = rdb_latest_operand(ops, lens, n, &ts);
    const char *v = i >= 0 ? ops[i] + 1 : existing;
    size_t vlen = i >= 0 ? lens[i] - 1 : elen;
    /* The stored value stays only when its ts is greater than every
     * operand's: a tie goes to the newer write. */
    if (existing && elen >= 8 && (i < 0 || rdb_ts(existing) > ts)) v = existing, vlen = elen;
    char *out = malloc(vlen ? vlen : 1);
    if (!out) goto no_memory;
    if (vlen) memcpy(out, v, vlen);
    *len_out = vlen;
    return out;
  }
  if (kind == RDB_OP_APPEND) {
    if (existing && bench_list_cut(existing, elen, 0) < 0) existing = NULL, elen = 0;
    char *out = rdb_list_join(st, 0, existing, existing ? elen : 0, ops, lens, n, len_out);
    if (!out) goto no_memory;
    return out;
  }
  uint64_t v = (uint64_t)rdb_counter_decode(existing, elen) + rdb_sum_operands(ops, lens, n);
  rdb_counter_encode((int64_t)v, rdb_merge_out);
  *len_out = 8;
  return rdb_merge_out;
no_memory:
  /* Nothing else to return: RocksDB reports a merge failure. */
  *success = 0;
  *len_out = 0;
  return NULL;
}

/* Joins operands of one kind into one operand; declines (RocksDB keeps
 * them as they are) when the kinds differ or memory ran out. */
static char *rdb_partial_merge(void *state, const char *key, size_t klen, const char *const *ops, const size_t *lens,
                               int n, unsigned char *success, size_t *len_out) {
  (void)key, (void)klen;
  const rdb_merge_state *st = state;
  *success = 0;
  *len_out = 0;
  if (n < 1 || lens[0] < 1) return NULL;
  char kind = ops[0][0];
  for (int i = 1; i < n; i++)
    if (lens[i] < 1 || ops[i][0] != kind) return NULL;
  char *out = NULL;
  size_t len = 0;
  if (kind == RDB_OP_ADD) {
    rdb_merge_out[0] = RDB_OP_ADD;
    rdb_counter_encode((int64_t)rdb_sum_operands(ops, lens, n), rdb_merge_out + 1);
    out = rdb_merge_out;
    len = 9;
  } else if (kind == RDB_OP_LATEST) {
    uint64_t ts;
    int i = rdb_latest_operand(ops, lens, n, &ts);
    if (i < 0 || !(out = malloc(lens[i]))) return NULL;
    memcpy(out, ops[i], lens[i]);
    len = lens[i];
  } else if (kind == RDB_OP_APPEND) {
    if (!(out = rdb_list_join(st, RDB_OP_APPEND, NULL, 0, ops, lens, n, &len))) return NULL;
  } else {
    return NULL;
  }
  *success = 1;
  *len_out = len;
  return out;
}

static void rdb_merge_destroy(void *state) { free(state); }
static const char *rdb_merge_name(void *state) {
  (void)state;
  return "strata-bench.typed";
}

/* ---- open / close ----------------------------------------------------- */

static int rdb_compression(int c, int *out) {
  switch (c) {
    case 0: *out = rocksdb_no_compression; return 0;
    case 1: *out = rocksdb_lz4_compression; return 0;
    case 2: *out = rocksdb_zstd_compression; return 0;
    default: bench_engine_error("rocksdb: unknown compression %d", c); return -1;
  }
}

static void rdb_close(void *db) {
  rdb_handle *h = db;
  if (!h) return;
  if (h->db) {
    /* Like strata_close: the log is synced, the memtable stays in it. */
    char *err = NULL;
    rocksdb_flush_wal(h->db, 1, &err);
    if (err) fprintf(stderr, "rocksdb close: syncing the log: %s\n", err);
    rocksdb_free(err);
    rocksdb_close(h->db);
  }
  if (h->ro) rocksdb_readoptions_destroy(h->ro);
  if (h->wo) rocksdb_writeoptions_destroy(h->wo);
  free(h);
}

static int rdb_open(const char *dir, const bench_config *cfg, void **db_out) {
  *db_out = NULL;
  int compression;
  if (rdb_compression(cfg->compression, &compression)) return -1;

  rdb_handle *h = calloc(1, sizeof *h);
  rocksdb_options_t *o = rocksdb_options_create();
  rocksdb_block_based_table_options_t *t = rocksdb_block_based_options_create();
  char *err = NULL;
  int rc = -1;
  if (!h || !o || !t) {
    rdb_fail("open", NULL);
    goto fail;
  }

  rocksdb_options_set_create_if_missing(o, 1);
  rocksdb_options_set_write_buffer_size(o, cfg->memtable_bytes);
  rocksdb_options_set_max_open_files(o, cfg->max_open_files);
  rocksdb_options_set_compression(o, compression);
  rocksdb_options_set_max_background_jobs(o, RDB_BACKGROUND_JOBS);

  rocksdb_block_based_options_set_block_size(t, cfg->block_bytes);
  if (cfg->bloom_bits_per_key > 0) {
    /* The table options take ownership of the policy. */
    rocksdb_block_based_options_set_filter_policy(t, rocksdb_filterpolicy_create_bloom_full(cfg->bloom_bits_per_key));
  }
  if (cfg->block_cache_bytes > 0) {
    /* The table options keep their own reference to the cache. */
    rocksdb_cache_t *cache = rocksdb_cache_create_lru(cfg->block_cache_bytes);
    rocksdb_block_based_options_set_block_cache(t, cache);
    rocksdb_cache_destroy(cache);
  } else {
    rocksdb_block_based_options_set_no_block_cache(t, 1);
  }
  rocksdb_options_set_block_based_table_factory(o, t);

  /* Owned by the options from here on (the operator frees its state);
   * RocksDB needs it at open, before any merge operand can be replayed
   * from the log. */
  rdb_merge_state *mst = malloc(sizeof *mst);
  if (!mst) {
    rdb_fail("open", NULL);
    goto fail;
  }
  mst->list_max = cfg->list_max_elements;
  rocksdb_options_set_merge_operator(
      o, rocksdb_mergeoperator_create(mst, rdb_merge_destroy, rdb_full_merge, rdb_partial_merge, rdb_merge_delete_value,
                                      rdb_merge_name));

  h->ro = rocksdb_readoptions_create();
  h->wo = rocksdb_writeoptions_create();
  if (!h->ro || !h->wo) {
    rdb_fail("open", NULL);
    goto fail;
  }
  rocksdb_writeoptions_set_sync(h->wo, cfg->sync ? 1 : 0);

  h->db = rocksdb_open(o, dir, &err);
  if (err) {
    rdb_fail("open", err);
    goto fail;
  }
  *db_out = h;
  h = NULL;
  rc = 0;
fail:
  rdb_close(h);
  if (t) rocksdb_block_based_options_destroy(t);
  if (o) rocksdb_options_destroy(o);
  return rc;
}

static void rdb_describe(const bench_config *cfg, char *out, size_t cap) {
  const char *comp = cfg->compression == 1 ? "lz4" : cfg->compression == 2 ? "zstd" : "none";
  snprintf(out, cap,
           "rocksdb: write_buffer_size=%zu, block-based table block_size=%zu, full bloom %d bits/key, "
           "LRU block cache %zu bytes%s, compression=%s, max_open_files=%d, max_background_jobs=%d, "
           "sync=%d; one typed merge operator (tagged operands) for counters (int64 add), latest-wins values "
           "(greatest ts) and lists (appended, cut to the newest %zu; 0 = all), so merge_add, put_latest and append "
           "are blind merges; get via PinnableSlice copied out; delete_range = a write batch with one DeleteRange; "
           "compact = CompactRange(all) "
           "with bottommost_level_compaction=kForceOptimized; close syncs the WAL; "
           "everything else at RocksDB defaults (leveled, L0 triggers 4/20/36, max_write_buffer_number=2, "
           "index/filter blocks outside the cache)",
           cfg->memtable_bytes, cfg->block_bytes, cfg->bloom_bits_per_key, cfg->block_cache_bytes,
           cfg->block_cache_bytes ? "" : " (none)", comp, cfg->max_open_files, RDB_BACKGROUND_JOBS, cfg->sync ? 1 : 0,
           cfg->list_max_elements);
}

/* ---- writes ----------------------------------------------------------- */

static int rdb_put(void *db, const char *k, size_t klen, const char *v, size_t vlen) {
  rdb_handle *h = db;
  char *err = NULL;
  rocksdb_put(h->db, h->wo, k, klen, v, vlen, &err);
  return err ? rdb_fail("put", err) : 0;
}

static int rdb_del(void *db, const char *k, size_t klen) {
  rdb_handle *h = db;
  char *err = NULL;
  rocksdb_delete(h->db, h->wo, k, klen, &err);
  return err ? rdb_fail("delete", err) : 0;
}

static int rdb_write(void *db, const bench_op *ops, int n) {
  rdb_handle *h = db;
  rocksdb_writebatch_t *b = rocksdb_writebatch_create();
  if (!b) return rdb_fail("write", NULL);
  for (int i = 0; i < n; i++) {
    if (ops[i].del)
      rocksdb_writebatch_delete(b, ops[i].key, ops[i].klen);
    else
      rocksdb_writebatch_put(b, ops[i].key, ops[i].klen, ops[i].val, ops[i].vlen);
  }
  char *err = NULL;
  rocksdb_write(h->db, h->wo, b, &err);
  rocksdb_writebatch_destroy(b);
  return err ? rdb_fail("write", err) : 0;
}

/* DeleteRange through a write batch: the C API of RocksDB 7.x has
 * rocksdb_delete_range_cf but no way to get the default column family's
 * handle for a database opened without column families. A range open at
 * the end (end NULL) ends just past the last key there is now. */
static int rdb_delete_range(void *db, const char *begin, size_t blen, const char *end, size_t elen) {
  rdb_handle *h = db;
  char *last = NULL;
  if (!end) {
    rocksdb_iterator_t *it = rocksdb_create_iterator(h->db, h->ro);
    if (!it) return rdb_fail("delete_range", NULL);
    rocksdb_iter_seek_to_last(it);
    size_t klen = 0;
    const char *k = rocksdb_iter_valid(it) ? rocksdb_iter_key(it, &klen) : NULL;
    if (k && (last = malloc(klen + 1)) != NULL) {
      memcpy(last, k, klen);
      last[klen] = '\0'; /* the smallest key above it */
      elen = klen + 1;
    }
    char *err = NULL;
    rocksdb_iter_get_error(it, &err);
    rocksdb_iter_destroy(it);
    if (err) {
      free(last);
      return rdb_fail("delete_range (finding the last key)", err);
    }
    if (!k) return 0; /* the database is empty */
    if (!last) return rdb_fail("delete_range", NULL);
    end = last;
  }
  rocksdb_writebatch_t *b = rocksdb_writebatch_create();
  if (!b) {
    free(last);
    return rdb_fail("delete_range", NULL);
  }
  rocksdb_writebatch_delete_range(b, begin, blen, end, elen);
  char *err = NULL;
  rocksdb_write(h->db, h->wo, b, &err);
  rocksdb_writebatch_destroy(b);
  free(last);
  return err ? rdb_fail("delete_range", err) : 0;
}

/* One merge of a tagged operand: the tag byte, then body[0..blen) and
 * tail[0..tlen). */
static int rdb_merge(rdb_handle *h, const char *what, const char *k, size_t klen, char tag, const char *body,
                     size_t blen, const char *tail, size_t tlen) {
  char small[64];
  size_t n = 1 + blen + tlen;
  char *op = n <= sizeof small ? small : malloc(n);
  if (!op) return rdb_fail(what, NULL);
  op[0] = tag;
  if (blen) memcpy(op + 1, body, blen);
  if (tlen) memcpy(op + 1 + blen, tail, tlen);
  char *err = NULL;
  rocksdb_merge(h->db, h->wo, k, klen, op, n, &err);
  if (op != small) free(op);
  return err ? rdb_fail(what, err) : 0;
}

static int rdb_merge_add(void *db, const char *k, size_t klen, int64_t delta) {
  char operand[8];
  rdb_counter_encode(delta, operand);
  return rdb_merge(db, "merge (add)", k, klen, RDB_OP_ADD, operand, sizeof operand, NULL, 0);
}

/* v starts with ts (engine.h): the operator reads it there. */
static int rdb_put_latest(void *db, const char *k, size_t klen, const char *v, size_t vlen, uint64_t ts) {
  (void)ts;
  if (vlen < 8) {
    bench_engine_error("rocksdb put_latest: a value of %zu bytes cannot hold its ts", vlen);
    return -1;
  }
  return rdb_merge(db, "merge (latest)", k, klen, RDB_OP_LATEST, v, vlen, NULL, 0);
}

static int rdb_append(void *db, const char *k, size_t klen, const char *elem, size_t elen) {
  char prefix[BENCH_LIST_PREFIX_MAX];
  size_t plen = bench_list_prefix(prefix, elen);
  return rdb_merge(db, "merge (append)", k, klen, RDB_OP_APPEND, prefix, plen, elem, elen);
}

/* ---- reads ------------------------------------------------------------ */

/* The pinned value is copied once into out: one allocation (the slice
 * handle) and one copy per hit, the same work as strata's get. */
static int rdb_get(void *db, const char *k, size_t klen, bench_buf *out, int *found) {
  rdb_handle *h = db;
  *found = 0;
  char *err = NULL;
  rocksdb_pinnableslice_t *p = rocksdb_get_pinned(h->db, h->ro, k, klen, &err);
  if (err) return rdb_fail("get", err);
  if (!p) return 0;
  size_t vlen;
  const char *v = rocksdb_pinnableslice_value(p, &vlen);
  int rc = 0;
  if (bench_buf_reserve(out, vlen)) {
    rc = rdb_fail("get", NULL);
  } else {
    if (vlen) memcpy(out->data, v, vlen);
    out->len = vlen;
    *found = 1;
  }
  rocksdb_pinnableslice_destroy(p);
  return rc;
}

/* A counter is its 8-byte sum (the operator stores nothing else). */
static int rdb_get_counter(void *db, const char *k, size_t klen, int64_t *v_out, int *found) {
  rdb_handle *h = db;
  *v_out = 0;
  *found = 0;
  char *err = NULL;
  rocksdb_pinnableslice_t *p = rocksdb_get_pinned(h->db, h->ro, k, klen, &err);
  if (err) return rdb_fail("get (counter)", err);
  if (!p) return 0;
  size_t vlen;
  const char *v = rocksdb_pinnableslice_value(p, &vlen);
  int rc = 0;
  if (vlen != 8) {
    bench_engine_error("rocksdb get (counter): the counter holds %zu bytes, not 8", vlen);
    rc = -1;
  } else {
    *v_out = rdb_counter_decode(v, vlen);
    *found = 1;
  }
  rocksdb_pinnableslice_destroy(p);
  return rc;
}

static int rdb_get_latest(void *db, const char *k, size_t klen, bench_buf *out, uint64_t *ts_out, int *found) {
  *ts_out = 0;
  if (rdb_get(db, k, klen, out, found)) return -1;
  if (!*found) return 0;
  if (out->len < 8) {
    *found = 0;
    bench_engine_error("rocksdb get (latest): a value of %zu bytes cannot hold its ts", out->len);
    return -1;
  }
  *ts_out = rdb_ts(out->data);
  return 0;
}

static int rdb_compact(void *db) {
  rdb_handle *h = db;
  rocksdb_compactoptions_t *co = rocksdb_compactoptions_create();
  if (!co) return rdb_fail("compact", NULL);
  rocksdb_compactoptions_set_bottommost_level_compaction(co, RDB_BOTTOMMOST_FORCE_OPTIMIZED);
  rocksdb_compact_range_opt(h->db, co, NULL, 0, NULL, 0);
  rocksdb_compactoptions_destroy(co);
  /* The C API drops CompactRange's status; a failed compaction shows as a
   * background error. */
  uint64_t errors = 0;
  if (rocksdb_property_int(h->db, "rocksdb.background-errors", &errors) == 0 && errors > 0) {
    bench_engine_error("rocksdb compact: %llu background error(s)", (unsigned long long)errors);
    return -1;
  }
  return 0;
}

/* ---- iterators -------------------------------------------------------- */

static void *rdb_iter_new(void *db) {
  rdb_handle *h = db;
  return rocksdb_create_iterator(h->db, h->ro);
}

/* A fresh iterator bounded to [prefix, end), as RocksDB's documentation
 * advises for prefix scans without a prefix extractor. */
static int rdb_scan_prefix(void *db, const char *prefix, size_t plen, const char *end, size_t elen,
                           int (*fn)(void *arg, const char *k, size_t klen, const char *v, size_t vlen), void *arg) {
  rdb_handle *h = db;
  rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
  rocksdb_readoptions_set_iterate_lower_bound(ro, prefix, plen);
  if (end) rocksdb_readoptions_set_iterate_upper_bound(ro, end, elen);
  rocksdb_iterator_t *it = rocksdb_create_iterator(h->db, ro);
  for (rocksdb_iter_seek(it, prefix, plen); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
    size_t klen, vlen;
    const char *k = rocksdb_iter_key(it, &klen), *v = rocksdb_iter_value(it, &vlen);
    if (fn(arg, k, klen, v, vlen)) break;
  }
  char *err = NULL;
  rocksdb_iter_get_error(it, &err);
  rocksdb_iter_destroy(it);
  rocksdb_readoptions_destroy(ro);
  return err ? rdb_fail("scan", err) : 0;
}

static void rdb_iter_seek(void *it, const char *k, size_t klen) { rocksdb_iter_seek(it, k, klen); }
static void rdb_iter_seek_first(void *it) { rocksdb_iter_seek_to_first(it); }
static void rdb_iter_seek_last(void *it) { rocksdb_iter_seek_to_last(it); }
static void rdb_iter_next(void *it) { rocksdb_iter_next(it); }
static void rdb_iter_prev(void *it) { rocksdb_iter_prev(it); }
static int rdb_iter_valid(void *it) { return rocksdb_iter_valid(it) != 0; }
static const char *rdb_iter_key(void *it, size_t *len) { return rocksdb_iter_key(it, len); }
static const char *rdb_iter_value(void *it, size_t *len) { return rocksdb_iter_value(it, len); }

static int rdb_iter_free(void *it) {
  if (!it) return 0;
  char *err = NULL;
  rocksdb_iter_get_error(it, &err);
  rocksdb_iter_destroy(it);
  return err ? rdb_fail("iterator", err) : 0;
}

const bench_engine bench_engine_rocksdb = {
    .name = "rocksdb",
    .open = rdb_open,
    .close = rdb_close,
    .describe = rdb_describe,
    .put = rdb_put,
    .del = rdb_del,
    .write = rdb_write,
    .get = rdb_get,
    .merge_add = rdb_merge_add,
    .get_counter = rdb_get_counter,
    .put_latest = rdb_put_latest,
    .get_latest = rdb_get_latest,
    .append = rdb_append,
    .list_next = bench_list_next,
    .delete_range = rdb_delete_range,
    .native_delete_range = 1,
    .compact = rdb_compact,
    .scan_prefix = rdb_scan_prefix,
    .iter_new = rdb_iter_new,
    .iter_seek = rdb_iter_seek,
    .iter_seek_first = rdb_iter_seek_first,
    .iter_seek_last = rdb_iter_seek_last,
    .iter_next = rdb_iter_next,
    .iter_prev = rdb_iter_prev,
    .iter_valid = rdb_iter_valid,
    .iter_key = rdb_iter_key,
    .iter_value = rdb_iter_value,
    .iter_free = rdb_iter_free,
};
