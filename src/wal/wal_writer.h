/*
 * wal_writer.h - appends framed records to one log file.
 * Not thread-safe: the write-queue leader is its only user, and close must
 * not race with it.
 *
 * A writer created with ST_WAL_MAP (when the env can map files) copies
 * records into a shared mapping of space reserved ahead in 256 KiB steps,
 * instead of making a write() call per record: a copy into the page cache
 * outlives the process just as a written byte does, and st_wal_sync forces
 * it to storage with the same fsync. The file then ends in zeros until
 * st_wal_finish cuts them off; readers take a zero tail of the newest log
 * for the end of the log (docs/FORMAT.md, "Write-ahead log"). Where
 * mapping fails (a file system without fallocate, a copy-on-write one, no
 * space to reserve), the log silently goes on with write().
 */
#ifndef STRATA_WAL_WAL_WRITER_H
#define STRATA_WAL_WAL_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "env/env.h"
#include "wal/wal_format.h"

/* Flags of st_wal_writer_create. */
#define ST_WAL_MAP 1 /* write through a shared mapping when the env can */

typedef struct st_wal_writer {
  st_file *file;
  uint64_t size;   /* bytes of whole records in the file */
  uint64_t synced; /* bytes known to be on stable storage */
  int broken;      /* a failed append (or cut) could not be undone: the file's tail is unknown */
  int mapped;      /* records are copied into the mapping below */
  char *window;    /* mapping of [window_off, window_off + ST_WAL_WINDOW), or NULL */
  uint64_t window_off;
  uint64_t reserved; /* mapped: the file's size; [size, reserved) is zeros */
  int tail_cut;      /* st_wal_finish cut the reserved tail; the next sync must run */
} st_wal_writer;

/* Creates a new log at path (it must not exist). flags: 0 or ST_WAL_MAP. */
int st_wal_writer_create(st_env *env, const char *path, int flags, st_wal_writer **w_out);

/*
 * Appends one record of the given type (wal_format.h). buf holds
 * ST_WAL_HEADER bytes of room followed by the payload_len bytes of payload;
 * the header is written into that room, so the record goes out in one
 * write. On failure the file is cut back to its last whole record; if that
 * also fails, w->broken is set and no further append may be made.
 */
int st_wal_append(st_wal_writer *w, char *buf, size_t payload_len, int type);

/* Forces every appended record to stable storage. */
int st_wal_sync(st_wal_writer *w);

/* The log gets no more records: a mapped log is unmapped and cut to its
 * last record (then st_wal_sync makes that durable). Nothing to do for a
 * log that is not mapped. A failure leaves a zero tail, which readers
 * accept. */
int st_wal_finish(st_wal_writer *w);

/* Closes the file and frees w. NULL is ok. */
int st_wal_writer_close(st_wal_writer *w);

#endif
