/*
 * batch_rep.h - the encoding of a write batch, which is also the payload of
 * one write-ahead-log record (docs/FORMAT.md, "Batch"):
 *   fixed64 first_seq | fixed32 count | count x record
 *   record = kind (1 byte) | varint key_len | key [| varint val_len | val]
 * Record i gets sequence number first_seq + i.
 */
#ifndef STRATA_FORMAT_BATCH_REP_H
#define STRATA_FORMAT_BATCH_REP_H

#include <stddef.h>
#include <stdint.h>

#include "base/coding.h"

#define ST_BATCH_HEADER 12

/* Size of one encoded record. */
size_t st_batch_record_len(unsigned kind, size_t klen, size_t vlen);

/* Encodes one record at out (st_batch_record_len bytes); returns its end. */
char *st_batch_record_put(char *out, unsigned kind, const void *key, size_t klen, const void *val, size_t vlen);

/* The same for a record whose value is head | val (st_batch_record_len of
 * hlen + vlen bytes): a typed value is a small head (a delta, a ts, an
 * element length) before the user's bytes, joined here with no copy. */
char *st_batch_record_put_parts(char *out, unsigned kind, const void *key, size_t klen, const void *head, size_t hlen,
                                const void *val, size_t vlen);

static inline uint64_t st_batch_seq(const char *rep) { return st_get_fixed64(rep); }
static inline uint32_t st_batch_count(const char *rep) { return st_get_fixed32(rep + 8); }
static inline void st_batch_set_header(char *rep, uint64_t seq, uint32_t count) {
  st_put_fixed64(rep, seq);
  st_put_fixed32(rep + 8, count);
}

/* Called for each record; a non-zero return stops the walk and is returned. */
typedef int (*st_batch_fn)(void *arg, uint64_t seq, unsigned kind, const char *key, size_t klen, const char *val,
                           size_t vlen);

/* Walks every record of rep[0, len), checking the framing: a short header,
 * a truncated record, an unsupported kind, a count that disagrees with the
 * records or trailing bytes are STRATA_ECORRUPT (with a message naming the
 * record). fn may be NULL to validate only. */
int st_batch_rep_walk(const char *rep, size_t len, st_batch_fn fn, void *arg);

#endif
