/* The Tensor half of chainrule's native core, included by _native.c.

   TensorNode is the storage of autograd.Tensor (the C twin of
   autograd.tensor._TensorStorage): the ndarray, the gradient and the graph
   fields, read by the backward walk without attribute lookups. Tensor nodes
   are ordinary GC-tracked objects (a graph of tensors is small).

   tensor_vjp() is Tensor._vjp in C: the version checks of _operands, the
   op's rule evaluated on ndarrays (the registry's own rule, called as the
   Python method calls it), and the engine's part around the rule, _times and
   _fit (select or multiply by a local derivative; undo broadcasting, cast
   to the parent's dtype, never hand a leaf an array it shares). Everything
   numeric is numpy, called through its Python API, so the results are the
   Python method's, bit for bit. */

typedef struct {
    PyObject_HEAD
    PyObject *data;      /* _data: an ndarray */
    PyObject *grad;      /* None, an ndarray, UNREACHED during a pass, a Tensor (create_graph) */
    PyObject *label;
    PyObject *prev;      /* _prev: the parents (a tuple) */
    PyObject *op;        /* _op: the Op record, or "" */
    PyObject *args;      /* _args: every operand */
    PyObject *params;    /* _params */
    PyObject *scope;     /* _scope */
    long long version;   /* _version: the clock tick of the last .data assignment */
    long long stamp;     /* _stamp: the clock tick when the node was made */
    char requires_grad;  /* _requires_grad */
    PyObject *weakreflist;
} TensorObject;

static PyTypeObject TensorNodeType;
static PyTypeObject *tensor_type;      /* autograd.Tensor (registered) */
static PyObject *tensor_vjp_function;  /* autograd.Tensor._vjp as defined (to detect an override) */
static PyObject *ndarray_type;         /* numpy.ndarray */
static PyObject *np_asarray, *np_zeros;
static PyObject *array_namespace;      /* autograd.ops._math.ARRAY */
static PyObject *masked_type;          /* autograd.ops._math.Masked */
static PyObject *py_unbroadcast;       /* autograd.tensor.unbroadcast */
static PyObject *py_modified_error;    /* autograd.tensor._modified_error */
static PyObject *tensor_clock;         /* autograd.tensor._clock: [tick] */
static PyObject *tensor_globals;       /* vars(autograd.tensor): its _node / _plain (anomaly
                                          detection swaps in checking versions) */
static PyObject *py_as_constant;       /* autograd._tensor_args.as_constant */
static PyObject *py_broadcast_error;   /* autograd.tensor._broadcast_error */
static PyObject *str_array_forward, *str__forward, *str__node, *str__plain, *native_node_fn, *native_plain_fn;
static PyObject *str_array_vjps, *str_derivative, *str__derivative, *str__vjp, *str_shape, *str_dtype, *str_base,
    *str_copy, *str_astype, *str_d, *str_condition;

#define IS_TENSOR(o) (tensor_type != NULL && Py_TYPE(o) == tensor_type)
#define TENSOR(o) ((TensorObject *)(o))

static int
tensor_traverse(TensorObject *t, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(t));
    Py_VISIT(t->data);
    Py_VISIT(t->grad);
    Py_VISIT(t->label);
    Py_VISIT(t->prev);
    Py_VISIT(t->op);
    Py_VISIT(t->args);
    Py_VISIT(t->params);
    Py_VISIT(t->scope);
    return 0;
}

static int
tensor_clear(TensorObject *t)
{
    Py_CLEAR(t->data);
    Py_CLEAR(t->grad);
    Py_CLEAR(t->label);
    Py_CLEAR(t->prev);
    Py_CLEAR(t->op);
    Py_CLEAR(t->args);
    Py_CLEAR(t->params);
    Py_CLEAR(t->scope);
    return 0;
}

static void
tensor_dealloc(TensorObject *t)
{
    PyObject_GC_UnTrack(t);
    Py_TRASHCAN_BEGIN(t, tensor_dealloc)
    if (t->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)t);
    tensor_clear(t);
    Py_TYPE(t)->tp_free((PyObject *)t);
    Py_TRASHCAN_END
}

static long long clock_now(void);
static PyObject *py_to_array;  /* autograd._tensor_args.to_array */
static PyObject *str_tensor_data;

/* Tensor.data: the values; assigning to it bumps the version counter (autograd.tensor). */
static PyObject *
tensor_get_data(TensorObject *t, void *closure)
{
    if (t->data == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_data");
        return NULL;
    }
    Py_INCREF(t->data);
    return t->data;
}

static int
tensor_set_data(TensorObject *t, PyObject *value, void *closure)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete a Tensor's data");
        return -1;
    }
    if (tensor_clock == NULL || py_to_array == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "autograd._native: Tensor is not registered");
        return -1;
    }
    if (value != t->data) {
        PyObject *call_args[3] = {value, Py_None, str_tensor_data};
        value = PyObject_Vectorcall(py_to_array, call_args, 3, NULL);
        if (value == NULL)
            return -1;
    }
    else {
        Py_INCREF(value);
    }
    Py_XSETREF(t->data, value);
    long long tick = clock_now();
    if (tick == -1 && PyErr_Occurred())
        return -1;
    PyObject *next = PyLong_FromLongLong(tick + 1);
    if (next == NULL)
        return -1;
    PyObject *old = PyList_GET_ITEM(tensor_clock, 0);
    PyList_SET_ITEM(tensor_clock, 0, next);
    Py_DECREF(old);
    t->version = tick + 1;
    return 0;
}

