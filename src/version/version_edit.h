/*
 * version_edit.h - one change to the set of live files, its encoding as a
 * manifest record (docs/FORMAT.md, "Manifest"; pure encode/decode), and the
 * builder that applies edits to a version. Not thread-safe: an edit or a
 * builder belongs to one thread at a time.
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

/* Encoded edits start with this 8-byte magic and a fixed32 field count, so
 * that every record is at least ST_VERSION_EDIT_HEADER (12) bytes. */
#define ST_VERSION_EDIT_MAGIC "VERSEDIT"
#define ST_VERSION_EDIT_HEADER 12

void st_version_edit_init(st_version_edit *e);
/* Drops the references to added files and frees the arrays; e is then
 * empty (as after init) and may be reused. */
void st_version_edit_clear(st_version_edit *e);

/* Takes a new reference to meta. STRATA_ENOMEM; STRATA_EINVAL for a level
 * outside 0 .. ST_LEVELS - 1. */
int st_version_edit_add_file(st_version_edit *e, int level, st_file_meta *meta);
int st_version_edit_delete_file(st_version_edit *e, int level, uint64_t number);

/* Encodes e into a malloc'ed buffer (the caller frees it). STRATA_ENOMEM. */
int st_version_edit_encode(const st_version_edit *e, char **buf_out, size_t *len_out);

/* Decodes a record into e (initialized by the caller; what it held is
 * kept and the record's fields are added). Any malformed input is
 * STRATA_ECORRUPT with a message naming the byte offset inside the record;
 * e is then cleared. Never reads outside [data, data+len). Every added
 * file has keys of at least 8 bytes with smallest <= largest, a level in
 * range and a non-zero number. */
int st_version_edit_decode(st_version_edit *e, const char *data, size_t len);

/*
 * The builder: the files of a version being derived from another by one or
 * more edits. Levels are kept in st_version order (level 0 by number,
 * descending; levels 1+ by smallest key, never overlapping), so an edit
 * costs time in the size of the levels it touches only.
 */
typedef struct st_version_builder {
  st_file_meta **files[ST_LEVELS]; /* one reference each */
  size_t nfiles[ST_LEVELS], cap[ST_LEVELS];
  uint64_t *numbers; /* every file's number, ascending: refuses duplicates */
  size_t nnumbers, cap_numbers;
} st_version_builder;

/* Starts from base's files (NULL: no files). STRATA_ENOMEM (b is then
 * empty and needs no clear). */
int st_version_builder_init(st_version_builder *b, const st_version *base);

/*
 * Applies e: its deletions, then its additions (so that a file may move
 * between levels in one edit). These make the edit invalid, reported as
 * err_code (STRATA_EINVAL for an edit made by the caller, STRATA_ECORRUPT
 * for one read from disk) with a message: deleting a file that is not at
 * that level, adding a number that is already present, a level out of
 * range, keys shorter than 8 bytes or smallest > largest, file number 0,
 * and an addition that overlaps another file of a level >= 1. Also
 * STRATA_ENOMEM. On failure b is in an unspecified (but valid) state: the
 * caller discards it with st_version_builder_clear.
 */
int st_version_builder_apply(st_version_builder *b, const st_version_edit *e, int err_code);

/* Moves b's files into a new version (one reference, in no list); b is
 * left empty. STRATA_ENOMEM (b unchanged). */
int st_version_builder_finish(st_version_builder *b, st_version **v_out);

/* Drops b's references and frees its arrays. */
void st_version_builder_clear(st_version_builder *b);

#endif
