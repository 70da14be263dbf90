# Tests of the typed merge rules (src/merge): the resolver and collapsing,
# case by case, and a fuzzer that checks that every collapse reads the same
# at every live snapshot. Included by tests/CMakeLists.txt; uses its
# strata_test and strata_fuzz. test_merge.c includes fuzz/fuzz_merge.c for
# its chains and its "reads the same" check.
strata_test(unit_merge unit/test_merge.c unit)
strata_fuzz(fuzz_merge fuzz/fuzz_merge.c fuzz/corpus/merge)
