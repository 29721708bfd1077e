"""Generate the native extension's Value ops from the op registry: the C twin of ``value_source``.

Each elementwise op of :data:`autograd.ops.REGISTRY` that works on ``Value``
is traced once more, on the same :class:`~autograd.ops._codegen.Tracer` as
the Python methods, but written in the C dialect: ``1 - out * out`` becomes
``const double d2 = 1.0 - d1;``, a kernel call ``_k_exp(x0)`` becomes
``k_exp(x0)`` (a C function of ``autograd/_native.c`` with the same IEEE
results as the Python kernel), ``m.masked`` a selection. The formulas exist
once, in the registry; this module only writes them down again in C.

The output, ``autograd/_native_ops.h``, is committed (so building needs no
Python imports) and a test checks that it is what this generator writes for
today's registry. Regenerate it after changing an op::

    python -m autograd._cgen          # rewrites autograd/_native_ops.h

Each op also gets a *fingerprint* (a hash of the Python source it compiles
to, see :func:`fingerprint`). The extension carries the fingerprints it was
built with; at import the engine uses a native op only where the fingerprint
still matches the registry, so a stale build never computes an old formula.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from .ops import REGISTRY, Op, _codegen
from .value import _local_parts, _prune, _trace, value_source

__all__ = ["GENERATOR_VERSION", "c_source", "fingerprint", "generate", "native_ops"]

# Bump when the C this module writes changes for the same Python source.
GENERATOR_VERSION = "1"
HEADER = Path(__file__).with_name("_native_ops.h")

_C = _codegen.C


class GenerationError(ValueError):
    """An op has no C form here (it stays on the Python path, same results)."""


def fingerprint(op: Op) -> str:
    """A hash of what ``op`` compiles to: the C build and the registry agree iff it matches."""
    text = f"{GENERATOR_VERSION}\n{op.name}\n{op.method}\n{op.params}\n{value_source(op)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def native_ops() -> list[Op]:
    """The registry's ops that get a C implementation, in registry order."""
    ops = []
    for op in REGISTRY.values():
        if "value" not in op.engines or op.method is None:
            continue
        try:
            _functions(op)
        except (GenerationError, _codegen.TraceError):
            continue
        ops.append(op)
    return ops


def _record(parts: list[tuple[str, str | None]], operands: list[str], ctx: str) -> list[str]:
    """C statements storing parents, op, local derivatives and constant of a recorded node."""
    link = f"node_link{len(operands)}(node, {', '.join(operands)}, OP_INDEX);"
    lines = [link, *([ctx] if ctx else [])]
    if len(parts) == 1:
        ((src, cond),) = parts
        if not src:
            return lines  # no gradient flows: _local stays () (the default)
        if cond is None:
            return [*lines, f"local1(node, {src});"]
        return [*lines, f"if ({cond})", f"    local1(node, {src});"]
    if any(not src for src, _ in parts):
        return [*lines, "local_none(node);"]
    conds = [c for _, c in parts if c is not None]
    store = f"local2(node, {parts[0][0]}, {parts[1][0]});"
    if not conds:
        return [*lines, store]
    return [*lines, f"if ({' && '.join(conds)})", f"    {store}", "else", "    local_none(node);"]


def _declare(tracer_kinds: dict[str, str], line: str) -> str:
    name, expression = line.split(" = ", 1)
    ctype = "int" if tracer_kinds.get(name) == "b" else "double"
    return f"const {ctype} {name} = {expression};"


def _variant(op: Op, kinds: str) -> list[str]:
    """The body of one variant: 'n' (a Value ``a<i>``) or 'c' (a double ``x<i>``) per input."""
    tracer = _codegen.Tracer("t", _C)
    forward_lines, out_src, derivative_lines, ds = _trace(op, kinds, _C, tracer)
    nodes = [i for i, k in enumerate(kinds) if k == "n"]
    parts = [_local_parts(ds[i], _C) for i in nodes]
    constants = [i for i, k in enumerate(kinds) if k == "c"]
    if len(constants) + len(op.params) > 1:
        raise GenerationError(f"{op.name}: more than one constant or parameter per node")
    if constants:
        ctx = f"ctx_constant(node, {constants[0]}, x{constants[0]});"
    elif op.params:
        ctx = "ctx_constant(node, 1, p0);"
    else:
        ctx = ""
    record = _record(parts, [f"a{i}" for i in nodes], ctx)
    uses = "\n".join(record)
    derivative_lines = _prune(derivative_lines, uses)
    kinds_of = tracer.kinds
    return [
        *(f"const double x{i} = NODE_DATA(a{i});" for i in nodes),
        *(f"const double p{j} = p[{j}];" for j in range(len(op.params))),
        *(_declare(kinds_of, line) for line in forward_lines),
        f"NodeObject *node = node_new({out_src});",
        "if (node == NULL)",
        "    return NULL;",
        "if (grad_enabled()) {",
        *(f"    {_declare(kinds_of, line)}" for line in derivative_lines),
        *(f"    {line}" for line in record),
        "}",
        "return (PyObject *)node;",
    ]


