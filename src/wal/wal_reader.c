/*
 * wal_reader.c - buffered sequential reading of log records, and the scan
 * that decides whether damage is a torn tail.
 */
#include "wal/wal_reader.h"

#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "base/crc32c.h"
#include "base/error.h"
#include "format/batch_rep.h"
#include "format/kind.h"
#include "wal/wal_format.h"

#define READ_CHUNK (256 * 1024)

struct st_wal_reader {
  st_file *file;
  char *path;
  uint64_t size; /* file size at open */
  uint64_t end;  /* where the log ends: size, or the start of a zero tail once one is met */
  uint64_t off;  /* next record */
  char *buf;     /* file bytes [buf_off, buf_off + buf_len) */
  size_t cap;
  uint64_t buf_off;
  size_t buf_len;
  int flags;
};

int st_wal_reader_open(st_env *env, const char *path, int flags, st_wal_reader **r_out) {
  *r_out = NULL;
  st_wal_reader *r = calloc(1, sizeof *r);
  if (!r || !(r->path = strdup(path))) {
    free(r);
    return st_error(STRATA_ENOMEM, "wal %s: out of memory", path);
  }
  r->flags = flags;
  int rc = env->open_file(env, path, ST_OPEN_READ, &r->file);
  if (!rc) rc = env->size(r->file, &r->size);
  r->end = r->size;
  if (rc) {
    st_wal_reader_close(r);
    return rc;
  }
  *r_out = r;
  return STRATA_OK;
}

void st_wal_reader_close(st_wal_reader *r) {
  if (!r) return;
  if (r->file) r->file->env->close(r->file);
  free(r->buf);
  free(r->path);
  free(r);
}

uint64_t st_wal_reader_offset(const st_wal_reader *r) { return r->off; }
uint64_t st_wal_reader_size(const st_wal_reader *r) { return r->size; }
uint64_t st_wal_reader_end(const st_wal_reader *r) { return r->end; }

/* Makes file bytes [off, off + n) available at *p_out. The caller has
 * checked that they lie inside the file. */
static int fetch(st_wal_reader *r, uint64_t off, size_t n, const char **p_out) {
  if (off >= r->buf_off && off + n <= r->buf_off + r->buf_len) {
    *p_out = r->buf + (off - r->buf_off);
    return STRATA_OK;
  }
  size_t want = n > READ_CHUNK ? n : READ_CHUNK;
  if (want > r->size - off) want = (size_t)(r->size - off);
  if (want > r->cap) {
    char *nb = realloc(r->buf, want);
    if (!nb) return st_error(STRATA_ENOMEM, "wal %s: out of memory for a %zu-byte record", r->path, n);
    r->buf = nb;
    r->cap = want;
  }
  size_t got;
  r->buf_len = 0;
  int rc = r->file->env->pread(r->file, off, r->buf, want, &got);
  if (rc) return rc;
  r->buf_off = off;
  r->buf_len = got;
  if (got < n) return st_error(STRATA_EIO, "wal %s: file shrank while being read at offset %llu", r->path,
                               (unsigned long long)off);
  *p_out = r->buf;
  return STRATA_OK;
}

/* Checks the record at off. 1 valid (with *len_out and *type_out), 0 not,
 * <0 error. why_out (may be NULL) receives the reason when not valid. */
static int check_record(st_wal_reader *r, uint64_t off, size_t *len_out, int *type_out, const char **why_out) {
  const char *p = NULL, *why = NULL;
  int rc;
  if (r->size - off < ST_WAL_HEADER) {
    why = "a record header is cut short";
    goto bad;
  }
  if ((rc = fetch(r, off, ST_WAL_HEADER, &p))) return rc;
  uint32_t stored = st_get_fixed32(p);
  uint32_t len = st_get_fixed32(p + 4);
  if (len < ST_WAL_MIN_PAYLOAD) {
    why = "the record length is too small";
    goto bad;
  }
  if (len > r->size - off - ST_WAL_HEADER) {
    why = "the record runs past the end of the file";
    goto bad;
  }
  if ((rc = fetch(r, off, ST_WAL_HEADER + (size_t)len, &p))) return rc;
  uint32_t crc = st_crc32c(p + 4, 4 + (size_t)len);
  if (crc == st_crc32c_unmask_by(stored, ST_WAL_TYPE1_DELTA) && !(r->flags & ST_WAL_TYPE0_ONLY)) {
    *type_out = ST_WAL_TYPE1;
  } else if (crc == st_crc32c_unmask_by(stored, ST_CRC32C_DELTA)) {
    *type_out = ST_WAL_TYPE0;
  } else {
    why = "checksum mismatch";
    goto bad;
  }
  *len_out = len;
  return 1;
bad:
  if (why_out) *why_out = why;
  return 0;
}

/* 1 when every byte from off to the end of the file is zero: space a
 * mapped writer reserved and never filled (wal_writer.h). No record can
 * start with a zero header (its length is at least ST_WAL_MIN_PAYLOAD). */
static int zero_tail(st_wal_reader *r, uint64_t off, int *err) {
  while (off < r->size) {
    size_t n = r->size - off < READ_CHUNK ? (size_t)(r->size - off) : READ_CHUNK;
    const char *p = NULL;
    if ((*err = fetch(r, off, n, &p)) != STRATA_OK) return 0;
    for (size_t i = 0; i < n; i++)
      if (p[i]) return 0;
    off += n;
  }
  return 1;
}

