/* filename.c - names of the files in a database directory (docs/FORMAT.md). */
#include <stdio.h>
#include <string.h>

#include "db/db_impl.h"

void st_db_log_path(const strata_db *db, uint64_t number, char *out, size_t n) {
  snprintf(out, n, "%s/%06llu.log", db->dir, (unsigned long long)number);
}

int st_db_parse_log_name(const char *name, uint64_t *number_out) {
  uint64_t v = 0;
  const char *p = name;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (v > (UINT64_MAX - 9) / 10) return 0;
    v = v * 10 + (uint64_t)(*p - '0');
  }
  if (p == name || strcmp(p, ".log") != 0) return 0;
  /* Only the name st_db_log_path would build: "7.log" or "0000007.log"
   * would be opened under another name, or replayed twice. */
  char canon[32];
  snprintf(canon, sizeof canon, "%06llu.log", (unsigned long long)v);
  if (strcmp(canon, name) != 0) return 0;
  *number_out = v;
  return 1;
}
