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
  double tombstone_ratio;     /* a table whose tombstones/entries exceeds this is due when no
                               * level is (default 0.3; see ST_COMPACT_TOMBSTONE_MIN_ENTRIES) */
} st_compaction_options;

void st_compaction_options_init(st_compaction_options *o);

/* STRATA_EINVAL (with a message) unless l0_trigger >= 1,
 * level_base_bytes >= 1, level_multiplier >= 2, target_file_bytes >= 1
 * and tombstone_ratio >= 0. The picker itself never divides by zero on
 * bad options, but its choices are only meaningful for valid ones. */
int st_compaction_options_check(const st_compaction_options *o);

/* A table is tombstone-dense when it holds at least this many entries and
 * tombstones > tombstone_ratio x entries (so a tombstone_ratio of 1 or
 * more turns tombstone compactions off). */
#define ST_COMPACT_TOMBSTONE_MIN_ENTRIES 64

/* A table whose range tombstones hide at least this many bytes of older
 * tables (st_file_meta.covered_bytes), and more than tombstone_ratio x the
 * bytes its compaction into the next level would rewrite, is due when no
 * level is. Below it the estimate, made of block offsets, is mostly
 * noise. */
#define ST_COMPACT_COVERED_MIN_BYTES (64 << 10)

/* That rule: whether hiding `covered` bytes is worth a compaction that
 * rewrites `cost` bytes. */
static inline int st_compaction_covered_due(const st_compaction_options *o, uint64_t covered, uint64_t cost) {
  return covered >= ST_COMPACT_COVERED_MIN_BYTES && (double)covered > o->tombstone_ratio * (double)cost;
}

/* A picked file with nothing overlapping it one level down moves there
 * without being rewritten (a trivial move) only when it overlaps at most
 * this many x target_file_bytes two levels down, so that it cannot make a
 * later compaction huge. */
#define ST_COMPACT_GRANDPARENT_FILES 10

/* Target bytes of level (>= 1) under o: level_base_bytes x
 * level_multiplier^(level - 1), saturating at UINT64_MAX. */
uint64_t st_compaction_level_target(const st_compaction_options *o, int level);

/* Why a compaction was chosen (stats and logs). */
typedef enum st_compaction_reason {
  ST_COMPACT_LEVEL0 = 0, /* level 0 reached l0_trigger */
  ST_COMPACT_SIZE,       /* a level >= 1 is over its target */
  ST_COMPACT_TOMBSTONES, /* a table is tombstone-dense */
  ST_COMPACT_MANUAL,     /* strata_compact_range */
  ST_COMPACT_READS,      /* reads looked into a table in vain too often */
  ST_COMPACT_RANGE_DELETES, /* a table's range tombstones hide many bytes below it */
} st_compaction_reason;

typedef struct st_compaction {
  st_version *version;        /* referenced: the inputs stay live */
  int level;                  /* inputs[0] come from here */
  int output_level;           /* inputs[1] and the outputs live here: level + 1; only
                               * a manual compaction of the last level has
                               * output_level == level (a rewrite in place,
                               * inputs[1] empty) */
  st_file_meta **inputs[2];   /* referenced; each in its level's order (level 0
                               * newest first, deeper levels by key) */
  size_t ninputs[2];
  int trivial_move;           /* one input, nothing overlapping at output_level: move it
                               * (never for a tombstone-dense table or force_rewrite) */
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
 * level is due, a table that reads made due (allowed_seeks spent,
 * version.h), then a table whose range tombstones hide many bytes below
 * it (ST_COMPACT_COVERED_MIN_BYTES), then the most tombstone-dense table
 * over tombstone_ratio), or
 * NULL when nothing is due or everything due is busy. ENOMEM also gives
 * NULL. The result references v and its inputs; free with
 * st_compaction_free.
 *
 * Details (docs/ARCHITECTURE.md): level 0 takes every level-0 file and
 * the level-1 files overlapping their user keys, and is skipped while any
 * of them is busy (one level-0 compaction at a time). A level L >= 1 takes
 * one file (the one with the fewest bytes overlapping it at L + 1 per byte
 * of its own, among those whose compaction is not busy) and the files of
 * L + 1 overlapping its user keys. The last level is never due. A
 * table due for its tombstones is considered only at levels above the
 * last and always goes one level down (one that is tombstone-dense as a
 * real rewrite), so tombstone compactions move data strictly downwards and
 * cannot repeat endlessly. Overlap is by user key (internal keys without
 * their trailer).
 */
st_compaction *st_compaction_pick(st_version *v, const st_compaction_options *o, const st_busy_files *busy);

/*
 * A manual compaction of the files of level that overlap the user-key range
 * [begin, end) (NULL = unbounded), into level + 1; NULL when level holds
 * none of them (or level is out of range: STRATA_EINVAL message; or on
 * ENOMEM: STRATA_ENOMEM message). Never a trivial move when force_rewrite
 * (so that garbage is dropped even from a lone file). At level 0 the
 * inputs grow to every level-0 file sharing user keys with them; at the
 * last level (ST_LEVELS - 1) the files are rewritten in place
 * (output_level == level), which is how tombstones and versions kept there
 * for snapshots since released get dropped. A manual trivial move does not
 * look two levels down (no options here). Busy files are not considered:
 * check the result with st_compaction_is_busy.
 */
st_compaction *st_compaction_range(st_version *v, int level, const void *begin, size_t blen, const void *end,
                                   size_t elen, int force_rewrite);

