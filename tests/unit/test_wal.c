/* test_wal.c - log framing: round trip, torn tails, damage in the middle,
 * and the batch encoding carried in each record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/coding.h"
#include "base/crc32c.h"
#include "base/error.h"
#include "format/batch_rep.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "wal/wal_reader.h"
#include "wal/wal_writer.h"
#include "testutil.h"

/* Builds in buf a log record's header room and a batch of one PUT, with a
 * batch header of the given format (written by st_wal_append as the
 * record's type); returns the payload's length. */
static size_t put_one(char *buf, int format, uint64_t seq, const char *key, size_t klen, const char *val,
                      size_t vlen) {
  char *rep = buf + ST_WAL_HEADER;
  if (format == ST_BATCH_FIXED) {
    st_put_fixed64(rep, seq);
    st_put_fixed32(rep + 8, 1);
    return (size_t)(st_batch_record_put(rep + ST_BATCH_FIXED_HEADER, ST_KIND_PUT, key, klen, val, vlen) - rep);
  }
  char *records = rep + st_varint64_len(seq) + 1;
  char *end = st_batch_record_put(records, ST_KIND_PUT, key, klen, val, vlen);
  assert_ptr_equal(st_batch_header_put(records, seq, 1), rep);
  return (size_t)(end - rep);
}

/* The same with a varint header, for key=val. */
static size_t make_record(char *buf, uint64_t seq, const char *key, const char *val) {
  return put_one(buf, ST_BATCH_VARINT, seq, key, strlen(key), val, strlen(val));
}

/* Appends a record built by put_one or make_record. */
static int append(st_wal_writer *w, char *buf, size_t len) { return st_wal_append(w, buf, len, ST_WAL_TYPE1); }

/* Writes n records to a new log in dir, 000001.log for fixed batch
 * headers, 000002.log for varint ones. */
static char *write_log_as(const char *dir, int n, uint64_t *offsets, int format) {
  char *path = malloc(4096);
  snprintf(path, 4096, "%s/00000%d.log", dir, format + 1);
  st_wal_writer *w;
  assert_int_equal(st_wal_writer_create(st_env_posix(), path, 0, &w), STRATA_OK);
  for (int i = 0; i < n; i++) {
    char buf[256], key[32], val[64];
    snprintf(key, sizeof key, "key%d", i);
    snprintf(val, sizeof val, "value-%d-%0*d", i, i % 40, 0);
    if (offsets) offsets[i] = w->size;
    size_t len = put_one(buf, format, (uint64_t)i + 1, key, strlen(key), val, strlen(val));
    assert_int_equal(st_wal_append(w, buf, len, format), STRATA_OK);
  }
  assert_int_equal(st_wal_sync(w), STRATA_OK);
  assert_int_equal(w->synced, w->size);
  assert_int_equal(st_wal_writer_close(w), STRATA_OK);
  return path;
}

static char *write_log(const char *dir, int n, uint64_t *offsets) {
  return write_log_as(dir, n, offsets, ST_BATCH_VARINT);
}

typedef struct seen {
  int n;
  uint64_t last_seq;
} seen;

static int count_record(void *arg, uint64_t seq, unsigned kind, const char *k, size_t kl, const char *v, size_t vl) {
  seen *s = arg;
  (void)kind, (void)k, (void)kl, (void)v, (void)vl;
  s->n++;
  s->last_seq = seq;
  return 0;
}

/* Reads the log to its end, opened with flags, every batch through the
 * header format its record's type names: returns the number of records,
 * and the code that ended the reading. */
static int read_all_with(const char *path, int flags, int *records_out) {
  st_wal_reader *r;
  assert_int_equal(st_wal_reader_open(st_env_posix(), path, flags, &r), STRATA_OK);
  int rc, type;
  seen s = {0};
  const char *data;
  size_t len;
  while ((rc = st_wal_read(r, &data, &len, &type)) == STRATA_OK) {
    assert_int_equal(st_batch_rep_walk(data, len, type, count_record, &s), 0);
    assert_int_equal(s.last_seq, (uint64_t)s.n); /* the logs here number records from 1 */
  }
  st_wal_reader_close(r);
  *records_out = s.n;
  return rc;
}

static int read_all(const char *path, int *records_out) {
  return read_all_with(path, ST_WAL_ZERO_TAIL_ENDS, records_out);
}

