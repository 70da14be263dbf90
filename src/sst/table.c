/*
 * table.c - an open table: the footer and the meta blocks (index, filter,
 * range tombstones, properties) are read and checked once at open and kept
 * in memory; data blocks are read on demand through the block cache. The
 * table iterator is two-level: an index block iterator picks the data
 * block, a block iterator walks it.
 *
 * A table opened with ST_TABLE_MAP is mapped into memory: an uncompressed
 * data block is then used where it lies, with no read, copy or cache
 * entry; its checksum is checked the first time it is used (one bit per
 * block records that), so damage is still found before any of its bytes
 * is believed. Compressed blocks go through the block cache either way.
 */
#include "sst/table.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "format/block.h"
#include "format/bloom.h"
#include "format/footer.h"
#include "format/ikey.h"
#include "strata.h"

struct st_table {
  st_env *env;
  st_file *file;
  char *path;
  uint64_t number;
  st_block_cache *cache; /* may be NULL */
  uint64_t size;
  st_footer footer;
  uint64_t data_end; /* data blocks lie in [0, data_end) */
  char *tail;        /* the meta blocks, read at open: index, filter and range_del point into it */
  const char *index;
  size_t index_len;
  const char *filter; /* NULL: no filter */
  size_t filter_len;
  const char *range_del;
  size_t range_del_len;
  st_rtombs *rtombs; /* the range tombstones, fragmented; NULL when none */
  st_table_props props;
  const char *map;           /* the whole file, mapped read-only; NULL: blocks are read with pread */
  _Atomic uint64_t *checked; /* with map: bit i set once data block i's trailer checked out */
};

static int ikey_cmp(const char *a, size_t alen, const char *b, size_t blen) {
  return st_ikey_compare(a, alen, b, blen);
}

const char *st_table_path(const st_table *t) { return t->path; }
uint64_t st_table_file_number(const st_table *t) { return t->number; }
uint64_t st_table_file_size(const st_table *t) { return t->size; }
const st_table_props *st_table_get_props(const st_table *t) { return &t->props; }
const st_footer *st_table_footer(const st_table *t) { return &t->footer; }

int st_table_pread(st_table *t, uint64_t off, char *buf, size_t n) {
  size_t got = 0;
  int rc = t->env->pread(t->file, off, buf, n, &got);
  if (rc) return rc;
  if (got != n)
    return st_error(STRATA_ECORRUPT, "%s: read at offset %llu: expected %zu bytes, found %zu (file cut short)", t->path,
                    (unsigned long long)off, n, got);
  return STRATA_OK;
}

int st_table_read_block(st_table *t, const st_block_handle *h, const char *what, char **buf_out, size_t *len_out) {
  *buf_out = NULL;
  *len_out = 0;
  if (!st_block_handle_within(h, t->size, NULL) || h->size > ST_BLOCK_MAX_RAW)
    return st_error(STRATA_ECORRUPT, "%s: %s at offset %llu: expected %llu bytes + trailer within the file of %llu",
                    t->path, what, (unsigned long long)h->offset, (unsigned long long)h->size,
                    (unsigned long long)t->size);
  size_t n = (size_t)h->size;
  int type, rc;
  if (t->map) {
    const char *stored = t->map + h->offset;
    if ((rc = st_block_trailer_check(stored, n, t->path, what, h->offset, &type)) != STRATA_OK) return rc;
    if (type != STRATA_COMPRESSION_NONE)
      return st_block_uncompress(type, stored, n, t->path, what, h->offset, buf_out, len_out);
  }
  char *buf = malloc(n + ST_BLOCK_TRAILER);
  if (!buf) return st_error(STRATA_ENOMEM, "%s: out of memory for a %s of %zu bytes", t->path, what, n);
  if (t->map) {
    memcpy(buf, t->map + h->offset, n);
    *buf_out = buf;
    *len_out = n;
    return STRATA_OK;
  }
  rc = st_table_pread(t, h->offset, buf, n + ST_BLOCK_TRAILER);
  if (!rc) rc = st_block_trailer_check(buf, n, t->path, what, h->offset, &type);
  if (rc) {
    free(buf);
    return rc;
  }
  if (type == STRATA_COMPRESSION_NONE) {
    *buf_out = buf;
    *len_out = n;
    return STRATA_OK;
  }
  rc = st_block_uncompress(type, buf, n, t->path, what, h->offset, buf_out, len_out);
  free(buf);
  return rc;
}

