/*
 * fuzz_footer.c - libFuzzer target for opening a table: the input is a
 * whole table file (a real small table in the corpus, mutated). It is
 * opened as is, and again "resealed": the footer's magic, version and CRC
 * and the trailers of every block it and the index point to recomputed,
 * so that mutations reach the decoders behind the checksums (handles,
 * properties, filter, index and data blocks). st_table_open must give
 * STRATA_OK or STRATA_ECORRUPT; an open table must iterate, verify and
 * dump without crashing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/coding.h"
#include "base/crc32c.h"
#include "format/block.h"
#include "format/block_handle.h"
#include "format/footer.h"
#include "sst/table.h"
#include "strata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];

static void reseal_block(char *f, size_t size, const st_block_handle *h) {
  if (!st_block_handle_within(h, size, NULL)) return;
  char *b = f + h->offset;
  st_block_trailer_put(b + h->size, b, (size_t)h->size, (unsigned char)b[h->size]);
}

static void reseal(char *f, size_t size) {
  if (size < ST_FOOTER_SIZE) return;
  char *foot = f + size - ST_FOOTER_SIZE;
  st_block_handle hs[4];
  const char *p = foot, *limit = foot + ST_FOOTER_HANDLES;
  for (int i = 0; i < 4; i++) {
    p = p ? st_block_handle_get(p, limit, &hs[i]) : NULL;
    if (!p) return;
  }
  /* Index first: its entries locate the data blocks. */
  st_block_iter it;
  st_block_iter_init(&it, NULL, 0);
  if (st_block_handle_within(&hs[0], size, NULL) &&
      st_block_iter_reset(&it, f + hs[0].offset, (size_t)hs[0].size) == 0) {
    int n = 0;
    for (st_block_iter_seek_first(&it); st_block_iter_valid(&it) && n < 1000; st_block_iter_next(&it), n++) {
      st_block_handle d;
      if (st_block_handle_get(it.val, it.val + it.val_len, &d)) reseal_block(f, size, &d);
    }
  }
  st_block_iter_destroy(&it);
  for (int i = 0; i < 4; i++) reseal_block(f, size, &hs[i]);
  st_footer fo = {hs[0], hs[1], hs[2], hs[3], 1};
  char enc[ST_FOOTER_SIZE];
  st_footer_encode(&fo, enc);
  /* Keep the mutated padding bytes: only version, magic and CRC change. */
  memcpy(foot + 84, enc + 84, ST_FOOTER_SIZE - 84);
  uint32_t crc = st_crc32c_extend(0, foot, 80);
  crc = st_crc32c_extend(crc, foot + 84, ST_FOOTER_SIZE - 84);
  st_put_fixed32(foot + 80, st_crc32c_mask(crc));
}

static void try_open(const char *bytes, size_t size) {
  char path[512];
  snprintf(path, sizeof path, "%s/000001.sst", dir);
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (size && fwrite(bytes, 1, size, f) != size) abort();
  fclose(f);
  st_table *t;
  int rc = st_table_open(st_env_posix(), path, 1, NULL, 0, &t);
  if (rc == STRATA_OK) {
    st_iter *it;
    if (st_table_iter_new(t, &it) == STRATA_OK) {
      long n = 0;
      for (st_iter_seek_first(it); st_iter_valid(it) && n < 100000; st_iter_next(it)) n++;
      for (st_iter_seek_last(it); st_iter_valid(it) && n < 200000; st_iter_prev(it)) n++;
      if (size >= 16) {
        st_iter_seek(it, bytes + size / 2 - 8, 16);
        if (st_iter_valid(it)) st_iter_prev(it);
      }
      int s = st_iter_status(it);
      if (s != STRATA_OK && s != STRATA_ECORRUPT && s != STRATA_ENOMEM) abort();
      st_iter_free(it);
    }
    st_table_may_contain(t, "key", 3);
    rc = st_table_verify(t, NULL);
    if (rc != STRATA_OK && rc != STRATA_ECORRUPT && rc != STRATA_ENOMEM) abort();
    FILE *null = fopen("/dev/null", "w");
    if (null) {
      st_table_dump(t, null, 1);
      fclose(null);
    }
    st_table_close(t);
  } else if (rc != STRATA_ECORRUPT && rc != STRATA_ENOMEM) {
    fprintf(stderr, "unexpected open result %s: %s\n", strata_strerror(rc), strata_errmsg());
    abort();
  }
  unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dir[0]) {
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/strata-fuzz-sst-XXXXXX", base);
    if (!mkdtemp(dir)) abort();
  }
  try_open((const char *)data, size);
  char *copy = malloc(size ? size : 1);
  if (!copy) abort();
  memcpy(copy, data, size);
  reseal(copy, size);
  try_open(copy, size);
  free(copy);
  return 0;
}
