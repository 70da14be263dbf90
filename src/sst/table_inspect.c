/*
 * table_inspect.c - looking inside a table for people and tools:
 * st_table_verify re-reads every block from disk and checks checksums,
 * framing and ordering; st_table_dump prints the properties and entries
 * in the stable text format of docs/FORMAT.md ("Table dump").
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "base/error.h"
#include "format/block.h"
#include "format/bloom.h"
#include "format/footer.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "sst/table.h"
#include "strata.h"

static const char *const kind_names[ST_KIND_MAX + 1] = {"DELETE", "PUT",     "RANGE_DELETE", "ADD",        "LATEST",
                                                        "APPEND", "COUNTER", "LIST",         "LATEST_BASE"};

static int ikey_cmp(const char *a, size_t alen, const char *b, size_t blen) {
  return st_ikey_compare(a, alen, b, blen);
}

/* ---- verify ------------------------------------------------------------- */

typedef struct verifier {
  st_table *t;
  FILE *report;
  int rc; /* first error */
  /* what the data blocks hold, to compare with the properties */
  uint64_t entries, kinds[256], min_seq, max_seq;
  char *first, *last; /* smallest key seen; last key of the previous block */
  size_t first_len, last_len;
  int skipped; /* data blocks that could not be read: no totals to compare */
  uint64_t ranges, range_min_seq, range_max_seq; /* the range-tombstone block */
} verifier;

/* Reports the calling thread's message as one problem. */
static int problem(verifier *v, int rc) {
  if (v->report) fprintf(v->report, "%s\n", strata_errmsg());
  if (!v->rc) v->rc = rc;
  return rc;
}

static int fatal(int rc) { return rc == STRATA_EIO || rc == STRATA_ENOMEM || rc == STRATA_ENOSPC; }

static int keep(char **dst, size_t *dlen, const char *src, size_t n) {
  char *p = realloc(*dst, n ? n : 1);
  if (!p) return st_error(STRATA_ENOMEM, "verify: out of memory");
  if (n) memcpy(p, src, n);
  *dst = p;
  *dlen = n;
  return STRATA_OK;
}

/* Reads a meta block; type must be NONE. *buf_out NULL after a problem. */
static int read_meta(verifier *v, const st_block_handle *h, const char *what, char **buf_out, size_t *len_out) {
  int rc = st_table_read_block(v->t, h, what, buf_out, len_out);
  if (rc) return problem(v, rc);
  return STRATA_OK;
}

/* One data block: checksum, framing, order inside and against its
 * neighbours and its index key. */
static int verify_data_block(verifier *v, const st_block_handle *h, const char *ikey, size_t iklen) {
  st_table *t = v->t;
  const char *path = st_table_path(t);
  unsigned long long off = (unsigned long long)h->offset;
  char *buf;
  size_t len;
  uint64_t n;
  int rc = st_table_read_block(t, h, "data block", &buf, &len);
  if (rc) {
    v->skipped++;
    problem(v, rc);
    return fatal(rc) ? rc : STRATA_OK;
  }
  rc = st_block_check(buf, len, ikey_cmp, ST_IKEY_TRAILER, &n);
  if (rc) {
    st_errsave s;
    st_error_save(&s);
    problem(v, st_error(rc, "%s: data block at offset %llu: %s", path, off, s.msg));
    v->skipped++;
    free(buf);
    return fatal(rc) ? rc : STRATA_OK;
  }
  st_block_iter it;
  st_block_iter_init(&it, ikey_cmp, ST_IKEY_TRAILER);
  st_block_iter_reset(&it, buf, len);
  st_block_iter_seek_first(&it);
  if (n == 0) {
    problem(v, st_error(STRATA_ECORRUPT, "%s: data block at offset %llu: expected entries, found none", path, off));
  } else {
    if (v->last && ikey_cmp(v->last, v->last_len, it.key, it.key_len) >= 0)
      problem(v, st_error(STRATA_ECORRUPT,
                          "%s: data block at offset %llu: expected a first key after the previous block's last key, "
                          "found one that is not",
                          path, off));
    if (!v->first && (rc = keep(&v->first, &v->first_len, it.key, it.key_len)) != STRATA_OK) goto out;
    for (; st_block_iter_valid(&it); st_block_iter_next(&it)) {
      uint64_t tr = st_ikey_trailer(it.key, it.key_len);
      uint64_t seq = st_trailer_seq(tr);
      if (v->entries == 0 || seq < v->min_seq) v->min_seq = seq;
      if (v->entries == 0 || seq > v->max_seq) v->max_seq = seq;
      v->kinds[st_trailer_kind(tr)]++;
      v->entries++;
    }
    st_block_iter_seek_last(&it);
    if (ikey_cmp(it.key, it.key_len, ikey, iklen) > 0)
      problem(v, st_error(STRATA_ECORRUPT,
                          "%s: data block at offset %llu: expected a last key <= its index key, found a greater one",
                          path, off));
    rc = keep(&v->last, &v->last_len, it.key, it.key_len);
  }
out:
  st_block_iter_destroy(&it);
  free(buf);
  return rc;
}