/* ---- open --------------------------------------------------------------- */

/* Checks the trailer of a meta block inside the tail; meta blocks are
 * never compressed. */
static int check_meta(st_table *t, const st_block_handle *h, const char *what, const char **data_out, size_t *len_out) {
  const char *p = t->tail + (h->offset - t->data_end);
  int type, rc = st_block_trailer_check(p, (size_t)h->size, t->path, what, h->offset, &type);
  if (rc) return rc;
  if (type != STRATA_COMPRESSION_NONE)
    return st_error(STRATA_ECORRUPT, "%s: %s at offset %llu: expected compression type 0, found %d", t->path, what,
                    (unsigned long long)h->offset, type);
  *data_out = p;
  *len_out = (size_t)h->size;
  return STRATA_OK;
}

static int wrap_error(const st_table *t, int rc, const char *what, uint64_t off) {
  st_errsave s;
  st_error_save(&s);
  return st_error(rc, "%s: %s at offset %llu: %s", t->path, what, (unsigned long long)off, s.msg);
}

/* Walks the index: every value a handle, the handles tiling the data
 * region in order, as many as the properties say. */
static int check_index(st_table *t) {
  st_block_iter it;
  st_block_iter_init(&it, ikey_cmp, ST_IKEY_TRAILER);
  uint64_t next = 0, blocks = 0;
  int rc = st_block_iter_reset(&it, t->index, t->index_len);
  for (st_block_iter_seek_first(&it); rc == STRATA_OK && st_block_iter_valid(&it); st_block_iter_next(&it)) {
    st_block_handle h;
    const char *end = it.val + it.val_len, *p = st_block_handle_get(it.val, end, &h);
    if (!p || p != end || h.offset != next || !st_block_handle_within(&h, t->data_end, &next))
      rc = st_error(STRATA_ECORRUPT, "index entry %llu: expected a handle of a data block at offset %llu, found %s",
                    (unsigned long long)blocks, (unsigned long long)next,
                    p && p == end ? "another offset or size" : "bytes that are not a handle");
    blocks++;
  }
  if (!rc) rc = it.status;
  /* One restart point per entry (FORMAT.md 8.5): a data block's number is
   * the restart point of its index entry (the mapped read path keys the
   * block's checked bit by it). */
  if (!rc && it.nrestarts != blocks)
    rc = st_error(STRATA_ECORRUPT, "expected one restart point per entry (%llu), found %u", (unsigned long long)blocks,
                  it.nrestarts);
  if (!rc && (next != t->data_end || blocks != t->props.data_blocks))
    rc = st_error(STRATA_ECORRUPT, "expected %llu data blocks ending at offset %llu, found %llu ending at %llu",
                  (unsigned long long)t->props.data_blocks, (unsigned long long)t->data_end, (unsigned long long)blocks,
                  (unsigned long long)next);
  st_block_iter_destroy(&it);
  return rc ? wrap_error(t, rc, "index block", t->footer.index.offset) : STRATA_OK;
}

static int load_rtombs(st_table *t, uint64_t n);

