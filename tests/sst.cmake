# Tests of the SSTable layer (src/format/block*, bloom, footer; src/sst/).
# Included by tests/CMakeLists.txt; uses its strata_test and strata_fuzz.
strata_test(unit_block unit/test_block.c unit)
strata_test(unit_bloom unit/test_bloom.c unit)
strata_test(unit_table unit/test_table.c unit)
strata_test(unit_table_corrupt unit/test_table_corrupt.c unit)
strata_test(unit_table_props unit/test_table_props.c unit)
strata_test(unit_sst_cache unit/test_cache.c unit concurrency)

strata_fuzz(fuzz_block fuzz/fuzz_block.c fuzz/corpus/block)
strata_fuzz(fuzz_footer fuzz/fuzz_footer.c fuzz/corpus/footer)
