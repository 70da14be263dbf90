/* test_memtable.c - newest-visible lookups by snapshot, kinds, key order. */
#include <string.h>

#include "format/kind.h"
#include "mem/memtable.h"
#include "testutil.h"

static void get_sees_newest_at_snapshot(void **state) {
  (void)state;
  st_memtable *m;
  assert_int_equal(st_memtable_new(&m), STRATA_OK);
  assert_int_equal(st_memtable_add(m, 1, ST_KIND_PUT, "a", 1, "v1", 2), STRATA_OK);
  assert_int_equal(st_memtable_add(m, 2, ST_KIND_PUT, "a", 1, "v2", 2), STRATA_OK);
  assert_int_equal(st_memtable_add(m, 3, ST_KIND_DELETE, "a", 1, NULL, 0), STRATA_OK);
  assert_int_equal(st_memtable_add(m, 4, ST_KIND_PUT, "ab", 2, "x", 1), STRATA_OK);
  assert_int_equal(st_memtable_add(m, 5, ST_KIND_PUT, "", 0, "empty", 5), STRATA_OK);

  unsigned kind;
  const char *v;
  size_t n;
  assert_int_equal(st_memtable_get(m, "a", 1, 0, &kind, &v, &n), 0);
  assert_int_equal(st_memtable_get(m, "a", 1, 1, &kind, &v, &n), 1);
  assert_int_equal(kind, ST_KIND_PUT);
  assert_memory_equal(v, "v1", 2);
  assert_int_equal(st_memtable_get(m, "a", 1, 2, &kind, &v, &n), 1);
  assert_memory_equal(v, "v2", 2);
  assert_int_equal(st_memtable_get(m, "a", 1, 100, &kind, &v, &n), 1);
  assert_int_equal(kind, ST_KIND_DELETE);
  /* "a" is a prefix of "ab" but a different key. */
  assert_int_equal(st_memtable_get(m, "ab", 2, 3, &kind, &v, &n), 0);
  assert_int_equal(st_memtable_get(m, "ab", 2, 4, &kind, &v, &n), 1);
  assert_int_equal(n, 1);
  assert_int_equal(st_memtable_get(m, "b", 1, 100, &kind, &v, &n), 0);
  assert_int_equal(st_memtable_get(m, "", 0, 100, &kind, &v, &n), 1);
  assert_int_equal(n, 5);
  assert_int_equal(m->entries, 5);
  assert_true(st_memtable_bytes(m) > 0);

  /* A key longer than the lookup's stack buffer. */
  char big[1000];
  memset(big, 'z', sizeof big);
  assert_int_equal(st_memtable_add(m, 6, ST_KIND_PUT, big, sizeof big, "big", 3), STRATA_OK);
  assert_int_equal(st_memtable_get(m, big, sizeof big, 6, &kind, &v, &n), 1);
  assert_memory_equal(v, "big", 3);
  st_memtable_unref(m);
}

static void references_keep_it_alive(void **state) {
  (void)state;
  st_memtable *m;
  assert_int_equal(st_memtable_new(&m), STRATA_OK);
  st_memtable_ref(m);
  st_memtable_unref(m);
  assert_int_equal(st_memtable_add(m, 1, ST_KIND_PUT, "k", 1, "v", 1), STRATA_OK);
  st_memtable_unref(m); /* ASan/valgrind would flag a use after free or a leak */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(get_sees_newest_at_snapshot),
      cmocka_unit_test(references_keep_it_alive),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