static int open_blocks(st_table *t) {
  int rc;
  if (t->size < ST_FOOTER_SIZE)
    return st_error(STRATA_ECORRUPT, "%s: file size: expected at least %d bytes (a footer), found %llu", t->path,
                    ST_FOOTER_SIZE, (unsigned long long)t->size);
  char footer[ST_FOOTER_SIZE];
  if ((rc = st_table_pread(t, t->size - ST_FOOTER_SIZE, footer, ST_FOOTER_SIZE)) != STRATA_OK) return rc;
  if ((rc = st_footer_decode(footer, t->path, t->size - ST_FOOTER_SIZE, &t->footer)) != STRATA_OK) return rc;
  if ((rc = st_footer_check_layout(&t->footer, t->size, t->path, &t->data_end)) != STRATA_OK) return rc;
  uint64_t tail_len = t->size - ST_FOOTER_SIZE - t->data_end;
  if (tail_len > SIZE_MAX - 1 || (t->tail = malloc((size_t)tail_len + 1)) == NULL)
    return st_error(STRATA_ENOMEM, "%s: out of memory for %llu bytes of meta blocks", t->path,
                    (unsigned long long)tail_len);
  if ((rc = st_table_pread(t, t->data_end, t->tail, (size_t)tail_len)) != STRATA_OK) return rc;
  const st_footer *f = &t->footer;
  const char *props = NULL;
  size_t props_len = 0;
  if ((rc = check_meta(t, &f->props, "properties block", &props, &props_len)) != STRATA_OK) return rc;
  if ((rc = check_meta(t, &f->index, "index block", &t->index, &t->index_len)) != STRATA_OK) return rc;
  if ((rc = check_meta(t, &f->range_del, "range-tombstone block", &t->range_del, &t->range_del_len)) != STRATA_OK)
    return rc;
  if (f->filter.size && (rc = check_meta(t, &f->filter, "filter block", &t->filter, &t->filter_len)) != STRATA_OK)
    return rc;
  if ((rc = st_table_props_decode(props, props_len, t->path, f->props.offset, &t->props)) != STRATA_OK) return rc;
  if (t->props.file_bytes != t->size)
    return st_error(STRATA_ECORRUPT, "%s: file size: expected %llu bytes (properties), found %llu", t->path,
                    (unsigned long long)t->props.file_bytes, (unsigned long long)t->size);
  if (t->props.data_bytes != t->data_end)
    return st_error(STRATA_ECORRUPT, "%s: properties block at offset %llu: expected data.bytes %llu, found %llu",
                    t->path, (unsigned long long)f->props.offset, (unsigned long long)t->data_end,
                    (unsigned long long)t->props.data_bytes);
  if (t->filter && (rc = st_bloom_check(t->filter, t->filter_len)) != STRATA_OK)
    return wrap_error(t, rc, "filter block", f->filter.offset);
  uint64_t rdel = 0;
  if ((rc = st_block_check(t->range_del, t->range_del_len, ikey_cmp, ST_IKEY_TRAILER, &rdel)) != STRATA_OK)
    return wrap_error(t, rc, "range-tombstone block", f->range_del.offset);
  if (rdel != t->props.kind_counts[ST_KIND_RANGE_DELETE])
    return st_error(STRATA_ECORRUPT,
                    "%s: range-tombstone block at offset %llu: expected %llu entries (properties), found %llu", t->path,
                    (unsigned long long)f->range_del.offset,
                    (unsigned long long)t->props.kind_counts[ST_KIND_RANGE_DELETE], (unsigned long long)rdel);
  if (rdel && (rc = load_rtombs(t, rdel)) != STRATA_OK) return rc;
  return check_index(t);
}