def _signature(op: Op, kinds: str) -> str:
    args = [f"PyObject *a{i}" if k == "n" else f"double x{i}" for i, k in enumerate(kinds)]
    return f"static PyObject *\nop_{op.name}_{kinds}({', '.join([*args, 'const double *p'])})"


def _functions(op: Op) -> list[tuple[str, list[str]]]:
    n = len(op.inputs)
    if n not in (1, 2) or len(op.params) > 1:
        raise GenerationError(f"{op.name}: {n} inputs, {len(op.params)} params")
    for p in op.params:
        if not isinstance(op.defaults.get(p, 0.0), float | int) or isinstance(
            op.defaults.get(p), bool
        ):
            raise GenerationError(f"{op.name}: parameter {p} has no numeric default")
    variants = ["n"] if n == 1 else ["nn", "nc", "cn"]
    return [(kinds, _variant(op, kinds)) for kinds in variants]


def c_source(op: Op) -> str:
    """The C functions generated for ``op`` (one per way its operands are Values or numbers)."""
    index = f"OPI_{op.name.upper()}"
    blocks = [f"/* {op.name}: {op.doc.splitlines()[0] if op.doc else ''} */", "#undef OP_INDEX",
              f"#define OP_INDEX {index}"]
    for kinds, body in _functions(op):
        blocks.append(_signature(op, kinds) + "\n{\n" + "\n".join(f"    {b}" for b in body) + "\n}")
    return "\n".join(blocks) + "\n"


def _spec(op: Op) -> str:
    n = len(op.inputs)
    names = {"n": "NULL", "nn": "NULL", "nc": "NULL", "cn": "NULL"}
    for kinds in (["n"] if n == 1 else ["nn", "nc", "cn"]):
        names[kinds] = f"op_{op.name}_{kinds}"
    if op.params:
        (param,) = op.params
        has_default = param in op.defaults
        default = float(op.defaults[param]) if has_default else 0.0
        param_c, default_c = f'"{param}"', _codegen._c_literal(default)
    else:
        param_c, default_c, has_default = "NULL", "0.0", False
    return (
        f'    {{"{op.name}", "{op.method}", {n}, {len(op.params)}, {param_c}, {default_c}, '
        f"{int(has_default)}, {names['n']}, {names['nn']}, {names['nc']}, {names['cn']}, "
        f'"{fingerprint(op)}"}},'
    )


def generate() -> str:
    """The whole of ``autograd/_native_ops.h`` for today's registry."""
    ops = native_ops()
    parts = [
        "/* Generated by `python -m autograd._cgen` from the op registry (autograd/ops): do not",
        "   edit. Each function is one op's forward and local derivatives, traced from its",
        "   record as the Python Value methods are (autograd.value.value_source). */",
        "",
        f'#define CGEN_VERSION "{GENERATOR_VERSION}"',
        "",
        "enum {",
        *(f"    OPI_{op.name.upper()}," for op in ops),
        "    N_OPS",
        "};",
        "",
    ]
    parts.extend(c_source(op) for op in ops)
    parts += [
        "#undef OP_INDEX",
        "",
        "static const OpSpec OP_SPECS[N_OPS] = {",
        *(_spec(op) for op in ops),
        "};",
        "",
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) ``autograd/_native_ops.h``."""
    args = sys.argv[1:] if argv is None else argv
    text = generate()
    if "--check" in args:
        current = HEADER.read_text() if HEADER.exists() else ""
        if current != text:
            print(f"{HEADER} is out of date: run python -m autograd._cgen", file=sys.stderr)
            return 1
        return 0
    HEADER.write_text(text)
    print(f"wrote {HEADER} ({len(native_ops())} ops)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
