/*
 * kind.h - the frozen enum of fragment kinds stored in the low byte of every
 * internal key and in every batch record. Values never change once
 * released; docs/FORMAT.md ("Fragment kinds") lists them.
 */
#ifndef STRATA_FORMAT_KIND_H
#define STRATA_FORMAT_KIND_H

typedef enum st_kind {
  ST_KIND_DELETE = 0,       /* tombstone: a base meaning "absent" */
  ST_KIND_PUT = 1,          /* plain value: a base */
  ST_KIND_RANGE_DELETE = 2, /* tombstone over [key, end): format/range_del.h */
  ST_KIND_ADD = 3,          /* counter delta, int64 */
  ST_KIND_LATEST = 4,       /* value with a user timestamp */
  ST_KIND_APPEND = 5,       /* list elements */
  ST_KIND_COUNTER = 6,      /* collapsed full counter: a base */
  ST_KIND_LIST = 7,         /* collapsed full list: a base */
  ST_KIND_LATEST_BASE = 8,  /* collapsed winning LATEST: a base */
} st_kind;

#define ST_KIND_MAX ST_KIND_LATEST_BASE

/* The kinds this version reads in a table's data blocks (range tombstones
 * live in their own block). A record of any other kind is rejected as
 * corrupt rather than misread. */
static inline int st_kind_supported(unsigned k) { return k <= ST_KIND_MAX && k != ST_KIND_RANGE_DELETE; }

/* The kinds a user's write makes: those of batches and log records.
 * Collapsed full values exist only in tables. */
static inline int st_kind_in_batch(unsigned k) { return k <= ST_KIND_APPEND; }

/* Kinds other than the plain PUT and DELETE: a key holding one is read by
 * the merge rules and collapsed, not just overwritten. */
static inline int st_kind_is_typed(unsigned k) { return k != ST_KIND_PUT && k != ST_KIND_DELETE; }

/* Kinds whose batch record carries a value after the key. */
static inline int st_kind_has_value(unsigned k) { return k != ST_KIND_DELETE; }

#endif
