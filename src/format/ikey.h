/*
 * ikey.h - internal keys: user_key | fixed64(seq << 8 | kind), ordered by
 * user key ascending (memcmp, then length), then trailer descending, so the
 * newest fragment of a key comes first.
 */
#ifndef STRATA_FORMAT_IKEY_H
#define STRATA_FORMAT_IKEY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/coding.h"

#define ST_IKEY_TRAILER 8
#define ST_SEQ_MAX ((UINT64_C(1) << 56) - 1)

/* A trailer that sorts before every fragment with seq <= s: the seek
 * target for "the newest fragment visible at snapshot s". */
static inline uint64_t st_trailer_seek(uint64_t s) { return (s << 8) | 0xff; }
static inline uint64_t st_trailer_pack(uint64_t seq, unsigned kind) { return (seq << 8) | kind; }
static inline uint64_t st_trailer_seq(uint64_t t) { return t >> 8; }
static inline unsigned st_trailer_kind(uint64_t t) { return (unsigned)(t & 0xff); }

/* Writes user_key + trailer to out (room for ulen + 8). */
static inline void st_ikey_pack(char *out, const void *ukey, size_t ulen, uint64_t trailer) {
  if (ulen) memcpy(out, ukey, ulen);
  st_put_fixed64(out + ulen, trailer);
}

static inline uint64_t st_ikey_trailer(const char *ikey, size_t len) { return st_get_fixed64(ikey + len - 8); }

/* Bytewise comparison: memcmp, then the shorter key first. Short keys,
 * the common case, are compared eight bytes at a time inline: a call to
 * memcmp costs more than the comparison itself (measured in strata-bench). */
static inline int st_ukey_compare(const void *a, size_t alen, const void *b, size_t blen) {
  size_t n = alen < blen ? alen : blen;
  const unsigned char *x = a, *y = b;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (n <= 64) {
    for (; n >= 8; n -= 8, x += 8, y += 8) {
      uint64_t u, v;
      memcpy(&u, x, 8);
      memcpy(&v, y, 8);
      if (u != v) return __builtin_bswap64(u) < __builtin_bswap64(v) ? -1 : 1;
    }
    for (; n; n--, x++, y++)
      if (*x != *y) return *x < *y ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
  }
#endif
  int c = n ? memcmp(x, y, n) : 0;
  if (c) return c;
  return alen < blen ? -1 : alen > blen;
}

/* Compares two internal keys (each at least 8 bytes). */
static inline int st_ikey_compare(const char *a, size_t alen, const char *b, size_t blen) {
  int c = st_ukey_compare(a, alen - 8, b, blen - 8);
  if (c) return c;
  uint64_t ta = st_ikey_trailer(a, alen), tb = st_ikey_trailer(b, blen);
  return ta > tb ? -1 : ta < tb;
}

#endif
