/* capi.h - convcore's C API for other packages' extension modules, reached at run time
 * through a table that the installed convcore publishes as a capsule, so the caller links
 * against nothing (the mechanism NumPy's import_array uses).
 *
 * Use, in exactly the code that calls convcore (a Python extension module):
 *     #include <convcore/capi.h>      // include dir: convcore.get_include()
 *     ... in the module's init:  if (import_convcore() < 0) return NULL;
 *     ... then anywhere, without the GIL: cc_conv2d_f32(&desc, x, ..., n_threads);
 * Every cc_* name of convcore.h is available with the same signature and meaning.
 * import_convcore() fails with ImportError when convcore is missing or when its table's
 * CONVCORE_API_VERSION differs from the one this header was compiled with.
 *
 * Each translation unit that includes this header has its own table pointer; call
 * import_convcore() once per such unit (or share one unit's functions).
 */
#ifndef CONVCORE_CAPI_H
#define CONVCORE_CAPI_H

#ifndef CONVCORE_CAPI_IMPLEMENTATION
#define CONVCORE_NO_PROTOTYPES
#endif
#include "convcore.h"

#define CONVCORE_CAPSULE_NAME "convcore._core._C_API"

/* The table: version and size first, so any later version can be recognised. */
typedef struct cc_api_table {
    uint32_t api_version; /* CONVCORE_API_VERSION of the library that filled it */
    uint32_t size;        /* sizeof(cc_api_table) in that library */
    const char *(*status_string)(cc_status status);
    cc_status (*conv2d_output_size)(const cc_conv2d_desc *desc, int64_t in_h, int64_t in_w,
        int64_t kernel_h, int64_t kernel_w, int64_t *out_h, int64_t *out_w);
    cc_status (*conv2d_check)(const cc_conv2d_desc *desc, const int64_t x_shape[4], const
        int64_t w_shape[4], int64_t out_shape[4]);
    cc_status (*conv2d_f32)(const cc_conv2d_desc *desc, const float *x, const int64_t
        x_shape[4], const int64_t x_strides[4], const float *w, const int64_t w_shape[4], const
        int64_t w_strides[4], const float *bias, int64_t bias_stride, float *y, int n_threads);
    cc_status (*conv2d_f64)(const cc_conv2d_desc *desc, const double *x, const int64_t
        x_shape[4], const int64_t x_strides[4], const double *w, const int64_t w_shape[4], const
        int64_t w_strides[4], const double *bias, int64_t bias_stride, double *y, int
        n_threads);
    cc_status (*conv2d_backward_f32)(const cc_conv2d_desc *desc, const float *dy, const int64_t
        dy_shape[4], const int64_t dy_strides[4], const float *x, const int64_t x_shape[4],
        const int64_t x_strides[4], const float *w, const int64_t w_shape[4], const int64_t
        w_strides[4], float *dx, float *dw, float *db, int n_threads);
    cc_status (*conv2d_backward_f64)(const cc_conv2d_desc *desc, const double *dy, const int64_t
        dy_shape[4], const int64_t dy_strides[4], const double *x, const int64_t x_shape[4],
        const int64_t x_strides[4], const double *w, const int64_t w_shape[4], const int64_t
        w_strides[4], double *dx, double *dw, double *db, int n_threads);
    cc_status (*pool2d_output_size)(const cc_pool2d_desc *desc, int64_t in_h, int64_t in_w,
        int64_t *out_h, int64_t *out_w);
    cc_status (*pool2d_check)(const cc_pool2d_desc *desc, const int64_t x_shape[4], int64_t
        out_shape[4]);
    cc_status (*max_pool2d_f32)(const cc_pool2d_desc *desc, const float *x, const int64_t
        x_shape[4], const int64_t x_strides[4], float *y, int64_t *indices, int n_threads);
    cc_status (*max_pool2d_f64)(const cc_pool2d_desc *desc, const double *x, const int64_t
        x_shape[4], const int64_t x_strides[4], double *y, int64_t *indices, int n_threads);
    cc_status (*avg_pool2d_f32)(const cc_pool2d_desc *desc, const float *x, const int64_t
        x_shape[4], const int64_t x_strides[4], float *y, int n_threads);
    cc_status (*avg_pool2d_f64)(const cc_pool2d_desc *desc, const double *x, const int64_t
        x_shape[4], const int64_t x_strides[4], double *y, int n_threads);
    cc_status (*max_pool2d_backward_f32)(const float *dy, const int64_t dy_shape[4], const
        int64_t dy_strides[4], const int64_t *indices, const int64_t idx_strides[4], const
        int64_t x_shape[4], float *dx, int n_threads);
    cc_status (*max_pool2d_backward_f64)(const double *dy, const int64_t dy_shape[4], const
        int64_t dy_strides[4], const int64_t *indices, const int64_t idx_strides[4], const
        int64_t x_shape[4], double *dx, int n_threads);
    cc_status (*avg_pool2d_backward_f32)(const cc_pool2d_desc *desc, const float *dy, const
        int64_t dy_shape[4], const int64_t dy_strides[4], const int64_t x_shape[4], float *dx,
        int n_threads);
    cc_status (*avg_pool2d_backward_f64)(const cc_pool2d_desc *desc, const double *dy, const
        int64_t dy_shape[4], const int64_t dy_strides[4], const int64_t x_shape[4], double *dx,
        int n_threads);
    cc_status (*global_avg_pool2d_f32)(const float *x, const int64_t x_shape[4], const int64_t
        x_strides[4], float *y, int n_threads);
    cc_status (*global_avg_pool2d_f64)(const double *x, const int64_t x_shape[4], const int64_t
        x_strides[4], double *y, int n_threads);
    cc_status (*global_max_pool2d_f32)(const float *x, const int64_t x_shape[4], const int64_t
        x_strides[4], float *y, int n_threads);
    cc_status (*global_max_pool2d_f64)(const double *x, const int64_t x_shape[4], const int64_t
        x_strides[4], double *y, int n_threads);
    const char *(*target_name)(int target);
    int (*target_compiled)(int target);
    int (*target_supported)(int target);
    int (*get_target)(void);
    cc_status (*set_target)(int target);
    const char *(*kernel_name)(int kernel);
    const char *(*cpu_features)(void);
    int (*openmp_enabled)(void);
    int (*max_threads)(void);
    const char *(*compiler)(void);
} cc_api_table;

