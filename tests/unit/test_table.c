/* test_table.c - tables: write/read round trips with every codec, with and
 * without filter and cache; seeks at snapshots; props; tiny and empty
 * tables; block offsets of keys; the dump format; builder misuse; rough
 * throughput. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format/block_handle.h"
#include "format/compress.h"
#include "sst/block_cache.h"
#include "sst/table_cache.h"
#include "table_model.h"

static double now_sec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void expect_props_equal(const st_table_props *a, const st_table_props *b) {
  assert_int_equal(a->entries, b->entries);
  for (int k = 0; k <= ST_KIND_MAX; k++) assert_int_equal(a->kind_counts[k], b->kind_counts[k]);
  assert_int_equal(a->tombstones, b->tombstones);
  assert_int_equal(a->min_seq, b->min_seq);
  assert_int_equal(a->max_seq, b->max_seq);
  assert_int_equal(a->raw_key_bytes, b->raw_key_bytes);
  assert_int_equal(a->raw_value_bytes, b->raw_value_bytes);
  assert_int_equal(a->data_blocks, b->data_blocks);
  assert_int_equal(a->data_bytes, b->data_bytes);
  assert_int_equal(a->file_bytes, b->file_bytes);
  assert_int_equal(a->compression, b->compression);
  assert_int_equal(a->smallest_len, b->smallest_len);
  assert_int_equal(a->largest_len, b->largest_len);
  if (a->smallest_len) assert_memory_equal(a->smallest, b->smallest, a->smallest_len);
  if (a->largest_len) assert_memory_equal(a->largest, b->largest, a->largest_len);
}

/* Index of the newest entry of ukey i with seq <= snap, or -1. */
static long model_find(const tm_model *m, const char *ukey, uint64_t snap, size_t *lo_io) {
  size_t lo = *lo_io, ul = strlen(ukey);
  while (lo < m->n && st_ukey_compare(m->e[lo].k, m->e[lo].kl - 8, ukey, ul) < 0) lo++;
  *lo_io = lo;
  for (size_t i = lo; i < m->n && st_ukey_compare(m->e[i].k, m->e[i].kl - 8, ukey, ul) == 0; i++)
    if (st_trailer_seq(st_ikey_trailer(m->e[i].k, m->e[i].kl)) <= snap) return (long)i;
  return -1;
}

/* with_filter: 1 = a filter of 10 bits/key, 0 = none, -1 = a weak one. */
/* Every entry by point read, through a table opened with flags (mapped
 * or not): the same answers either way. */
static void check_point_reads(const char *path, const tm_model *m, st_block_cache *cache, int flags, size_t step) {
  st_table *t;
  assert_int_equal(st_table_open(st_env_posix(), path, 8, cache, flags, &t), STRATA_OK);
  for (int pass = 0; pass < 2; pass++) /* the second pass: blocks already checked (mapped) or cached */
    for (size_t i = 0; i < m->n; i += step) assert_int_equal(tm_get(t, m, i), STRATA_OK);
  st_table_close(t);
}

