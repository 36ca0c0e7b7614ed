"""Code generation: kernel specs → CSE'd kernels → C99 and numpy, from derivation results."""
from __future__ import annotations

from derive.codegen import kernels, pipeline
from derive.codegen.c import render as c
from derive.codegen.numpy import render as numpy

LANGUAGES = ("c", "numpy")
DEFAULT_PREFIX = {"c": "derive_", "numpy": ""}


def kernel_names() -> frozenset[str]:
    """The public functions of the generated numpy module, from the specs it is printed from."""
    return frozenset(name for spec in kernels.SPECS for name in (
        (spec.name, f"{spec.name}_tril") if spec.reduction == "cholesky" else (spec.name,)))


def render(language: str, prefix: str | None = None, names: list[str] | None = None) -> dict[str, str]:
    """``{file name: text}`` for the kernels ``names`` (all by default) in ``language``.

    Raises ``kernels.UnknownKernel`` (a KeyError) for an unknown kernel and ``ValueError`` for
    a bad prefix.
    """
    prefix = DEFAULT_PREFIX[language] if prefix is None else prefix
    backend = {"c": c, "numpy": numpy}[language]
    backend.check_prefix(prefix)
    built = [pipeline.build(spec) for spec in kernels.select(names)]
    return backend.render(built, prefix)