/* Reads the n range tombstones of the (checked) block into t->rtombs. */
static int load_rtombs(st_table *t, uint64_t n) {
  if (n > SIZE_MAX / sizeof(st_rtomb)) return st_error(STRATA_ENOMEM, "%s: too many range tombstones", t->path);
  st_rtomb *r = malloc((size_t)n * sizeof *r);
  if (!r) return st_error(STRATA_ENOMEM, "%s: out of memory for %llu range tombstones", t->path, (unsigned long long)n);
  /* The block's keys are rebuilt from shared prefixes, so they are copied
   * out of the iterator before the list copies them again. */
  st_block_iter it;
  st_block_iter_init(&it, ikey_cmp, ST_IKEY_TRAILER);
  int rc = st_block_iter_reset(&it, t->range_del, t->range_del_len);
  char *keys = NULL;
  size_t i = 0, used = 0;
  if (!rc && (keys = malloc(t->range_del_len + 1)) == NULL) rc = st_error(STRATA_ENOMEM, "%s: out of memory", t->path);
  for (st_block_iter_seek_first(&it); !rc && st_block_iter_valid(&it) && i < n; st_block_iter_next(&it), i++) {
    size_t ulen = it.key_len - ST_IKEY_TRAILER;
    if (used + ulen > t->range_del_len) {
      rc = st_error(STRATA_ECORRUPT, "%s: range-tombstone block: keys larger than the block", t->path);
      break;
    }
    memcpy(keys + used, it.key, ulen);
    r[i].begin = keys + used;
    r[i].blen = ulen;
    used += ulen;
    r[i].seq = st_trailer_seq(st_ikey_trailer(it.key, it.key_len));
    if (st_trailer_kind(st_ikey_trailer(it.key, it.key_len)) != ST_KIND_RANGE_DELETE ||
        st_range_end_get(it.val, it.val_len, &r[i].end, &r[i].elen, &r[i].open) != 0 ||
        (!r[i].open && st_ukey_compare(r[i].begin, r[i].blen, r[i].end, r[i].elen) >= 0))
      rc = st_error(STRATA_ECORRUPT, "%s: range-tombstone block at offset %llu: entry %zu is not a range tombstone",
                    t->path, (unsigned long long)t->footer.range_del.offset, i);
  }
  if (!rc && it.status) rc = wrap_error(t, it.status, "range-tombstone block", t->footer.range_del.offset);
  if (!rc) rc = st_rtombs_build(r, i, &t->rtombs);
  st_block_iter_destroy(&it);
  free(keys);
  free(r);
  return rc;
}

const st_rtombs *st_table_rtombs(const st_table *t) { return t->rtombs; }

/* Maps the file when asked and the env can; a failed map is not an error
 * (reads fall back to pread). */
static void map_file(st_table *t) {
  size_t words = (size_t)((t->props.data_blocks + 63) / 64);
  if (!t->env->map || !(t->checked = calloc(words ? words : 1, sizeof *t->checked))) return;
  if (t->env->map(t->file, t->size, &t->map) != STRATA_OK) {
    free(t->checked);
    t->checked = NULL;
    t->map = NULL;
    st_error_clear();
  }
}

int st_table_open(st_env *env, const char *path, uint64_t file_number, st_block_cache *cache, int flags,
                  st_table **t_out) {
  *t_out = NULL;
  st_table *t = calloc(1, sizeof *t);
  if (!t || !(t->path = strdup(path))) {
    free(t);
    return st_error(STRATA_ENOMEM, "%s: out of memory", path);
  }
  t->env = env;
  t->number = file_number;
  t->cache = cache;
  int rc = env->open_file(env, path, ST_OPEN_READ, &t->file);
  if (!rc) rc = env->size(t->file, &t->size);
  if (!rc) rc = open_blocks(t);
  if (!rc && (flags & ST_TABLE_MAP)) map_file(t);
  if (rc) {
    st_errsave s;
    st_error_save(&s);
    st_table_close(t);
    return st_error_restore(&s, rc);
  }
  *t_out = t;
  return STRATA_OK;
}

void st_table_close(st_table *t) {
  if (!t) return;
  if (t->map) t->env->unmap(t->env, t->map, t->size);
  free(t->checked);
  if (t->file) t->env->close(t->file);
  st_table_props_clear(&t->props);
  st_rtombs_unref(t->rtombs);
  free(t->tail);
  free(t->path);
  free(t);
}

int st_table_may_contain(const st_table *t, const char *ukey, size_t ulen) {
  return t->filter ? st_bloom_may_contain(t->filter, t->filter_len, ukey, ulen) : 1;
}