static PyGetSetDef tensor_getset[] = {
    {"data", (getter)tensor_get_data, (setter)tensor_set_data,
     "The values (an ndarray). Assigning to it bumps the version counter.", NULL},
    {NULL},
};

static PyMemberDef tensor_members[] = {
    {"_data", T_OBJECT_EX, offsetof(TensorObject, data), 0, "The values (an ndarray)."},
    {"grad", T_OBJECT_EX, offsetof(TensorObject, grad), 0, "The gradient (None or an ndarray)."},
    {"label", T_OBJECT_EX, offsetof(TensorObject, label), 0, "A name for graphs."},
    {"_prev", T_OBJECT_EX, offsetof(TensorObject, prev), 0, "The parents."},
    {"_op", T_OBJECT_EX, offsetof(TensorObject, op), 0, "The Op record ('' for a leaf)."},
    {"_args", T_OBJECT_EX, offsetof(TensorObject, args), 0, "Every operand."},
    {"_params", T_OBJECT_EX, offsetof(TensorObject, params), 0, "The op's parameters."},
    {"_scope", T_OBJECT_EX, offsetof(TensorObject, scope), 0, "The name scope."},
    {"_version", T_LONGLONG, offsetof(TensorObject, version), 0, "Tick of the last .data write."},
    {"_stamp", T_LONGLONG, offsetof(TensorObject, stamp), 0, "Tick at creation."},
    {"_requires_grad", T_BOOL, offsetof(TensorObject, requires_grad), 0,
     "Whether backward computes a gradient for it."},
    {"__weakrefoffset__", T_PYSSIZET, offsetof(TensorObject, weakreflist), READONLY},
    {NULL},
};

static PyNumberMethods tensor_as_number;

static PyTypeObject TensorNodeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "autograd._native.TensorNode",
    .tp_basicsize = sizeof(TensorObject),
    .tp_dealloc = (destructor)tensor_dealloc,
    .tp_as_number = &tensor_as_number,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The native storage of autograd.Tensor (an ndarray graph node).",
    .tp_traverse = (traverseproc)tensor_traverse,
    .tp_clear = (inquiry)tensor_clear,
    .tp_weaklistoffset = offsetof(TensorObject, weakreflist),
    .tp_members = tensor_members,
    .tp_getset = tensor_getset,
    .tp_new = PyType_GenericNew,
};

static long long
clock_now(void)
{
    return PyLong_AsLongLong(PyList_GET_ITEM(tensor_clock, 0));
}

/* np.asarray(o): a numpy scalar (what a ufunc returns for 0-d operands) becomes its 0-d
   array in C, other objects go through numpy.asarray itself. */
static PyObject *
as_ndarray(PyObject *o)
{
    if (PyArray_IsScalar(o, Generic))
        return PyArray_FromScalar(o, NULL);
    return PyObject_CallOneArg(np_asarray, o);
}

/* A new Tensor (all fields but data and the graph ones at their defaults). */
static TensorObject *
tensor_alloc(PyObject *data)
{
    TensorObject *t = (TensorObject *)tensor_type->tp_alloc(tensor_type, 0);
    if (t == NULL)
        return NULL;
    if (Py_TYPE(data) == (PyTypeObject *)ndarray_type) {
        Py_INCREF(data);
    }
    else {
        data = as_ndarray(data);
        if (data == NULL) {
            Py_DECREF(t);
            return NULL;
        }
    }
    t->data = data;
    Py_INCREF(Py_None);
    t->grad = Py_None;
    Py_INCREF(empty_string);
    t->label = empty_string;
    return t;
}

/* tensor_node(data, prev, op, args, params): autograd.tensor._node. */
static PyObject *
tensor_node(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "tensor_node(data, prev, op, args, params)");
        return NULL;
    }
    long long stamp = clock_now();
    if (stamp == -1 && PyErr_Occurred())
        return NULL;
    TensorObject *t = tensor_alloc(args[0]);
    if (t == NULL)
        return NULL;
    Py_INCREF(args[1]);
    t->prev = args[1];
    Py_INCREF(args[2]);
    t->op = args[2];
    Py_INCREF(args[3]);
    t->args = args[3];
    Py_INCREF(args[4]);
    t->params = args[4];
    t->requires_grad = 1;
    PyObject *scope = tls_scope ? tls_scope : empty_tuple;
    Py_INCREF(scope);
    t->scope = scope;
    t->version = 0;
    t->stamp = stamp;
    return (PyObject *)t;
}

/* tensor_plain(data): autograd.tensor._plain, a result that records no graph. */
static PyObject *
tensor_plain(PyObject *module, PyObject *data)
{
    TensorObject *t = tensor_alloc(data);
    if (t == NULL)
        return NULL;
    Py_INCREF(empty_tuple);
    t->prev = empty_tuple;
    Py_INCREF(empty_string);
    t->op = empty_string;
    Py_INCREF(empty_tuple);
    t->args = empty_tuple;
    Py_INCREF(empty_tuple);
    t->params = empty_tuple;
    t->requires_grad = 0;
    Py_INCREF(empty_tuple);
    t->scope = empty_tuple;
    return (PyObject *)t;
}

