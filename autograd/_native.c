/* chainrule's native core: Value node storage, the Value ops, and the backward walk.

   What lives here, and why (see the README's design section):

   * ValueNode, the storage of autograd.Value: data and grad as C doubles, up to
     two parents and their local derivatives inline, no tuple per node. The
     cyclic garbage collector does not track op nodes: a graph holds no
     reference cycles by design, so reference counting frees it, and the
     collector no longer rescans a growing graph during the forward pass. The
     few nodes that can close a cycle are tracked when it can happen: a node
     given a hand-written _backward (micrograd's closures refer to their own
     output), a node whose grad becomes a node (create_graph), subclasses.
   * The Value ops (+, *, tanh, ...): generated into _native_ops.h from the op
     registry by autograd/_cgen.py. This file holds no formula of any op,
     only the kernels the formulas call (k_exp, k_divide, ...), which return
     exactly what the Python kernels of autograd/ops/_math.py return.
   * The backward walk for the common case (no trace hook, no create_graph):
     the same collect / walk / accumulate / restore as autograd/_core.py,
     which stays the readable reference and runs everything else. Nodes of
     other types (Tensor, duck-typed) are walked through their attributes,
     exactly as the Python core does.

   Floating point: every operation is the same IEEE double operation Python
   performs on floats; no fused multiply-add (see FP_CONTRACT below and the
   -ffp-contract=off flag in setup.py), so results are identical bit for bit.
*/

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
/* numpy's C API: an array's shape, dtype and base read from its struct (the Tensor glue
   asks for them several times per node; as Python attributes each builds an object). */
#define NPY_NO_DEPRECATED_API NPY_1_22_API_VERSION
#include <numpy/arrayobject.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* No contraction of a*b + c into a fused multiply-add (setup.py also passes
   -ffp-contract=off, which is what GCC honours). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(_MSC_VER)
#pragma fp_contract(off)
#endif

#define ABI_VERSION 1

#if defined(_MSC_VER)
#define THREAD_LOCAL __declspec(thread)
#else
#define THREAD_LOCAL _Thread_local
#endif

/* ------------------------------------------------------------------------
   Kernels: the FLOAT kernels of autograd/ops/_math.py, with the same results
   (including which NaN: Python returns math.nan where it catches an error).
   ------------------------------------------------------------------------ */

static double
k_divide(double x, double y)
{
    if (y == 0.0) {
        if (x != x || x == 0.0)
            return Py_NAN;
        return copysign(Py_HUGE_VAL, x) * copysign(1.0, y);
    }
    return x / y;
}

static double
k_sqrt(double x)
{
    return x >= 0.0 ? sqrt(x) : Py_NAN;
}

/* math.pow's own handling of non-finite operands (CPython's math_pow). */
static double
math_pow_special(double x, double y)
{
    if (Py_IS_NAN(x))
        return y == 0.0 ? 1.0 : x;
    if (Py_IS_NAN(y))
        return x == 1.0 ? 1.0 : y;
    if (Py_IS_INFINITY(x)) {
        int odd_y = Py_IS_FINITE(y) && fmod(fabs(y), 2.0) == 1.0;
        if (y > 0.0)
            return odd_y ? x : fabs(x);
        if (y == 0.0)
            return 1.0;
        return odd_y ? copysign(0.0, x) : 0.0;
    }
    /* y infinite */
    if (fabs(x) == 1.0)
        return 1.0;
    if (y > 0.0 && fabs(x) > 1.0)
        return y;
    if (y < 0.0 && fabs(x) < 1.0)
        return -y;
    return 0.0;
}

static double
k_power(double x, double y)
{
    if (y == 0.5)
        return k_sqrt(x);
    if (y == -0.5)
        return k_divide(1.0, k_sqrt(x));
    if (!Py_IS_FINITE(x) || !Py_IS_FINITE(y))
        return math_pow_special(x, y);
    double r = pow(x, y);
    if (Py_IS_NAN(r))
        return Py_NAN; /* math.pow raises ValueError, the kernel returns nan */
    if (Py_IS_INFINITY(r)) {
        /* math.pow raises: zero to a negative power (ValueError) or overflow;
           the kernel returns the signed infinity pow() gave. */
        int odd_y = fmod(fabs(y), 2.0) == 1.0;
        if (x == 0.0)
            return odd_y ? copysign(Py_HUGE_VAL, x) : Py_HUGE_VAL;
        return (x < 0.0 && odd_y) ? -Py_HUGE_VAL : Py_HUGE_VAL;
    }
    return r;
}

static double
k_exp(double x)
{
    return exp(x);
}

static double
k_log(double x)
{
    if (x > 0.0)
        return log(x);
    return x == 0.0 ? -Py_HUGE_VAL : Py_NAN;
}

static double
k_log1p(double x)
{
    if (x > -1.0)
        return log1p(x);
    return x == -1.0 ? -Py_HUGE_VAL : Py_NAN;
}

static double
k_tanh(double x)
{
    return tanh(x);
}

/* math.sin/cos/tan raise ValueError for an infinite argument: the kernel gives nan. */
static double
k_sin(double x)
{
    return Py_IS_INFINITY(x) ? Py_NAN : sin(x);
}

static double
k_cos(double x)
{
    return Py_IS_INFINITY(x) ? Py_NAN : cos(x);
}

static double
k_tan(double x)
{
    return Py_IS_INFINITY(x) ? Py_NAN : tan(x);
}

static double
k_abs(double x)
{
    return fabs(x);
}

static double
k_sign(double x)
{
    if (x > 0.0)
        return 1.0;
    if (x < 0.0)
        return -1.0;
    return x;
}

/* ------------------------------------------------------------------------
   Grad mode and name scope: thread-local, read by every op.
   ------------------------------------------------------------------------ */

static THREAD_LOCAL int tls_grad_disabled; /* 0: recording (the default in every thread) */
static THREAD_LOCAL PyObject *tls_scope;   /* NULL: () */

static inline int
grad_enabled(void)
{
    return !tls_grad_disabled;
}

typedef struct {
    PyObject_HEAD
} StateObject;

static PyObject *
state_get_grad_enabled(PyObject *self, void *closure)
{
    return PyBool_FromLong(!tls_grad_disabled);
}

static int
state_set_grad_enabled(PyObject *self, PyObject *value, void *closure)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete grad_enabled");
        return -1;
    }
    int truth = PyObject_IsTrue(value);
    if (truth < 0)
        return -1;
    tls_grad_disabled = !truth;
    return 0;
}

static PyObject *empty_tuple;   /* () */
static PyObject *empty_string;  /* "" */

static PyObject *
state_get_scope(PyObject *self, void *closure)
{
    PyObject *scope = tls_scope ? tls_scope : empty_tuple;
    Py_INCREF(scope);
    return scope;
}

static int
state_set_scope(PyObject *self, PyObject *value, void *closure)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete scope");
        return -1;
    }
    if (!PyTuple_Check(value)) {
        PyErr_Format(PyExc_TypeError, "scope must be a tuple, got %.80s", Py_TYPE(value)->tp_name);
        return -1;
    }
    PyObject *old = tls_scope;
    if (PyTuple_GET_SIZE(value) == 0) {
        tls_scope = NULL;
    }
    else {
        Py_INCREF(value);
        tls_scope = value;
    }
    Py_XDECREF(old);
    return 0;
}

static PyGetSetDef state_getset[] = {
    {"grad_enabled", state_get_grad_enabled, state_set_grad_enabled,
     "Whether operations record a graph in this thread.", NULL},
    {"scope", state_get_scope, state_set_scope, "This thread's name scope (a tuple).", NULL},
    {NULL},
};

static PyTypeObject StateType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "autograd._native.ThreadState",
    .tp_basicsize = sizeof(StateObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Grad mode and name scope of the calling thread (C thread-locals).",
    .tp_getset = state_getset,
};

/* name_scope(name): autograd._core.name_scope in C. Scope tuples are shared: entering
   "layer0" inside ("MLP",) always gives the same ("MLP", "layer0") object (a bounded
   cache), so nodes refer to a few long-lived tuples instead of one new tuple per call. */

static PyObject *scope_cache; /* {previous scope: {name: child scope}} */
#define SCOPE_CACHE_LIMIT 4096

static PyObject *
child_scope(PyObject *previous, PyObject *name)
{
    PyObject *children = PyDict_GetItemWithError(scope_cache, previous);
    if (children == NULL) {
        if (PyErr_Occurred())
            return NULL;
        if (PyDict_GET_SIZE(scope_cache) >= SCOPE_CACHE_LIMIT)
            PyDict_Clear(scope_cache);
        children = PyDict_New();
        if (children == NULL || PyDict_SetItem(scope_cache, previous, children) < 0) {
            Py_XDECREF(children);
            return NULL;
        }
        Py_DECREF(children); /* borrowed from the cache from now on */
    }
    PyObject *child = PyDict_GetItemWithError(children, name);
    if (child != NULL) {
        Py_INCREF(child);
        return child;
    }
    if (PyErr_Occurred())
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(previous);
    child = PyTuple_New(n + 1);
    if (child == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(previous, i);
        Py_INCREF(item);
        PyTuple_SET_ITEM(child, i, item);
    }
    Py_INCREF(name);
    PyTuple_SET_ITEM(child, n, name);
    if (PyDict_GET_SIZE(children) < SCOPE_CACHE_LIMIT && PyDict_SetItem(children, name, child) < 0) {
        Py_DECREF(child);
        return NULL;
    }
    return child;
}

typedef struct {
    PyObject_HEAD
    PyObject *name;
    PyObject *previous; /* NULL: () */
} ScopeObject;

