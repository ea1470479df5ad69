/*
 * CPU time of one training step's SGEMM calls, for whichever BLAS this is linked against: reads lines
 * "TRANSA TRANSB M N K CALLS" (Fortran sgemm_ arguments, column-major, as MKL_VERBOSE prints them), times
 * each shape REPS times and adds the best time × CALLS. Process CPU time, not wall time: a process that
 * other jobs deschedule accrues none, so the figure holds on a busy machine (1 thread only).
 * Prints the CPU time, the GFLOP and oneMKL's CPU type (-1 for another BLAS).
 * With FORCE_TYPE=N in the environment it first calls powerclip_mkl_force_cpu_type(N) if the process has
 * it (libpowerclip_mkl_dispatch.so via LD_PRELOAD), before the first product.
 * Usage: gemm_mix REPS < shapes.txt
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void sgemm_(const char *, const char *, const int *, const int *, const int *, const float *, const float *,
            const int *, const float *, const int *, const float *, float *, const int *);

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 5;
  const char *force = getenv("FORCE_TYPE");
  if (force) {
    void (*set)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "powerclip_mkl_force_cpu_type");
    if (!set) { fprintf(stderr, "FORCE_TYPE set but libpowerclip_mkl_dispatch.so is not loaded\n"); return 2; }
    set(atoi(force));
  }
  size_t cap = 16u << 20;                                   /* floats per operand: enough for every shape */
  float *a = malloc(cap * 4), *b = malloc(cap * 4), *c = malloc(cap * 4);
  for (size_t i = 0; i < cap; i++) { a[i] = (float)(i % 13) / 13.f; b[i] = (float)(i % 11) / 11.f; }
  char ta[4], tb[4];
  int m, n, k;
  double calls, total = 0, flops = 0;
  const float one = 1, zero = 0;
  while (scanf("%3s %3s %d %d %d %lf", ta, tb, &m, &n, &k, &calls) == 6) {
    if ((size_t)m * k > cap || (size_t)k * n > cap || (size_t)m * n > cap) {
      fprintf(stderr, "shape too large\n");
      return 2;
    }
    int lda = ta[0] == 'N' ? m : k, ldb = tb[0] == 'N' ? k : n;
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
      double t = cpu_seconds();
      sgemm_(ta, tb, &m, &n, &k, &one, a, &lda, b, &ldb, &zero, c, &m);
      t = cpu_seconds() - t;
      if (t < best) best = t;
    }
    total += best * calls;
    flops += 2.0 * m * n * k * calls;
  }
  /* oneMKL's answer to its CPU query (the override's, where it is loaded); -1 for another BLAS */
  int (*detect)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "mkl_serv_cpu_detect");
  printf("%.1f ms %.3f GFLOP %.1f GFLOP/s cpu_type %d\n", total * 1e3, flops / 1e9, flops / total / 1e9,
         detect ? detect() : -1);
  return 0;
}