static PyObject *select_times(PyObject *condition, PyObject *g, PyObject *v); /* kernels.h */

/* autograd.tensor._times: the contribution g · d of a local derivative d. */
static PyObject *
tensor_times(PyObject *g, PyObject *d)
{
    if (d == Py_None) {
        Py_RETURN_NONE;
    }
    if ((PyObject *)Py_TYPE(d) == masked_type) {
        PyObject *condition = PyObject_GetAttr(d, str_condition);
        PyObject *v = condition ? PyObject_GetAttr(d, str_d) : NULL;
        PyObject *out = v ? select_times(condition, g, v) : NULL;
        Py_XDECREF(condition);
        Py_XDECREF(v);
        return out;
    }
    if (PyFloat_CheckExact(d)) {
        double v = PyFloat_AS_DOUBLE(d);
        if (v == 1.0) {
            Py_INCREF(g);
            return g;
        }
        if (v == -1.0)
            return PyNumber_Negative(g);
    }
    return PyNumber_Multiply(g, d);
}

static PyObject *
tensor_data_of(PyObject *parent)
{
    if (PyObject_TypeCheck(parent, &TensorNodeType) && TENSOR(parent)->data != NULL) {
        Py_INCREF(TENSOR(parent)->data);
        return TENSOR(parent)->data;
    }
    return PyObject_GetAttrString(parent, "_data");
}

/* autograd.tensor._fit: a contribution made into the parent's gradient: its shape, its
   dtype and (for a leaf) its own array. `c` is a new reference (stolen). */
static PyObject *
tensor_fit(PyObject *c, PyObject *parent, PyObject *grad)
{
    /* The common case, read from the arrays' structs: an ndarray contribution of the
       parent's shape and dtype (the same descriptor object) needs nothing, or for a leaf a
       copy when it is the upstream array or a view (as below, without building objects). */
    if (c != Py_None && PyArray_CheckExact(c) && IS_TENSOR(parent) && TENSOR(parent)->data &&
        PyArray_CheckExact(TENSOR(parent)->data) && TENSOR(parent)->prev) {
        PyArrayObject *ca = (PyArrayObject *)c, *pa = (PyArrayObject *)TENSOR(parent)->data;
        int nd = PyArray_NDIM(ca);
        if (nd == PyArray_NDIM(pa) && PyArray_DESCR(ca) == PyArray_DESCR(pa) &&
            PyArray_CompareLists(PyArray_DIMS(ca), PyArray_DIMS(pa), nd)) {
            if (PyTuple_GET_SIZE(TENSOR(parent)->prev) == 0 &&
                (c == grad || PyArray_BASE(ca) != NULL)) {
                PyObject *copy = PyArray_NewCopy(ca, NPY_CORDER); /* c.copy() */
                Py_DECREF(c);
                return copy;
            }
            return c;
        }
    }
    PyObject *pdata = tensor_data_of(parent);
    if (pdata == NULL) {
        Py_DECREF(c);
        return NULL;
    }
    PyObject *pshape = NULL, *out = NULL;
    if (c == Py_None) {
        Py_DECREF(c);
        PyObject *dtype = PyObject_GetAttr(pdata, str_dtype);
        pshape = dtype ? PyObject_GetAttr(pdata, str_shape) : NULL;
        if (pshape != NULL) {
            PyObject *call_args[2] = {pshape, dtype};
            out = PyObject_Vectorcall(np_zeros, call_args, 2, NULL);
        }
        Py_XDECREF(dtype);
        goto done;
    }
    if (Py_TYPE(c) != (PyTypeObject *)ndarray_type) {
        Py_SETREF(c, as_ndarray(c));
        if (c == NULL)
            goto done;
    }
    pshape = PyObject_GetAttr(pdata, str_shape);
    PyObject *cshape = pshape ? PyObject_GetAttr(c, str_shape) : NULL;
    if (cshape == NULL)
        goto fail;
    int differ = PyObject_RichCompareBool(cshape, pshape, Py_NE);
    Py_DECREF(cshape);
    if (differ < 0)
        goto fail;
    if (differ) {
        PyObject *call_args[2] = {c, pshape};
        Py_SETREF(c, PyObject_Vectorcall(py_unbroadcast, call_args, 2, NULL));
        if (c == NULL)
            goto done;
    }
    PyObject *cdtype = PyObject_GetAttr(c, str_dtype);
    PyObject *pdtype = cdtype ? PyObject_GetAttr(pdata, str_dtype) : NULL;
    if (pdtype == NULL) {
        Py_XDECREF(cdtype);
        goto fail;
    }
    differ = cdtype == pdtype ? 0 : PyObject_RichCompareBool(cdtype, pdtype, Py_NE);
    Py_DECREF(cdtype);
    Py_DECREF(pdtype);
    if (differ < 0)
        goto fail;
    if (differ > 0) {
        /* another dtype (rare): Python's _fit decides, which may keep a float64 contribution
           to a float32 intermediate node where float32 would overflow */
        PyObject *fit = PyDict_GetItemString(tensor_globals, "_fit"); /* borrowed */
        if (fit == NULL) {
            PyErr_SetString(PyExc_RuntimeError, "autograd.tensor._fit is missing");
            goto fail;
        }
        PyObject *call_args[3] = {c, parent, grad};
        out = PyObject_Vectorcall(fit, call_args, 3, NULL);
        goto fail;
    }
    /* a leaf never gets the upstream array itself or a view of another array */
    int leaf;
    if (IS_TENSOR(parent)) {
        leaf = PyTuple_GET_SIZE(TENSOR(parent)->prev) == 0;
    }
    else {
        PyObject *prev = PyObject_GetAttr(parent, str_prev);
        leaf = prev == NULL ? -1 : !PyObject_IsTrue(prev);
        Py_XDECREF(prev);
    }
    if (leaf < 0)
        goto fail;
    if (leaf) {
        int shares = c == grad;
        if (!shares) {
            PyObject *base = PyObject_GetAttr(c, str_base);
            if (base == NULL)
                goto fail;
            shares = base != Py_None;
            Py_DECREF(base);
        }
        if (shares) {
            Py_SETREF(c, PyObject_CallMethodNoArgs(c, str_copy));
            if (c == NULL)
                goto done;
        }
    }
    out = c;
    c = NULL;
fail:
    Py_XDECREF(c);
done:
    Py_XDECREF(pshape);
    Py_DECREF(pdata);
    return out;
}

