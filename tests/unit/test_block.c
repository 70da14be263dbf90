/* test_block.c - blocks: builder/iterator round trips (seek, prev across
 * restart points, steps back through the kept interval, empty and huge
 * blocks), damaged framing, block handles,
 * trailers, the compression envelope and the footer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "base/hash.h"
#include "format/block.h"
#include "format/block_builder.h"
#include "format/block_handle.h"
#include "format/compress.h"
#include "format/footer.h"
#include "format/ikey.h"
#include "testutil.h"

static int ikey_cmp(const char *a, size_t alen, const char *b, size_t blen) {
  return st_ikey_compare(a, alen, b, blen);
}

/* Key i of a sorted set: shares long prefixes with its neighbours. */
static size_t make_key(char *out, int i) { return (size_t)sprintf(out, "key-%06d-%s", i, i % 3 ? "x" : "yy"); }
static size_t make_val(char *out, int i) {
  return (size_t)sprintf(out, "value-%d-%.*s", i, i % 23, "abcdefghijklmnopqrstuvw");
}

static void build(st_block_builder *b, int n, int interval, const char **data, size_t *len) {
  st_block_builder_init(b, interval);
  char k[64], v[64];
  for (int i = 0; i < n; i++) {
    size_t kl = make_key(k, 2 * i); /* even numbers: odd ones seek between entries */
    size_t vl = make_val(v, 2 * i);
    assert_int_equal(st_block_builder_add(b, k, kl, v, vl), STRATA_OK);
  }
  size_t est = st_block_builder_size(b);
  assert_int_equal(st_block_builder_finish(b, data, len), STRATA_OK);
  assert_int_equal(*len, est);
}

static void expect_entry(st_block_iter *it, int i) {
  char k[64], v[64];
  size_t kl = make_key(k, 2 * i), vl = make_val(v, 2 * i);
  assert_true(st_block_iter_valid(it));
  assert_int_equal(it->key_len, kl);
  assert_memory_equal(it->key, k, kl);
  assert_int_equal(it->val_len, vl);
  assert_memory_equal(it->val, v, vl);
}

static void round_trip(void **state) {
  (void)state;
  int intervals[] = {1, 2, 3, 16, 1000};
  int sizes[] = {1, 2, 15, 16, 17, 100, 777};
  for (size_t a = 0; a < sizeof intervals / sizeof *intervals; a++) {
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
      int n = sizes[s];
      st_block_builder b;
      const char *data;
      size_t len;
      build(&b, n, intervals[a], &data, &len);
      uint64_t count;
      assert_int_equal(st_block_check(data, len, NULL, 0, &count), STRATA_OK);
      assert_int_equal(count, n);
      st_block_iter it;
      st_block_iter_init(&it, NULL, 0);
      assert_int_equal(st_block_iter_reset(&it, data, len), STRATA_OK);
      assert_false(st_block_iter_valid(&it));
      int i = 0;
      for (st_block_iter_seek_first(&it); st_block_iter_valid(&it); st_block_iter_next(&it)) expect_entry(&it, i++);
      assert_int_equal(i, n);
      for (st_block_iter_seek_last(&it); st_block_iter_valid(&it); st_block_iter_prev(&it)) expect_entry(&it, --i);
      assert_int_equal(i, 0);
      assert_int_equal(it.status, STRATA_OK);
      /* Seek to every key, and between keys; then step both ways. */
      char k[64];
      for (int j = -1; j <= 2 * n; j++) {
        size_t kl = j < 0 ? 0 : make_key(k, j);
        st_block_iter_seek(&it, k, kl);
        int want = j < 0 ? 0 : (j + 1) / 2;
        if (want >= n) {
          assert_false(st_block_iter_valid(&it));
          continue;
        }
        expect_entry(&it, want);
        st_block_iter_prev(&it);
        if (want == 0)
          assert_false(st_block_iter_valid(&it));
        else
          expect_entry(&it, want - 1);
        st_block_iter_seek(&it, k, kl);
        st_block_iter_next(&it);
        if (want + 1 < n)
          expect_entry(&it, want + 1);
        else
          assert_false(st_block_iter_valid(&it));
      }
      /* Zig-zag across restart points. */
      st_block_iter_seek_first(&it);
      for (int j = 0; j + 1 < n; j++) {
        st_block_iter_next(&it);
        st_block_iter_prev(&it);
        expect_entry(&it, j);
        st_block_iter_next(&it);
      }
      assert_int_equal(it.status, STRATA_OK);
      st_block_iter_destroy(&it);
      st_block_builder_destroy(&b);
    }
  }
}