/* Reads the log up to its first damage, which must exist, and returns
 * whether a record that could follow (sequence above last_seq) is found
 * after it. *records_out: whole records before the damage; *damage_out:
 * the damaged record's offset (either may be NULL). */
static int scan_damage(const char *path, uint64_t last_seq, int *records_out, uint64_t *damage_out) {
  st_wal_reader *r;
  assert_int_equal(st_wal_reader_open(st_env_posix(), path, ST_WAL_ZERO_TAIL_ENDS, &r), STRATA_OK);
  const char *d;
  size_t l;
  int n = 0, rc, found = -1;
  while ((rc = st_wal_read(r, &d, &l, NULL)) == STRATA_OK) n++;
  assert_int_equal(rc, STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "offset"));
  assert_int_equal(st_wal_reader_valid_after(r, last_seq, &found), STRATA_OK);
  if (records_out) *records_out = n;
  if (damage_out) *damage_out = st_wal_reader_offset(r);
  st_wal_reader_close(r);
  return found;
}

static void round_trip(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char *path = write_log(dir, 100, NULL);
  int n;
  assert_int_equal(read_all(path, &n), STRATA_NOTFOUND);
  assert_int_equal(n, 100);
  free(path);
  tu_rmdir(dir);
}

/* Logs written by earlier builds (fixed batch headers, type-0 records)
 * read as before; a reader of the manifest, which is only ever written
 * with type 0, takes a type-1 record for damage. */
static void both_record_types_read_back(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char *path = write_log_as(dir, 50, NULL, ST_BATCH_FIXED);
  int n;
  assert_int_equal(read_all(path, &n), STRATA_NOTFOUND);
  assert_int_equal(n, 50);
  assert_int_equal(read_all_with(path, ST_WAL_TYPE0_ONLY, &n), STRATA_NOTFOUND);
  assert_int_equal(n, 50);
  free(path);
  path = write_log(dir, 50, NULL);
  assert_int_equal(read_all_with(path, ST_WAL_TYPE0_ONLY, &n), STRATA_ECORRUPT);
  assert_int_equal(n, 0);
  assert_non_null(strstr(strata_errmsg(), "checksum mismatch"));
  /* A record's type is all that tells the headers apart: a varint batch
   * read as a fixed one does not decode. */
  char buf[64];
  size_t len = make_record(buf, 1, "k", "v");
  assert_int_equal(st_batch_rep_walk(buf + ST_WAL_HEADER, len, ST_BATCH_FIXED, NULL, NULL), STRATA_ECORRUPT);
  free(path);
  tu_rmdir(dir);
}

static void every_truncation_is_a_torn_tail(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  uint64_t offs[5];
  for (int format = ST_BATCH_FIXED; format <= ST_BATCH_VARINT; format++) {
  char *path = write_log_as(dir, 5, offs, format);
  long long size = tu_file_size(path);
  for (long long cut = size - 1; cut > 0; cut--) {
    assert_int_equal(truncate(path, cut), 0);
    int whole = 0, clean = 0, n;
    for (int i = 0; i < 5; i++) {
      uint64_t end = i == 4 ? (uint64_t)size : offs[i + 1];
      if (end <= (uint64_t)cut) whole++;
      if (end == (uint64_t)cut) clean = 1;
    }
    int rc = read_all(path, &n);
    assert_int_equal(n, whole);
    if (clean) {
      assert_int_equal(rc, STRATA_NOTFOUND);
      continue;
    }
    assert_int_equal(rc, STRATA_ECORRUPT);
    /* Nothing valid follows a cut. */
    uint64_t damage;
    assert_int_equal(scan_damage(path, (uint64_t)whole, NULL, &damage), 0);
    assert_int_equal(damage, offs[whole]);
  }
  free(path);
  }
  tu_rmdir(dir);
}

static void damage_in_the_middle_is_found(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  uint64_t offs[10];
  for (int format = ST_BATCH_FIXED; format <= ST_BATCH_VARINT; format++) {
  char *path = write_log_as(dir, 10, offs, format);
  /* Damage the payload of record 3, then (separately) its length field. */
  for (int which = 0; which < 2; which++) {
    uint64_t at = which == 0 ? offs[3] + ST_WAL_HEADER + 5 : offs[3] + 5;
    tu_flip_byte(path, at, 0x40);
    int n;
    assert_int_equal(scan_damage(path, 3, &n, NULL), 1);
    assert_int_equal(n, 3);
    tu_flip_byte(path, at, 0x40); /* repair */
  }
  int n;
  assert_int_equal(read_all(path, &n), STRATA_NOTFOUND);
  assert_int_equal(n, 10);
  free(path);
  }
  tu_rmdir(dir);
}