/* The parents' contributions fitted to them (tensor_fit): a tuple of min(len(cs), nprev). */
static PyObject *
fit_all(PyObject *const *cs, Py_ssize_t nc, PyObject *prev, PyObject *grad)
{
    Py_ssize_t nprev = PyTuple_GET_SIZE(prev);
    if (nprev == 1 && nc == 0) {
        PyErr_SetString(PyExc_IndexError, "list index out of range");
        return NULL;
    }
    Py_ssize_t nout = nc < nprev ? nc : nprev;
    PyObject *result = PyTuple_New(nout);
    if (result == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < nout; i++) {
        Py_INCREF(cs[i]);
        PyObject *fitted = tensor_fit(cs[i], PyTuple_GET_ITEM(prev, i), grad);
        if (fitted == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyTuple_SET_ITEM(result, i, fitted);
    }
    return result;
}

#define VJP_MAX_INPUTS 6 /* a compiled backward's inputs (more: the generic path) */

/* Tensor._vjp: each parent's contribution, reduced to its shape and dtype. */
static PyObject *
tensor_vjp(TensorObject *t, PyObject *grad)
{
    PyObject *op = t->op, *prev = t->prev, *args = t->args;
    if (op == NULL || prev == NULL || args == NULL || t->data == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a Tensor node without its graph fields");
        return NULL;
    }
    long long stamp = t->stamp;
    if (t->version > stamp) {
        PyObject *e = PyObject_CallFunctionObjArgs(py_modified_error, (PyObject *)t, t, NULL);
        if (e != NULL) {
            PyErr_SetObject((PyObject *)Py_TYPE(e), e);
            Py_DECREF(e);
        }
        return NULL;
    }
    Py_ssize_t nargs = PyTuple_GET_SIZE(args), nprev = PyTuple_GET_SIZE(prev), j = 0;
    /* Each input's array (new references) and whether it wants a gradient: in C arrays for
       the compiled rules, as a list and a tuple only for the generic ones. */
    PyObject *small_datas[VJP_MAX_INPUTS];
    char small_wants[VJP_MAX_INPUTS];
    PyObject **datav = small_datas;
    char *wantv = small_wants;
    if (nargs > VJP_MAX_INPUTS) {
        datav = PyMem_New(PyObject *, nargs);
        wantv = PyMem_New(char, nargs);
        if (datav == NULL || wantv == NULL) {
            PyMem_Free(datav);
            PyMem_Free(wantv);
            return PyErr_NoMemory();
        }
    }
    Py_ssize_t filled = 0, mask = 0;
    PyObject *dtype = NULL, *result = NULL, *datas = NULL, *wants = NULL, *contributions = NULL;
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyObject *a = PyTuple_GET_ITEM(args, i);
        PyObject *data;
        char want = 0;
        if (IS_TENSOR(a)) {
            if (TENSOR(a)->version > stamp) {
                PyObject *e = PyObject_CallFunctionObjArgs(py_modified_error, (PyObject *)t, a, NULL);
                if (e != NULL) {
                    PyErr_SetObject((PyObject *)Py_TYPE(e), e);
                    Py_DECREF(e);
                }
                goto done;
            }
            data = TENSOR(a)->data;
            Py_INCREF(data);
            if (j < nprev && a == PyTuple_GET_ITEM(prev, j)) {
                want = 1;
                j++;
            }
        }
        else if (PyFloat_CheckExact(a) || PyLong_CheckExact(a)) {
            /* a Python number in a rule divides like an IEEE number: a 0-d array */
            if (dtype == NULL && (dtype = PyObject_GetAttr(t->data, str_dtype)) == NULL)
                goto done;
            Py_INCREF(dtype); /* PyArray_FromAny steals it: np.asarray(a, dtype) */
            data = PyArray_FromAny(a, (PyArray_Descr *)dtype, 0, 0, 0, NULL);
            if (data == NULL)
                goto done;
        }
        else {
            Py_INCREF(a);
            data = a;
        }
        datav[i] = data;
        wantv[i] = want;
        filled = i + 1;
        if (want && i < 30)
            mask |= (Py_ssize_t)1 << i;
    }
    /* the rule compiled for these wanted inputs (autograd/_tensor_codegen.py), if any */
    PyObject *compiled = PyObject_GetAttr(op, str_array_vjps);
    if (compiled == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError))
            goto done;
        PyErr_Clear();
    }
    else if (compiled != Py_None) {
        if (!PyTuple_Check(compiled) || mask >= PyTuple_GET_SIZE(compiled)) {
            Py_DECREF(compiled);
            PyErr_SetString(PyExc_TypeError, "an op's _array_vjps must be a tuple per mask");
            goto done;
        }
        if (nargs > VJP_MAX_INPUTS) {
            Py_DECREF(compiled);
            PyErr_SetString(PyExc_TypeError, "a compiled backward of more than 6 inputs");
            goto done;
        }
        PyObject *fn = PyTuple_GET_ITEM(compiled, mask);
        PyObject *call_args[VJP_MAX_INPUTS + 3];
        call_args[0] = grad;
        for (Py_ssize_t i = 0; i < nargs; i++)
            call_args[1 + i] = datav[i];
        call_args[1 + nargs] = t->data;
        call_args[2 + nargs] = t->params;
        PyObject *cs = PyObject_Vectorcall(fn, call_args, 3 + nargs, NULL);
        Py_DECREF(compiled);
        PyObject *seq = cs ? PySequence_Fast(cs, "a compiled backward returns a tuple") : NULL;
        Py_XDECREF(cs);
        if (seq == NULL)
            goto done;
        result = fit_all(PySequence_Fast_ITEMS(seq), PySequence_Fast_GET_SIZE(seq), prev, grad);
        Py_DECREF(seq);
        goto done;
    }
    else {
        Py_DECREF(compiled);
    }
    datas = PyList_New(nargs);
    wants = PyTuple_New(nargs);
    contributions = PyList_New(0);
    if (datas == NULL || wants == NULL || contributions == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < nargs; i++) {
        Py_INCREF(datav[i]);
        PyList_SET_ITEM(datas, i, datav[i]);
        PyObject *want = wantv[i] ? Py_True : Py_False;
        Py_INCREF(want);
        PyTuple_SET_ITEM(wants, i, want);
    }
    PyObject *derivative = PyObject_GetAttr(op, str_derivative);
    if (derivative == NULL)
        goto done;
    int elementwise = derivative != Py_None;
    Py_DECREF(derivative);
    if (elementwise) {
        PyObject *rule = PyObject_GetAttr(op, str__derivative);
        if (rule == NULL)
            goto done;
        PyObject *call_args[4] = {array_namespace, datas, t->data, t->params};
        PyObject *ds = PyObject_Vectorcall(rule, call_args, 4, NULL);
        Py_DECREF(rule);
        PyObject *seq = ds ? PySequence_Fast(ds, "a derivative rule returns a tuple") : NULL;
        Py_XDECREF(ds);
        if (seq == NULL)
            goto done;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        for (Py_ssize_t i = 0; i < n && i < nargs; i++) {
            if (!wantv[i])
                continue;
            PyObject *c = tensor_times(grad, PySequence_Fast_GET_ITEM(seq, i));
            if (c == NULL || PyList_Append(contributions, c) < 0) {
                Py_XDECREF(c);
                Py_DECREF(seq);
                goto done;
            }
            Py_DECREF(c);
        }
        Py_DECREF(seq);
    }
    else {
        PyObject *rule = PyObject_GetAttr(op, str__vjp);
        if (rule == NULL)
            goto done;
        PyObject *call_args[6] = {array_namespace, grad, datas, t->data, t->params, wants};
        PyObject *cs = PyObject_Vectorcall(rule, call_args, 6, NULL);
        Py_DECREF(rule);
        PyObject *seq = cs ? PySequence_Fast(cs, "a vjp rule returns a tuple") : NULL;
        Py_XDECREF(cs);
        if (seq == NULL)
            goto done;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        for (Py_ssize_t i = 0; i < n && i < nargs; i++) {
            if (wantv[i] && PyList_Append(contributions, PySequence_Fast_GET_ITEM(seq, i)) < 0) {
                Py_DECREF(seq);
                goto done;
            }
        }
        Py_DECREF(seq);
    }
    result = fit_all(&PyList_GET_ITEM(contributions, 0), PyList_GET_SIZE(contributions), prev,
                     grad);
