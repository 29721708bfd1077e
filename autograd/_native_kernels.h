/* Array kernels in C: the small Python functions of autograd/ops/_math.py (_sum, _mean,
   _unreduce, _reshape, _transpose, _linear) and autograd/tensor.py (_select, _select_times)
   without their Python frames.

   Each makes exactly the numpy calls its Python reference makes, on the same operands and
   in the same order (so the results are the same bit for bit); none holds any op's math,
   which stays in the registry. Their cost is a C call instead of a Python frame, which for
   the small arrays of a small network is a good part of an op's time.

   Included by _native.c; registered by autograd.ops._math (register_kernels) and
   autograd.tensor (register_select). Unregistered, they raise. */

static PyObject *kn_add_reduce;  /* numpy.add.reduce */
static PyObject *kn_true_divide; /* numpy.true_divide */
static PyObject *kn_empty;       /* numpy.empty */
static PyObject *kn_reshape;     /* numpy.reshape */
static PyObject *kn_transpose;   /* numpy.transpose */
static PyObject *kn_where;       /* numpy.where */
static PyObject *kn_isfinite;    /* numpy.isfinite */
static PyObject *kn_ndarray;     /* numpy.ndarray */
static PyObject *kn_bool;        /* numpy.bool_ */
static PyObject *kn_times;       /* autograd.tensor._times */
static PyObject *kn_keepdims, *kn_axis;                   /* ("keepdims",), ("axis",) */
static PyObject *kn_str_reshape, *kn_str_transpose, *kn_str_fill, *kn_str_ndim, *kn_str_size,
    *kn_str_dtype, *kn_str_shape, *kn_zero_shape, *kn_zero_float, *kn_zero_int;

/* Whether a kernel may run with nargs arguments (lo..hi): else an error naming `usage`. */
static int
kernel_args(Py_ssize_t nargs, Py_ssize_t lo, Py_ssize_t hi, const char *usage)
{
    if (nargs < lo || nargs > hi) {
        PyErr_Format(PyExc_TypeError, "%s: wrong number of arguments", usage);
        return 0;
    }
    if (kn_add_reduce == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "autograd._native: array kernels not registered");
        return 0;
    }
    return 1;
}

/* A float32 or float64 array in native byte order, aligned and C-contiguous: its elements
   can be read as a C array. */
static int
plain_float_array(PyObject *o)
{
    if (!PyArray_CheckExact(o))
        return 0;
    PyArrayObject *a = (PyArrayObject *)o;
    int type = PyArray_TYPE(a);
    return (type == NPY_FLOAT || type == NPY_DOUBLE) && PyArray_IS_C_CONTIGUOUS(a) &&
           PyArray_ISALIGNED(a) && PyArray_ISNOTSWAPPED(a);
}

/* _sum(x, axes, keepdims): np.add.reduce(x, axes, keepdims=keepdims) */
static PyObject *
array_sum(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (!kernel_args(nargs, 3, 3, "array_sum(x, axes, keepdims)"))
        return NULL;
    return PyObject_Vectorcall(kn_add_reduce, args, 2, kn_keepdims);
}

/* _mean(x, axes, keepdims): np.true_divide(np.add.reduce(x, axes, keepdims=keepdims), count),
   count the product of x.shape[a] over axes (a Python int, as the reference's loop makes). */