static PyObject *
scope_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *name;
    static char *kwlist[] = {"name", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:name_scope", kwlist, &name))
        return NULL;
    if (!PyUnicode_Check(name) || PyUnicode_GET_LENGTH(name) == 0) {
        PyErr_Format(PyExc_ValueError, "name_scope needs a non-empty string, got %R", name);
        return NULL;
    }
    ScopeObject *self = (ScopeObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    Py_INCREF(name);
    self->name = name;
    self->previous = NULL;
    return (PyObject *)self;
}

static void
scope_dealloc(ScopeObject *self)
{
    Py_XDECREF(self->name);
    Py_XDECREF(self->previous);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
scope_enter(ScopeObject *self, PyObject *unused)
{
    PyObject *previous = tls_scope ? tls_scope : empty_tuple;
    PyObject *scope = child_scope(previous, self->name);
    if (scope == NULL)
        return NULL;
    Py_XSETREF(self->previous, tls_scope); /* the reference moves from the thread-local */
    Py_INCREF(scope);
    tls_scope = scope;
    return scope;
}

static PyObject *
scope_exit(ScopeObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *current = tls_scope;
    tls_scope = self->previous; /* the reference moves back to the thread-local */
    self->previous = NULL;
    Py_XDECREF(current);
    Py_RETURN_NONE;
}

static PyMethodDef scope_methods[] = {
    {"__enter__", (PyCFunction)scope_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)(void (*)(void))scope_exit, METH_FASTCALL, NULL},
    {NULL},
};

static PyTypeObject ScopeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "autograd.name_scope",
    .tp_basicsize = sizeof(ScopeObject),
    .tp_dealloc = (destructor)scope_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "name_scope(name): record `name` on every node created inside (nested scopes "
              "stack).\n\nThe native twin of autograd._core.name_scope; `with` yields the full "
              "scope tuple.",
    .tp_methods = scope_methods,
    .tp_new = scope_new,
};

/* ------------------------------------------------------------------------
   The node
   ------------------------------------------------------------------------ */

enum {
    LOCAL_NONE = -1,  /* _local is None: the core asks _vjp */
    LOCAL_OBJECT = 3, /* _local is some other object, kept in local.o */
    /* 0, 1, 2: that many local derivatives inline (0 is ()) */
};

enum {
    CTX_NONE = 0,     /* _ctx is None */
    CTX_FIRST = 1,    /* _ctx is (cval, parent): a constant first operand */
    CTX_SECOND = 2,   /* _ctx is (parent, cval): a constant second operand or a parameter */
    CTX_OBJECT = 3,   /* _ctx is ctx (operands and params of a Python-compiled op, or a
                         hand-written _backward) */
};

enum {
    F_UNREACHED = 1,  /* during a pass: no gradient has reached the node yet (grad still
                         holds the value from before the pass) */
    F_CLOSED = 2,     /* the node and all it refers to are tracked by the cyclic GC */
    F_PREV_TUPLE = 4, /* more than two parents: prev[0] holds the tuple */
    F_GRAD_OBJ = 8,   /* grad.o holds the gradient (not a float: a node, None, an int...) */
};

/* 112 bytes, 128 with the GC header: pymalloc then places every node on a 64-byte boundary,
   and the fields the backward walk reads and writes share its first cache line. */
typedef struct NodeObject {
    PyObject_HEAD
    union {
        double d;
        PyObject *o;
    } grad;
    union {
        double d[2];      /* local derivatives ∂self/∂parent */
        PyObject *o;      /* LOCAL_OBJECT */
    } local;
    PyObject *prev[2];    /* the parents */
    int8_t nprev;         /* number of parents (with F_PREV_TUPLE: see prev[0]) */
    int8_t nlocal;        /* LOCAL_NONE, 0..2 or LOCAL_OBJECT */
    uint8_t ctx_kind;
    uint8_t flags;
    int32_t saved_index;  /* during a pass: this node's entry in the saved list */
    /* -- second cache line: what ops and Python read -- */
    double data;
    double cval;          /* a constant operand or the parameter (CTX_FIRST/SECOND) */
    PyObject *op;         /* the Op record (NULL: "") */
    PyObject *ctx;        /* CTX_OBJECT */
    PyObject *label;      /* NULL: "" */
    PyObject *scope;      /* NULL: () */
} NodeObject;

static PyTypeObject NodeType;            /* the C base of autograd.Value */
static PyTypeObject *value_type;         /* autograd.Value (registered) */
static PyObject *unreached;              /* autograd._core.UNREACHED (registered) */
static PyObject *py_as_float;            /* autograd.value._as_float */
static PyObject *py_as_param;            /* autograd.value._as_param */
static PyObject *py_accumulate;          /* autograd._core._accumulate */

static PyObject *str_grad, *str_prev, *str_requires_grad, *str_local, *str_vjp;

#define IS_NODE(o) (Py_TYPE(o) == value_type || PyObject_TypeCheck((o), &NodeType))
#define NODE(o) ((NodeObject *)(o))
#define NODE_DATA(o) (NODE(o)->data)

static inline Py_ssize_t
node_nprev(NodeObject *n)
{
    return (n->flags & F_PREV_TUPLE) ? PyTuple_GET_SIZE(n->prev[0]) : n->nprev;
}

static inline PyObject *
node_parent(NodeObject *n, Py_ssize_t i)
{
    return (n->flags & F_PREV_TUPLE) ? PyTuple_GET_ITEM(n->prev[0], i) : n->prev[i];
}

