/*
 * nosync_env.h - the POSIX env with fsync and directory fsync turned into
 * no-ops, for fuzzers and tests that open databases hundreds of times and
 * do not test durability. Never for crash or power-loss tests.
 */
#ifndef STRATA_TESTS_NOSYNC_ENV_H
#define STRATA_TESTS_NOSYNC_ENV_H

#include "env/env.h"

/* The process-wide no-sync env. Thread-safe. */
st_env *nosync_env(void);

#endif
