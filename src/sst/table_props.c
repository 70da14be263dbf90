/*
 * table_props.c - the properties of a table and their encoding: an
 * ordinary block of (name, value) entries, names in bytewise order, so that
 * readers skip names they do not know.
 */
#include "sst/table_props.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "base/error.h"
#include "format/block.h"
#include "format/block_builder.h"
#include "format/ikey.h"
#include "format/range_del.h"
#include "strata.h"

#define PROPS_VERSION 1

void st_table_props_clear(st_table_props *p) {
  free(p->smallest);
  free(p->largest);
  memset(p, 0, sizeof *p);
}

static char *dup_bytes(const char *s, size_t n) {
  char *d = malloc(n ? n : 1);
  if (d && n) memcpy(d, s, n);
  return d;
}

int st_table_props_copy(st_table_props *dst, const st_table_props *src) {
  *dst = *src;
  dst->smallest = dst->largest = NULL;
  if (src->smallest) dst->smallest = dup_bytes(src->smallest, src->smallest_len);
  if (src->largest) dst->largest = dup_bytes(src->largest, src->largest_len);
  if ((src->smallest && !dst->smallest) || (src->largest && !dst->largest)) {
    st_table_props_clear(dst);
    return st_error(STRATA_ENOMEM, "table properties: out of memory");
  }
  return STRATA_OK;
}

/* ---- encoding ----------------------------------------------------------- */

static int add_varint(st_block_builder *b, const char *name, uint64_t v) {
  char buf[ST_VARINT64_MAX];
  return st_block_builder_add(b, name, strlen(name), buf, st_put_varint64(buf, v));
}

int st_table_props_encode(const st_table_props *p, char **buf_out, size_t *len_out) {
  *buf_out = NULL;
  *len_out = 0;
  st_block_builder b;
  st_block_builder_init(&b, 1);
  char kinds[ST_VARINT64_MAX * (ST_KIND_MAX + 2)], fixed[8];
  size_t kn = st_put_varint64(kinds, ST_KIND_MAX + 1);
  for (int k = 0; k <= ST_KIND_MAX; k++) kn += st_put_varint64(kinds + kn, p->kind_counts[k]);
  st_put_fixed64(fixed, p->file_bytes);
  /* In bytewise order of the names. */
  int rc = add_varint(&b, "compression", (uint64_t)p->compression);
  if (!rc) rc = add_varint(&b, "data.blocks", p->data_blocks);
  if (!rc) rc = add_varint(&b, "data.bytes", p->data_bytes);
  if (!rc) rc = add_varint(&b, "entries", p->entries);
  if (!rc) rc = st_block_builder_add(&b, "file.bytes", 10, fixed, 8);
  if (!rc) rc = st_block_builder_add(&b, "kind.counts", 11, kinds, kn);
  if (!rc) rc = st_block_builder_add(&b, "largest", 7, p->largest, p->largest_len);
  if (!rc) rc = add_varint(&b, "props.version", PROPS_VERSION);
  if (!rc) rc = add_varint(&b, "raw.key.bytes", p->raw_key_bytes);
  if (!rc) rc = add_varint(&b, "raw.value.bytes", p->raw_value_bytes);
  if (!rc) rc = add_varint(&b, "seq.max", p->max_seq);
  if (!rc) rc = add_varint(&b, "seq.min", p->min_seq);
  if (!rc) rc = st_block_builder_add(&b, "smallest", 8, p->smallest, p->smallest_len);
  if (!rc) rc = add_varint(&b, "tombstones", p->tombstones);
  const char *data;
  size_t len;
  if (!rc) rc = st_block_builder_finish(&b, &data, &len);
  if (!rc) {
    *buf_out = dup_bytes(data, len);
    if (*buf_out)
      *len_out = len;
    else
      rc = st_error(STRATA_ENOMEM, "table properties: out of memory");
  }
  st_block_builder_destroy(&b);
  return rc;
}