static void check_table(const char *path, const tm_model *m, const st_table_props *built, int with_filter,
                        st_block_cache *cache, int quick) {
  check_point_reads(path, m, cache, 0, quick ? 7 : 1);
  check_point_reads(path, m, cache, ST_TABLE_MAP, quick ? 7 : 1);
  st_table *t;
  int rc = st_table_open(st_env_posix(), path, 7, cache, 0, &t);
  if (rc) fail_msg("open: %s", strata_errmsg());
  expect_props_equal(st_table_get_props(t), built);
  st_iter *it;
  assert_int_equal(st_table_iter_new(t, &it), STRATA_OK);

  size_t i = 0;
  for (st_iter_seek_first(it); st_iter_valid(it); st_iter_next(it), i++) {
    assert_true(i < m->n);
    if (!tm_equal(it, &m->e[i])) fail_msg("forward entry %zu differs", i);
  }
  assert_int_equal(st_iter_status(it), STRATA_OK);
  assert_int_equal(i, m->n);
  for (st_iter_seek_last(it); st_iter_valid(it); st_iter_prev(it)) {
    assert_true(i > 0);
    if (!tm_equal(it, &m->e[--i])) fail_msg("backward entry %zu differs", i);
  }
  assert_int_equal(st_iter_status(it), STRATA_OK);
  assert_int_equal(i, 0);

  /* Exact seeks, then a step each way across block boundaries. */
  size_t step = quick ? 97 : 1;
  for (i = 0; i < m->n; i += step) {
    st_iter_seek(it, m->e[i].k, m->e[i].kl);
    assert_true(st_iter_valid(it) && tm_equal(it, &m->e[i]));
    st_iter_prev(it);
    if (i == 0)
      assert_false(st_iter_valid(it));
    else
      assert_true(st_iter_valid(it) && tm_equal(it, &m->e[i - 1]));
    st_iter_seek(it, m->e[i].k, m->e[i].kl);
    st_iter_next(it);
    if (i + 1 < m->n)
      assert_true(st_iter_valid(it) && tm_equal(it, &m->e[i + 1]));
    else
      assert_false(st_iter_valid(it));
  }
  /* Seeks at snapshots: (ukey, seek trailer of snap) lands on the newest
   * version <= snap, or on a later key. */
  size_t lo = 0;
  char buf[128];
  for (size_t k = 0; k < m->nkeys; k += quick ? 13 : 1) {
    const char *uk = m->ukeys[k];
    size_t ul = strlen(uk);
    uint64_t snap = 1000 + st_hash_mix64(k) % 1000100;
    st_ikey_pack(buf, uk, ul, st_trailer_seek(snap));
    st_iter_seek(it, buf, ul + 8);
    long want = model_find(m, uk, snap, &lo);
    if (want >= 0) {
      assert_true(st_iter_valid(it) && tm_equal(it, &m->e[want]));
    } else {
      /* Lands on the first entry of a later user key. */
      size_t j = lo;
      while (j < m->n && st_ukey_compare(m->e[j].k, m->e[j].kl - 8, uk, ul) == 0) j++;
      if (j < m->n)
        assert_true(st_iter_valid(it) && tm_equal(it, &m->e[j]));
      else
        assert_false(st_iter_valid(it));
    }
    /* Absent key just after uk: the next user key's newest version. */
    memcpy(buf, uk, ul);
    buf[ul] = '\0';
    st_put_fixed64(buf + ul + 1, st_trailer_seek(ST_SEQ_MAX));
    st_iter_seek(it, buf, ul + 9);
    size_t j = lo;
    while (j < m->n && st_ukey_compare(m->e[j].k, m->e[j].kl - 8, uk, ul) <= 0) j++;
    if (j < m->n)
      assert_true(st_iter_valid(it) && tm_equal(it, &m->e[j]));
    else
      assert_false(st_iter_valid(it));
  }
  /* Before the first and after the last. */
  st_ikey_pack(buf, "", 0, st_trailer_seek(ST_SEQ_MAX));
  st_iter_seek(it, buf, 8);
  assert_true(st_iter_valid(it) && tm_equal(it, &m->e[0]));
  memset(buf, 0xff, 40);
  st_iter_seek(it, buf, 40);
  assert_false(st_iter_valid(it));
  assert_int_equal(st_iter_status(it), STRATA_OK);
  st_iter_free(it);

  /* The filter: no false negatives; few positives on absent keys. */
  long fp = 0, trials = 20000;
  for (size_t k = 0; k < m->nkeys; k++) assert_true(st_table_may_contain(t, m->ukeys[k], strlen(m->ukeys[k])));
  for (long k = 0; k < trials; k++) {
    int n = sprintf(buf, "absent-%ld", k);
    fp += st_table_may_contain(t, buf, (size_t)n);
  }
  if (with_filter > 0)
    assert_true(fp < trials / 20);
  else if (with_filter == 0)
    assert_int_equal(fp, trials);
  assert_int_equal(st_table_verify(t, stderr), STRATA_OK);
  st_table_close(t);
}