done:
    for (Py_ssize_t i = 0; i < filled; i++)
        Py_DECREF(datav[i]);
    if (datav != small_datas) {
        PyMem_Free(datav);
        PyMem_Free(wantv);
    }
    Py_XDECREF(contributions);
    Py_XDECREF(dtype);
    Py_XDECREF(datas);
    Py_XDECREF(wants);
    return result;
}

/* ---- the forward pass: autograd.tensor._unary, _binary and apply ---------------------- */

static PyObject *tensor_node(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* _node(out, prev, op, args, params), or the checking version anomaly detection put in. */
static PyObject *
make_node(PyObject *out, PyObject *prev, PyObject *op, PyObject *args, PyObject *params)
{
    PyObject *call_args[5] = {out, prev, op, args, params};
    PyObject *fn = PyDict_GetItemWithError(tensor_globals, str__node);
    if (fn == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "autograd.tensor._node is missing");
        return NULL;
    }
    if (fn == native_node_fn)
        return tensor_node(NULL, call_args, 5);
    return PyObject_Vectorcall(fn, call_args, 5, NULL);
}

static PyObject *
make_plain(PyObject *out)
{
    PyObject *fn = PyDict_GetItemWithError(tensor_globals, str__plain);
    if (fn == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "autograd.tensor._plain is missing");
        return NULL;
    }
    if (fn == native_plain_fn)
        return tensor_plain(NULL, out);
    return PyObject_CallOneArg(fn, out);
}

