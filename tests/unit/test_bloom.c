/* test_bloom.c - the bloom filter: no false negatives, the false-positive
 * rate at 10 bits per key, malformed filters, and the frozen hash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "format/bloom.h"
#include "testutil.h"

static size_t key(char *out, const char *prefix, long i) { return (size_t)sprintf(out, "%s%ld", prefix, i); }

static void build(long n, int bits, char **f, size_t *len) {
  st_bloom_builder b;
  st_bloom_builder_init(&b, bits);
  char k[64];
  for (long i = 0; i < n; i++) assert_int_equal(st_bloom_builder_add(&b, k, key(k, "user:", i)), STRATA_OK);
  assert_int_equal(st_bloom_builder_count(&b), n);
  assert_int_equal(st_bloom_builder_finish(&b, f, len), STRATA_OK);
  st_bloom_builder_destroy(&b);
  assert_int_equal(st_bloom_check(*f, *len), STRATA_OK);
}

static double fp_rate(const char *f, size_t len, long trials) {
  char k[64];
  long fp = 0;
  for (long i = 0; i < trials; i++) fp += st_bloom_may_contain(f, len, k, key(k, "absent:", i));
  return (double)fp / (double)trials;
}

static void fp_rate_at_10_bits(void **state) {
  (void)state;
  long n = 100000;
  char *f, k[64];
  size_t len;
  build(n, 10, &f, &len);
  assert_int_equal(len, (size_t)(n * 10 / 8) + 1);
  for (long i = 0; i < n; i++) assert_true(st_bloom_may_contain(f, len, k, key(k, "user:", i)));
  double rate = fp_rate(f, len, 200000);
  print_message("bloom: 100000 keys, 10 bits/key, k=%d: false-positive rate %.3f%%\n", st_bloom_probes(10), rate * 100);
  assert_true(rate < 0.02);
  free(f);
}

static void no_false_negatives_any_size(void **state) {
  (void)state;
  long sizes[] = {0, 1, 2, 7, 100, 5000};
  for (int bits = 1; bits <= ST_BLOOM_MAX_BITS_PER_KEY; bits++) {
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
      char *f, k[64];
      size_t len;
      build(sizes[s], bits, &f, &len);
      for (long i = 0; i < sizes[s]; i++) assert_true(st_bloom_may_contain(f, len, k, key(k, "user:", i)));
      if (sizes[s] >= 100 && bits >= 4) assert_true(fp_rate(f, len, 2000) < 0.5);
      free(f);
    }
  }
  /* Empty key too. */
  st_bloom_builder b;
  st_bloom_builder_init(&b, 10);
  st_bloom_builder_add(&b, "", 0);
  char *f;
  size_t len;
  st_bloom_builder_finish(&b, &f, &len);
  assert_true(st_bloom_may_contain(f, len, "", 0));
  st_bloom_builder_destroy(&b);
  free(f);
}

static void probes(void **state) {
  (void)state;
  assert_int_equal(st_bloom_probes(1), 1);
  assert_int_equal(st_bloom_probes(2), 1);
  assert_int_equal(st_bloom_probes(10), 6);
  assert_int_equal(st_bloom_probes(20), 13);
  assert_int_equal(st_bloom_probes(30), 20);
  assert_int_equal(st_bloom_probes(100), 30);
}

static void malformed(void **state) {
  (void)state;
  assert_int_equal(st_bloom_check("", 0), STRATA_ECORRUPT);
  assert_int_equal(st_bloom_check("\x06", 1), STRATA_ECORRUPT);
  assert_int_equal(st_bloom_check("\0\0", 2), STRATA_ECORRUPT);   /* k = 0 */
  assert_int_equal(st_bloom_check("\0\x1f", 2), STRATA_ECORRUPT); /* k = 31 */
  assert_int_equal(st_bloom_check("\0\x1e", 2), STRATA_OK);
  /* A malformed filter never rules a key out. */
  assert_true(st_bloom_may_contain("", 0, "a", 1));
  assert_true(st_bloom_may_contain("\0\0", 2, "a", 1));
  /* A well-formed filter of all zero bits rules everything out. */
  assert_false(st_bloom_may_contain("\0\0\0\0\0\0\0\0\x06", 9, "a", 1));
}

/* The hash is part of the format (filters on disk): pin its values. The
 * first two are published MurmurHash64A vectors; the rest were computed
 * once and must never change. */
static void frozen_hash(void **state) {
  (void)state;
  assert_true(st_hash64("fransisco", 9, 1) == 0x083fdaf4a6d0d3d9ull);
  assert_true(st_hash64("aaaa", 4, 0x9747b28c) == 0x41da53fdabaf04c8ull);
  assert_true(st_hash64("", 0, 0) == 0);
  assert_true(st_hash64("a", 1, 0) == 0x071717d2d36b6b11ull);
  assert_true(st_hash64("hello", 5, 0) == 0x1e68d17c457bf117ull);
  assert_true(st_hash64("0123456789abcdef", 16, 0) == 0x93a92d1a91a24bc7ull);
  assert_true(st_hash64("strata", 6, 0x7374726174610001ull) == 0x099a9058f7f98ac1ull);
  assert_true(st_hash_mix64(1) != st_hash_mix64(2));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fp_rate_at_10_bits),
      cmocka_unit_test(no_false_negatives_any_size),
      cmocka_unit_test(probes),
      cmocka_unit_test(malformed),
      cmocka_unit_test(frozen_hash),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
