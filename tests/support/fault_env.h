/*
 * fault_env.h - a test env that wraps the POSIX one and can fail the Nth
 * operation of a kind (with EIO, ENOSPC, ...), cut an append short, and
 * simulate a power loss: drop every byte not fsynced and every directory
 * entry not made durable by a directory fsync. Compiled into tests only.
 * Thread-safe.
 */
#ifndef STRATA_TESTS_FAULT_ENV_H
#define STRATA_TESTS_FAULT_ENV_H

#include <stdint.h>

#include "env/env.h"

typedef enum fault_op {
  FAULT_OPEN,
  FAULT_APPEND,
  FAULT_READ,
  FAULT_SYNC,
  FAULT_TRUNCATE,
  FAULT_RENAME,
  FAULT_UNLINK,
  FAULT_MKDIR,
  FAULT_SYNC_DIR,
  FAULT_LIST,
  FAULT_LOCK,
  FAULT_OPS
} fault_op;

st_env *fault_env_new(void);
void fault_env_free(st_env *env);

/* The nth (1 = the next) operation of kind op from now fails with code
 * (a STRATA_* value). With sticky, every later one fails too. */
void fault_env_fail(st_env *env, fault_op op, uint64_t nth, int code, int sticky);

/* As fault_env_fail, counting only operations on paths that contain
 * substring (e.g. "MANIFEST" to fail a manifest write). */
void fault_env_fail_on(st_env *env, fault_op op, const char *substring, uint64_t nth, int code, int sticky);

/* The nth append from now writes only half of its bytes, then fails with
 * STRATA_EIO. */
void fault_env_short_write(st_env *env, uint64_t nth);

/* Clears every pending failure. */
void fault_env_heal(st_env *env);

/* Operations of kind op seen so far (failed ones included). */
uint64_t fault_env_count(st_env *env, fault_op op);

/* Makes every later operation fail with STRATA_EIO, as if the machine had
 * stopped: lets a test close a handle without it writing anything more. */
void fault_env_freeze(st_env *env);

/* Freezes the env once n more operations (of any kind that can fail) have
 * run: the machine stops right after the nth. */
void fault_env_freeze_after(st_env *env, uint64_t n);

/* Operations of every kind so far. */
uint64_t fault_env_total(st_env *env);

/* Simulated power loss: truncates every file written through this env to
 * its last fsynced size and undoes every change of a name since its
 * directory was last synced: a file whose entry was never made durable is
 * removed, and a file that a rename replaced or moved away, or that was
 * unlinked, comes back as a power loss would have left it (files from
 * before this env count as durable and wholly synced). Then thaws and
 * heals the env. */
int fault_env_power_loss(st_env *env);

#endif
