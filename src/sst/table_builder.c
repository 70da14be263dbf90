/*
 * table_builder.c - writes a table: data blocks as entries arrive (cut at
 * block_bytes, compressed when it pays), then the filter, range-tombstone,
 * index and properties blocks and the footer (docs/FORMAT.md, "SSTable").
 * Output is staged in a buffer and appended in large writes.
 */
#include "sst/table_builder.h"

#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "base/error.h"
#include "format/block_builder.h"
#include "format/block_handle.h"
#include "format/bloom.h"
#include "format/compress.h"
#include "format/footer.h"
#include "format/ikey.h"
#include "format/range_del.h"
#include "strata.h"

#define WRITE_CHUNK (256 * 1024) /* staged bytes that trigger an append */

struct st_table_builder {
  st_env *env;
  st_file *file;
  char *path;
  st_table_options o;
  st_block_builder data;
  st_block_builder index;
  st_bloom_builder bloom;
  int use_bloom;
  char *wbuf; /* staged output */
  size_t wlen, wcap;
  uint64_t offset; /* file offset of the next staged byte */
  int pending;     /* a data block awaits its index entry */
  st_block_handle pending_handle;
  char *last; /* the previous internal key */
  size_t last_len, last_cap;
  st_table_props props;
  /* Range tombstones: their block, how many, the first one's internal
   * key and the greatest bound they reach (see add_range). */
  st_block_builder rdel;
  uint64_t nranges, range_min_seq, range_max_seq;
  char *range_first, *range_last; /* internal keys */
  size_t range_first_len, range_last_len, range_last_cap;
  char *range_high; /* largest internal key the ranges reach */
  size_t range_high_len, range_high_cap;
  uint64_t range_key_bytes, range_value_bytes;
  int status; /* first failure: every later call returns it */
};

void st_table_options_init(st_table_options *o) {
  o->block_bytes = 4096;
  o->restart_interval = 16;
  o->bloom_bits_per_key = 10;
  o->compression = STRATA_COMPRESSION_NONE;
}

static int check_options(const st_table_options *o) {
  if (o->block_bytes < 1 || o->block_bytes > ST_BLOCK_MAX_RAW / 2)
    return st_error(STRATA_EINVAL, "table: block_bytes %zu is outside 1 .. %zu", o->block_bytes, ST_BLOCK_MAX_RAW / 2);
  if (o->restart_interval < 1 || o->restart_interval > 65536)
    return st_error(STRATA_EINVAL, "table: restart_interval %d is outside 1 .. 65536", o->restart_interval);
  if (o->bloom_bits_per_key < 0 || o->bloom_bits_per_key > ST_BLOOM_MAX_BITS_PER_KEY)
    return st_error(STRATA_EINVAL, "table: bloom_bits_per_key %d is outside 0 .. %d", o->bloom_bits_per_key,
                    ST_BLOOM_MAX_BITS_PER_KEY);
  if (!st_compression_supported(o->compression))
    return st_error(STRATA_EINVAL, "table: compression %d is not available in this build", o->compression);
  return STRATA_OK;
}

static void builder_free(st_table_builder *b) {
  st_block_builder_destroy(&b->data);
  st_block_builder_destroy(&b->index);
  st_block_builder_destroy(&b->rdel);
  free(b->range_first);
  free(b->range_last);
  free(b->range_high);
  st_bloom_builder_destroy(&b->bloom);
  st_table_props_clear(&b->props);
  free(b->wbuf);
  free(b->last);
  free(b->path);
  free(b);
}

