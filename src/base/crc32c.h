/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of every framed record and
 * block on disk. Uses the SSE4.2 crc32 instruction when the CPU has it.
 */
#ifndef STRATA_BASE_CRC32C_H
#define STRATA_BASE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of data[0, n) continued from crc (0 to start). Thread-safe. */
uint32_t st_crc32c_extend(uint32_t crc, const void *data, size_t n);

static inline uint32_t st_crc32c(const void *data, size_t n) { return st_crc32c_extend(0, data, n); }

/* Stored CRCs are masked so that a CRC computed over bytes that embed
 * another CRC does not degenerate (the LevelDB/RocksDB convention): rotated
 * right by 15 bits, plus a delta. ST_CRC32C_DELTA is the delta of every
 * checksum on disk but the log records of type 1 (wal/wal_format.h). */
#define ST_CRC32C_DELTA 0xa282ead8u
static inline uint32_t st_crc32c_mask_by(uint32_t crc, uint32_t delta) { return ((crc >> 15) | (crc << 17)) + delta; }
static inline uint32_t st_crc32c_unmask_by(uint32_t m, uint32_t delta) {
  uint32_t rot = m - delta;
  return (rot >> 17) | (rot << 15);
}
static inline uint32_t st_crc32c_mask(uint32_t crc) { return st_crc32c_mask_by(crc, ST_CRC32C_DELTA); }
static inline uint32_t st_crc32c_unmask(uint32_t m) { return st_crc32c_unmask_by(m, ST_CRC32C_DELTA); }

/* 1 when the hardware path is in use (for tests and stats). */
int st_crc32c_hw(void);

/* The portable slicing-by-8 implementation alone, as st_crc32c_extend.
 * It is the only one on CPUs without SSE4.2 and on other architectures;
 * exposed so that the tests check it on every machine. Thread-safe. */
uint32_t st_crc32c_extend_portable(uint32_t crc, const void *data, size_t n);

#endif
