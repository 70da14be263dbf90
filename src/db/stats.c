/* stats.c - strata_property: the text behind each property name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/error.h"
#include "base/escape.h"
#include "db/db_impl.h"
#include "format/ikey.h"
#include "format/range_del.h"

#define LOAD(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

typedef struct tree_shape {
  uint64_t pending_bytes; /* bytes over their level's target, level 0 when due */
  double space_amp;       /* all table bytes / bytes of the deepest level */
} tree_shape;

/* Space amplification is estimated as in leveled stores: once compacted,
 * the deepest level holds about one version of everything live, so all
 * table bytes over its bytes tells how much is garbage or duplicates. */
static void shape_of(strata_db *db, tree_shape *t) {
  st_version *v = st_version_set_current(db->vs);
  double scores[ST_LEVELS];
  st_compaction_scores(v, &db->copt, scores);
  uint64_t total = 0, deepest = 0;
  t->pending_bytes = 0;
  for (int l = 0; l < ST_LEVELS; l++) {
    uint64_t b = st_version_level_bytes(v, l);
    total += b;
    if (b) deepest = b;
    if (l == 0 && scores[0] >= 1) t->pending_bytes += b;
    if (l > 0 && l < ST_LEVELS - 1) {
      uint64_t target = st_compaction_level_target(&db->copt, l);
      if (b > target) t->pending_bytes += b - target;
    }
  }
  t->space_amp = deepest ? (double)total / (double)deepest : 0;
  st_version_unref(v);
}

static void stats_text(strata_db *db, FILE *f) {
  st_mutex_lock(&db->mu);
  size_t mem_bytes = st_memtable_bytes(db->mem);
  unsigned long long mem_entries = LOAD(db->mem->entries);
  size_t imm_bytes = 0;
  for (int i = 0; i < db->nimm; i++) imm_bytes += st_memtable_bytes(db->imm[i]);
  int bg_error = db->bg_error;
  int snaps = db->nsnapshots, iters = db->niters, compacting = db->ncompacting;
  st_mutex_unlock(&db->mu);
  tree_shape shape;
  shape_of(db, &shape);
  /* Bytes the engine wrote (logs, tables from flushes and compactions)
   * per byte of keys and values the users wrote. */
  double user = (double)LOAD(db->stats.user_bytes);
  double disk = (double)(LOAD(db->stats.wal_bytes) + LOAD(db->stats.flush_bytes) +
                         LOAD(db->stats.compaction_bytes_written));
  double write_amp = user > 0 ? disk / user : 0;
  st_block_cache_stats cs = {0};
  if (db->block_cache) st_block_cache_get_stats(db->block_cache, &cs);
  const st_db_stats *s = &db->stats;
  fprintf(f,
          "writes.records: %llu\n"
          "writes.batches: %llu\n"
          "writes.groups: %llu\n"

          "wal.bytes: %llu\n"
          "wal.syncs: %llu\n"
          "reads.gets: %llu\n"
          "reads.found: %llu\n"
          "reads.table_lookups: %llu\n"
          "reads.tombstones_skipped: %llu\n"
          "bloom.checked: %llu\n"
          "bloom.useful: %llu\n"
          "block_cache.hits: %llu\n"
          "block_cache.misses: %llu\n"
          "block_cache.bytes: %zu\n"
          "block_cache.capacity: %zu\n"
          "memtable.bytes: %zu\n"
          "memtable.entries: %llu\n"
          "memtable.immutable_bytes: %zu\n"
          "flush.count: %llu\n"
          "flush.bytes: %llu\n"
          "flush.failures: %llu\n"
          "flush.early_for_range_deletes: %llu\n"
          "compaction.count: %llu\n"
          "compaction.trivial_moves: %llu\n"
          "compaction.read_triggered: %llu\n"
          "compaction.tombstone_triggered: %llu\n"
          "compaction.failures: %llu\n"
          "compaction.bytes_read: %llu\n"
          "compaction.bytes_written: %llu\n"
          "compaction.pending_bytes: %llu\n"
          "compaction.running: %d\n"
          "compaction.tombstones_dropped: %llu\n"
          "compaction.versions_dropped: %llu\n"
          "writes.user_bytes: %llu\n"
          "writes.slowdown_micros: %llu\n"
          "writes.stop_micros: %llu\n"
          "writes.stopped: %d\n"
          "amplification.write: %.2f\n"
          "amplification.space: %.2f\n"
          "files.obsolete_deleted: %llu\n"
          "sequence.last: %llu\n"
          "snapshots.open: %d\n"
          "iterators.open: %d\n"
          "recovery.logs: %llu\n"
          "recovery.batches: %llu\n"
          "recovery.records: %llu\n"
          "recovery.wal_tail_dropped_bytes: %llu\n"
          "recovery.wal_corrupt_dropped_bytes: %llu\n"
          "recovery.manifest_tail_dropped_bytes: %llu\n"
          "readonly: %s\n"
          "crc32c.hardware: %d\n",
          LOAD(s->records), LOAD(s->batches), LOAD(s->groups), LOAD(s->wal_bytes),
          LOAD(s->wal_syncs), LOAD(s->gets), LOAD(s->get_hits), LOAD(s->table_lookups), LOAD(s->tombstones_skipped),
          LOAD(s->bloom_checked), LOAD(s->bloom_useful), (unsigned long long)cs.hits, (unsigned long long)cs.misses,
          cs.usage, cs.capacity, mem_bytes, mem_entries, imm_bytes, LOAD(s->flushes), LOAD(s->flush_bytes),
          LOAD(s->flush_failures), LOAD(s->early_flushes), LOAD(s->compactions), LOAD(s->trivial_moves),
          LOAD(s->read_compactions), LOAD(s->tombstone_compactions),
          LOAD(s->compaction_failures),
          LOAD(s->compaction_bytes_read), LOAD(s->compaction_bytes_written), (unsigned long long)shape.pending_bytes,
          compacting, LOAD(s->tombstones_dropped), LOAD(s->versions_dropped), LOAD(s->user_bytes),
          LOAD(s->slowdown_micros), LOAD(s->stop_micros),
          atomic_load_explicit(&s->writers_stopped, memory_order_relaxed), write_amp, shape.space_amp,
          LOAD(s->obsolete_files_deleted), LOAD(db->last_seq), snaps, iters,
          LOAD(s->recovered_logs), LOAD(s->recovered_batches), LOAD(s->recovered_records),
          LOAD(s->wal_tail_dropped_bytes), LOAD(s->wal_corrupt_dropped_bytes),
          (unsigned long long)st_version_set_tail_dropped_bytes(db->vs),
          bg_error ? strata_strerror(bg_error) : "no", st_crc32c_hw());
}

