/*
 * copy.h - copying a few bytes without a call. memcpy with a length known
 * only at run time is a call into libc (3-4 ns), paid at every step of a
 * scan for the part of a key that differs from the one before it. Keys
 * are mostly short: up to 32 bytes, two loads and two stores of a width
 * that covers n, overlapping in the middle, copy them; longer ones go to
 * memcpy. Reads and writes stay within [src, src + n) and [dst, dst + n);
 * the two must not overlap.
 */
#ifndef STRATA_BASE_COPY_H
#define STRATA_BASE_COPY_H

#include <stdint.h>
#include <string.h>

static inline void st_copy_short(char *dst, const char *src, size_t n) {
  if (n >= 16 && n <= 32) {
    char a[16], b[16];
    memcpy(a, src, 16);
    memcpy(b, src + n - 16, 16);
    memcpy(dst, a, 16);
    memcpy(dst + n - 16, b, 16);
  } else if (n >= 8 && n < 16) {
    uint64_t a, b;
    memcpy(&a, src, 8);
    memcpy(&b, src + n - 8, 8);
    memcpy(dst, &a, 8);
    memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a, b;
    memcpy(&a, src, 4);
    memcpy(&b, src + n - 4, 4);
    memcpy(dst, &a, 4);
    memcpy(dst + n - 4, &b, 4);
  } else if (n < 4) {
    for (size_t i = 0; i < n; i++) dst[i] = src[i];
  } else {
    memcpy(dst, src, n);
  }
}

#endif