static PyObject *
array_mean(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (!kernel_args(nargs, 3, 3, "array_mean(x, axes, keepdims)"))
        return NULL;
    PyObject *shape = PyObject_GetAttr(args[0], kn_str_shape);
    if (shape == NULL)
        return NULL;
    PyObject *axes = PySequence_Fast(args[1], "axes must be a sequence");
    if (axes == NULL) {
        Py_DECREF(shape);
        return NULL;
    }
    PyObject *count = PyLong_FromLong(1);
    for (Py_ssize_t i = 0; count != NULL && i < PySequence_Fast_GET_SIZE(axes); i++) {
        PyObject *n = PyObject_GetItem(shape, PySequence_Fast_GET_ITEM(axes, i));
        if (n == NULL) {
            Py_CLEAR(count);
            break;
        }
        Py_SETREF(count, PyNumber_Multiply(count, n));
        Py_DECREF(n);
    }
    Py_DECREF(axes);
    Py_DECREF(shape);
    if (count == NULL)
        return NULL;
    PyObject *total = PyObject_Vectorcall(kn_add_reduce, args, 2, kn_keepdims);
    PyObject *out = NULL;
    if (total != NULL) {
        PyObject *call_args[2] = {total, count};
        out = PyObject_Vectorcall(kn_true_divide, call_args, 2, NULL);
        Py_DECREF(total);
    }
    Py_DECREF(count);
    return out;
}

/* _unreduce(g, shape, axes): np.empty(shape, dtype=g.dtype), then out.fill(g.reshape(()))
   for one element, else out[...] = g.reshape(keep_shape(shape, axes)). */
