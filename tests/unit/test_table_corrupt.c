/* test_table_corrupt.c - damage anywhere in a table file surfaces as
 * STRATA_ECORRUPT (naming the file) at open or at the read that touches
 * it, never as wrong data or a crash; st_table_verify reports it; cut and
 * extended files are refused. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/compress.h"
#include "sst/block_cache.h"
#include "table_model.h"

static void flip(const char *path, long off, unsigned char mask) {
  int fd = open(path, O_RDWR);
  assert_true(fd >= 0);
  unsigned char c;
  assert_int_equal(pread(fd, &c, 1, off), 1);
  c ^= mask;
  assert_int_equal(pwrite(fd, &c, 1, off), 1);
  close(fd);
}

/* Walks the whole table forward (or backward) comparing with the model:
 * every entry produced must be right; returns the final status. */
static int walk(st_table *t, const tm_model *m, int backward) {
  st_iter *it;
  assert_int_equal(st_table_iter_new(t, &it), STRATA_OK);
  long i = backward ? (long)m->n - 1 : 0;
  if (backward)
    st_iter_seek_last(it);
  else
    st_iter_seek_first(it);
  for (; st_iter_valid(it); backward ? st_iter_prev(it) : st_iter_next(it)) {
    assert_true(i >= 0 && i < (long)m->n);
    if (!tm_equal(it, &m->e[i])) fail_msg("wrong data at entry %ld", i);
    i += backward ? -1 : 1;
  }
  int rc = st_iter_status(it);
  if (rc == STRATA_OK) assert_int_equal(i, backward ? -1 : (long)m->n);
  st_iter_free(it);
  return rc;
}

/* Opens the damaged file: either open fails with ECORRUPT, or reading
 * every block does (forward, backward, verify), and nothing read before
 * the error is wrong. */
static void expect_damage_found(const char *path, const tm_model *m, st_block_cache *cache, uint64_t number, long off,
                                int flags) {
  st_table *t;
  int rc = st_table_open(st_env_posix(), path, number, cache, flags, &t);
  if (rc != STRATA_OK) {
    if (rc != STRATA_ECORRUPT) fail_msg("offset %ld: open gave %s: %s", off, strata_strerror(rc), strata_errmsg());
    if (!strstr(strata_errmsg(), path)) fail_msg("offset %ld: message lacks the file: %s", off, strata_errmsg());
    assert_null(t);
    return;
  }
  /* Point reads first, while no block has been checked yet: each is
   * right or STRATA_ECORRUPT (tm_get fails on a wrong entry). */
  for (size_t i = 0, step = m->n / 40 + 1; i < m->n; i += step) {
    rc = tm_get(t, m, i);
    if (rc != STRATA_OK && rc != STRATA_ECORRUPT) fail_msg("offset %ld: point read gave %s", off, strata_strerror(rc));
  }
  rc = walk(t, m, 0);
  if (rc != STRATA_ECORRUPT) fail_msg("offset %ld: forward scan gave %s", off, strata_strerror(rc));
  if (!strstr(strata_errmsg(), path) || !strstr(strata_errmsg(), "offset"))
    fail_msg("offset %ld: message lacks file/offset: %s", off, strata_errmsg());
  assert_int_equal(walk(t, m, 1), STRATA_ECORRUPT);
  char *text = NULL;
  size_t len = 0;
  FILE *report = open_memstream(&text, &len);
  rc = st_table_verify(t, report);
  fclose(report);
  if (rc != STRATA_ECORRUPT) fail_msg("offset %ld: verify gave %s", off, strata_strerror(rc));
  if (!strstr(text, path) || !strstr(text, "at offset") || !strstr(text, "expected"))
    fail_msg("offset %ld: verify report: %s", off, text);
  free(text);
  st_table_close(t);
}

static void flip_every_byte_of(const tm_model *m, size_t n, const st_table_options *o, long step) {
  char *dir = tu_tmpdir();
  st_table_props p;
  char *path = tm_write(dir, "000005.sst", m, n, o, &p);
  long size = (long)tu_file_size(path);
  tm_model part = *m;
  part.n = n;
  st_block_cache *cache;
  assert_int_equal(st_block_cache_new(64 << 10, &cache), STRATA_OK);
  long tried = 0;
  for (long off = 0; off < size; off += step, tried++) {
    unsigned char mask = (unsigned char)(1u << (off % 8)) | 0x20;
    flip(path, off, mask);
    /* A new file number each time: blocks cached from the good file
     * must not hide the damage. */
    expect_damage_found(path, &part, cache, 1000 + (uint64_t)off, off, 0);
    expect_damage_found(path, &part, cache, 1000 + (uint64_t)off, off, ST_TABLE_MAP);
    flip(path, off, mask);
  }
  print_message("flipped %ld of %ld bytes (codec %d, %llu data blocks): all found\n", tried, size, o->compression,
                (unsigned long long)p.data_blocks);
  /* The undamaged file is still fine. */
  st_table *t;
  assert_int_equal(st_table_open(st_env_posix(), path, 1, cache, 0, &t), STRATA_OK);
  assert_int_equal(walk(t, &part, 0), STRATA_OK);
  assert_int_equal(st_table_verify(t, stderr), STRATA_OK);
  st_table_close(t);
  st_block_cache_free(cache);
  st_table_props_clear(&p);
  free(path);
  tu_rmdir(dir);
}

