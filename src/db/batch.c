/* batch.c - building write batches (the public strata_batch_* functions). */
#include "db/batch.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "format/batch_rep.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "format/range_del.h"
#include "format/typed_value.h"

#define INITIAL_CAP 128

int st_batch_init(strata_batch *b) {
  memset(b, 0, sizeof *b);
  b->buf = malloc(INITIAL_CAP);
  if (!b->buf) return st_error(STRATA_ENOMEM, "batch: out of memory");
  b->cap = INITIAL_CAP;
  b->len = ST_BATCH_ROOM;
  return STRATA_OK;
}

void st_batch_destroy(strata_batch *b) {
  free(b->buf);
  b->buf = NULL;
}

static int reserve(strata_batch *b, size_t more) {
  if (more > SIZE_MAX / 2 - b->len) return st_error(STRATA_ENOMEM, "batch: too large");
  if (b->len + more <= b->cap) return STRATA_OK;
  size_t cap = b->cap * 2;
  while (cap < b->len + more) cap *= 2;
  char *nb = realloc(b->buf, cap);
  if (!nb) return st_error(STRATA_ENOMEM, "batch: out of memory growing to %zu bytes", cap);
  b->buf = nb;
  b->cap = cap;
  return STRATA_OK;
}

int st_batch_add_parts(strata_batch *b, unsigned kind, const void *key, size_t klen, const void *head, size_t hlen,
                       const void *val, size_t vlen) {
  if (b->count == UINT32_MAX) return st_error(STRATA_EINVAL, "batch: full (%u records)", b->count);
  size_t n = st_batch_record_len(kind, klen, hlen + vlen);
  int rc = reserve(b, n);
  if (rc) return rc;
  st_batch_record_put_parts(b->buf + b->len, kind, key, klen, head, hlen, val, vlen);
  b->len += n;
  b->count++;
  if (klen > b->max_klen) b->max_klen = klen;
  if (vlen > b->max_vlen) b->max_vlen = vlen;
  b->user_bytes += klen + hlen + vlen;
  return STRATA_OK;
}

int st_batch_add(strata_batch *b, unsigned kind, const void *key, size_t klen, const void *val, size_t vlen) {
  return st_batch_add_parts(b, kind, key, klen, NULL, 0, val, vlen);
}

size_t st_batch_typed_head(unsigned kind, char head[16], int64_t delta, uint64_t ts, size_t elen) {
  switch (kind) {
    case ST_KIND_ADD: st_counter_encode(head, delta); return ST_COUNTER_BYTES;
    case ST_KIND_LATEST: st_put_fixed64(head, ts); return ST_LATEST_TS_BYTES;
    case ST_KIND_APPEND: return st_list_put_header(head, elen);
    default: return 0;
  }
}

int st_batch_append_batch(strata_batch *dst, const strata_batch *src) {
  if (src->count > UINT32_MAX - dst->count) return st_error(STRATA_ENOMEM, "batch: group too large");
  size_t n = st_batch_records_len(src);
  int rc = reserve(dst, n);
  if (rc) return rc;
  memcpy(dst->buf + dst->len, src->buf + ST_BATCH_ROOM, n);
  dst->len += n;
  dst->count += src->count;
  if (src->max_klen > dst->max_klen) dst->max_klen = src->max_klen;
  if (src->max_vlen > dst->max_vlen) dst->max_vlen = src->max_vlen;
  dst->user_bytes += src->user_bytes;
  return STRATA_OK;
}

strata_batch *strata_batch_new(void) {
  strata_batch *b = malloc(sizeof *b);
  if (!b) return NULL;
  if (st_batch_init(b)) {
    free(b);
    return NULL;
  }
  return b;
}

void strata_batch_free(strata_batch *b) {
  if (!b) return;
  st_batch_destroy(b);
  free(b);
}

void strata_batch_clear(strata_batch *b) {
  if (!b) return;
  b->len = ST_BATCH_ROOM;
  b->count = 0;
  b->max_klen = b->max_vlen = 0;
  b->user_bytes = 0;
}

