/* test_kernels_util.c - buffers, data and comparisons of the kernel tests. */
#include "test_kernels_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(TK_ASAN)
#include <sanitizer/asan_interface.h>
#define TK_GUARD 0
#else
#define TK_GUARD 64 /* bytes each side: a whole AVX-512 vector */
#endif

static uint64_t tk_state = 0x2545f4914f6cdd1dull;

double tk_rnd(void)
{
    tk_state ^= tk_state << 13;
    tk_state ^= tk_state >> 7;
    tk_state ^= tk_state << 17;
    return (double)(tk_state >> 11) / (double)(1ull << 52) - 1.0;
}

int64_t tk_int(int64_t r)
{
    tk_state ^= tk_state << 13;
    tk_state ^= tk_state >> 7;
    tk_state ^= tk_state << 17;
    return (int64_t)((tk_state >> 11) % (uint64_t)(2 * r + 1)) - r;
}

static const uint32_t sentinel32 = 0x7fe5a5a5u;
static const uint64_t sentinel64 = 0x7ffa5a5a5a5a5a5aull;

static size_t esize(int f64) { return f64 ? sizeof(double) : sizeof(float); }

kbuf kb_new(int f64, int64_t n)
{
    kbuf b;
    const size_t bytes = (size_t)(n > 0 ? n : 0) * esize(f64);
    b.base = malloc(bytes + 2 * TK_GUARD + 1); /* + 1: a zero-sized buffer still has an address */
    if (!b.base) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    memset(b.base, 0xa5, bytes + 2 * TK_GUARD + 1);
    b.p = b.base + TK_GUARD;
    b.n = n;
    b.f64 = f64;
    for (int64_t i = 0; i < n; ++i) kb_set_sentinel(&b, i);
    return b;
}

void kb_free(kbuf *b)
{
    kb_unpoison(b);
    free(b->base);
    b->base = NULL;
    b->p = NULL;
}

double kb_get(const kbuf *b, int64_t i)
{
    return b->f64 ? ((const double *)b->p)[i] : (double)((const float *)b->p)[i];
}

void kb_set(kbuf *b, int64_t i, double v)
{
    if (b->f64)
        ((double *)b->p)[i] = v;
    else
        ((float *)b->p)[i] = (float)v;
}

void kb_fill(kbuf *b, int64_t i0, int64_t i1, int mode, int64_t r)
{
    for (int64_t i = i0; i < i1; ++i)
        kb_set(b, i, mode == TK_SMALLINT ? (double)tk_int(r) : tk_rnd());
}

int kb_is_sentinel(const kbuf *b, int64_t i)
{
    if (b->f64) {
        uint64_t u;
        memcpy(&u, (const double *)b->p + i, sizeof(u));
        return u == sentinel64;
    }
    uint32_t u;
    memcpy(&u, (const float *)b->p + i, sizeof(u));
    return u == sentinel32;
}

void kb_set_sentinel(kbuf *b, int64_t i)
{
    if (b->f64)
        memcpy((double *)b->p + i, &sentinel64, sizeof(sentinel64));
    else
        memcpy((float *)b->p + i, &sentinel32, sizeof(sentinel32));
}

void kb_junk(kbuf *b)
{
    for (int64_t i = 0; i < b->n; ++i) kb_set(b, i, NAN);
}

void kb_poison(kbuf *b, int64_t i0, int64_t i1)
{
#if defined(TK_ASAN)
    if (i1 > i0)
        ASAN_POISON_MEMORY_REGION((unsigned char *)b->p + (size_t)i0 * esize(b->f64),
                                  (size_t)(i1 - i0) * esize(b->f64));
#else
    (void)b; (void)i0; (void)i1;
#endif
}

void kb_unpoison(kbuf *b)
{
#if defined(TK_ASAN)
    if (b->base) ASAN_UNPOISON_MEMORY_REGION(b->p, (size_t)b->n * esize(b->f64));
#else
    (void)b;
#endif
}

int kb_ok(const kbuf *b)
{
    const size_t bytes = (size_t)b->n * esize(b->f64);
    for (size_t i = 0; i < TK_GUARD; ++i)
        if (b->base[i] != 0xa5 || b->base[TK_GUARD + bytes + i] != 0xa5) return 0;
    return 1;
}

double *kb_to_double(const kbuf *b)
{
    double *d = malloc(sizeof(double) * (size_t)(b->n > 0 ? b->n : 1));
    if (!d) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    for (int64_t i = 0; i < b->n; ++i) d[i] = kb_get(b, i);
    return d;
}

void *kb_save(const kbuf *b)
{
    const size_t bytes = (size_t)b->n * esize(b->f64);
    void *s = malloc(bytes + 1);
    if (!s) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    memcpy(s, b->p, bytes);
    return s;
}

void kb_restore(kbuf *b, const void *saved)
{
    memcpy(b->p, saved, (size_t)b->n * esize(b->f64));
}

int kb_same(const kbuf *b, const void *saved)
{
    return memcmp(b->p, saved, (size_t)b->n * esize(b->f64)) == 0;
}

int tk_same(double got, double want)
{
    if (isnan(got) || isnan(want)) return isnan(got) && isnan(want);
    return memcmp(&got, &want, sizeof(got)) == 0;
}

double tk_err(const double *got, const double *want, int64_t n)
{
    return tk_err_scaled(got, want, NULL, n);
}

void tk_abs(double *v, int64_t n)
{
    for (int64_t i = 0; i < n; ++i) v[i] = fabs(v[i]);
}

double tk_err_scaled(const double *got, const double *want, const double *scale, int64_t n)
{
    double e = 0, m = 0;
    for (int64_t i = 0; i < n; ++i) {
        if (isnan(got[i]) || isnan(want[i])) {
            if (!(isnan(got[i]) && isnan(want[i]))) return INFINITY;
            continue;
        }
        if (isfinite(want[i])) m = fmax(m, fabs(want[i]));
        if (got[i] != want[i]) e = fmax(e, fabs(got[i] - want[i])); /* equal infinities: 0 */
        if (scale && isfinite(scale[i])) m = fmax(m, fabs(scale[i]));
    }
    return e / (m > 0 ? m : 1.0);
}

double tk_tol(int f64) { return f64 ? 1e-12 : 1e-5; }