/* ---- decoding ----------------------------------------------------------- */

enum {
  P_COMPRESSION,
  P_DATA_BLOCKS,
  P_DATA_BYTES,
  P_ENTRIES,
  P_FILE_BYTES,
  P_KIND_COUNTS,
  P_LARGEST,
  P_VERSION,
  P_RAW_KEY,
  P_RAW_VALUE,
  P_SEQ_MAX,
  P_SEQ_MIN,
  P_SMALLEST,
  P_TOMBSTONES,
  P_COUNT
};

static const char *const prop_names[P_COUNT] = {
    "compression",   "data.blocks",   "data.bytes",      "entries", "file.bytes", "kind.counts", "largest",
    "props.version", "raw.key.bytes", "raw.value.bytes", "seq.max", "seq.min",    "smallest",    "tombstones"};

static int find_name(const char *k, size_t n) {
  for (int i = 0; i < P_COUNT; i++)
    if (strlen(prop_names[i]) == n && memcmp(prop_names[i], k, n) == 0) return i;
  return -1;
}

/* The value must be exactly one varint. */
static int get_one_varint(const char *v, size_t n, uint64_t *out) {
  const char *p = st_get_varint64(v, v + n, out);
  return p && p == v + n;
}

static int decode_counts(const char *v, size_t n, st_table_props *p, uint64_t *sum_out) {
  const char *end = v + n;
  uint64_t count, sum = 0;
  const char *q = st_get_varint64(v, end, &count);
  if (!q) return 0;
  for (uint64_t i = 0; i < count; i++) {
    uint64_t c;
    if ((q = st_get_varint64(q, end, &c)) == NULL) return 0;
    if (i <= ST_KIND_MAX) p->kind_counts[i] = c;
    sum += c;
  }
  *sum_out = sum;
  return q == end;
}