/* autograd.tensor._forward: op._array_forward(inputs, params) (compiled from the record),
   else op._forward(ARRAY, inputs, params) */
static PyObject *
forward_of(PyObject *op, PyObject *inputs, PyObject *params)
{
    PyObject *compiled = PyObject_GetAttr(op, str_array_forward);
    if (compiled == NULL)
        return NULL;
    if (compiled != Py_None) {
        PyObject *call_args[2] = {inputs, params};
        PyObject *out = PyObject_Vectorcall(compiled, call_args, 2, NULL);
        Py_DECREF(compiled);
        return out;
    }
    Py_DECREF(compiled);
    PyObject *fn = PyObject_GetAttr(op, str__forward);
    if (fn == NULL)
        return NULL;
    PyObject *call_args[3] = {array_namespace, inputs, params};
    PyObject *out = PyObject_Vectorcall(fn, call_args, 3, NULL);
    Py_DECREF(fn);
    return out;
}

static PyObject *
data_attr(PyObject *t)
{
    if (PyObject_TypeCheck(t, &TensorNodeType) && TENSOR(t)->data != NULL) {
        Py_INCREF(TENSOR(t)->data);
        return TENSOR(t)->data;
    }
    return PyObject_GetAttrString(t, "_data");
}

static int
requires_grad_attr(PyObject *t)
{
    if (PyObject_TypeCheck(t, &TensorNodeType))
        return TENSOR(t)->requires_grad;
    PyObject *flag = PyObject_GetAttrString(t, "_requires_grad");
    if (flag == NULL)
        return -1;
    int truth = PyObject_IsTrue(flag);
    Py_DECREF(flag);
    return truth;
}

/* tensor_unary(op, x, params=()): autograd.tensor._unary. */
static PyObject *
tensor_unary(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 2 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "tensor_unary(op, x, params=())");
        return NULL;
    }
    PyObject *op = args[0], *x = args[1], *params = nargs == 3 ? args[2] : empty_tuple;
    PyObject *xd = data_attr(x);
    if (xd == NULL)
        return NULL;
    PyObject *inputs = PyTuple_Pack(1, xd);
    Py_DECREF(xd);
    if (inputs == NULL)
        return NULL;
    PyObject *out = forward_of(op, inputs, params);
    Py_DECREF(inputs);
    if (out == NULL)
        return NULL;
    int rg = requires_grad_attr(x);
    PyObject *result = NULL;
    if (rg < 0)
        goto done;
    if (rg && grad_enabled()) {
        PyObject *prev = PyTuple_Pack(1, x);
        if (prev != NULL)
            result = make_node(out, prev, op, prev, params);
        Py_XDECREF(prev);
    }
    else {
        result = make_plain(out);
    }
done:
    Py_DECREF(out);
    return result;
}

/* as_constant(c, dtype, op): a Python number stays as it is */
static PyObject *
constant_of(PyObject *c, PyObject *like_data, PyObject *op)
{
    if (PyFloat_CheckExact(c) || PyLong_CheckExact(c)) {
        Py_INCREF(c);
        return c;
    }
    PyObject *dtype = PyObject_GetAttr(like_data, str_dtype);
    if (dtype == NULL)
        return NULL;
    PyObject *call_args[3] = {c, dtype, op};
    PyObject *out = PyObject_Vectorcall(py_as_constant, call_args, 3, NULL);
    Py_DECREF(dtype);
    return out;
}