/* A Python real number as a double: autograd.value._as_float (TypeError otherwise). */
static int
as_float(PyObject *o, double *out)
{
    if (PyFloat_CheckExact(o)) {
        *out = PyFloat_AS_DOUBLE(o);
        return 0;
    }
    if (PyLong_CheckExact(o)) {
        double d = PyLong_AsDouble(o);
        if (d == -1.0 && PyErr_Occurred())
            return -1;
        *out = d;
        return 0;
    }
    PyObject *f = PyObject_CallOneArg(py_as_float, o);
    if (f == NULL)
        return -1;
    *out = PyFloat_AsDouble(f);
    Py_DECREF(f);
    return (*out == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

/* ---- keeping cycles collectable ------------------------------------------ */

static void
track(PyObject *o)
{
    if (!PyObject_GC_IsTracked(o))
        PyObject_GC_Track(o);
}

typedef struct {
    PyObject **items;
    Py_ssize_t size, capacity;
} Stack;

static int
stack_push(Stack *s, PyObject *o)
{
    if (s->size == s->capacity) {
        Py_ssize_t capacity = s->capacity ? 2 * s->capacity : 256;
        PyObject **items = PyMem_Realloc(s->items, capacity * sizeof(PyObject *));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        s->items = items;
        s->capacity = capacity;
    }
    s->items[s->size++] = o;
    return 0;
}

/* Make `root` and every node reachable from it tracked by the cyclic GC.

   Called when a node comes to refer to another node after it was made (its
   grad becomes a node, under create_graph): that can close a cycle (x →
   x.grad → … → x), and the collector frees a cycle only if it sees all of it.
   F_CLOSED marks nodes already done, so each node is visited once overall.
   The stack holds borrowed references: nothing here runs Python code. */
static int
close_graph(PyObject *root)
{
    Stack stack = {0};
    if (stack_push(&stack, root) < 0)
        return -1;
    while (stack.size) {
        PyObject *o = stack.items[--stack.size];
        if (!IS_NODE(o) || (NODE(o)->flags & F_CLOSED))
            continue;
        NodeObject *n = NODE(o);
        n->flags |= F_CLOSED;
        track(o);
        Py_ssize_t np = node_nprev(n);
        for (Py_ssize_t i = 0; i < np; i++) {
            if (stack_push(&stack, node_parent(n, i)) < 0)
                goto fail;
        }
        PyObject *refs[3] = {
            (n->flags & F_GRAD_OBJ) ? n->grad.o : NULL,
            n->ctx,
            n->nlocal == LOCAL_OBJECT ? n->local.o : NULL,
        };
        for (int k = 0; k < 3; k++) {
            PyObject *r = refs[k];
            if (r == NULL)
                continue;
            if (PyTuple_Check(r)) {
                for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(r); i++) {
                    if (stack_push(&stack, PyTuple_GET_ITEM(r, i)) < 0)
                        goto fail;
                }
            }
            else if (stack_push(&stack, r) < 0) {
                goto fail;
            }
        }
    }
    PyMem_Free(stack.items);
    return 0;
fail:
    PyMem_Free(stack.items);
    return -1;
}

/* `n` now refers to `o`: keep any cycle this closes collectable. */
static int
refer(NodeObject *n, PyObject *o)
{
    if (o == NULL || o == Py_None || o == unreached)
        return 0;
    if (IS_NODE(o)) {
        track((PyObject *)n);
        return close_graph(o);
    }
    if (PyObject_IS_GC(o) && PyObject_GC_IsTracked(o))
        track((PyObject *)n);
    return 0;
}

/* ---- the grad slot ----------------------------------------------------- */

/* The grad as Python sees it, ignoring a pass in progress. */
static PyObject *
stored_grad(NodeObject *n)
{
    if (n->flags & F_GRAD_OBJ) {
        Py_INCREF(n->grad.o);
        return n->grad.o;
    }
    return PyFloat_FromDouble(n->grad.d);
}

static PyObject *
node_get_grad_object(NodeObject *n)
{
    if (n->flags & F_UNREACHED) {
        Py_INCREF(unreached);
        return unreached;
    }
    return stored_grad(n);
}

static inline void
node_put_double(NodeObject *n, double g)
{
    if (n->flags & F_GRAD_OBJ) {
        PyObject *old = n->grad.o;
        n->flags &= ~F_GRAD_OBJ;
        Py_DECREF(old);
    }
    n->grad.d = g;
    n->flags &= ~F_UNREACHED;
}

/* Store `value` (a new reference, stolen) as the node's grad. */
static int
node_put_grad(NodeObject *n, PyObject *value)
{
    if (PyFloat_CheckExact(value)) {
        node_put_double(n, PyFloat_AS_DOUBLE(value));
        Py_DECREF(value);
        return 0;
    }
    if (value == unreached) {
        /* only Python code (the reference core) marks nodes this way: forget the value */
        node_put_double(n, 0.0);
        Py_DECREF(value);
        n->flags |= F_UNREACHED;
        return 0;
    }
    PyObject *old = (n->flags & F_GRAD_OBJ) ? n->grad.o : NULL;
    n->grad.o = value;
    n->flags = (n->flags | F_GRAD_OBJ) & ~F_UNREACHED;
    Py_XDECREF(old);
    return refer(n, value);
}

/* ---- making nodes (used by the generated ops) -------------------------- */

static PyObject *op_records; /* tuple: the Op record of each native op, or None when stale */

static NodeObject *
node_new(double data)
{
    NodeObject *n = PyObject_GC_New(NodeObject, value_type);
    if (n == NULL)
        return NULL;
    n->grad.d = 0.0;
    n->prev[0] = n->prev[1] = NULL;
    n->nprev = 0;
    n->nlocal = 0;
    n->ctx_kind = CTX_NONE;
    n->flags = 0;
    n->data = data;
    n->op = NULL;
    n->ctx = NULL;
    n->label = NULL;
    n->scope = NULL;
    return n;
}

static inline void
node_record(NodeObject *n, int op_index)
{
    PyObject *op = PyTuple_GET_ITEM(op_records, op_index);
    Py_INCREF(op);
    n->op = op;
    PyObject *scope = tls_scope;
    Py_XINCREF(scope);
    n->scope = scope;
}

static inline void
node_link1(NodeObject *n, PyObject *a, int op_index)
{
    Py_INCREF(a);
    n->prev[0] = a;
    n->nprev = 1;
    node_record(n, op_index);
}

static inline void
node_link2(NodeObject *n, PyObject *a, PyObject *b, int op_index)
{
    Py_INCREF(a);
    Py_INCREF(b);
    n->prev[0] = a;
    n->prev[1] = b;
    n->nprev = 2;
    node_record(n, op_index);
}

static inline void
local1(NodeObject *n, double d)
{
    n->local.d[0] = d;
    n->nlocal = 1;
}

static inline void
local2(NodeObject *n, double d0, double d1)
{
    n->local.d[0] = d0;
    n->local.d[1] = d1;
    n->nlocal = 2;
}

static inline void
local_none(NodeObject *n)
{
    n->nlocal = LOCAL_NONE;
}

static inline void
ctx_constant(NodeObject *n, int position, double value)
{
    n->ctx_kind = position == 0 ? CTX_FIRST : CTX_SECOND;
    n->cval = value;
}

typedef PyObject *(*unary_fn)(PyObject *, const double *);
typedef PyObject *(*nn_fn)(PyObject *, PyObject *, const double *);
typedef PyObject *(*nc_fn)(PyObject *, double, const double *);
typedef PyObject *(*cn_fn)(double, PyObject *, const double *);

typedef struct {
    const char *name;
    const char *method;
    int ninputs;
    int nparams;
    const char *param;
    double param_default;
    int has_default;
    unary_fn n;
    nn_fn nn;
    nc_fn nc;
    cn_fn cn;
    const char *fingerprint;
} OpSpec;

#include "_native_ops.h"

static int
check_bound(int op_index)
{
    if (op_records == NULL || PyTuple_GET_ITEM(op_records, op_index) == Py_None) {
        PyErr_Format(PyExc_RuntimeError,
                     "the native op %s is not bound to the registry (stale build?)",
                     OP_SPECS[op_index].name);
        return -1;
    }
    return 0;
}

/* x (op) y with a Value on either side, as the compiled Python methods do. */
static PyObject *
binary(int op_index, PyObject *a, PyObject *b)
{
    const OpSpec *spec = &OP_SPECS[op_index];
    if (check_bound(op_index) < 0)
        return NULL;
    if (IS_NODE(a)) {
        if (IS_NODE(b))
            return spec->nn(a, b, NULL);
        double y;
        if (as_float(b, &y) < 0)
            return NULL;
        return spec->nc(a, y, NULL);
    }
    double x;
    if (as_float(a, &x) < 0)
        return NULL;
    return spec->cn(x, b, NULL);
}

static PyObject *
unary(int op_index, PyObject *a, const double *p)
{
    if (check_bound(op_index) < 0)
        return NULL;
    if (!IS_NODE(a)) {
        PyErr_Format(PyExc_TypeError, "%s needs a Value, got %.80s", OP_SPECS[op_index].name,
                     Py_TYPE(a)->tp_name);
        return NULL;
    }
    return OP_SPECS[op_index].n(a, p);
}

/* The parameter of a one-parameter op from positional or keyword arguments. */
static int
parse_param(int op_index, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
            double *p)
{
    const OpSpec *spec = &OP_SPECS[op_index];
    PyObject *value = NULL;
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most 1 argument (%zd given)", spec->name,
                     nargs);
        return -1;
    }
    if (nargs == 1)
        value = args[0];
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, i);
        if (PyUnicode_CompareWithASCIIString(key, spec->param) != 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'",
                         spec->name, key);
            return -1;
        }
        if (value != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'",
                         spec->name, spec->param);
            return -1;
        }
        value = args[nargs + i];
    }
    if (value == NULL) {
        if (!spec->has_default) {
            PyErr_Format(PyExc_TypeError, "%s() missing argument '%s'", spec->name, spec->param);
            return -1;
        }
        *p = spec->param_default;
        return 0;
    }
    if (PyFloat_CheckExact(value)) {
        *p = PyFloat_AS_DOUBLE(value);
        return 0;
    }
    PyObject *f = PyObject_CallFunction(py_as_param, "Oss", value, spec->name, spec->param);
    if (f == NULL)
        return -1;
    *p = PyFloat_AsDouble(f);
    Py_DECREF(f);
    return (*p == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

/* ---- the Value type's number slots and op methods ----------------------- */

static int
spec_index(const char *method)
{
    for (int i = 0; i < N_OPS; i++) {
        if (strcmp(OP_SPECS[i].method, method) == 0)
            return i;
    }
    return -1;
}

static int I_ADD, I_SUB, I_MUL, I_DIV, I_POW, I_NEG, I_ABS;

#define BINARY_SLOT(fname, index)                        \
    static PyObject *fname(PyObject *a, PyObject *b)     \
    {                                                    \
        if (index < 0)                                   \
            Py_RETURN_NOTIMPLEMENTED;                    \
        return binary(index, a, b);                      \
    }

BINARY_SLOT(nb_add, I_ADD)
BINARY_SLOT(nb_subtract, I_SUB)
BINARY_SLOT(nb_multiply, I_MUL)
BINARY_SLOT(nb_true_divide, I_DIV)

static PyObject *
nb_power(PyObject *a, PyObject *b, PyObject *modulo)
{
    if (modulo != Py_None) {
        PyErr_SetString(PyExc_TypeError, "pow() with a modulus is not defined for Value");
        return NULL;
    }
    if (I_POW < 0)
        Py_RETURN_NOTIMPLEMENTED;
    return binary(I_POW, a, b);
}

static PyObject *
missing_op(const char *what)
{
    PyErr_Format(PyExc_TypeError, "this build has no native %s", what);
    return NULL;
}

static PyObject *
nb_negative(PyObject *a)
{
    return I_NEG < 0 ? missing_op("neg") : unary(I_NEG, a, NULL);
}

static PyObject *
nb_absolute(PyObject *a)
{
    return I_ABS < 0 ? missing_op("abs") : unary(I_ABS, a, NULL);
}

static PyNumberMethods node_as_number = {
    .nb_add = nb_add,
    .nb_subtract = nb_subtract,
    .nb_multiply = nb_multiply,
    .nb_true_divide = nb_true_divide,
    .nb_power = nb_power,
    .nb_negative = nb_negative,
    .nb_absolute = nb_absolute,
};

/* An op's method (`v.tanh()`, `v.leaky_relu(0.1)`): a method descriptor carrying the op's
   index, so one C function serves every op. */
typedef struct {
    PyObject_HEAD
    int index;
    PyObject *name;
    vectorcallfunc vectorcall;
} OpMethodObject;

static PyObject *
opmethod_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    OpMethodObject *m = (OpMethodObject *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs < 1) {
        PyErr_Format(PyExc_TypeError, "%U() needs a Value", m->name);
        return NULL;
    }
    const OpSpec *spec = &OP_SPECS[m->index];
    double p[1] = {0.0};
    if (spec->nparams) {
        if (parse_param(m->index, args + 1, nargs - 1, kwnames, p) < 0)
            return NULL;
    }
    else if (nargs > 1 || (kwnames && PyTuple_GET_SIZE(kwnames))) {
        PyErr_Format(PyExc_TypeError, "%U() takes no arguments (%zd given)", m->name,
                     nargs - 1 + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0));
        return NULL;
    }
    return unary(m->index, args[0], p);
}

static PyObject *
opmethod_descr_get(PyObject *self, PyObject *obj, PyObject *type)
{
    if (obj == NULL || obj == Py_None) {
        Py_INCREF(self);
        return self;
    }
    return PyMethod_New(self, obj);
}

static void
opmethod_dealloc(OpMethodObject *m)
{
    Py_XDECREF(m->name);
    PyObject_Free(m);
}

static PyObject *
opmethod_repr(OpMethodObject *m)
{
    return PyUnicode_FromFormat("<native op method %U>", m->name);
}

static PyObject *
opmethod_get_name(OpMethodObject *m, void *closure)
{
    Py_INCREF(m->name);
    return m->name;
}

static PyObject *
opmethod_get_doc(OpMethodObject *m, void *closure)
{
    Py_RETURN_NONE;
}

static PyGetSetDef opmethod_getset[] = {
    {"__name__", (getter)opmethod_get_name, NULL, NULL, NULL},
    {"__qualname__", (getter)opmethod_get_name, NULL, NULL, NULL},
    {"__doc__", (getter)opmethod_get_doc, NULL, NULL, NULL},
    {NULL},
};

static PyTypeObject OpMethodType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "autograd._native.OpMethod",
    .tp_basicsize = sizeof(OpMethodObject),
    .tp_dealloc = (destructor)opmethod_dealloc,
    .tp_repr = (reprfunc)opmethod_repr,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(OpMethodObject, vectorcall),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_doc = "A Value op method compiled from the op registry.",
    .tp_descr_get = opmethod_descr_get,
    .tp_getset = opmethod_getset,
};

