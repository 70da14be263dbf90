# The programs of examples/: each is built like a user's program (strata.h
# is the only header of ours it can find) and run as a test in a fresh
# temporary directory; it checks its own results and exits non-zero when
# one is wrong. Included by tests/CMakeLists.txt.
#
# Labels: "examples", and "api" too, so that the ASan+UBSan build of
# `make test` runs them (they are small and single-threaded; the TSan build
# runs only "concurrency" and skips them on purpose).

set(STRATA_EXAMPLES hello counters podcast_position friend_feed unlike conversations delete_user)

# sh -c SCRIPT PROGRAM: PROGRAM runs on DIR/db for a new DIR, removed after.
set(STRATA_EXAMPLE_RUNNER
  "dir=$(mktemp -d \"\${TMPDIR:-/tmp}/strata-example.XXXXXX\") || exit 2; \"$0\" \"$dir/db\"; rc=$?; rm -rf \"$dir\"; exit $rc")

foreach(example ${STRATA_EXAMPLES})
  add_executable(example_${example} ${CMAKE_SOURCE_DIR}/examples/${example}.c)
  set_target_properties(example_${example} PROPERTIES OUTPUT_NAME ${example}
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/examples)
  target_compile_options(example_${example} PRIVATE ${STRATA_WARNINGS})
  # strata_static brings include/ and nothing else: no src/ path.
  target_link_libraries(example_${example} PRIVATE strata_static)
  add_test(NAME example_${example} COMMAND sh -c "${STRATA_EXAMPLE_RUNNER}" $<TARGET_FILE:example_${example}>)
  set_tests_properties(example_${example} PROPERTIES LABELS "examples;api" TIMEOUT 300)
endforeach()