int st_table_builder_new(st_env *env, const char *path, const st_table_options *o, st_table_builder **b_out) {
  *b_out = NULL;
  st_table_options defaults;
  if (!o) {
    st_table_options_init(&defaults);
    o = &defaults;
  }
  int rc = check_options(o);
  if (rc) return rc;
  st_table_builder *b = calloc(1, sizeof *b);
  if (!b || !(b->path = strdup(path))) {
    free(b);
    return st_error(STRATA_ENOMEM, "table %s: out of memory", path);
  }
  b->env = env;
  b->o = *o;
  st_block_builder_init(&b->data, o->restart_interval);
  st_block_builder_init(&b->index, 1);
  st_block_builder_init(&b->rdel, 1);
  b->use_bloom = o->bloom_bits_per_key > 0;
  st_bloom_builder_init(&b->bloom, b->use_bloom ? o->bloom_bits_per_key : 1);
  b->props.compression = o->compression;
  rc = env->open_file(env, path, ST_OPEN_CREATE_EXCL, &b->file);
  if (rc) {
    builder_free(b);
    return rc;
  }
  *b_out = b;
  return STRATA_OK;
}

static int stage(st_table_builder *b, const char *p, size_t n) {
  if (b->wlen + n > b->wcap) {
    size_t cap = b->wcap ? b->wcap : WRITE_CHUNK + 8192;
    while (cap < b->wlen + n) cap *= 2;
    char *w = realloc(b->wbuf, cap);
    if (!w) return st_error(STRATA_ENOMEM, "table %s: out of memory for %zu bytes", b->path, cap);
    b->wbuf = w;
    b->wcap = cap;
  }
  memcpy(b->wbuf + b->wlen, p, n);
  b->wlen += n;
  b->offset += n;
  return STRATA_OK;
}

static int write_out(st_table_builder *b) {
  if (b->wlen == 0) return STRATA_OK;
  int rc = b->env->append(b->file, b->wbuf, b->wlen);
  b->wlen = 0;
  return rc;
}

/* Stages block[0, n) (compressed with codec when that pays) and its
 * trailer; *h_out locates it. */
static int emit_block(st_table_builder *b, const char *block, size_t n, int codec, st_block_handle *h_out) {
  char *z = NULL;
  size_t zlen = 0;
  int type = STRATA_COMPRESSION_NONE;
  if (codec != STRATA_COMPRESSION_NONE) {
    int rc = st_block_compress(codec, block, n, &z, &zlen, &type);
    if (rc) return rc;
    if (z) {
      block = z;
      n = zlen;
    }
  }
  char trailer[ST_BLOCK_TRAILER];
  st_block_trailer_put(trailer, block, n, type);
  h_out->offset = b->offset;
  h_out->size = n;
  int rc = stage(b, block, n);
  if (!rc) rc = stage(b, trailer, sizeof trailer);
  free(z);
  if (!rc && b->wlen >= WRITE_CHUNK) rc = write_out(b);
  return rc;
}

static int flush_data_block(st_table_builder *b) {
  const char *raw;
  size_t n;
  int rc = st_block_builder_finish(&b->data, &raw, &n);
  if (!rc) rc = emit_block(b, raw, n, b->o.compression, &b->pending_handle);
  if (rc) return rc;
  st_block_builder_reset(&b->data);
  b->pending = 1;
  b->props.data_blocks++;
  return STRATA_OK;
}

static int add_index_entry(st_table_builder *b, const char *key, size_t klen) {
  char h[ST_BLOCK_HANDLE_MAX];
  size_t hn = st_block_handle_put(h, &b->pending_handle);
  int rc = st_block_builder_add(&b->index, key, klen, h, hn);
  if (!rc) b->pending = 0;
  return rc;
}

/*
 * The index key between two blocks: >= every key of the earlier block (last
 * is its last key) and < every key of the next (next is its first). When
 * the user keys differ early, a shorter user key that sorts between them
 * does, with the largest trailer so that it precedes all its versions.
 */
static int add_separator(st_table_builder *b, const char *next, size_t nlen) {
  const unsigned char *a = (const unsigned char *)b->last, *c = (const unsigned char *)next;
  size_t alen = b->last_len - ST_IKEY_TRAILER, clen = nlen - ST_IKEY_TRAILER;
  size_t n = alen < clen ? alen : clen, i = 0;
  while (i < n && a[i] == c[i]) i++;
  if (i < n && a[i] + 1 < c[i] && i + 1 < alen) {
    char sep[256 + ST_IKEY_TRAILER];
    if (i + 1 <= 256) {
      memcpy(sep, a, i);
      sep[i] = (char)(a[i] + 1);
      st_put_fixed64(sep + i + 1, st_trailer_seek(ST_SEQ_MAX));
      return add_index_entry(b, sep, i + 1 + ST_IKEY_TRAILER);
    }
  }
  return add_index_entry(b, b->last, b->last_len);
}

