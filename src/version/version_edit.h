/*
 * version_edit.h - one change to the set of live files, and its encoding
 * as a manifest record (docs/FORMAT.md, "Manifest"). Pure encode/decode.
 */
#ifndef STRATA_VERSION_VERSION_EDIT_H
#define STRATA_VERSION_VERSION_EDIT_H

#include <stddef.h>
#include <stdint.h>

#include "version/version.h"

typedef struct st_edit_file {
  int level;
  st_file_meta *meta; /* referenced by the edit */
} st_edit_file;

typedef struct st_edit_delete {
  int level;
  uint64_t number;
} st_edit_delete;

typedef struct st_version_edit {
  int has_log_number;   /* logs numbered below log_number are obsolete */
  uint64_t log_number;
  int has_next_file;
  uint64_t next_file;
  int has_last_seq;
  uint64_t last_seq;
  st_edit_file *added;
  size_t nadded, cap_added;
  st_edit_delete *deleted;
  size_t ndeleted, cap_deleted;
} st_version_edit;

void st_version_edit_init(st_version_edit *e);
/* Drops the references to added files and frees the arrays. */
void st_version_edit_clear(st_version_edit *e);

/* Takes a new reference to meta. STRATA_ENOMEM. */
int st_version_edit_add_file(st_version_edit *e, int level, st_file_meta *meta);
int st_version_edit_delete_file(st_version_edit *e, int level, uint64_t number);

/* Encodes e into a malloc'ed buffer. */
int st_version_edit_encode(const st_version_edit *e, char **buf_out, size_t *len_out);

/* Decodes a record into e (initialized by the caller). Any malformed input
 * is STRATA_ECORRUPT with a message; never reads outside [data, data+len). */
int st_version_edit_decode(st_version_edit *e, const char *data, size_t len);

#endif
