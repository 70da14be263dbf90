/*
 * wal_writer.h - appends framed records to one log file.
 * Not thread-safe: the write-queue leader is its only user, and close must
 * not race with it.
 */
#ifndef STRATA_WAL_WAL_WRITER_H
#define STRATA_WAL_WAL_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "env/env.h"
#include "wal/wal_format.h"

typedef struct st_wal_writer {
  st_file *file;
  uint64_t size;   /* bytes of whole records in the file */
  uint64_t synced; /* bytes known to be on stable storage */
  int broken;      /* a failed append could not be undone: the file's tail is unknown */
} st_wal_writer;

/* Creates a new log at path (it must not exist). */
int st_wal_writer_create(st_env *env, const char *path, st_wal_writer **w_out);

/*
 * Appends one record. buf holds ST_WAL_HEADER bytes of room followed by the
 * payload_len bytes of payload; the header is written into that room, so
 * the record goes out in one write. On failure the file is cut back to its
 * last whole record; if that also fails, w->broken is set and no further
 * append may be made.
 */
int st_wal_append(st_wal_writer *w, char *buf, size_t payload_len);

/* Forces every appended record to stable storage. */
int st_wal_sync(st_wal_writer *w);

/* Closes the file and frees w. NULL is ok. */
int st_wal_writer_close(st_wal_writer *w);

#endif