static int verify_index(verifier *v, const char *index, size_t len, uint64_t index_off, uint64_t data_end) {
  const char *path = st_table_path(v->t);
  uint64_t n, next = 0, blocks = 0;
  int rc = st_block_check(index, len, ikey_cmp, ST_IKEY_TRAILER, &n);
  if (rc) {
    st_errsave s;
    st_error_save(&s);
    problem(v, st_error(rc, "%s: index block at offset %llu: %s", path, (unsigned long long)index_off, s.msg));
    return fatal(rc) ? rc : STRATA_OK;
  }
  st_block_iter it;
  st_block_iter_init(&it, ikey_cmp, ST_IKEY_TRAILER);
  st_block_iter_reset(&it, index, len);
  for (st_block_iter_seek_first(&it); rc == STRATA_OK && st_block_iter_valid(&it); st_block_iter_next(&it), blocks++) {
    st_block_handle h;
    const char *end = it.val + it.val_len, *p = st_block_handle_get(it.val, end, &h);
    if (!p || p != end) {
      problem(v, st_error(STRATA_ECORRUPT,
                          "%s: index block at offset %llu: entry %llu: expected a block handle, found %zu other bytes",
                          path, (unsigned long long)index_off, (unsigned long long)blocks, it.val_len));
      v->skipped++;
      continue;
    }
    if (h.offset != next || !st_block_handle_within(&h, data_end, NULL)) {
      problem(v, st_error(STRATA_ECORRUPT,
                          "%s: index block at offset %llu: entry %llu: expected a data block at offset %llu ending "
                          "by %llu, found offset %llu size %llu",
                          path, (unsigned long long)index_off, (unsigned long long)blocks, (unsigned long long)next,
                          (unsigned long long)data_end, (unsigned long long)h.offset, (unsigned long long)h.size));
      if (!st_block_handle_within(&h, data_end, NULL)) {
        v->skipped++;
        continue;
      }
    }
    st_block_handle_within(&h, data_end, &next);
    rc = verify_data_block(v, &h, it.key, it.key_len);
  }
  st_block_iter_destroy(&it);
  if (!rc && next != data_end)
    problem(v, st_error(STRATA_ECORRUPT, "%s: data blocks: expected them to end at offset %llu, found %llu", path,
                        (unsigned long long)data_end, (unsigned long long)next));
  return rc;
}

