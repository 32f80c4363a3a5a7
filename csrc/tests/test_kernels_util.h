/* test_kernels_util.h - what the kernel tests share: the tables to test, buffers of
 * either element type with guard zones (exactly sized under AddressSanitizer, which then
 * also poisons the gaps a kernel must not touch), data, and comparisons. */
#ifndef CONVCORE_TEST_KERNELS_UTIL_H
#define CONVCORE_TEST_KERNELS_UTIL_H
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "dispatch.h"
#include "ref/ref_kernels.h"

#if defined(__SANITIZE_ADDRESS__)
#define TK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TK_ASAN 1
#endif
#endif

/* ------------------------------------------------------------------ data */

/* Deterministic generator: uniform in [-1, 1), or an integer in [-r, r]. */
double tk_rnd(void);
int64_t tk_int(int64_t r);

/* How a buffer's meaningful elements are drawn: random values in [-1, 1) (rounded to the
 * element type), or small integers (sums of products exact in float: results bit-exact). */
enum { TK_RANDOM = 0, TK_SMALLINT = 1 };

/* ------------------------------------------------------------------ buffers */

/* n elements of float (f64 = 0) or double at p, every element first set to the sentinel
 * (a NaN no kernel produces). Without AddressSanitizer a guard zone of sentinel bytes
 * lies on each side and kb_ok checks it; with it the buffer is exactly n elements, so any
 * access past it is reported, and kb_poison marks gaps inside it (elements no access may
 * touch). */
typedef struct kbuf {
    void *p;
    int64_t n;
    int f64;
    unsigned char *base;
} kbuf;

kbuf kb_new(int f64, int64_t n);
void kb_free(kbuf *b);
double kb_get(const kbuf *b, int64_t i);
void kb_set(kbuf *b, int64_t i, double v);       /* rounded to float for f32 */
void kb_fill(kbuf *b, int64_t i0, int64_t i1, int mode, int64_t r); /* TK_RANDOM / TK_SMALLINT */
int kb_is_sentinel(const kbuf *b, int64_t i);
void kb_set_sentinel(kbuf *b, int64_t i);
/* every element a plain NaN (inputs: what a kernel must not read reads as NaN; the
 * sentinel stays the mark of output elements never written) */
void kb_junk(kbuf *b);
/* elements [i0, i1) must not be read or written by the call that follows (ASan only) */
void kb_poison(kbuf *b, int64_t i0, int64_t i1);
void kb_unpoison(kbuf *b);
/* the guard zones are untouched */
int kb_ok(const kbuf *b);
/* a double copy of the elements (the sentinel reads as NaN); free() it */
double *kb_to_double(const kbuf *b);
/* a copy of the bytes, to restore or compare with (kb_same) */
void *kb_save(const kbuf *b);
void kb_restore(kbuf *b, const void *saved);
int kb_same(const kbuf *b, const void *saved);

/* ------------------------------------------------------------------ comparison */

/* Bit equality of a kernel result (a float widened, or a double) with a reference value:
 * NaN matches NaN; otherwise identical bits (so +0 differs from -0). */
int tk_same(double got, double want);

/* Error of got against want: max |got - want| / max |want| (1 when all want are 0);
 * NaN on either side only matches NaN on the other (else the error is infinite). */
double tk_err(const double *got, const double *want, int64_t n);
/* The same error relative to max(max |want|, max |scale|): scale is the reference computed
 * from the absolute values of the data (a sum's magnitude before cancellation, which is
 * what a rounding error is proportional to; a 1 x 1 result may cancel to near 0). */
double tk_err_scaled(const double *got, const double *want, const double *scale, int64_t n);
/* |v[i]| in place */
void tk_abs(double *v, int64_t n);

/* The tolerance of a result type: 1e-5 (float32), 1e-12 (float64). */
double tk_tol(int f64);

/* ------------------------------------------------------------------ families */

/* The kernel calls one family made, for the per-target summary. */
typedef struct tk_tally {
    long calls;
} tk_tally;

void tk_gemm(const cc_kernels *k, const char *tname, tk_tally *t);
void tk_plane(const cc_kernels *k, const char *tname, tk_tally *t);
void tk_wgrad(const cc_kernels *k, const char *tname, tk_tally *t);
void tk_winograd(const cc_kernels *k, const char *tname, tk_tally *t);

#endif