static void round_trip_codecs(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  tm_model m;
  size_t n = (size_t)tu_env_long("STRATA_TEST_TABLE_ENTRIES", 100000);
  tm_make(&m, n);
  int codecs[] = {STRATA_COMPRESSION_NONE, STRATA_COMPRESSION_LZ4, STRATA_COMPRESSION_ZSTD};
  st_block_cache *cache;
  assert_int_equal(st_block_cache_new(1 << 20, &cache), STRATA_OK);
  for (int c = 0; c < 3; c++) {
    if (!st_compression_supported(codecs[c])) {
      print_message("codec %d not in this build: skipped\n", codecs[c]);
      continue;
    }
    st_table_options o;
    st_table_options_init(&o);
    o.compression = codecs[c];
    char name[32];
    snprintf(name, sizeof name, "%06d.sst", c + 1);
    st_table_props p;
    double t0 = now_sec();
    char *path = tm_write(dir, name, &m, m.n, &o, &p);
    double t1 = now_sec();
    assert_int_equal(p.entries, m.n);
    assert_int_equal(p.file_bytes, tu_file_size(path));
    assert_int_equal(p.compression, codecs[c]);
    if (c > 0)
      print_message("codec %d: %llu data bytes for %llu raw bytes\n", codecs[c], (unsigned long long)p.data_bytes,
                    (unsigned long long)(p.raw_key_bytes + p.raw_value_bytes + 8 * p.entries));
    /* Plain read throughput: open + one full scan without cache. */
    double t2 = now_sec();
    st_table *t;
    assert_int_equal(st_table_open(st_env_posix(), path, 1, NULL, 0, &t), STRATA_OK);
    st_iter *it;
    assert_int_equal(st_table_iter_new(t, &it), STRATA_OK);
    size_t bytes = 0, cnt = 0;
    for (st_iter_seek_first(it); st_iter_valid(it); st_iter_next(it), cnt++) {
      size_t kl, vl;
      st_iter_key(it, &kl);
      st_iter_value(it, &vl);
      bytes += kl + vl;
    }
    st_iter_free(it);
    st_table_close(t);
    double t3 = now_sec();
    assert_int_equal(cnt, m.n);
    print_message(
        "codec %d: write %zu entries (%.1f MB) in %.3f s = %.0f k entries/s; scan in %.3f s = %.0f k "
        "entries/s, %.0f MB/s\n",
        codecs[c], m.n, (double)bytes / 1e6, t1 - t0, (double)m.n / (t1 - t0) / 1e3, t3 - t2,
        (double)m.n / (t3 - t2) / 1e3, (double)bytes / (t3 - t2) / 1e6);
    /* Random seeks: through a cache that holds the table (cold, then
     * warm), and through the small shared one (mostly misses). */
    st_block_cache *big;
    assert_int_equal(st_block_cache_new(64 << 20, &big), STRATA_OK);
    for (int pass = 0; pass < 3; pass++) {
      assert_int_equal(st_table_open(st_env_posix(), path, 100 + (uint64_t)c, pass < 2 ? big : cache, 0, &t),
                       STRATA_OK);
      assert_int_equal(st_table_iter_new(t, &it), STRATA_OK);
      double t4 = now_sec();
      for (size_t s = 0; s < m.n; s++) {
        const tm_entry *e = &m.e[st_hash_mix64(s) % m.n];
        st_iter_seek(it, e->k, e->kl);
        assert_true(st_iter_valid(it));
      }
      double t5 = now_sec();
      const char *what[3] = {"64 MiB cache, cold", "64 MiB cache, warm", "1 MiB cache"};
      print_message("codec %d: %zu random seeks (%s) in %.3f s = %.0f ns/seek\n", codecs[c], m.n, what[pass], t5 - t4,
                    (t5 - t4) * 1e9 / (double)m.n);
      st_iter_free(it);
      st_table_close(t);
    }
    st_block_cache_free(big);
    check_table(path, &m, &p, 1, cache, c > 0);
    st_table_props_clear(&p);
    free(path);
  }
  st_block_cache_stats s;
  st_block_cache_get_stats(cache, &s);
  assert_true(s.hits > 0 && s.misses > 0 && s.inserts > 0 && s.evictions > 0);
  assert_true(s.usage <= s.capacity);
  st_block_cache_free(cache);
  tm_free(&m);
  tu_rmdir(dir);
}