#ifdef CONVCORE_CAPI_IMPLEMENTATION

/* The library's own table (csrc/capi.c). */
const cc_api_table *cc_api_get(void);

#else /* a client */

#include <Python.h>

static const cc_api_table *convcore_api_ = NULL;

#define cc_status_string (convcore_api_->status_string)
#define cc_conv2d_output_size (convcore_api_->conv2d_output_size)
#define cc_conv2d_check (convcore_api_->conv2d_check)
#define cc_conv2d_f32 (convcore_api_->conv2d_f32)
#define cc_conv2d_f64 (convcore_api_->conv2d_f64)
#define cc_conv2d_backward_f32 (convcore_api_->conv2d_backward_f32)
#define cc_conv2d_backward_f64 (convcore_api_->conv2d_backward_f64)
#define cc_pool2d_output_size (convcore_api_->pool2d_output_size)
#define cc_pool2d_check (convcore_api_->pool2d_check)
#define cc_max_pool2d_f32 (convcore_api_->max_pool2d_f32)
#define cc_max_pool2d_f64 (convcore_api_->max_pool2d_f64)
#define cc_avg_pool2d_f32 (convcore_api_->avg_pool2d_f32)
#define cc_avg_pool2d_f64 (convcore_api_->avg_pool2d_f64)
#define cc_max_pool2d_backward_f32 (convcore_api_->max_pool2d_backward_f32)
#define cc_max_pool2d_backward_f64 (convcore_api_->max_pool2d_backward_f64)
#define cc_avg_pool2d_backward_f32 (convcore_api_->avg_pool2d_backward_f32)
#define cc_avg_pool2d_backward_f64 (convcore_api_->avg_pool2d_backward_f64)
#define cc_global_avg_pool2d_f32 (convcore_api_->global_avg_pool2d_f32)
#define cc_global_avg_pool2d_f64 (convcore_api_->global_avg_pool2d_f64)
#define cc_global_max_pool2d_f32 (convcore_api_->global_max_pool2d_f32)
#define cc_global_max_pool2d_f64 (convcore_api_->global_max_pool2d_f64)
#define cc_target_name (convcore_api_->target_name)
#define cc_target_compiled (convcore_api_->target_compiled)
#define cc_target_supported (convcore_api_->target_supported)
#define cc_get_target (convcore_api_->get_target)
#define cc_set_target (convcore_api_->set_target)
#define cc_kernel_name (convcore_api_->kernel_name)
#define cc_cpu_features (convcore_api_->cpu_features)
#define cc_openmp_enabled (convcore_api_->openmp_enabled)
#define cc_max_threads (convcore_api_->max_threads)
#define cc_compiler (convcore_api_->compiler)

/* Imports convcore._core, takes its table and checks the version. Returns 0 on success,
 * -1 with ImportError set otherwise. Needs the GIL. */
static int import_convcore(void)
{
    PyObject *mod, *capsule;
    const cc_api_table *table;
    if (convcore_api_) return 0;
    mod = PyImport_ImportModule("convcore._core");
    if (!mod) return -1;
    capsule = PyObject_GetAttrString(mod, "_C_API");
    Py_DECREF(mod);
    if (!capsule) return -1;
    table = (const cc_api_table *)PyCapsule_GetPointer(capsule, CONVCORE_CAPSULE_NAME);
    Py_DECREF(capsule);
    if (!table) return -1;
    if (table->api_version != CONVCORE_API_VERSION) {
        PyErr_Format(PyExc_ImportError,
                     "convcore C API version mismatch: this module was compiled against "
                     "version %d, but the installed convcore provides version %u; rebuild "
                     "this module against the installed convcore",
                     CONVCORE_API_VERSION, (unsigned)table->api_version);
        return -1;
    }
    if (table->size < sizeof(cc_api_table)) {
        PyErr_SetString(PyExc_ImportError, "convcore C API table is smaller than expected");
        return -1;
    }
    convcore_api_ = table;
    return 0;
}

#endif /* CONVCORE_CAPI_IMPLEMENTATION */
#endif /* CONVCORE_CAPI_H */
