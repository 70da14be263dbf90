/* test_coding.c - fixed-width and varint encodings. */
#include <string.h>

#include "base/coding.h"
#include "base/copy.h"
#include "testutil.h"

static void fixed_round_trip(void **state) {
  (void)state;
  char buf[8];
  st_put_fixed32(buf, 0x04030201u);
  assert_memory_equal(buf, "\x01\x02\x03\x04", 4);
  assert_int_equal(st_get_fixed32(buf), 0x04030201u);
  st_put_fixed64(buf, 0x0807060504030201ull);
  assert_memory_equal(buf, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  assert_true(st_get_fixed64(buf) == 0x0807060504030201ull);
}

static void varint_round_trip(void **state) {
  (void)state;
  uint64_t values[] = {0, 1, 127, 128, 255, 300, 16383, 16384, (1ull << 32) - 1, 1ull << 32, UINT64_MAX - 1, UINT64_MAX};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    char buf[ST_VARINT64_MAX];
    size_t n = st_put_varint64(buf, values[i]);
    assert_int_equal(n, st_varint64_len(values[i]));
    uint64_t v;
    const char *end = st_get_varint64(buf, buf + n, &v);
    assert_ptr_equal(end, buf + n);
    assert_true(v == values[i]);
    /* Every shorter input is cut short. */
    for (size_t k = 0; k < n; k++) assert_null(st_get_varint64(buf, buf + k, &v));
  }
  char buf[ST_VARINT64_MAX];
  assert_int_equal(st_put_varint64(buf, 300), 2);
  assert_memory_equal(buf, "\xac\x02", 2);
}

static void varint_rejects_overlong(void **state) {
  (void)state;
  uint64_t v = 7;
  /* 11 continuation bytes: longer than any 64-bit value. */
  const char over[] = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01";
  assert_null(st_get_varint64(over, over + 11, &v));
  assert_true(v == 0);
  /* A 10th byte above 1 would overflow 64 bits. */
  const char big[] = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02";
  assert_null(st_get_varint64(big, big + 10, &v));
}

/* st_copy_short: every length up to past its inline cases, at every
 * alignment of source and destination, copies exactly n bytes and writes
 * nothing around them. */
static void copy_short_copies_exactly(void **state) {
  (void)state;
  char src[128], dst[160];
  for (size_t i = 0; i < sizeof src; i++) src[i] = (char)(i * 37 + 11);
  for (size_t n = 0; n <= 80; n++)
    for (size_t so = 0; so < 8; so++)
      for (size_t d = 0; d < 8; d++) {
        memset(dst, 0x5a, sizeof dst);
        st_copy_short(dst + 16 + d, src + so, n);
        assert_memory_equal(dst + 16 + d, src + so, n);
        for (size_t i = 0; i < 16 + d; i++) assert_int_equal(dst[i], 0x5a);
        for (size_t i = 16 + d + n; i < sizeof dst; i++) assert_int_equal(dst[i], 0x5a);
      }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fixed_round_trip),
      cmocka_unit_test(varint_round_trip),
      cmocka_unit_test(varint_rejects_overlong),
      cmocka_unit_test(copy_short_copies_exactly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