static void no_filter_no_cache(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  tm_model m;
  tm_make(&m, 5000);
  st_table_options o;
  st_table_options_init(&o);
  o.bloom_bits_per_key = 0;
  o.restart_interval = 1;
  o.block_bytes = 700;
  st_table_props p;
  char *path = tm_write(dir, "000001.sst", &m, m.n, &o, &p);
  check_table(path, &m, &p, 0, NULL, 0);
  st_table *t;
  assert_int_equal(st_table_open(st_env_posix(), path, 1, NULL, 0, &t), STRATA_OK);
  assert_int_equal(st_table_footer(t)->filter.size, 0);
  st_table_close(t);
  st_table_props_clear(&p);
  /* Big blocks, long restart intervals. */
  o.bloom_bits_per_key = 3;
  o.restart_interval = 200;
  o.block_bytes = 1 << 20;
  path = (free(path), tm_write(dir, "000002.sst", &m, m.n, &o, &p));
  assert_int_equal(p.data_blocks, 1);
  check_table(path, &m, &p, -1 /* 3 bits: many positives */, NULL, 0);
  st_table_props_clear(&p);
  free(path);
  tm_free(&m);
  tu_rmdir(dir);
}

/* st_table_offset_of: the index's block offset for a user key grows with
 * the key, from 0 before the first key to the end of the data after the
 * last, and tells the data blocks apart. */
static void offsets_of_keys(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  tm_model m;
  tm_make(&m, 5000);
  st_table_options o;
  st_table_options_init(&o);
  o.block_bytes = 700;
  st_table_props p;
  char *path = tm_write(dir, "000001.sst", &m, m.n, &o, &p);
  st_table *t;
  assert_int_equal(st_table_open(st_env_posix(), path, 1, NULL, 0, &t), STRATA_OK);
  uint64_t end = p.data_bytes;
  assert_int_equal(st_table_offset_of(t, NULL, 0), end);
  assert_int_equal(st_table_offset_of(t, "", 0), 0);
  assert_int_equal(st_table_offset_of(t, m.ukeys[0], strlen(m.ukeys[0])), 0);
  char big[300];
  memset(big, 0xff, sizeof big); /* past every key, and longer than the stack buffer */
  assert_int_equal(st_table_offset_of(t, big, sizeof big), end);
  uint64_t last = 0, distinct = 1;
  for (size_t i = 1; i < m.nkeys; i++) {
    uint64_t off = st_table_offset_of(t, m.ukeys[i], strlen(m.ukeys[i]));
    assert_true(off >= last);
    assert_true(off < end);
    distinct += off != last;
    last = off;
  }
  /* A block that starts within a key's versions has no key of its own. */
  if (distinct > p.data_blocks || distinct * 10 < p.data_blocks * 9)
    fail_msg("%llu distinct offsets for %llu data blocks", (unsigned long long)distinct,
             (unsigned long long)p.data_blocks);
  st_table_close(t);
  st_table_props_clear(&p);
  free(path);
  tm_free(&m);
  tu_rmdir(dir);
}

static void one_entry_and_empty(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  tm_model m;
  tm_make(&m, 1);
  assert_int_equal(m.n, 1);
  st_table_props p;
  char *path = tm_write(dir, "000001.sst", &m, 1, NULL, &p);
  assert_int_equal(p.data_blocks, 1);
  check_table(path, &m, &p, 1, NULL, 0);
  st_table_props_clear(&p);
  free(path);

  /* No entries at all: a valid, empty table. */
  path = tm_write(dir, "000002.sst", &m, 0, NULL, &p);
  assert_int_equal(p.entries, 0);
  assert_int_equal(p.data_blocks, 0);
  assert_null(p.smallest);
  st_table *t;
  assert_int_equal(st_table_open(st_env_posix(), path, 2, NULL, 0, &t), STRATA_OK);
  st_iter *it;
  assert_int_equal(st_table_iter_new(t, &it), STRATA_OK);
  st_iter_seek_first(it);
  assert_false(st_iter_valid(it));
  st_iter_seek_last(it);
  assert_false(st_iter_valid(it));
  st_iter_seek(it, "abcdefgh", 8);
  assert_false(st_iter_valid(it));
  assert_int_equal(st_iter_status(it), STRATA_OK);
  st_iter_free(it);
  assert_int_equal(st_table_verify(t, stderr), STRATA_OK);
  assert_int_equal(st_table_may_contain(t, "x", 1), 1); /* no keys, no filter */
  st_table_close(t);
  st_table_props_clear(&p);
  free(path);
  tm_free(&m);
  tu_rmdir(dir);
}

