/* stats.c - strata_property: the text behind each property name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/error.h"
#include "base/escape.h"
#include "db/db_impl.h"
#include "format/ikey.h"

#define LOAD(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

static void stats_text(strata_db *db, FILE *f) {
  st_mutex_lock(&db->mu);
  size_t mem_bytes = st_memtable_bytes(db->mem);
  unsigned long long mem_entries = LOAD(db->mem->entries);
  size_t imm_bytes = db->imm ? st_memtable_bytes(db->imm) : 0;
  int bg_error = db->bg_error;
  int snaps = db->nsnapshots, iters = db->niters;
  st_mutex_unlock(&db->mu);
  st_block_cache_stats cs = {0};
  if (db->block_cache) st_block_cache_get_stats(db->block_cache, &cs);
  const st_db_stats *s = &db->stats;
  fprintf(f,
          "writes.records: %llu\n"
          "writes.batches: %llu\n"
          "writes.groups: %llu\n"
          "writes.stall_micros: %llu\n"
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
          LOAD(s->records), LOAD(s->batches), LOAD(s->groups), LOAD(s->write_stall_micros), LOAD(s->wal_bytes),
          LOAD(s->wal_syncs), LOAD(s->gets), LOAD(s->get_hits), LOAD(s->table_lookups), LOAD(s->tombstones_skipped),
          LOAD(s->bloom_checked), LOAD(s->bloom_useful), (unsigned long long)cs.hits, (unsigned long long)cs.misses,
          cs.usage, cs.capacity, mem_bytes, mem_entries, imm_bytes, LOAD(s->flushes), LOAD(s->flush_bytes),
          LOAD(s->flush_failures), LOAD(s->obsolete_files_deleted), LOAD(db->last_seq), snaps, iters,
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
      st_escape_write(f, m->largest, m->largest_len - ST_IKEY_TRAILER);
      fprintf(f, ", seq %llu..%llu, %llu entries, %llu tombstones\n", (unsigned long long)m->min_seq,
              (unsigned long long)m->max_seq, (unsigned long long)m->entries, (unsigned long long)m->tombstones);
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
