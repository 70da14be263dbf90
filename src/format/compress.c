/*
 * compress.c - the LZ4 and zstd codecs behind st_compress/st_decompress;
 * each is present only when its library was found at build time.
 */
#include "format/compress.h"

#include <stdlib.h>

#include "base/error.h"
#include "strata.h"

#ifdef STRATA_HAVE_LZ4
#include <lz4.h>
#endif
#ifdef STRATA_HAVE_ZSTD
#include <zstd.h>
#endif

int st_compression_supported(int codec) {
  switch (codec) {
  case STRATA_COMPRESSION_NONE: return 1;
#ifdef STRATA_HAVE_LZ4
  case STRATA_COMPRESSION_LZ4: return 1;
#endif
#ifdef STRATA_HAVE_ZSTD
  case STRATA_COMPRESSION_ZSTD: return 1;
#endif
  default: return 0;
  }
}

int st_compress(int codec, const char *src, size_t n, char **dst_out, size_t *dlen_out) {
  *dst_out = NULL;
  *dlen_out = 0;
  switch (codec) {
#ifdef STRATA_HAVE_LZ4
  case STRATA_COMPRESSION_LZ4: {
    if (n > (size_t)LZ4_MAX_INPUT_SIZE) return st_error(STRATA_EINVAL, "lz4: block of %zu bytes is too large", n);
    int bound = LZ4_compressBound((int)n);
    char *dst = malloc((size_t)bound);
    if (!dst) return st_error(STRATA_ENOMEM, "lz4: out of memory");
    int got = LZ4_compress_default(src, dst, (int)n, bound);
    if (got <= 0) {
      free(dst);
      return st_error(STRATA_EINVAL, "lz4: compression failed");
    }
    *dst_out = dst;
    *dlen_out = (size_t)got;
    return STRATA_OK;
  }
#endif
#ifdef STRATA_HAVE_ZSTD
  case STRATA_COMPRESSION_ZSTD: {
    size_t bound = ZSTD_compressBound(n);
    char *dst = malloc(bound);
    if (!dst) return st_error(STRATA_ENOMEM, "zstd: out of memory");
    size_t got = ZSTD_compress(dst, bound, src, n, 1);
    if (ZSTD_isError(got)) {
      free(dst);
      return st_error(STRATA_EINVAL, "zstd: %s", ZSTD_getErrorName(got));
    }
    *dst_out = dst;
    *dlen_out = got;
    return STRATA_OK;
  }
#endif
  default:
    (void)src;
    (void)n;
    return st_error(STRATA_EINVAL, "compression %d is not available in this build", codec);
  }
}

int st_decompress(int codec, const char *src, size_t n, size_t raw_len, char **dst_out) {
  *dst_out = NULL;
  char *dst = malloc(raw_len ? raw_len : 1);
  if (!dst) return st_error(STRATA_ENOMEM, "decompress: out of memory for %zu bytes", raw_len);
  switch (codec) {
#ifdef STRATA_HAVE_LZ4
  case STRATA_COMPRESSION_LZ4: {
    if (n > (size_t)LZ4_MAX_INPUT_SIZE || raw_len > (size_t)LZ4_MAX_INPUT_SIZE) break;
    int got = LZ4_decompress_safe(src, dst, (int)n, (int)raw_len);
    if (got < 0 || (size_t)got != raw_len) break;
    *dst_out = dst;
    return STRATA_OK;
  }
#endif
#ifdef STRATA_HAVE_ZSTD
  case STRATA_COMPRESSION_ZSTD: {
    size_t got = ZSTD_decompress(dst, raw_len, src, n);
    if (ZSTD_isError(got) || got != raw_len) break;
    *dst_out = dst;
    return STRATA_OK;
  }
#endif
  default:
    free(dst);
    return st_error(STRATA_ECORRUPT, "block compressed with codec %d, which this build cannot read", codec);
  }
  free(dst);
  return st_error(STRATA_ECORRUPT, "block does not decompress to its recorded %zu bytes (codec %d)", raw_len, codec);
}
