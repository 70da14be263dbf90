/* batch_rep.c - encode and validate-while-decoding batch records. */
#include "format/batch_rep.h"

#include <string.h>

#include "base/coding.h"
#include "base/error.h"
#include "format/kind.h"

size_t st_batch_record_len(unsigned kind, size_t klen, size_t vlen) {
  size_t n = 1 + st_varint64_len(klen) + klen;
  if (st_kind_has_value(kind)) n += st_varint64_len(vlen) + vlen;
  return n;
}

char *st_batch_record_put(char *out, unsigned kind, const void *key, size_t klen, const void *val, size_t vlen) {
  *out++ = (char)kind;
  out += st_put_varint64(out, klen);
  if (klen) memcpy(out, key, klen);
  out += klen;
  if (st_kind_has_value(kind)) {
    out += st_put_varint64(out, vlen);
    if (vlen) memcpy(out, val, vlen);
    out += vlen;
  }
  return out;
}

static const char *get_bytes(const char *p, const char *end, const char **data_out, size_t *len_out) {
  uint64_t n;
  p = st_get_varint64(p, end, &n);
  if (!p || n > (uint64_t)(end - p)) return NULL;
  *data_out = p;
  *len_out = (size_t)n;
  return p + n;
}

int st_batch_rep_walk(const char *rep, size_t len, st_batch_fn fn, void *arg) {
  if (len < ST_BATCH_HEADER)
    return st_error(STRATA_ECORRUPT, "batch: %zu bytes, shorter than the %d-byte header", len, ST_BATCH_HEADER);
  uint64_t seq = st_batch_seq(rep);
  uint32_t count = st_batch_count(rep);
  const char *p = rep + ST_BATCH_HEADER, *end = rep + len;
  uint32_t i;
  for (i = 0; p < end; i++) {
    unsigned kind = (unsigned char)*p++;
    const char *key, *val = NULL;
    size_t klen, vlen = 0;
    if (!st_kind_supported(kind))
      return st_error(STRATA_ECORRUPT, "batch: record %u has unknown kind %u", i, kind);
    p = get_bytes(p, end, &key, &klen);
    if (p && st_kind_has_value(kind)) p = get_bytes(p, end, &val, &vlen);
    if (!p) return st_error(STRATA_ECORRUPT, "batch: record %u is truncated", i);
    if (i >= count) return st_error(STRATA_ECORRUPT, "batch: more records than the count %u", count);
    if (fn) {
      int rc = fn(arg, seq + i, kind, key, klen, val, vlen);
      if (rc) return rc;
    }
  }
  if (i != count) return st_error(STRATA_ECORRUPT, "batch: %u records, header says %u", i, count);
  return STRATA_OK;
}
