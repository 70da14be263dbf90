/*
 * dbdir.c - making, emptying and removing the benchmark's database
 * directory (see dbdir.h).
 */
#include "dbdir.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1 if dir holds no entries, 0 if it holds some, -1 on error. */
static int is_empty(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int empty = 1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      empty = 0;
      break;
    }
  }
  closedir(d);
  return empty;
}

static int has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* 1 if name is a file one of the engines writes in its directory (strata,
 * RocksDB, LevelDB, LMDB), or a temporary of one. */
static int engine_file_name(const char *name) {
  static const char *const exact[] = {"CURRENT",  "LOCK",   "LOG",      "LOG.old",
                                      "IDENTITY", "STRATA", "data.mdb", "lock.mdb"};
  static const char *const prefixes[] = {"MANIFEST-", "OPTIONS-", "LOG.old."};
  static const char *const suffixes[] = {".sst", ".ldb", ".log", ".blob", ".dbtmp", ".tmp"};
  for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
    if (strcmp(name, exact[i]) == 0) return 1;
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
    if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0) return 1;
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
    if (has_suffix(name, suffixes[i])) return 1;
  return 0;
}

/* --fresh empties a directory only when it looks like a database an engine
 * left: regular files with the engines' names and nothing else, so that a
 * mistyped --db cannot take a source tree or a home directory with it.
 * Returns 0, or -1 with the reason in err. */
static int check_leftover(const char *dir, char *err, size_t errlen) {
  DIR *d = opendir(dir);
  if (!d) {
    snprintf(err, errlen, "cannot read --db %s: %s", dir, strerror(errno));
    return -1;
  }
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char path[4096 + 256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || !engine_file_name(e->d_name)) {
      snprintf(err, errlen, "--db %s holds \"%s\", which no engine writes: not deleting it (give an empty directory)",
               dir, e->d_name);
      rc = -1;
      break;
    }
  }
  closedir(d);
  return rc;
}

int bench_dbdir_prepare(bench_dbdir *d, const char *requested, const char *engine, int fresh, char *err,
                        size_t errlen) {
  memset(d, 0, sizeof *d);
  if (!requested) {
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    int n = snprintf(d->path, sizeof d->path, "%s/strata-bench-%s-%ld", tmp, engine, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof d->path) {
      snprintf(err, errlen, "TMPDIR is too long");
      return -1;
    }
    /* A leftover of a killed run with the same pid is ours to reuse. */
    if (mkdir(d->path, 0755) != 0 && errno != EEXIST) {
      snprintf(err, errlen, "cannot create %s: %s", d->path, strerror(errno));
      return -1;
    }
    d->created = 1;
    return bench_dbdir_clear(d, err, errlen);
  }
  if (strlen(requested) >= sizeof d->path) {
    snprintf(err, errlen, "--db path is too long");
    return -1;
  }
  strcpy(d->path, requested);
  struct stat st;
  if (stat(d->path, &st) != 0) {
    if (errno != ENOENT || mkdir(d->path, 0755) != 0) {
      snprintf(err, errlen, "cannot create --db %s: %s", d->path, strerror(errno));
      return -1;
    }
    d->created = 1;
    return 0;
  }
  if (!S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "--db %s exists and is not a directory", d->path);
    return -1;
  }
  int empty = is_empty(d->path);
  if (empty < 0) {
    snprintf(err, errlen, "cannot read --db %s: %s", d->path, strerror(errno));
    return -1;
  }
  if (!empty) {
    if (!fresh) {
      snprintf(err, errlen, "--db %s is not empty; give --fresh to delete what it holds, or an empty directory",
               d->path);
      return -1;
    }
    if (check_leftover(d->path, err, errlen)) return -1;
    return bench_dbdir_clear(d, err, errlen);
  }
  return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)type;
  if (ftw->level == 0) return 0; /* the directory itself stays */
  return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int bench_dbdir_clear(const bench_dbdir *d, char *err, size_t errlen) {
  /* Depth first, so directories are empty when their turn comes; never
   * following symbolic links out of the database directory. */
  if (nftw(d->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
    snprintf(err, errlen, "cannot empty %s: %s", d->path, strerror(errno));
    return -1;
  }
  return 0;
}

int bench_dbdir_remove(const bench_dbdir *d, char *err, size_t errlen) {
  if (bench_dbdir_clear(d, err, errlen)) return -1;
  if (d->created && rmdir(d->path) != 0) {
    snprintf(err, errlen, "cannot remove %s: %s", d->path, strerror(errno));
    return -1;
  }
  return 0;
}
