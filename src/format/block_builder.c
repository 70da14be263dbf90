/* block_builder.c - prefix compression against the previous key, restart points. */
#include "format/block_builder.h"

#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "base/error.h"
#include "format/block_handle.h"

void st_block_builder_init(st_block_builder *b, int restart_interval) {
  memset(b, 0, sizeof *b);
  b->restart_interval = restart_interval < 1 ? 1 : restart_interval;
}

void st_block_builder_destroy(st_block_builder *b) {
  free(b->buf);
  free(b->restarts);
  free(b->last);
  memset(b, 0, sizeof *b);
}

void st_block_builder_reset(st_block_builder *b) {
  b->len = 0;
  b->nrestarts = 0;
  b->counter = 0;
  b->last_len = 0;
  b->entries = 0;
  b->finished = 0;
}

static int grow(char **p, size_t *cap, size_t need) {
  if (need <= *cap) return 1;
  size_t c = *cap ? *cap : 256;
  while (c < need) c *= 2;
  char *n = realloc(*p, c);
  if (!n) return 0;
  *p = n;
  *cap = c;
  return 1;
}

int st_block_builder_add(st_block_builder *b, const char *key, size_t klen, const char *val, size_t vlen) {
  size_t shared = 0;
  int restart = b->counter >= b->restart_interval || b->entries == 0;
  if (!restart) {
    size_t n = klen < b->last_len ? klen : b->last_len;
    while (shared < n && key[shared] == b->last[shared]) shared++;
  }
  size_t non_shared = klen - shared;
  size_t need = st_varint64_len(shared) + st_varint64_len(non_shared) + st_varint64_len(vlen) + non_shared + vlen;
  /* The restart array is a fixed32 per restart and offsets are fixed32. */
  if (klen > ST_BLOCK_MAX_RAW || vlen > ST_BLOCK_MAX_RAW || need > ST_BLOCK_MAX_RAW - st_block_builder_size(b) - 4)
    return st_error(STRATA_EINVAL, "block: entry of %zu + %zu bytes would make a block over %zu bytes", klen, vlen,
                    ST_BLOCK_MAX_RAW);
  if (!grow(&b->buf, &b->cap, b->len + need) || !grow(&b->last, &b->last_cap, klen ? klen : 1))
    return st_error(STRATA_ENOMEM, "block: out of memory for %zu bytes", b->len + need);
  if (restart && b->nrestarts == b->cap_restarts) {
    size_t c = b->cap_restarts ? 2 * b->cap_restarts : 16;
    uint32_t *r = realloc(b->restarts, c * sizeof *r);
    if (!r) return st_error(STRATA_ENOMEM, "block: out of memory for restart points");
    b->restarts = r;
    b->cap_restarts = c;
  }
  if (restart) {
    b->restarts[b->nrestarts++] = (uint32_t)b->len;
    b->counter = 0;
  }
  char *p = b->buf + b->len;
  p += st_put_varint64(p, shared);
  p += st_put_varint64(p, non_shared);
  p += st_put_varint64(p, vlen);
  if (non_shared) memcpy(p, key + shared, non_shared);
  p += non_shared;
  if (vlen) memcpy(p, val, vlen);
  b->len += need;
  if (non_shared) memcpy(b->last + shared, key + shared, non_shared);
  b->last_len = klen;
  b->counter++;
  b->entries++;
  return STRATA_OK;
}

int st_block_builder_finish(st_block_builder *b, const char **data_out, size_t *len_out) {
  if (!b->finished) {
    size_t total = st_block_builder_size(b);
    if (!grow(&b->buf, &b->cap, total)) {
      *data_out = NULL;
      *len_out = 0;
      return st_error(STRATA_ENOMEM, "block: out of memory for %zu bytes", total);
    }
    for (size_t i = 0; i < b->nrestarts; i++) st_put_fixed32(b->buf + b->len + 4 * i, b->restarts[i]);
    st_put_fixed32(b->buf + b->len + 4 * b->nrestarts, (uint32_t)b->nrestarts);
    b->len = total;
    b->finished = 1;
  }
  *data_out = b->buf;
  *len_out = b->len;
  return STRATA_OK;
}
