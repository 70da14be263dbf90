/*
 * version_edit.c - a version edit in memory and its encoding as a manifest
 * record: a 12-byte header ("VERSEDIT", field count) and tagged fields
 * (docs/FORMAT.md). The decoder trusts nothing it reads.
 */
#include "version/version_edit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "base/error.h"
#include "format/ikey.h"
#include "format/range_del.h"

/* Field tags. Frozen: a tag's meaning never changes; 0 is never a tag. */
enum {
  TAG_LOG_NUMBER = 1,
  TAG_NEXT_FILE = 2,
  TAG_LAST_SEQ = 3,
  TAG_DELETED_FILE = 4,
  TAG_ADDED_FILE = 5,
};

void st_version_edit_init(st_version_edit *e) { memset(e, 0, sizeof *e); }

void st_version_edit_clear(st_version_edit *e) {
  for (size_t i = 0; i < e->nadded; i++) st_file_meta_unref(e->added[i].meta);
  free(e->added);
  free(e->deleted);
  st_version_edit_init(e);
}

int st_version_edit_add_file(st_version_edit *e, int level, st_file_meta *meta) {
  if (level < 0 || level >= ST_LEVELS)
    return st_error(STRATA_EINVAL, "version edit: level %d of file %llu is not in 0..%d", level,
                    (unsigned long long)meta->number, ST_LEVELS - 1);
  if (e->nadded == e->cap_added) {
    size_t cap = e->cap_added ? e->cap_added * 2 : 4;
    st_edit_file *n = realloc(e->added, cap * sizeof *n);
    if (!n) return st_error(STRATA_ENOMEM, "version edit: out of memory");
    e->added = n;
    e->cap_added = cap;
  }
  st_file_meta_ref(meta);
  e->added[e->nadded++] = (st_edit_file){.level = level, .meta = meta};
  return STRATA_OK;
}

int st_version_edit_delete_file(st_version_edit *e, int level, uint64_t number) {
  if (level < 0 || level >= ST_LEVELS)
    return st_error(STRATA_EINVAL, "version edit: level %d of deleted file %llu is not in 0..%d", level,
                    (unsigned long long)number, ST_LEVELS - 1);
  if (e->ndeleted == e->cap_deleted) {
    size_t cap = e->cap_deleted ? e->cap_deleted * 2 : 4;
    st_edit_delete *n = realloc(e->deleted, cap * sizeof *n);
    if (!n) return st_error(STRATA_ENOMEM, "version edit: out of memory");
    e->deleted = n;
    e->cap_deleted = cap;
  }
  e->deleted[e->ndeleted++] = (st_edit_delete){.level = level, .number = number};
  return STRATA_OK;
}

static size_t added_len(const st_edit_file *a) {
  const st_file_meta *f = a->meta;
  return st_varint64_len(TAG_ADDED_FILE) + st_varint64_len((uint64_t)a->level) + st_varint64_len(f->number) +
         st_varint64_len(f->size) + st_varint64_len(f->smallest_len) + f->smallest_len +
         st_varint64_len(f->largest_len) + f->largest_len + st_varint64_len(f->min_seq) +
         st_varint64_len(f->max_seq) + st_varint64_len(f->entries) + st_varint64_len(f->tombstones);
}

