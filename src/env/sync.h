/*
 * sync.h - mutexes, condition variables and atomics used across the
 * library: thin pthread wrappers that abort on the failures POSIX reserves
 * for programming errors (EINVAL, EDEADLK), which are our bugs, not input.
 */
#ifndef STRATA_ENV_SYNC_H
#define STRATA_ENV_SYNC_H

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

typedef struct st_mutex {
  pthread_mutex_t m;
} st_mutex;
typedef struct st_cond {
  pthread_cond_t c;
} st_cond;

static inline void st_mutex_init(st_mutex *m) {
  if (pthread_mutex_init(&m->m, NULL)) abort();
}
static inline void st_mutex_destroy(st_mutex *m) { pthread_mutex_destroy(&m->m); }
static inline void st_mutex_lock(st_mutex *m) {
  if (pthread_mutex_lock(&m->m)) abort();
}
static inline void st_mutex_unlock(st_mutex *m) {
  if (pthread_mutex_unlock(&m->m)) abort();
}

static inline void st_cond_init(st_cond *c) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  if (pthread_cond_init(&c->c, &a)) abort();
  pthread_condattr_destroy(&a);
}
static inline void st_cond_destroy(st_cond *c) { pthread_cond_destroy(&c->c); }
static inline void st_cond_wait(st_cond *c, st_mutex *m) { pthread_cond_wait(&c->c, &m->m); }
static inline void st_cond_signal(st_cond *c) { pthread_cond_signal(&c->c); }
static inline void st_cond_broadcast(st_cond *c) { pthread_cond_broadcast(&c->c); }

/* Waits at most ms milliseconds (monotonic clock). */
/* A busy-wait step: tells the CPU this is a spin loop. */
static inline void st_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  __asm__ __volatile__("" ::: "memory");
#endif
}

/* Lets another thread run on this CPU (a hint). */
static inline void st_thread_yield(void) { sched_yield(); }

static inline void st_cond_timedwait_ms(st_cond *c, st_mutex *m, uint64_t ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += (time_t)(ms / 1000);
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_cond_timedwait(&c->c, &m->m, &ts);
}

#endif