/* tensor_binary(op, x, y): autograd.tensor._binary (a Tensor on at least one side). */
static PyObject *
tensor_binary(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "tensor_binary(op, x, y)");
        return NULL;
    }
    PyObject *op = args[0], *x = args[1], *y = args[2];
    PyObject *xd = NULL, *yd = NULL, *result = NULL, *out = NULL, *inputs = NULL;
    int rx, ry;
    Py_INCREF(x);
    Py_INCREF(y);
    if (IS_TENSOR(x)) {
        xd = TENSOR(x)->data;
        Py_XINCREF(xd);
        rx = TENSOR(x)->requires_grad;
        if (xd == NULL && (xd = data_attr(x)) == NULL)
            goto done;
        if (IS_TENSOR(y)) {
            yd = TENSOR(y)->data;
            Py_XINCREF(yd);
            ry = TENSOR(y)->requires_grad;
            if (yd == NULL && (yd = data_attr(y)) == NULL)
                goto done;
        }
        else {
            Py_SETREF(y, constant_of(y, xd, op));
            if (y == NULL)
                goto done;
            Py_INCREF(y);
            yd = y;
            ry = 0;
        }
    }
    else {
        if ((yd = data_attr(y)) == NULL || (ry = requires_grad_attr(y)) < 0)
            goto done;
        Py_SETREF(x, constant_of(x, yd, op));
        if (x == NULL)
            goto done;
        Py_INCREF(x);
        xd = x;
        rx = 0;
    }
    inputs = PyTuple_Pack(2, xd, yd);
    if (inputs == NULL)
        goto done;
    out = forward_of(op, inputs, empty_tuple);
    if (out == NULL) {
        if (PyErr_ExceptionMatches(PyExc_ValueError)) {
            PyErr_Clear();
            PyObject *call_args[3] = {op, xd, yd};
            PyObject *e = PyObject_Vectorcall(py_broadcast_error, call_args, 3, NULL);
            if (e != NULL) {
                PyErr_SetObject((PyObject *)Py_TYPE(e), e);
                Py_DECREF(e);
            }
        }
        goto done;
    }
    if ((rx || ry) && grad_enabled()) {
        PyObject *prev = rx && ry ? PyTuple_Pack(2, x, y) : PyTuple_Pack(1, rx ? x : y);
        PyObject *all = prev ? PyTuple_Pack(2, x, y) : NULL;
        if (all != NULL)
            result = make_node(out, prev, op, all, empty_tuple);
        Py_XDECREF(prev);
        Py_XDECREF(all);
    }
    else {
        result = make_plain(out);
    }
done:
    Py_XDECREF(inputs);
    Py_XDECREF(out);
    Py_XDECREF(xd);
    Py_XDECREF(yd);
    Py_XDECREF(x);
    Py_XDECREF(y);
    return result;
}

/* tensor_apply(op, inputs, params=()): autograd.tensor.apply. */
static PyObject *
tensor_apply(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 2 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "tensor_apply(op, inputs, params=())");
        return NULL;
    }
    PyObject *op = args[0], *params = nargs == 3 ? args[2] : empty_tuple;
    PyObject *seq = PySequence_Fast(args[1], "inputs must be a sequence");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *like = NULL, *datas = PyTuple_New(n), *all = PyTuple_New(n), *prev = PyList_New(0);
    PyObject *out = NULL, *result = NULL;
    if (datas == NULL || all == NULL || prev == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < n && like == NULL; i++) {
        PyObject *a = PySequence_Fast_GET_ITEM(seq, i);
        if (PyObject_TypeCheck(a, tensor_type))
            like = a;
    }
    if (like == NULL) {
        PyErr_SetNone(PyExc_StopIteration);
        goto done;
    }
    PyObject *like_data = data_attr(like);
    if (like_data == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *a = PySequence_Fast_GET_ITEM(seq, i), *data, *arg;
        if (PyObject_TypeCheck(a, tensor_type)) {
            data = data_attr(a);
            int rg = data ? requires_grad_attr(a) : -1;
            if (rg < 0 || (rg && PyList_Append(prev, a) < 0)) {
                Py_XDECREF(data);
                Py_DECREF(like_data);
                goto done;
            }
            Py_INCREF(a);
            arg = a;
        }
        else if (a == Py_None) {
            Py_INCREF(Py_None);
            Py_INCREF(Py_None);
            data = arg = Py_None;
        }
        else {
            data = constant_of(a, like_data, op);
            if (data == NULL) {
                Py_DECREF(like_data);
                goto done;
            }
            Py_INCREF(data);
            arg = data;
        }
        PyTuple_SET_ITEM(datas, i, data);
        PyTuple_SET_ITEM(all, i, arg);
    }
    Py_DECREF(like_data);
    out = forward_of(op, datas, params);
    if (out == NULL)
        goto done;
    if (PyList_GET_SIZE(prev) && grad_enabled()) {
        PyObject *prev_tuple = PyList_AsTuple(prev);
        if (prev_tuple != NULL)
            result = make_node(out, prev_tuple, op, all, params);
        Py_XDECREF(prev_tuple);
    }
    else {
        result = make_plain(out);
    }
done:
    Py_XDECREF(out);
    Py_XDECREF(datas);
    Py_XDECREF(all);
    Py_XDECREF(prev);
    Py_DECREF(seq);
    return result;
}

/* Tensor's operators: autograd.tensor._binary / _unary with the registry's records. */
static PyObject *tensor_ops; /* (add, sub, mul, div, pow, neg) */

static PyObject *
tensor_operator(int index, PyObject *a, PyObject *b)
{
    if (tensor_ops == NULL)
        Py_RETURN_NOTIMPLEMENTED;
    PyObject *call_args[3] = {PyTuple_GET_ITEM(tensor_ops, index), a, b};
    return tensor_binary(NULL, call_args, 3);
}

static PyObject *
tensor_nb_add(PyObject *a, PyObject *b)
{
    return tensor_operator(0, a, b);
}

static PyObject *
tensor_nb_subtract(PyObject *a, PyObject *b)
{
    return tensor_operator(1, a, b);
}

static PyObject *
tensor_nb_multiply(PyObject *a, PyObject *b)
{
    return tensor_operator(2, a, b);
}