/* Writes to dir/000001.log the records a=1 (seq 1) and b=2 (seq 2), then
 * one holding val (seq 3) torn 8 bytes short; returns the log's path. */
static char *log_torn_in(const char *dir, const char *val, size_t vlen) {
  char *path = malloc(4096);
  snprintf(path, 4096, "%s/000001.log", dir);
  st_wal_writer *w;
  assert_int_equal(st_wal_writer_create(st_env_posix(), path, 0, &w), STRATA_OK);
  char small[256];
  assert_int_equal(append(w, small, make_record(small, 1, "a", "1")), STRATA_OK);
  assert_int_equal(append(w, small, make_record(small, 2, "b", "2")), STRATA_OK);
  char *buf = malloc(ST_WAL_HEADER + ST_BATCH_HEADER_MAX + 32 + vlen);
  assert_int_equal(append(w, buf, put_one(buf, ST_BATCH_VARINT, 3, "big", 3, val, vlen)), STRATA_OK);
  uint64_t size = w->size;
  st_wal_writer_close(w);
  free(buf);
  assert_int_equal(truncate(path, (off_t)size - 8), 0);
  return path;
}

/* A torn record whose value holds the bytes of a whole valid record (a
 * log backup stored as a value, say) is still a torn tail: the inner
 * record's sequence number cannot follow. And a torn value whose bytes all
 * look like huge record lengths is classified in linear time (the suite's
 * timeout catches a quadratic scan). */
static void torn_value_is_a_tail_whatever_it_holds(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  /* The inner record, as the log would hold it (sequence 1). */
  char inner[256];
  size_t inner_len = make_record(inner, 1, "ik", "iv");
  st_put_fixed32(inner + 4, (uint32_t)inner_len);
  st_put_fixed32(inner, st_crc32c_mask_by(st_crc32c(inner + 4, 4 + inner_len), ST_WAL_TYPE1_DELTA));
  inner_len += ST_WAL_HEADER;
  /* Outer value: 20 MiB of 0x01, the inner record, 16 bytes of tail. */
  size_t filler = 20u << 20, vlen = filler + inner_len + 16;
  char *val = malloc(vlen);
  memset(val, 1, filler);
  memcpy(val + filler, inner, inner_len);
  memset(val + filler + inner_len, 'z', 16);
  char *path = log_torn_in(dir, val, vlen); /* torn inside the 'z' tail */
  free(val);
  int n;
  assert_int_equal(scan_damage(path, 2, &n, NULL), 0);
  assert_int_equal(n, 2);
  free(path);
  tu_rmdir(dir);
}

/* A torn value made of bytes that look like record headers at every 12th
 * offset, each claiming an 8 MiB record that could follow: the scan must
 * not checksum 8 MiB a million times. It gives up once it has checksummed
 * 8 bytes per byte after the damage, and says a valid record may follow
 * (so the damage is not dropped as a tail). */
static void record_lookalikes_bound_the_scan(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  size_t vlen = 20u << 20;
  char *val = malloc(vlen);
  for (size_t i = 0; i + 12 <= vlen; i += 12) {
    memset(val + i, 0x55, 4);              /* a masked CRC */
    st_put_fixed32(val + i + 4, 8u << 20); /* length */
    memcpy(val + i + 8, "\x03\x01\x01\x00", 4); /* first_seq 3, count 1, a PUT */
  }
  char *path = log_torn_in(dir, val, vlen);
  free(val);
  int n;
  assert_int_equal(scan_damage(path, 2, &n, NULL), ST_WAL_MAYBE);
  assert_int_equal(n, 2);
  free(path);
  tu_rmdir(dir);
}

/* Zeros to the end of the file are space a mapped writer reserved: the
 * log ends cleanly there, in any log. Zeros with anything after them are
 * damage. */
