/*
 * typed_value.h - the values of typed fragments (docs/FORMAT.md, "Typed
 * values"), shared by batches, memtables and tables:
 *   ADD, COUNTER          fixed64 int64 (two's complement)
 *   LATEST, LATEST_BASE   fixed64 ts | the user's value
 *   APPEND, LIST          a list: element* where element = varint32 len | bytes
 * A fresh APPEND holds one element; a collapsed one holds several, oldest
 * first. Pure functions: thread-safe.
 */
#ifndef STRATA_FORMAT_TYPED_VALUE_H
#define STRATA_FORMAT_TYPED_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "base/coding.h"

#define ST_COUNTER_BYTES 8
#define ST_LATEST_TS_BYTES 8
/* The longest element header (a varint32). */
#define ST_LIST_ELEMENT_HEADER_MAX 5

static inline void st_counter_encode(char *p, int64_t v) { st_put_fixed64(p, (uint64_t)v); }
static inline int64_t st_counter_decode(const char *p) { return (int64_t)st_get_fixed64(p); }

/* Walks a list: *pos = 0 first; 1 with the next element, 0 at the end,
 * -1 when the bytes at *pos are not an element (a length that runs past
 * len, or a varint over 32 bits). */
int st_list_next(const char *list, size_t len, size_t *pos, const char **elem_out, size_t *elen_out);

/* Counts the elements of a list into *n_out; -1 when malformed. */
int st_list_count(const char *list, size_t len, uint64_t *n_out);

/* Bytes of the element header for an element of elen bytes. */
static inline size_t st_list_header_len(size_t elen) { return st_varint64_len(elen); }

/* Writes the header of an elen-byte element at p; returns its length. */
static inline size_t st_list_put_header(char *p, size_t elen) { return st_put_varint64(p, elen); }

#endif
