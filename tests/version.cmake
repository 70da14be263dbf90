# Tests of the version layer (src/version): the edit encoding and builder,
# the version set and manifest, power loss and I/O failure at every step,
# and the manifest decoder fuzzer. Included by tests/CMakeLists.txt.
strata_test(unit_version_edit unit/test_version_edit.c unit)
strata_test(unit_version_set unit/test_version_set.c unit concurrency)
strata_test(fault_version unit/test_version_fault.c fault)
strata_fuzz(fuzz_manifest fuzz/fuzz_manifest.c fuzz/corpus/manifest)