static void zeroed_tail_is_the_end(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char *path = write_log(dir, 3, NULL);
  char zeros[4096] = {0};
  tu_write_file(path, zeros, sizeof zeros);
  int n;
  assert_int_equal(read_all(path, &n), STRATA_NOTFOUND);
  assert_int_equal(n, 3);
  tu_write_file(path, "x", 1);
  assert_int_equal(read_all(path, &n), STRATA_ECORRUPT);
  assert_int_equal(n, 3);
  free(path);
  tu_rmdir(dir);
}

/* A mapped writer: records cross its 1 MiB windows (one record is larger
 * than a window); before st_wal_finish the file ends in reserved zeros and
 * reads back whole; after it, the file ends at the last record. */
static void mapped_writer_round_trip(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/000002.log", dir);
  st_wal_writer *w;
  assert_int_equal(st_wal_writer_create(st_env_posix(), path, ST_WAL_MAP, &w), STRATA_OK);
  assert_true(w->mapped);
  size_t big = 3u << 20;
  char *buf = malloc(ST_WAL_HEADER + ST_BATCH_HEADER_MAX + 64 + big);
  char *val = malloc(big + 1);
  int records = 0;
  for (int i = 0; i < 20000; i++) {
    size_t vlen = i == 7000 ? big : (size_t)(i % 300);
    memset(val, 'a' + i % 26, vlen);
    char key[32];
    int kl = snprintf(key, sizeof key, "key%d", i);
    assert_int_equal(append(w, buf, put_one(buf, ST_BATCH_VARINT, (uint64_t)i + 1, key, (size_t)kl, val, vlen)),
                     STRATA_OK);
    records++;
  }
  assert_int_equal(st_wal_sync(w), STRATA_OK);
  long long reserved = tu_file_size(path);
  assert_true(reserved > (long long)w->size && reserved % (1 << 18) == 0); /* 256 KiB steps */
  int n;
  assert_int_equal(read_all(path, &n), STRATA_NOTFOUND); /* the zero tail ends it */
  assert_int_equal(n, records);
  uint64_t size = w->size;
  assert_int_equal(st_wal_finish(w), STRATA_OK);
  assert_int_equal(st_wal_sync(w), STRATA_OK);
  assert_int_equal(tu_file_size(path), (long long)size);
  assert_int_equal(st_wal_writer_close(w), STRATA_OK);
  assert_int_equal(read_all(path, &n), STRATA_NOTFOUND);
  assert_int_equal(n, records);
  free(buf);
  free(val);
  tu_rmdir(dir);
}

/* An env like POSIX whose allocate, or whose map_shared from its nth call
 * on, fails: the mapped writer must fall back to write() with the log
 * intact (no zeros, no part of a record left behind). */
static st_env flaky;
static int maps_left;
static int failing_allocate(st_file *f, uint64_t size) {
  (void)f, (void)size;
  return st_error(STRATA_EIO, "allocate: not on this file system");
}
static int failing_map(st_file *f, uint64_t off, uint64_t len, char **addr_out) {
  if (maps_left-- > 0) return st_env_posix()->map_shared(f, off, len, addr_out);
  *addr_out = NULL;
  return st_error(STRATA_ENOMEM, "mmap: out of memory");
}

static void write_through(st_env *env, const char *path, int n) {
  st_wal_writer *w;
  assert_int_equal(st_wal_writer_create(env, path, ST_WAL_MAP, &w), STRATA_OK);
  char *buf = malloc(ST_WAL_HEADER + ST_BATCH_HEADER_MAX + 64 + 4096);
  char val[4096];
  for (int i = 0; i < n; i++) {
    size_t vlen = 100 + (size_t)(i * 37 % 3900);
    memset(val, 'a' + i % 26, vlen);
    assert_int_equal(append(w, buf, put_one(buf, ST_BATCH_VARINT, (uint64_t)i + 1, "k", 1, val, vlen)), STRATA_OK);
  }
  assert_false(w->mapped); /* it fell back */
  assert_int_equal(st_wal_sync(w), STRATA_OK);
  assert_int_equal(tu_file_size(path), (long long)w->size);
  assert_int_equal(st_wal_finish(w), STRATA_OK);
  assert_int_equal(st_wal_writer_close(w), STRATA_OK);
  free(buf);
  int got;
  assert_int_equal(read_all(path, &got), STRATA_NOTFOUND);
  assert_int_equal(got, n);
}

