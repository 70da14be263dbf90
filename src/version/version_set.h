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
 */
int st_version_set_open(st_env *env, const char *dir, st_version_set **vs_out);
void st_version_set_close(st_version_set *vs);

/* The current version, referenced (st_version_unref when done). */
st_version *st_version_set_current(st_version_set *vs);

/* Appends e to the manifest, fsyncs it, and installs the resulting version.
 * Sets e's next_file and last_seq from the set when e lacks them. On
 * failure nothing is installed; the manifest may hold a torn tail, so the
 * caller must treat the failure as fatal for writes. */
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

#endif