int st_table_builder_add(st_table_builder *b, const char *ikey, size_t iklen, const char *val, size_t vlen) {
  if (b->status) return b->status;
  if (iklen < ST_IKEY_TRAILER)
    return st_error(STRATA_EINVAL, "table %s: internal key of %zu bytes, shorter than its trailer", b->path, iklen);
  uint64_t trailer = st_ikey_trailer(ikey, iklen);
  unsigned kind = st_trailer_kind(trailer);
  if (kind > ST_KIND_MAX) return st_error(STRATA_EINVAL, "table %s: entry of unknown kind %u", b->path, kind);
  if (kind == ST_KIND_RANGE_DELETE)
    return st_error(STRATA_EINVAL, "table %s: a range tombstone among the entries (add_range writes them)", b->path);
  if (b->props.entries > 0 && st_ikey_compare(ikey, iklen, b->last, b->last_len) <= 0)
    return st_error(STRATA_EINVAL, "table %s: entry %llu is not after the previous one", b->path,
                    (unsigned long long)b->props.entries);
  if (iklen > ST_BLOCK_MAX_RAW / 4 || vlen > ST_BLOCK_MAX_RAW / 2)
    return st_error(STRATA_EINVAL, "table %s: entry of %zu + %zu bytes is over the block limit", b->path, iklen, vlen);
  size_t ulen = iklen - ST_IKEY_TRAILER;
  int rc = STRATA_OK;
  if (b->pending) rc = add_separator(b, ikey, iklen);
  if (!rc && b->use_bloom &&
      (b->props.entries == 0 || st_ukey_compare(ikey, ulen, b->last, b->last_len - ST_IKEY_TRAILER) != 0))
    rc = st_bloom_builder_add(&b->bloom, ikey, ulen);
  if (!rc) rc = st_block_builder_add(&b->data, ikey, iklen, val, vlen);
  if (!rc && iklen > b->last_cap) {
    char *l = realloc(b->last, iklen);
    if (!l)
      rc = st_error(STRATA_ENOMEM, "table %s: out of memory", b->path);
    else {
      b->last = l;
      b->last_cap = iklen;
    }
  }
  if (rc) return b->status = rc;
  st_table_props *p = &b->props;
  uint64_t seq = st_trailer_seq(trailer);
  if (p->entries == 0) {
    if ((p->smallest = malloc(iklen)) == NULL) return b->status = st_error(STRATA_ENOMEM, "table: out of memory");
    memcpy(p->smallest, ikey, iklen);
    p->smallest_len = iklen;
    p->min_seq = p->max_seq = seq;
  }
  if (seq < p->min_seq) p->min_seq = seq;
  if (seq > p->max_seq) p->max_seq = seq;
  p->entries++;
  p->kind_counts[kind]++;
  if (kind == ST_KIND_DELETE || kind == ST_KIND_RANGE_DELETE) p->tombstones++;
  p->raw_key_bytes += ulen;
  p->raw_value_bytes += vlen;
  memcpy(b->last, ikey, iklen);
  b->last_len = iklen;
  if (st_block_builder_size(&b->data) >= b->o.block_bytes && (rc = flush_data_block(b)) != STRATA_OK)
    return b->status = rc;
  return STRATA_OK;
}

/* Copies n bytes into a growable buffer. */
static int keep_bytes(char **buf, size_t *cap, const char *p, size_t n) {
  if (n > *cap) {
    char *nb = realloc(*buf, n);
    if (!nb) return st_error(STRATA_ENOMEM, "table: out of memory");
    *buf = nb;
    *cap = n;
  }
  memcpy(*buf, p, n);
  return STRATA_OK;
}