static void huge_values(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/000009.sst", dir);
  st_table_options o;
  st_table_options_init(&o);
  o.compression = st_compression_supported(STRATA_COMPRESSION_LZ4) ? STRATA_COMPRESSION_LZ4 : 0;
  st_table_builder *b;
  assert_int_equal(st_table_builder_new(st_env_posix(), path, &o, &b), STRATA_OK);
  size_t vl = 2 << 20;
  char *v = malloc(vl);
  char k[32];
  for (int i = 0; i < 5; i++) {
    for (size_t j = 0; j < vl; j++) v[j] = (char)(i + j % 251);
    int n = sprintf(k, "big%d", i);
    st_put_fixed64(k + n, st_trailer_pack(100, ST_KIND_PUT));
    assert_int_equal(st_table_builder_add(b, k, (size_t)n + 8, v, i == 2 ? 0 : vl), STRATA_OK);
  }
  st_table_props p;
  assert_int_equal(st_table_builder_finish(b, &p), STRATA_OK);
  assert_int_equal(p.data_blocks, 4); /* a big value fills a block alone; the empty one shares */
  st_table *t;
  assert_int_equal(st_table_open(st_env_posix(), path, 9, NULL, 0, &t), STRATA_OK);
  st_iter *it;
  assert_int_equal(st_table_iter_new(t, &it), STRATA_OK);
  int i = 4;
  for (st_iter_seek_last(it); st_iter_valid(it); st_iter_prev(it), i--) {
    size_t got;
    const char *val = st_iter_value(it, &got);
    assert_int_equal(got, i == 2 ? 0 : vl);
    if (got) assert_int_equal((unsigned char)val[12345], (unsigned char)(char)(i + 12345 % 251));
  }
  assert_int_equal(i, -1);
  st_iter_free(it);
  assert_int_equal(st_table_verify(t, stderr), STRATA_OK);
  st_table_close(t);
  st_table_props_clear(&p);
  free(v);
  tu_rmdir(dir);
}

static void dump_format(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/000003.sst", dir);
  st_table_options o;
  st_table_options_init(&o);
  st_table_builder *b;
  assert_int_equal(st_table_builder_new(st_env_posix(), path, &o, &b), STRATA_OK);
  char k[32];
  st_ikey_pack(k, "a'b\\", 4, st_trailer_pack(9, ST_KIND_PUT));
  assert_int_equal(st_table_builder_add(b, k, 12, "x\ny", 3), STRATA_OK);
  st_ikey_pack(k, "a'b\\", 4, st_trailer_pack(5, ST_KIND_DELETE));
  assert_int_equal(st_table_builder_add(b, k, 12, "", 0), STRATA_OK);
  st_ikey_pack(k, "k\x01\xff", 3, st_trailer_pack(7, ST_KIND_LATEST_BASE));
  assert_int_equal(st_table_builder_add(b, k, 11, "v", 1), STRATA_OK);
  st_table_props p;
  assert_int_equal(st_table_builder_finish(b, &p), STRATA_OK);
  st_table *t;
  assert_int_equal(st_table_open(st_env_posix(), path, 3, NULL, 0, &t), STRATA_OK);
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  assert_int_equal(st_table_dump(t, out, 1), STRATA_OK);
  fclose(out);
  char want[4096];
  snprintf(want, sizeof want,
           "sst: %s\n"
           "format.version: 1\n"
           "file.bytes: %llu\n"
           "entries: 3\n"
           "kind.DELETE: 1\nkind.PUT: 1\nkind.RANGE_DELETE: 0\nkind.ADD: 0\nkind.LATEST: 0\nkind.APPEND: 0\n"
           "kind.COUNTER: 0\nkind.LIST: 0\nkind.LATEST_BASE: 1\n"
           "tombstones: 1\n"
           "seq.min: 5\n"
           "seq.max: 9\n"
           "smallest: 'a\\x27b\\x5c' seq=9 kind=PUT\n"
           "largest: 'k\\x01\\xff' seq=7 kind=LATEST_BASE\n"
           "raw.key.bytes: 11\n"
           "raw.value.bytes: 4\n"
           "data.blocks: 1\n"
           "data.bytes: %llu\n"
           "index.bytes: %llu\n"
           "filter.bytes: %llu\n"
           "compression: none\n"
           "'a\\x27b\\x5c' seq=9 kind=PUT => 'x\\x0ay'\n"
           "'a\\x27b\\x5c' seq=5 kind=DELETE => ''\n"
           "'k\\x01\\xff' seq=7 kind=LATEST_BASE => 'v'\n",
           path, (unsigned long long)p.file_bytes, (unsigned long long)p.data_bytes,
           (unsigned long long)st_table_footer(t)->index.size, (unsigned long long)st_table_footer(t)->filter.size);
  if (strcmp(text, want) != 0) fail_msg("dump:\n%s\nwanted:\n%s", text, want);
  free(text);
  st_table_close(t);
  st_table_props_clear(&p);
  tu_rmdir(dir);
}