static void mapped_writer_falls_back_to_write(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char path[4096];
  flaky = *st_env_posix();
  flaky.allocate = failing_allocate;
  snprintf(path, sizeof path, "%s/000003.log", dir);
  write_through(&flaky, path, 100);
  /* The second window cannot be mapped: the record that crosses into it
   * was half copied, and must be cut before write() takes over. */
  flaky = *st_env_posix();
  flaky.map_shared = failing_map;
  maps_left = 1;
  snprintf(path, sizeof path, "%s/000004.log", dir);
  write_through(&flaky, path, 600);
  tu_rmdir(dir);
}

static int failing_truncate(st_file *f, uint64_t size) {
  (void)f, (void)size;
  return st_error(STRATA_EIO, "truncate: injected");
}

/* When the mapping fails and the reserved zeros cannot be cut either,
 * write() must not append after them (a record after zeros reads as
 * damage): the writer refuses every later append. The log reads back
 * every record appended before, then the half-copied one: a torn tail,
 * which an open drops. */
static void failed_cut_breaks_the_mapped_writer(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/000005.log", dir);
  flaky = *st_env_posix();
  flaky.map_shared = failing_map;
  flaky.truncate = failing_truncate;
  maps_left = 1;
  st_wal_writer *w;
  assert_int_equal(st_wal_writer_create(&flaky, path, ST_WAL_MAP, &w), STRATA_OK);
  /* Records of about 3 KiB fill the first window; the one that crosses
   * into the second cannot be mapped, and the cut fails. */
  char *buf = malloc(ST_WAL_HEADER + ST_BATCH_HEADER_MAX + 64 + 3000);
  char val[3001];
  memset(val, 'v', 3000);
  val[3000] = '\0';
  uint64_t seq = 1;
  int rc;
  do rc = append(w, buf, make_record(buf, seq++, "k", val));
  while (rc == STRATA_OK && w->size < (2u << 20));
  assert_int_equal(rc, STRATA_EIO);
  assert_true(w->broken);
  assert_true(w->size < (1u << 20)); /* the record that failed did not count */
  assert_int_equal(append(w, buf, make_record(buf, seq, "k", "v")), STRATA_EIO);
  assert_int_equal(st_wal_writer_close(w), STRATA_OK);
  free(buf);
  int n;
  assert_int_equal(read_all(path, &n), STRATA_ECORRUPT);
  assert_int_equal(n, (int)seq - 2);
  tu_rmdir(dir);
}

/* Writes a batch header of the given format before records at rep + 12
 * (fixed) or rep + 2 (varint, for seq and count below 128). */
static void set_header(char *rep, int format, uint64_t seq, uint32_t count) {
  if (format == ST_BATCH_FIXED) {
    st_put_fixed64(rep, seq);
    st_put_fixed32(rep + 8, count);
  } else {
    assert_ptr_equal(st_batch_header_put(rep + 2, seq, count), rep);
  }
}

