/* test_crc32c.c - CRC-32C against the published vectors (RFC 3720 B.4). */
#include <string.h>

#include "base/crc32c.h"
#include "testutil.h"

static void known_vectors(void **state) {
  (void)state;
  unsigned char buf[32];
  memset(buf, 0, sizeof buf);
  assert_int_equal(st_crc32c(buf, 32), 0x8a9136aau);
  memset(buf, 0xff, sizeof buf);
  assert_int_equal(st_crc32c(buf, 32), 0x62a8ab43u);
  for (int i = 0; i < 32; i++) buf[i] = (unsigned char)i;
  assert_int_equal(st_crc32c(buf, 32), 0x46dd794eu);
  for (int i = 0; i < 32; i++) buf[i] = (unsigned char)(31 - i);
  assert_int_equal(st_crc32c(buf, 32), 0x113fdb5cu);
  assert_int_equal(st_crc32c("123456789", 9), 0xe3069283u);
  assert_int_equal(st_crc32c("", 0), 0);
}

static void extend_equals_whole(void **state) {
  (void)state;
  char data[1000];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (char)(i * 7 + 3);
  uint32_t whole = st_crc32c(data, sizeof data);
  for (size_t cut = 0; cut <= sizeof data; cut += 37)
    assert_int_equal(st_crc32c_extend(st_crc32c(data, cut), data + cut, sizeof data - cut), whole);
  /* Unaligned starts take the byte path then the word path. */
  for (size_t off = 1; off < 8; off++)
    assert_int_equal(st_crc32c_extend(st_crc32c(data, off), data + off, sizeof data - off), whole);
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
      cmocka_unit_test(mask_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