uint64_t st_table_offset_of(const st_table *t, const char *ukey, size_t ulen) {
  if (!ukey) return t->data_end;
  char small[128], *target = ulen + ST_IKEY_TRAILER <= sizeof small ? small : malloc(ulen + ST_IKEY_TRAILER);
  if (!target) return 0;
  /* The first internal key of ukey: the newest sequence number sorts first. */
  st_ikey_pack(target, ukey, ulen, st_trailer_seek(ST_SEQ_MAX));
  st_block_iter it;
  st_block_iter_init(&it, ikey_cmp, ST_IKEY_TRAILER);
  uint64_t off = t->data_end;
  st_block_handle h;
  if (st_block_iter_reset(&it, t->index, t->index_len) == STRATA_OK) {
    st_block_iter_seek(&it, target, ulen + ST_IKEY_TRAILER);
    if (st_block_iter_valid(&it) && st_block_handle_get(it.val, it.val + it.val_len, &h)) off = h.offset;
  }
  st_block_iter_destroy(&it);
  if (target != small) free(target);
  return off;
}

/* ---- iterator ----------------------------------------------------------- */

/* A data block in use: either a cache handle or a private buffer. */
typedef struct block_ref {
  const char *data;
  size_t len;
  st_cache_handle *ch;
  char *owned;
} block_ref;

typedef struct table_iter {
  st_iter base;
  st_table *t;
  st_block_iter index;
  st_block_iter data;
  block_ref block;
  int has_block;
  uint64_t block_off;
  int status;                      /* first failure since the last seek */
  void (*on_free)(void *, void *); /* st_table_iter_on_free */
  void *free_a, *free_b;
} table_iter;

/* A mapped, uncompressed block: used in place once its trailer has been
 * checked (the first time block `ordinal` is used). 0 when the block is
 * not such a block (the caller reads it the usual way), 1 when *r points
 * at it, -1 on damage (error recorded). */
static int mapped_block(st_table *t, const st_block_handle *h, uint32_t ordinal, block_ref *r) {
  const char *p = t->map + h->offset;
  size_t n = (size_t)h->size;
  if ((unsigned char)p[n] != STRATA_COMPRESSION_NONE || ordinal >= t->props.data_blocks) return 0;
  _Atomic uint64_t *word = &t->checked[ordinal / 64];
  uint64_t bit = 1ull << (ordinal % 64);
  if (!(atomic_load_explicit(word, memory_order_acquire) & bit)) {
    int type;
    if (st_block_trailer_check(p, n, t->path, "data block", h->offset, &type) != STRATA_OK) return -1;
    atomic_fetch_or_explicit(word, bit, memory_order_release);
  }
  r->data = p;
  r->len = n;
  return 1;
}

/* Makes r the block at h, block number `ordinal` of the table. */
static int get_block(st_table *t, const st_block_handle *h, uint32_t ordinal, block_ref *r) {
  memset(r, 0, sizeof *r);
  if (t->map) {
    int m = mapped_block(t, h, ordinal, r);
    if (m) return m > 0 ? STRATA_OK : STRATA_ECORRUPT;
  }
  if (t->cache && (r->ch = st_block_cache_lookup(t->cache, t->number, h->offset)) != NULL) {
    r->data = st_cache_handle_data(r->ch);
    r->len = st_cache_handle_size(r->ch);
    return STRATA_OK;
  }
  char *buf;
  size_t len;
  int rc = st_table_read_block(t, h, "data block", &buf, &len);
  if (rc) return rc;
  if (t->cache) {
    r->ch = st_block_cache_insert(t->cache, t->number, h->offset, buf, len);
    if (!r->ch) return st_error(STRATA_ENOMEM, "%s: out of memory caching a block", t->path);
  } else {
    r->owned = buf;
  }
  r->data = buf;
  r->len = len;
  return STRATA_OK;
}

static void drop_block(table_iter *it) {
  if (it->block.ch) st_block_cache_release(it->t->cache, it->block.ch);
  free(it->block.owned);
  memset(&it->block, 0, sizeof it->block);
  it->has_block = 0;
  st_block_iter_detach(&it->data);
}

