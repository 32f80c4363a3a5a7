/* cpu.h - CPU feature detection. */
#ifndef CONVCORE_CPU_H
#define CONVCORE_CPU_H

enum {
    CC_CPU_SSE2 = 1 << 0,
    CC_CPU_AVX = 1 << 1,
    CC_CPU_AVX2 = 1 << 2,
    CC_CPU_FMA = 1 << 3,
    CC_CPU_AVX512F = 1 << 4,
    CC_CPU_AVX512BW = 1 << 5,
    CC_CPU_AVX512DQ = 1 << 6,
    CC_CPU_AVX512VL = 1 << 7,
    CC_CPU_NEON = 1 << 8
};

/* Bit set of CC_CPU_* features that both the CPU and the OS (saved register state) support. */
unsigned cc_cpu_detect(void);

#endif