static PyObject *
array_unreduce(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (!kernel_args(nargs, 3, 3, "array_unreduce(g, shape, axes)"))
        return NULL;
    PyObject *g = args[0], *shape = args[1], *axes = args[2];
    if (plain_float_array(g) && PyArray_SIZE((PyArrayObject *)g) == 1 && PyTuple_Check(shape)) {
        /* np.empty(shape, g.dtype) filled with g's one value, in C */
        PyArray_Dims dims = {NULL, 0};
        if (!PyArray_IntpConverter(shape, &dims))
            return NULL;
        PyArrayObject *ga = (PyArrayObject *)g;
        PyObject *out = PyArray_SimpleNew(dims.len, dims.ptr, PyArray_TYPE(ga));
        PyDimMem_FREE(dims.ptr);
        if (out == NULL)
            return NULL;
        npy_intp n = PyArray_SIZE((PyArrayObject *)out);
        if (PyArray_TYPE(ga) == NPY_FLOAT) {
            const float value = *(const float *)PyArray_DATA(ga);
            float *o = (float *)PyArray_DATA((PyArrayObject *)out);
            for (npy_intp i = 0; i < n; i++)
                o[i] = value;
        }
        else {
            const double value = *(const double *)PyArray_DATA(ga);
            double *o = (double *)PyArray_DATA((PyArrayObject *)out);
            for (npy_intp i = 0; i < n; i++)
                o[i] = value;
        }
        return out;
    }
    PyObject *dtype = PyObject_GetAttr(g, kn_str_dtype);
    if (dtype == NULL)
        return NULL;
    PyObject *call_args[2] = {shape, dtype};
    PyObject *out = PyObject_Vectorcall(kn_empty, call_args, 2, NULL);
    Py_DECREF(dtype);
    if (out == NULL)
        return NULL;
    PyObject *ndim = PyObject_GetAttr(g, kn_str_ndim);
    if (ndim == NULL)
        goto fail;
    int one = PyLong_Check(ndim) && PyLong_AsLong(ndim) == 0;
    Py_DECREF(ndim);
    if (!one) {
        PyObject *size = PyObject_GetAttr(g, kn_str_size);
        if (size == NULL)
            goto fail;
        one = PyLong_Check(size) && PyLong_AsLong(size) == 1;
        Py_DECREF(size);
    }
    if (PyErr_Occurred())
        goto fail;
    if (one) {
        PyObject *scalar = PyObject_CallMethodOneArg(g, kn_str_reshape, kn_zero_shape);
        PyObject *r = scalar ? PyObject_CallMethodOneArg(out, kn_str_fill, scalar) : NULL;
        Py_XDECREF(scalar);
        if (r == NULL)
            goto fail;
        Py_DECREF(r);
        return out;
    }
    /* keep_shape(shape, axes): 1 on the reduced axes */
    PyObject *dims = PySequence_Tuple(shape);
    if (dims == NULL)
        goto fail;
    Py_ssize_t n = PyTuple_GET_SIZE(dims);
    PyObject *keep = PyTuple_New(n);
    if (keep == NULL) {
        Py_DECREF(dims);
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *index = PyLong_FromSsize_t(i);
        int reduced = index ? PySequence_Contains(axes, index) : -1;
        Py_XDECREF(index);
        if (reduced < 0) {
            Py_DECREF(keep);
            Py_DECREF(dims);
            goto fail;
        }
        PyObject *item = reduced ? PyLong_FromLong(1) : PyTuple_GET_ITEM(dims, i);
        if (!reduced)
            Py_INCREF(item);
        PyTuple_SET_ITEM(keep, i, item);
    }
    Py_DECREF(dims);
    PyObject *view = PyObject_CallMethodOneArg(g, kn_str_reshape, keep);
    Py_DECREF(keep);
    if (view == NULL)
        goto fail;
    int status = PyObject_SetItem(out, Py_Ellipsis, view);
    Py_DECREF(view);
    if (status < 0)
        goto fail;
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* _reshape(a, shape) and _transpose(a, axes=None): the ndarray's own method, else numpy's
   function. */
static PyObject *
method_or_function(PyObject *a, PyObject *name, PyObject *function, PyObject *arg)
{
    if ((PyObject *)Py_TYPE(a) == kn_ndarray)
        return PyObject_CallMethodOneArg(a, name, arg);
    PyObject *call_args[2] = {a, arg};
    return PyObject_Vectorcall(function, call_args, 2, NULL);
}

static PyObject *
array_reshape(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (!kernel_args(nargs, 2, 2, "array_reshape(a, shape)"))
        return NULL;
    return method_or_function(args[0], kn_str_reshape, kn_reshape, args[1]);
}

static PyObject *
array_transpose(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (!kernel_args(nargs, 1, 2, "array_transpose(a, axes=None)"))
        return NULL;
    return method_or_function(args[0], kn_str_transpose, kn_transpose,
                              nargs == 2 ? args[1] : Py_None);
}

/* _linear(x, w, b): out = x @ w; out += b unless b is None */
static PyObject *
array_linear(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (!kernel_args(nargs, 3, 3, "array_linear(x, w, b)"))
        return NULL;
    PyObject *out = PyNumber_MatrixMultiply(args[0], args[1]);
    if (out == NULL || args[2] == Py_None)
        return out;
    Py_SETREF(out, PyNumber_InPlaceAdd(out, args[2]));
    return out;
}

/* values * condition in one pass over bits (numpy casts the bool to 1.0 or 0.0 and
   multiplies: for a finite value that is the value itself or a zero of its sign), or NULL
   without an error when some value is not finite (inf or nan: all exponent bits set); for
   a plain float array and a C-contiguous boolean array of its shape. Written as integer
   operations so that the compiler vectorizes both loops. */
#define SELECT_BITS(U, EXPONENT, SIGN)                                                          \
    do {                                                                                        \
        const U *v = (const U *)PyArray_DATA(va);                                               \
        U bad = 0;                                                                              \
        for (npy_intp i = 0; i < n; i++)                                                        \
            bad |= (U)((v[i] & EXPONENT) == EXPONENT);                                          \
        if (bad)                                                                                \
            return NULL;                                                                        \
        PyObject *out = PyArray_SimpleNew(PyArray_NDIM(va), PyArray_DIMS(va), PyArray_TYPE(va)); \
        if (out == NULL)                                                                        \
            return NULL;                                                                        \
        U *o = (U *)PyArray_DATA((PyArrayObject *)out);                                         \
        for (npy_intp i = 0; i < n; i++)                                                        \
            o[i] = c[i] ? v[i] : (v[i] & SIGN);                                                 \
        return out;                                                                             \
    } while (0)

static PyObject *
select_in_c(PyArrayObject *va, PyArrayObject *ca)
{
    npy_intp n = PyArray_SIZE(va);
    const npy_bool *c = (const npy_bool *)PyArray_DATA(ca);
    if (PyArray_TYPE(va) == NPY_FLOAT)
        SELECT_BITS(uint32_t, UINT32_C(0x7f800000), UINT32_C(0x80000000));
    SELECT_BITS(uint64_t, UINT64_C(0x7ff0000000000000), UINT64_C(0x8000000000000000));
}

/* _select(condition, values): values * condition when np.isfinite(values).all(), else
   np.where(condition, values, 0.0). */
static PyObject *
select_values(PyObject *condition, PyObject *values)
{
    if (plain_float_array(values) && PyArray_CheckExact(condition)) {
        PyArrayObject *va = (PyArrayObject *)values, *ca = (PyArrayObject *)condition;
        int nd = PyArray_NDIM(va);
        if (PyArray_TYPE(ca) == NPY_BOOL && PyArray_NDIM(ca) == nd &&
            PyArray_IS_C_CONTIGUOUS(ca) &&
            PyArray_CompareLists(PyArray_DIMS(ca), PyArray_DIMS(va), nd)) {
            PyObject *out = select_in_c(va, ca);
            if (out != NULL || PyErr_Occurred())
                return out;
            PyObject *where_args[3] = {condition, values, kn_zero_float};
            return PyObject_Vectorcall(kn_where, where_args, 3, NULL);
        }
    }
    PyObject *finite = PyObject_CallOneArg(kn_isfinite, values);
    PyObject *all = finite ? PyObject_CallMethod(finite, "all", NULL) : NULL;
    Py_XDECREF(finite);
    int truth = all ? PyObject_IsTrue(all) : -1;
    Py_XDECREF(all);
    if (truth < 0)
        return NULL;
    if (truth)
        return PyNumber_Multiply(values, condition);
    PyObject *where_args[3] = {condition, values, kn_zero_float};
    return PyObject_Vectorcall(kn_where, where_args, 3, NULL);
}

static PyObject *
array_select(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (!kernel_args(nargs, 2, 2, "array_select(condition, values)"))
        return NULL;
    return select_values(args[0], args[1]);
}

/* _select_times(condition, g, v): g·v where condition, an exact 0 elsewhere; a scalar
   condition selects all (_times(g, v)) or nothing (None). Also tensor_times's masked case. */
static PyObject *
select_times(PyObject *condition, PyObject *g, PyObject *v)
{
    if (kn_times == NULL || kn_add_reduce == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "autograd._native: select not registered");
        return NULL;
    }
    if (PyBool_Check(condition) || (PyObject *)Py_TYPE(condition) == kn_bool) {
        int truth = PyObject_IsTrue(condition);
        if (truth < 0)
            return NULL;
        if (!truth)
            Py_RETURN_NONE;
        PyObject *call_args[2] = {g, v};
        return PyObject_Vectorcall(kn_times, call_args, 2, NULL);
    }
    if (PyFloat_CheckExact(v) && PyFloat_AS_DOUBLE(v) == 1.0)
        return select_values(condition, g);
    PyObject *value = PyNumber_Multiply(g, v);
    if (value == NULL)
        return NULL;
    PyObject *out = select_values(condition, value);
    Py_DECREF(value);
    return out;
}

