/*
 * block_handle.h - how a block sits in a table file (docs/FORMAT.md,
 * "Blocks on disk"): a handle (varint offset, varint size) locates it, a
 * 5-byte trailer follows it (compression type, masked CRC-32C), and a
 * compressed block carries its uncompressed length as a varint prefix.
 * Pure functions; thread-safe.
 */
#ifndef STRATA_FORMAT_BLOCK_HANDLE_H
#define STRATA_FORMAT_BLOCK_HANDLE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes after every block: type (1) + fixed32 masked crc32c. */
#define ST_BLOCK_TRAILER 5
/* Longest encoding of a handle: two 10-byte varints. */
#define ST_BLOCK_HANDLE_MAX 20
/* Largest uncompressed block a reader accepts (1 GiB); a writer never
 * makes a bigger one. Bounds what a damaged length can make us allocate. */
#define ST_BLOCK_MAX_RAW ((size_t)1 << 30)

typedef struct st_block_handle {
  uint64_t offset; /* of the block's first byte in the file */
  uint64_t size;   /* stored bytes, trailer excluded */
} st_block_handle;

/* Encodes h at out (room for ST_BLOCK_HANDLE_MAX); returns bytes written. */
size_t st_block_handle_put(char *out, const st_block_handle *h);

/* Decodes a handle from [p, limit): the byte after it, or NULL when the
 * varints do not decode. */
const char *st_block_handle_get(const char *p, const char *limit, st_block_handle *h_out);

/* 1 when the block (h) and its trailer lie within [0, end) without
 * overflow, else 0. *next_out (may be NULL): the offset just after the
 * trailer. */
int st_block_handle_within(const st_block_handle *h, uint64_t end, uint64_t *next_out);

/* Writes the trailer of block[0, n) stored with compression type (a
 * STRATA_COMPRESSION_* value) at out (ST_BLOCK_TRAILER bytes). */
void st_block_trailer_put(char *out, const char *block, size_t n, int type);

/* Checks the trailer that follows block[0, n) (at block + n). STRATA_OK and
 * *type_out, or STRATA_ECORRUPT with a message naming file, what and
 * offset (the block's offset in the file) and the CRCs expected/found. */
int st_block_trailer_check(const char *block, size_t n, const char *file, const char *what, uint64_t offset,
                           int *type_out);

/*
 * Compresses raw[0, n) with codec for storage. When the codec saves at
 * least 1/8 of the bytes, *out is a malloc'ed payload (varint raw length |
 * codec output) of *out_len bytes and *type_out = codec; otherwise *out is
 * NULL and *type_out = STRATA_COMPRESSION_NONE (store raw). Errors:
 * STRATA_ENOMEM, STRATA_EINVAL (codec not in this build).
 */
int st_block_compress(int codec, const char *raw, size_t n, char **out, size_t *out_len, int *type_out);

/*
 * Undoes st_block_compress for a stored block of type != NONE: *raw_out is
 * a malloc'ed buffer of *raw_len_out bytes. A bad prefix, a length over
 * ST_BLOCK_MAX_RAW, an unknown type or a payload that does not decompress
 * to its length are STRATA_ECORRUPT (message names file, what, offset).
 */
int st_block_uncompress(int type, const char *stored, size_t n, const char *file, const char *what, uint64_t offset,
                        char **raw_out, size_t *raw_len_out);

#endif
