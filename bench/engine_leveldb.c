/*
 * engine_leveldb.c - the LevelDB rival behind bench_engine, through its C API
 * (<leveldb/c.h>, LevelDB 1.23). LevelDB has no merge operator, so the typed
 * writes (merge_add, put_latest, append) read, change and write; it compresses only with snappy, so any compression
 * other than none fails the open (a snappy run would not compare with lz4).
 */
#include <leveldb/c.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "listfmt.h"

typedef struct ldb_handle {
  leveldb_t *db;
  leveldb_cache_t *cache;          /* must outlive db */
  leveldb_filterpolicy_t *filter;  /* must outlive db; NULL = no filter */
  leveldb_readoptions_t *ro;       /* shared by every get and iterator */
  leveldb_writeoptions_t *wo;      /* sync as bench_config says */
  leveldb_writeoptions_t *wo_sync; /* always sync: used at close */
  size_t list_max;                 /* append keeps the newest this many elements; 0 = all */
} ldb_handle;

/* Reports err (a message LevelDB malloc'ed, or NULL) and frees it. */
static int ldb_fail(const char *what, char *err) {
  bench_engine_error("leveldb %s: %s", what, err ? err : "out of memory");
  leveldb_free(err);
  return -1;
}

static void ldb_close(void *db) {
  ldb_handle *h = db;
  if (!h) return;
  if (h->db) {
    /* Like strata_close: the log is synced (an empty synced batch is the
     * only way the C API offers), the memtable stays in it. */
    leveldb_writebatch_t *b = leveldb_writebatch_create();
    char *err = NULL;
    if (b) leveldb_write(h->db, h->wo_sync, b, &err);
    if (err) fprintf(stderr, "leveldb close: syncing the log: %s\n", err);
    leveldb_free(err);
    if (b) leveldb_writebatch_destroy(b);
    leveldb_close(h->db);
  }
  if (h->cache) leveldb_cache_destroy(h->cache);
  if (h->filter) leveldb_filterpolicy_destroy(h->filter);
  if (h->ro) leveldb_readoptions_destroy(h->ro);
  if (h->wo) leveldb_writeoptions_destroy(h->wo);
  if (h->wo_sync) leveldb_writeoptions_destroy(h->wo_sync);
  free(h);
}

static int ldb_open(const char *dir, const bench_config *cfg, void **db_out) {
  *db_out = NULL;
  if (cfg->compression != 0) {
    bench_engine_error("leveldb: compression %s is not available (LevelDB has only snappy); use --compression none",
                       cfg->compression == 1   ? "lz4"
                       : cfg->compression == 2 ? "zstd"
                                               : "?");
    return -1;
  }
  ldb_handle *h = calloc(1, sizeof *h);
  leveldb_options_t *o = leveldb_options_create();
  char *err = NULL;
  int rc = -1;
  if (!h || !o) {
    ldb_fail("open", NULL);
    goto fail;
  }
  /* LevelDB's LRU cache turns caching off at capacity 0; without a cache
   * of our own it would use an internal 8 MiB one. */
  h->cache = leveldb_cache_create_lru(cfg->block_cache_bytes);
  if (cfg->bloom_bits_per_key > 0) h->filter = leveldb_filterpolicy_create_bloom(cfg->bloom_bits_per_key);
  h->ro = leveldb_readoptions_create();
  h->wo = leveldb_writeoptions_create();
  h->wo_sync = leveldb_writeoptions_create();
  if (!h->cache || (cfg->bloom_bits_per_key > 0 && !h->filter) || !h->ro || !h->wo || !h->wo_sync) {
    ldb_fail("open", NULL);
    goto fail;
  }
  /* Reads keep LevelDB's default (verify_checksums = 0), though strata
   * and RocksDB check block checksums: turning it on would slow LevelDB
   * down by a setting its users do not run with. */
  leveldb_writeoptions_set_sync(h->wo, cfg->sync ? 1 : 0);
  leveldb_writeoptions_set_sync(h->wo_sync, 1);
  h->list_max = cfg->list_max_elements;

  leveldb_options_set_create_if_missing(o, 1);
  leveldb_options_set_write_buffer_size(o, cfg->memtable_bytes);
  leveldb_options_set_block_size(o, cfg->block_bytes);
  leveldb_options_set_cache(o, h->cache);
  if (h->filter) leveldb_options_set_filter_policy(o, h->filter);
  leveldb_options_set_compression(o, leveldb_no_compression);
  leveldb_options_set_max_open_files(o, cfg->max_open_files);

  h->db = leveldb_open(o, dir, &err);
  if (err) {
    ldb_fail("open", err);
    goto fail;
  }
  *db_out = h;
  h = NULL;
  rc = 0;
fail:
  ldb_close(h);
  if (o) leveldb_options_destroy(o);
  return rc;
}