/* Keys and values may be NULL only when empty, and no longer than a log
 * record can hold (the open database's own limits are checked at write,
 * they are far lower by default). */
static int check_bytes(const void *p, size_t n) { return (p == NULL && n != 0) || n > ST_WAL_MAX_PAYLOAD; }

int strata_batch_put(strata_batch *b, const void *key, size_t klen, const void *val, size_t vlen) {
  if (!b || check_bytes(key, klen) || check_bytes(val, vlen))
    return st_error(STRATA_EINVAL, "strata_batch_put: NULL batch, NULL pointer with a non-zero length, or over 4 GiB");
  return st_batch_add(b, ST_KIND_PUT, key, klen, val, vlen);
}

int strata_batch_delete(strata_batch *b, const void *key, size_t klen) {
  if (!b || check_bytes(key, klen))
    return st_error(STRATA_EINVAL, "strata_batch_delete: NULL batch, NULL key with a non-zero length, or over 4 GiB");
  return st_batch_add(b, ST_KIND_DELETE, key, klen, NULL, 0);
}

int strata_batch_add(strata_batch *b, const void *key, size_t klen, int64_t delta) {
  char head[16];
  if (!b || check_bytes(key, klen))
    return st_error(STRATA_EINVAL, "strata_batch_add: NULL batch, NULL key with a non-zero length, or over 4 GiB");
  size_t hlen = st_batch_typed_head(ST_KIND_ADD, head, delta, 0, 0);
  return st_batch_add_parts(b, ST_KIND_ADD, key, klen, head, hlen, NULL, 0);
}

int strata_batch_put_latest(strata_batch *b, const void *key, size_t klen, const void *val, size_t vlen, uint64_t ts) {
  char head[16];
  if (!b || check_bytes(key, klen) || check_bytes(val, vlen))
    return st_error(STRATA_EINVAL,
                    "strata_batch_put_latest: NULL batch, NULL pointer with a non-zero length, or over 4 GiB");
  size_t hlen = st_batch_typed_head(ST_KIND_LATEST, head, 0, ts, 0);
  return st_batch_add_parts(b, ST_KIND_LATEST, key, klen, head, hlen, val, vlen);
}

int strata_batch_append(strata_batch *b, const void *key, size_t klen, const void *elem, size_t elen) {
  char head[16];
  if (!b || check_bytes(key, klen) || check_bytes(elem, elen))
    return st_error(STRATA_EINVAL,
                    "strata_batch_append: NULL batch, NULL pointer with a non-zero length, or over 4 GiB");
  size_t hlen = st_batch_typed_head(ST_KIND_APPEND, head, 0, 0, elen);
  return st_batch_add_parts(b, ST_KIND_APPEND, key, klen, head, hlen, elem, elen);
}

int st_batch_add_range(strata_batch *b, const void *begin, size_t blen, const void *end, size_t elen, const char *who) {
  if (!b || check_bytes(begin, blen) || check_bytes(end, elen))
    return st_error(STRATA_EINVAL, "%s: NULL batch, NULL bound with a non-zero length, or over 4 GiB", who);
  int open = end == NULL;
  if (!open) {
    int c = st_ukey_compare(begin, blen, end, elen);
    if (c > 0) return st_error(STRATA_EINVAL, "%s: begin sorts after end (a reversed range)", who);
    if (c == 0) return STRATA_OK; /* an empty range: nothing to write */
  }
  char flag[1];
  st_range_end_put(flag, NULL, 0, open);
  size_t max_vlen = b->max_vlen;
  int rc = st_batch_add_parts(b, ST_KIND_RANGE_DELETE, begin, blen, flag, 1, end, elen);
  /* The end is a key, not a value, for the limits. */
  b->max_vlen = max_vlen;
  if (!rc && elen > b->max_klen) b->max_klen = elen;
  return rc;
}

int strata_batch_delete_range(strata_batch *b, const void *begin, size_t blen, const void *end, size_t elen) {
  return st_batch_add_range(b, begin, blen, end, elen, "strata_batch_delete_range");
}