static PyObject *
make_opmethod(int index)
{
    OpMethodObject *m = PyObject_New(OpMethodObject, &OpMethodType);
    if (m == NULL)
        return NULL;
    m->index = index;
    m->vectorcall = opmethod_vectorcall;
    m->name = PyUnicode_FromString(OP_SPECS[index].method);
    if (m->name == NULL) {
        Py_DECREF(m);
        return NULL;
    }
    return (PyObject *)m;
}

/* ---- the node type --------------------------------------------------------- */

static void
clear_local(NodeObject *n)
{
    if (n->nlocal == LOCAL_OBJECT) {
        PyObject *o = n->local.o;
        n->nlocal = 0;
        Py_DECREF(o);
    }
}

static void
node_clear_refs(NodeObject *n)
{
    node_put_double(n, 0.0);
    Py_CLEAR(n->prev[0]);
    Py_CLEAR(n->prev[1]);
    Py_CLEAR(n->op);
    Py_CLEAR(n->ctx);
    clear_local(n);
    Py_CLEAR(n->label);
    Py_CLEAR(n->scope);
    n->nprev = 0;
    n->flags &= ~F_PREV_TUPLE;
    n->nlocal = 0;
    n->ctx_kind = CTX_NONE;
}

static int
node_traverse(NodeObject *n, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(n));
    if (n->flags & F_GRAD_OBJ)
        Py_VISIT(n->grad.o);
    Py_VISIT(n->prev[0]);
    Py_VISIT(n->prev[1]);
    Py_VISIT(n->op);
    Py_VISIT(n->ctx);
    if (n->nlocal == LOCAL_OBJECT)
        Py_VISIT(n->local.o);
    Py_VISIT(n->label);
    Py_VISIT(n->scope);
    return 0;
}

static int
node_tp_clear(NodeObject *n)
{
    node_clear_refs(n);
    return 0;
}

static void
node_dealloc(NodeObject *n)
{
    PyObject_GC_UnTrack(n);
    /* Freeing a long chain releases parent after parent: the trashcan keeps the C stack
       flat (it is active here only for direct instances; subtype_dealloc, which runs for
       autograd.Value, has its own). */
    Py_TRASHCAN_BEGIN(n, node_dealloc)
    node_clear_refs(n);
    Py_TYPE(n)->tp_free((PyObject *)n);
    Py_TRASHCAN_END
}

static PyObject *
node_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    NodeObject *n;
    if (type == value_type) {
        n = node_new(0.0); /* untracked: see the top of this file */
    }
    else {
        n = (NodeObject *)type->tp_alloc(type, 0); /* zeroed and tracked (subclasses) */
        if (n != NULL)
            n->nlocal = 0;
    }
    return (PyObject *)n;
}

/* Value(data, _children=(), _op="", label=""): autograd.value._ValueStorage.__init__. */
static int
node_init(NodeObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"data", "_children", "_op", "label", NULL};
    PyObject *data, *children = NULL, *op = NULL, *label = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OOO:Value", kwlist, &data, &children, &op,
                                     &label))
        return -1;
    double d;
    if (as_float(data, &d) < 0)
        return -1;
    self->data = d;
    node_put_double(self, 0.0);
    PyObject *label_str = NULL;
    if (label != NULL && !(PyUnicode_CheckExact(label) && PyUnicode_GET_LENGTH(label) == 0)) {
        label_str = PyObject_Str(label);
        if (label_str == NULL)
            return -1;
    }
    Py_XSETREF(self->label, label_str);
    PyObject *prev = children ? PySequence_Tuple(children) : (Py_INCREF(empty_tuple), empty_tuple);
    if (prev == NULL)
        return -1;
    Py_ssize_t np = PyTuple_GET_SIZE(prev);
    for (Py_ssize_t i = 0; i < np; i++) {
        PyObject *child = PyTuple_GET_ITEM(prev, i);
        if (!IS_NODE(child)) {
            PyObject *r = PyObject_Repr(child);
            PyObject *short_r = r ? PyUnicode_Substring(r, 0, 40) : NULL;
            if (short_r != NULL)
                PyErr_Format(PyExc_TypeError, "Value's children must be Values, got %s %U",
                             Py_TYPE(child)->tp_name, short_r);
            Py_XDECREF(r);
            Py_XDECREF(short_r);
            Py_DECREF(prev);
            return -1;
        }
    }
    PyObject *op_str = NULL;
    if (op != NULL && !(PyUnicode_CheckExact(op) && PyUnicode_GET_LENGTH(op) == 0)) {
        op_str = PyObject_Str(op);
        if (op_str == NULL) {
            Py_DECREF(prev);
            return -1;
        }
    }
    Py_CLEAR(self->prev[0]);
    Py_CLEAR(self->prev[1]);
    self->flags &= ~F_PREV_TUPLE;
    if (np > 2) {
        self->prev[0] = prev;
        self->flags |= F_PREV_TUPLE;
        self->nprev = 0;
    }
    else {
        for (Py_ssize_t i = 0; i < np; i++) {
            Py_INCREF(PyTuple_GET_ITEM(prev, i));
            self->prev[i] = PyTuple_GET_ITEM(prev, i);
        }
        self->nprev = (int8_t)np;
        Py_DECREF(prev);
    }
    Py_XSETREF(self->op, op_str);
    clear_local(self);
    self->nlocal = np ? LOCAL_NONE : 0;
    self->ctx_kind = CTX_NONE;
    Py_CLEAR(self->ctx);
    PyObject *scope = tls_scope;
    Py_XINCREF(scope);
    Py_XSETREF(self->scope, scope);
    return 0;
}

/* ---- attributes ------------------------------------------------------------ */

static int
no_delete(PyObject *value, const char *name)
{
    if (value == NULL) {
        PyErr_Format(PyExc_AttributeError, "cannot delete a Value's %s", name);
        return -1;
    }
    return 0;
}

static PyObject *
node_get_data(NodeObject *n, void *closure)
{
    return PyFloat_FromDouble(n->data);
}

static int
node_set_data(NodeObject *n, PyObject *value, void *closure)
{
    if (no_delete(value, "data") < 0)
        return -1;
    return as_float(value, &n->data);
}

static PyObject *
node_get_grad(NodeObject *n, void *closure)
{
    return node_get_grad_object(n);
}

static int
node_set_grad(NodeObject *n, PyObject *value, void *closure)
{
    if (no_delete(value, "grad") < 0)
        return -1;
    Py_INCREF(value);
    return node_put_grad(n, value);
}

static PyObject *
node_get_label(NodeObject *n, void *closure)
{
    PyObject *label = n->label ? n->label : empty_string;
    Py_INCREF(label);
    return label;
}

static int
node_set_label(NodeObject *n, PyObject *value, void *closure)
{
    if (no_delete(value, "label") < 0)
        return -1;
    Py_INCREF(value);
    Py_XSETREF(n->label, value);
    return PyUnicode_Check(value) ? 0 : refer(n, value);
}

static PyObject *
node_get_prev(NodeObject *n, void *closure)
{
    if (n->flags & F_PREV_TUPLE) {
        Py_INCREF(n->prev[0]);
        return n->prev[0];
    }
    switch (n->nprev) {
    case 0:
        Py_INCREF(empty_tuple);
        return empty_tuple;
    case 1:
        return PyTuple_Pack(1, n->prev[0]);
    default:
        return PyTuple_Pack(2, n->prev[0], n->prev[1]);
    }
}

static int
node_set_prev(NodeObject *n, PyObject *value, void *closure)
{
    if (no_delete(value, "_prev") < 0)
        return -1;
    PyObject *prev = PySequence_Tuple(value);
    if (prev == NULL)
        return -1;
    Py_CLEAR(n->prev[0]);
    Py_CLEAR(n->prev[1]);
    n->flags &= ~F_PREV_TUPLE;
    Py_ssize_t np = PyTuple_GET_SIZE(prev);
    if (np > 2) {
        n->prev[0] = prev;
        n->flags |= F_PREV_TUPLE;
        n->nprev = 0;
        return 0;
    }
    for (Py_ssize_t i = 0; i < np; i++) {
        Py_INCREF(PyTuple_GET_ITEM(prev, i));
        n->prev[i] = PyTuple_GET_ITEM(prev, i);
    }
    n->nprev = (int8_t)np;
    Py_DECREF(prev);
    return 0;
}

static PyObject *
node_get_op(NodeObject *n, void *closure)
{
    PyObject *op = n->op ? n->op : empty_string;
    Py_INCREF(op);
    return op;
}

static int
node_set_op(NodeObject *n, PyObject *value, void *closure)
{
    if (no_delete(value, "_op") < 0)
        return -1;
    Py_INCREF(value);
    Py_XSETREF(n->op, value);
    return 0;
}

static PyObject *
node_get_local(NodeObject *n, void *closure)
{
    switch (n->nlocal) {
    case LOCAL_NONE:
        Py_RETURN_NONE;
    case LOCAL_OBJECT:
        Py_INCREF(n->local.o);
        return n->local.o;
    case 0:
        Py_INCREF(empty_tuple);
        return empty_tuple;
    case 1:
        return Py_BuildValue("(d)", n->local.d[0]);
    default:
        return Py_BuildValue("(dd)", n->local.d[0], n->local.d[1]);
    }
}

static int
node_set_local(NodeObject *n, PyObject *value, void *closure)
{
    if (no_delete(value, "_local") < 0)
        return -1;
    clear_local(n);
    if (value == Py_None) {
        n->nlocal = LOCAL_NONE;
        return 0;
    }
    if (PyTuple_CheckExact(value) && PyTuple_GET_SIZE(value) <= 2) {
        Py_ssize_t size = PyTuple_GET_SIZE(value);
        int floats = 1;
        for (Py_ssize_t i = 0; i < size; i++)
            floats &= PyFloat_CheckExact(PyTuple_GET_ITEM(value, i));
        if (floats) {
            for (Py_ssize_t i = 0; i < size; i++)
                n->local.d[i] = PyFloat_AS_DOUBLE(PyTuple_GET_ITEM(value, i));
            n->nlocal = (int8_t)size;
            return 0;
        }
    }
    Py_INCREF(value);
    n->local.o = value;
    n->nlocal = LOCAL_OBJECT;
    return refer(n, value);
}

