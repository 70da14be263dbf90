/* test_crc32c.c - CRC-32C against the published vectors (RFC 3720 B.4),
 * both the implementation in use (SSE4.2 where the CPU has it) and the
 * portable one that other machines use. */
#include <string.h>

#include "base/crc32c.h"
#include "testutil.h"

typedef uint32_t (*crc_fn)(uint32_t crc, const void *data, size_t n);

static const struct {
  const char *name;
  crc_fn extend;
} impls[] = {{"in use", st_crc32c_extend}, {"portable", st_crc32c_extend_portable}};

#define EACH_IMPL for (size_t im = 0; im < sizeof impls / sizeof impls[0]; im++)

static void known_vectors(void **state) {
  (void)state;
  EACH_IMPL {
    crc_fn crc = impls[im].extend;
    unsigned char buf[32];
    memset(buf, 0, sizeof buf);
    assert_int_equal(crc(0, buf, 32), 0x8a9136aau);
    memset(buf, 0xff, sizeof buf);
    assert_int_equal(crc(0, buf, 32), 0x62a8ab43u);
    for (int i = 0; i < 32; i++) buf[i] = (unsigned char)i;
    assert_int_equal(crc(0, buf, 32), 0x46dd794eu);
    for (int i = 0; i < 32; i++) buf[i] = (unsigned char)(31 - i);
    assert_int_equal(crc(0, buf, 32), 0x113fdb5cu);
    assert_int_equal(crc(0, "123456789", 9), 0xe3069283u);
    assert_int_equal(crc(0, "", 0), 0);
  }
}

static void extend_equals_whole(void **state) {
  (void)state;
  char data[1000];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (char)(i * 7 + 3);
  EACH_IMPL {
    crc_fn crc = impls[im].extend;
    uint32_t whole = crc(0, data, sizeof data);
    for (size_t cut = 0; cut <= sizeof data; cut += 37)
      assert_int_equal(crc(crc(0, data, cut), data + cut, sizeof data - cut), whole);
    /* Unaligned starts take the byte path then the word path. */
    for (size_t off = 1; off < 8; off++)
      assert_int_equal(crc(crc(0, data, off), data + off, sizeof data - off), whole);
  }
}

/* The two implementations agree on every length and alignment, so that
 * files written on one machine read on another: every length up to 520
 * bytes, then lengths 7 apart up to 9,000, past the three stretches of
 * 256 bytes the instruction's path CRCs at once (crc32c.c) and its tail. */
static void implementations_agree(void **state) {
  (void)state;
  static unsigned char data[9008];
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < sizeof data; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    data[i] = (unsigned char)x;
  }
  for (size_t off = 0; off < 8; off++)
    for (size_t n = 0; n + off <= 9000; n += n < 520 ? 1 : 7) {
      uint32_t seed = (uint32_t)(n * 2654435761u);
      if (st_crc32c_extend(seed, data + off, n) != st_crc32c_extend_portable(seed, data + off, n))
        fail_msg("offset %zu, %zu bytes: %08x (in use) != %08x (portable)", off, n,
                 st_crc32c_extend(seed, data + off, n), st_crc32c_extend_portable(seed, data + off, n));
    }
  print_message("in use: %s\n", st_crc32c_hw() ? "SSE4.2" : "portable");
}

static void mask_round_trip(void **state) {
  (void)state;
  uint32_t crc = st_crc32c("foo", 3);
  assert_int_not_equal(st_crc32c_mask(crc), crc);
  assert_int_not_equal(st_crc32c_mask(st_crc32c_mask(crc)), crc);
  assert_int_equal(st_crc32c_unmask(st_crc32c_mask(crc)), crc);
  assert_int_equal(st_crc32c_unmask(st_crc32c_unmask(st_crc32c_mask(st_crc32c_mask(crc)))), crc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(known_vectors),
      cmocka_unit_test(extend_equals_whole),
      cmocka_unit_test(implementations_agree),
      cmocka_unit_test(mask_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