static PyObject *
array_select_times(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (!kernel_args(nargs, 3, 3, "array_select_times(condition, g, v)"))
        return NULL;
    return select_times(args[0], args[1], args[2]);
}

static PyObject *
register_kernels(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"add_reduce", "true_divide", "empty", "reshape", "transpose",
                             "where", "isfinite", "ndarray", NULL};
    PyObject *objects[8];
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOOOO!:register_kernels", kwlist,
                                     &objects[0], &objects[1], &objects[2], &objects[3],
                                     &objects[4], &objects[5], &objects[6], &PyType_Type,
                                     &objects[7]))
        return NULL;
    PyObject **slots[] = {&kn_add_reduce, &kn_true_divide, &kn_empty,    &kn_reshape,
                          &kn_transpose,  &kn_where,       &kn_isfinite, &kn_ndarray};
    if (kn_keepdims == NULL) {
        kn_keepdims = Py_BuildValue("(s)", "keepdims");
        kn_axis = Py_BuildValue("(s)", "axis");
        kn_str_reshape = PyUnicode_InternFromString("reshape");
        kn_str_transpose = PyUnicode_InternFromString("transpose");
        kn_str_fill = PyUnicode_InternFromString("fill");
        kn_str_ndim = PyUnicode_InternFromString("ndim");
        kn_str_size = PyUnicode_InternFromString("size");
        kn_str_dtype = PyUnicode_InternFromString("dtype");
        kn_str_shape = PyUnicode_InternFromString("shape");
        kn_zero_shape = PyTuple_New(0);
        kn_zero_float = PyFloat_FromDouble(0.0);
        kn_zero_int = PyLong_FromLong(0);
        if (!kn_keepdims || !kn_axis || !kn_str_reshape || !kn_str_transpose || !kn_str_fill ||
            !kn_str_ndim || !kn_str_size || !kn_str_dtype || !kn_str_shape || !kn_zero_shape ||
            !kn_zero_float || !kn_zero_int)
            return NULL;
    }
    for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
        Py_INCREF(objects[i]);
        Py_XSETREF(*slots[i], objects[i]);
    }
    Py_RETURN_NONE;
}