/* The properties against what the data blocks hold. */
static void verify_props(verifier *v, const st_table_props *p, uint64_t props_off, uint64_t data_blocks,
                         uint64_t data_end) {
  const char *path = st_table_path(v->t);
  unsigned long long off = (unsigned long long)props_off;
  /* Range tombstones count as entries and reach seq and key bounds. */
  uint64_t min_seq = v->entries ? v->min_seq : 0, max_seq = v->entries ? v->max_seq : 0;
  if (v->ranges) {
    if (!v->entries || v->range_min_seq < min_seq) min_seq = v->range_min_seq;
    if (!v->entries || v->range_max_seq > max_seq) max_seq = v->range_max_seq;
  }
  v->kinds[ST_KIND_RANGE_DELETE] += v->ranges;
  struct {
    const char *name;
    uint64_t want, found;
  } checks[] = {
      {"data.blocks", data_blocks, p->data_blocks},
      {"data.bytes", data_end, p->data_bytes},
      {"file.bytes", st_table_file_size(v->t), p->file_bytes},
      {"entries", v->entries + v->ranges, p->entries},
      {"seq.min", min_seq, p->min_seq},
      {"seq.max", max_seq, p->max_seq},
  };
  /* With a block unread, only the layout totals can be compared. */
  size_t nchecks = v->skipped ? 3 : sizeof checks / sizeof checks[0];
  for (size_t i = 0; i < nchecks; i++)
    if (checks[i].want != checks[i].found)
      problem(v,
              st_error(STRATA_ECORRUPT, "%s: properties block at offset %llu: expected %s %llu, found %llu", path, off,
                       checks[i].name, (unsigned long long)checks[i].want, (unsigned long long)checks[i].found));
  if (v->skipped) return;
  for (int k = 0; k <= ST_KIND_MAX; k++)
    if (v->kinds[k] != p->kind_counts[k])
      problem(v,
              st_error(STRATA_ECORRUPT, "%s: properties block at offset %llu: expected %s count %llu, found %llu", path,
                       off, kind_names[k], (unsigned long long)v->kinds[k], (unsigned long long)p->kind_counts[k]));
  uint64_t other = 0;
  for (int k = ST_KIND_MAX + 1; k < 256; k++) other += v->kinds[k];
  if (other)
    problem(v, st_error(STRATA_ECORRUPT, "%s: data blocks: expected kinds 0..%d only, found %llu entries of others",
                        path, ST_KIND_MAX, (unsigned long long)other));
  /* With range tombstones the bounds may reach past the data. */
  if (v->entries && (v->ranges ? st_ikey_compare(p->smallest, p->smallest_len, v->first, v->first_len) > 0
                               : p->smallest_len != v->first_len || memcmp(p->smallest, v->first, v->first_len) != 0))
    problem(v, st_error(STRATA_ECORRUPT,
                        "%s: properties block at offset %llu: expected smallest = the first key, found another key",
                        path, off));
  if (v->entries && (v->ranges ? st_bound_compare(p->largest, p->largest_len, v->last, v->last_len) < 0
                               : p->largest_len != v->last_len || memcmp(p->largest, v->last, v->last_len) != 0))
    problem(v, st_error(STRATA_ECORRUPT,
                        "%s: properties block at offset %llu: expected largest = the last key, found another key", path,
                        off));
}

/* Counts the entries of a checked range-tombstone block and their seqs;
 * an entry that is not a range tombstone is a problem. */
static void count_ranges(verifier *v, const char *data, size_t len, uint64_t off) {
  st_block_iter it;
  st_block_iter_init(&it, ikey_cmp, ST_IKEY_TRAILER);
  if (st_block_iter_reset(&it, data, len) == STRATA_OK) {
    for (st_block_iter_seek_first(&it); st_block_iter_valid(&it); st_block_iter_next(&it)) {
      uint64_t t = st_ikey_trailer(it.key, it.key_len), seq = st_trailer_seq(t);
      const char *end;
      size_t elen;
      int open;
      if (st_trailer_kind(t) != ST_KIND_RANGE_DELETE || st_range_end_get(it.val, it.val_len, &end, &elen, &open) ||
          (!open && st_ukey_compare(it.key, it.key_len - ST_IKEY_TRAILER, end, elen) >= 0))
        problem(v, st_error(STRATA_ECORRUPT, "%s: range-tombstone block at offset %llu: entry %llu is not a range "
                            "tombstone [begin, end) with begin < end", st_table_path(v->t),
                            (unsigned long long)off, (unsigned long long)v->ranges));
      if (v->ranges == 0 || seq < v->range_min_seq) v->range_min_seq = seq;
      if (seq > v->range_max_seq) v->range_max_seq = seq;
      v->ranges++;
    }
  }
  st_block_iter_destroy(&it);
}