static PyObject *
node_get_ctx(NodeObject *n, void *closure)
{
    switch (n->ctx_kind) {
    case CTX_FIRST:
        return Py_BuildValue("(dO)", n->cval, n->prev[0]);
    case CTX_SECOND:
        return Py_BuildValue("(Od)", n->prev[0], n->cval);
    case CTX_OBJECT:
        Py_INCREF(n->ctx);
        return n->ctx;
    default:
        Py_RETURN_NONE;
    }
}

static int
node_set_ctx(NodeObject *n, PyObject *value, void *closure)
{
    if (no_delete(value, "_ctx") < 0)
        return -1;
    Py_CLEAR(n->ctx);
    if (value == Py_None) {
        n->ctx_kind = CTX_NONE;
        return 0;
    }
    Py_INCREF(value);
    n->ctx = value;
    n->ctx_kind = CTX_OBJECT;
    return refer(n, value);
}

static PyObject *
node_get_scope(NodeObject *n, void *closure)
{
    PyObject *scope = n->scope ? n->scope : empty_tuple;
    Py_INCREF(scope);
    return scope;
}

static int
node_set_scope(NodeObject *n, PyObject *value, void *closure)
{
    if (no_delete(value, "_scope") < 0)
        return -1;
    Py_INCREF(value);
    Py_XSETREF(n->scope, value);
    return 0;
}

static PyGetSetDef node_getset[] = {
    {"data", (getter)node_get_data, (setter)node_set_data, "The value (a float).", NULL},
    {"grad", (getter)node_get_grad, (setter)node_set_grad,
     "The gradient ∂L/∂self after backward (a float).", NULL},
    {"label", (getter)node_get_label, (setter)node_set_label, "A name for graphs.", NULL},
    {"_prev", (getter)node_get_prev, (setter)node_set_prev, "The parents (a tuple).", NULL},
    {"_op", (getter)node_get_op, (setter)node_set_op, "The Op record ('' for a leaf).", NULL},
    {"_local", (getter)node_get_local, (setter)node_set_local,
     "The local derivatives (floats), () where masked, or None: ask _vjp.", NULL},
    {"_ctx", (getter)node_get_ctx, (setter)node_set_ctx,
     "None, the operands and parameters, or a hand-written _backward.", NULL},
    {"_scope", (getter)node_get_scope, (setter)node_set_scope, "The name scope.", NULL},
    {NULL},
};

static PyObject *
node_sizeof(NodeObject *n, PyObject *unused)
{
    return PyLong_FromSsize_t(Py_TYPE(n)->tp_basicsize);
}

static PyMethodDef node_methods[] = {
    {"__sizeof__", (PyCFunction)node_sizeof, METH_NOARGS, NULL},
    {NULL},
};

static PyTypeObject NodeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "autograd._native.ValueNode",
    .tp_basicsize = sizeof(NodeObject),
    .tp_dealloc = (destructor)node_dealloc,
    .tp_as_number = &node_as_number,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The native storage of autograd.Value (a scalar graph node).",
    .tp_traverse = (traverseproc)node_traverse,
    .tp_clear = (inquiry)node_tp_clear,
    .tp_methods = node_methods,
    .tp_getset = node_getset,
    .tp_init = (initproc)node_init,
    .tp_new = node_tp_new,
    .tp_free = PyObject_GC_Del,
};

/* ------------------------------------------------------------------------
   The backward pass: autograd._core._run without trace, create_graph or inputs.
   ------------------------------------------------------------------------ */

#include "_native_tensor.h"
#include "_native_kernels.h"

/* numpy's floating-point error state, set to "ignore" for a pass, as np.errstate(all="ignore")
   does (numpy 2 keeps it in a context variable): a rule computes IEEE results (1/0 = inf)
   without warnings. Registered by autograd._core; NULL where numpy keeps it elsewhere. */
static PyObject *quiet_var;   /* numpy's _extobj_contextvar */
static PyObject *quiet_value; /* its value inside np.errstate(all="ignore") */

static PyObject *
quiet_enter(void)
{
    if (quiet_var == NULL) {
        Py_INCREF(Py_None);
        return Py_None;
    }
    return PyContextVar_Set(quiet_var, quiet_value);
}

static void
quiet_exit(PyObject *token)
{
    if (token == NULL)
        return;
    if (token != Py_None) {
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        if (PyContextVar_Reset(quiet_var, token) < 0)
            PyErr_WriteUnraisable(quiet_var);
        PyErr_Restore(type, value, traceback);
    }
    Py_DECREF(token);
}

/* quiet(f, *args): f(*args) inside np.errstate(all="ignore") (the kernels of
   autograd/ops/_math.py that must not warn). */
static PyObject *
quiet_call(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1) {
        PyErr_SetString(PyExc_TypeError, "quiet(f, *args) needs a function");
        return NULL;
    }
    PyObject *token = quiet_enter();
    if (token == NULL)
        return NULL;
    PyObject *result = PyObject_Vectorcall(args[0], args + 1, nargs - 1, NULL);
    quiet_exit(token);
    return result;
}

static PyObject *
set_quiet(PyObject *module, PyObject *args)
{
    PyObject *var, *value;
    if (!PyArg_ParseTuple(args, "OO:set_quiet", &var, &value))
        return NULL;
    if (var == Py_None) {
        Py_CLEAR(quiet_var);
        Py_CLEAR(quiet_value);
        Py_RETURN_NONE;
    }
    if (!PyContextVar_CheckExact(var)) {
        PyErr_SetString(PyExc_TypeError, "set_quiet needs a ContextVar");
        return NULL;
    }
    Py_INCREF(var);
    Py_XSETREF(quiet_var, var);
    Py_INCREF(value);
    Py_XSETREF(quiet_value, value);
    Py_RETURN_NONE;
}

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)0)
#endif

typedef struct {
    PyObject *node;    /* strong reference */
    double old;        /* the grad before the pass (a native node's float) */
    PyObject *old_obj; /* strong reference: the grad before the pass, if not a native float */
    int restored;      /* native node no gradient reached: its grad is `old` again */
} Saved;

typedef struct {
    Saved *items;
    Py_ssize_t size, capacity;
} SavedList;

static int
saved_push(SavedList *s, PyObject *node, double old, PyObject *old_obj)
{
    if (s->size == s->capacity) {
        Py_ssize_t capacity = s->capacity ? 2 * s->capacity : 256;
        if (capacity > INT32_MAX) {
            PyErr_SetString(PyExc_MemoryError, "a graph of more than 2**31 nodes");
            return -1;
        }
        Saved *items = PyMem_Realloc(s->items, capacity * sizeof(Saved));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        s->items = items;
        s->capacity = capacity;
    }
    Py_INCREF(node);
    s->items[s->size++] = (Saved){node, old, old_obj, 0};
    return 0;
}

/* node.grad for a node that is not a ValueNode (a Tensor: its field). */
static PyObject *
other_grad(PyObject *node)
{
    if (IS_TENSOR(node)) {
        PyObject *grad = TENSOR(node)->grad;
        if (grad == NULL)
            return PyObject_GetAttr(node, str_grad); /* unset: AttributeError */
        Py_INCREF(grad);
        return grad;
    }
    return PyObject_GetAttr(node, str_grad);
}

/* node.grad = value for a node that is not a ValueNode (value: borrowed). */
static int
set_other_grad(PyObject *node, PyObject *value)
{
    if (IS_TENSOR(node)) {
        Py_INCREF(value);
        Py_XSETREF(TENSOR(node)->grad, value);
        return 0;
    }
    return PyObject_SetAttr(node, str_grad, value);
}

static int
requires_grad(PyObject *node)
{
    if (Py_TYPE(node) == value_type)
        return 1;
    if (IS_TENSOR(node))
        return TENSOR(node)->requires_grad;
    PyObject *flag = PyObject_GetAttr(node, str_requires_grad);
    if (flag == NULL)
        return -1;
    int truth = PyObject_IsTrue(flag);
    Py_DECREF(flag);
    return truth;
}

/* Python's `node.grad is not UNREACHED`. */
static int
is_reached(PyObject *node)
{
    if (IS_NODE(node))
        return !(NODE(node)->flags & F_UNREACHED);
    if (IS_TENSOR(node) && TENSOR(node)->grad != NULL)
        return TENSOR(node)->grad != unreached;
    PyObject *grad = PyObject_GetAttr(node, str_grad);
    if (grad == NULL)
        return -1;
    int reached = grad != unreached;
    Py_DECREF(grad);
    return reached;
}

static int
push_new_ref(Stack *stack, PyObject *o)
{
    Py_INCREF(o);
    if (stack_push(stack, o) < 0) {
        Py_DECREF(o);
        return -1;
    }
    return 0;
}

static PyObject *EXPANDED = (PyObject *)&EXPANDED; /* a stack marker, never dereferenced */

/* autograd._core._collect: the reachable nodes, parents first, each marked unreached, with
   its grad from before the pass in `saved`. The same order as the Python core's: a native
   parent is pushed whether or not it is marked and skipped when popped, which visits the
   same nodes in the same order as not pushing it. */