static void builder_misuse(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/000004.sst", dir);
  st_table_builder *b;
  st_table_options o;
  st_table_options_init(&o);
  o.restart_interval = 0;
  assert_int_equal(st_table_builder_new(st_env_posix(), path, &o, &b), STRATA_EINVAL);
  assert_null(b);
  st_table_options_init(&o);
  o.compression = 99;
  assert_int_equal(st_table_builder_new(st_env_posix(), path, &o, &b), STRATA_EINVAL);
  st_table_options_init(&o);
  o.block_bytes = 0;
  assert_int_equal(st_table_builder_new(st_env_posix(), path, &o, &b), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "block_bytes"));
  st_table_options_init(&o);
  o.bloom_bits_per_key = -1;
  assert_int_equal(st_table_builder_new(st_env_posix(), path, &o, &b), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "bloom_bits_per_key"));
  assert_int_equal(tu_file_size(path), -1); /* no file for a refused builder */
  assert_int_equal(st_table_builder_new(st_env_posix(), path, NULL, &b), STRATA_OK);
  char k1[16], k2[16];
  st_ikey_pack(k1, "b", 1, st_trailer_pack(5, ST_KIND_PUT));
  st_ikey_pack(k2, "a", 1, st_trailer_pack(5, ST_KIND_PUT));
  assert_int_equal(st_table_builder_add(b, "short", 5, "", 0), STRATA_EINVAL);
  assert_int_equal(st_table_builder_add(b, k1, 9, "", 0), STRATA_OK);
  assert_int_equal(st_table_builder_add(b, k2, 9, "", 0), STRATA_EINVAL); /* out of order */
  assert_int_equal(st_table_builder_add(b, k1, 9, "", 0), STRATA_EINVAL); /* repeated */
  st_ikey_pack(k2, "c", 1, st_trailer_pack(5, 9));
  assert_int_equal(st_table_builder_add(b, k2, 9, "", 0), STRATA_EINVAL); /* unknown kind */
  st_ikey_pack(k2, "c", 1, st_trailer_pack(5, ST_KIND_RANGE_DELETE));
  assert_int_equal(st_table_builder_add(b, k2, 9, "", 0), STRATA_EINVAL); /* add_range's to write */
  st_ikey_pack(k2, "c", 1, st_trailer_pack(5, ST_KIND_PUT));
  /* Too large for a block: refused before the value is read. */
  assert_int_equal(st_table_builder_add(b, k2, 9, "", ST_BLOCK_MAX_RAW / 2 + 1), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "over the block limit"));
  /* Range tombstones: empty, out of order, a bound too large. */
  assert_int_equal(st_table_builder_add_range(b, "m", 1, "m", 1, 0, 7), STRATA_EINVAL);
  assert_int_equal(st_table_builder_add_range(b, "n", 1, "k", 1, 0, 7), STRATA_EINVAL);
  assert_int_equal(st_table_builder_add_range(b, "m", 1, "p", 1, 0, 7), STRATA_OK);
  assert_int_equal(st_table_builder_add_range(b, "d", 1, "e", 1, 0, 7), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "is not after the previous one"));
  assert_int_equal(st_table_builder_add_range(b, "x", ST_BLOCK_MAX_RAW / 4 + 1, NULL, 0, 1, 7), STRATA_EINVAL);
  /* A refused entry leaves the builder usable. */
  assert_int_equal(st_table_builder_add(b, k2, 9, "v", 1), STRATA_OK);
  /* The path exists now: a second builder may not take it. */
  st_table_builder *b2;
  assert_int_equal(st_table_builder_new(st_env_posix(), path, NULL, &b2), STRATA_EINVAL);
  st_table_builder_abandon(b);
  assert_int_equal(tu_file_size(path), -1);
  st_table_builder_abandon(NULL);
  /* Same user key, versions in descending seq: fine. */
  assert_int_equal(st_table_builder_new(st_env_posix(), path, NULL, &b), STRATA_OK);
  st_ikey_pack(k1, "a", 1, st_trailer_pack(9, ST_KIND_PUT));
  st_ikey_pack(k2, "a", 1, st_trailer_pack(8, ST_KIND_PUT));
  assert_int_equal(st_table_builder_add(b, k1, 9, "", 0), STRATA_OK);
  assert_int_equal(st_table_builder_add(b, k2, 9, "", 0), STRATA_OK);
  st_table_props p;
  assert_int_equal(st_table_builder_finish(b, &p), STRATA_OK);
  assert_int_equal(p.entries, 2);
  st_table_props copy;
  assert_int_equal(st_table_props_copy(&copy, &p), STRATA_OK);
  expect_props_equal(&copy, &p);
  st_table_props_clear(&copy);
  st_table_props_clear(&p);
  assert_null(p.smallest);
  tu_rmdir(dir);
}

