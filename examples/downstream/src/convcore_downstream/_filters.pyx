# cython: language_level=3, boundscheck=False, wraparound=False
"""conv_then_pool: convcore's conv2d then max_pool2d on each image of a batch, the images
spread over this module's own OpenMP threads (prange) and each call made with the GIL
released and n_threads=1, so the two levels of threading never multiply."""
from cython.parallel cimport prange
from libc.stdint cimport int64_t

import numpy as np

from convcore cimport capi

capi.import_convcore()


def conv_then_pool(float[:, :, :, ::1] images, float[:, :, :, ::1] weight, int padding=1,
                   int pool=2):
    """images (N, C, H, W) float32, weight (K, C, kh, kw) float32 -> (conv, pooled)."""
    cdef capi.cc_conv2d_desc cd
    cdef capi.cc_pool2d_desc pd
    cdef int64_t xs[4]
    cdef int64_t xst[4]
    cdef int64_t ws[4]
    cdef int64_t wst[4]
    cdef int64_t ys[4]
    cdef int64_t yst[4]
    cdef int64_t ps[4]
    cdef Py_ssize_t n, i
    cdef int bad = 0
    cd.stride_h = cd.stride_w = 1
    cd.pad_top = cd.pad_bottom = cd.pad_left = cd.pad_right = padding
    cd.dilation_h = cd.dilation_w = 1
    cd.groups = 1
    pd.kernel_h = pd.kernel_w = pool
    pd.stride_h = pd.stride_w = pool
    pd.pad_top = pd.pad_bottom = pd.pad_left = pd.pad_right = 0
    pd.dilation_h = pd.dilation_w = 1
    pd.ceil_mode = 0
    pd.count_include_pad = 1
    pd.divisor_override = 0
    # one image at a time: shape (1, C, H, W)
    xs[0] = 1
    for i in range(1, 4):
        xs[i] = images.shape[i]
    for i in range(4):
        ws[i] = weight.shape[i]
        xst[i] = images.strides[i] // sizeof(float)
        wst[i] = weight.strides[i] // sizeof(float)
    st = capi.cc_conv2d_check(&cd, xs, ws, ys)
    if st != capi.CC_OK:
        raise ValueError(capi.cc_status_string(st).decode())
    st = capi.cc_pool2d_check(&pd, ys, ps)
    if st != capi.CC_OK:
        raise ValueError(capi.cc_status_string(st).decode())
    conv = np.empty((images.shape[0], ys[1], ys[2], ys[3]), dtype=np.float32)
    pooled = np.empty((images.shape[0], ps[1], ps[2], ps[3]), dtype=np.float32)
    cdef float[:, :, :, ::1] conv_v = conv
    cdef float[:, :, :, ::1] pooled_v = pooled
    yst[3] = 1
    yst[2] = ys[3]
    yst[1] = ys[2] * ys[3]
    yst[0] = ys[1] * yst[1]
    if images.shape[0] == 0:
        return conv, pooled
    with nogil:
        for n in prange(images.shape[0], schedule="static"):
            if capi.cc_conv2d_f32(&cd, &images[n, 0, 0, 0], xs, xst, &weight[0, 0, 0, 0], ws,
                                  wst, NULL, 0, &conv_v[n, 0, 0, 0], 1) != capi.CC_OK:
                bad += 1
            elif capi.cc_max_pool2d_f32(&pd, &conv_v[n, 0, 0, 0], ys, yst,
                                        &pooled_v[n, 0, 0, 0], NULL, 1) != capi.CC_OK:
                bad += 1
    if bad:
        raise RuntimeError(f"{bad} images failed in convcore")
    return conv, pooled
