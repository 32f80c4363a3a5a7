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

/* The table: version and size first, so any later version can be recognised, then one
 * pointer per entry point of convcore_api.h, in its order, named like the function. */
typedef struct cc_api_table {
    uint32_t api_version; /* CONVCORE_API_VERSION of the library that filled it */
    uint32_t size;        /* sizeof(cc_api_table) in that library */
#define CC_API(ret, name, params, args) ret(*name) params;
#include "convcore_api.h"
#undef CC_API
} cc_api_table;

#ifdef CONVCORE_CAPI_IMPLEMENTATION

/* The library's own table (csrc/capi.c). */
const cc_api_table *cc_api_get(void);

#else /* a client */

#include <Python.h>

static const cc_api_table *convcore_api_ = NULL;

/* Every entry point under its own name, calling through the table (after
 * import_convcore()). */
#define CC_API(ret, name, params, args)                                                      \
    static inline ret name params { return convcore_api_->name args; }
#include "convcore_api.h"
#undef CC_API

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
