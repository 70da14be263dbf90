/*
 * wal_reader.h - reads framed records back from one log file, and tells a
 * torn tail (no valid record after the damage) from damage in the middle.
 * Not thread-safe.
 */
#ifndef STRATA_WAL_WAL_READER_H
#define STRATA_WAL_WAL_READER_H

#include <stddef.h>
#include <stdint.h>

#include "env/env.h"

typedef struct st_wal_reader st_wal_reader;

/* Flags of st_wal_reader_open. */
/* Bytes all zero to the end of the file end the log: for the newest log of
 * a database, whose writer may have mapped it (wal_writer.h) and died
 * before cutting the space it reserved. Without it zeros are damage like
 * any other: older logs (recovery cuts every zero tail it meets) and the
 * manifest (never mapped). */
#define ST_WAL_ZERO_TAIL_ENDS 1
/* Only records of type 0 are valid (wal_format.h): for the manifest, which
 * is never written with another. */
#define ST_WAL_TYPE0_ONLY 2

int st_wal_reader_open(st_env *env, const char *path, int flags, st_wal_reader **r_out);
void st_wal_reader_close(st_wal_reader *r);

/*
 * Reads the next record. STRATA_OK: *data_out points at its payload, valid
 * until the next call, and *type_out (unless NULL) is its type.
 * STRATA_NOTFOUND: clean end of the log.
 * STRATA_ECORRUPT: the record at st_wal_reader_offset() is damaged or cut
 * short (the message says how); the reader stays there. Other codes: I/O.
 */
int st_wal_read(st_wal_reader *r, const char **data_out, size_t *len_out, int *type_out);

/* Offset of the next record to read (of the damaged one after ECORRUPT). */
uint64_t st_wal_reader_offset(const st_wal_reader *r);

/* Size of the file as it was at open. */
uint64_t st_wal_reader_size(const st_wal_reader *r);

/* Where the log ends: the file size, or, once st_wal_read has met a zero
 * tail (ST_WAL_ZERO_TAIL_ENDS), where that tail starts. */
uint64_t st_wal_reader_end(const st_wal_reader *r);

/* After ECORRUPT: the offset just past the last non-zero byte of the file
 * (at least the damaged record's offset), so that a torn tail is counted
 * without the zeros a mapped writer had reserved after it. */
uint64_t st_wal_reader_content_end(st_wal_reader *r);

/*
 * After ECORRUPT: sets *found_out to ST_WAL_FOUND if a whole valid record
 * that could follow the damaged one starts anywhere after it, else 0. A
 * valid record there means the damage is in the middle of the log, not a
 * torn tail. last_seq is the newest sequence number replayed before the
 * damage: a record that could follow carries a batch whose first sequence
 * number is above it, by no more than the bytes in between allow, and
 * whose first record has a known kind. That rules out the bytes of a
 * record that a torn value happens to contain, and a checksum is computed
 * only for such candidates. Checksums cost the bytes they cover, and bytes
 * made to look like record headers (a torn value of many small varints)
 * could pass the test at many offsets each claiming a long record: so the
 * scan checksums at most 8 bytes per byte after the damage, plus 1 MiB,
 * and when that is spent before the end it sets ST_WAL_MAYBE: it cannot
 * rule out a valid record, so the damage must be taken for corruption
 * rather than a tail to drop.
 */
#define ST_WAL_FOUND 1
#define ST_WAL_MAYBE 2
int st_wal_reader_valid_after(st_wal_reader *r, uint64_t last_seq, int *found_out);

#endif