uint64_t st_table_builder_entries(const st_table_builder *b) { return b->props.entries + b->nranges; }

int st_table_builder_add_range(st_table_builder *b, const char *start, size_t slen, const char *end, size_t elen,
                               int open, uint64_t seq) {
  if (b->status) return b->status;
  if (slen > ST_BLOCK_MAX_RAW / 4 || elen > ST_BLOCK_MAX_RAW / 4)
    return st_error(STRATA_EINVAL, "table %s: range tombstone bound over the block limit", b->path);
  if (!open && st_ukey_compare(start, slen, end, elen) >= 0)
    return st_error(STRATA_EINVAL, "table %s: empty range tombstone", b->path);
  size_t iklen = slen + ST_IKEY_TRAILER;
  char *ik = malloc(iklen + elen + 1);
  if (!ik) return b->status = st_error(STRATA_ENOMEM, "table: out of memory");
  st_ikey_pack(ik, start, slen, st_trailer_pack(seq, ST_KIND_RANGE_DELETE));
  if (b->nranges && st_ikey_compare(ik, iklen, b->range_last, b->range_last_len) <= 0) {
    free(ik);
    return st_error(STRATA_EINVAL, "table %s: range tombstone %llu is not after the previous one", b->path,
                    (unsigned long long)b->nranges);
  }
  char *val = ik + iklen;
  size_t vlen = st_range_end_put(val, end, elen, open);
  int rc = st_block_builder_add(&b->rdel, ik, iklen, val, vlen);
  if (!rc) rc = keep_bytes(&b->range_last, &b->range_last_cap, ik, iklen);
  if (!rc) b->range_last_len = iklen;
  if (!rc && b->nranges == 0) {
    size_t cap = 0;
    rc = keep_bytes(&b->range_first, &cap, ik, iklen);
    b->range_first_len = iklen;
  }
  /* The greatest key the range reaches, as an internal key that sorts
   * after every entry of its user key. */
  if (!rc && !st_ikey_is_open_largest(b->range_high, b->range_high_len)) {
    char *high = ik; /* reuse: room for elen + 8 */
    size_t hlen;
    if (open) {
      hlen = ST_IKEY_TRAILER;
      st_put_fixed64(high, ST_OPEN_LARGEST_TRAILER);
    } else {
      size_t ulen = elen > 0 && end[elen - 1] == 0 ? elen - 1 : elen;
      st_ikey_pack(high, end, ulen, 0);
      hlen = ulen + ST_IKEY_TRAILER;
    }
    if (b->range_high_len == 0 || st_bound_compare(high, hlen, b->range_high, b->range_high_len) > 0) {
      rc = keep_bytes(&b->range_high, &b->range_high_cap, high, hlen);
      b->range_high_len = hlen;
    }
  }
  free(ik);
  if (rc) return b->status = rc;
  if (b->nranges == 0 || seq < b->range_min_seq) b->range_min_seq = seq;
  if (seq > b->range_max_seq) b->range_max_seq = seq;
  b->nranges++;
  b->range_key_bytes += slen;
  b->range_value_bytes += vlen;
  return STRATA_OK;
}

/* Folds the range tombstones into the properties: counts, sequence
 * numbers, and the key range they reach. */
static int fold_ranges(st_table_builder *b) {
  st_table_props *p = &b->props;
  if (b->nranges == 0) return STRATA_OK;
  if (p->entries == 0 || b->range_min_seq < p->min_seq) p->min_seq = b->range_min_seq;
  if (p->entries == 0 || b->range_max_seq > p->max_seq) p->max_seq = b->range_max_seq;
  int rc = STRATA_OK;
  size_t cap = p->smallest_len;
  if (p->entries == 0 || st_ikey_compare(b->range_first, b->range_first_len, p->smallest, p->smallest_len) < 0) {
    rc = keep_bytes(&p->smallest, &cap, b->range_first, b->range_first_len);
    p->smallest_len = b->range_first_len;
  }
  cap = p->largest_len;
  if (!rc && (p->entries == 0 || st_bound_compare(b->range_high, b->range_high_len, p->largest, p->largest_len) > 0)) {
    rc = keep_bytes(&p->largest, &cap, b->range_high, b->range_high_len);
    p->largest_len = b->range_high_len;
  }
  p->entries += b->nranges;
  p->kind_counts[ST_KIND_RANGE_DELETE] += b->nranges;
  p->tombstones += b->nranges;
  p->raw_key_bytes += b->range_key_bytes;
  p->raw_value_bytes += b->range_value_bytes;
  return rc;
}

