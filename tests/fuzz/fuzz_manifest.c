/*
 * fuzz_manifest.c - libFuzzer target for the manifest: the version edit
 * decoder, the builder, and manifest replay at open. The first input byte
 * picks the mode (mod 3):
 *   0  the rest is one edit: decode; if valid, it must re-encode to the same
 *      bytes and decode again, and is applied to an empty and a small version
 *   1  the rest is a whole manifest file named by CURRENT, opened
 *   2  the rest is records, each a fixed16 length and that many bytes of
 *      edit after the "VERSEDIT" magic, framed with good checksums (the
 *      last may be cut short: a torn tail), then opened as in mode 1
 * Any outcome but a crash, a leak, a sanitizer report or an unexpected code
 * is fine; a manifest that opens must reopen to the same state.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/coding.h"
#include "format/ikey.h"
#include "strata.h"
#include "version/version_set.h"
#include "wal/wal_writer.h"
#include "nosync_env.h"
#include "testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];


static void expect(int ok, const char *what) {
  if (ok) return;
  fprintf(stderr, "fuzz_manifest: %s (%s)\n", what, strata_errmsg());
  abort();
}

/* A digest of a version set's state, to compare across a reopen. */
static uint64_t digest(st_version_set *vs) {
  st_version *v = st_version_set_current(vs);
  uint64_t h = st_version_set_log_number(vs) * 31 + st_version_set_last_seq(vs);
  for (int level = 0; level < ST_LEVELS; level++)
    for (size_t i = 0; i < v->nfiles[level]; i++) {
      const st_file_meta *f = v->files[level][i];
      h = h * 1000003 + f->number * 7 + (uint64_t)level;
      h = h * 1000003 + f->size + f->smallest_len + f->largest_len + f->entries;
    }
  st_version_unref(v);
  return h;
}

static void check_version(const st_version *v) {
  for (int level = 0; level < ST_LEVELS; level++)
    for (size_t i = 1; i < v->nfiles[level]; i++) {
      const st_file_meta *a = v->files[level][i - 1], *b = v->files[level][i];
      if (level == 0)
        expect(a->number > b->number, "level 0 out of order");
      else
        expect(st_ikey_compare(a->largest, a->largest_len, b->smallest, b->smallest_len) < 0, "level overlaps");
    }
}

static void fuzz_edit(const uint8_t *data, size_t size) {
  st_version_edit e;
  st_version_edit_init(&e);
  int rc = st_version_edit_decode(&e, (const char *)data, size);
  if (rc) {
    expect(rc == STRATA_ECORRUPT || rc == STRATA_ENOMEM, "unexpected decode result");
    expect(e.nadded == 0 && e.ndeleted == 0, "a failed decode left fields behind");
    return;
  }
  char *enc;
  size_t len;
  expect(st_version_edit_encode(&e, &enc, &len) == STRATA_OK, "encode");
  /* Varints may be over-long in the input; the re-encoding is canonical
   * and must be stable from then on. */
  st_version_edit again;
  st_version_edit_init(&again);
  expect(st_version_edit_decode(&again, enc, len) == STRATA_OK, "re-encoded edit does not decode");
  char *enc2;
  size_t len2;
  expect(st_version_edit_encode(&again, &enc2, &len2) == STRATA_OK, "encode");
  expect(len2 == len && memcmp(enc, enc2, len) == 0, "encoding is not stable");
  free(enc);
  free(enc2);
  st_version_edit_clear(&again);

  st_version_builder b;
  st_version *v = NULL;
  expect(st_version_builder_init(&b, NULL) == STRATA_OK, "builder");
  rc = st_version_builder_apply(&b, &e, STRATA_ECORRUPT);
  if (rc == STRATA_OK) {
    expect(st_version_builder_finish(&b, &v) == STRATA_OK, "finish");
    check_version(v);
    /* And once more on top of itself: every addition is now a duplicate,
     * unless the edit deletes it first. */
    st_version_builder_clear(&b);
    expect(st_version_builder_init(&b, v) == STRATA_OK, "builder");
    if (st_version_builder_apply(&b, &e, STRATA_ECORRUPT) == STRATA_OK) {
      st_version *w;
      expect(st_version_builder_finish(&b, &w) == STRATA_OK, "finish");
      check_version(w);
      st_version_unref(w);
    }
    st_version_unref(v);
  } else {
    expect(rc == STRATA_ECORRUPT || rc == STRATA_ENOMEM, "unexpected builder result");
  }
  st_version_builder_clear(&b);
  st_version_edit_clear(&e);
}