/* Backward steps go through a kept copy of the interval before the
 * current entry (block.c): random walks of steps both ways, mostly back,
 * over intervals that fit the copy and ones that do not (40 entries), and
 * the copy forgotten when the iterator moves to another block, even one
 * at the same address with the same layout. */
static void steps_back_and_forth(void **state) {
  (void)state;
  int intervals[] = {1, 3, 16, 40};
  for (size_t a = 0; a < sizeof intervals / sizeof *intervals; a++) {
    int n = 300;
    st_block_builder b;
    const char *data;
    size_t len;
    build(&b, n, intervals[a], &data, &len);
    st_block_iter it;
    st_block_iter_init(&it, NULL, 0);
    assert_int_equal(st_block_iter_reset(&it, data, len), STRATA_OK);
    uint64_t r = 0x9e3779b97f4a7c15ull + a;
    for (int walk = 0; walk < 50; walk++) {
      r = st_hash64(&r, sizeof r, 1);
      int i = (int)(r % (uint64_t)n);
      char k[64];
      st_block_iter_seek(&it, k, make_key(k, 2 * i));
      for (int step = 0; step < 60 && st_block_iter_valid(&it); step++) {
        expect_entry(&it, i);
        r = st_hash64(&r, sizeof r, 2);
        if (r % 4 == 0) {
          st_block_iter_next(&it);
          i++;
        } else {
          st_block_iter_prev(&it);
          i--;
        }
      }
      assert_true(st_block_iter_valid(&it) || i == -1 || i == n);
    }
    assert_int_equal(it.status, STRATA_OK);

    /* Another block in the same memory: the same keys and value lengths
     * (so the same offsets), other value bytes. */
    char *buf = malloc(len), *other = malloc(len);
    memcpy(buf, data, len);
    memcpy(other, data, len);
    assert_int_equal(st_block_iter_reset(&it, other, len), STRATA_OK);
    for (st_block_iter_seek_first(&it); st_block_iter_valid(&it); st_block_iter_next(&it))
      for (size_t v = 0; v < it.val_len; v++) other[it.val - other + (ptrdiff_t)v] ^= 0x20;
    assert_int_equal(st_block_iter_reset(&it, buf, len), STRATA_OK);
    st_block_iter_seek_last(&it);
    for (int s = 0; s < 5; s++) st_block_iter_prev(&it);
    expect_entry(&it, n - 6);
    memcpy(buf, other, len);
    assert_int_equal(st_block_iter_reset(&it, buf, len), STRATA_OK);
    char k[64], v[64];
    st_block_iter_seek(&it, k, make_key(k, 2 * (n - 6)));
    st_block_iter_prev(&it);
    size_t vl = make_val(v, 2 * (n - 7));
    for (size_t c = 0; c < vl; c++) v[c] ^= 0x20;
    assert_int_equal(it.val_len, vl);
    assert_memory_equal(it.val, v, vl);
    free(buf);
    free(other);
    st_block_iter_destroy(&it);
    st_block_builder_destroy(&b);
  }
}

static void generic_iter_and_reuse(void **state) {
  (void)state;
  st_block_builder b;
  const char *data;
  size_t len;
  build(&b, 50, 4, &data, &len);
  st_iter *it;
  assert_int_equal(st_block_iter_new(data, len, NULL, 0, &it), STRATA_OK);
  int n = 0;
  for (st_iter_seek_first(it); st_iter_valid(it); st_iter_next(it)) n++;
  assert_int_equal(n, 50);
  assert_int_equal(st_iter_status(it), STRATA_OK);
  st_iter_free(it);
  /* The builder is reusable after reset. */
  st_block_builder_reset(&b);
  assert_true(st_block_builder_empty(&b));
  assert_int_equal(st_block_builder_add(&b, "a", 1, "1", 1), STRATA_OK);
  assert_int_equal(st_block_builder_finish(&b, &data, &len), STRATA_OK);
  uint64_t count;
  assert_int_equal(st_block_check(data, len, NULL, 0, &count), STRATA_OK);
  assert_int_equal(count, 1);
  st_block_builder_destroy(&b);
}

