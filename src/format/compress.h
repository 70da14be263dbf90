/*
 * compress.h - block compression codecs (docs/FORMAT.md, "Compression"):
 * LZ4 and zstd, each compiled in when its library was found at build time
 * (STRATA_HAVE_LZ4, STRATA_HAVE_ZSTD). Pure functions; thread-safe.
 */
#ifndef STRATA_FORMAT_COMPRESS_H
#define STRATA_FORMAT_COMPRESS_H

#include <stddef.h>

/* 1 when codec (STRATA_COMPRESSION_*) can be used by this build. */
int st_compression_supported(int codec);

/* Compresses src into a malloc'ed buffer. STRATA_ENOMEM, or STRATA_EINVAL
 * for an unsupported codec. */
int st_compress(int codec, const char *src, size_t n, char **dst_out, size_t *dlen_out);

/* Decompresses exactly raw_len bytes into a malloc'ed buffer; damaged input
 * or a size mismatch is STRATA_ECORRUPT. */
int st_decompress(int codec, const char *src, size_t n, size_t raw_len, char **dst_out);

#endif
