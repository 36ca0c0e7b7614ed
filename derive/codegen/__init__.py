"""Code generation: kernel specs → CSE'd kernels → C99 and numpy, from derivation results."""
from __future__ import annotations

from collections.abc import Callable

from derive.codegen import kernels, pipeline
from derive.codegen.c import render as c
from derive.codegen.numpy import render as numpy

LANGUAGES = ("c", "numpy")
DEFAULT_PREFIX = {"c": "derive_", "numpy": ""}


def kernel_names() -> frozenset[str]:
    """The public functions of the generated numpy module, from the specs it is printed from."""
    return frozenset(name for spec in kernels.SPECS for name in (
        (spec.name, f"{spec.name}_tril") if spec.reduction == "cholesky" else (spec.name,)))


def render(language: str, prefix: str | None = None, names: list[str] | None = None,
           progress: Callable[[str], None] = lambda _: None) -> dict[str, str]:
    """``{file name: text}`` for the kernels ``names`` (all by default) in ``language``.

    Raises ``kernels.UnknownKernel`` (a KeyError) for an unknown kernel and ``ValueError`` for
    a bad prefix.
    """
    prefix = DEFAULT_PREFIX[language] if prefix is None else prefix
    backend = {"c": c, "numpy": numpy}[language]
    backend.check_prefix(prefix)
    selected = kernels.select(names)
    built = []
    for index, spec in enumerate(selected, 1):
        progress(f"[{index}/{len(selected)}] {spec.name} (from {spec.derivation})")
        built.append(pipeline.build(spec))
    return backend.render(built, prefix)
