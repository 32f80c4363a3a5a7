/* ukernel.c - the forward GEMM micro-kernel alone, operands in L1: its ceiling on this
 * machine, to compare with the whole convolution's GFLOP/s (bench.py). Builds the AVX-512
 * kernels into this program (x86-64 with AVX-512 only):
 *
 *   gcc -O3 -mavx2 -mfma -mavx512f -mavx512bw -mavx512dq -mavx512vl -Icsrc \
 *       -Icsrc/include benchmarks/ukernel.c -o /tmp/ukernel -lm && /tmp/ukernel
 *
 * First lines: the 8-row x 48-column strided-A kernel (the one the 3x3 layers use) over a
 * k-long reduction, weights lda floats apart, best of 5 rounds of 200,000 calls. Then the
 * same kernel over resnet_l3's GEMM (256 x 2304 weights read in place, 192 output columns
 * in 4 packed tiles, the output accumulated across k blocks of kc rows), best of 30:
 * what the blocking costs on top of the kernel. */
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

static void run_blocked(int64_t kc)
{
    const int64_t K = 256, kdim = 2304, P = 192, ntile = P / 48;
    float *A = aligned_alloc(64, (size_t)(4 * K * kdim));
    float *B = aligned_alloc(64, (size_t)(4 * kdim * P));
    float *C = aligned_alloc(64, (size_t)(4 * K * P));
    if (!A || !B || !C) exit(1);
    for (int64_t i = 0; i < K * kdim; ++i) A[i] = 1e-4f;
    for (int64_t i = 0; i < kdim * P; ++i) B[i] = 1e-4f;
    for (int64_t i = 0; i < K * P; ++i) C[i] = 0.0f;
    double best = 1e30;
    for (int r = 0; r < 30; ++r) {
        const double t0 = now();
        for (int64_t pc = 0; pc < kdim; pc += kc) {
            const int64_t kk = kdim - pc < kc ? kdim - pc : kc;
            for (int64_t t = 0; t < ntile; ++t)      /* tile t packed as kdim x 48 */
                for (int64_t i = 0; i < K; i += 8)
                    gemm_sp3_f32__avx512(kk, A + i * kdim + pc, kdim, B + (t * kdim + pc) * 48,
                                         C + i * P + t * 48, P, 8, 48, NULL, pc > 0);
        }
        const double t = now() - t0;
        if (t < best) best = t;
    }
    printf("l3 blocking, kc=%4ld: %6.1f GFLOP/s (C[0] %g)\n", (long)kc,
           2.0 * (double)(K * kdim * P) / best * 1e-9, (double)C[0]);
    free(A);
    free(B);
    free(C);
}

int main(void)
{
    run(128, 128);
    run(128, 2304);
    run(256, 256);
    run(128, 4608);
    run_blocked(128);
    run_blocked(256);
    run_blocked(512);
    return 0;
}
