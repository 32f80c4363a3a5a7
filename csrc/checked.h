/* checked.h - the drivers' entry points for a call that the matching cc_*_check has
 * already accepted: the Python wrapper checks once, allocates the output from the shape
 * the check wrote (ys), then calls these, so no call is validated twice. Each public
 * entry point of convcore.h is its check followed by the function here. The caller
 * guarantees that desc, x_shape and w_shape are the ones the check accepted and that ys
 * is what it wrote; the functions still refuse NULL data and n_threads < 0. */
#ifndef CONVCORE_CHECKED_H
#define CONVCORE_CHECKED_H

#include "winograd.h"

/* cc_conv2d_f32 / _f64 after cc_conv2d_check. cache: a float32 layer's cache of
 * Winograd-transformed filters (winograd.h) for the calls Winograd takes, or NULL (always
 * NULL for float64). */
cc_status cc_conv2d_checked_f32(const cc_conv2d_desc *desc, const float *x,
                                const int64_t x_shape[4], const int64_t x_strides[4],
                                const float *w, const int64_t w_shape[4],
                                const int64_t w_strides[4], const float *bias,
                                int64_t bias_stride, float *y, const int64_t ys[4],
                                int n_threads, cc_wino_cache *cache);
cc_status cc_conv2d_checked_f64(const cc_conv2d_desc *desc, const double *x,
                                const int64_t x_shape[4], const int64_t x_strides[4],
                                const double *w, const int64_t w_shape[4],
                                const int64_t w_strides[4], const double *bias,
                                int64_t bias_stride, double *y, const int64_t ys[4],
                                int n_threads, cc_wino_cache *cache);

/* cc_max_pool2d_f32 / _f64 and cc_avg_pool2d_f32 / _f64 after cc_pool2d_check. */
cc_status cc_max_pool2d_checked_f32(const cc_pool2d_desc *desc, const float *x,
                                    const int64_t x_shape[4], const int64_t x_strides[4],
                                    const int64_t ys[4], float *y, int64_t *indices,
                                    int n_threads);
cc_status cc_max_pool2d_checked_f64(const cc_pool2d_desc *desc, const double *x,
                                    const int64_t x_shape[4], const int64_t x_strides[4],
                                    const int64_t ys[4], double *y, int64_t *indices,
                                    int n_threads);
cc_status cc_avg_pool2d_checked_f32(const cc_pool2d_desc *desc, const float *x,
                                    const int64_t x_shape[4], const int64_t x_strides[4],
                                    const int64_t ys[4], float *y, int n_threads);
cc_status cc_avg_pool2d_checked_f64(const cc_pool2d_desc *desc, const double *x,
                                    const int64_t x_shape[4], const int64_t x_strides[4],
                                    const int64_t ys[4], double *y, int n_threads);

/* cc_conv2d_backward_f32 / _f64 after cc_conv2d_check: ys is the forward output's shape,
 * which dy must have (CC_ERR_BAD_SHAPE otherwise). */
cc_status cc_conv2d_backward_checked_f32(const cc_conv2d_desc *desc, const float *dy,
                                         const int64_t dy_shape[4], const int64_t dy_strides[4],
                                         const float *x, const int64_t x_shape[4],
                                         const int64_t x_strides[4], const float *w,
                                         const int64_t w_shape[4], const int64_t w_strides[4],
                                         const int64_t ys[4], float *dx, float *dw, float *db,
                                         int n_threads);
cc_status cc_conv2d_backward_checked_f64(const cc_conv2d_desc *desc, const double *dy,
                                         const int64_t dy_shape[4], const int64_t dy_strides[4],
                                         const double *x, const int64_t x_shape[4],
                                         const int64_t x_strides[4], const double *w,
                                         const int64_t w_shape[4], const int64_t w_strides[4],
                                         const int64_t ys[4], double *dx, double *dw,
                                         double *db, int n_threads);

/* cc_avg_pool2d_backward_f32 / _f64 after cc_pool2d_check (ys as above). */
cc_status cc_avg_pool2d_backward_checked_f32(const cc_pool2d_desc *desc, const float *dy,
                                             const int64_t dy_shape[4],
                                             const int64_t dy_strides[4],
                                             const int64_t x_shape[4], const int64_t ys[4],
                                             float *dx, int n_threads);
cc_status cc_avg_pool2d_backward_checked_f64(const cc_pool2d_desc *desc, const double *dy,
                                             const int64_t dy_shape[4],
                                             const int64_t dy_strides[4],
                                             const int64_t x_shape[4], const int64_t ys[4],
                                             double *dx, int n_threads);

#endif
