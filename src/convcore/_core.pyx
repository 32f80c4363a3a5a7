# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Thin wrappers over the C core: dtype dispatch, output allocation, GIL release, and
status codes turned into exceptions. Arguments are checked and converted before they get
here (functional.py, with the rules of convcore._args, which also builds the ConvDesc and
PoolDesc descriptors): arrays are float32/float64, aligned, native byte order, with
strides that are whole elements. Shape consistency is the core's: each call is checked
once by cc_*_check, whose status becomes the exception (the argument it is about, the
core's message and the shapes), and then runs through the core's checked entry points
(checked.h)."""

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


# ---------------------------------------------------------------------- statuses

# which argument a status code is about, for messages (a call may name another one)
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
    CC_ERR_BAD_INDEX: "indices",
}


class ConvcoreError(RuntimeError):
    """A status from the C core that no argument check explains (a bug if ever seen)."""


cdef int _check(cc_status st, str context="", object arg=None) except -1:
    """Nothing for CC_OK; else the exception for the status: ValueError "<argument>: <the
    core's message> (<context>)", MemoryError, or ConvcoreError. arg names the argument
    where the call knows better than the table."""
    if st == CC_OK:
        return 0
    msg = cc_status_string(st).decode()
    if context:
        msg = f"{msg} ({context})"
    if st == CC_ERR_NO_MEMORY:
        raise MemoryError(msg)
    if arg is None:
        arg = _STATUS_ARG.get(st)
    if arg is not None:
        raise ValueError(f"{arg}: {msg}")
    raise ConvcoreError(msg)


def status_string(int status):
    return cc_status_string(<cc_status>status).decode()


# ------------------------------------------------------------------- descriptors

cdef class _Desc:
    """Equality, hashing, pickling and repr from a descriptor's _FIELDS (its __init__'s
    arguments, kept as read-only attributes beside the C struct)."""

    def _key(self):
        return tuple(getattr(self, f) for f in self._FIELDS)

    def __eq__(self, other):
        return type(other) is type(self) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __reduce__(self):
        return (type(self), self._key())

    def __repr__(self):
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._FIELDS)
        return f"{type(self).__name__}({fields})"


cdef class ConvDesc(_Desc):
    """A convolution's stride (h, w), per-side padding ((top, bottom), (left, right)),
    dilation (h, w) and groups, as the core takes them (cc_conv2d_desc). Built by
    convcore._args.conv_desc, which checks the values; the core checks them again against
    the shapes of each call."""
    _FIELDS = ("stride", "padding", "dilation", "groups")
    cdef cc_conv2d_desc c
    cdef readonly tuple stride, padding, dilation
    cdef readonly int64_t groups

    def __init__(self, stride, padding, dilation, int64_t groups):
        self.c.stride_h, self.c.stride_w = stride
        (self.c.pad_top, self.c.pad_bottom), (self.c.pad_left, self.c.pad_right) = padding
        self.c.dilation_h, self.c.dilation_w = dilation
        self.c.groups = groups
        self.stride = (self.c.stride_h, self.c.stride_w)
        self.padding = ((self.c.pad_top, self.c.pad_bottom), (self.c.pad_left, self.c.pad_right))
        self.dilation = (self.c.dilation_h, self.c.dilation_w)
        self.groups = groups


cdef class PoolDesc(_Desc):
    """A pooling window's kernel (h, w), stride (h, w), per-side padding, dilation (h, w),
    ceil_mode, count_include_pad and divisor_override (0: none), as the core takes them
    (cc_pool2d_desc). Built by convcore._args.pool_desc."""
    _FIELDS = ("kernel_size", "stride", "padding", "dilation", "ceil_mode",
               "count_include_pad", "divisor_override")
    cdef cc_pool2d_desc c
    cdef readonly tuple kernel_size, stride, padding, dilation
    cdef readonly bint ceil_mode, count_include_pad
    cdef readonly int64_t divisor_override

    def __init__(self, kernel_size, stride, padding, dilation, bint ceil_mode,
                 bint count_include_pad, int64_t divisor_override):
        self.c.kernel_h, self.c.kernel_w = kernel_size
        self.c.stride_h, self.c.stride_w = stride
        (self.c.pad_top, self.c.pad_bottom), (self.c.pad_left, self.c.pad_right) = padding
        self.c.dilation_h, self.c.dilation_w = dilation
        self.c.ceil_mode = ceil_mode
        self.c.count_include_pad = count_include_pad
        self.c.divisor_override = divisor_override
        self.kernel_size = (self.c.kernel_h, self.c.kernel_w)
        self.stride = (self.c.stride_h, self.c.stride_w)
        self.padding = ((self.c.pad_top, self.c.pad_bottom), (self.c.pad_left, self.c.pad_right))
        self.dilation = (self.c.dilation_h, self.c.dilation_w)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override


# ------------------------------------------------------------------------ arrays

# An array as the core reads it: data, shape, strides in elements (4-D, NCHW).
ctypedef struct _view:
    void *data
    int64_t shape[4]
    int64_t strides[4]


cdef inline void _see(cnp.ndarray a, _view *v):
    cdef int i
    cdef int64_t item = cnp.PyArray_ITEMSIZE(a)
    cdef cnp.npy_intp *sh = cnp.PyArray_DIMS(a)
    cdef cnp.npy_intp *st = cnp.PyArray_STRIDES(a)
    v.data = cnp.PyArray_DATA(a)
    for i in range(4):
        v.shape[i] = sh[i]
        v.strides[i] = st[i] // item


cdef inline cnp.ndarray _empty(int ndim, const int64_t *shape, int typenum, _view *v):
    """A new C-contiguous array, seen in v."""
    cdef cnp.ndarray a = cnp.PyArray_EMPTY(ndim, <cnp.npy_intp *>shape, typenum, 0)
    if ndim == 4:
        _see(a, v)
    else:
        v.data = cnp.PyArray_DATA(a)
    return a


cdef inline tuple _shape(const int64_t *s):
    return (s[0], s[1], s[2], s[3])


cdef inline const void *_bias(object b, int64_t *stride):
    """b (None or a 1-D array): its data and element stride."""
    if b is None:
        stride[0] = 0
        return NULL
    cdef cnp.ndarray barr = <cnp.ndarray>b
    stride[0] = cnp.PyArray_STRIDES(barr)[0] // cnp.PyArray_ITEMSIZE(barr)
    return cnp.PyArray_DATA(barr)


# --------------------------------------------------------------------- convolution

cdef int _conv_run(const cc_conv2d_desc *d, int typenum, _view *x, _view *w, const void *bias,
                   int64_t bstride, void *y, const int64_t *ys, int n_threads,
                   cc_wino_cache *cache) except -1:
    """The core's conv2d for the dtype once cc_conv2d_check has accepted the call (ys),
    without the GIL; its status as an exception."""
    cdef cc_status st
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            st = cc_conv2d_checked_f32(d, <const float *>x.data, x.shape, x.strides,
                                       <const float *>w.data, w.shape, w.strides,
                                       <const float *>bias, bstride, <float *>y, ys,
                                       n_threads, cache)
    else:
        with nogil:
            st = cc_conv2d_checked_f64(d, <const double *>x.data, x.shape, x.strides,
                                       <const double *>w.data, w.shape, w.strides,
                                       <const double *>bias, bstride, <double *>y, ys,
                                       n_threads, NULL)
    return _check(st)


cdef int _conv_check(const cc_conv2d_desc *d, _view *x, _view *w, int64_t *ys) except -1:
    cdef cc_status st = cc_conv2d_check(d, x.shape, w.shape, ys)
    if st != CC_OK:  # the message only when there is one to give
        _check(st, f"input {_shape(x.shape)}, weight {_shape(w.shape)}")
    return 0


# The plain-call fast path. It recognises the case that needs no conversion and no message
# (exact ndarrays of one float dtype, int or (int, int) parameters in range, a call the core
# accepts) and returns None for everything else, which functional.conv2d then takes through
# convcore._args: it applies no rule of its own, and every call it takes, the general path
# takes the same way with the same result.
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
    pairs of ints; groups an int; a shape the core accepts. None for anything else."""
    cdef cc_conv2d_desc d
    cdef _view xv, wv, yv
    cdef int64_t ys[4]
    cdef int64_t bstride = 0
    cdef const void *bptr = NULL
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
        bptr = _bias(b, &bstride)
    if not _fast_pair(stride, 1, &d.stride_h, &d.stride_w) or \
            not _fast_pair(dilation, 1, &d.dilation_h, &d.dilation_w) or \
            not _fast_pair(padding, 0, &d.pad_top, &d.pad_left):
        return None
    d.pad_bottom = d.pad_top
    d.pad_right = d.pad_left
    if type(groups) is not int or not (1 <= groups <= _FAST_LIMIT):
        return None
    d.groups = groups
    _see(<cnp.ndarray>x, &xv)
    _see(<cnp.ndarray>w, &wv)
    if cc_conv2d_check(&d, xv.shape, wv.shape, ys) != CC_OK:
        return None
    y = _empty(4, ys, typenum, &yv)
    _conv_run(&d, typenum, &xv, &wv, bptr, bstride, yv.data, ys, n_threads, NULL)
    return y