static int
collect(PyObject *roots, Stack *order, SavedList *saved)
{
    Stack stack = {0};
    Py_ssize_t nroots = PyTuple_GET_SIZE(roots);
    int status = -1;
    for (Py_ssize_t r = 0; r < nroots; r++) {
        if (push_new_ref(&stack, PyTuple_GET_ITEM(roots, r)) < 0)
            goto done;
        while (stack.size) {
            PyObject *node = stack.items[--stack.size];
            if (node == EXPANDED) {
                /* emit: the reference moves from the stack to the order */
                if (stack_push(order, stack.items[--stack.size]) < 0)
                    goto done;
                continue;
            }
            if (IS_NODE(node)) {
                NodeObject *n = NODE(node);
                if (n->flags & F_UNREACHED) {
                    Py_DECREF(node);
                    continue;
                }
                int rg = requires_grad(node);
                if (rg <= 0) {
                    Py_DECREF(node);
                    if (rg < 0)
                        goto done;
                    continue;
                }
                PyObject *old_obj = NULL;
                if (n->flags & F_GRAD_OBJ) {
                    old_obj = n->grad.o;
                    Py_INCREF(old_obj);
                }
                if (saved_push(saved, node, old_obj ? 0.0 : n->grad.d, old_obj) < 0) {
                    Py_XDECREF(old_obj);
                    Py_DECREF(node);
                    goto done;
                }
                n->saved_index = (int32_t)(saved->size - 1);
                n->flags |= F_UNREACHED; /* the grad field keeps the old value meanwhile */
            }
            else {
                PyObject *old = other_grad(node);
                if (old == NULL) {
                    Py_DECREF(node);
                    goto done;
                }
                int rg = old == unreached ? 0 : requires_grad(node);
                if (rg <= 0) {
                    Py_DECREF(old);
                    Py_DECREF(node);
                    if (rg < 0)
                        goto done;
                    continue;
                }
                if (saved_push(saved, node, 0.0, old) < 0) {
                    Py_DECREF(old);
                    Py_DECREF(node);
                    goto done;
                }
                if (set_other_grad(node, unreached) < 0) {
                    Py_DECREF(node);
                    goto done;
                }
            }
            if (stack_push(&stack, node) < 0) {
                Py_DECREF(node);
                goto done;
            }
            if (stack_push(&stack, EXPANDED) < 0)
                goto done;
            if (IS_NODE(node)) {
                NodeObject *n = NODE(node);
                Py_ssize_t np = node_nprev(n);
                for (Py_ssize_t i = 0; i < np; i++) {
                    PyObject *parent = node_parent(n, i);
                    if (!IS_NODE(parent)) {
                        int reached = is_reached(parent);
                        if (reached < 0)
                            goto done;
                        if (!reached)
                            continue;
                    }
                    else {
                        PREFETCH(parent);
                    }
                    if (push_new_ref(&stack, parent) < 0)
                        goto done;
                }
            }
            else {
                PyObject *prev = IS_TENSOR(node) && TENSOR(node)->prev
                                     ? (Py_INCREF(TENSOR(node)->prev), TENSOR(node)->prev)
                                     : PyObject_GetAttr(node, str_prev);
                if (prev == NULL)
                    goto done;
                PyObject *seq = PySequence_Fast(prev, "_prev must be a sequence");
                Py_DECREF(prev);
                if (seq == NULL)
                    goto done;
                Py_ssize_t np = PySequence_Fast_GET_SIZE(seq);
                for (Py_ssize_t i = 0; i < np; i++) {
                    PyObject *parent = PySequence_Fast_GET_ITEM(seq, i);
                    int reached = is_reached(parent);
                    if (reached < 0 || (reached && push_new_ref(&stack, parent) < 0)) {
                        Py_DECREF(seq);
                        goto done;
                    }
                }
                Py_DECREF(seq);
            }
        }
    }
    status = 0;
done:
    for (Py_ssize_t i = 0; i < stack.size; i++) {
        if (stack.items[i] != EXPANDED)
            Py_DECREF(stack.items[i]);
    }
    PyMem_Free(stack.items);
    return status;
}

/* parent.grad = c if parent.grad is UNREACHED else parent.grad + c  (c: a new reference) */
static int
add_to(PyObject *parent, PyObject *c)
{
    if (IS_NODE(parent)) {
        NodeObject *p = NODE(parent);
        if (p->flags & F_UNREACHED)
            return node_put_grad(p, c);
        if (!(p->flags & F_GRAD_OBJ) && PyFloat_CheckExact(c)) {
            p->grad.d = p->grad.d + PyFloat_AS_DOUBLE(c);
            Py_DECREF(c);
            return 0;
        }
        PyObject *old = stored_grad(p);
        if (old == NULL) {
            Py_DECREF(c);
            return -1;
        }
        PyObject *sum = PyNumber_Add(old, c);
        Py_DECREF(old);
        Py_DECREF(c);
        if (sum == NULL)
            return -1;
        return node_put_grad(p, sum);
    }
    PyObject *old = other_grad(parent);
    if (old == NULL) {
        Py_DECREF(c);
        return -1;
    }
    int status;
    if (old == unreached) {
        status = set_other_grad(parent, c);
    }
    else {
        PyObject *sum = PyNumber_Add(old, c);
        status = sum == NULL ? -1 : set_other_grad(parent, sum);
        Py_XDECREF(sum);
    }
    Py_DECREF(old);
    Py_DECREF(c);
    return status;
}

/* autograd._core._add_contributions */
static int
add_contributions(PyObject *const *parents, Py_ssize_t nparents, PyObject *contributions)
{
    PyObject *seq = PySequence_Fast(contributions, "_vjp must return a sequence");
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (nparents < n)
        n = nparents;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *c = PySequence_Fast_GET_ITEM(seq, i);
        if (c == Py_None)
            continue;
        PyObject *parent = parents[i];
        int rg = requires_grad(parent);
        if (rg < 0)
            goto fail;
        if (!rg)
            continue;
        Py_INCREF(c);
        if (add_to(parent, c) < 0)
            goto fail;
    }
    Py_DECREF(seq);
    return 0;
fail:
    Py_DECREF(seq);
    return -1;
}

/* Whether Tensor nodes may take tensor_vjp(): Tensor._vjp and Tensor._local as defined. */
static int tensor_fast;

static int
check_tensor_fast(void)
{
    tensor_fast = 0;
    if (tensor_type == NULL)
        return 0;
    PyObject *vjp = PyObject_GetAttr((PyObject *)tensor_type, str_vjp);
    PyObject *local = vjp ? PyObject_GetAttr((PyObject *)tensor_type, str_local) : NULL;
    if (local == NULL) {
        Py_XDECREF(vjp);
        return -1;
    }
    tensor_fast = vjp == tensor_vjp_function && local == Py_None;
    Py_DECREF(vjp);
    Py_DECREF(local);
    return 0;
}

/* One node of autograd._core._walk's first-order path (no trace, no create_graph). */
static int
walk_node(PyObject *node, SavedList *saved)
{
    if (IS_NODE(node)) {
        NodeObject *n = NODE(node);
        if (n->flags & F_UNREACHED) {
            /* No gradient reached it and none will (its children are all done): its grad
               field still holds the value from before the pass, so it is restored. */
            n->flags &= ~F_UNREACHED;
            saved->items[n->saved_index].restored = 1;
            return 0;
        }
        if (!(n->flags & (F_GRAD_OBJ | F_PREV_TUPLE)) && n->nlocal >= 0 && n->nlocal <= 2) {
            /* the scalar fast path: parent.grad (+)= local derivative * grad, in doubles */
            int k = n->nlocal < n->nprev ? n->nlocal : n->nprev;
            double g = n->grad.d;
            for (int i = 0; i < k; i++) {
                PyObject *parent = n->prev[i];
                double c = n->local.d[i] * g;
                if (IS_NODE(parent) && !(NODE(parent)->flags & F_GRAD_OBJ)) {
                    NodeObject *p = NODE(parent);
                    if (p->flags & F_UNREACHED) {
                        p->grad.d = c;
                        p->flags &= ~F_UNREACHED;
                    }
                    else {
                        p->grad.d = p->grad.d + c;
                    }
                }
                else {
                    PyObject *co = PyFloat_FromDouble(c);
                    if (co == NULL || add_to(parent, co) < 0)
                        return -1;
                }
            }
            return 0;
        }
        if (node_nprev(n) == 0)
            return 0;
    }
    else if (IS_TENSOR(node) && tensor_fast) {
        /* Tensor._vjp in C (autograd/_native_tensor.h), the class's _local being None */
        TensorObject *t = TENSOR(node);
        PyObject *grad = t->grad, *prev = t->prev;
        if (grad == NULL || prev == NULL) {
            PyErr_SetString(PyExc_AttributeError, "a Tensor node without grad or _prev");
            return -1;
        }
        if (grad == unreached || PyTuple_GET_SIZE(prev) == 0)
            return 0;
        Py_INCREF(grad);
        Py_INCREF(prev);
        PyObject *contributions = tensor_vjp(t, grad);
        int status = contributions == NULL
                         ? -1
                         : add_contributions(&PyTuple_GET_ITEM(prev, 0), PyTuple_GET_SIZE(prev),
                                             contributions);
        Py_XDECREF(contributions);
        Py_DECREF(prev);
        Py_DECREF(grad);
        return status;
    }
    PyObject *grad = IS_NODE(node) ? node_get_grad_object(NODE(node)) : other_grad(node);
    if (grad == NULL)
        return -1;
    int status = -1;
    PyObject *holder = NULL, *local = NULL;
    if (grad == unreached) {
        status = 0;
        goto done;
    }
    /* The Python code below (_vjp, a hand-written _backward) could change the node's
       parents: keep a tuple of them, as the Python core keeps `prev = node._prev`. */
    PyObject *prev = IS_NODE(node) ? node_get_prev(NODE(node), NULL)
                                   : PyObject_GetAttr(node, str_prev);
    if (prev == NULL)
        goto done;
    holder = PySequence_Fast(prev, "_prev must be a sequence");
    Py_DECREF(prev);
    if (holder == NULL)
        goto done;
    Py_ssize_t np = PySequence_Fast_GET_SIZE(holder);
    PyObject *const *parents = PySequence_Fast_ITEMS(holder);
    if (np == 0) {
        status = 0;
        goto done;
    }
    local = PyObject_GetAttr(node, str_local);
    if (local == NULL)
        goto done;
    if (local != Py_None) {
        /* for parent, derivative in zip(prev, local): parent.grad (+)= derivative * grad */
        PyObject *iter = PyObject_GetIter(local);
        if (iter == NULL)
            goto done;
        for (Py_ssize_t i = 0; i < np; i++) {
            PyObject *d = PyIter_Next(iter);
            if (d == NULL) {
                if (PyErr_Occurred()) {
                    Py_DECREF(iter);
                    goto done;
                }
                break;
            }
            PyObject *c = PyNumber_Multiply(d, grad);
            Py_DECREF(d);
            if (c == NULL || add_to(parents[i], c) < 0) {
                Py_DECREF(iter);
                goto done;
            }
        }
        Py_DECREF(iter);
        status = 0;
        goto done;
    }
    PyObject *contributions = PyObject_CallMethodOneArg(node, str_vjp, grad);
    if (contributions == NULL)
        goto done;
    status = add_contributions(parents, np, contributions);
    Py_DECREF(contributions);
done:
    Py_XDECREF(local);
    Py_XDECREF(holder);
    Py_DECREF(grad);
    return status;
}

