/* options.c - option defaults and their validation. */
#include "base/error.h"
#include "db/db_impl.h"

void strata_options_init(strata_options *o) {
  o->create_if_missing = 1;
  o->error_if_exists = 0;
  o->memtable_bytes = 64u << 20;
  o->sync_mode = STRATA_SYNC_NONE;
  o->sync_interval_ms = 1000;
  o->wal_recovery = STRATA_RECOVER_STRICT;
  o->max_key_bytes = 64u << 10;
  o->max_value_bytes = 64u << 20;
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
  return STRATA_OK;
}