def conv2d(cnp.ndarray x, cnp.ndarray w, object b, ConvDesc desc, object out, int n_threads):
    """y = conv2d(x, w) + b. x, w 4-D of one float dtype; b None or 1-D; out None, or a
    C-contiguous array of the result's dtype to write into: 4-D, or 3-D for an unbatched
    call (x then has one image), whose shape must be the result's."""
    cdef _view xv, wv, yv
    cdef int64_t ys[4]
    cdef int64_t bstride = 0
    cdef const void *bptr = _bias(b, &bstride)
    cdef int typenum = cnp.PyArray_TYPE(x)
    _see(x, &xv)
    _see(w, &wv)
    _conv_check(&desc.c, &xv, &wv, ys)
    if out is None:
        y = _empty(4, ys, typenum, &yv)
    else:
        want = _shape(ys) if out.ndim == 4 else _shape(ys)[1:]
        if out.shape != want:
            raise ValueError(f"out must have shape {want}, got {out.shape}")
        y = out
        yv.data = cnp.PyArray_DATA(<cnp.ndarray>out)
    _conv_run(&desc.c, typenum, &xv, &wv, bptr, bstride, yv.data, ys, n_threads, NULL)
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
    _check(cc_conv2d_check(&d, xs, ws, ys))
    return cc_winograd_tile(&d, xs, ws, ys)