static PyObject *
tensor_nb_true_divide(PyObject *a, PyObject *b)
{
    return tensor_operator(3, a, b);
}

static PyObject *
tensor_nb_power(PyObject *a, PyObject *b, PyObject *modulo)
{
    if (modulo != Py_None) {
        PyErr_SetString(PyExc_TypeError, "pow() with a modulus is not defined for Tensor");
        return NULL;
    }
    return tensor_operator(4, a, b);
}

static PyObject *
tensor_nb_negative(PyObject *a)
{
    if (tensor_ops == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "autograd._native: Tensor is not registered");
        return NULL;
    }
    PyObject *call_args[2] = {PyTuple_GET_ITEM(tensor_ops, 5), a};
    return tensor_unary(NULL, call_args, 2);
}

static PyNumberMethods tensor_as_number = {
    .nb_add = tensor_nb_add,
    .nb_subtract = tensor_nb_subtract,
    .nb_multiply = tensor_nb_multiply,
    .nb_true_divide = tensor_nb_true_divide,
    .nb_power = tensor_nb_power,
    .nb_negative = tensor_nb_negative,
};

/* tensor_vjp(node, grad): Tensor._vjp in C (for the tests; the walk calls it directly). */
static PyObject *
tensor_vjp_entry(PyObject *module, PyObject *args)
{
    PyObject *node, *grad;
    if (!PyArg_ParseTuple(args, "O!O:tensor_vjp", &TensorNodeType, &node, &grad))
        return NULL;
    return tensor_vjp(TENSOR(node), grad);
}

static PyObject *
register_tensor(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"tensor_type", "vjp", "ndarray", "asarray", "zeros",
                             "array_namespace", "masked", "unbroadcast", "modified_error",
                             "clock", "module_globals", "as_constant", "broadcast_error",
                             "to_array", "operators", NULL};
    PyObject *type, *vjp, *nd, *asarray, *zeros, *ns, *masked, *unb, *moderr, *clock;
    PyObject *globals, *asconst, *berr, *toarr, *operators;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OOOOOOOOO!O!OOOO!:register_tensor", kwlist,
                                     &PyType_Type, &type, &vjp, &nd, &asarray, &zeros,
                                     &ns, &masked, &unb, &moderr, &PyList_Type, &clock,
                                     &PyDict_Type, &globals, &asconst, &berr, &toarr,
                                     &PyTuple_Type, &operators))
        return NULL;
    if (PyTuple_GET_SIZE(operators) != 6) {
        PyErr_SetString(PyExc_ValueError, "operators: (add, sub, mul, div, pow, neg)");
        return NULL;
    }
    if (!PyType_IsSubtype((PyTypeObject *)type, &TensorNodeType) ||
        ((PyTypeObject *)type)->tp_basicsize != TensorNodeType.tp_basicsize ||
        ((PyTypeObject *)type)->tp_dictoffset != 0) {
        PyErr_SetString(PyExc_TypeError,
                        "tensor_type must subclass TensorNode and add no attributes");
        return NULL;
    }
    if (PyList_GET_SIZE(clock) != 1) {
        PyErr_SetString(PyExc_ValueError, "clock must be a one-element list");
        return NULL;
    }
    PyObject *objects[] = {type,  vjp,    nd,    asarray,  zeros,   ns,   masked,
                           unb,   moderr, clock, globals, asconst, berr, toarr, operators};
    PyObject **slots[] = {(PyObject **)&tensor_type, &tensor_vjp_function, &ndarray_type,
                          &np_asarray, &np_zeros, &array_namespace, &masked_type,
                          &py_unbroadcast, &py_modified_error, &tensor_clock, &tensor_globals,
                          &py_as_constant, &py_broadcast_error, &py_to_array, &tensor_ops};
    for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
        Py_INCREF(objects[i]);
        Py_XSETREF(*slots[i], objects[i]);
    }
    Py_RETURN_NONE;
}

static int
tensor_module_init(void)
{
    if (PyType_Ready(&TensorNodeType) < 0)
        return -1;
    str_array_vjps = PyUnicode_InternFromString("_array_vjps");
    str_tensor_data = PyUnicode_InternFromString("Tensor.data");
    str__forward = PyUnicode_InternFromString("_forward");
    str_array_forward = PyUnicode_InternFromString("_array_forward");
    str__node = PyUnicode_InternFromString("_node");
    str__plain = PyUnicode_InternFromString("_plain");
    str_derivative = PyUnicode_InternFromString("derivative");
    str__derivative = PyUnicode_InternFromString("_derivative");
    str__vjp = PyUnicode_InternFromString("_vjp");
    str_shape = PyUnicode_InternFromString("shape");
    str_dtype = PyUnicode_InternFromString("dtype");
    str_base = PyUnicode_InternFromString("base");
    str_copy = PyUnicode_InternFromString("copy");
    str_astype = PyUnicode_InternFromString("astype");
    str_d = PyUnicode_InternFromString("d");
    str_condition = PyUnicode_InternFromString("condition");
    if (!str_tensor_data || !str__forward || !str_array_forward || !str__node || !str__plain || !str_array_vjps || !str_derivative || !str__derivative || !str__vjp || !str_shape ||
        !str_dtype || !str_base || !str_copy || !str_astype || !str_d || !str_condition)
        return -1;
    return 0;
}
