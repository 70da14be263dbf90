/* block_handle.c - block handles, block trailers and the compressed-block envelope. */
#include "format/block_handle.h"

#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "base/crc32c.h"
#include "base/error.h"
#include "format/compress.h"

size_t st_block_handle_put(char *out, const st_block_handle *h) {
  size_t n = st_put_varint64(out, h->offset);
  return n + st_put_varint64(out + n, h->size);
}

const char *st_block_handle_get(const char *p, const char *limit, st_block_handle *h_out) {
  p = st_get_varint64(p, limit, &h_out->offset);
  if (p) p = st_get_varint64(p, limit, &h_out->size);
  if (!p) h_out->offset = h_out->size = 0;
  return p;
}

int st_block_handle_within(const st_block_handle *h, uint64_t end, uint64_t *next_out) {
  if (h->offset > end || h->size > end - h->offset || end - h->offset - h->size < ST_BLOCK_TRAILER) return 0;
  if (next_out) *next_out = h->offset + h->size + ST_BLOCK_TRAILER;
  return 1;
}

static uint32_t trailer_crc(const char *block, size_t n, char type) {
  uint32_t crc = st_crc32c_extend(0, block, n);
  return st_crc32c_mask(st_crc32c_extend(crc, &type, 1));
}

void st_block_trailer_put(char *out, const char *block, size_t n, int type) {
  out[0] = (char)type;
  st_put_fixed32(out + 1, trailer_crc(block, n, out[0]));
}

int st_block_trailer_check(const char *block, size_t n, const char *file, const char *what, uint64_t offset,
                           int *type_out) {
  const char *t = block + n;
  uint32_t want = trailer_crc(block, n, t[0]), got = st_get_fixed32(t + 1);
  *type_out = (unsigned char)t[0];
  if (want == got) return STRATA_OK;
  return st_error(STRATA_ECORRUPT, "%s: %s at offset %llu: expected checksum %08x, found %08x", file, what,
                  (unsigned long long)offset, want, got);
}

int st_block_compress(int codec, const char *raw, size_t n, char **out, size_t *out_len, int *type_out) {
  *out = NULL;
  *out_len = 0;
  *type_out = 0; /* STRATA_COMPRESSION_NONE */
  char *z;
  size_t zlen;
  int rc = st_compress(codec, raw, n, &z, &zlen);
  if (rc) return rc;
  size_t prefix = st_varint64_len(n);
  if (zlen > n || prefix + zlen > n - n / 8) {
    free(z); /* does not pay: store raw */
    return STRATA_OK;
  }
  char *buf = malloc(prefix + zlen);
  if (!buf) {
    free(z);
    return st_error(STRATA_ENOMEM, "compress: out of memory for %zu bytes", prefix + zlen);
  }
  st_put_varint64(buf, n);
  memcpy(buf + prefix, z, zlen);
  free(z);
  *out = buf;
  *out_len = prefix + zlen;
  *type_out = codec;
  return STRATA_OK;
}

int st_block_uncompress(int type, const char *stored, size_t n, const char *file, const char *what, uint64_t offset,
                        char **raw_out, size_t *raw_len_out) {
  *raw_out = NULL;
  *raw_len_out = 0;
  if (!st_compression_supported(type) || type == STRATA_COMPRESSION_NONE)
    return st_error(STRATA_ECORRUPT, "%s: %s at offset %llu: compression type %d is unknown to this build", file, what,
                    (unsigned long long)offset, type);
  uint64_t raw_len;
  const char *p = st_get_varint64(stored, stored + n, &raw_len);
  if (!p)
    return st_error(STRATA_ECORRUPT, "%s: %s at offset %llu: expected a varint uncompressed length, found %zu bytes",
                    file, what, (unsigned long long)offset, n);
  if (raw_len > ST_BLOCK_MAX_RAW)
    return st_error(STRATA_ECORRUPT, "%s: %s at offset %llu: expected an uncompressed length <= %zu, found %llu", file,
                    what, (unsigned long long)offset, ST_BLOCK_MAX_RAW, (unsigned long long)raw_len);
  int rc = st_decompress(type, p, (size_t)(stored + n - p), (size_t)raw_len, raw_out);
  if (rc == STRATA_ECORRUPT) {
    st_errsave s;
    st_error_save(&s);
    return st_error(rc, "%s: %s at offset %llu: %s", file, what, (unsigned long long)offset, s.msg);
  }
  if (rc) return rc;
  *raw_len_out = (size_t)raw_len;
  return STRATA_OK;
}
