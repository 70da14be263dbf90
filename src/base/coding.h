/*
 * coding.h - little-endian fixed-width integers and LEB128 varints, the
 * building blocks of every on-disk format (docs/FORMAT.md, "Integers").
 */
#ifndef STRATA_BASE_CODING_H
#define STRATA_BASE_CODING_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ST_VARINT64_MAX 10

/* Little-endian machines copy the bytes as they are: a byte loop is
 * merged into one load or store at -O3 but not at -O2, the default build,
 * where it cost a loop per key trailer read (measured with callgrind). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ST_CODING_LE 1
#else
#define ST_CODING_LE 0
#endif

static inline void st_put_fixed32(char *p, uint32_t v) {
  if (ST_CODING_LE) {
    memcpy(p, &v, 4);
    return;
  }
  for (int i = 0; i < 4; i++) p[i] = (char)(v >> (8 * i));
}
static inline void st_put_fixed64(char *p, uint64_t v) {
  if (ST_CODING_LE) {
    memcpy(p, &v, 8);
    return;
  }
  for (int i = 0; i < 8; i++) p[i] = (char)(v >> (8 * i));
}
static inline uint32_t st_get_fixed32(const char *p) {
  uint32_t v = 0;
  if (ST_CODING_LE) {
    memcpy(&v, p, 4);
    return v;
  }
  for (int i = 0; i < 4; i++) v |= (uint32_t)(unsigned char)p[i] << (8 * i);
  return v;
}
static inline uint64_t st_get_fixed64(const char *p) {
  uint64_t v = 0;
  if (ST_CODING_LE) {
    memcpy(&v, p, 8);
    return v;
  }
  for (int i = 0; i < 8; i++) v |= (uint64_t)(unsigned char)p[i] << (8 * i);
  return v;
}

/* Writes v as a varint at p (room for ST_VARINT64_MAX bytes); returns the
 * number of bytes written. */
size_t st_put_varint64(char *p, uint64_t v);

/* Number of bytes st_put_varint64 writes for v. */
size_t st_varint64_len(uint64_t v);

/* Decodes a varint from [p, limit). Returns the byte after it, or NULL when
 * the input ends early or the varint is longer than 64 bits allow. Inline
 * for the one-byte case, the common one in keys and block entries. */
const char *st_get_varint64_long(const char *p, const char *limit, uint64_t *v_out);
static inline const char *st_get_varint64(const char *p, const char *limit, uint64_t *v_out) {
  if (p < limit && !(*p & 0x80)) {
    *v_out = (unsigned char)*p;
    return p + 1;
  }
  return st_get_varint64_long(p, limit, v_out);
}

#endif
