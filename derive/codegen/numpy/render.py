"""numpy backend: one self-contained module (it imports numpy only)."""
from __future__ import annotations

import keyword
import unicodedata

import sympy as sp

from derive.codegen.numpy.inplace import Call, InplaceEmitter
from derive.codegen.numpy.printer import KernelNumPyPrinter
from derive.codegen.spec import Kernel
from derive.provenance import header, template
from derive.engine.special import SPECIAL_FUNCTIONS, ScaleTerm, SpecialFunction

def _template(name: str):
    return template("derive.codegen.numpy", name)


MAX_PREFIX = 64
"""Longer prefixes serve no one, and ``<prefix>...`` names stay readable."""


def check_prefix(prefix: str) -> None:
    """A prefix must start a Python identifier that Python keeps as written: names are NFKC-normalised
    when parsed, so ``ﬁ_`` would define ``fi_...`` while ``__all__`` lists ``ﬁ_...``."""
    if len(prefix) > MAX_PREFIX:
        raise ValueError(f"prefix is {len(prefix)} characters; at most {MAX_PREFIX}")
    if prefix and not (prefix + "x").isidentifier() or keyword.iskeyword(prefix):
        raise ValueError(f"prefix {prefix!r} is not the start of a Python identifier")
    if unicodedata.normalize("NFKC", prefix) != prefix:
        raise ValueError(f"prefix {prefix!r} is not NFKC-normalised: Python would read it as "
                         f"{unicodedata.normalize('NFKC', prefix)!r}")


def _indented(lines: tuple[str, ...], indent: str = "    ") -> str:
    return "".join(f"{indent}{line}\n" for line in lines)


def _helper(function: type[SpecialFunction], printer: KernelNumPyPrinter) -> tuple[str, int]:
    """The helper's text and how many scratch buffers it needs."""
    near_reads = [s for s, _ in function.far_locals
                  if function.near.has(s) or any(v.has(s) for _, v in function.near_locals)]
    keep = near_reads + [s for s, _ in function.far_locals if function.selector.has(s)]  # read after far
    far, _ = InplaceEmitter(printer, {}).emit(function.far_locals, function.far, "out", keep=keep)
    near, _ = InplaceEmitter(printer, {}, scratch="_n").emit(function.near_locals, function.near, "value")
    parameters = ", ".join(printer.doprint(p) for p in function.parameters)
    subset = [printer.doprint(p) for p in (*function.parameters, *near_reads)]
    text = _template("helper.py").substitute(
        name=function.helper_name, parameters=parameters,
        subset=", ".join(subset),
        summary=function.summary, far=_indented(far.lines, "        "), selector=printer.doprint(function.selector),
        spare=far.buffers, first_near=far.buffers + 1,
        bound=printer.doprint(sp.Float(function.bound.evalf(30), 17)),
        near=_indented(near.lines), near_buffers=near.buffers)
    return text, far.buffers + 1 + 1 + near.buffers + len(subset)  # |selector|, the series' value, its inputs


def _function(kernel: Kernel, prefix: str, printer: KernelNumPyPrinter, calls: dict[type, Call]) -> str:
    if kernel.spec.reduction == "cholesky":
        return _template(f"{kernel.spec.template_name}.py").substitute(
            name=prefix + kernel.spec.name, summary=kernel.spec.summary, latex=kernel.formula_latex,
            derivation=kernel.spec.derivation, output=printer.doprint(kernel.output),
            **{"scale_term_buffers": calls[ScaleTerm].buffers if ScaleTerm in calls else 0}
            | {f"{h.helper_name}_buffers": calls[h].buffers for h in kernel.helpers})
    names = [p.name for p in kernel.spec.parameters]
    scales = [f'"{p.name}"' for p in kernel.scales]
    positive = ", ".join(scales) + ("," if len(scales) == 1 else "")
    body, _ = InplaceEmitter(printer, calls).emit(kernel.temporaries, kernel.output, "out")
    skeleton = "function_sum.py" if kernel.spec.reduction == "sum" else "function.py"
    return _template(skeleton).substitute(
        name=prefix + kernel.spec.name, parameters=", ".join(names), summary=kernel.spec.summary,
        latex=kernel.formula_latex, derivation=kernel.spec.derivation, ops=kernel.ops,
        positive=positive, report="" if not kernel.spec.diverges else ", report=False",
        keywords=", ".join(f"{n}={n}" for n in names), body=_indented(body.lines), buffers=body.buffers)


def _spectral(kernel: Kernel) -> bool:
    """Whether the kernel's template calls the eigen-decomposition or the order's check."""
    return kernel.spec.whitens or (kernel.spec.reduction == "cholesky" and bool(kernel.spec.parameters))


def _uses(kernel: Kernel, function: type) -> bool:
    return any(e.has(function) for e in (kernel.output, *(value for _, value in kernel.temporaries)))


def render(kernels: list[Kernel], prefix: str = "", module: str | None = None) -> dict[str, str]:
    """``{file name: text}`` for ``<module>.py``: ``<prefix>gaussian.py`` as the C's ``<prefix>gaussian.h``
    (``derive_gaussian.py`` without a prefix), so that two prefixed modules can sit side by side."""
    check_prefix(prefix)
    module = module or f"{prefix or 'derive_'}gaussian"
    printer = KernelNumPyPrinter({"user_functions": {f.__name__: "_" + f.helper_name for f in SPECIAL_FUNCTIONS}})
    helpers = sorted({h for k in kernels for h in k.helpers}, key=lambda h: h.__name__)
    helper_texts = {h: _helper(h, printer) for h in helpers}
    calls = {h: Call("_" + h.helper_name, buffers) for h, (_, buffers) in helper_texts.items()}
    printer.helper_buffers = {h: buffers for h, (_, buffers) in helper_texts.items()}
    header_text = header([k.spec.derivation for k in kernels], "regenerate with `derive codegen` or `derive generate`")
    return {f"{module}.py": _template("module.py").substitute(
        title="Entropies and divergences of Gaussians, as numpy kernels.", header=header_text,
        exports=", ".join(f'"{prefix}{k.spec.name}"' for k in kernels) + "".join(
            f', "{prefix}{k.spec.name}_tril"' for k in kernels if k.spec.reduction == "cholesky"),
        helpers="".join([text for text, _ in helper_texts.values()] + (
            [_template("linalg.py").template] if any(k.spec.reduction == "cholesky" for k in kernels) else []) + (
            [_template("spectral.py").template] if any(_spectral(k) for k in kernels) else []) + (
            [_template("erf.py").template] if any(_uses(k, sp.erf) for k in kernels) else [])),
        functions="".join(_function(k, prefix, printer, calls) for k in kernels))}