static void empty_block(void **state) {
  (void)state;
  st_block_builder b;
  st_block_builder_init(&b, 16);
  const char *data;
  size_t len;
  assert_int_equal(st_block_builder_finish(&b, &data, &len), STRATA_OK);
  assert_int_equal(len, 4);
  assert_memory_equal(data, "\0\0\0\0", 4);
  st_block_iter it;
  st_block_iter_init(&it, ikey_cmp, 8);
  assert_int_equal(st_block_iter_reset(&it, data, len), STRATA_OK);
  st_block_iter_seek_first(&it);
  assert_false(st_block_iter_valid(&it));
  st_block_iter_seek_last(&it);
  assert_false(st_block_iter_valid(&it));
  st_block_iter_seek(&it, "abcdefghij", 10);
  assert_false(st_block_iter_valid(&it));
  assert_int_equal(it.status, STRATA_OK);
  uint64_t n = 9;
  assert_int_equal(st_block_check(data, len, ikey_cmp, 8, &n), STRATA_OK);
  assert_int_equal(n, 0);
  st_block_iter_destroy(&it);
  st_block_builder_destroy(&b);
}

static void huge_entry(void **state) {
  (void)state;
  size_t kl = 70000, vl = 3 << 20;
  char *k = malloc(kl), *v = malloc(vl);
  for (size_t i = 0; i < kl; i++) k[i] = (char)('a' + i % 26);
  for (size_t i = 0; i < vl; i++) v[i] = (char)(i * 7);
  st_block_builder b;
  st_block_builder_init(&b, 16);
  assert_int_equal(st_block_builder_add(&b, "a", 1, "small", 5), STRATA_OK);
  assert_int_equal(st_block_builder_add(&b, k, kl, v, vl), STRATA_OK);
  k[kl - 1] = 'z';
  assert_int_equal(st_block_builder_add(&b, k, kl, "", 0), STRATA_OK);
  const char *data;
  size_t len;
  assert_int_equal(st_block_builder_finish(&b, &data, &len), STRATA_OK);
  assert_true(len > vl);
  st_block_iter it;
  st_block_iter_init(&it, NULL, 0);
  assert_int_equal(st_block_iter_reset(&it, data, len), STRATA_OK);
  st_block_iter_seek(&it, k, kl);
  assert_true(st_block_iter_valid(&it));
  assert_int_equal(it.key_len, kl);
  assert_memory_equal(it.key, k, kl);
  assert_int_equal(it.val_len, 0);
  st_block_iter_prev(&it);
  assert_int_equal(it.val_len, vl);
  assert_memory_equal(it.val, v, vl);
  st_block_iter_prev(&it);
  assert_int_equal(it.key_len, 1);
  st_block_iter_destroy(&it);
  st_block_builder_destroy(&b);
  free(k);
  free(v);
}

/* Every damaged variant of a block gives ECORRUPT or entries, never a
 * crash; walking it in every way terminates. */
static void walk_everything(const char *data, size_t len) {
  st_block_iter it;
  st_block_iter_init(&it, ikey_cmp, 8);
  st_block_iter_reset(&it, data, len);
  int steps = 0;
  for (st_block_iter_seek_first(&it); st_block_iter_valid(&it) && steps < 100000; st_block_iter_next(&it)) steps++;
  for (st_block_iter_seek_last(&it); st_block_iter_valid(&it) && steps < 200000; st_block_iter_prev(&it)) steps++;
  st_block_iter_seek(&it, "key-000010-x\1\0\0\0\0\0\0\0", 20);
  uint64_t n;
  int rc = st_block_check(data, len, ikey_cmp, 8, &n);
  assert_true(rc == STRATA_OK || rc == STRATA_ECORRUPT);
  st_block_iter_destroy(&it);
}

