# Tuple keys and prefix scans (src/format/tuple.c, src/db/scan.c): the API
# test (encodings, order over random tuples, malformed input, partitions
# and feeds in a database) and a fuzzer for the tuple parser. Included by
# tests/CMakeLists.txt; uses its strata_test and strata_fuzz.
strata_test(api_tuple api/test_tuple.c api)
strata_fuzz(fuzz_tuple fuzz/fuzz_tuple.c fuzz/corpus/tuple)
