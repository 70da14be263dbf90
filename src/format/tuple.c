/*
 * tuple.c - tuple keys: composite keys whose bytewise order is the order of
 * their elements (byte strings, u64, i64, each ascending or descending),
 * the parser that walks them, and strata_prefix_end. The encoding is
 * docs/FORMAT.md section 11; it is frozen like every other format.
 */
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

/* Element tags (frozen). */
#define TAG_BYTES 0x10
#define TAG_BYTES_DESC 0x11
#define TAG_U64 0x20
#define TAG_U64_DESC 0x21
#define TAG_I64 0x28
#define TAG_I64_DESC 0x29

#define TUPLE_DEFAULT_MAX_LEN 65536
#define INT_ELEMENT_BYTES 9 /* tag + 8 bytes */

void strata_tuple_init(strata_tuple *t) {
  if (!t) return;
  t->data = NULL;
  t->len = 0;
  t->cap = 0;
  t->max_len = TUPLE_DEFAULT_MAX_LEN;
}

void strata_tuple_clear(strata_tuple *t) {
  if (t) t->len = 0;
}

void strata_tuple_free(strata_tuple *t) {
  if (!t) return;
  free(t->data);
  t->data = NULL;
  t->len = 0;
  t->cap = 0;
}

/* Makes room for need more bytes at the end of t, or fails leaving t as it
 * was: STRATA_EINVAL when len + need would pass max_len, STRATA_ENOMEM. */
static int reserve(strata_tuple *t, size_t need, const char *who) {
  if (t->len > t->max_len || need > t->max_len - t->len)
    return st_error(STRATA_EINVAL, "%s: the tuple would pass its max_len of %zu bytes (%zu bytes now, %zu more)", who,
                    t->max_len, t->len, need);
  size_t want = t->len + need;
  if (want <= t->cap) return STRATA_OK;
  /* Doubling keeps a run of adds linear; max_len bounds want, not cap. */
  size_t cap = t->cap < 64 ? 64 : t->cap;
  while (cap < want) cap = cap > SIZE_MAX / 2 ? want : 2 * cap;
  unsigned char *p = realloc(t->data, cap);
  if (!p) return st_error(STRATA_ENOMEM, "%s: out of memory growing the tuple to %zu bytes", who, cap);
  t->data = p;
  t->cap = cap;
  return STRATA_OK;
}

static void put_be64(unsigned char *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (unsigned char)v;
}

static uint64_t get_be64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | p[i];
  return v;
}

static int add_int(strata_tuple *t, unsigned tag, uint64_t big_endian_value, const char *who) {
  if (!t) return st_error(STRATA_EINVAL, "%s: NULL tuple", who);
  int rc = reserve(t, INT_ELEMENT_BYTES, who);
  if (rc) return rc;
  t->data[t->len] = (unsigned char)tag;
  put_be64(t->data + t->len + 1, big_endian_value);
  t->len += INT_ELEMENT_BYTES;
  return STRATA_OK;
}

/* Flipping the sign bit maps INT64_MIN..INT64_MAX onto 0..UINT64_MAX in
 * order, so the unsigned big-endian bytes sort as the signed values. */
static uint64_t i64_key(int64_t v) { return (uint64_t)v ^ (UINT64_C(1) << 63); }

int strata_tuple_add_u64(strata_tuple *t, uint64_t v) { return add_int(t, TAG_U64, v, "strata_tuple_add_u64"); }
int strata_tuple_add_u64_desc(strata_tuple *t, uint64_t v) {
  return add_int(t, TAG_U64_DESC, ~v, "strata_tuple_add_u64_desc");
}
int strata_tuple_add_i64(strata_tuple *t, int64_t v) { return add_int(t, TAG_I64, i64_key(v), "strata_tuple_add_i64"); }
int strata_tuple_add_i64_desc(strata_tuple *t, int64_t v) {
  return add_int(t, TAG_I64_DESC, ~i64_key(v), "strata_tuple_add_i64_desc");
}