static void damaged_blocks(void **state) {
  (void)state;
  st_block_builder b;
  st_block_builder_init(&b, 4);
  char k[64];
  for (int i = 0; i < 40; i++) {
    size_t kl = make_key(k, i);
    st_put_fixed64(k + kl, st_trailer_pack((uint64_t)i + 1, 1));
    assert_int_equal(st_block_builder_add(&b, k, kl + 8, "v", 1), STRATA_OK);
  }
  const char *data;
  size_t len;
  assert_int_equal(st_block_builder_finish(&b, &data, &len), STRATA_OK);
  char *copy = malloc(len);
  for (size_t i = 0; i < len; i++) {
    for (int bit = 0; bit < 8; bit++) {
      memcpy(copy, data, len);
      copy[i] ^= (char)(1 << bit);
      walk_everything(copy, len);
    }
  }
  for (size_t cut = 0; cut < len; cut++) {
    char *part = malloc(cut ? cut : 1); /* exact size, so ASan sees overreads */
    memcpy(part, data, cut);
    walk_everything(part, cut);
    free(part);
  }
  free(copy);
  /* Specific framing errors. */
  st_block_iter it;
  st_block_iter_init(&it, NULL, 0);
  assert_int_equal(st_block_iter_reset(&it, "abc", 3), STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "expected at least 4 bytes"));
  assert_int_equal(st_block_iter_reset(&it, "\1\0\0\0", 4), STRATA_ECORRUPT);         /* 1 restart, no room */
  assert_int_equal(st_block_iter_reset(&it, "\0\0\0\0\0\0\0\0", 8), STRATA_ECORRUPT); /* entries, 0 restarts */
  /* a shared prefix at a restart point */
  const char bad[] = {5, 1, 0, 'a', 0, 0, 0, 0, 1, 0, 0, 0};
  assert_int_equal(st_block_iter_reset(&it, bad, sizeof bad), STRATA_OK);
  st_block_iter_seek_first(&it);
  assert_false(st_block_iter_valid(&it));
  assert_int_equal(it.status, STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "shared prefix"));
  st_block_iter_destroy(&it);
  /* keys out of order are found by the check */
  st_block_builder_reset(&b);
  st_block_builder_add(&b, "b", 1, "", 0);
  st_block_builder_add(&b, "a", 1, "", 0);
  st_block_builder_finish(&b, &data, &len);
  uint64_t n;
  assert_int_equal(st_block_check(data, len, NULL, 0, &n), STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "greater than the previous"));
  st_block_builder_destroy(&b);
}

static void handles(void **state) {
  (void)state;
  uint64_t vals[] = {0, 1, 127, 128, 4096, 1ull << 32, UINT64_MAX};
  for (size_t i = 0; i < 7; i++) {
    for (size_t j = 0; j < 7; j++) {
      st_block_handle h = {vals[i], vals[j]}, g;
      char buf[ST_BLOCK_HANDLE_MAX];
      size_t n = st_block_handle_put(buf, &h);
      assert_true(n <= ST_BLOCK_HANDLE_MAX);
      assert_ptr_equal(st_block_handle_get(buf, buf + n, &g), buf + n);
      assert_true(g.offset == h.offset && g.size == h.size);
      assert_null(st_block_handle_get(buf, buf + n - 1, &g));
    }
  }
  st_block_handle h = {100, 50};
  uint64_t next;
  assert_true(st_block_handle_within(&h, 155, &next));
  assert_int_equal(next, 155);
  assert_false(st_block_handle_within(&h, 154, NULL));
  st_block_handle huge = {10, UINT64_MAX - 3};
  assert_false(st_block_handle_within(&huge, UINT64_MAX, NULL));
}

static void trailers(void **state) {
  (void)state;
  char block[64 + ST_BLOCK_TRAILER];
  for (int i = 0; i < 64; i++) block[i] = (char)i;
  st_block_trailer_put(block + 64, block, 64, 1);
  int type = -1;
  assert_int_equal(st_block_trailer_check(block, 64, "f.sst", "data block", 7, &type), STRATA_OK);
  assert_int_equal(type, 1);
  for (int i = 0; i < 64 + ST_BLOCK_TRAILER; i++) {
    block[i] ^= 0x10;
    assert_int_equal(st_block_trailer_check(block, 64, "f.sst", "data block", 7, &type), STRATA_ECORRUPT);
    assert_non_null(strstr(strata_errmsg(), "f.sst: data block at offset 7: expected checksum"));
    block[i] ^= 0x10;
  }
}

