# Range deletes: the fragmented tombstone lists (unit) and the public
# API end to end (api). Included by tests/CMakeLists.txt; uses its
# strata_test. The model and crash tests exercise range deletes too.
strata_test(unit_range_del unit/test_range_del.c unit)
strata_test(api_range api/test_range.c api)
