/*
 * meter.c - the sampler thread behind the per-second timeline and the
 * progress line (see meter.h).
 */
#include "meter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t total_ops(const bench_meter *m) {
  uint64_t sum = 0;
  for (int i = 0; i < m->nslots; i++) sum += atomic_load_explicit(&m->slots[i].ops, memory_order_relaxed);
  return sum;
}

static void push_rate(bench_meter *m, double rate) {
  if (m->nrates == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    double *r = realloc(m->rates, cap * sizeof *r);
    if (!r) return; /* the timeline loses a second; the run goes on */
    m->rates = r;
    m->cap = cap;
  }
  m->rates[m->nrates++] = rate;
}

static void draw(bench_meter *m, uint64_t ops, double rate, unsigned seconds) {
  fprintf(stderr, "\r%s %llu ops  %.0f ops/s  %u s\033[K", m->label, (unsigned long long)ops, rate, seconds);
  fflush(stderr);
  m->drawn = 1;
}

static void *sampler_main(void *arg) {
  bench_meter *m = arg;
  uint64_t last_ops = 0;
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  pthread_mutex_lock(&m->mu);
  for (unsigned second = 1; !m->stop; second++) {
    deadline.tv_sec += 1;
    int rc = 0;
    while (!m->stop && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&m->cv, &m->mu, &deadline);
    if (m->stop) break;
    uint64_t ops = total_ops(m);
    double rate = (double)(ops - last_ops);
    last_ops = ops;
    push_rate(m, rate);
    if (m->progress && second >= 2) draw(m, ops, rate, second);
  }
  pthread_mutex_unlock(&m->mu);
  return NULL;
}

int bench_meter_start(bench_meter *m, const char *label, int nthreads, int progress) {
  memset(m, 0, sizeof *m);
  snprintf(m->label, sizeof m->label, "%s", label);
  m->progress = progress;
  m->nslots = nthreads;
  m->slots = aligned_alloc(64, (size_t)nthreads * sizeof *m->slots);
  if (!m->slots) return -1;
  for (int i = 0; i < nthreads; i++) atomic_init(&m->slots[i].ops, 0);
  pthread_mutex_init(&m->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&m->cv, &ca);
  pthread_condattr_destroy(&ca);
  m->start_ns = bench_now_ns();
  if (pthread_create(&m->sampler, NULL, sampler_main, m) != 0) return -1;
  m->running = 1;
  return 0;
}

void bench_meter_stop(bench_meter *m) {
  if (!m->running) return;
  pthread_mutex_lock(&m->mu);
  m->stop = 1;
  pthread_cond_signal(&m->cv);
  pthread_mutex_unlock(&m->mu);
  pthread_join(m->sampler, NULL);
  m->running = 0;
  /* The seconds sampled cover [0, nrates); what ran after is a part. A
   * part under a tenth of a second says little, unless it is all there is. */
  double elapsed = (double)(bench_now_ns() - m->start_ns) / 1e9;
  double part = elapsed - (double)m->nrates;
  uint64_t counted = 0;
  for (size_t i = 0; i < m->nrates; i++) counted += (uint64_t)m->rates[i];
  uint64_t rest = total_ops(m) - counted;
  if (part > 0 && (m->nrates == 0 || part >= 0.1)) push_rate(m, (double)rest / part);
  if (m->drawn) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
    m->drawn = 0;
  }
}

void bench_meter_free(bench_meter *m) {
  bench_meter_stop(m);
  if (m->slots) {
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
  }
  free(m->slots);
  free(m->rates);
  m->slots = NULL;
  m->rates = NULL;
  m->nrates = m->cap = 0;
}