def conv2d_cached(cnp.ndarray x, cnp.ndarray w, object b, ConvDesc desc, int n_threads,
                  cnp.ndarray state, cnp.ndarray cw, cnp.ndarray cu):
    """conv2d of float32 x and w with a cache of Winograd-transformed filters: state (2
    int64), cw (the weights' element count), cu (winograd_filter_elems), all C-contiguous
    and owned by the caller; see cc_wino_cache in winograd.h."""
    cdef _view xv, wv, yv
    cdef int64_t ys[4]
    cdef int64_t bstride = 0
    cdef const void *bptr = _bias(b, &bstride)
    cdef cc_wino_cache cache
    _see(x, &xv)
    _see(w, &wv)
    _conv_check(&desc.c, &xv, &wv, ys)
    y = _empty(4, ys, cnp.NPY_FLOAT32, &yv)
    cache.state = <int64_t *>cnp.PyArray_DATA(state)
    cache.w = <float *>cnp.PyArray_DATA(cw)
    cache.u = <float *>cnp.PyArray_DATA(cu)
    cache.w_elems = cnp.PyArray_SIZE(cw)
    cache.u_elems = cnp.PyArray_SIZE(cu)
    _conv_run(&desc.c, cnp.NPY_FLOAT32, &xv, &wv, bptr, bstride, yv.data, ys, n_threads,
              &cache)
    return y


# ------------------------------------------------------------------------ pooling

cdef int _pool_check(const cc_pool2d_desc *d, const int64_t *xs, int64_t *ys,
                     str what) except -1:
    cdef cc_status st = cc_pool2d_check(d, xs, ys)
    if st != CC_OK:
        _check(st, f"{what} {_shape(xs)}")
    return 0