static void compression_envelope(void **state) {
  (void)state;
  int codecs[] = {STRATA_COMPRESSION_LZ4, STRATA_COMPRESSION_ZSTD};
  size_t n = 8192;
  char *text = malloc(n), *noise = malloc(n);
  for (size_t i = 0; i < n; i++) {
    text[i] = "the quick brown fox "[i % 20];
    noise[i] = (char)st_hash_mix64(i);
  }
  for (int c = 0; c < 2; c++) {
    if (!st_compression_supported(codecs[c])) {
      print_message("codec %d not in this build: skipped\n", codecs[c]);
      continue;
    }
    char *z, *raw;
    size_t zlen, rlen;
    int type;
    assert_int_equal(st_block_compress(codecs[c], text, n, &z, &zlen, &type), STRATA_OK);
    assert_non_null(z);
    assert_int_equal(type, codecs[c]);
    assert_true(zlen <= n - n / 8);
    assert_int_equal(st_block_uncompress(type, z, zlen, "f", "data block", 0, &raw, &rlen), STRATA_OK);
    assert_int_equal(rlen, n);
    assert_memory_equal(raw, text, n);
    free(raw);
    /* A damaged length prefix or payload is ECORRUPT. */
    z[0] ^= 1;
    assert_int_equal(st_block_uncompress(type, z, zlen, "f", "data block", 0, &raw, &rlen), STRATA_ECORRUPT);
    assert_null(raw);
    free(z);
    /* Noise does not compress: stored raw. */
    assert_int_equal(st_block_compress(codecs[c], noise, n, &z, &zlen, &type), STRATA_OK);
    assert_null(z);
    assert_int_equal(type, STRATA_COMPRESSION_NONE);
  }
  char *raw;
  size_t rlen;
  assert_int_equal(st_block_uncompress(77, "abc", 3, "f", "data block", 0, &raw, &rlen), STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "compression type 77"));
  free(text);
  free(noise);
}

static void footer(void **state) {
  (void)state;
  st_footer f = {{1000, 200}, {500, 300}, {805, 4}, {1400, 123}, 0}, g;
  char buf[ST_FOOTER_SIZE];
  st_footer_encode(&f, buf);
  assert_memory_equal(buf + 88, "STRATAST", 8);
  assert_int_equal(st_footer_decode(buf, "t.sst", 5000, &g), STRATA_OK);
  assert_int_equal(g.version, 1);
  assert_true(g.index.offset == 1000 && g.index.size == 200 && g.filter.offset == 500 && g.filter.size == 300 &&
              g.range_del.offset == 805 && g.range_del.size == 4 && g.props.offset == 1400 && g.props.size == 123);
  for (int i = 0; i < ST_FOOTER_SIZE; i++) {
    for (int bit = 0; bit < 8; bit++) {
      buf[i] ^= (char)(1 << bit);
      assert_int_equal(st_footer_decode(buf, "t.sst", 5000, &g), STRATA_ECORRUPT);
      assert_non_null(strstr(strata_errmsg(), "t.sst: footer"));
      buf[i] ^= (char)(1 << bit);
    }
  }
  /* Layout: filter 500..805, range_del 805..814, index 814..., etc. */
  st_footer l = {{814, 100}, {0, 0}, {805, 4}, {919, 50}, 1};
  uint64_t data_end;
  assert_int_equal(st_footer_check_layout(&l, 919 + 55 + ST_FOOTER_SIZE, "t", &data_end), STRATA_OK);
  assert_int_equal(data_end, 805);
  assert_int_equal(st_footer_check_layout(&l, 919 + 56 + ST_FOOTER_SIZE, "t", &data_end), STRATA_ECORRUPT);
  l.filter.offset = 3;
  assert_int_equal(st_footer_check_layout(&l, 919 + 55 + ST_FOOTER_SIZE, "t", &data_end), STRATA_ECORRUPT);
  l.filter = (st_block_handle){700, 100};
  assert_int_equal(st_footer_check_layout(&l, 919 + 55 + ST_FOOTER_SIZE, "t", &data_end), STRATA_OK);
  assert_int_equal(data_end, 700);
  assert_int_equal(st_footer_check_layout(&l, 10, "t", &data_end), STRATA_ECORRUPT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip),
      cmocka_unit_test(steps_back_and_forth),
      cmocka_unit_test(generic_iter_and_reuse),
      cmocka_unit_test(empty_block),
      cmocka_unit_test(huge_entry),
      cmocka_unit_test(damaged_blocks),
      cmocka_unit_test(handles),
      cmocka_unit_test(trailers),
      cmocka_unit_test(compression_envelope),
      cmocka_unit_test(footer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