static void file_names(void **state) {
  (void)state;
  char buf[64];
  st_table_file_name("/d", 7, buf, sizeof buf);
  assert_string_equal(buf, "/d/000007.sst");
  st_table_file_name("db", 12345678, buf, sizeof buf);
  assert_string_equal(buf, "db/12345678.sst");
}

/* The whole file of docs/FORMAT.md's worked example, byte for byte: any
 * change to the format (blocks, trailers, filter, properties, footer)
 * shows here first. */
static void golden_file(void **state) {
  (void)state;
  static const char hex[] =
      "0009016b010100000000000076000000000100000000503288480000000000d803000600e5e1249e0000000000bc75ed"
      "8e0009026b010100000000000000150000000001000000008ee7e8f6000b01636f6d7072657373696f6e00000b016461"
      "74612e626c6f636b7301000a01646174612e62797465731a000701656e747269657301000a0866696c652e6279746573"
      "d101000000000000000b0a6b696e642e636f756e7473090001000000000000000007096c6172676573746b0101000000"
      "000000000d0170726f70732e76657273696f6e01000d017261772e6b65792e627974657301000f017261772e76616c75"
      "652e6279746573010007017365712e6d6178010007017365712e6d696e01000809736d616c6c6573746b010100000000"
      "0000000a01746f6d6273746f6e657300000000000f0000001e0000002c000000370000004c0000006400000077000000"
      "8800000099000000ac000000b7000000c2000000d60000000e00000000bd611e4931161a0928044ca002000000000000"
      "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000438ef806010000005354524154415354";
  char *dir = tu_tmpdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/000001.sst", dir);
  st_table_builder *b;
  assert_int_equal(st_table_builder_new(st_env_posix(), path, NULL, &b), STRATA_OK);
  char k[16];
  st_ikey_pack(k, "k", 1, st_trailer_pack(1, ST_KIND_PUT));
  assert_int_equal(st_table_builder_add(b, k, 9, "v", 1), STRATA_OK);
  st_table_props p;
  assert_int_equal(st_table_builder_finish(b, &p), STRATA_OK);
  st_table_props_clear(&p);
  size_t n = strlen(hex) / 2;
  assert_int_equal(tu_file_size(path), n);
  FILE *f = fopen(path, "rb");
  unsigned char *got = malloc(n);
  assert_int_equal(fread(got, 1, n, f), n);
  fclose(f);
  for (size_t i = 0; i < n; i++) {
    unsigned want;
    sscanf(hex + 2 * i, "%2x", &want);
    if (got[i] != want) fail_msg("byte %zu: expected %02x, found %02x", i, want, got[i]);
  }
  free(got);
  tu_rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip_codecs), cmocka_unit_test(no_filter_no_cache), cmocka_unit_test(one_entry_and_empty),
      cmocka_unit_test(huge_values),       cmocka_unit_test(dump_format),        cmocka_unit_test(builder_misuse),
      cmocka_unit_test(file_names),        cmocka_unit_test(golden_file),
      cmocka_unit_test(offsets_of_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