int st_table_verify(st_table *t, FILE *report) {
  verifier v;
  memset(&v, 0, sizeof v);
  v.t = t;
  v.report = report;
  const char *path = st_table_path(t);
  uint64_t size = st_table_file_size(t), data_end;
  char raw[ST_FOOTER_SIZE], *index = NULL, *props = NULL, *filter = NULL, *rdel = NULL;
  size_t index_len = 0, props_len = 0, filter_len = 0, rdel_len = 0;
  st_footer f;
  st_table_props p;
  memset(&p, 0, sizeof p);
  int rc;
  if (size < ST_FOOTER_SIZE) {
    problem(&v, st_error(STRATA_ECORRUPT, "%s: file size: expected at least %d bytes, found %llu", path, ST_FOOTER_SIZE,
                         (unsigned long long)size));
    goto done;
  }
  rc = st_table_pread(t, size - ST_FOOTER_SIZE, raw, sizeof raw);
  if (!rc) rc = st_footer_decode(raw, path, size - ST_FOOTER_SIZE, &f);
  if (!rc) rc = st_footer_check_layout(&f, size, path, &data_end);
  if (rc) {
    problem(&v, rc);
    goto done;
  }
  /* Meta blocks: a problem in one does not stop the others. */
  if (f.filter.size && read_meta(&v, &f.filter, "filter block", &filter, &filter_len) == STRATA_OK &&
      (rc = st_bloom_check(filter, filter_len)) != STRATA_OK) {
    st_errsave s;
    st_error_save(&s);
    problem(&v, st_error(rc, "%s: filter block at offset %llu: %s", path, (unsigned long long)f.filter.offset, s.msg));
  }
  if (read_meta(&v, &f.range_del, "range-tombstone block", &rdel, &rdel_len) == STRATA_OK) {
    uint64_t n;
    rc = st_block_check(rdel, rdel_len, ikey_cmp, ST_IKEY_TRAILER, &n);
    if (rc) {
      st_errsave s;
      st_error_save(&s);
      problem(&v, st_error(STRATA_ECORRUPT, "%s: range-tombstone block at offset %llu: %s", path,
                           (unsigned long long)f.range_del.offset, s.msg));
    } else {
      count_ranges(&v, rdel, rdel_len, f.range_del.offset);
    }
  }
  int props_ok = 0;
  if (read_meta(&v, &f.props, "properties block", &props, &props_len) == STRATA_OK) {
    rc = st_table_props_decode(props, props_len, path, f.props.offset, &p);
    if (rc) problem(&v, rc);
    props_ok = rc == STRATA_OK;
  }
  if (read_meta(&v, &f.index, "index block", &index, &index_len) == STRATA_OK) {
    rc = verify_index(&v, index, index_len, f.index.offset, data_end);
    if (rc) {
      if (!v.rc) v.rc = rc;
      goto done;
    }
    if (props_ok) {
      uint64_t blocks = 0, n;
      if (st_block_check(index, index_len, ikey_cmp, ST_IKEY_TRAILER, &n) == STRATA_OK) blocks = n;
      verify_props(&v, &p, f.props.offset, blocks, data_end);
    }
  }
done:
  st_table_props_clear(&p);
  free(index);
  free(props);
  free(filter);
  free(rdel);
  free(v.first);
  free(v.last);
  return v.rc;
}

/* ---- dump --------------------------------------------------------------- */


static void put_kind(FILE *out, unsigned kind) {
  if (kind <= ST_KIND_MAX)
    fputs(kind_names[kind], out);
  else
    fprintf(out, "UNKNOWN_%u", kind);
}