static void ldb_describe(const bench_config *cfg, char *out, size_t cap) {
  snprintf(out, cap,
           "leveldb %d.%d: write_buffer_size=%zu, block_size=%zu, bloom %d bits/key, LRU block cache %zu bytes%s, "
           "compression=none (only snappy exists: lz4/zstd fail the open), max_open_files=%d, sync=%d, "
           "verify_checksums=0 (its default); typed writes read, change and put (not atomic): merge_add = get+add+put "
           "(8-byte counter), put_latest = get+compare ts+put if not older, append = get+append+cut to the newest "
           "%zu (0 = all)+put; delete_range (none in LevelDB) = iterate the range and delete each key in one "
           "write batch; compact = CompactRange(all); close syncs the log; LevelDB defaults otherwise "
           "(1 background thread, 2 MiB tables, L0 triggers 4/8/12)",
           leveldb_major_version(), leveldb_minor_version(), cfg->memtable_bytes, cfg->block_bytes,
           cfg->bloom_bits_per_key, cfg->block_cache_bytes, cfg->block_cache_bytes ? "" : " (none)",
           cfg->max_open_files, cfg->sync ? 1 : 0, cfg->list_max_elements);
}

/* ---- writes ----------------------------------------------------------- */

static int ldb_put(void *db, const char *k, size_t klen, const char *v, size_t vlen) {
  ldb_handle *h = db;
  char *err = NULL;
  leveldb_put(h->db, h->wo, k, klen, v, vlen, &err);
  return err ? ldb_fail("put", err) : 0;
}

static int ldb_del(void *db, const char *k, size_t klen) {
  ldb_handle *h = db;
  char *err = NULL;
  leveldb_delete(h->db, h->wo, k, klen, &err);
  return err ? ldb_fail("delete", err) : 0;
}

static int ldb_write(void *db, const bench_op *ops, int n) {
  ldb_handle *h = db;
  leveldb_writebatch_t *b = leveldb_writebatch_create();
  if (!b) return ldb_fail("write", NULL);
  for (int i = 0; i < n; i++) {
    if (ops[i].del)
      leveldb_writebatch_delete(b, ops[i].key, ops[i].klen);
    else
      leveldb_writebatch_put(b, ops[i].key, ops[i].klen, ops[i].val, ops[i].vlen);
  }
  char *err = NULL;
  leveldb_write(h->db, h->wo, b, &err);
  leveldb_writebatch_destroy(b);
  return err ? ldb_fail("write", err) : 0;
}

/* LevelDB has no range delete: an iterator walks [begin, end) and each
 * key it finds goes into one write batch of deletes. The iterator reads a
 * snapshot, so a key written to the range meanwhile by another thread may
 * survive (the bench never does that). */
static int ldb_delete_range(void *db, const char *begin, size_t blen, const char *end, size_t elen) {
  ldb_handle *h = db;
  leveldb_iterator_t *it = leveldb_create_iterator(h->db, h->ro);
  leveldb_writebatch_t *b = leveldb_writebatch_create();
  if (!it || !b) {
    if (it) leveldb_iter_destroy(it);
    if (b) leveldb_writebatch_destroy(b);
    return ldb_fail("delete_range", NULL);
  }
  size_t n = 0;
  for (leveldb_iter_seek(it, begin, blen); leveldb_iter_valid(it); leveldb_iter_next(it), n++) {
    size_t klen = 0;
    const char *k = leveldb_iter_key(it, &klen);
    if (end) {
      int c = memcmp(k, end, klen < elen ? klen : elen);
      if (c > 0 || (c == 0 && klen >= elen)) break;
    }
    leveldb_writebatch_delete(b, k, klen);
  }
  char *err = NULL;
  leveldb_iter_get_error(it, &err);
  leveldb_iter_destroy(it);
  if (!err && n > 0) leveldb_write(h->db, h->wo, b, &err);
  leveldb_writebatch_destroy(b);
  return err ? ldb_fail("delete_range", err) : 0;
}

