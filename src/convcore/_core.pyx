# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Thin wrappers over the C core: dtype dispatch, output allocation, GIL release, and
status codes turned into exceptions. Argument parsing and messages live in functional.py;
arrays arriving here are float32/float64, aligned, native byte order, with strides that
are whole elements (functional.py guarantees it)."""

cimport numpy as cnp
from cpython.pycapsule cimport PyCapsule_New
from libc.stdint cimport int64_t
from libc.string cimport memcpy

import numpy as np


cnp.import_array()

API_VERSION = CONVCORE_API_VERSION

# The C API table for other extension modules (convcore/capi.h, import_convcore()).
_C_API = PyCapsule_New(<void *>cc_api_get(), b"convcore._core._C_API", NULL)

cdef cc_api_table _test_table


def _test_capsule(int api_version):
    """A copy of the C API table claiming another version: lets the tests check that a
    module compiled against a different version refuses to import."""
    memcpy(&_test_table, cc_api_get(), sizeof(cc_api_table))
    _test_table.api_version = api_version
    return PyCapsule_New(<void *>&_test_table, b"convcore._core._C_API", NULL)

# which argument a status code is about, for messages
_STATUS_ARG = {
    CC_ERR_BAD_STRIDE: "stride",
    CC_ERR_BAD_PADDING: "padding",
    CC_ERR_BAD_DILATION: "dilation",
    CC_ERR_BAD_GROUPS: "groups",
    CC_ERR_CHANNEL_MISMATCH: "weight",
    CC_ERR_BAD_KERNEL: "kernel_size",
    CC_ERR_EMPTY_OUTPUT: "x",
    CC_ERR_OVERFLOW: "x",
    CC_ERR_POOL_PADDING: "padding",
    CC_ERR_BAD_DIVISOR: "divisor_override",
    CC_ERR_BAD_THREADS: "num_threads",
    CC_ERR_BAD_SHAPE: "x",
}


class ConvcoreError(RuntimeError):
    """A status from the C core that no argument check explains (a bug if ever seen)."""


cdef int _check(cc_status st, str context) except -1:
    if st == CC_OK:
        return 0
    msg = cc_status_string(st).decode()
    if context:
        msg = f"{msg} ({context})"
    arg = _STATUS_ARG.get(st)
    if st == CC_ERR_NO_MEMORY:
        raise MemoryError(msg)
    if arg is not None:
        raise ValueError(f"{arg}: {msg}")
    raise ConvcoreError(msg)


def status_string(int status):
    return cc_status_string(<cc_status>status).decode()


cdef inline void _geom(cnp.ndarray a, int64_t *shape, int64_t *strides):
    cdef int i
    cdef int64_t item = cnp.PyArray_ITEMSIZE(a)
    cdef cnp.npy_intp *sh = cnp.PyArray_DIMS(a)
    cdef cnp.npy_intp *st = cnp.PyArray_STRIDES(a)
    for i in range(4):
        shape[i] = sh[i]
        strides[i] = st[i] // item


cdef inline void _conv_desc(cc_conv2d_desc *d, tuple p):
    d.stride_h, d.stride_w, d.pad_top, d.pad_bottom, d.pad_left, d.pad_right, \
        d.dilation_h, d.dilation_w, d.groups = p


cdef inline void _pool_desc(cc_pool2d_desc *d, tuple p):
    d.kernel_h, d.kernel_w, d.stride_h, d.stride_w, d.pad_top, d.pad_bottom, d.pad_left, \
        d.pad_right, d.dilation_h, d.dilation_w, d.ceil_mode, d.count_include_pad, \
        d.divisor_override = p


def conv2d_output_shape(tuple x_shape, tuple w_shape, tuple params):
    """(N, C_out, OH, OW) for x_shape, w_shape and the 9 conv parameters; ValueError
    naming the argument when they are inconsistent (the C core's check)."""
    cdef cc_conv2d_desc d
    cdef int64_t xs[4]
    cdef int64_t ws[4]
    cdef int64_t ys[4]
    _conv_desc(&d, params)
    for i in range(4):
        xs[i] = x_shape[i]
        ws[i] = w_shape[i]
    _check(cc_conv2d_check(&d, xs, ws, ys), f"input {x_shape}, weight {w_shape}")
    return (ys[0], ys[1], ys[2], ys[3])


def pool2d_output_shape(tuple x_shape, tuple params):
    cdef cc_pool2d_desc d
    cdef int64_t xs[4]
    cdef int64_t ys[4]
    _pool_desc(&d, params)
    for i in range(4):
        xs[i] = x_shape[i]
    _check(cc_pool2d_check(&d, xs, ys), f"input {x_shape}")
    return (ys[0], ys[1], ys[2], ys[3])


cdef int _run_conv(const cc_conv2d_desc *d, int typenum, const void *xp, const int64_t *xs,
                   const int64_t *xst, const void *wp, const int64_t *ws, const int64_t *wst,
                   const void *bptr, int64_t bstride, void *yp, int n_threads) except -1:
    """The core's conv2d for the dtype, without the GIL; its status as an exception."""
    cdef cc_status st
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            st = cc_conv2d_f32(d, <const float *>xp, xs, xst, <const float *>wp, ws, wst,
                               <const float *>bptr, bstride, <float *>yp, n_threads)
    else:
        with nogil:
            st = cc_conv2d_f64(d, <const double *>xp, xs, xst, <const double *>wp, ws, wst,
                               <const double *>bptr, bstride, <double *>yp, n_threads)
    return _check(st, "")


# ------------------------------------------------------------- the plain-call fast path

cdef int64_t _FAST_LIMIT = <int64_t>1 << 40


cdef inline bint _plain(object a, int typenum, int ndim):
    """a is exactly an ndarray with ndim dims of dtype typenum, native byte order, aligned,
    strides in whole elements: what the core reads with no conversion."""
    if type(a) is not cnp.ndarray:
        return False
    cdef cnp.ndarray arr = <cnp.ndarray>a
    if cnp.PyArray_NDIM(arr) != ndim or cnp.PyArray_TYPE(arr) != typenum:
        return False
    if not cnp.PyArray_ISALIGNED(arr) or not cnp.PyArray_ISNOTSWAPPED(arr):
        return False
    cdef int i
    cdef cnp.npy_intp item = cnp.PyArray_ITEMSIZE(arr)
    cdef cnp.npy_intp *st = cnp.PyArray_STRIDES(arr)
    for i in range(ndim):
        if st[i] % item:
            return False
    return True


cdef inline bint _fast_pair(object v, int64_t lo, int64_t *a, int64_t *b):
    """An exact int, or a tuple of two, each in [lo, 2**40]: written to a and b."""
    if type(v) is int:
        if not (lo <= v <= _FAST_LIMIT):
            return False
        a[0] = v
        b[0] = v
        return True
    if type(v) is tuple and len(<tuple>v) == 2:
        v0 = (<tuple>v)[0]
        v1 = (<tuple>v)[1]
        if type(v0) is int and type(v1) is int and lo <= v0 <= _FAST_LIMIT and \
                lo <= v1 <= _FAST_LIMIT:
            a[0] = v0
            b[0] = v1
            return True
    return False


def conv2d_fast(object x, object w, object b, object stride, object padding, object dilation,
                object groups, int n_threads):
    """conv2d for the plain call: x and weight 4-D, bias None or 1-D, all exactly ndarrays
    of one float dtype the core reads as they are; stride, padding and dilation ints or
    pairs of ints; groups an int; a shape the core accepts. None for anything else: the
    general path (functional.py) then converts, or raises its messages."""
    cdef cc_conv2d_desc d
    cdef int64_t xs[4]
    cdef int64_t xst[4]
    cdef int64_t ws[4]
    cdef int64_t wst[4]
    cdef int64_t ys[4]
    cdef int64_t bstride = 0
    cdef int64_t g
    cdef cc_status st
    cdef void *bptr = NULL
    if type(x) is not cnp.ndarray:
        return None
    cdef int typenum = cnp.PyArray_TYPE(<cnp.ndarray>x)
    if typenum != cnp.NPY_FLOAT32 and typenum != cnp.NPY_FLOAT64:
        return None
    if not _plain(x, typenum, 4) or not _plain(w, typenum, 4):
        return None
    if b is not None:
        if not _plain(b, typenum, 1) or \
                cnp.PyArray_DIMS(<cnp.ndarray>b)[0] != cnp.PyArray_DIMS(<cnp.ndarray>w)[0]:
            return None
        bptr = cnp.PyArray_DATA(<cnp.ndarray>b)
        bstride = cnp.PyArray_STRIDES(<cnp.ndarray>b)[0] // cnp.PyArray_ITEMSIZE(<cnp.ndarray>b)
    if not _fast_pair(stride, 1, &d.stride_h, &d.stride_w) or \
            not _fast_pair(dilation, 1, &d.dilation_h, &d.dilation_w) or \
            not _fast_pair(padding, 0, &d.pad_top, &d.pad_left):
        return None
    d.pad_bottom = d.pad_top
    d.pad_right = d.pad_left
    if type(groups) is not int or not (1 <= groups <= _FAST_LIMIT):
        return None
    d.groups = groups
    _geom(<cnp.ndarray>x, xs, xst)
    _geom(<cnp.ndarray>w, ws, wst)
    if cc_conv2d_check(&d, xs, ws, ys) != CC_OK:
        return None
    cdef cnp.ndarray y = cnp.PyArray_EMPTY(4, <cnp.npy_intp *>ys, typenum, 0)
    cdef void *xp = cnp.PyArray_DATA(<cnp.ndarray>x)
    cdef void *wp = cnp.PyArray_DATA(<cnp.ndarray>w)
    cdef void *yp = cnp.PyArray_DATA(y)
    _run_conv(&d, typenum, xp, xs, xst, wp, ws, wst, bptr, bstride, yp, n_threads)
    return y


cdef int _conv_call(cnp.ndarray x, cnp.ndarray w, object b, tuple params, cc_conv2d_desc *d,
                    int64_t *xs, int64_t *xst, int64_t *ws, int64_t *wst, int64_t *ys,
                    const void **bptr, int64_t *bstride) except -1:
    """A conv2d call's descriptor, shapes, strides and bias, checked by the core."""
    cdef cnp.ndarray barr
    _conv_desc(d, params)
    _geom(x, xs, xst)
    _geom(w, ws, wst)
    if b is not None:
        barr = <cnp.ndarray>b
        bptr[0] = cnp.PyArray_DATA(barr)
        bstride[0] = cnp.PyArray_STRIDES(barr)[0] // cnp.PyArray_ITEMSIZE(barr)
    _check(cc_conv2d_check(d, xs, ws, ys), "")
    return 0


def conv2d(cnp.ndarray x, cnp.ndarray w, object b, tuple params, object out, int n_threads):
    """y = conv2d(x, w) + b. x, w 4-D of one float dtype; b None or 1-D; out None or a
    C-contiguous array of the result's shape and dtype."""
    cdef cc_conv2d_desc d
    cdef int64_t xs[4]
    cdef int64_t xst[4]
    cdef int64_t ws[4]
    cdef int64_t wst[4]
    cdef int64_t ys[4]
    cdef int64_t bstride = 0
    cdef cnp.ndarray y
    cdef const void *bptr = NULL
    cdef void *xp = cnp.PyArray_DATA(x)
    cdef void *wp = cnp.PyArray_DATA(w)
    cdef void *yp
    cdef int typenum = cnp.PyArray_TYPE(x)
    _conv_call(x, w, b, params, &d, xs, xst, ws, wst, ys, &bptr, &bstride)
    if out is None:
        y = cnp.PyArray_EMPTY(4, <cnp.npy_intp *>ys, typenum, 0)
    else:
        y = <cnp.ndarray>out
    yp = cnp.PyArray_DATA(y)
    _run_conv(&d, typenum, xp, xs, xst, wp, ws, wst, bptr, bstride, yp, n_threads)
    return y


# ------------------------------------------------- a layer's cache of transformed filters

def winograd_filter_elems(tuple w_shape):
    """Values of the transformed filters of float32 weights of this shape under the active
    kernels (0: Winograd never takes such weights)."""
    cdef int64_t ws[4]
    for i in range(4):
        ws[i] = w_shape[i]
    return cc_winograd_filter_elems(ws)


def winograd_tile(tuple x_shape, tuple w_shape, tuple pads):
    """Output tile of the Winograd variant that a float32 stride-1 conv2d of these shapes
    (pads: top, bottom, left, right) takes under the active kernels and the set_winograd
    switch: 4 (F(4x4)), 2 (F(2x2)) or 0 (none). For tests."""
    cdef cc_conv2d_desc d
    cdef int64_t xs[4]
    cdef int64_t ws[4]
    cdef int64_t ys[4]
    d.stride_h = d.stride_w = d.dilation_h = d.dilation_w = d.groups = 1
    d.pad_top, d.pad_bottom, d.pad_left, d.pad_right = pads
    for i in range(4):
        xs[i] = x_shape[i]
        ws[i] = w_shape[i]
    _check(cc_conv2d_check(&d, xs, ws, ys), "")
    return cc_winograd_tile(&d, xs, ws, ys)


def conv2d_cached(cnp.ndarray x, cnp.ndarray w, object b, tuple params, int n_threads,
                  cnp.ndarray state, cnp.ndarray cw, cnp.ndarray cu):
    """conv2d of float32 x and w with a cache of Winograd-transformed filters: state (2
    int64), cw (the weights' element count), cu (winograd_filter_elems), all C-contiguous
    and owned by the caller; see cc_wino_cache in winograd.h."""
    cdef cc_conv2d_desc d
    cdef int64_t xs[4]
    cdef int64_t xst[4]
    cdef int64_t ws[4]
    cdef int64_t wst[4]
    cdef int64_t ys[4]
    cdef int64_t bstride = 0
    cdef cc_status st
    cdef cnp.ndarray y
    cdef const void *bptr = NULL
    cdef const float *xp = <const float *>cnp.PyArray_DATA(x)
    cdef const float *wp = <const float *>cnp.PyArray_DATA(w)
    cdef float *yp
    cdef cc_wino_cache cache
    _conv_call(x, w, b, params, &d, xs, xst, ws, wst, ys, &bptr, &bstride)
    y = cnp.PyArray_EMPTY(4, <cnp.npy_intp *>ys, cnp.NPY_FLOAT32, 0)
    yp = <float *>cnp.PyArray_DATA(y)
    cache.state = <int64_t *>cnp.PyArray_DATA(state)
    cache.w = <float *>cnp.PyArray_DATA(cw)
    cache.u = <float *>cnp.PyArray_DATA(cu)
    cache.w_elems = cnp.PyArray_SIZE(cw)
    cache.u_elems = cnp.PyArray_SIZE(cu)
    with nogil:
        st = cc_conv2d_cached_f32(&d, xp, xs, xst, wp, ws, wst, <const float *>bptr, bstride,
                                  yp, n_threads, &cache)
    _check(st, "")
    return y


def max_pool2d(cnp.ndarray x, tuple params, bint return_indices, int n_threads):
    cdef cc_pool2d_desc d
    cdef int64_t xs[4]
    cdef int64_t xst[4]
    cdef int64_t ys[4]
    cdef cc_status st
    cdef cnp.ndarray y, idx = None
    cdef int64_t *ip = NULL
    cdef void *xp = cnp.PyArray_DATA(x)
    cdef void *yp
    cdef int typenum = cnp.PyArray_TYPE(x)
    _pool_desc(&d, params)
    _geom(x, xs, xst)
    _check(cc_pool2d_check(&d, xs, ys), "")
    y = cnp.PyArray_EMPTY(4, <cnp.npy_intp *>ys, typenum, 0)
    yp = cnp.PyArray_DATA(y)
    if return_indices:
        idx = cnp.PyArray_EMPTY(4, <cnp.npy_intp *>ys, cnp.NPY_INT64, 0)
        ip = <int64_t *>cnp.PyArray_DATA(idx)
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            st = cc_max_pool2d_f32(&d, <const float *>xp, xs, xst, <float *>yp, ip, n_threads)
    else:
        with nogil:
            st = cc_max_pool2d_f64(&d, <const double *>xp, xs, xst, <double *>yp, ip, n_threads)
    _check(st, "")
    return (y, idx) if return_indices else y


def avg_pool2d(cnp.ndarray x, tuple params, int n_threads):
    cdef cc_pool2d_desc d
    cdef int64_t xs[4]
    cdef int64_t xst[4]
    cdef int64_t ys[4]
    cdef cc_status st
    cdef cnp.ndarray y
    cdef void *xp = cnp.PyArray_DATA(x)
    cdef void *yp
    cdef int typenum = cnp.PyArray_TYPE(x)
    _pool_desc(&d, params)
    _geom(x, xs, xst)
    _check(cc_pool2d_check(&d, xs, ys), "")
    y = cnp.PyArray_EMPTY(4, <cnp.npy_intp *>ys, typenum, 0)
    yp = cnp.PyArray_DATA(y)
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            st = cc_avg_pool2d_f32(&d, <const float *>xp, xs, xst, <float *>yp, n_threads)
    else:
        with nogil:
            st = cc_avg_pool2d_f64(&d, <const double *>xp, xs, xst, <double *>yp, n_threads)
    _check(st, "")
    return y


def global_pool2d(cnp.ndarray x, bint is_max, int n_threads):
    cdef int64_t xs[4]
    cdef int64_t xst[4]
    cdef cnp.npy_intp ys[4]
    cdef cc_status st
    cdef cnp.ndarray y
    cdef void *xp = cnp.PyArray_DATA(x)
    cdef void *yp
    cdef int typenum = cnp.PyArray_TYPE(x)
    _geom(x, xs, xst)
    ys[0] = xs[0]
    ys[1] = xs[1]
    ys[2] = 1
    ys[3] = 1
    y = cnp.PyArray_EMPTY(4, ys, typenum, 0)
    yp = cnp.PyArray_DATA(y)
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            if is_max:
                st = cc_global_max_pool2d_f32(<const float *>xp, xs, xst, <float *>yp, n_threads)
            else:
                st = cc_global_avg_pool2d_f32(<const float *>xp, xs, xst, <float *>yp, n_threads)
    else:
        with nogil:
            if is_max:
                st = cc_global_max_pool2d_f64(<const double *>xp, xs, xst, <double *>yp, n_threads)
            else:
                st = cc_global_avg_pool2d_f64(<const double *>xp, xs, xst, <double *>yp, n_threads)
    _check(st, "")
    return y


# ------------------------------------------------------------ configuration / test hooks

def max_threads():
    return cc_max_threads()


def openmp_enabled():
    return bool(cc_openmp_enabled())


def compiler():
    return cc_compiler().decode()


def cpu_features():
    s = cc_cpu_features().decode()
    return s.split(",") if s else []


def compiled_targets():
    return [cc_target_name(t).decode() for t in range(CC_TARGET_COUNT) if cc_target_compiled(t)]


def supported_targets():
    return [cc_target_name(t).decode() for t in range(CC_TARGET_COUNT) if cc_target_supported(t)]


def get_target():
    return cc_target_name(cc_get_target()).decode()


def set_target(str name):
    """Switch the SIMD kernels in use (tests and benchmarks only; not thread-safe)."""
    for t in range(CC_TARGET_COUNT):
        if cc_target_name(t).decode() == name:
            if cc_set_target(t) != CC_OK:
                raise ValueError(f"target {name!r} is not compiled in or not supported here")
            return
    raise ValueError(f"unknown target {name!r}")


def kernel_names():
    """Name of the kernel in each dispatch slot, for show_config()."""
    slots = ["gemm_f32", "gemm_f64", "depthwise_f32", "depthwise_f64",
             "max_pool_f32", "max_pool_f64", "avg_pool_f32", "avg_pool_f64",
             "weight_grad_f32", "weight_grad_f64", "winograd_f32", "winograd2_f32"]
    return {slots[k]: cc_kernel_name(k).decode() for k in range(CC_KERNEL_COUNT)}


def gemm_tail_rows():
    """Rows of the active target's float32 tail-tile kernels (0: none)."""
    return cc_gemm_tail_rows()


cdef extern from "winograd.h":
    void cc_set_winograd(int enabled) nogil
    int cc_get_winograd() nogil


def set_winograd(bint enabled):
    """Allow (True) or forbid float32 Winograd (F(4x4, 3x3) and F(2x2, 3x3)) for 3x3 stride-1
    convolutions."""
    cc_set_winograd(1 if enabled else 0)


def get_winograd():
    return bool(cc_get_winograd())


def fma_peak_gflops(double seconds=0.2):
    """Measured single-thread fp32 multiply-add rate of the active target, GFLOP/s."""
    cdef double r
    with nogil:
        r = cc_fma_peak_gflops(seconds)
    return r


# ------------------------------------------------------------------------ backward

def conv2d_backward(cnp.ndarray dy, cnp.ndarray x, cnp.ndarray w, tuple params,
                    bint want_dx, bint want_dw, bint want_db, int n_threads):
    """(dx, dw, db) of conv2d; a gradient not wanted is None."""
    cdef cc_conv2d_desc d
    cdef int64_t dys[4]
    cdef int64_t dyst[4]
    cdef int64_t xs[4]
    cdef int64_t xst[4]
    cdef int64_t ws[4]
    cdef int64_t wst[4]
    cdef int64_t ys[4]
    cdef cc_status st
    cdef cnp.ndarray dx = None, dw = None, db = None
    cdef void *dxp = NULL
    cdef void *dwp = NULL
    cdef void *dbp = NULL
    cdef void *dyp = cnp.PyArray_DATA(dy)
    cdef void *xp = cnp.PyArray_DATA(x)
    cdef void *wp = cnp.PyArray_DATA(w)
    cdef int typenum = cnp.PyArray_TYPE(x)
    cdef cnp.npy_intp nbias
    _conv_desc(&d, params)
    _geom(dy, dys, dyst)
    _geom(x, xs, xst)
    _geom(w, ws, wst)
    _check(cc_conv2d_check(&d, xs, ws, ys), "")
    for i in range(4):
        if dys[i] != ys[i]:
            raise ValueError(
                f"grad_output must have the forward output's shape {tuple(ys[j] for j in range(4))}, "
                f"got {tuple(dys[j] for j in range(4))}")
    if want_dx:
        dx = cnp.PyArray_EMPTY(4, <cnp.npy_intp *>xs, typenum, 0)
        dxp = cnp.PyArray_DATA(dx)
    if want_dw:
        dw = cnp.PyArray_EMPTY(4, <cnp.npy_intp *>ws, typenum, 0)
        dwp = cnp.PyArray_DATA(dw)
    if want_db:
        nbias = ws[0]
        db = cnp.PyArray_EMPTY(1, &nbias, typenum, 0)
        dbp = cnp.PyArray_DATA(db)
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            st = cc_conv2d_backward_f32(&d, <const float *>dyp, dys, dyst, <const float *>xp, xs,
                                        xst, <const float *>wp, ws, wst, <float *>dxp,
                                        <float *>dwp, <float *>dbp, n_threads)
    else:
        with nogil:
            st = cc_conv2d_backward_f64(&d, <const double *>dyp, dys, dyst, <const double *>xp,
                                        xs, xst, <const double *>wp, ws, wst, <double *>dxp,
                                        <double *>dwp, <double *>dbp, n_threads)
    _check(st, "")
    return dx, dw, db


def max_pool2d_backward(cnp.ndarray dy, cnp.ndarray indices, tuple x_shape, int n_threads):
    cdef int64_t dys[4]
    cdef int64_t dyst[4]
    cdef int64_t ixs[4]
    cdef int64_t ixst[4]
    cdef int64_t xs[4]
    cdef cc_status st
    cdef cnp.ndarray dx
    cdef void *dyp = cnp.PyArray_DATA(dy)
    cdef int64_t *ip = <int64_t *>cnp.PyArray_DATA(indices)
    cdef void *dxp
    cdef int typenum = cnp.PyArray_TYPE(dy)
    _geom(dy, dys, dyst)
    _geom(indices, ixs, ixst)
    for i in range(4):
        xs[i] = x_shape[i]
    dx = cnp.PyArray_EMPTY(4, <cnp.npy_intp *>xs, typenum, 0)
    dxp = cnp.PyArray_DATA(dx)
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            st = cc_max_pool2d_backward_f32(<const float *>dyp, dys, dyst, ip, ixst, xs,
                                            <float *>dxp, n_threads)
    else:
        with nogil:
            st = cc_max_pool2d_backward_f64(<const double *>dyp, dys, dyst, ip, ixst, xs,
                                            <double *>dxp, n_threads)
    if st == CC_ERR_BAD_INDEX:
        raise ValueError(f"indices: every index must lie in [0, H * W) = [0, {xs[2] * xs[3]})")
    _check(st, "")
    return dx


def avg_pool2d_backward(cnp.ndarray dy, tuple x_shape, tuple params, int n_threads):
    cdef cc_pool2d_desc d
    cdef int64_t dys[4]
    cdef int64_t dyst[4]
    cdef int64_t xs[4]
    cdef int64_t ys[4]
    cdef cc_status st
    cdef cnp.ndarray dx
    cdef void *dyp = cnp.PyArray_DATA(dy)
    cdef void *dxp
    cdef int typenum = cnp.PyArray_TYPE(dy)
    _pool_desc(&d, params)
    _geom(dy, dys, dyst)
    for i in range(4):
        xs[i] = x_shape[i]
    _check(cc_pool2d_check(&d, xs, ys), f"input_shape {x_shape}")
    for i in range(4):
        if dys[i] != ys[i]:
            raise ValueError(
                f"grad_output must have the forward output's shape {tuple(ys[j] for j in range(4))}, "
                f"got {tuple(dys[j] for j in range(4))}")
    dx = cnp.PyArray_EMPTY(4, <cnp.npy_intp *>xs, typenum, 0)
    dxp = cnp.PyArray_DATA(dx)
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            st = cc_avg_pool2d_backward_f32(&d, <const float *>dyp, dys, dyst, xs, <float *>dxp,
                                            n_threads)
    else:
        with nogil:
            st = cc_avg_pool2d_backward_f64(&d, <const double *>dyp, dys, dyst, xs, <double *>dxp,
                                            n_threads)
    _check(st, "")
    return dx