/* 'user key' seq=N kind=NAME */
static void put_ikey(FILE *out, const char *k, size_t n) {
  uint64_t tr = st_ikey_trailer(k, n);
  st_escape_write(out, k, n - ST_IKEY_TRAILER);
  fprintf(out, " seq=%" PRIu64 " kind=", st_trailer_seq(tr));
  put_kind(out, st_trailer_kind(tr));
}

static const char *compression_name(int c) {
  switch (c) {
    case STRATA_COMPRESSION_NONE: return "none";
    case STRATA_COMPRESSION_LZ4: return "lz4";
    case STRATA_COMPRESSION_ZSTD: return "zstd";
    default: return "unknown";
  }
}

int st_table_dump(st_table *t, FILE *out, int entries) {
  const st_table_props *p = st_table_get_props(t);
  const st_footer *f = st_table_footer(t);
  fprintf(out, "sst: %s\n", st_table_path(t));
  fprintf(out, "format.version: %u\n", f->version);
  fprintf(out, "file.bytes: %" PRIu64 "\n", p->file_bytes);
  fprintf(out, "entries: %" PRIu64 "\n", p->entries);
  for (int k = 0; k <= ST_KIND_MAX; k++) fprintf(out, "kind.%s: %" PRIu64 "\n", kind_names[k], p->kind_counts[k]);
  fprintf(out, "tombstones: %" PRIu64 "\n", p->tombstones);
  fprintf(out, "seq.min: %" PRIu64 "\n", p->min_seq);
  fprintf(out, "seq.max: %" PRIu64 "\n", p->max_seq);
  fputs("smallest: ", out);
  if (p->smallest_len >= ST_IKEY_TRAILER) put_ikey(out, p->smallest, p->smallest_len);
  fputs("\nlargest: ", out);
  if (st_ikey_is_open_largest(p->largest, p->largest_len))
    fputs("(past the last key)", out);
  else if (p->largest_len >= ST_IKEY_TRAILER)
    put_ikey(out, p->largest, p->largest_len);
  fputc('\n', out);
  fprintf(out, "raw.key.bytes: %" PRIu64 "\n", p->raw_key_bytes);
  fprintf(out, "raw.value.bytes: %" PRIu64 "\n", p->raw_value_bytes);
  fprintf(out, "data.blocks: %" PRIu64 "\n", p->data_blocks);
  fprintf(out, "data.bytes: %" PRIu64 "\n", p->data_bytes);
  fprintf(out, "index.bytes: %" PRIu64 "\n", f->index.size);
  fprintf(out, "filter.bytes: %" PRIu64 "\n", f->filter.size);
  fprintf(out, "compression: %s\n", compression_name(p->compression));
  if (!entries) return STRATA_OK;
  st_iter *it;
  int rc = st_table_iter_new(t, &it);
  if (rc) return rc;
  for (st_iter_seek_first(it); st_iter_valid(it); st_iter_next(it)) {
    size_t kn, vn;
    const char *k = st_iter_key(it, &kn), *val = st_iter_value(it, &vn);
    put_ikey(out, k, kn);
    fputs(" => ", out);
    st_escape_write(out, val, vn);
    fputc('\n', out);
  }
  rc = st_iter_status(it);
  if (rc) fprintf(out, "error: %s\n", strata_errmsg());
  st_iter_free(it);
  /* Range tombstones, as the fragments readers use. */
  const st_rtombs *rt = st_table_rtombs(t);
  for (size_t i = 0; !rc && rt && i < rt->n; i++) {
    const st_rfrag *fr = &rt->frags[i];
    fputs("range ", out);
    st_escape_write(out, fr->start, fr->slen);
    fputs(" .. ", out);
    if (fr->open)
      fputs("(past the last key)", out);
    else
      st_escape_write(out, fr->end, fr->elen);
    fputs(" seqs=", out);
    for (size_t s = 0; s < fr->nseqs; s++) fprintf(out, "%s%" PRIu64, s ? "," : "", fr->seqs[s]);
    fputc('\n', out);
  }
  return rc;
}