/* A flushed table goes at most this deep. LevelDB goes to level 2; here
 * that made the sort-key churn of tests/api/test_compaction.c step over
 * 3-4x the tombstones: a first flush at level 2 holds old rows under
 * level 1, so level 0's compactions into level 1 can no longer drop the
 * deletes (they drop only where nothing older lies below). */
#define ST_FLUSH_MAX_LEVEL 1

/*
 * What the compaction of a table of table_bytes flushed now would rewrite
 * to push range tombstones over the user keys [lo, hi] (hi NULL: past the
 * last key) one level down, by the rule a flushed table's compaction
 * follows (st_compaction_flush_level, st_compaction_pick): with level 0
 * not empty, the table, all of level 0 and what they overlap in level 1;
 * else the table and what the keys overlap in the first level that they
 * overlap. With st_compaction_covered_due it says whether a memtable's
 * range deletes would make its table due at once (db/covered.c).
 */
uint64_t st_compaction_flush_cost(const st_version *v, const char *lo, size_t lo_len, const char *hi, size_t hi_len,
                                  uint64_t table_bytes);

/*
 * The level for a new table f of flushed data (newer than everything in
 * v): 0 when it shares a user key with a level-0 table; otherwise as deep
 * as ST_FLUSH_MAX_LEVEL while the level it would go to holds nothing
 * overlapping it, no running compaction (running[0, nrunning)) may write
 * an overlapping output at that level or above, and it would overlap at
 * most ST_COMPACT_GRANDPARENT_FILES x target_file_bytes one level further
 * down (the trivial move's rule). Such a table never needs the rewrite of
 * a level-0 compaction, and level 0 stays short for the reads and the
 * write stall. The caller must keep new compactions from starting until
 * the edit adding f at that level is applied: one picked from v could
 * write overlapping outputs above f.
 */
int st_compaction_flush_level(const st_version *v, const st_compaction_options *o, const st_file_meta *f,
                              st_compaction *const *running, size_t nrunning);

void st_compaction_free(st_compaction *c);

/* Bytes of the compaction's inputs. */
uint64_t st_compaction_input_bytes(const st_compaction *c);

/* 1 when any input of c is in busy (NULL: none), else 0. */
int st_compaction_is_busy(const st_compaction *c, const st_busy_files *busy);

/* Priority of each level of v under o (score >= 1: due); scores_out has
 * ST_LEVELS entries. Also used for "pending compaction bytes". */
void st_compaction_scores(const st_version *v, const st_compaction_options *o, double *scores_out);

/* What running a compaction needs from the database. */
typedef struct st_compaction_ctx {
  st_env *env;
  const char *dir;
  st_table_cache *table_cache;
  const st_table_options *table_opt;
  uint64_t target_file_bytes; /* cut outputs at about this many key + value
                               * bytes (uncompressed, as added); 0 = never */
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
  size_t list_max;        /* list_max_elements: lists keep their newest this many; 0 = all */
  size_t max_list_bytes;  /* a collapsed list fragment stays within this (max_value_bytes) */
} st_compaction_ctx;

/* entries_in = entries_out + tombstones_dropped + versions_dropped. A
 * trivial move reads and writes nothing: every field is 0. */
typedef struct st_compaction_stats {
  uint64_t bytes_read, bytes_written; /* sizes of the input and output files */
  uint64_t entries_in, entries_out;
  uint64_t tombstones_dropped;  /* DELETE entries dropped (by either rule) */
  uint64_t versions_dropped;    /* other entries dropped: hidden by a newer one */
  uint64_t outputs;             /* output tables written */
} st_compaction_stats;

/*
 * Runs c: a trivial move only fills edit; otherwise merges the inputs,
 * applies the garbage rules (DESIGN.md sections 1 and 4; docs/
 * ARCHITECTURE.md "Compaction"), writes fsynced output tables (the caller
 * fsyncs the directory before applying edit) and fills edit with the
 * deleted inputs and the added outputs. On failure every output written so
 * far is removed and edit is left empty; STRATA_EBUSY when ctx->stop asked
 * to abandon.
 *
 * Details. edit is initialized by the caller (normally empty); the run
 * adds to it, and clears it (st_version_edit_clear, then init) on failure.
 * The garbage rules, with S = ctx->snapshots[0] (or ctx->last_seq when
 * there is no snapshot), walking each user key's entries newest first:
 * an entry is dropped when a newer entry of its key has seq <= S (every
 * reader sees that one instead), or when it is a DELETE with seq <= S and
 * no file of a level below output_level (in c->version) has its user key
 * in its range; every entry of a user key that has any fragment other than
 * PUT and DELETE is kept (typed fragments are kept whole until the typed
 * merge rules exist). Outputs are cut only between user keys, so all of a
 * user key's entries land in one table. Errors: those of the env and the
 * table builder (the first error's message, prefixed with the
 * compaction's levels), STRATA_ECORRUPT for damaged inputs (also entries
 * out of order), STRATA_ENOMEM, STRATA_EBUSY; STRATA_EINVAL for a
 * trivial_move that is not one input with nothing below. An output whose
 * removal fails is left for the obsolete-file sweep (it is not live).
 * *stats is zeroed on failure. Uses ctx from this thread only; the table
 * cache is thread-safe.
 */
int st_compaction_run(st_compaction *c, const st_compaction_ctx *ctx, st_version_edit *edit,
                      st_compaction_stats *stats);

#endif