static void fail(table_iter *it, int rc) {
  it->status = rc;
  drop_block(it);
}

/* Damage seen by the data block iterator: name the file and block. */
static void data_damage(table_iter *it) { fail(it, wrap_error(it->t, it->data.status, "data block", it->block_off)); }

static void index_damage(table_iter *it) {
  fail(it, wrap_error(it->t, it->index.status, "index block", it->t->footer.index.offset));
}

/* Points the data iterator at the block the index iterator stands on
 * (unpositioned). 0 on failure (status set). */
static int load_block(table_iter *it) {
  st_table *t = it->t;
  st_block_handle h;
  const char *end = it->index.val + it->index.val_len;
  const char *p = st_block_handle_get(it->index.val, end, &h);
  if (!p || p != end || !st_block_handle_within(&h, t->data_end, NULL)) {
    fail(it, st_error(STRATA_ECORRUPT,
                      "%s: index block at offset %llu: expected a data block handle, found %zu bytes "
                      "that are not",
                      t->path, (unsigned long long)t->footer.index.offset, it->index.val_len));
    return 0;
  }
  if (!it->has_block || it->block_off != h.offset) {
    drop_block(it);
    uint32_t ordinal = t->map ? st_block_iter_restart_of_current(&it->index) : 0;
    int rc = get_block(t, &h, ordinal, &it->block);
    if (rc) {
      fail(it, rc);
      return 0;
    }
    it->has_block = 1;
    it->block_off = h.offset;
  }
  if (st_block_iter_reset(&it->data, it->block.data, it->block.len)) {
    data_damage(it);
    return 0;
  }
  return 1;
}

static void skip_forward(table_iter *it) {
  while (!st_block_iter_valid(&it->data)) {
    if (it->data.status) {
      data_damage(it);
      return;
    }
    st_block_iter_next(&it->index);
    if (!st_block_iter_valid(&it->index)) {
      if (it->index.status) index_damage(it);
      st_block_iter_detach(&it->data);
      return;
    }
    if (!load_block(it)) return;
    st_block_iter_seek_first(&it->data);
  }
}

static void skip_backward(table_iter *it) {
  while (!st_block_iter_valid(&it->data)) {
    if (it->data.status) {
      data_damage(it);
      return;
    }
    st_block_iter_prev(&it->index);
    if (!st_block_iter_valid(&it->index)) {
      if (it->index.status) index_damage(it);
      st_block_iter_detach(&it->data);
      return;
    }
    if (!load_block(it)) return;
    st_block_iter_seek_last(&it->data);
  }
}

/* Every positioning call starts afresh, also after a failure. */
static int restart(table_iter *it) {
  if (it->status || it->index.status) {
    it->status = STRATA_OK;
    if (st_block_iter_reset(&it->index, it->t->index, it->t->index_len)) {
      index_damage(it);
      return 0;
    }
  }
  return 1;
}

/* After the index iterator moved: load its block and position in it. */
static int enter_block(table_iter *it) {
  if (!st_block_iter_valid(&it->index)) {
    if (it->index.status) index_damage(it);
    st_block_iter_detach(&it->data);
    return 0;
  }
  return load_block(it);
}

static void ti_seek_first(st_iter *base) {
  table_iter *it = (table_iter *)base;
  if (!restart(it)) return;
  st_block_iter_seek_first(&it->index);
  if (!enter_block(it)) return;
  st_block_iter_seek_first(&it->data);
  skip_forward(it);
}

static void ti_seek_last(st_iter *base) {
  table_iter *it = (table_iter *)base;
  if (!restart(it)) return;
  st_block_iter_seek_last(&it->index);
  if (!enter_block(it)) return;
  st_block_iter_seek_last(&it->data);
  skip_backward(it);
}

static void ti_seek(st_iter *base, const char *target, size_t len) {
  table_iter *it = (table_iter *)base;
  if (!restart(it)) return;
  st_block_iter_seek(&it->index, target, len);
  if (!enter_block(it)) return;
  st_block_iter_seek(&it->data, target, len);
  skip_forward(it);
}