/* Ascending: 0x00 -> 00 ff, others as they are, terminator 00 01.
 * Descending: 0x00 -> ff 00, others complemented, terminator ff ff.
 * Two-byte terminators keep the escapes out of a partition's prefix:
 * "a" ends 00 01 where "a\0" goes on 00 ff, so the keys of a tuple prefix
 * are exactly the keys that start with its bytes. */
static int add_bytes(strata_tuple *t, const void *s, size_t n, int desc, const char *who) {
  if (!t) return st_error(STRATA_EINVAL, "%s: NULL tuple", who);
  if (!s && n) return st_error(STRATA_EINVAL, "%s: NULL bytes with a non-zero length", who);
  const unsigned char *p = s;
  size_t zeros = 0, extra = 3; /* tag and terminator */
  /* Escapes are counted only when the bytes alone fit: past that, reserve
   * fails anyway. */
  if (t->len <= t->max_len && n <= t->max_len - t->len)
    for (size_t i = 0; i < n; i++) zeros += p[i] == 0;
  size_t need = SIZE_MAX; /* saturated: reserve refuses it */
  if (zeros <= SIZE_MAX - extra && n <= SIZE_MAX - extra - zeros) need = n + zeros + extra;
  /* The bytes may lie in t's own buffer, which reserve may move. */
  uintptr_t from = (uintptr_t)p, base = (uintptr_t)t->data;
  int inside = t->data && from >= base && from < base + t->cap;
  int rc = reserve(t, need, who);
  if (rc) return rc;
  if (inside) p = t->data + (from - base);
  unsigned char *o = t->data + t->len;
  *o++ = desc ? TAG_BYTES_DESC : TAG_BYTES;
  for (size_t i = 0; i < n; i++) {
    if (p[i] != 0) {
      *o++ = desc ? (unsigned char)~p[i] : p[i];
    } else {
      *o++ = desc ? 0xff : 0x00;
      *o++ = desc ? 0x00 : 0xff;
    }
  }
  *o++ = desc ? 0xff : 0x00;
  *o++ = desc ? 0xff : 0x01;
  t->len = (size_t)(o - t->data);
  return STRATA_OK;
}

int strata_tuple_add_bytes(strata_tuple *t, const void *s, size_t n) {
  return add_bytes(t, s, n, 0, "strata_tuple_add_bytes");
}
int strata_tuple_add_bytes_desc(strata_tuple *t, const void *s, size_t n) {
  return add_bytes(t, s, n, 1, "strata_tuple_add_bytes_desc");
}

/* ---- parsing ------------------------------------------------------------ */

/* The string element whose tag is at k[at]: decodes it into buf (as much
 * as fits cap) and sets *end_out past its terminator. */
static int parse_bytes(const unsigned char *k, size_t klen, size_t at, int desc, strata_tuple_elem *e,
                       unsigned char *buf, size_t cap, size_t *end_out) {
  size_t i = at + 1, n = 0;
  for (;;) {
    if (i >= klen)
      return st_error(STRATA_EINVAL, "strata_tuple_next: %s byte string at offset %zu is cut off at offset %zu",
                      desc ? "descending" : "ascending", at, klen);
    unsigned b = k[i], c;
    if (!desc) {
      if (b != 0x00) {
        c = b;
        i++;
      } else if (i + 1 >= klen) {
        return st_error(STRATA_EINVAL,
                        "strata_tuple_next: ascending byte string at offset %zu is cut off after 00 at offset %zu",
                        at, i);
      } else if (k[i + 1] == 0xff) {
        c = 0x00;
        i += 2;
      } else if (k[i + 1] == 0x01) {
        i += 2;
        break; /* the terminator */
      } else {
        return st_error(STRATA_EINVAL,
                        "strata_tuple_next: ascending byte string at offset %zu has the bad escape 00 %02x at "
                        "offset %zu (00 ff or 00 01 expected)",
                        at, k[i + 1], i);
      }
    } else {
      if (b != 0xff) {
        c = ~b & 0xffu;
        i++;
      } else if (i + 1 >= klen) {
        return st_error(STRATA_EINVAL,
                        "strata_tuple_next: descending byte string at offset %zu is cut off after 0xff at offset %zu",
                        at, i);
      } else if (k[i + 1] == 0x00) {
        c = 0x00;
        i += 2;
      } else if (k[i + 1] == 0xff) {
        i += 2;
        break; /* the terminator */
      } else {
        return st_error(STRATA_EINVAL,
                        "strata_tuple_next: descending byte string at offset %zu has the bad escape ff %02x at "
                        "offset %zu (ff 00 or ff ff expected)",
                        at, k[i + 1], i);
      }
    }
    if (n < cap) buf[n] = (unsigned char)c;
    n++;
  }
  if (n > cap)
    return st_error(STRATA_EINVAL,
                    "strata_tuple_next: the byte string at offset %zu decodes to %zu bytes, buf holds %zu", at, n, cap);
  e->type = STRATA_TUPLE_BYTES;
  e->desc = desc;
  e->len = n;
  *end_out = i;
  return STRATA_OK;
}

