/* status.c - the string for every cc_status, and the aligned workspace allocator. */
#include "internal.h"

const char *cc_status_string(cc_status status)
{
    switch (status) {
    case CC_OK: return "success";
    case CC_ERR_NULL_POINTER: return "a required pointer argument is NULL";
    case CC_ERR_BAD_RANK: return "wrong number of dimensions";
    case CC_ERR_BAD_SHAPE: return "invalid shape (a negative dimension, shapes that do not match, or an empty plane to take a maximum of)";
    case CC_ERR_BAD_STRIDE: return "stride must be >= 1";
    case CC_ERR_BAD_PADDING: return "padding must be >= 0";
    case CC_ERR_BAD_DILATION: return "dilation must be >= 1";
    case CC_ERR_BAD_GROUPS: return "groups must be >= 1 and divide both in_channels and out_channels";
    case CC_ERR_CHANNEL_MISMATCH: return "weight.shape[1] * groups must equal the input's channels";
    case CC_ERR_BAD_KERNEL: return "kernel size must be >= 1";
    case CC_ERR_EMPTY_OUTPUT: return "computed output size is less than 1";
    case CC_ERR_OVERFLOW: return "a size or element count overflows int64";
    case CC_ERR_NO_MEMORY: return "out of memory allocating workspace";
    case CC_ERR_POOL_PADDING: return "pooling padding must be at most half the kernel size";
    case CC_ERR_BAD_DIVISOR: return "divisor_override must not be zero";
    case CC_ERR_BAD_THREADS: return "n_threads must be >= 0";
    case CC_ERR_BAD_TARGET: return "SIMD target not compiled in or not supported by this CPU";
    case CC_ERR_BAD_INDEX: return "an index lies outside its plane";
    }
    return "unknown status";
}

void *cc_aligned_alloc(int64_t bytes)
{
    if (bytes < 0 || bytes > CC_MAX_WORKSPACE_BYTES) return NULL;
    if (bytes == 0) bytes = 64;
    /* Over-allocate and keep the original pointer just below the aligned block:
     * portable C11 (aligned_alloc is missing on MSVC). */
    size_t total = (size_t)bytes + 64 + sizeof(void *);
    unsigned char *raw = (unsigned char *)malloc(total);
    if (!raw) return NULL;
    uintptr_t start = (uintptr_t)(raw + sizeof(void *));
    uintptr_t aligned = (start + 63u) & ~(uintptr_t)63u;
    ((void **)aligned)[-1] = raw;
    return (void *)aligned;
}

void cc_aligned_free(void *p)
{
    if (p) free(((void **)p)[-1]);
}
