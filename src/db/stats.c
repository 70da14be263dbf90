/* stats.c - strata_property: the text behind each property name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/error.h"
#include "db/db_impl.h"

#define LOAD(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

static char *stats_text(strata_db *db) {
  st_mutex_lock(&db->mu);
  size_t mem_bytes = st_memtable_bytes(db->mem);
  unsigned long long mem_entries = LOAD(db->mem->entries);
  int bg_error = db->bg_error;
  st_mutex_unlock(&db->mu);
  const st_db_stats *s = &db->stats;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return NULL;
  fprintf(f,
          "writes.records: %llu\n"
          "writes.batches: %llu\n"
          "writes.groups: %llu\n"
          "wal.bytes: %llu\n"
          "wal.syncs: %llu\n"
          "reads.gets: %llu\n"
          "reads.found: %llu\n"
          "memtable.bytes: %zu\n"
          "memtable.entries: %llu\n"
          "sequence.last: %llu\n"
          "recovery.logs: %llu\n"
          "recovery.batches: %llu\n"
          "recovery.records: %llu\n"
          "recovery.wal_tail_dropped_bytes: %llu\n"
          "recovery.wal_corrupt_dropped_bytes: %llu\n"
          "readonly: %s\n"
          "crc32c.hardware: %d\n",
          LOAD(s->records), LOAD(s->batches), LOAD(s->groups), LOAD(s->wal_bytes), LOAD(s->wal_syncs),
          LOAD(s->gets), LOAD(s->get_hits), mem_bytes, mem_entries, LOAD(db->last_seq), LOAD(s->recovered_logs),
          LOAD(s->recovered_batches), LOAD(s->recovered_records), LOAD(s->wal_tail_dropped_bytes),
          LOAD(s->wal_corrupt_dropped_bytes), bg_error ? strata_strerror(bg_error) : "no", st_crc32c_hw());
  if (fclose(f) != 0) {
    free(text);
    return NULL;
  }
  return text;
}

int strata_property(strata_db *db, const char *name, char **text_out) {
  if (text_out) *text_out = NULL;
  if (!db || !name || !text_out) return st_error(STRATA_EINVAL, "strata_property: NULL argument");
  if (strcmp(name, "strata.stats") != 0) return st_error(STRATA_EINVAL, "strata_property: unknown property \"%s\"", name);
  char *text = stats_text(db);
  if (!text) return st_error(STRATA_ENOMEM, "strata_property: out of memory");
  *text_out = text;
  return STRATA_OK;
}