static void flip_every_byte_small(void **state) {
  (void)state;
  tm_model m;
  tm_make(&m, 120);
  st_table_options o;
  st_table_options_init(&o);
  o.block_bytes = 512;
  o.restart_interval = 4;
  flip_every_byte_of(&m, m.n, &o, 1);
  if (st_compression_supported(STRATA_COMPRESSION_LZ4)) {
    o.compression = STRATA_COMPRESSION_LZ4;
    flip_every_byte_of(&m, m.n, &o, 1);
  }
  o.compression = STRATA_COMPRESSION_NONE;
  o.bloom_bits_per_key = 0;
  flip_every_byte_of(&m, 3, &o, 1);
  flip_every_byte_of(&m, 0, &o, 1);
  tm_free(&m);
}

static void flip_stepping_large(void **state) {
  (void)state;
  tm_model m;
  tm_make(&m, 3000);
  st_table_options o;
  st_table_options_init(&o);
  if (st_compression_supported(STRATA_COMPRESSION_ZSTD)) o.compression = STRATA_COMPRESSION_ZSTD;
  flip_every_byte_of(&m, m.n, &o, 61);
  tm_free(&m);
}

static void truncated_and_extended(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  tm_model m;
  tm_make(&m, 200);
  st_table_options o;
  st_table_options_init(&o);
  o.block_bytes = 256;
  char *path = tm_write(dir, "000006.sst", &m, m.n, &o, NULL);
  long size = (long)tu_file_size(path);
  for (long cut = size - 1; cut >= 0; cut--) {
    assert_int_equal(truncate(path, cut), 0);
    st_table *t;
    int rc = st_table_open(st_env_posix(), path, 6, NULL, 0, &t);
    if (rc != STRATA_ECORRUPT) fail_msg("cut at %ld: %s", cut, strata_strerror(rc));
    assert_non_null(strstr(strata_errmsg(), path));
  }
  free(path);
  path = tm_write(dir, "000007.sst", &m, m.n, &o, NULL);
  tu_write_file(path, "x", 1);
  st_table *t;
  assert_int_equal(st_table_open(st_env_posix(), path, 7, NULL, 0, &t), STRATA_ECORRUPT);
  /* A file that is not a table at all. */
  char other[4096];
  snprintf(other, sizeof other, "%s/000008.sst", dir);
  char junk[300];
  memset(junk, 'j', sizeof junk);
  tu_write_file(other, junk, sizeof junk);
  assert_int_equal(st_table_open(st_env_posix(), other, 8, NULL, 0, &t), STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "magic"));
  snprintf(other, sizeof other, "%s/000009.sst", dir);
  assert_int_equal(st_table_open(st_env_posix(), other, 9, NULL, 0, &t), STRATA_NOTFOUND);
  free(path);
  tm_free(&m);
  tu_rmdir(dir);
}

/* A file damaged after open (the data changed under a cached table) is
 * found by verify, which re-reads from disk. */
static void damage_after_open(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  tm_model m;
  tm_make(&m, 500);
  st_table_options o;
  st_table_options_init(&o);
  st_table_props p;
  char *path = tm_write(dir, "000010.sst", &m, m.n, &o, &p);
  st_table *t;
  assert_int_equal(st_table_open(st_env_posix(), path, 10, NULL, 0, &t), STRATA_OK);
  long size = (long)tu_file_size(path);
  long spots[] = {0, (long)p.data_bytes - 3, (long)p.data_bytes + 2, size - 50, size - 1};
  for (int i = 0; i < 5; i++) {
    flip(path, spots[i], 0x80);
    char *text = NULL;
    size_t len = 0;
    FILE *report = open_memstream(&text, &len);
    assert_int_equal(st_table_verify(t, report), STRATA_ECORRUPT);
    fclose(report);
    assert_non_null(strstr(text, path));
    print_message("damage at %ld: %s", spots[i], text);
    free(text);
    flip(path, spots[i], 0x80);
  }
  assert_int_equal(st_table_verify(t, NULL), STRATA_OK);
  st_table_close(t);
  st_table_props_clear(&p);
  free(path);
  tm_free(&m);
  tu_rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(flip_every_byte_small),
      cmocka_unit_test(flip_stepping_large),
      cmocka_unit_test(truncated_and_extended),
      cmocka_unit_test(damage_after_open),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