int st_wal_read(st_wal_reader *r, const char **data_out, size_t *len_out, int *type_out) {
  *data_out = NULL;
  *len_out = 0;
  if (r->off == r->end) return STRATA_NOTFOUND;
  size_t len = 0;
  int type = ST_WAL_TYPE0;
  const char *why = NULL, *p = NULL;
  int v = check_record(r, r->off, &len, &type, &why);
  if (v < 0) return v;
  if (v == 0) {
    int err = STRATA_OK;
    if ((r->flags & ST_WAL_ZERO_TAIL_ENDS) && zero_tail(r, r->off, &err)) {
      r->end = r->off; /* the log ends here */
      return STRATA_NOTFOUND;
    }
    if (err) return err;
  }
  if (v == 0)
    return st_error(STRATA_ECORRUPT, "wal %s: bad record at offset %llu of %llu: %s", r->path,
                    (unsigned long long)r->off, (unsigned long long)r->size, why);
  int rc = fetch(r, r->off + ST_WAL_HEADER, len, &p);
  if (rc) return rc;
  *data_out = p;
  *len_out = len;
  if (type_out) *type_out = type;
  r->off += ST_WAL_HEADER + len;
  return STRATA_OK;
}

/* 1 when a batch header of the given format at p (of a payload of len
 * bytes, avail of them at p), and the kind of its first record, could
 * follow the damage at r->off. */
static int plausible_header(const st_wal_reader *r, uint64_t off, const char *p, size_t avail, uint32_t len,
                            int format, uint64_t last_seq) {
  uint64_t seq;
  uint32_t count;
  size_t hlen;
  if (avail > len) avail = len;
  if (st_batch_header_get(p, avail, format, &seq, &count, &hlen) || hlen >= avail ||
      !st_kind_in_batch((unsigned char)p[hlen]))
    return 0;
  /* Each sequence number of the batches lost in the damage took at
   * least 2 bytes of it (the smallest batch record). */
  uint64_t max_gap = (off - r->off) / 2 + 1;
  return count > 0 && count <= len && seq > last_seq && seq - last_seq <= max_gap;
}

/* A candidate at off must look like a record header over a batch (of
 * either header format) that could follow the damage at r->off, before
 * its checksum is worth computing. 1 with the length it claims in
 * *len_out, or 0. */
static int plausible(st_wal_reader *r, uint64_t off, uint64_t last_seq, uint32_t *len_out) {
  const char *p = NULL;
  if (r->size - off < ST_WAL_HEADER + ST_WAL_MIN_PAYLOAD) return 0;
  size_t avail = ST_WAL_HEADER + ST_BATCH_HEADER_MAX + 1;
  if (avail > r->size - off) avail = (size_t)(r->size - off);
  if (fetch(r, off, avail, &p)) return 0;
  uint32_t len = st_get_fixed32(p + 4);
  if (len < ST_WAL_MIN_PAYLOAD || len > r->size - off - ST_WAL_HEADER) return 0;
  avail -= ST_WAL_HEADER;
  *len_out = len;
  return plausible_header(r, off, p + ST_WAL_HEADER, avail, len, ST_BATCH_VARINT, last_seq) ||
         plausible_header(r, off, p + ST_WAL_HEADER, avail, len, ST_BATCH_FIXED, last_seq);
}

/* How many bytes the scan after damage checksums at most, per byte after
 * the damage (plus CRC_BUDGET_BASE): see st_wal_reader_valid_after. */
#define CRC_BUDGET_FACTOR 8
#define CRC_BUDGET_BASE (1u << 20)

/* Checks a plausible candidate at off against the budget, then its CRC.
 * 1 valid, 0 not, 2 out of budget, <0 error. */
static int check_candidate(st_wal_reader *r, uint64_t off, uint32_t len, uint64_t *budget) {
  if (len > *budget) return 2;
  *budget -= len;
  size_t got;
  int type;
  return check_record(r, off, &got, &type, NULL);
}

uint64_t st_wal_reader_content_end(st_wal_reader *r) {
  uint64_t end = r->size;
  while (end > r->off) {
    size_t n = end - r->off < READ_CHUNK ? (size_t)(end - r->off) : READ_CHUNK;
    const char *p = NULL;
    if (fetch(r, end - n, n, &p)) return r->size; /* unreadable: count it all */
    for (size_t i = n; i > 0; i--)
      if (p[i - 1]) return end - n + i;
    end -= n;
  }
  return r->off;
}

int st_wal_reader_valid_after(st_wal_reader *r, uint64_t last_seq, int *found_out) {
  *found_out = 0;
  const char *p = NULL;
  uint32_t len;
  uint64_t budget = CRC_BUDGET_FACTOR * (r->size - r->off) + CRC_BUDGET_BASE;
  int v = 0;
  /* When only the payload was damaged, the length still points at the
   * next record: try there first. */
  if (r->size - r->off >= ST_WAL_HEADER) {
    int rc = fetch(r, r->off, ST_WAL_HEADER, &p);
    if (rc) return rc;
    uint64_t next = r->off + ST_WAL_HEADER + st_get_fixed32(p + 4);
    if (next < r->size && plausible(r, next, last_seq, &len)) v = check_candidate(r, next, len, &budget);
  }
  for (uint64_t off = r->off + 1; v == 0 && off + ST_WAL_HEADER + ST_WAL_MIN_PAYLOAD <= r->size; off++)
    if (plausible(r, off, last_seq, &len)) v = check_candidate(r, off, len, &budget);
  if (v < 0) return v;
  *found_out = v == 1 ? ST_WAL_FOUND : v == 2 ? ST_WAL_MAYBE : 0;
  return STRATA_OK;
}
