/* internal.h - portability macros, checked arithmetic and aligned allocation shared by the core. */
#ifndef CONVCORE_INTERNAL_H
#define CONVCORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "convcore/convcore.h"

#if defined(_MSC_VER) && !defined(__clang__)
#define CC_RESTRICT __restrict
#define CC_INLINE static __inline
#define CC_ALWAYS_INLINE static __forceinline
#else
#define CC_RESTRICT __restrict__
#define CC_INLINE static inline
#define CC_ALWAYS_INLINE static inline __attribute__((always_inline))
#endif

/* Token pasting: CC_CAT(a, b) -> ab after expansion. */
#define CC_CAT_(a, b) a##b
#define CC_CAT(a, b) CC_CAT_(a, b)

/* The two suffix macros of the templates: TYPE_SUFFIX (f32/f64), set beside TYPE by the
 * file that instantiates a template, and CC_TARGET (base/avx2/avx512), set per compiled
 * kernel library. CC_FN(name) -> name_f32; CC_KFN(name) -> name_f32__avx2. */
#define CC_FN(name) CC_CAT(CC_CAT(name, _), TYPE_SUFFIX)
#define CC_KFN(name) CC_CAT(CC_FN(name), CC_CAT(__, CC_TARGET))

#define CC_STR_(x) #x
#define CC_STR(x) CC_STR_(x)

#ifdef _OPENMP
#include <omp.h>
#endif

/* Set in a child made by fork() (fork.c): OpenMP's thread pool does not survive a fork,
 * so the child runs serially. cc_fork_guard_init registers the handler (idempotent; also
 * done when the library is loaded). */
extern volatile int cc_after_fork;
void cc_fork_guard_init(void);

/* n_threads as the API defines it: > 0 exactly that many, 0 the OpenMP default; always 1
 * in a forked child. */
CC_INLINE int cc_resolve_threads(int n_threads)
{
#ifdef _OPENMP
    if (cc_after_fork) return 1;
    return n_threads > 0 ? n_threads : omp_get_max_threads();
#else
    (void)n_threads;
    return 1;
#endif
}

CC_INLINE int cc_thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Checked int64 arithmetic: return 1 on overflow (result untouched), 0 otherwise. */
CC_INLINE int cc_mul_overflow(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0) return 1; /* sizes only */
    if (a != 0 && b > INT64_MAX / a) return 1;
    *out = a * b;
    return 0;
}

CC_INLINE int cc_add_overflow(int64_t a, int64_t b, int64_t *out)
{
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) return 1;
    *out = a + b;
    return 0;
}

/* Full unrolling of a loop with constant bounds (the kernels' register tiles, whose
 * accumulators then stay in registers). */
#if defined(__clang__)
#define CC_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define CC_UNROLL _Pragma("GCC unroll 32")
#else
#define CC_UNROLL
#endif

CC_INLINE int64_t cc_min64(int64_t a, int64_t b) { return a < b ? a : b; }
CC_INLINE int64_t cc_max64(int64_t a, int64_t b) { return a > b ? a : b; }
/* Ceiling and floor division of any numerator by a positive divisor. They correct C's
 * truncating quotient with the remainder rather than adding b - 1 to the numerator,
 * which overflows int64 for numerators and divisors near 2^62 (an output-size formula
 * with a huge window or stride). */
CC_INLINE int64_t cc_ceil_div(int64_t a, int64_t b) { return a / b + (a % b > 0); }
CC_INLINE int64_t cc_round_up(int64_t a, int64_t b) { return cc_ceil_div(a, b) * b; }
CC_INLINE int64_t cc_floor_div(int64_t a, int64_t b) { return a / b - (a % b < 0); }

/* The outputs o in [lo, hi) (within [0, n)) whose input coordinate o * stride + offset
 * lies in [0, size): the in-bounds run of one kernel tap along a row. offset may be as
 * far below 0 as a padding allows; no intermediate overflows. */
CC_INLINE void cc_in_bounds_run(int64_t offset, int64_t stride, int64_t size, int64_t n,
                                int64_t *lo, int64_t *hi)
{
    const int64_t first = offset >= 0 ? 0 : cc_ceil_div(-offset, stride);
    const int64_t last = size - 1 - offset; /* o * stride <= last */
    const int64_t end = last < 0 ? 0 : last / stride + 1;
    *lo = cc_min64(first, n);
    *hi = cc_max64(*lo, cc_min64(end, n));
}

/* 64-byte aligned workspace. Returns NULL on failure or when bytes overflow size_t. */
void *cc_aligned_alloc(int64_t bytes);
void cc_aligned_free(void *p);

/* Largest element count convcore allocates in one workspace (bytes must fit in int64
 * and size_t on every platform). */
#define CC_MAX_WORKSPACE_BYTES ((int64_t)1 << 46)

#endif /* CONVCORE_INTERNAL_H */
