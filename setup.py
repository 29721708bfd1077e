"""Build the optional native core (``autograd._native``); everything else is in pyproject.toml.

The extension is *optional*: where no C compiler exists (or the build fails)
setuptools prints a warning and installs the pure-Python engine, which is the
readable reference and gives the same results bit for bit. At run time
``CHAINRULE_NO_EXTENSION=1`` selects the pure-Python engine even when the
extension is built; ``python -m autograd`` says which one is active.
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

try:  # the extension reads arrays through numpy's C API (a build requirement in pyproject.toml)
    import numpy
except ImportError:  # no numpy to build against: the pure-Python engine only
    numpy = None


class BuildExt(build_ext):
    """Compile with no fused multiply-add contraction: IEEE results equal to Python's floats."""

    def build_extensions(self) -> None:
        if self.compiler.compiler_type == "unix":
            for ext in self.extensions:
                ext.extra_compile_args = [*ext.extra_compile_args, "-ffp-contract=off"]
        super().build_extensions()


setup(
    ext_modules=[
        Extension(
            "autograd._native",
            sources=["autograd/_native.c"],
            include_dirs=[numpy.get_include()],
            depends=[
                "autograd/_native_ops.h",
                "autograd/_native_tensor.h",
                "autograd/_native_kernels.h",
            ],
            optional=True,
        )
    ]
    if numpy is not None
    else [],
    cmdclass={"build_ext": BuildExt},
)
