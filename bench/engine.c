/*
 * engine.c - the table of engines compiled into strata-bench, the shared
 * error message engines report failures through, and the growable buffer
 * get() fills.
 */
#include "engine.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which rivals are here is decided by CMake (BENCH_HAVE_*), from the -dev
 * packages found at configure time. */
static const bench_engine *const engines[] = {
    &bench_engine_strata,
#ifdef BENCH_HAVE_ROCKSDB
    &bench_engine_rocksdb,
#endif
#ifdef BENCH_HAVE_LEVELDB
    &bench_engine_leveldb,
#endif
#ifdef BENCH_HAVE_LMDB
    &bench_engine_lmdb,
#endif
};

#ifdef BENCH_HAVE_ROCKSDB
#define LIST_ROCKSDB ",rocksdb"
#else
#define LIST_ROCKSDB ""
#endif
#ifdef BENCH_HAVE_LEVELDB
#define LIST_LEVELDB ",leveldb"
#else
#define LIST_LEVELDB ""
#endif
#ifdef BENCH_HAVE_LMDB
#define LIST_LMDB ",lmdb"
#else
#define LIST_LMDB ""
#endif

const bench_engine *bench_engine_find(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++)
    if (strcmp(engines[i]->name, name) == 0) return engines[i];
  return NULL;
}

const char *bench_engine_list(void) { return "strata" LIST_ROCKSDB LIST_LEVELDB LIST_LMDB; }

/* Engines may fail on any thread; the mutex keeps the message whole. */
static pthread_mutex_t error_mu = PTHREAD_MUTEX_INITIALIZER;
static char error_text[1024];

void bench_engine_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  pthread_mutex_lock(&error_mu);
  vsnprintf(error_text, sizeof error_text, fmt, ap);
  pthread_mutex_unlock(&error_mu);
  va_end(ap);
}

const char *bench_engine_last_error(void) { return error_text; }

int bench_buf_reserve(bench_buf *b, size_t n) {
  if (n <= b->cap && b->data) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < n) {
    if (cap > SIZE_MAX / 2) {
      cap = n;
      break;
    }
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (!p) return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}
