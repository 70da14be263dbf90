/* coding.c - varint encoding (LEB128: 7 bits per byte, high bit = more). */
#include "base/coding.h"

size_t st_put_varint64(char *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (char)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (char)v;
  return n;
}

size_t st_varint64_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

const char *st_get_varint64_long(const char *p, const char *limit, uint64_t *v_out) {
  uint64_t v = 0;
  for (unsigned shift = 0; shift <= 63 && p < limit; shift += 7) {
    uint64_t byte = (unsigned char)*p++;
    /* The 10th byte may only carry the single top bit. */
    if (shift == 63 && byte > 1) break;
    v |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *v_out = v;
      return p;
    }
  }
  *v_out = 0;
  return NULL;
}