int st_version_edit_encode(const st_version_edit *e, char **buf_out, size_t *len_out) {
  *buf_out = NULL;
  *len_out = 0;
  size_t len = ST_VERSION_EDIT_HEADER, fields = 0;
  if (e->has_log_number) len += 1 + st_varint64_len(e->log_number), fields++;
  if (e->has_next_file) len += 1 + st_varint64_len(e->next_file), fields++;
  if (e->has_last_seq) len += 1 + st_varint64_len(e->last_seq), fields++;
  for (size_t i = 0; i < e->ndeleted; i++)
    len += 1 + st_varint64_len((uint64_t)e->deleted[i].level) + st_varint64_len(e->deleted[i].number);
  for (size_t i = 0; i < e->nadded; i++) len += added_len(&e->added[i]);
  fields += e->ndeleted + e->nadded;
  if (fields > UINT32_MAX) return st_error(STRATA_EINVAL, "version edit: %zu fields are too many", fields);

  char *buf = malloc(len), *p = buf;
  if (!buf) return st_error(STRATA_ENOMEM, "version edit: out of memory for %zu bytes", len);
  memcpy(p, ST_VERSION_EDIT_MAGIC, 8);
  st_put_fixed32(p + 8, (uint32_t)fields);
  p += ST_VERSION_EDIT_HEADER;
  if (e->has_log_number) {
    p += st_put_varint64(p, TAG_LOG_NUMBER);
    p += st_put_varint64(p, e->log_number);
  }
  if (e->has_next_file) {
    p += st_put_varint64(p, TAG_NEXT_FILE);
    p += st_put_varint64(p, e->next_file);
  }
  if (e->has_last_seq) {
    p += st_put_varint64(p, TAG_LAST_SEQ);
    p += st_put_varint64(p, e->last_seq);
  }
  for (size_t i = 0; i < e->ndeleted; i++) {
    p += st_put_varint64(p, TAG_DELETED_FILE);
    p += st_put_varint64(p, (uint64_t)e->deleted[i].level);
    p += st_put_varint64(p, e->deleted[i].number);
  }
  for (size_t i = 0; i < e->nadded; i++) {
    const st_file_meta *f = e->added[i].meta;
    p += st_put_varint64(p, TAG_ADDED_FILE);
    p += st_put_varint64(p, (uint64_t)e->added[i].level);
    p += st_put_varint64(p, f->number);
    p += st_put_varint64(p, f->size);
    p += st_put_varint64(p, f->smallest_len);
    if (f->smallest_len) memcpy(p, f->smallest, f->smallest_len);
    p += f->smallest_len;
    p += st_put_varint64(p, f->largest_len);
    if (f->largest_len) memcpy(p, f->largest, f->largest_len);
    p += f->largest_len;
    p += st_put_varint64(p, f->min_seq);
    p += st_put_varint64(p, f->max_seq);
    p += st_put_varint64(p, f->entries);
    p += st_put_varint64(p, f->tombstones);
  }
  *buf_out = buf;
  *len_out = len;
  return STRATA_OK;
}

/* Decoding state: the record and the next byte to read. */
typedef struct reader {
  const char *base, *p, *end;
  size_t field;     /* 1-based index of the field being read */
  const char *what; /* what is being read, for messages */
} reader;

static int bad(const reader *r, const char *fmt_what) {
  return st_error(STRATA_ECORRUPT, "version edit: field %zu: %s at byte %zu of %zu", r->field, fmt_what,
                  (size_t)(r->p - r->base), (size_t)(r->end - r->base));
}

static int get_varint(reader *r, const char *what, uint64_t *v_out) {
  const char *q = st_get_varint64(r->p, r->end, v_out);
  if (!q) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s is not a complete varint", what);
    return bad(r, msg);
  }
  r->p = q;
  return STRATA_OK;
}

static int get_level(reader *r, int *level_out) {
  uint64_t v;
  int rc = get_varint(r, "level", &v);
  if (rc) return rc;
  if (v >= ST_LEVELS) {
    char msg[96];
    snprintf(msg, sizeof msg, "level %llu is not in 0..%d", (unsigned long long)v, ST_LEVELS - 1);
    return bad(r, msg);
  }
  *level_out = (int)v;
  return STRATA_OK;
}

static int get_number(reader *r, uint64_t *n_out) {
  int rc = get_varint(r, "file number", n_out);
  if (!rc && *n_out == 0) return bad(r, "file number 0 (numbers start at 1)");
  return rc;
}

/* A length-prefixed internal key: at least the 8-byte trailer. */
static int get_key(reader *r, const char *what, const char **key_out, size_t *len_out) {
  uint64_t n;
  int rc = get_varint(r, what, &n);
  if (rc) return rc;
  char msg[128];
  if (n < ST_IKEY_TRAILER) {
    snprintf(msg, sizeof msg, "%s of %llu bytes is shorter than an internal key's 8-byte trailer", what,
             (unsigned long long)n);
    return bad(r, msg);
  }
  if (n > (uint64_t)(r->end - r->p)) {
    snprintf(msg, sizeof msg, "%s of %llu bytes runs past the end of the record", what, (unsigned long long)n);
    return bad(r, msg);
  }
  *key_out = r->p;
  *len_out = (size_t)n;
  r->p += n;
  return STRATA_OK;
}

