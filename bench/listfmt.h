/*
 * listfmt.h - the bytes of a list in the rival engines, which have no list
 * type: each element as a varint32 of its length and its bytes, oldest
 * first, concatenated (so an append is a concatenation and a list a run
 * of appends). These are the bytes strata_get returns for a strata list
 * (docs/FORMAT.md section 4.1), so every engine stores and returns the
 * same list; the strata engine still walks its lists with
 * strata_list_next.
 */
#ifndef STRATA_BENCH_LISTFMT_H
#define STRATA_BENCH_LISTFMT_H

#include <stddef.h>
#include <stdint.h>

/* Most bytes an element's length prefix takes. */
#define BENCH_LIST_PREFIX_MAX 5

/* Writes the length prefix of an element of elen bytes (elen < 2^32) at
 * out, which has room for BENCH_LIST_PREFIX_MAX bytes. Returns the bytes
 * written. */
size_t bench_list_prefix(char *out, size_t elen);

/* Writes the element elem[0..elen) (elen < 2^32) at out, which has room for
 * BENCH_LIST_PREFIX_MAX + elen bytes. Returns the bytes written. */
size_t bench_list_put(char *out, const char *elem, size_t elen);

/* Walks list[0..len): start with *pos = 0; returns 1 with the next element
 * in *elem_out / *elen_out (pointing into list), 0 at the end, -1 when the
 * bytes are not a list (a length running past the end, *pos beyond len). */
int bench_list_next(const char *list, size_t len, size_t *pos, const char **elem_out, size_t *elen_out);

/* The offset in list[0..len) where its newest max elements start (0 when
 * max is 0 or the list holds no more than max), or -1 when the bytes are
 * not a list. */
int64_t bench_list_cut(const char *list, size_t len, size_t max);

#endif