def max_pool2d(cnp.ndarray x, PoolDesc desc, bint return_indices, int n_threads):
    cdef _view xv, yv, iv
    cdef int64_t ys[4]
    cdef cc_status st
    cdef int64_t *ip = NULL
    cdef int typenum = cnp.PyArray_TYPE(x)
    _see(x, &xv)
    _pool_check(&desc.c, xv.shape, ys, "input")
    y = _empty(4, ys, typenum, &yv)
    idx = None
    if return_indices:
        idx = _empty(4, ys, cnp.NPY_INT64, &iv)
        ip = <int64_t *>iv.data
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            st = cc_max_pool2d_checked_f32(&desc.c, <const float *>xv.data, xv.shape,
                                           xv.strides, ys, <float *>yv.data, ip, n_threads)
    else:
        with nogil:
            st = cc_max_pool2d_checked_f64(&desc.c, <const double *>xv.data, xv.shape,
                                           xv.strides, ys, <double *>yv.data, ip, n_threads)
    _check(st)
    return (y, idx) if return_indices else y


def avg_pool2d(cnp.ndarray x, PoolDesc desc, int n_threads):
    cdef _view xv, yv
    cdef int64_t ys[4]
    cdef cc_status st
    cdef int typenum = cnp.PyArray_TYPE(x)
    _see(x, &xv)
    _pool_check(&desc.c, xv.shape, ys, "input")
    y = _empty(4, ys, typenum, &yv)
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            st = cc_avg_pool2d_checked_f32(&desc.c, <const float *>xv.data, xv.shape,
                                           xv.strides, ys, <float *>yv.data, n_threads)
    else:
        with nogil:
            st = cc_avg_pool2d_checked_f64(&desc.c, <const double *>xv.data, xv.shape,
                                           xv.strides, ys, <double *>yv.data, n_threads)
    _check(st)
    return y


def global_pool2d(cnp.ndarray x, bint is_max, int n_threads):
    cdef _view xv, yv
    cdef int64_t ys[4]
    cdef cc_status st
    cdef int typenum = cnp.PyArray_TYPE(x)
    _see(x, &xv)
    ys[0] = xv.shape[0]
    ys[1] = xv.shape[1]
    ys[2] = 1
    ys[3] = 1
    y = _empty(4, ys, typenum, &yv)
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            if is_max:
                st = cc_global_max_pool2d_f32(<const float *>xv.data, xv.shape, xv.strides,
                                              <float *>yv.data, n_threads)
            else:
                st = cc_global_avg_pool2d_f32(<const float *>xv.data, xv.shape, xv.strides,
                                              <float *>yv.data, n_threads)
    else:
        with nogil:
            if is_max:
                st = cc_global_max_pool2d_f64(<const double *>xv.data, xv.shape, xv.strides,
                                              <double *>yv.data, n_threads)
            else:
                st = cc_global_avg_pool2d_f64(<const double *>xv.data, xv.shape, xv.strides,
                                              <double *>yv.data, n_threads)
    _check(st)
    return y


# ------------------------------------------------------------------------ backward
# Checked once like the forward calls; a grad_output whose shape is not the forward
# output's is the core's CC_ERR_BAD_SHAPE, whose message gives the shape it must have.

cdef str _grad_shape_message(const int64_t *ys, const int64_t *dys):
    return f"grad_output must have the forward output's shape {_shape(ys)}, got {_shape(dys)}"


