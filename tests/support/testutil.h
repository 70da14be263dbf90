/*
 * testutil.h - helpers shared by the test programs: a fresh temporary
 * directory per test (so ctest -j is safe), recursive removal, and the
 * cmocka includes in the order cmocka requires.
 */
#ifndef STRATA_TESTS_TESTUTIL_H
#define STRATA_TESTS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
// clang-format off
#include <cmocka.h>
// clang-format on

#include "strata.h"

/* A new empty directory under $TMPDIR (or /tmp); malloc'ed path. */
char *tu_tmpdir(void);

/* Removes path and everything below it; frees path. NULL is ok. */
void tu_rmdir(char *path);

/* Number from the environment variable name, or def when unset. Lets long
 * runs raise the sizes of the heavy tests. */
long tu_env_long(const char *name, long def);

/* Opens dir with o (NULL: defaults), failing the test with the reason if
 * it cannot. */
strata_db *tu_open(const char *dir, const strata_options *o);

/* Runs check on db as it is, after a flush, after a full compaction and
 * after a reopen of dir with o: no step may change any answer. Returns
 * the reopened handle. */
strata_db *tu_each_stage(strata_db *db, const char *dir, const strata_options *o, void (*check)(strata_db *db));

/* Tiny levels and tables (2 level-0 tables start a compaction, level 1
 * holds 64 KiB, tables are cut at 16 KiB, 2 compaction threads), so that
 * compactions run through every level under a small memtable. */
void tu_options_tiny_levels(strata_options *o);

/* The keys and values the api tests write: "key%09ld", and a value of a
 * length that varies with i. */
void tu_key_of(char *out, long i);   /* out: 32 bytes */
void tu_value_of(char *out, long i); /* out: 64 bytes */

/* Asserts that key reads as the val_len bytes at val. */
void tu_expect_value(strata_db *db, const char *key, const char *val);
void tu_expect_missing(strata_db *db, const char *key);

/* Reads the numeric "name: value" line of strata.stats. */
unsigned long long tu_stat(strata_db *db, const char *name);

/* Appends text to path (creating it); for planting foreign files. */
void tu_write_file(const char *path, const void *data, size_t n);

/* The idx-th (0-based, in name order) file of dir whose name ends with
 * suffix, as "dir/name" into out; returns how many such files exist. */
int tu_nth_file(const char *dir, const char *suffix, int idx, char *out, size_t n);

/* For fuzzers, which run outside cmocka: empty dir (its files), and write
 * a file dir/name holding n bytes. Both abort on failure. */
void tu_dir_empty(const char *dir);
void tu_dir_put(const char *dir, const char *name, const void *p, size_t n);

/* XORs the byte at offset off of path with mask (damage for tests). */
void tu_flip_byte(const char *path, long off, int mask);

/* Size of the file at path, or -1. */
long long tu_file_size(const char *path);

/* The text of the small file dir/name, NUL-terminated, in a static buffer
 * of 256 bytes that the next call reuses ("" when the file is missing;
 * longer files are cut). Not thread-safe. */
const char *tu_dir_text(const char *dir, const char *name);

#endif