int st_table_props_decode(const char *data, size_t len, const char *file, uint64_t offset, st_table_props *p_out) {
  memset(p_out, 0, sizeof *p_out);
  unsigned long long off = (unsigned long long)offset;
  st_block_iter it;
  st_block_iter_init(&it, NULL, 0);
  int rc = st_block_iter_reset(&it, data, len);
  unsigned seen = 0;
  uint64_t version = 0, kind_sum = 0;
  int bad = -1;
  if (rc) goto damaged;
  for (st_block_iter_seek_first(&it); st_block_iter_valid(&it); st_block_iter_next(&it)) {
    int id = find_name(it.key, it.key_len);
    if (id < 0) continue; /* a name from a newer writer */
    const char *v = it.val;
    size_t n = it.val_len;
    uint64_t x = 0;
    int ok = 1;
    switch (id) {
      case P_FILE_BYTES:
        ok = n == 8;
        if (ok) p_out->file_bytes = st_get_fixed64(v);
        break;
      case P_KIND_COUNTS: ok = decode_counts(v, n, p_out, &kind_sum); break;
      case P_LARGEST:
      case P_SMALLEST: {
        char **dst = id == P_LARGEST ? &p_out->largest : &p_out->smallest;
        size_t *dlen = id == P_LARGEST ? &p_out->largest_len : &p_out->smallest_len;
        free(*dst);
        *dst = NULL;
        *dlen = 0;
        if (n) {
          if ((*dst = dup_bytes(v, n)) == NULL) {
            rc = st_error(STRATA_ENOMEM, "%s: properties: out of memory", file);
            goto fail;
          }
          *dlen = n;
        }
        break;
      }
      default:
        ok = get_one_varint(v, n, &x);
        switch (id) {
          case P_COMPRESSION: p_out->compression = x > 255 ? -1 : (int)x; break;
          case P_DATA_BLOCKS: p_out->data_blocks = x; break;
          case P_DATA_BYTES: p_out->data_bytes = x; break;
          case P_ENTRIES: p_out->entries = x; break;
          case P_VERSION: version = x; break;
          case P_RAW_KEY: p_out->raw_key_bytes = x; break;
          case P_RAW_VALUE: p_out->raw_value_bytes = x; break;
          case P_SEQ_MAX: p_out->max_seq = x; break;
          case P_SEQ_MIN: p_out->min_seq = x; break;
          case P_TOMBSTONES: p_out->tombstones = x; break;
        }
    }
    if (!ok) {
      bad = id;
      break;
    }
    seen |= 1u << id;
  }
  if (it.status) {
    rc = it.status;
    goto damaged;
  }
  if (bad >= 0) {
    rc = st_error(STRATA_ECORRUPT,
                  "%s: properties block at offset %llu: property %s: expected a well-formed value, "
                  "found %zu bytes that are not",
                  file, off, prop_names[bad], it.val_len);
    goto fail;
  }
  for (int i = 0; i < P_COUNT; i++) {
    if (!(seen & (1u << i))) {
      rc = st_error(STRATA_ECORRUPT, "%s: properties block at offset %llu: expected property %s, found none", file, off,
                    prop_names[i]);
      goto fail;
    }
  }
  char why[160] = "";
  if (version < 1)
    snprintf(why, sizeof why, "props.version >= 1, found %llu", (unsigned long long)version);
  else if (kind_sum != p_out->entries)
    snprintf(why, sizeof why, "kind counts adding up to entries %llu, found %llu", (unsigned long long)p_out->entries,
             (unsigned long long)kind_sum);
  else if (p_out->tombstones != p_out->kind_counts[ST_KIND_DELETE] + p_out->kind_counts[ST_KIND_RANGE_DELETE])
    snprintf(why, sizeof why, "tombstones = DELETE + RANGE_DELETE = %llu, found %llu",
             (unsigned long long)(p_out->kind_counts[ST_KIND_DELETE] + p_out->kind_counts[ST_KIND_RANGE_DELETE]),
             (unsigned long long)p_out->tombstones);
  else if (p_out->compression < 0)
    snprintf(why, sizeof why, "a compression type below 256, found more");
  else if (p_out->entries > 0 && (p_out->smallest_len < ST_IKEY_TRAILER || p_out->largest_len < ST_IKEY_TRAILER))
    snprintf(why, sizeof why, "smallest and largest keys of 8 bytes or more, found %zu and %zu", p_out->smallest_len,
             p_out->largest_len);
  else if (p_out->entries == 0 && (p_out->smallest_len || p_out->largest_len))
    snprintf(why, sizeof why, "no smallest and largest keys in an empty table, found %zu and %zu bytes",
             p_out->smallest_len, p_out->largest_len);
  else if (p_out->entries > 0 && p_out->min_seq > p_out->max_seq)
    snprintf(why, sizeof why, "seq.min <= seq.max, found %llu > %llu", (unsigned long long)p_out->min_seq,
             (unsigned long long)p_out->max_seq);
  else if (p_out->entries > p_out->kind_counts[ST_KIND_RANGE_DELETE] && p_out->data_blocks == 0)
    snprintf(why, sizeof why, "data blocks holding %llu entries, found none", (unsigned long long)p_out->entries);
  else if (p_out->entries > 0 &&
           st_bound_compare(p_out->smallest, p_out->smallest_len, p_out->largest, p_out->largest_len) > 0)
    snprintf(why, sizeof why, "smallest <= largest, found smallest > largest");
  if (why[0]) {
    rc = st_error(STRATA_ECORRUPT, "%s: properties block at offset %llu: expected %s", file, off, why);
    goto fail;
  }
  st_block_iter_destroy(&it);
  return STRATA_OK;

damaged : {
  st_errsave s;
  st_error_save(&s);
  rc = st_error(rc, "%s: properties block at offset %llu: %s", file, off, s.msg);
}
fail:
  st_block_iter_destroy(&it);
  st_table_props_clear(p_out);
  return rc;
}
