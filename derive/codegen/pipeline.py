"""Spec → kernel: take the derivation's result, rename to argument names, fold constants, CSE.

The same ``Kernel`` feeds every backend, so C and numpy print one expression.
"""
from __future__ import annotations

import sympy as sp

from derive import derivations
from derive.codegen.spec import Kernel, KernelSpec
from derive.emit.printing import latex

CONSTANT_DIGITS = 36
"""Digits for folded constants such as log(2π); printers round them to double."""


def fold_constants(expr: sp.Expr) -> sp.Expr:
    """Evaluate parameter-free transcendental subexpressions (log 2π, …) once, here, not per call."""
    def foldable(e: sp.Basic) -> bool:
        return (isinstance(e, sp.Expr) and e.is_number and not e.is_Rational and not e.is_Atom
                and not (isinstance(e, sp.Mul) and any(a.is_Rational for a in e.args) and len(e.args) > 1))
    return expr.replace(foldable, lambda e: sp.Float(e.evalf(CONSTANT_DIGITS), CONSTANT_DIGITS))


def build(spec: KernelSpec) -> Kernel:
    derivation = derivations.get(spec.derivation)
    names = {p.symbol: sp.Symbol(p.name, real=True, positive=p.positive or None) for p in spec.parameters}
    result = sp.sympify(derivation.explicit_result).xreplace(names)
    missing = result.free_symbols - set(names.values())
    if missing:
        raise ValueError(f"kernel {spec.name}: result of {spec.derivation} uses {missing} beyond its parameters")
    expr = fold_constants(result)
    temporaries, (output,) = sp.cse(expr, symbols=sp.numbered_symbols("_tmp"), order="canonical")
    return Kernel(spec, formula=sp.sstr(result), formula_latex=latex(derivation.result),
                  temporaries=tuple(temporaries), output=output)
