/* batch_rep.c - encode and validate-while-decoding batch records. */
#include "format/batch_rep.h"

#include <string.h>

#include "base/coding.h"
#include "base/error.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "format/range_del.h"
#include "format/typed_value.h"

size_t st_batch_record_len(unsigned kind, size_t klen, size_t vlen) {
  size_t n = 1 + st_varint64_len(klen) + klen;
  if (st_kind_has_value(kind)) n += st_varint64_len(vlen) + vlen;
  return n;
}

char *st_batch_record_put_parts(char *out, unsigned kind, const void *key, size_t klen, const void *head, size_t hlen,
                                const void *val, size_t vlen) {
  *out++ = (char)kind;
  out += st_put_varint64(out, klen);
  if (klen) memcpy(out, key, klen);
  out += klen;
  if (st_kind_has_value(kind)) {
    out += st_put_varint64(out, hlen + vlen);
    if (hlen) memcpy(out, head, hlen);
    out += hlen;
    if (vlen) memcpy(out, val, vlen);
    out += vlen;
  }
  return out;
}

char *st_batch_record_put(char *out, unsigned kind, const void *key, size_t klen, const void *val, size_t vlen) {
  return st_batch_record_put_parts(out, kind, key, klen, NULL, 0, val, vlen);
}

static const char *get_bytes(const char *p, const char *end, const char **data_out, size_t *len_out) {
  uint64_t n;
  p = st_get_varint64(p, end, &n);
  if (!p || n > (uint64_t)(end - p)) return NULL;
  *data_out = p;
  *len_out = (size_t)n;
  return p + n;
}

/* The value of a typed record: an 8-byte delta, a ts and a value, or a
 * list of exactly one element; a range delete's end, after its begin. */
static int typed_value_ok(unsigned kind, const char *key, size_t klen, const char *val, size_t vlen) {
  uint64_t n;
  const char *end;
  size_t elen;
  int open;
  switch (kind) {
    case ST_KIND_RANGE_DELETE:
      return st_range_end_get(val, vlen, &end, &elen, &open) == 0 &&
             (open || st_ukey_compare(key, klen, end, elen) < 0);
    case ST_KIND_ADD: return vlen == ST_COUNTER_BYTES;
    case ST_KIND_LATEST: return vlen >= ST_LATEST_TS_BYTES;
    case ST_KIND_APPEND: return st_list_count(val, vlen, &n) == 0 && n == 1;
    default: return 1;
  }
}

char *st_batch_header_put(char *records, uint64_t seq, uint32_t count) {
  size_t slen = st_varint64_len(seq), clen = st_varint64_len(count);
  char *start = records - slen - clen;
  st_put_varint64(start, seq);
  st_put_varint64(start + slen, count);
  return start;
}

int st_batch_header_get(const char *rep, size_t len, int format, uint64_t *seq_out, uint32_t *count_out,
                        size_t *hlen_out) {
  if (format == ST_BATCH_FIXED) {
    if (len < ST_BATCH_FIXED_HEADER)
      return st_error(STRATA_ECORRUPT, "batch: %zu bytes, shorter than the %d-byte header", len,
                      ST_BATCH_FIXED_HEADER);
    *seq_out = st_get_fixed64(rep);
    *count_out = st_get_fixed32(rep + 8);
    *hlen_out = ST_BATCH_FIXED_HEADER;
    return STRATA_OK;
  }
  uint64_t count;
  const char *p = st_get_varint64(rep, rep + len, seq_out);
  if (p) p = st_get_varint64(p, rep + len, &count);
  if (!p || count > UINT32_MAX)
    return st_error(STRATA_ECORRUPT, "batch: the header of a %zu-byte batch does not decode", len);
  *count_out = (uint32_t)count;
  *hlen_out = (size_t)(p - rep);
  return STRATA_OK;
}

int st_batch_check_follows(const char *rep, size_t len, int format, uint64_t *last) {
  uint64_t first;
  uint32_t count;
  size_t hlen;
  int rc = st_batch_header_get(rep, len, format, &first, &count, &hlen);
  if (rc) return rc;
  if (first <= *last || first > ST_SEQ_MAX || count > ST_SEQ_MAX - first + 1)
    return st_error(STRATA_ECORRUPT, "batch: sequence %llu (+%llu) does not follow %llu", (unsigned long long)first,
                    (unsigned long long)count, (unsigned long long)*last);
  if (count) *last = first + count - 1;
  return STRATA_OK;
}

int st_batch_rep_walk(const char *rep, size_t len, int format, st_batch_fn fn, void *arg) {
  uint64_t seq;
  uint32_t count;
  size_t hlen;
  int rc = st_batch_header_get(rep, len, format, &seq, &count, &hlen);
  if (rc) return rc;
  const char *p = rep + hlen, *end = rep + len;
  uint32_t i;
  for (i = 0; p < end; i++) {
    unsigned kind = (unsigned char)*p++;
    const char *key, *val = NULL;
    size_t klen, vlen = 0;
    if (!st_kind_in_batch(kind)) return st_error(STRATA_ECORRUPT, "batch: record %u has unknown kind %u", i, kind);
    p = get_bytes(p, end, &key, &klen);
    if (p && st_kind_has_value(kind)) p = get_bytes(p, end, &val, &vlen);
    if (!p) return st_error(STRATA_ECORRUPT, "batch: record %u is truncated", i);
    if (!typed_value_ok(kind, key, klen, val, vlen))
      return st_error(STRATA_ECORRUPT, "batch: record %u of kind %u has a malformed %zu-byte value", i, kind, vlen);
    if (i >= count) return st_error(STRATA_ECORRUPT, "batch: more records than the count %u", count);
    if (fn && (rc = fn(arg, seq + i, kind, key, klen, val, vlen)) != 0) return rc;
  }
  if (i != count) return st_error(STRATA_ECORRUPT, "batch: %u records, header says %u", i, count);
  return STRATA_OK;
}
