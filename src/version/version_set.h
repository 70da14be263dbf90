/*
 * version_set.h - the current version, the manifest log that records every
 * edit, and CURRENT, which names the manifest (docs/FORMAT.md). Edits are
 * appended and fsynced before they are installed; CURRENT is replaced by
 * write-temp, fsync, rename, fsync directory.
 * Thread-safety: all functions are thread-safe (an internal mutex);
 * st_version_set_apply serializes edits.
 */
#ifndef STRATA_VERSION_VERSION_SET_H
#define STRATA_VERSION_VERSION_SET_H

#include <stddef.h>
#include <stdint.h>

#include "env/env.h"
#include "version/version.h"
#include "version/version_edit.h"

typedef struct st_version_set st_version_set;

/*
 * Opens the version set of dir: reads CURRENT and replays its manifest
 * (damage: STRATA_ECORRUPT with file and offset), or starts an empty one
 * when CURRENT is absent. Then writes a fresh manifest holding the whole
 * state and points CURRENT at it (the old manifest is removed), so that a
 * manifest never grows across opens.
 *
 * Details (docs/FORMAT.md): a torn last record (no valid record
 * after it) is an edit that was never acknowledged and is dropped
 * (st_version_set_tail_dropped_bytes); the first record of a manifest is
 * never a torn tail. CURRENT that is malformed or names a missing manifest
 * is STRATA_ECORRUPT. Without CURRENT, the newest MANIFEST-* whose first
 * record is whole is used (a crash can lose CURRENT's directory entry
 * between its rename and the directory fsync); with none, the set starts
 * empty with log_number 0 (a database written before manifests existed).
 * next_file starts above every number in the directory's file names
 * ("<digits>.<anything>", MANIFEST-<digits>). The caller holds the
 * directory's lock. Not thread-safe against other calls on the same set.
 */
int st_version_set_open(st_env *env, const char *dir, st_version_set **vs_out);

/* Closes the manifest and frees the set (NULL is ok). The caller releases
 * every version it holds first; one released later is still freed
 * correctly, but never concurrently with close. Must not race with any
 * other call on vs. */
void st_version_set_close(st_version_set *vs);

/* The current version, referenced (st_version_unref when done). */
st_version *st_version_set_current(st_version_set *vs);
/* The same, with the log number recorded with it (read together: logs
 * below it are in the version's tables). */
st_version *st_version_set_current_and_log(st_version_set *vs, uint64_t *log_number_out);

/* Appends e to the manifest, fsyncs it, and installs the resulting version.
 * Sets e's next_file and last_seq from the set when e lacks them. On
 * failure nothing is installed; the manifest may hold a torn tail, so the
 * caller must treat the failure as fatal for writes.
 *
 * Details: next_file and last_seq are written as the larger of e's value
 * and the set's (next_file also above every added number). An invalid
 * edit (see st_version_builder_apply; also log_number below the set's or
 * not below next_file, last_seq above 2^56 - 1, min_seq > max_seq,
 * tombstones > entries) is STRATA_EINVAL before anything is written, and
 * the set stays usable. After an I/O failure the set refuses every later
 * apply with STRATA_EREADONLY until reopened, and the files the failed
 * edit added count as live for st_version_set_live_files (the edit may be
 * on disk). Serialized with other applies; readers (current, live_files,
 * the number functions) do not wait for its I/O. */
int st_version_set_apply(st_version_set *vs, st_version_edit *e);

/* Allocates a file number (for a log or a table). */
uint64_t st_version_set_new_file_number(st_version_set *vs);
/* Makes sure numbers at or below n are never handed out. */
void st_version_set_mark_file_number_used(st_version_set *vs, uint64_t n);

uint64_t st_version_set_log_number(st_version_set *vs);
uint64_t st_version_set_last_seq(st_version_set *vs);
/* Raises the recorded last sequence (kept in the next edit). */
void st_version_set_set_last_seq(st_version_set *vs, uint64_t seq);

/* Number of the manifest file in use (its name: MANIFEST-NNNNNN). */
uint64_t st_version_set_manifest_number(st_version_set *vs);

/* Calls fn(arg, number) for every table file of every version still alive
 * (the current one, those held by readers, and the files of an edit whose
 * apply failed), possibly more than once per number. Runs under the set's
 * mutex: fn must not call into the version set or release a version. */
void st_version_set_live_files(st_version_set *vs, void (*fn)(void *arg, uint64_t number), void *arg);

/* Bytes of a torn last manifest record dropped by st_version_set_open (0
 * when the manifest ended cleanly). */
uint64_t st_version_set_tail_dropped_bytes(st_version_set *vs);

/* Writes "<dir>/MANIFEST-<number, 6+ digits>" into out. */
void st_version_set_manifest_path(const char *dir, uint64_t number, char *out, size_t n);

#endif