/* ---- reads ------------------------------------------------------------ */

/* leveldb_get mallocs a copy of the value; it is copied again into out,
 * which is the same work as strata's get plus one memcpy. */
static int ldb_get(void *db, const char *k, size_t klen, bench_buf *out, int *found) {
  ldb_handle *h = db;
  *found = 0;
  char *err = NULL;
  size_t vlen = 0;
  char *v = leveldb_get(h->db, h->ro, k, klen, &vlen, &err);
  if (err) return ldb_fail("get", err);
  if (!v) return 0;
  int rc = 0;
  if (bench_buf_reserve(out, vlen)) {
    rc = ldb_fail("get", NULL);
  } else {
    if (vlen) memcpy(out->data, v, vlen);
    out->len = vlen;
    *found = 1;
  }
  leveldb_free(v);
  return rc;
}

/* Read, add, write, as the strata engine does (not atomic across threads;
 * see engine.h). A stored counter that is not 8 bytes fails, as in strata. */
static int ldb_merge_add(void *db, const char *k, size_t klen, int64_t delta) {
  ldb_handle *h = db;
  char *err = NULL;
  size_t vlen = 0;
  char *v = leveldb_get(h->db, h->ro, k, klen, &vlen, &err);
  if (err) return ldb_fail("merge_add get", err);
  uint64_t sum = (uint64_t)delta;
  if (v) {
    if (vlen != 8) {
      leveldb_free(v);
      bench_engine_error("leveldb merge_add: the counter holds %zu bytes, not 8", vlen);
      return -1;
    }
    uint64_t old = 0;
    for (int i = 7; i >= 0; i--) old = (old << 8) | (unsigned char)v[i];
    sum += old;
  }
  leveldb_free(v);
  char enc[8];
  for (int i = 0; i < 8; i++) enc[i] = (char)(sum >> (8 * i));
  leveldb_put(h->db, h->wo, k, klen, enc, sizeof enc, &err);
  return err ? ldb_fail("merge_add put", err) : 0;
}

static int ldb_get_counter(void *db, const char *k, size_t klen, int64_t *v_out, int *found) {
  ldb_handle *h = db;
  *v_out = 0;
  *found = 0;
  char *err = NULL;
  size_t vlen = 0;
  char *v = leveldb_get(h->db, h->ro, k, klen, &vlen, &err);
  if (err) return ldb_fail("get (counter)", err);
  if (!v) return 0;
  if (vlen != 8) {
    leveldb_free(v);
    bench_engine_error("leveldb get (counter): the counter holds %zu bytes, not 8", vlen);
    return -1;
  }
  uint64_t u = 0;
  for (int i = 7; i >= 0; i--) u = (u << 8) | (unsigned char)v[i];
  leveldb_free(v);
  *v_out = (int64_t)u;
  *found = 1;
  return 0;
}

static uint64_t ldb_ts(const char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | (unsigned char)p[i];
  return v;
}

/* Reads the stored value and puts v unless the stored ts is newer (of
 * equal ts the later write wins). */
static int ldb_put_latest(void *db, const char *k, size_t klen, const char *v, size_t vlen, uint64_t ts) {
  ldb_handle *h = db;
  char *err = NULL;
  size_t olen = 0;
  char *old = leveldb_get(h->db, h->ro, k, klen, &olen, &err);
  if (err) return ldb_fail("put_latest get", err);
  int newer = old && olen >= 8 && ldb_ts(old) > ts;
  leveldb_free(old);
  if (newer) return 0;
  leveldb_put(h->db, h->wo, k, klen, v, vlen, &err);
  return err ? ldb_fail("put_latest put", err) : 0;
}

