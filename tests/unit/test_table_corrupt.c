/* test_table_corrupt.c - damage anywhere in a table file surfaces as
 * STRATA_ECORRUPT (naming the file) at open or at the read that touches
 * it, never as wrong data or a crash; st_table_verify reports it; cut and
 * extended files are refused. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/coding.h"
#include "format/block.h"
#include "format/block_builder.h"
#include "format/block_handle.h"
#include "format/compress.h"
#include "format/footer.h"
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

/* ---- forged blocks: framing and checksums right, contents wrong ---- */

/* What forge_block changes, by forge_delta keeping each value's length:
 * in a properties block the values of the names in forge_names; in an
 * index block the offset of entry forge_entry, or with forge_junk its
 * whole handle becomes bytes that are none. */
static const char *forge_names[4];
static long forge_entry = -1;
static int64_t forge_delta;
static int forge_junk;
static int forge_lower_key; /* instead, the last byte of the index entry's user key drops by 1 */

static void add_to_varint(char *val, size_t vlen, int64_t delta) {
  uint64_t x;
  assert_true(st_get_varint64(val, val + vlen, &x) == val + vlen);
  char out[ST_VARINT64_MAX];
  assert_int_equal(st_put_varint64(out, x + (uint64_t)delta), vlen);
  memcpy(val, out, vlen);
}

static int forged_name(const char *key, size_t klen) {
  for (int i = 0; i < 4 && forge_names[i]; i++)
    if (strlen(forge_names[i]) == klen && memcmp(key, forge_names[i], klen) == 0) return 1;
  return 0;
}

static void forge_value(long i, const char *key, size_t klen, char *val, size_t vlen) {
  if (forge_entry >= 0) {
    if (i != forge_entry) return;
    if (forge_junk) {
      memset(val, 0xff, vlen); /* a varint that never ends */
      return;
    }
    const char *p = st_get_varint64(val, val + vlen, &(uint64_t){0});
    assert_non_null(p);
    add_to_varint(val, (size_t)(p - val), forge_delta); /* the offset; the size follows */
  } else if (forged_name(key, klen)) {
    if (klen == 10 && memcmp(key, "file.bytes", 10) == 0) {
      st_put_fixed64(val, st_get_fixed64(val) + (uint64_t)forge_delta);
    } else if (klen == 11 && memcmp(key, "kind.counts", 11) == 0) {
      /* c, then c counts: the range tombstones' count changes */
      const char *p = val, *end = val + vlen;
      uint64_t x;
      for (int k = 0; k <= 1 + ST_KIND_RANGE_DELETE; k++) {
        const char *q = st_get_varint64(p, end, &x);
        assert_non_null(q);
        if (k == 1 + ST_KIND_RANGE_DELETE) add_to_varint((char *)p, (size_t)(q - p), forge_delta);
        p = q;
      }
    } else {
      add_to_varint(val, vlen, forge_delta);
    }
  }
}

/* Forgets what the last forgery changed. */
static void forge_reset(void) {
  memset(forge_names, 0, sizeof forge_names);
  forge_entry = -1;
  forge_delta = 0;
  forge_junk = 0;
  forge_lower_key = 0;
}

/* Rebuilds the index block (props 0) or the properties block (props 1)
 * of the table at path through forge_value and writes it back with a
 * right checksum: only the reader's checks of the contents can tell. */
static void forge_block(const char *path, int props) {
  long size = (long)tu_file_size(path);
  char *file = malloc((size_t)size);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  assert_int_equal(fread(file, 1, (size_t)size, f), (size_t)size);
  fclose(f);
  st_footer foot;
  assert_int_equal(st_footer_decode(file + size - ST_FOOTER_SIZE, path, (uint64_t)size - ST_FOOTER_SIZE, &foot),
                   STRATA_OK);
  st_block_handle h = props ? foot.props : foot.index;
  char *block = file + h.offset;
  st_block_iter it;
  st_block_iter_init(&it, NULL, 0);
  assert_int_equal(st_block_iter_reset(&it, block, (size_t)h.size), STRATA_OK);
  st_block_builder b;
  st_block_builder_init(&b, 1); /* both blocks have a restart point per entry (FORMAT.md 8.5, 8.8) */
  long i = 0;
  char key[256];
  for (st_block_iter_seek_first(&it); st_block_iter_valid(&it); st_block_iter_next(&it), i++) {
    char val[64];
    assert_true(it.val_len <= sizeof val && it.key_len <= sizeof key);
    memcpy(val, it.val, it.val_len);
    memcpy(key, it.key, it.key_len);
    size_t klen = it.key_len;
    if (forge_lower_key && i == forge_entry)
      key[klen - ST_IKEY_TRAILER - 1]--; /* the user key's last byte: below the block's last key */
    else
      forge_value(i, it.key, it.key_len, val, it.val_len);
    assert_int_equal(st_block_builder_add(&b, key, klen, val, it.val_len), STRATA_OK);
  }
  st_block_iter_destroy(&it);
  const char *data;
  size_t len;
  assert_int_equal(st_block_builder_finish(&b, &data, &len), STRATA_OK);
  assert_int_equal(len, h.size);
  memcpy(block, data, len);
  st_block_trailer_put(block + len, block, len, 0);
  st_block_builder_destroy(&b);
  f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(file, 1, (size_t)size, f), (size_t)size);
  assert_int_equal(fclose(f), 0);
  free(file);
}

