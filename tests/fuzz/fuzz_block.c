/*
 * fuzz_block.c - libFuzzer target for the block reader: the input is the
 * bytes of one block. The first byte picks the key order (bytewise, or
 * internal keys with their 8-byte minimum); the iterator is walked both
 * ways, seeked to keys cut from the input, and the block is checked.
 * Any outcome but a crash, a sanitizer report or a hang is fine; a block
 * the check accepts must iterate cleanly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/block.h"
#include "format/ikey.h"
#include "strata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ikey_cmp(const char *a, size_t alen, const char *b, size_t blen) {
  return st_ikey_compare(a, alen, b, blen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int ikeys = data[0] & 1;
  /* An exact-size copy, so that any overread is caught. */
  size_t n = size - 1;
  char *blk = malloc(n ? n : 1);
  if (!blk) abort();
  memcpy(blk, data + 1, n);
  st_key_cmp cmp = ikeys ? ikey_cmp : NULL;
  size_t key_min = ikeys ? ST_IKEY_TRAILER : 0;

  uint64_t entries = 0;
  int checked = st_block_check(blk, n, cmp, key_min, &entries);
  if (checked != STRATA_OK && checked != STRATA_ECORRUPT) abort();

  st_block_iter it;
  st_block_iter_init(&it, cmp, key_min);
  st_block_iter_reset(&it, blk, n);
  uint64_t fwd = 0, back = 0;
  for (st_block_iter_seek_first(&it); st_block_iter_valid(&it) && fwd <= n; st_block_iter_next(&it)) fwd++;
  if (fwd > n) abort(); /* every entry takes at least 3 bytes: a loop */
  int fwd_status = it.status;
  for (st_block_iter_seek_last(&it); st_block_iter_valid(&it) && back <= n; st_block_iter_prev(&it)) back++;
  if (back > n) abort();
  if (checked == STRATA_OK && (fwd != entries || back != entries || fwd_status || it.status)) abort();

  /* Seek to targets cut from the input, and step around them. */
  for (size_t off = 0; off + 8 <= n && off < 256; off += 13) {
    size_t len = 8 + (off % 9);
    if (off + len > n) len = n - off;
    st_block_iter_seek(&it, blk + off, len);
    if (st_block_iter_valid(&it)) {
      if (checked == STRATA_OK && it.cmp(it.key, it.key_len, blk + off, len) < 0) abort();
      st_block_iter_prev(&it);
      st_block_iter_next(&it);
    }
    st_block_iter_reset(&it, blk, n);
  }
  st_block_iter_destroy(&it);

  st_iter *gi;
  if (st_block_iter_new(blk, n, cmp, key_min, &gi) == STRATA_OK) {
    for (st_iter_seek_last(gi); st_iter_valid(gi); st_iter_prev(gi)) {
      size_t kl, vl;
      st_iter_key(gi, &kl);
      st_iter_value(gi, &vl);
    }
    st_iter_free(gi);
  }
  free(blk);
  return 0;
}
