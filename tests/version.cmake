# Tests of the version layer (src/version): the edit encoding and builder,
# the version set and manifest, power loss and I/O failure at every step,
# and the manifest decoder fuzzer. Included by tests/CMakeLists.txt.
strata_test(unit_version_edit unit/test_version_edit.c unit)
strata_test(unit_version_set unit/test_version_set.c unit concurrency)
strata_test(fault_version unit/test_version_fault.c fault)
strata_fuzz(fuzz_manifest fuzz/fuzz_manifest.c fuzz/corpus/manifest)

# The library is built without coverage instrumentation, which would leave
# libFuzzer blind inside the decoder; the fuzz target compiles the version
# layer's sources (and the log reader) itself, so that they are instrumented.
# Its own definitions take precedence over the copies in libstrata.a.
if(STRATA_FUZZ)
  target_sources(fuzz_manifest PRIVATE
    ${CMAKE_SOURCE_DIR}/src/version/version.c
    ${CMAKE_SOURCE_DIR}/src/version/version_builder.c
    ${CMAKE_SOURCE_DIR}/src/version/version_edit.c
    ${CMAKE_SOURCE_DIR}/src/version/version_set.c
    ${CMAKE_SOURCE_DIR}/src/wal/wal_reader.c)
endif()
