"""numpy backend: one self-contained module (it imports numpy only)."""
from __future__ import annotations

import keyword

import sympy as sp

from derive.codegen.numpy.printer import KernelNumPyPrinter
from derive.codegen.spec import Kernel
from derive.provenance import header, template
from derive.engine.special import SPECIAL_FUNCTIONS, SpecialFunction

def _template(name: str):
    return template("derive.codegen.numpy", name)


def check_prefix(prefix: str) -> None:
    if prefix and not (prefix + "x").isidentifier() or keyword.iskeyword(prefix):
        raise ValueError(f"prefix {prefix!r} is not the start of a Python identifier")


def _helper(function: type[SpecialFunction], printer: KernelNumPyPrinter) -> str:
    def assignments(pairs: tuple, indent: str) -> str:
        return "".join(f"{indent}{printer.doprint(s)} = {printer.doprint(e)}\n" for s, e in pairs)
    parameters = ", ".join(printer.doprint(p) for p in function.parameters)
    return _template("helper.py").substitute(
        name=function.helper_name, parameters=parameters + ("," if len(function.parameters) == 1 else ""),
        subset=", ".join([printer.doprint(p) for p in function.parameters] + [
            printer.doprint(s) for s, e in function.far_locals if function.near.has(s) or any(
                v.has(s) for _, v in function.near_locals)]) + ("," if len(function.parameters) == 1 and not any(
                    function.near.has(s) for s, _ in function.far_locals) else ""),
        summary=function.summary, far_locals=assignments(function.far_locals, "    "),
        far=printer.doprint(function.far), selector=printer.doprint(function.selector),
        bound=printer.doprint(sp.Float(function.bound.evalf(30), 17)),
        near_locals=assignments(function.near_locals, "        "), near=printer.doprint(function.near)
    )


def _function(kernel: Kernel, prefix: str, printer: KernelNumPyPrinter) -> str:
    if kernel.spec.reduction == "cholesky":
        return _template(f"{kernel.spec.name}.py").substitute(
            name=prefix + kernel.spec.name, summary=kernel.spec.summary, latex=kernel.formula_latex,
            derivation=kernel.spec.derivation, output=printer.doprint(kernel.output))
    names = [p.name for p in kernel.spec.parameters]
    scales = [f'"{p.name}"' for p in kernel.scales]
    positive = ", ".join(scales) + ("," if len(scales) == 1 else "")
    body = [f"    {printer.doprint(t)} = {printer.doprint(e)}\n" for t, e in kernel.temporaries]
    skeleton = "function_sum.py" if kernel.spec.reduction == "sum" else "function.py"
    return _template(skeleton).substitute(
        name=prefix + kernel.spec.name, parameters=", ".join(names), summary=kernel.spec.summary,
        latex=kernel.formula_latex, derivation=kernel.spec.derivation, ops=kernel.ops,
        unpack=", ".join(names) + ("," if len(names) == 1 else ""), positive=positive,
        keywords=", ".join(f"{n}={n}" for n in names), body="".join(body),
        output=printer.doprint(kernel.output))


def render(kernels: list[Kernel], prefix: str = "", module: str = "derive_gaussian") -> dict[str, str]:
    """``{file name: text}`` for ``<module>.py``."""
    check_prefix(prefix)
    printer = KernelNumPyPrinter({"user_functions": {f.__name__: "_" + f.helper_name for f in SPECIAL_FUNCTIONS}})
    helpers = sorted({h for k in kernels for h in k.helpers}, key=lambda h: h.__name__)
    header_text = header([k.spec.derivation for k in kernels], "regenerate with `derive codegen` or `derive generate`")
    return {f"{module}.py": _template("module.py").substitute(
        title="Entropy, cross-entropy and KL divergence of Gaussians, as numpy kernels.", header=header_text,
        exports=", ".join(f'"{prefix}{k.spec.name}"' for k in kernels) + "".join(
            f', "{prefix}{k.spec.name}_tril"' for k in kernels if k.spec.reduction == "cholesky"),
        helpers="".join([_helper(h, printer) for h in helpers] + (
            [_template("linalg.py").template] if any(k.spec.reduction == "cholesky" for k in kernels) else [])),
        functions="".join(_function(k, prefix, printer) for k in kernels))}