def conv2d_backward(cnp.ndarray dy, cnp.ndarray x, cnp.ndarray w, ConvDesc desc,
                    bint want_dx, bint want_dw, bint want_db, int n_threads):
    """(dx, dw, db) of conv2d; a gradient not wanted is None."""
    cdef _view dyv, xv, wv, dxv, dwv, dbv
    cdef int64_t ys[4]
    cdef int64_t nbias
    cdef cc_status st
    cdef int typenum = cnp.PyArray_TYPE(x)
    _see(dy, &dyv)
    _see(x, &xv)
    _see(w, &wv)
    _conv_check(&desc.c, &xv, &wv, ys)
    dxv.data = dwv.data = dbv.data = NULL
    dx = _empty(4, xv.shape, typenum, &dxv) if want_dx else None
    dw = _empty(4, wv.shape, typenum, &dwv) if want_dw else None
    nbias = wv.shape[0]
    db = _empty(1, &nbias, typenum, &dbv) if want_db else None
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            st = cc_conv2d_backward_checked_f32(
                &desc.c, <const float *>dyv.data, dyv.shape, dyv.strides,
                <const float *>xv.data, xv.shape, xv.strides, <const float *>wv.data, wv.shape,
                wv.strides, ys, <float *>dxv.data, <float *>dwv.data, <float *>dbv.data,
                n_threads)
    else:
        with nogil:
            st = cc_conv2d_backward_checked_f64(
                &desc.c, <const double *>dyv.data, dyv.shape, dyv.strides,
                <const double *>xv.data, xv.shape, xv.strides, <const double *>wv.data,
                wv.shape, wv.strides, ys, <double *>dxv.data, <double *>dwv.data,
                <double *>dbv.data, n_threads)
    if st == CC_ERR_BAD_SHAPE:
        raise ValueError(_grad_shape_message(ys, dyv.shape))
    _check(st)
    return dx, dw, db


def max_pool2d_backward(cnp.ndarray dy, cnp.ndarray indices, tuple x_shape, int n_threads):
    cdef _view dyv, iv, dxv
    cdef int64_t xs[4]
    cdef cc_status st
    cdef int typenum = cnp.PyArray_TYPE(dy)
    _see(dy, &dyv)
    _see(indices, &iv)
    for i in range(4):
        xs[i] = x_shape[i]
    dx = _empty(4, xs, typenum, &dxv)
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            st = cc_max_pool2d_backward_f32(<const float *>dyv.data, dyv.shape, dyv.strides,
                                            <const int64_t *>iv.data, iv.strides, xs,
                                            <float *>dxv.data, n_threads)
    else:
        with nogil:
            st = cc_max_pool2d_backward_f64(<const double *>dyv.data, dyv.shape, dyv.strides,
                                            <const int64_t *>iv.data, iv.strides, xs,
                                            <double *>dxv.data, n_threads)
    if st == CC_ERR_BAD_INDEX:
        raise ValueError(f"indices: every index must lie in [0, H * W) = [0, {xs[2] * xs[3]})")
    _check(st, f"input_shape {x_shape}")
    return dx


def avg_pool2d_backward(cnp.ndarray dy, tuple x_shape, PoolDesc desc, int n_threads):
    cdef _view dyv, dxv
    cdef int64_t xs[4]
    cdef int64_t ys[4]
    cdef cc_status st
    cdef int typenum = cnp.PyArray_TYPE(dy)
    _see(dy, &dyv)
    for i in range(4):
        xs[i] = x_shape[i]
    _pool_check(&desc.c, xs, ys, "input_shape")
    dx = _empty(4, xs, typenum, &dxv)
    if typenum == cnp.NPY_FLOAT32:
        with nogil:
            st = cc_avg_pool2d_backward_checked_f32(&desc.c, <const float *>dyv.data,
                                                    dyv.shape, dyv.strides, xs, ys,
                                                    <float *>dxv.data, n_threads)
    else:
        with nogil:
            st = cc_avg_pool2d_backward_checked_f64(&desc.c, <const double *>dyv.data,
                                                    dyv.shape, dyv.strides, xs, ys,
                                                    <double *>dxv.data, n_threads)
    if st == CC_ERR_BAD_SHAPE:
        raise ValueError(_grad_shape_message(ys, dyv.shape))
    _check(st)
    return dx


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
    """Slot name -> name of the kernel in that slot of the active table, for show_config()."""
    return {cc_kernel_slot_name(k).decode(): cc_kernel_name(k).decode()
            for k in range(CC_KERNEL_COUNT)}


def gemm_tail_rows():
    """Rows of the active target's float32 tail-tile kernels (0: none)."""
    return cc_gemm_tail_rows()


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