static int ldb_get_latest(void *db, const char *k, size_t klen, bench_buf *out, uint64_t *ts_out, int *found) {
  *ts_out = 0;
  if (ldb_get(db, k, klen, out, found)) return -1;
  if (!*found) return 0;
  if (out->len < 8) {
    *found = 0;
    bench_engine_error("leveldb get (latest): a value of %zu bytes cannot hold its ts", out->len);
    return -1;
  }
  *ts_out = ldb_ts(out->data);
  return 0;
}

/* Reads the list, appends the element, keeps the newest list_max_elements
 * and puts it back. */
static int ldb_append(void *db, const char *k, size_t klen, const char *elem, size_t elen) {
  ldb_handle *h = db;
  char *err = NULL;
  size_t olen = 0;
  char *old = leveldb_get(h->db, h->ro, k, klen, &olen, &err);
  if (err) return ldb_fail("append get", err);
  char *list = malloc(olen + BENCH_LIST_PREFIX_MAX + elen);
  if (!list) {
    leveldb_free(old);
    return ldb_fail("append", NULL);
  }
  if (olen) memcpy(list, old, olen);
  leveldb_free(old);
  size_t len = olen + bench_list_put(list + olen, elem, elen);
  int64_t cut = bench_list_cut(list, len, h->list_max);
  if (cut < 0) {
    free(list);
    bench_engine_error("leveldb append: the value at the key is not a list");
    return -1;
  }
  leveldb_put(h->db, h->wo, k, klen, list + cut, len - (size_t)cut, &err);
  free(list);
  return err ? ldb_fail("append put", err) : 0;
}

/* LevelDB's C API returns no status for a compaction: a failure shows up
 * in the next write. */
static int ldb_compact(void *db) {
  ldb_handle *h = db;
  leveldb_compact_range(h->db, NULL, 0, NULL, 0);
  return 0;
}

/* ---- iterators -------------------------------------------------------- */

static void *ldb_iter_new(void *db) {
  ldb_handle *h = db;
  return leveldb_create_iterator(h->db, h->ro);
}

static void ldb_iter_seek(void *it, const char *k, size_t klen) { leveldb_iter_seek(it, k, klen); }
static void ldb_iter_seek_first(void *it) { leveldb_iter_seek_to_first(it); }
static void ldb_iter_seek_last(void *it) { leveldb_iter_seek_to_last(it); }
static void ldb_iter_next(void *it) { leveldb_iter_next(it); }
static void ldb_iter_prev(void *it) { leveldb_iter_prev(it); }
static int ldb_iter_valid(void *it) { return leveldb_iter_valid(it) != 0; }
static const char *ldb_iter_key(void *it, size_t *len) { return leveldb_iter_key(it, len); }
static const char *ldb_iter_value(void *it, size_t *len) { return leveldb_iter_value(it, len); }

static int ldb_iter_free(void *it) {
  if (!it) return 0;
  char *err = NULL;
  leveldb_iter_get_error(it, &err);
  leveldb_iter_destroy(it);
  return err ? ldb_fail("iterator", err) : 0;
}

const bench_engine bench_engine_leveldb = {
    .name = "leveldb",
    .open = ldb_open,
    .close = ldb_close,
    .describe = ldb_describe,
    .put = ldb_put,
    .del = ldb_del,
    .write = ldb_write,
    .get = ldb_get,
    .merge_add = ldb_merge_add,
    .get_counter = ldb_get_counter,
    .put_latest = ldb_put_latest,
    .get_latest = ldb_get_latest,
    .append = ldb_append,
    .list_next = bench_list_next,
    .delete_range = ldb_delete_range,
    .native_delete_range = 0,
    .compact = ldb_compact,
    .iter_new = ldb_iter_new,
    .iter_seek = ldb_iter_seek,
    .iter_seek_first = ldb_iter_seek_first,
    .iter_seek_last = ldb_iter_seek_last,
    .iter_next = ldb_iter_next,
    .iter_prev = ldb_iter_prev,
    .iter_valid = ldb_iter_valid,
    .iter_key = ldb_iter_key,
    .iter_value = ldb_iter_value,
    .iter_free = ldb_iter_free,
};
