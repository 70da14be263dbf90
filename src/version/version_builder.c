/*
 * version_builder.c - derives a version from another by applying edits:
 * level 0 kept newest first (descending number), levels 1+ sorted by
 * smallest internal key with overlaps refused, file numbers unique.
 */
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "format/ikey.h"
#include "format/range_del.h"
#include "version/version_edit.h"

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Index of the first element of the sorted numbers that is >= n. */
static size_t number_pos(const st_version_builder *b, uint64_t n) {
  size_t lo = 0, hi = b->nnumbers;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (b->numbers[mid] < n)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int reserve_level(st_version_builder *b, int level, size_t want) {
  if (want <= b->cap[level]) return STRATA_OK;
  size_t cap = b->cap[level] ? b->cap[level] : 4;
  while (cap < want) cap *= 2;
  st_file_meta **n = realloc(b->files[level], cap * sizeof *n);
  if (!n) return st_error(STRATA_ENOMEM, "version: out of memory");
  b->files[level] = n;
  b->cap[level] = cap;
  return STRATA_OK;
}

static int reserve_numbers(st_version_builder *b, size_t want) {
  if (want <= b->cap_numbers) return STRATA_OK;
  size_t cap = b->cap_numbers ? b->cap_numbers : 16;
  while (cap < want) cap *= 2;
  uint64_t *n = realloc(b->numbers, cap * sizeof *n);
  if (!n) return st_error(STRATA_ENOMEM, "version: out of memory");
  b->numbers = n;
  b->cap_numbers = cap;
  return STRATA_OK;
}

int st_version_builder_init(st_version_builder *b, const st_version *base) {
  memset(b, 0, sizeof *b);
  if (!base) return STRATA_OK;
  size_t total = 0;
  for (int level = 0; level < ST_LEVELS; level++) total += base->nfiles[level];
  int rc = reserve_numbers(b, total);
  for (int level = 0; level < ST_LEVELS && !rc; level++) rc = reserve_level(b, level, base->nfiles[level]);
  if (rc) {
    st_version_builder_clear(b);
    return rc;
  }
  for (int level = 0; level < ST_LEVELS; level++) {
    for (size_t i = 0; i < base->nfiles[level]; i++) {
      st_file_meta *f = base->files[level][i];
      st_file_meta_ref(f);
      b->files[level][i] = f;
      b->numbers[b->nnumbers++] = f->number;
    }
    b->nfiles[level] = base->nfiles[level];
  }
  if (b->nnumbers) qsort(b->numbers, b->nnumbers, sizeof *b->numbers, cmp_u64);
  return STRATA_OK;
}

void st_version_builder_clear(st_version_builder *b) {
  for (int level = 0; level < ST_LEVELS; level++) {
    for (size_t i = 0; i < b->nfiles[level]; i++) st_file_meta_unref(b->files[level][i]);
    free(b->files[level]);
  }
  free(b->numbers);
  memset(b, 0, sizeof *b);
}

static int remove_file(st_version_builder *b, const st_edit_delete *d, int code) {
  if (d->level < 0 || d->level >= ST_LEVELS)
    return st_error(code, "version edit: deletes file %llu from level %d, which is not in 0..%d",
                    (unsigned long long)d->number, d->level, ST_LEVELS - 1);
  st_file_meta **files = b->files[d->level];
  size_t n = b->nfiles[d->level], i;
  for (i = 0; i < n && files[i]->number != d->number; i++) {
  }
  if (i == n)
    return st_error(code, "version edit: deletes file %llu from level %d, where it is not",
                    (unsigned long long)d->number, d->level);
  st_file_meta_unref(files[i]);
  memmove(files + i, files + i + 1, (n - i - 1) * sizeof *files);
  b->nfiles[d->level]--;
  size_t pos = number_pos(b, d->number);
  /* Every file in a level has its number in the list. */
  memmove(b->numbers + pos, b->numbers + pos + 1, (b->nnumbers - pos - 1) * sizeof *b->numbers);
  b->nnumbers--;
  return STRATA_OK;
}

/* Where f goes in its level: level 0 by number descending, others by
 * smallest key (after any file with an equal smallest key). */
static size_t insert_pos(const st_version_builder *b, int level, const st_file_meta *f) {
  st_file_meta *const *files = b->files[level];
  size_t lo = 0, hi = b->nfiles[level];
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int before = level == 0 ? files[mid]->number > f->number
                            : st_ikey_compare(files[mid]->smallest, files[mid]->smallest_len, f->smallest,
                                              f->smallest_len) <= 0;
    if (before)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int add_file(st_version_builder *b, const st_edit_file *a, int code) {
  const st_file_meta *f = a->meta;
  unsigned long long num = (unsigned long long)f->number;
  int level = a->level;
  if (level < 0 || level >= ST_LEVELS)
    return st_error(code, "version edit: adds file %llu at level %d, which is not in 0..%d", num, level,
                    ST_LEVELS - 1);
  if (f->number == 0) return st_error(code, "version edit: adds a file numbered 0 (numbers start at 1)");
  if (f->smallest_len < ST_IKEY_TRAILER || f->largest_len < ST_IKEY_TRAILER)
    return st_error(code, "version edit: file %llu has a key shorter than an internal key's 8-byte trailer", num);
  if (st_bound_compare(f->smallest, f->smallest_len, f->largest, f->largest_len) > 0)
    return st_error(code, "version edit: file %llu has a smallest key that sorts after its largest key", num);
  size_t npos = number_pos(b, f->number);
  if (npos < b->nnumbers && b->numbers[npos] == f->number)
    return st_error(code, "version edit: adds file %llu at level %d, but a file with that number is live", num,
                    level);
  size_t pos = insert_pos(b, level, f);
  st_file_meta **files = b->files[level];
  size_t n = b->nfiles[level];
  if (level > 0) {
    const st_file_meta *prev = pos > 0 ? files[pos - 1] : NULL, *next = pos < n ? files[pos] : NULL;
    const st_file_meta *other = NULL;
    if (prev && st_bound_compare(prev->largest, prev->largest_len, f->smallest, f->smallest_len) >= 0)
      other = prev;
    else if (next && st_bound_compare(f->largest, f->largest_len, next->smallest, next->smallest_len) >= 0)
      other = next;
    if (other)
      return st_error(code, "version edit: file %llu overlaps file %llu at level %d", num,
                      (unsigned long long)other->number, level);
  }
  int rc = reserve_level(b, level, n + 1);
  if (!rc) rc = reserve_numbers(b, b->nnumbers + 1);
  if (rc) return rc;
  files = b->files[level];
  memmove(files + pos + 1, files + pos, (n - pos) * sizeof *files);
  st_file_meta_ref(a->meta);
  /* A table moved down starts afresh too: the reads it made wait were
   * about the level it left. */
  atomic_store_explicit(&a->meta->allowed_seeks, st_file_allowed_seeks(f->size), memory_order_relaxed);
  files[pos] = a->meta;
  b->nfiles[level]++;
  memmove(b->numbers + npos + 1, b->numbers + npos, (b->nnumbers - npos) * sizeof *b->numbers);
  b->numbers[npos] = f->number;
  b->nnumbers++;
  return STRATA_OK;
}

int st_version_builder_apply(st_version_builder *b, const st_version_edit *e, int err_code) {
  int rc = STRATA_OK;
  for (size_t i = 0; i < e->ndeleted && !rc; i++) rc = remove_file(b, &e->deleted[i], err_code);
  for (size_t i = 0; i < e->nadded && !rc; i++) rc = add_file(b, &e->added[i], err_code);
  return rc;
}

int st_version_builder_finish(st_version_builder *b, st_version **v_out) {
  *v_out = NULL;
  st_version *v = st_version_new();
  if (!v) return st_error(STRATA_ENOMEM, "version: out of memory");
  for (int level = 0; level < ST_LEVELS; level++) {
    v->files[level] = b->files[level];
    v->nfiles[level] = b->nfiles[level];
    b->files[level] = NULL;
    b->nfiles[level] = b->cap[level] = 0;
  }
  st_version_builder_clear(b);
  *v_out = v;
  return STRATA_OK;
}
