/*
 * fuzz_wal.c - libFuzzer target for the write-ahead-log reader and
 * recovery: the input becomes the only log of a database, which is opened
 * strictly and then with STRATA_RECOVER_SKIP_CORRUPT. Any outcome but a
 * crash, a sanitizer report or an unexpected code is fine; an open that
 * succeeds must leave a database that reopens cleanly. strata_verify must
 * agree with the strict open: damage to one is damage to the other, and a
 * torn tail neither.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db_impl.h"
#include "nosync_env.h"
#include "testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];


static int try_open(int mode) {
  strata_options o;
  strata_options_init(&o);
  o.wal_recovery = mode;
  strata_db *db = NULL;
  int rc = st_db_open(dir, &o, nosync_env(), &db);
  if (rc == STRATA_OK) {
    void *v;
    size_t n;
    if (strata_get(db, "k", 1, &v, &n) == STRATA_OK) strata_free(v);
    if (strata_put(db, "after", 5, "x", 1) != STRATA_OK) abort();
    if (strata_close(db) != STRATA_OK) abort();
    /* What recovery left behind must open cleanly and strictly. */
    if (st_db_open(dir, NULL, nosync_env(), &db) != STRATA_OK) abort();
    strata_close(db);
  } else if (rc != STRATA_ECORRUPT && rc != STRATA_ENOMEM) {
    fprintf(stderr, "unexpected open result %s: %s\n", strata_strerror(rc), strata_errmsg());
    abort();
  }
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dir[0]) {
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/strata-fuzz-XXXXXX", base);
    if (!mkdtemp(dir)) abort();
  }
  for (int mode = STRATA_RECOVER_STRICT; mode <= STRATA_RECOVER_SKIP_CORRUPT; mode++) {
    tu_dir_empty(dir);
    tu_dir_put(dir, ST_MARKER_NAME, ST_MARKER_TEXT, strlen(ST_MARKER_TEXT));
    tu_dir_put(dir, "000001.log", data, size);
    int strict = mode == STRATA_RECOVER_STRICT;
    int verified = strict ? strata_verify(dir, NULL) : STRATA_OK;
    int opened = try_open(mode);
    if (strict && verified != STRATA_ENOMEM && opened != STRATA_ENOMEM &&
        (verified == STRATA_OK) != (opened == STRATA_OK)) {
      fprintf(stderr, "strata_verify said %s, the strict open %s\n", strata_strerror(verified), strata_strerror(opened));
      abort();
    }
  }
  return 0;
}
