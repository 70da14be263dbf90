/* options.c - option defaults and their validation. */
#include "base/error.h"
#include "db/db_impl.h"
#include "format/compress.h"

void strata_options_init(strata_options *o) {
  o->create_if_missing = 1;
  o->error_if_exists = 0;
  o->memtable_bytes = 64u << 20;
  o->sync_mode = STRATA_SYNC_NONE;
  o->sync_interval_ms = 1000;
  o->wal_recovery = STRATA_RECOVER_STRICT;
  o->max_key_bytes = 64u << 10;
  o->max_value_bytes = 64u << 20;
  o->block_bytes = 4096;
  o->bloom_bits_per_key = 10;
  o->block_cache_bytes = 32u << 20;
  o->max_open_files = 1000;
  o->mmap_reads = 1;
  o->mmap_writes = 1;
  o->compression = STRATA_COMPRESSION_NONE;
  o->background_threads = 2;
  o->l0_compaction_trigger = 4;
  o->l0_slowdown_trigger = 12;
  o->l0_stop_trigger = 20;
  o->max_immutable_memtables = 2;
  o->level_base_bytes = 256u << 20;
  o->target_file_bytes = 64u << 20;
  o->tombstone_compaction_ratio = 0.3;
  o->list_max_elements = 0;
}

int st_options_check(const strata_options *o) {
  if (o->sync_mode < STRATA_SYNC_NONE || o->sync_mode > STRATA_SYNC_ALWAYS)
    return st_error(STRATA_EINVAL, "options: sync_mode %d is not a STRATA_SYNC_* value", o->sync_mode);
  if (o->sync_mode == STRATA_SYNC_PERIODIC && o->sync_interval_ms == 0)
    return st_error(STRATA_EINVAL, "options: sync_interval_ms must be at least 1 with STRATA_SYNC_PERIODIC");
  if (o->wal_recovery != STRATA_RECOVER_STRICT && o->wal_recovery != STRATA_RECOVER_SKIP_CORRUPT)
    return st_error(STRATA_EINVAL, "options: wal_recovery %d is not a STRATA_RECOVER_* value", o->wal_recovery);
  if (o->memtable_bytes < 4096)
    return st_error(STRATA_EINVAL, "options: memtable_bytes %zu is below the 4096 minimum", o->memtable_bytes);
  if (o->max_key_bytes == 0 || o->max_key_bytes > (1u << 30))
    return st_error(STRATA_EINVAL, "options: max_key_bytes %zu must be in 1..1 GiB", o->max_key_bytes);
  if (o->max_value_bytes > (1u << 30))
    return st_error(STRATA_EINVAL, "options: max_value_bytes %zu is over 1 GiB", o->max_value_bytes);
  if (o->block_bytes < 256 || o->block_bytes > (16u << 20))
    return st_error(STRATA_EINVAL, "options: block_bytes %zu must be in 256..16 MiB", o->block_bytes);
  if (o->bloom_bits_per_key < 0 || o->bloom_bits_per_key > 30)
    return st_error(STRATA_EINVAL, "options: bloom_bits_per_key %d must be in 0..30", o->bloom_bits_per_key);
  if (o->mmap_reads != 0 && o->mmap_reads != 1)
    return st_error(STRATA_EINVAL, "options: mmap_reads %d is not 0 or 1", o->mmap_reads);
  if (o->mmap_writes != 0 && o->mmap_writes != 1)
    return st_error(STRATA_EINVAL, "options: mmap_writes %d is not 0 or 1", o->mmap_writes);
  if (o->max_open_files < 16)
    return st_error(STRATA_EINVAL, "options: max_open_files %d is below the minimum of 16", o->max_open_files);
  if (o->background_threads < 2 || o->background_threads > 16)
    return st_error(STRATA_EINVAL, "options: background_threads %d must be in 2..16", o->background_threads);
  if (o->l0_compaction_trigger < 1 || o->l0_slowdown_trigger < o->l0_compaction_trigger ||
      o->l0_stop_trigger < o->l0_slowdown_trigger)
    return st_error(STRATA_EINVAL,
                    "options: level-0 triggers must satisfy 1 <= compaction (%d) <= slowdown (%d) <= stop (%d)",
                    o->l0_compaction_trigger, o->l0_slowdown_trigger, o->l0_stop_trigger);
  if (o->max_immutable_memtables < 1 || o->max_immutable_memtables > 16)
    return st_error(STRATA_EINVAL, "options: max_immutable_memtables %d must be in 1..16", o->max_immutable_memtables);
  if (o->level_base_bytes < (64u << 10))
    return st_error(STRATA_EINVAL, "options: level_base_bytes %llu is below 64 KiB",
                    (unsigned long long)o->level_base_bytes);
  if (o->target_file_bytes < (16u << 10))
    return st_error(STRATA_EINVAL, "options: target_file_bytes %llu is below 16 KiB",
                    (unsigned long long)o->target_file_bytes);
  if (!(o->tombstone_compaction_ratio > 0 && o->tombstone_compaction_ratio <= 1))
    return st_error(STRATA_EINVAL, "options: tombstone_compaction_ratio %g must be in (0, 1]",
                    o->tombstone_compaction_ratio);
  if (!st_compression_supported(o->compression))
    return st_error(STRATA_EINVAL, "options: compression %d is unknown or not compiled into this build",
                    o->compression);
  return STRATA_OK;
}