static void ti_next(st_iter *base) {
  table_iter *it = (table_iter *)base;
  if (!st_block_iter_valid(&it->data)) return;
  st_block_iter_next(&it->data);
  skip_forward(it);
}

static void ti_prev(st_iter *base) {
  table_iter *it = (table_iter *)base;
  if (!st_block_iter_valid(&it->data)) return;
  st_block_iter_prev(&it->data);
  skip_backward(it);
}

static int ti_valid(const st_iter *base) {
  const table_iter *it = (const table_iter *)base;
  return it->status == STRATA_OK && st_block_iter_valid(&it->data);
}

static const char *ti_key(const st_iter *base, size_t *n) {
  const table_iter *it = (const table_iter *)base;
  *n = it->data.key_len;
  return it->data.key;
}

static const char *ti_value(const st_iter *base, size_t *n) {
  const table_iter *it = (const table_iter *)base;
  *n = it->data.val_len;
  return it->data.val;
}

static int ti_status(const st_iter *base) { return ((const table_iter *)base)->status; }

static void ti_free(st_iter *base) {
  table_iter *it = (table_iter *)base;
  drop_block(it);
  st_block_iter_destroy(&it->data);
  st_block_iter_destroy(&it->index);
  if (it->on_free) it->on_free(it->free_a, it->free_b); /* last: it may release the table */
  free(it);
}

void st_table_iter_on_free(st_iter *base, void (*fn)(void *, void *), void *a, void *b) {
  table_iter *it = (table_iter *)base;
  it->on_free = fn;
  it->free_a = a;
  it->free_b = b;
}

/* The key after a move, or NULL when it left the table or failed. */
static const char *moved_key(const table_iter *it, size_t *n) {
  if (it->status != STRATA_OK || !st_block_iter_valid(&it->data)) return NULL;
  *n = it->data.key_len;
  return it->data.key;
}

static const char *ti_next_key(st_iter *base, size_t *n) {
  ti_next(base);
  return moved_key((const table_iter *)base, n);
}

static const char *ti_prev_key(st_iter *base, size_t *n) {
  ti_prev(base);
  return moved_key((const table_iter *)base, n);
}

static const st_iter_ops table_iter_ops = {ti_valid, ti_seek_first, ti_seek_last, ti_seek, ti_next,     ti_prev,
                                           ti_key,   ti_value,      ti_status,    ti_free, ti_next_key, ti_prev_key};

static void iter_init(table_iter *it, st_table *t) {
  memset(it, 0, sizeof *it);
  it->base.ops = &table_iter_ops;
  it->t = t;
  st_block_iter_init(&it->index, ikey_cmp, ST_IKEY_TRAILER);
  st_block_iter_init(&it->data, ikey_cmp, ST_IKEY_TRAILER);
  if (st_block_iter_reset(&it->index, t->index, t->index_len)) index_damage(it);
}

int st_table_iter_new(st_table *t, st_iter **it_out) {
  *it_out = NULL;
  table_iter *it = malloc(sizeof *it);
  if (!it) return st_error(STRATA_ENOMEM, "%s: out of memory for an iterator", t->path);
  iter_init(it, t);
  *it_out = &it->base;
  return STRATA_OK;
}

int st_table_get(st_table *t, const char *target, size_t tlen, st_table_get_fn fn, void *arg) {
  table_iter it; /* on the stack: a point read allocates nothing */
  iter_init(&it, t);
  ti_seek(&it.base, target, tlen);
  int rc = it.status;
  while (rc == STRATA_OK && st_block_iter_valid(&it.data)) {
    rc = fn(arg, it.data.key, it.data.key_len, it.data.val, it.data.val_len);
    if (rc != ST_TABLE_GET_MORE) break;
    ti_next(&it.base);
    rc = it.status;
  }
  drop_block(&it);
  st_block_iter_destroy(&it.data);
  st_block_iter_destroy(&it.index);
  return rc;
}