/* The table the forgeries start from: m in blocks of 1 KiB, as
 * dir/name (the path, malloc'ed). */
static char *write_to_forge(const char *dir, const char *name, const tm_model *m) {
  st_table_options o;
  st_table_options_init(&o);
  o.block_bytes = 1024;
  return tm_write(dir, name, m, m->n, &o, NULL);
}

/* Writes a fresh table, forges it as set above, and expects open to
 * refuse it saying want. */
static void expect_forgery_refused(const char *dir, const tm_model *m, int props, const char *want) {
  char *path = write_to_forge(dir, "000011.sst", m);
  forge_block(path, props);
  st_table *t;
  int rc = st_table_open(st_env_posix(), path, 11, NULL, 0, &t);
  if (rc != STRATA_ECORRUPT || !strstr(strata_errmsg(), want) || !strstr(strata_errmsg(), path))
    fail_msg("expected STRATA_ECORRUPT saying \"%s\", got %s: %s", want, strata_strerror(rc), strata_errmsg());
  assert_null(t);
  assert_int_equal(unlink(path), 0);
  free(path);
  forge_reset();
}

/* A table whose blocks are well framed and checksummed but disagree with
 * each other (a bug in a writer, or a file put together by hand) is
 * refused at open, naming what disagrees. */
static void forged_blocks_are_refused(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  tm_model m;
  tm_make(&m, 400);
  /* Forging that adds 0 changes nothing: the table opens and reads. */
  char *path = write_to_forge(dir, "000012.sst", &m);
  forge_names[0] = "entries";
  forge_names[1] = "file.bytes";
  forge_block(path, 1);
  forge_reset();
  forge_entry = 1;
  forge_block(path, 0);
  forge_reset();
  st_table *t;
  int rc = st_table_open(st_env_posix(), path, 12, NULL, 0, &t);
  if (rc) fail_msg("open of a table forged to be the same: %s", strata_errmsg());
  assert_int_equal(walk(t, &m, 0), STRATA_OK);
  assert_int_equal(st_table_verify(t, NULL), STRATA_OK);
  st_table_close(t);
  free(path);

  forge_delta = 1;
  forge_names[0] = "file.bytes";
  expect_forgery_refused(dir, &m, 1, "file size: expected");
  forge_delta = 1;
  forge_names[0] = "data.bytes";
  expect_forgery_refused(dir, &m, 1, "expected data.bytes");
  forge_delta = 1;
  forge_names[0] = "data.blocks";
  expect_forgery_refused(dir, &m, 1, "data blocks ending at offset");
  /* A range tombstone that the properties count and the block lacks. */
  forge_delta = 1;
  forge_names[0] = "kind.counts";
  forge_names[1] = "entries";
  forge_names[2] = "tombstones";
  expect_forgery_refused(dir, &m, 1, "range-tombstone block at offset");
  forge_delta = 1;
  forge_entry = 1;
  expect_forgery_refused(dir, &m, 0, "index entry 1: expected a handle of a data block at offset");
  forge_entry = 2;
  forge_junk = 1;
  expect_forgery_refused(dir, &m, 0, "index entry 2: expected a handle of a data block at offset");

  /* An index key below its block's last key opens (open reads no data
   * block) but reads would miss keys: verify reports it. */
  path = write_to_forge(dir, "000013.sst", &m);
  forge_entry = 1;
  forge_lower_key = 1;
  forge_block(path, 0);
  forge_reset();
  assert_int_equal(st_table_open(st_env_posix(), path, 13, NULL, 0, &t), STRATA_OK);
  char *text = NULL;
  size_t len = 0;
  FILE *report = open_memstream(&text, &len);
  assert_int_equal(st_table_verify(t, report), STRATA_ECORRUPT);
  fclose(report);
  if (!strstr(text, "expected a last key <= its index key, found a greater one") || !strstr(text, path))
    fail_msg("verify report: %s", text);
  free(text);
  st_table_close(t);
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
      cmocka_unit_test(forged_blocks_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