static int decode_added(reader *r, st_version_edit *e) {
  int level = 0;
  uint64_t number, size, min_seq, max_seq, entries, tombstones;
  const char *smallest, *largest;
  size_t slen, llen;
  int rc;
  if ((rc = get_level(r, &level)) || (rc = get_number(r, &number)) || (rc = get_varint(r, "file size", &size)) ||
      (rc = get_key(r, "smallest key", &smallest, &slen)) || (rc = get_key(r, "largest key", &largest, &llen)))
    return rc;
  if (st_bound_compare(smallest, slen, largest, llen) > 0) return bad(r, "smallest key sorts after the largest key");
  if ((rc = get_varint(r, "min_seq", &min_seq)) || (rc = get_varint(r, "max_seq", &max_seq)) ||
      (rc = get_varint(r, "entries", &entries)) || (rc = get_varint(r, "tombstones", &tombstones)))
    return rc;
  if (max_seq > ST_SEQ_MAX) return bad(r, "max_seq is above 2^56 - 1");
  if (min_seq > max_seq) return bad(r, "min_seq is above max_seq");
  if (tombstones > entries) return bad(r, "more tombstones than entries");
  st_file_meta *f = st_file_meta_new(number, size, smallest, slen, largest, llen);
  if (!f) return st_error(STRATA_ENOMEM, "version edit: out of memory");
  f->min_seq = min_seq;
  f->max_seq = max_seq;
  f->entries = entries;
  f->tombstones = tombstones;
  if (tombstones == 0) atomic_store_explicit(&f->range_dels, 0, memory_order_relaxed);
  rc = st_version_edit_add_file(e, level, f);
  st_file_meta_unref(f);
  return rc;
}

/* Reads a field that may appear once per edit. */
static int get_single(reader *r, int *has, const char *what, uint64_t *v_out) {
  char msg[96];
  if (*has) {
    snprintf(msg, sizeof msg, "a second %s field", what);
    return bad(r, msg);
  }
  *has = 1;
  return get_varint(r, what, v_out);
}

static int decode_fields(reader *r, st_version_edit *e, uint32_t nfields) {
  int rc = STRATA_OK;
  for (r->field = 1; r->field <= nfields; r->field++) {
    if (r->p == r->end) return bad(r, "the record ends before this field");
    uint64_t tag;
    if ((rc = get_varint(r, "tag", &tag))) return rc;
    switch (tag) {
      case TAG_LOG_NUMBER:
        rc = get_single(r, &e->has_log_number, "log_number", &e->log_number);
        break;
      case TAG_NEXT_FILE:
        rc = get_single(r, &e->has_next_file, "next_file", &e->next_file);
        if (!rc && e->next_file == 0) rc = bad(r, "next_file 0 (numbers start at 1)");
        break;
      case TAG_LAST_SEQ:
        rc = get_single(r, &e->has_last_seq, "last_seq", &e->last_seq);
        if (!rc && e->last_seq > ST_SEQ_MAX) rc = bad(r, "last_seq is above 2^56 - 1");
        break;
      case TAG_DELETED_FILE: {
        int level = 0;
        uint64_t number;
        if (!(rc = get_level(r, &level)) && !(rc = get_number(r, &number)))
          rc = st_version_edit_delete_file(e, level, number);
        break;
      }
      case TAG_ADDED_FILE:
        rc = decode_added(r, e);
        break;
      default: {
        char msg[96];
        snprintf(msg, sizeof msg, "unknown tag %llu", (unsigned long long)tag);
        return bad(r, msg);
      }
    }
    if (rc) return rc;
  }
  if (r->p != r->end)
    return st_error(STRATA_ECORRUPT, "version edit: %zu bytes follow the last of %u fields at byte %zu of %zu",
                    (size_t)(r->end - r->p), (unsigned)nfields, (size_t)(r->p - r->base),
                    (size_t)(r->end - r->base));
  return STRATA_OK;
}

int st_version_edit_decode(st_version_edit *e, const char *data, size_t len) {
  reader r = {.base = data, .p = data, .end = data + len};
  int rc;
  if (len < ST_VERSION_EDIT_HEADER)
    rc = st_error(STRATA_ECORRUPT, "version edit: %zu bytes, shorter than the %d-byte header", len,
                  ST_VERSION_EDIT_HEADER);
  else if (memcmp(data, ST_VERSION_EDIT_MAGIC, 8) != 0)
    rc = st_error(STRATA_ECORRUPT, "version edit: the record does not start with \"%s\"", ST_VERSION_EDIT_MAGIC);
  else {
    r.p += ST_VERSION_EDIT_HEADER;
    rc = decode_fields(&r, e, st_get_fixed32(data + 8));
  }
  if (rc) st_version_edit_clear(e);
  return rc;
}
