/*
 * compaction.h - leveled compaction: choosing what to compact (picker.c)
 * and running one compaction (compaction_job.c): merging the input tables,
 * dropping what no reader can see any more, writing output tables cut at
 * user-key boundaries, and describing the result as a version edit.
 * Thread-safety: a st_compaction is used by one thread; the picker reads an
 * immutable version.
 */
#ifndef STRATA_COMPACT_COMPACTION_H
#define STRATA_COMPACT_COMPACTION_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "env/env.h"
#include "sst/table_builder.h"
#include "sst/table_cache.h"
#include "version/version.h"
#include "version/version_edit.h"

typedef struct st_compaction_options {
  int l0_trigger;             /* level-0 files that make level 0 due (default 4) */
  uint64_t level_base_bytes;  /* target size of level 1 (default 256 MiB) */
  int level_multiplier;       /* level N+1 target = level N target x this (default 10) */
  uint64_t target_file_bytes; /* output tables are cut at about this size (default 64 MiB) */
  double tombstone_ratio;     /* a table whose tombstones/entries passes this is due (default 0.3) */
} st_compaction_options;

void st_compaction_options_init(st_compaction_options *o);

/* Target bytes of level (>= 1) under o. */
uint64_t st_compaction_level_target(const st_compaction_options *o, int level);

/* Why a compaction was chosen (stats and logs). */
typedef enum st_compaction_reason {
  ST_COMPACT_LEVEL0 = 0, /* level 0 reached l0_trigger */
  ST_COMPACT_SIZE,       /* a level >= 1 is over its target */
  ST_COMPACT_TOMBSTONES, /* a table is tombstone-dense */
  ST_COMPACT_MANUAL,     /* strata_compact_range */
} st_compaction_reason;

typedef struct st_compaction {
  st_version *version;        /* referenced: the inputs stay live */
  int level;                  /* inputs[0] come from here */
  int output_level;           /* inputs[1] and the outputs live here: level + 1 */
  st_file_meta **inputs[2];   /* referenced */
  size_t ninputs[2];
  int trivial_move;           /* one input, nothing overlapping at output_level: move it */
  st_compaction_reason reason;
} st_compaction;

/* Files being compacted: the picker skips them. Numbers, unsorted. */
typedef struct st_busy_files {
  const uint64_t *numbers;
  size_t n;
} st_busy_files;

/*
 * The most urgent compaction of v (the level with the highest score >= 1:
 * level 0 by file count, levels >= 1 by bytes over target; then, when no
 * level is due, the most tombstone-dense table over tombstone_ratio), or
 * NULL when nothing is due or everything due is busy. ENOMEM also gives
 * NULL. The result references v and its inputs; free with
 * st_compaction_free.
 */
st_compaction *st_compaction_pick(st_version *v, const st_compaction_options *o, const st_busy_files *busy);

/*
 * A manual compaction of the files of level that overlap the user-key range
 * [begin, end) (NULL = unbounded), into level + 1; NULL when level holds
 * none of them. Never a trivial move when force_rewrite (so that garbage
 * is dropped even from a lone file).
 */
st_compaction *st_compaction_range(st_version *v, int level, const void *begin, size_t blen, const void *end,
                                   size_t elen, int force_rewrite);

void st_compaction_free(st_compaction *c);

/* Bytes of the compaction's inputs. */
uint64_t st_compaction_input_bytes(const st_compaction *c);

/* Priority of each level of v under o (score >= 1: due); scores_out has
 * ST_LEVELS entries. Also used for "pending compaction bytes". */
void st_compaction_scores(const st_version *v, const st_compaction_options *o, double *scores_out);

/* What running a compaction needs from the database. */
typedef struct st_compaction_ctx {
  st_env *env;
  const char *dir;
  st_table_cache *table_cache;
  const st_table_options *table_opt;
  uint64_t target_file_bytes;
  /* Allocates a file number for an output table and records it as pending
   * (the obsolete-file sweep must not delete it). */
  uint64_t (*new_file)(void *arg);
  void *arg;
  /* Sequence numbers of live snapshots, ascending, and the newest
   * sequence of the database: entries at or below the smallest snapshot
   * (or below last_seq when there are none) are visible to every reader. */
  const uint64_t *snapshots;
  size_t nsnapshots;
  uint64_t last_seq;
  const atomic_int *stop; /* non-zero: abandon (close is waiting) */
} st_compaction_ctx;

typedef struct st_compaction_stats {
  uint64_t bytes_read, bytes_written;
  uint64_t entries_in, entries_out;
  uint64_t tombstones_dropped;  /* DELETE entries dropped */
  uint64_t versions_dropped;    /* hidden older entries dropped */
  uint64_t outputs;
} st_compaction_stats;

/*
 * Runs c: a trivial move only fills edit; otherwise merges the inputs,
 * applies the garbage rules (DESIGN.md sections 1 and 4; docs/
 * ARCHITECTURE.md "Compaction"), writes fsynced output tables (the caller
 * fsyncs the directory before applying edit) and fills edit with the
 * deleted inputs and the added outputs. On failure every output written so
 * far is removed and edit is left empty; STRATA_EBUSY when ctx->stop asked
 * to abandon.
 */
int st_compaction_run(st_compaction *c, const st_compaction_ctx *ctx, st_version_edit *edit,
                      st_compaction_stats *stats);

#endif
