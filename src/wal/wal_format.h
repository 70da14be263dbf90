/*
 * wal_format.h - framing of write-ahead-log records (docs/FORMAT.md, "WAL"):
 *   fixed32 masked_crc32c(length bytes + payload) | fixed32 length | payload
 * One record holds one batch (format/batch_rep.h); records follow each other
 * with no padding.
 *
 * A record has a type, 0 or 1, carried by the delta of its CRC's mask (no
 * byte of the framing was free for it): a reader computes the CRC once
 * and finds which delta, if either, matches the stored one. Type 0
 * (ST_CRC32C_DELTA) is the first framing: manifest edits, and batches
 * with a fixed header in logs written by earlier builds. Type 1
 * (ST_WAL_TYPE1_DELTA): batches with a varint header, the only kind a
 * database's log is written with now.
 */
#ifndef STRATA_WAL_WAL_FORMAT_H
#define STRATA_WAL_WAL_FORMAT_H

#include <stdint.h>

#include "base/crc32c.h"

#define ST_WAL_HEADER 8
#define ST_WAL_MAX_PAYLOAD UINT32_MAX

#define ST_WAL_TYPE0 0
#define ST_WAL_TYPE1 1
#define ST_WAL_TYPE1_DELTA 0x9e3779b9u

/* The mask delta of a record of the given type. */
static inline uint32_t st_wal_type_delta(int type) { return type ? ST_WAL_TYPE1_DELTA : ST_CRC32C_DELTA; }

/* The smallest payload a valid record can have: a varint batch header of
 * one byte each (a batch record follows it in every record written). */
#define ST_WAL_MIN_PAYLOAD 2

#endif