static void open_dir(void) {
  st_version_set *vs = NULL;
  int rc = st_version_set_open(nosync_env(), dir, &vs);
  if (rc) {
    expect(rc == STRATA_ECORRUPT || rc == STRATA_ENOMEM, "unexpected open result");
    return;
  }
  uint64_t before = digest(vs);
  st_version *v = st_version_set_current(vs);
  check_version(v);
  st_version_unref(v);
  st_version_set_close(vs);
  /* What open rewrote must open cleanly to the same state. */
  expect(st_version_set_open(nosync_env(), dir, &vs) == STRATA_OK, "a rewritten manifest does not reopen");
  expect(digest(vs) == before, "reopen changed the state");
  st_version_set_close(vs);
}

static void fuzz_manifest_file(const uint8_t *data, size_t size) {
  tu_dir_put(dir, "CURRENT", "MANIFEST-000001\n", 16);
  tu_dir_put(dir, "MANIFEST-000001", data, size);
  open_dir();
}

static void fuzz_framed(const uint8_t *data, size_t size) {
  char path[512];
  st_wal_writer *w;
  snprintf(path, sizeof path, "%s/MANIFEST-000001", dir);
  expect(st_wal_writer_create(nosync_env(), path, 0, &w) == STRATA_OK, "create");
  char *rec = malloc(ST_WAL_HEADER + 8 + 65536);
  if (!rec) abort();
  size_t pos = 0;
  while (pos + 2 <= size) {
    size_t want = (size_t)data[pos] | (size_t)data[pos + 1] << 8, have = size - pos - 2;
    size_t n = want < have ? want : have;
    memcpy(rec + ST_WAL_HEADER, ST_VERSION_EDIT_MAGIC, 8);
    memcpy(rec + ST_WAL_HEADER + 8, data + pos + 2, n);
    pos += 2 + n;
    if (n < want) {
      /* Torn: frame the whole record as it would have been, write a prefix. */
      memset(rec + ST_WAL_HEADER + 8 + n, 0, want - n);
      st_put_fixed32(rec + 4, (uint32_t)(8 + want));
      st_put_fixed32(rec, 0x12345678);
      st_file *f;
      st_wal_writer_close(w);
      w = NULL;
      expect(nosync_env()->open_file(nosync_env(), path, ST_OPEN_APPEND, &f) == STRATA_OK, "open");
      expect(nosync_env()->append(f, rec, ST_WAL_HEADER + 8 + n) == STRATA_OK, "append");
      nosync_env()->close(f);
      break;
    }
    expect(st_wal_append(w, rec, 8 + n, ST_WAL_TYPE0) == STRATA_OK, "append");
  }
  st_wal_writer_close(w);
  free(rec);
  tu_dir_put(dir, "CURRENT", "MANIFEST-000001\n", 16);
  open_dir();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dir[0]) {
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/strata-fuzz-manifest-XXXXXX", base);
    if (!mkdtemp(dir)) abort();
  }
  if (size == 0) return 0;
  tu_dir_empty(dir);
  switch (data[0] % 3) {
    case 0:
      fuzz_edit(data + 1, size - 1);
      break;
    case 1:
      fuzz_manifest_file(data + 1, size - 1);
      break;
    default:
      fuzz_framed(data + 1, size - 1);
      break;
  }
  return 0;
}
