/*
 * dbdir.h - the directory a benchmark database lives in: made fresh for
 * each run, emptied between workloads that need a new database, and
 * removed at the end. Guards against deleting a directory the user did
 * not mean to give up.
 */
#ifndef STRATA_BENCH_DBDIR_H
#define STRATA_BENCH_DBDIR_H

#include <stddef.h>

typedef struct bench_dbdir {
  char path[4096];
  int created; /* the bench made the directory itself: remove it at the end */
} bench_dbdir;

/*
 * Prepares the directory. requested NULL: makes a new one named
 * strata-bench-<engine>-<pid> under $TMPDIR (or /tmp). Otherwise uses
 * requested: created if missing; an existing empty directory is used as
 * is; a non-empty one is emptied when fresh is set and it holds only files
 * an engine writes (a previous run's database), refused otherwise.
 * Returns 0, or -1 with the reason in err.
 */
int bench_dbdir_prepare(bench_dbdir *d, const char *requested, const char *engine, int fresh, char *err, size_t errlen);

/* Removes everything inside the directory (not the directory itself).
 * Returns 0, or -1 with the reason in err. */
int bench_dbdir_clear(const bench_dbdir *d, char *err, size_t errlen);

/* End of run: empties the directory and removes it if the bench created
 * it. Returns 0, or -1 with the reason in err. */
int bench_dbdir_remove(const bench_dbdir *d, char *err, size_t errlen);

#endif
