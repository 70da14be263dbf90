/* test_arena.c - the bump allocator: alignment, big blocks, accounting. */
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "base/random.h"
#include "testutil.h"

static void allocations_are_aligned_and_distinct(void **state) {
  (void)state;
  st_arena a;
  st_arena_init(&a);
  st_random r;
  st_random_seed(&r, 42);
  char *prev = NULL;
  size_t total = 0;
  for (int i = 0; i < 20000; i++) {
    size_t n = 1 + st_random_uniform(&r, i % 100 == 0 ? 40000 : 100);
    char *p = st_arena_alloc(&a, n);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 8, 0);
    memset(p, (int)(i & 0xff), n); /* ASan catches overlap with block ends */
    if (prev) assert_ptr_not_equal(p, prev);
    prev = p;
    total += n;
  }
  assert_true(st_arena_usage(&a) >= total);
  st_arena_destroy(&a);
  assert_int_equal(st_arena_usage(&a), 0);
}

static void large_allocation_keeps_current_block(void **state) {
  (void)state;
  st_arena a;
  st_arena_init(&a);
  char *small1 = st_arena_alloc(&a, 16);
  size_t before = st_arena_usage(&a);
  char *big = st_arena_alloc(&a, 1 << 20);
  assert_non_null(big);
  assert_true(st_arena_usage(&a) >= before + (1 << 20));
  char *small2 = st_arena_alloc(&a, 16);
  /* The small block still serves small allocations. */
  assert_ptr_equal(small2, small1 + 16);
  st_arena_destroy(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(allocations_are_aligned_and_distinct),
      cmocka_unit_test(large_allocation_keeps_current_block),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
