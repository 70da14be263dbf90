/*
 * batch_rep.h - the encoding of a write batch, which is also the payload of
 * one write-ahead-log record (docs/FORMAT.md, "Batch"):
 *   header | count x record
 *   header = varint first_seq | varint count        (ST_BATCH_VARINT)
 *          | fixed64 first_seq | fixed32 count      (ST_BATCH_FIXED)
 *   record = kind (1 byte) | varint key_len | key [| varint val_len | val]
 * Record i gets sequence number first_seq + i. Batches are written with
 * the varint header; the fixed one, 12 bytes where a one-record batch's
 * varint header takes 2 to 5 (up to sequence number 2^28), is read in the
 * logs of earlier builds. A log record's type
 * (wal/wal_format.h) says which header its batch has: the formats' values
 * are the record types.
 */
#ifndef STRATA_FORMAT_BATCH_REP_H
#define STRATA_FORMAT_BATCH_REP_H

#include <stddef.h>
#include <stdint.h>

#include "base/coding.h"

#define ST_BATCH_FIXED 0
#define ST_BATCH_VARINT 1

#define ST_BATCH_FIXED_HEADER 12
/* The longest varint header: 8 bytes of a 56-bit sequence number and 5 of
 * a 32-bit count. */
#define ST_BATCH_HEADER_MAX 13

/* Size of one encoded record. */
size_t st_batch_record_len(unsigned kind, size_t klen, size_t vlen);

/* Encodes one record at out (st_batch_record_len bytes); returns its end. */
char *st_batch_record_put(char *out, unsigned kind, const void *key, size_t klen, const void *val, size_t vlen);

/* The same for a record whose value is head | val (st_batch_record_len of
 * hlen + vlen bytes): a typed value is a small head (a delta, a ts, an
 * element length) before the user's bytes, joined here with no copy. */
char *st_batch_record_put_parts(char *out, unsigned kind, const void *key, size_t klen, const void *head, size_t hlen,
                                const void *val, size_t vlen);

/* Writes a varint header (at most ST_BATCH_HEADER_MAX bytes) that ends
 * where records begin, and returns its start: a batch kept behind
 * ST_BATCH_HEADER_MAX bytes of room becomes whole with no copy. */
char *st_batch_header_put(char *records, uint64_t seq, uint32_t count);

/* Reads the header of rep[0, len) in the given format; *hlen_out is its
 * length. STRATA_ECORRUPT (with a message) when it does not decode. */
int st_batch_header_get(const char *rep, size_t len, int format, uint64_t *seq_out, uint32_t *count_out,
                        size_t *hlen_out);

/* Checks that the batch rep[0, len) follows a batch whose last sequence
 * number was *last: its first is greater, and its last fits in
 * ST_SEQ_MAX. Then *last becomes its last (unchanged for an empty batch).
 * STRATA_ECORRUPT (with a message) when it does not follow, or its header
 * does not decode. Recovery and strata_verify both use it, so that verify
 * reports the logs that open would refuse. */
int st_batch_check_follows(const char *rep, size_t len, int format, uint64_t *last);

/* Called for each record; a non-zero return stops the walk and is returned. */
typedef int (*st_batch_fn)(void *arg, uint64_t seq, unsigned kind, const char *key, size_t klen, const char *val,
                           size_t vlen);

/* Walks every record of rep[0, len), whose header has the given format,
 * checking the framing: a header that does not decode, a truncated record,
 * an unsupported kind, a count that disagrees with the records or trailing
 * bytes are STRATA_ECORRUPT (with a message naming the record). fn may be
 * NULL to validate only. */
int st_batch_rep_walk(const char *rep, size_t len, int format, st_batch_fn fn, void *arg);

#endif
