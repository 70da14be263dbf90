/*
 * db_iter.h - the user's view of the database at a snapshot: walks a
 * merged internal-key iterator and shows, for each user key, its newest
 * fragment visible at the snapshot, hiding deleted and superseded ones,
 * within optional bounds [lower, upper). Not thread-safe: one thread.
 */
#ifndef STRATA_ITER_DB_ITER_H
#define STRATA_ITER_DB_ITER_H

#include <stddef.h>
#include <stdint.h>

#include "base/iter.h"

typedef struct st_db_iter st_db_iter;

/* Takes ownership of internal, a merging iterator (merging_iter.h, whose
 * st_merging_iter_next_key passes a key's older entries; any other is
 * STRATA_EINVAL), freed with the db iterator, also on failure. Copies the
 * bounds; NULL lower/upper = unbounded. */
int st_db_iter_new(st_iter *internal, uint64_t snapshot, const void *lower, size_t llen, const void *upper,
                   size_t ulen, st_db_iter **it_out);
void st_db_iter_free(st_db_iter *it);

void st_db_iter_seek_first(st_db_iter *it);
void st_db_iter_seek_last(st_db_iter *it);
/* First key >= target. */
void st_db_iter_seek(st_db_iter *it, const void *target, size_t len);
/* Last key <= target. */
void st_db_iter_seek_for_prev(st_db_iter *it, const void *target, size_t len);
void st_db_iter_next(st_db_iter *it);
void st_db_iter_prev(st_db_iter *it);

int st_db_iter_valid(const st_db_iter *it);
/* User key and value of the current entry; valid until the next move. */
const char *st_db_iter_key(const st_db_iter *it, size_t *len_out);
const char *st_db_iter_value(const st_db_iter *it, size_t *len_out);
/* Ends the walk with rc (invalid, status rc): for bad arguments. */
void st_db_iter_set_error(st_db_iter *it, int rc);

/* STRATA_OK, or the error that ended the walk. */
int st_db_iter_status(const st_db_iter *it);

/* Deletes, and the older fragments they hide, that the walk stepped over
 * (statistics). */
uint64_t st_db_iter_tombstones_skipped(const st_db_iter *it);

/* Lists show only their newest list_max elements (0 = all). */
void st_db_iter_set_list_max(st_db_iter *it, size_t list_max);

#endif
