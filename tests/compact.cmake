# Tests of the compaction layer (src/compact): the picker over versions of
# file metadata, and compaction runs over real tables (garbage rules,
# output cuts, failure injection). Included by tests/CMakeLists.txt.
strata_test(unit_compaction_picker unit/test_compaction_picker.c unit)
strata_test(unit_compaction_run unit/test_compaction_run.c unit fault)
