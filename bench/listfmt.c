/*
 * listfmt.c - the rival engines' list bytes: varint-prefixed elements
 * (see listfmt.h).
 */
#include "listfmt.h"

#include <string.h>

size_t bench_list_prefix(char *out, size_t elen) {
  size_t n = 0;
  uint32_t v = (uint32_t)elen;
  while (v >= 0x80) {
    out[n++] = (char)(unsigned char)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (char)(unsigned char)v;
  return n;
}

size_t bench_list_put(char *out, const char *elem, size_t elen) {
  size_t n = bench_list_prefix(out, elen);
  if (elen) memcpy(out + n, elem, elen);
  return n + elen;
}

int bench_list_next(const char *list, size_t len, size_t *pos, const char **elem_out, size_t *elen_out) {
  *elem_out = NULL;
  *elen_out = 0;
  size_t p = *pos;
  if (p > len) return -1;
  if (p == len) return 0;
  uint32_t v = 0;
  for (int shift = 0;; shift += 7) {
    if (p == len || shift > 28) return -1;
    unsigned char b = (unsigned char)list[p++];
    v |= (uint32_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  if (v > len - p) return -1;
  *elem_out = list + p;
  *elen_out = v;
  *pos = p + v;
  return 1;
}

int64_t bench_list_cut(const char *list, size_t len, size_t max) {
  if (max == 0) return 0;
  size_t pos = 0, n = 0, elen;
  const char *elem;
  int rc;
  while ((rc = bench_list_next(list, len, &pos, &elem, &elen)) == 1) n++;
  if (rc < 0) return -1;
  if (n <= max) return 0;
  pos = 0;
  for (size_t skip = n - max; skip > 0; skip--) bench_list_next(list, len, &pos, &elem, &elen);
  return (int64_t)pos;
}
