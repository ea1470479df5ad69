/*
 * Chooses the code path of the oneMKL that libtorch links statically into libtorch_cpu.so.
 *
 * oneMKL asks mkl_serv_cpu_detect() which of its kernel sets to use and, on CPUs that are not Intel's,
 * that answer is its generic path (0) even where the CPU has AVX-512: on an AMD EPYC (Zen 4) its SGEMM
 * then takes ~18 % more time than its own AVX-512 kernels (docs/performance.md, "The CPU matmul gap").
 * libtorch_cpu.so exports the function and calls it through its PLT, so a definition that is already
 * in the process's global scope (dlopen with RTLD_GLOBAL, by PowerClip.Model's MklCodePath, before the
 * first matrix product) takes its place. Until a type is forced this one returns oneMKL's own answer.
 * The numbering is oneMKL's (read from oneMKL 2024.2's table in libtorch_cpu.so: 5 selects its AVX2 kernels,
 * 7 its AVX-512 ones). The widely used alternative, mkl_serv_intel_cpu_true() answering 1, also reaches 7 here,
 * but it sends every other vendor test in oneMKL down its Intel branch, which was not examined; this changes the
 * answer to the one query that chooses the kernel set.
 */
#define _GNU_SOURCE
#include <dlfcn.h>

static int forced = -1;
static long consulted;
static int (*own_detect)(void);

/* Called once, before the first matrix product; t < 0 keeps oneMKL's own choice. */
void powerclip_mkl_force_cpu_type(int t) { __atomic_store_n(&forced, t, __ATOMIC_SEQ_CST); }

/* How often oneMKL asked this function: > 0 proves that the interposition is in effect. */
long powerclip_mkl_consulted(void) { return __atomic_load_n(&consulted, __ATOMIC_SEQ_CST); }

/* oneMKL's own answer; -1 while libtorch_cpu.so is not loaded. */
int powerclip_mkl_own_cpu_type(void) {
  if (!own_detect) {
    /* A handle's lookup starts at libtorch_cpu.so itself, so this finds oneMKL's definition, not ours. */
    void *torch = dlopen("libtorch_cpu.so", RTLD_LAZY | RTLD_NOLOAD);
    own_detect = torch ? (int (*)(void))dlsym(torch, "mkl_serv_cpu_detect") : 0;
  }
  return own_detect ? own_detect() : -1;
}

int mkl_serv_cpu_detect(void) {
  __atomic_fetch_add(&consulted, 1, __ATOMIC_SEQ_CST);
  int t = __atomic_load_n(&forced, __ATOMIC_SEQ_CST);
  if (t < 0) t = powerclip_mkl_own_cpu_type();
  return t >= 0 ? t : 0;   /* 0: oneMKL's generic path, valid on every x86-64 CPU */
}