static PyObject *
register_select(PyObject *module, PyObject *args)
{
    PyObject *times, *bool_type;
    if (!PyArg_ParseTuple(args, "OO!:register_select", &times, &PyType_Type, &bool_type))
        return NULL;
    Py_INCREF(times);
    Py_XSETREF(kn_times, times);
    Py_INCREF(bool_type);
    Py_XSETREF(kn_bool, bool_type);
    Py_RETURN_NONE;
}

#define KERNEL_METHODS                                                                          \
    {"array_sum", (PyCFunction)(void (*)(void))array_sum, METH_FASTCALL,                        \
     "array_sum(x, axes, keepdims): autograd.ops._math._sum in C."},                            \
    {"array_mean", (PyCFunction)(void (*)(void))array_mean, METH_FASTCALL,                      \
     "array_mean(x, axes, keepdims): autograd.ops._math._mean in C."},                          \
    {"array_unreduce", (PyCFunction)(void (*)(void))array_unreduce, METH_FASTCALL,              \
     "array_unreduce(g, shape, axes): autograd.ops._math._unreduce in C."},                     \
    {"array_reshape", (PyCFunction)(void (*)(void))array_reshape, METH_FASTCALL,                \
     "array_reshape(a, shape): autograd.ops._math._reshape in C."},                             \
    {"array_transpose", (PyCFunction)(void (*)(void))array_transpose, METH_FASTCALL,            \
     "array_transpose(a, axes=None): autograd.ops._math._transpose in C."},                     \
    {"array_linear", (PyCFunction)(void (*)(void))array_linear, METH_FASTCALL,                  \
     "array_linear(x, w, b): autograd.ops._math._linear in C."},                                \
    {"array_select", (PyCFunction)(void (*)(void))array_select, METH_FASTCALL,                  \
     "array_select(condition, values): autograd.tensor._select in C."},                         \
    {"array_select_times", (PyCFunction)(void (*)(void))array_select_times, METH_FASTCALL,      \
     "array_select_times(condition, g, v): autograd.tensor._select_times in C."},               \
    {"register_kernels", (PyCFunction)(void (*)(void))register_kernels,                         \
     METH_VARARGS | METH_KEYWORDS,                                                               \
     "register_kernels(add_reduce, true_divide, empty, reshape, transpose, where, isfinite, "   \
     "ndarray)."},                                                                               \
    {"register_select", register_select, METH_VARARGS,                                          \
     "register_select(times, bool_type): autograd.tensor._times and numpy.bool_."},