static void batch_rep_rejects_bad_framing(void **state) {
  (void)state;
  for (int format = ST_BATCH_FIXED; format <= ST_BATCH_VARINT; format++) {
    size_t h = format == ST_BATCH_FIXED ? ST_BATCH_FIXED_HEADER : 2;
    char rep[64];
    char *end = st_batch_record_put(rep + h, ST_KIND_PUT, "k", 1, "v", 1);
    end = st_batch_record_put(end, ST_KIND_DELETE, "k", 1, NULL, 0);
    size_t len = (size_t)(end - rep);
    set_header(rep, format, 10, 2);
    seen s = {0};
    assert_int_equal(st_batch_rep_walk(rep, len, format, count_record, &s), STRATA_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.last_seq, 11);
    for (size_t cut = 0; cut < len; cut++)
      assert_int_equal(st_batch_rep_walk(rep, cut, format, NULL, NULL), STRATA_ECORRUPT);
    set_header(rep, format, 10, 3);
    assert_int_equal(st_batch_rep_walk(rep, len, format, NULL, NULL), STRATA_ECORRUPT);
    set_header(rep, format, 10, 1);
    assert_int_equal(st_batch_rep_walk(rep, len, format, NULL, NULL), STRATA_ECORRUPT);
    set_header(rep, format, 10, 2);
    rep[h] = (char)ST_KIND_MAX + 1;
    assert_int_equal(st_batch_rep_walk(rep, len, format, NULL, NULL), STRATA_ECORRUPT);
    assert_non_null(strstr(strata_errmsg(), "kind"));
  }
  /* Varint headers: the longest one, a count over 32 bits, a varint that
   * runs past the end. */
  char rep[32];
  char *records = rep + ST_BATCH_HEADER_MAX;
  assert_ptr_equal(st_batch_header_put(records, ST_SEQ_MAX, UINT32_MAX), rep);
  uint64_t seq;
  uint32_t count;
  size_t hlen;
  assert_int_equal(st_batch_header_get(rep, ST_BATCH_HEADER_MAX, ST_BATCH_VARINT, &seq, &count, &hlen), STRATA_OK);
  assert_true(seq == ST_SEQ_MAX && count == UINT32_MAX && hlen == ST_BATCH_HEADER_MAX);
  size_t n = st_put_varint64(rep, 1);
  n += st_put_varint64(rep + n, (uint64_t)UINT32_MAX + 1);
  assert_int_equal(st_batch_header_get(rep, n, ST_BATCH_VARINT, &seq, &count, &hlen), STRATA_ECORRUPT);
  memset(rep, 0x80, sizeof rep);
  assert_int_equal(st_batch_rep_walk(rep, sizeof rep, ST_BATCH_VARINT, NULL, NULL), STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "header"));
}

/* st_batch_check_follows: the first sequence number above the last, the
 * last within ST_SEQ_MAX, an empty batch leaving the last as it was. */
static void batch_sequence_must_follow(void **state) {
  (void)state;
  char rep[32];
  char *records = rep + ST_BATCH_HEADER_MAX;
  struct {
    uint64_t last, seq;
    uint32_t count;
    int rc;
    uint64_t after;
  } cases[] = {
      {0, 1, 1, STRATA_OK, 1},
      {0, 1, 3, STRATA_OK, 3},
      {5, 6, 0, STRATA_OK, 5}, /* empty: nothing used */
      {0, 0, 0, STRATA_ECORRUPT, 0},
      {0, 0, 1, STRATA_ECORRUPT, 0},
      {7, 7, 1, STRATA_ECORRUPT, 7},
      {7, 3, 2, STRATA_ECORRUPT, 7},
      {0, ST_SEQ_MAX, 1, STRATA_OK, ST_SEQ_MAX},
      {0, ST_SEQ_MAX - 1, 2, STRATA_OK, ST_SEQ_MAX},
      {0, ST_SEQ_MAX, 2, STRATA_ECORRUPT, 0},
      {0, ST_SEQ_MAX + 1, 0, STRATA_ECORRUPT, 0},
      {0, UINT64_MAX, 1, STRATA_ECORRUPT, 0},
      {0, 2, UINT32_MAX, STRATA_OK, (uint64_t)UINT32_MAX + 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *h = st_batch_header_put(records, cases[i].seq, cases[i].count);
    uint64_t last = cases[i].last;
    assert_int_equal(st_batch_check_follows(h, (size_t)(records - h), ST_BATCH_VARINT, &last), cases[i].rc);
    assert_true(last == (cases[i].rc ? cases[i].last : cases[i].after));
    if (cases[i].rc) assert_non_null(strstr(strata_errmsg(), "does not follow"));
  }
  uint64_t last = 0;
  assert_int_equal(st_batch_check_follows(rep, 0, ST_BATCH_VARINT, &last), STRATA_ECORRUPT);
  assert_int_equal(last, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip),
      cmocka_unit_test(both_record_types_read_back),
      cmocka_unit_test(every_truncation_is_a_torn_tail),
      cmocka_unit_test(damage_in_the_middle_is_found),
      cmocka_unit_test(torn_value_is_a_tail_whatever_it_holds),
      cmocka_unit_test(record_lookalikes_bound_the_scan),
      cmocka_unit_test(zeroed_tail_is_the_end),
      cmocka_unit_test(mapped_writer_round_trip),
      cmocka_unit_test(mapped_writer_falls_back_to_write),
      cmocka_unit_test(failed_cut_breaks_the_mapped_writer),
      cmocka_unit_test(batch_rep_rejects_bad_framing),
      cmocka_unit_test(batch_sequence_must_follow),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
