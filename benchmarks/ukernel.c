/* ukernel.c - the forward GEMM micro-kernel alone, operands in L1: its ceiling on this
 * machine, to compare with the whole convolution's GFLOP/s (bench.py). Builds the AVX-512
 * kernels into this program (x86-64 with AVX-512 only):
 *
 *   gcc -O3 -mavx2 -mfma -mavx512f -mavx512bw -mavx512dq -mavx512vl -Icsrc \
 *       -Icsrc/include benchmarks/ukernel.c -o /tmp/ukernel -lm && /tmp/ukernel
 *
 * Each line: the 8-row x 48-column strided-A kernel (the one the 3x3 layers use) over a
 * k-long reduction, weights lda floats apart, best of 5 rounds of 200,000 calls. */
#include "../csrc/kernels/target_avx512.c"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void run(int64_t k, int64_t lda)
{
    const int reps = 200000;
    float *a = aligned_alloc(64, (size_t)(4 * (8 * lda + k + 64)));
    float *b = aligned_alloc(64, (size_t)(4 * k * 48 + 256));
    float *c = aligned_alloc(64, 4 * 8 * 48);
    if (!a || !b || !c) exit(1);
    for (int64_t i = 0; i < 8 * lda + k; ++i) a[i] = 1e-3f;
    for (int64_t i = 0; i < k * 48; ++i) b[i] = 1e-3f;
    for (int i = 0; i < 8 * 48; ++i) c[i] = 0.0f;
    double best = 1e30;
    for (int r = 0; r < 5; ++r) {
        const double t0 = now();
        for (int i = 0; i < reps; ++i) gemm_sp3_f32__avx512(k, a, lda, b, c, 48, 8, 48, NULL, 1);
        const double t = now() - t0;
        if (t < best) best = t;
    }
    printf("k=%4ld lda=%5ld: %6.1f GFLOP/s (c[0] %g)\n", (long)k, (long)lda,
           2.0 * 8 * 48 * (double)k * reps / best * 1e-9, (double)c[0]);
    free(a);
    free(b);
    free(c);
}

int main(void)
{
    run(128, 128);
    run(128, 2304);
    run(256, 256);
    run(128, 4608);
    return 0;
}