/* Every grad as it was before the pass (a rule or the final accumulation raised). */
static void
restore_all(SavedList *saved)
{
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    for (Py_ssize_t i = 0; i < saved->size; i++) {
        Saved *s = &saved->items[i];
        if (IS_NODE(s->node)) {
            NodeObject *n = NODE(s->node);
            if (s->old_obj) {
                PyObject *old = (n->flags & F_GRAD_OBJ) ? n->grad.o : NULL;
                Py_INCREF(s->old_obj);
                n->grad.o = s->old_obj;
                n->flags |= F_GRAD_OBJ;
                Py_XDECREF(old);
            }
            else {
                node_put_double(n, s->old);
            }
            n->flags &= ~F_UNREACHED;
        }
        else if (set_other_grad(s->node, s->old_obj) < 0) {
            PyErr_WriteUnraisable(s->node);
        }
    }
    PyErr_Restore(type, value, traceback);
}

/* autograd._core._run's final loop: add each earlier gradient back (PyTorch's accumulation).
   A native node whose earlier grad was the float 0.0 is final already (and not touched). */
static int
accumulate_all(SavedList *saved)
{
    for (Py_ssize_t i = 0; i < saved->size; i++) {
        Saved *s = &saved->items[i];
        PyObject *node = s->node;
        if (IS_NODE(node)) {
            if (s->restored || (s->old_obj == NULL && s->old == 0.0) || s->old_obj == Py_None)
                continue;
            NodeObject *n = NODE(node);
            if (s->old_obj == NULL && !(n->flags & F_GRAD_OBJ)) {
                n->grad.d = s->old + n->grad.d;
                continue;
            }
            PyObject *old = s->old_obj ? (Py_INCREF(s->old_obj), s->old_obj)
                                       : PyFloat_FromDouble(s->old);
            PyObject *new = old ? stored_grad(n) : NULL;
            PyObject *sum = new ? PyObject_CallFunctionObjArgs(py_accumulate, node, old, new, NULL)
                                : NULL;
            Py_XDECREF(old);
            Py_XDECREF(new);
            if (sum == NULL || node_put_grad(n, sum) < 0)
                return -1;
            continue;
        }
        PyObject *new = other_grad(node);
        if (new == NULL)
            return -1;
        PyObject *old = s->old_obj;
        int status = 0;
        if (new == unreached) {
            status = set_other_grad(node, old);
        }
        else if (old != Py_None && !(PyFloat_CheckExact(old) && PyFloat_AS_DOUBLE(old) == 0.0)) {
            PyObject *sum = PyObject_CallFunctionObjArgs(py_accumulate, node, old, new, NULL);
            status = sum == NULL ? -1 : set_other_grad(node, sum);
            Py_XDECREF(sum);
        }
        Py_DECREF(new);
        if (status < 0)
            return -1;
    }
    return 0;
}

#define WALK_AHEAD 16

static PyObject *
backward_pass(PyObject *module, PyObject *args)
{
    PyObject *roots, *grads;
    if (!PyArg_ParseTuple(args, "O!O!:backward_pass", &PyTuple_Type, &roots, &PyTuple_Type,
                          &grads))
        return NULL;
    if (value_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "autograd._native is not registered");
        return NULL;
    }
    if (PyTuple_GET_SIZE(roots) != PyTuple_GET_SIZE(grads)) {
        PyErr_SetString(PyExc_ValueError, "backward_pass: roots and grads differ in length");
        return NULL;
    }
    /* as _core.gc_paused() and np.errstate(all="ignore") around the Python core's pass */
    int gc_was_enabled = PyGC_Disable();
    PyObject *token = quiet_enter();
    if (token == NULL) {
        if (gc_was_enabled)
            PyGC_Enable();
        return NULL;
    }
    Stack order = {0};
    SavedList saved = {0};
    int status = check_tensor_fast();
    if (status == 0)
        status = collect(roots, &order, &saved);
    if (status == 0) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(roots); i++) {
            PyObject *g = PyTuple_GET_ITEM(grads, i);
            Py_INCREF(g);
            if (add_to(PyTuple_GET_ITEM(roots, i), g) < 0) {
                status = -1;
                break;
            }
        }
    }
    if (status == 0) {
        PyObject **items = order.items;
        for (Py_ssize_t i = order.size - 1; i >= 0; i--) {
            /* Hide memory latency: load the nodes a few steps ahead, then their parents. */
            if (i >= WALK_AHEAD)
                PREFETCH(items[i - WALK_AHEAD]);
            if (i >= WALK_AHEAD / 2) {
                PyObject *ahead = items[i - WALK_AHEAD / 2];
                if (Py_TYPE(ahead) == value_type) {
                    PREFETCH(NODE(ahead)->prev[0]);
                    PREFETCH(NODE(ahead)->prev[1]);
                }
            }
            if (walk_node(items[i], &saved) < 0) {
                status = -1;
                break;
            }
        }
    }
    if (status == 0)
        status = accumulate_all(&saved);
    if (status < 0)
        restore_all(&saved); /* all or nothing: every grad as it was */
    for (Py_ssize_t i = 0; i < order.size; i++)
        Py_DECREF(order.items[i]);
    PyMem_Free(order.items);
    for (Py_ssize_t i = 0; i < saved.size; i++) {
        Py_DECREF(saved.items[i].node);
        Py_XDECREF(saved.items[i].old_obj);
    }
    PyMem_Free(saved.items);
    quiet_exit(token);
    if (gc_was_enabled)
        PyGC_Enable();
    if (status < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------
   Module functions
   ------------------------------------------------------------------------ */

static PyObject *
register_engine(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"value_type", "unreached", "as_float", "as_param", "accumulate",
                             NULL};
    PyObject *type, *unr, *af, *ap, *acc;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OOOO:register", kwlist, &PyType_Type, &type,
                                     &unr, &af, &ap, &acc))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)type, &NodeType)) {
        PyErr_SetString(PyExc_TypeError, "value_type must subclass ValueNode");
        return NULL;
    }
    if (((PyTypeObject *)type)->tp_basicsize != NodeType.tp_basicsize ||
        ((PyTypeObject *)type)->tp_dictoffset != 0) {
        PyErr_SetString(PyExc_TypeError, "value_type must add no instance attributes "
                                         "(__slots__ = ())");
        return NULL;
    }
    PyObject *records = PyTuple_New(N_OPS);
    if (records == NULL)
        return NULL;
    for (int i = 0; i < N_OPS; i++) {
        Py_INCREF(Py_None);
        PyTuple_SET_ITEM(records, i, Py_None);
    }
    Py_INCREF(type);
    Py_XSETREF(value_type, (PyTypeObject *)type);
    Py_INCREF(unr);
    Py_XSETREF(unreached, unr);
    Py_INCREF(af);
    Py_XSETREF(py_as_float, af);
    Py_INCREF(ap);
    Py_XSETREF(py_as_param, ap);
    Py_INCREF(acc);
    Py_XSETREF(py_accumulate, acc);
    Py_XSETREF(op_records, records);
    Py_RETURN_NONE;
}

/* bind_op(name, record): the Op record nodes of this op carry (None: do not use the op). */
static PyObject *
bind_op(PyObject *module, PyObject *args)
{
    const char *name;
    PyObject *record;
    if (!PyArg_ParseTuple(args, "sO:bind_op", &name, &record))
        return NULL;
    if (op_records == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "autograd._native is not registered");
        return NULL;
    }
    for (int i = 0; i < N_OPS; i++) {
        if (strcmp(OP_SPECS[i].name, name) == 0) {
            PyObject *old = PyTuple_GET_ITEM(op_records, i);
            Py_INCREF(record);
            PyTuple_SET_ITEM(op_records, i, record);
            Py_DECREF(old);
            Py_RETURN_NONE;
        }
    }
    PyErr_Format(PyExc_KeyError, "no native op %s", name);
    return NULL;
}

static PyObject *
native_op_functions(PyObject *module, PyObject *unused)
{
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    for (int i = 0; i < N_OPS; i++) {
        PyObject *item = Py_BuildValue("(ss)", OP_SPECS[i].method, OP_SPECS[i].fingerprint);
        if (item == NULL || PyDict_SetItemString(out, OP_SPECS[i].name, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(item);
    }
    return out;
}

/* call_op(name, *args): the op applied as Op.__call__ does for Values (either side). */
static PyObject *
call_op(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 2 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "call_op(name, *operands_and_params)");
        return NULL;
    }
    const char *name = PyUnicode_AsUTF8(args[0]);
    if (name == NULL)
        return NULL;
    for (int i = 0; i < N_OPS; i++) {
        if (strcmp(OP_SPECS[i].name, name) != 0)
            continue;
        if (OP_SPECS[i].ninputs == 2) {
            if (nargs != 3) {
                PyErr_Format(PyExc_TypeError, "%s takes 2 operands", name);
                return NULL;
            }
            return binary(i, args[1], args[2]);
        }
        double p[1] = {0.0};
        if (OP_SPECS[i].nparams && parse_param(i, args + 2, nargs - 2, NULL, p) < 0)
            return NULL;
        if (!OP_SPECS[i].nparams && nargs != 2) {
            PyErr_Format(PyExc_TypeError, "%s takes 1 operand", name);
            return NULL;
        }
        return unary(i, args[1], p);
    }
    PyErr_Format(PyExc_KeyError, "no native op %s", name);
    return NULL;
}

