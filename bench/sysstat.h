/*
 * sysstat.h - what the operating system says the process cost: bytes it
 * wrote to storage (all threads, the engines' background ones included),
 * its peak resident memory, and the bytes a database directory holds.
 */
#ifndef STRATA_BENCH_SYSSTAT_H
#define STRATA_BENCH_SYSSTAT_H

#include <stdint.h>

/* write_bytes of /proc/self/io: bytes this process caused to be sent to
 * storage so far (counted when pages are dirtied, so a write that is later
 * overwritten in the page cache still counts). -1 when unavailable. */
int64_t bench_io_write_bytes(void);

/* Writes back the dirty pages of the file system holding dir (syncfs);
 * errors are ignored: it only makes the I/O counts of the next row its
 * own. */
void bench_sync_dir(const char *dir);

/* Waits until the process has written nothing to storage for quiet_ms
 * (polling write_bytes), or max_ms passed; returns the bytes written
 * meanwhile (0 when write_bytes is unavailable). */
int64_t bench_io_settle(int quiet_ms, int max_ms);

/* Peak resident set size of the process so far, in MiB (getrusage). */
double bench_peak_rss_mb(void);

/* Bytes of all files under dir, recursively; a sparse file counts only
 * its allocated blocks. -1 on error. */
int64_t bench_dir_bytes(const char *dir);

#endif