static void levels_text(strata_db *db, FILE *f) {
  st_version *v = st_version_set_current(db->vs);
  uint64_t files = 0, bytes = 0;
  for (int l = 0; l < ST_LEVELS; l++) {
    uint64_t b = st_version_level_bytes(v, l);
    fprintf(f, "level.%d: %zu files, %llu bytes\n", l, v->nfiles[l], (unsigned long long)b);
    files += v->nfiles[l];
    bytes += b;
  }
  fprintf(f, "total: %llu files, %llu bytes\n", (unsigned long long)files, (unsigned long long)bytes);
  st_version_unref(v);
}

static void sstables_text(strata_db *db, FILE *f) {
  st_version *v = st_version_set_current(db->vs);
  for (int l = 0; l < ST_LEVELS; l++) {
    for (size_t i = 0; i < v->nfiles[l]; i++) {
      const st_file_meta *m = v->files[l][i];
      fprintf(f, "level %d: %06llu.sst %llu bytes, keys ", l, (unsigned long long)m->number,
              (unsigned long long)m->size);
      st_escape_write(f, m->smallest, m->smallest_len - ST_IKEY_TRAILER);
      fputs(" .. ", f);
      if (st_ikey_is_open_largest(m->largest, m->largest_len))
        fputs("(past the last key)", f);
      else
        st_escape_write(f, m->largest, m->largest_len - ST_IKEY_TRAILER);
      fprintf(f, ", seq %llu..%llu, %llu entries, %llu tombstones", (unsigned long long)m->min_seq,
              (unsigned long long)m->max_seq, (unsigned long long)m->entries, (unsigned long long)m->tombstones);
      /* What the picker weighs it by (covered.c): why deleted rows are
       * still on disk shows here. */
      if (atomic_load_explicit(&m->range_dels, memory_order_relaxed) > 0) {
        int64_t covered = atomic_load_explicit(&m->covered_bytes, memory_order_relaxed);
        if (covered >= 0)
          fprintf(f, ", range deletes hiding about %lld bytes below", (long long)covered);
        else
          fputs(", range deletes not weighed yet", f);
      }
      fputc('\n', f);
    }
  }
  st_version_unref(v);
}

int strata_property(strata_db *db, const char *name, char **text_out) {
  if (text_out) *text_out = NULL;
  if (!db || !name || !text_out) return st_error(STRATA_EINVAL, "strata_property: NULL argument");
  void (*fn)(strata_db *, FILE *) = NULL;
  if (strcmp(name, "strata.stats") == 0)
    fn = stats_text;
  else if (strcmp(name, "strata.levels") == 0)
    fn = levels_text;
  else if (strcmp(name, "strata.sstables") == 0)
    fn = sstables_text;
  else
    return st_error(STRATA_EINVAL, "strata_property: unknown property \"%s\"", name);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return st_error(STRATA_ENOMEM, "strata_property: out of memory");
  fn(db, f);
  if (fclose(f) != 0 || !text) {
    free(text);
    return st_error(STRATA_ENOMEM, "strata_property: out of memory");
  }
  *text_out = text;
  return STRATA_OK;
}