/* kernel(name, *xs): a C kernel, for the tests comparing it with the Python one. */
static PyObject *
kernel(PyObject *module, PyObject *args)
{
    const char *name;
    double x, y = 0.0;
    if (!PyArg_ParseTuple(args, "sd|d:kernel", &name, &x, &y))
        return NULL;
    static const struct {
        const char *name;
        double (*f1)(double);
        double (*f2)(double, double);
    } table[] = {
        {"divide", NULL, k_divide}, {"power", NULL, k_power}, {"exp", k_exp, NULL},
        {"log", k_log, NULL},       {"log1p", k_log1p, NULL}, {"sqrt", k_sqrt, NULL},
        {"tanh", k_tanh, NULL},     {"sin", k_sin, NULL},     {"cos", k_cos, NULL},
        {"tan", k_tan, NULL},       {"abs", k_abs, NULL},     {"sign", k_sign, NULL},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(table[i].name, name) == 0)
            return PyFloat_FromDouble(table[i].f1 ? table[i].f1(x) : table[i].f2(x, y));
    }
    PyErr_Format(PyExc_KeyError, "no kernel %s", name);
    return NULL;
}

/* is_tracked(node): whether the cyclic GC tracks it (for the tests). */
static PyObject *
is_tracked(PyObject *module, PyObject *o)
{
    return PyBool_FromLong(PyObject_GC_IsTracked(o));
}

/* subtract_scaled(x, g, lr): x -= lr * g in place, in one pass with no temporary, where x
   and g are C-contiguous arrays of the same float32 or float64 format and size; returns
   False (and changes nothing) otherwise. The same IEEE operations as numpy's
   `x -= lr * g` (lr rounded to x's type first, as NEP 50 does for a Python float; no fused
   multiply-add): bit-identical results. optim.SGD's plain update uses it. */
static PyObject *
subtract_scaled(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "subtract_scaled(x, g, lr) takes 3 arguments");
        return NULL;
    }
    double lr = PyFloat_AsDouble(args[2]);
    if (lr == -1.0 && PyErr_Occurred())
        return NULL;
    Py_buffer xb, gb;
    if (PyObject_GetBuffer(args[0], &xb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        PyErr_Clear();
        Py_RETURN_FALSE;
    }
    if (PyObject_GetBuffer(args[1], &gb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        PyBuffer_Release(&xb);
        Py_RETURN_FALSE;
    }
    int ok = xb.len == gb.len && xb.itemsize == gb.itemsize && xb.format && gb.format &&
             strcmp(xb.format, gb.format) == 0 &&
             ((char *)xb.buf + xb.len <= (char *)gb.buf || (char *)gb.buf + gb.len <= (char *)xb.buf) &&
             (strcmp(xb.format, "f") == 0 || strcmp(xb.format, "d") == 0);
    if (ok) {
        Py_ssize_t n = xb.len / xb.itemsize;
        Py_BEGIN_ALLOW_THREADS
        if (xb.itemsize == 4) {
            float *x = (float *)xb.buf;
            const float *g = (const float *)gb.buf;
            const float l = (float)lr;
            for (Py_ssize_t i = 0; i < n; i++) {
                const float step = g[i] * l;
                x[i] = x[i] - step;
            }
        }
        else {
            double *x = (double *)xb.buf;
            const double *g = (const double *)gb.buf;
            for (Py_ssize_t i = 0; i < n; i++) {
                const double step = g[i] * lr;
                x[i] = x[i] - step;
            }
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&gb);
    PyBuffer_Release(&xb);
    return PyBool_FromLong(ok);
}

static PyMethodDef module_methods[] = {
    {"subtract_scaled", (PyCFunction)(void (*)(void))subtract_scaled, METH_FASTCALL,
     "subtract_scaled(x, g, lr): x -= lr * g in place without a temporary (float32/float64, "
     "C-contiguous, same dtype); False if not applicable."},
    {"register", (PyCFunction)(void (*)(void))register_engine, METH_VARARGS | METH_KEYWORDS,
     "register(value_type, unreached, as_float, as_param, accumulate): bind the engine."},
    {"bind_op", bind_op, METH_VARARGS,
     "bind_op(name, record): the Op record of a native op (None: do not use it)."},
    {"backward_pass", backward_pass, METH_VARARGS,
     "backward_pass(roots, grads): one backward pass (no trace, no create_graph), with the "
     "cyclic collector paused and numpy's floating-point warnings off (once set_quiet ran)."},
    {"native_ops", native_op_functions, METH_NOARGS,
     "{name: (method, fingerprint)} for each op compiled into this build."},
    {"call_op", (PyCFunction)(void (*)(void))call_op, METH_FASTCALL,
     "call_op(name, *operands_and_params): apply a native op."},
    {"kernel", kernel, METH_VARARGS, "kernel(name, x[, y]): evaluate a C kernel."},
    {"register_tensor", (PyCFunction)(void (*)(void))register_tensor,
     METH_VARARGS | METH_KEYWORDS, "register_tensor(...): bind autograd.Tensor to TensorNode."},
    {"tensor_node", (PyCFunction)(void (*)(void))tensor_node, METH_FASTCALL,
     "tensor_node(data, prev, op, args, params): an op's output Tensor (autograd.tensor._node)."},
    {"tensor_plain", tensor_plain, METH_O,
     "tensor_plain(data): a Tensor that records no graph (autograd.tensor._plain)."},
    {"tensor_vjp", tensor_vjp_entry, METH_VARARGS, "tensor_vjp(node, grad): Tensor._vjp in C."},
    {"tensor_unary", (PyCFunction)(void (*)(void))tensor_unary, METH_FASTCALL,
     "tensor_unary(op, x, params=()): autograd.tensor._unary."},
    {"tensor_binary", (PyCFunction)(void (*)(void))tensor_binary, METH_FASTCALL,
     "tensor_binary(op, x, y): autograd.tensor._binary."},
    {"tensor_apply", (PyCFunction)(void (*)(void))tensor_apply, METH_FASTCALL,
     "tensor_apply(op, inputs, params=()): autograd.tensor.apply."},
    {"quiet", (PyCFunction)(void (*)(void))quiet_call, METH_FASTCALL,
     "quiet(f, *args): f(*args) with numpy's floating-point warnings off."},
    {"set_quiet", set_quiet, METH_VARARGS,
     "set_quiet(contextvar, value): numpy's error-state variable and its 'ignore' value."},
    {"is_tracked", is_tracked, METH_O, "Whether the cyclic garbage collector tracks o."},
    KERNEL_METHODS
    {NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "autograd._native",
    .m_doc = "chainrule's native core: Value storage and ops, the backward walk.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    import_array(); /* numpy's C API (returns NULL with ImportError set when it fails) */
    I_ADD = spec_index("__add__");
    I_SUB = spec_index("__sub__");
    I_MUL = spec_index("__mul__");
    I_DIV = spec_index("__truediv__");
    I_POW = spec_index("__pow__");
    I_NEG = spec_index("__neg__");
    I_ABS = spec_index("abs");
    if (PyType_Ready(&StateType) < 0 || PyType_Ready(&OpMethodType) < 0 ||
        PyType_Ready(&NodeType) < 0 || PyType_Ready(&ScopeType) < 0 || tensor_module_init() < 0)
        return NULL;
    /* The named op methods (tanh, exp, ...), one descriptor each. */
    for (int i = 0; i < N_OPS; i++) {
        const char *method = OP_SPECS[i].method;
        if (OP_SPECS[i].ninputs != 1 || strncmp(method, "__", 2) == 0)
            continue;
        PyObject *m = make_opmethod(i);
        if (m == NULL || PyDict_SetItemString(NodeType.tp_dict, method, m) < 0) {
            Py_XDECREF(m);
            return NULL;
        }
        Py_DECREF(m);
    }
    PyType_Modified(&NodeType);
    empty_tuple = PyTuple_New(0);
    empty_string = PyUnicode_FromString("");
    scope_cache = PyDict_New();
    if (scope_cache == NULL)
        return NULL;
    str_grad = PyUnicode_InternFromString("grad");
    str_prev = PyUnicode_InternFromString("_prev");
    str_requires_grad = PyUnicode_InternFromString("_requires_grad");
    str_local = PyUnicode_InternFromString("_local");
    str_vjp = PyUnicode_InternFromString("_vjp");
    if (!empty_tuple || !empty_string || !str_grad || !str_prev || !str_requires_grad ||
        !str_local || !str_vjp)
        return NULL;
    PyObject *m = PyModule_Create(&native_module);
    if (m == NULL)
        return NULL;
    native_node_fn = PyObject_GetAttrString(m, "tensor_node");
    native_plain_fn = PyObject_GetAttrString(m, "tensor_plain");
    if (native_node_fn == NULL || native_plain_fn == NULL) {
        Py_DECREF(m);
        return NULL;
    }
    PyObject *state = PyObject_New(PyObject, &StateType);
    if (state == NULL || PyModule_AddObject(m, "thread_state", state) < 0) {
        Py_XDECREF(state);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&NodeType);
    Py_INCREF(&ScopeType);
    Py_INCREF(&TensorNodeType);
    if (PyModule_AddObject(m, "ValueNode", (PyObject *)&NodeType) < 0 ||
        PyModule_AddObject(m, "TensorNode", (PyObject *)&TensorNodeType) < 0 ||
        PyModule_AddObject(m, "name_scope", (PyObject *)&ScopeType) < 0 ||
        PyModule_AddIntConstant(m, "ABI_VERSION", ABI_VERSION) < 0 ||
        PyModule_AddStringConstant(m, "CGEN_VERSION", CGEN_VERSION) < 0 ||
        PyModule_AddIntConstant(m, "NODE_BYTES", (long)sizeof(NodeObject)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