int strata_tuple_next(const void *key, size_t klen, size_t *pos, strata_tuple_elem *e, void *buf, size_t cap) {
  if (e) memset(e, 0, sizeof *e);
  if ((!key && klen) || !pos || !e || (!buf && cap))
    return st_error(STRATA_EINVAL, "strata_tuple_next: NULL key, pos, element or buf");
  if (*pos > klen)
    return st_error(STRATA_EINVAL, "strata_tuple_next: position %zu is past the key's %zu bytes", *pos, klen);
  if (*pos == klen) return 0;
  const unsigned char *k = key;
  size_t at = *pos, end = at;
  unsigned tag = k[at];
  switch (tag) {
    case TAG_BYTES:
    case TAG_BYTES_DESC: {
      int rc = parse_bytes(k, klen, at, tag == TAG_BYTES_DESC, e, buf, cap, &end);
      if (rc) return rc;
      break;
    }
    case TAG_U64:
    case TAG_U64_DESC:
    case TAG_I64:
    case TAG_I64_DESC: {
      if (klen - at < INT_ELEMENT_BYTES)
        return st_error(STRATA_EINVAL, "strata_tuple_next: %s element at offset %zu is cut off: %zu of 8 bytes",
                        tag < TAG_I64 ? "u64" : "i64", at, klen - at - 1);
      int desc = tag & 1;
      uint64_t v = get_be64(k + at + 1);
      if (desc) v = ~v;
      e->desc = desc;
      if (tag < TAG_I64) {
        e->type = STRATA_TUPLE_U64;
        e->u = v;
      } else {
        /* Undo the sign flip; the cast of a uint64 above INT64_MAX is
         * implementation-defined in C11, so go through the two halves. */
        uint64_t x = v ^ (UINT64_C(1) << 63);
        e->type = STRATA_TUPLE_I64;
        e->i = x <= INT64_MAX ? (int64_t)x : -(int64_t)(UINT64_MAX - x) - 1;
      }
      end = at + INT_ELEMENT_BYTES;
      break;
    }
    default:
      return st_error(STRATA_EINVAL,
                      "strata_tuple_next: unknown element type 0x%02x at offset %zu (0x10, 0x11, 0x20, 0x21, 0x28 or "
                      "0x29 expected)",
                      tag, at);
  }
  *pos = end;
  return 1;
}

/* ---- prefix ranges ------------------------------------------------------ */

int strata_prefix_end(const void *prefix, size_t plen, void *end_out, size_t *elen_out) {
  if (elen_out) *elen_out = 0;
  if (!elen_out || (plen && (!prefix || !end_out)))
    return st_error(STRATA_EINVAL, "strata_prefix_end: NULL prefix, end or length output");
  const unsigned char *p = prefix;
  size_t n = plen;
  while (n > 0 && p[n - 1] == 0xff) n--;
  if (n == 0) return 0;
  unsigned char last = (unsigned char)(p[n - 1] + 1);
  /* memmove: end_out may be prefix itself. */
  memmove(end_out, prefix, n - 1);
  ((unsigned char *)end_out)[n - 1] = last;
  *elen_out = n;
  return 1;
}