/* Finishes a meta block and stages it raw. */
static int emit_meta(st_table_builder *b, st_block_builder *bb, st_block_handle *h_out) {
  const char *data;
  size_t n;
  int rc = st_block_builder_finish(bb, &data, &n);
  return rc ? rc : emit_block(b, data, n, STRATA_COMPRESSION_NONE, h_out);
}

static int finish(st_table_builder *b, st_table_props *props_out) {
  st_footer f;
  memset(&f, 0, sizeof f);
  int rc = STRATA_OK;
  if (!st_block_builder_empty(&b->data)) rc = flush_data_block(b);
  if (!rc && b->pending) rc = add_index_entry(b, b->last, b->last_len);
  if (rc) return rc;
  b->props.data_bytes = b->offset;
  if (b->use_bloom && st_bloom_builder_count(&b->bloom) > 0) {
    char *filter;
    size_t n;
    if ((rc = st_bloom_builder_finish(&b->bloom, &filter, &n)) != STRATA_OK) return rc;
    rc = emit_block(b, filter, n, STRATA_COMPRESSION_NONE, &f.filter);
    free(filter);
    if (rc) return rc;
  }
  rc = emit_meta(b, &b->rdel, &f.range_del);
  if (!rc) rc = emit_meta(b, &b->index, &f.index);
  if (rc) return rc;
  st_table_props *p = &b->props;
  if (p->entries > 0) {
    if ((p->largest = malloc(b->last_len)) == NULL) return st_error(STRATA_ENOMEM, "table: out of memory");
    memcpy(p->largest, b->last, b->last_len);
    p->largest_len = b->last_len;
  }
  if ((rc = fold_ranges(b)) != STRATA_OK) return rc;
  /* file.bytes is a fixed64, so the block's size does not depend on it. */
  char *props;
  size_t plen;
  if ((rc = st_table_props_encode(p, &props, &plen)) != STRATA_OK) return rc;
  free(props);
  p->file_bytes = b->offset + plen + ST_BLOCK_TRAILER + ST_FOOTER_SIZE;
  if ((rc = st_table_props_encode(p, &props, &plen)) != STRATA_OK) return rc;
  rc = emit_block(b, props, plen, STRATA_COMPRESSION_NONE, &f.props);
  free(props);
  if (rc) return rc;
  char footer[ST_FOOTER_SIZE];
  st_footer_encode(&f, footer);
  if ((rc = stage(b, footer, sizeof footer)) != STRATA_OK) return rc;
  if ((rc = write_out(b)) != STRATA_OK) return rc;
  if ((rc = b->env->sync(b->file)) != STRATA_OK) return rc;
  rc = b->env->close(b->file);
  b->file = NULL;
  if (rc) return rc;
  *props_out = *p; /* the keys move to the caller */
  memset(p, 0, sizeof *p);
  return STRATA_OK;
}

int st_table_builder_finish(st_table_builder *b, st_table_props *props_out) {
  memset(props_out, 0, sizeof *props_out);
  int rc = b->status ? b->status : finish(b, props_out);
  if (rc) {
    st_errsave s;
    st_error_save(&s);
    st_table_builder_abandon(b);
    return st_error_restore(&s, rc);
  }
  builder_free(b);
  return STRATA_OK;
}

void st_table_builder_abandon(st_table_builder *b) {
  if (!b) return;
  if (b->file) b->env->close(b->file);
  b->env->unlink(b->env, b->path);
  builder_free(b);
}
