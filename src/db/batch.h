/*
 * batch.h - the inside of strata_batch: the records of a batch encoding
 * (format/batch_rep.h) kept behind ST_BATCH_ROOM bytes of room, so that the
 * write path can put the header, whose length depends on the sequence
 * number it gets, and the log record's framing before them without copying.
 */
#ifndef STRATA_DB_BATCH_H
#define STRATA_DB_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "format/batch_rep.h"
#include "strata.h"
#include "wal/wal_format.h"

#define ST_BATCH_ROOM (ST_WAL_HEADER + ST_BATCH_HEADER_MAX)

struct strata_batch {
  char *buf;       /* ST_BATCH_ROOM bytes of room, then the records */
  size_t len;      /* bytes of buf in use, room included */
  size_t cap;
  uint32_t count;  /* records */
  size_t max_klen; /* longest key and value, checked against the db limits */
  size_t max_vlen;
  uint64_t user_bytes; /* key and value bytes of all records (statistics) */
};

/* The records and their length. */
static inline char *st_batch_records(strata_batch *b) { return b->buf + ST_BATCH_ROOM; }
static inline size_t st_batch_records_len(const strata_batch *b) { return b->len - ST_BATCH_ROOM; }

/* Initializes an embedded batch (strata_batch_new allocates one). */
int st_batch_init(strata_batch *b);
void st_batch_destroy(strata_batch *b);

/* Appends one record. STRATA_ENOMEM leaves b unchanged. */
int st_batch_add(strata_batch *b, unsigned kind, const void *key, size_t klen, const void *val, size_t vlen);

/* Appends one record whose value is head | val; the value limits apply to
 * val, the user's part. */
int st_batch_add_parts(strata_batch *b, unsigned kind, const void *key, size_t klen, const void *head, size_t hlen,
                       const void *val, size_t vlen);

/* The head of a typed record's value (format/typed_value.h) for the
 * user's arguments: a delta, a ts, or an element's length. Returns hlen. */
size_t st_batch_typed_head(unsigned kind, char head[16], int64_t delta, uint64_t ts, size_t elen);

/*
 * Checks a range delete's bounds (end NULL with elen 0: to the last key)
 * and appends its record, or nothing when begin == end. Both bounds count
 * as keys for the limits. who names the caller in the error message.
 * STRATA_EINVAL (NULL pointer with a length, begin > end), STRATA_ENOMEM.
 */
int st_batch_add_range(strata_batch *b, const void *begin, size_t blen, const void *end, size_t elen, const char *who);

/* Appends every record of src to dst (group commit). STRATA_ENOMEM. */
int st_batch_append_batch(strata_batch *dst, const strata_batch *src);

#endif
