/*
 * wal_format.h - framing of write-ahead-log records (docs/FORMAT.md, "WAL"):
 *   fixed32 masked_crc32c(length bytes + payload) | fixed32 length | payload
 * One record holds one batch (format/batch_rep.h); records follow each other
 * with no padding.
 */
#ifndef STRATA_WAL_WAL_FORMAT_H
#define STRATA_WAL_WAL_FORMAT_H

#include <stdint.h>

#define ST_WAL_HEADER 8
#define ST_WAL_MAX_PAYLOAD UINT32_MAX

/* The smallest payload a valid record can have (an empty batch header). */
#define ST_WAL_MIN_PAYLOAD 12

#endif
