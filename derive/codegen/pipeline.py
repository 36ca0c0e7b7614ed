"""Spec → kernel: the derivation's stable result, in argument names, constants folded, CSE'd.

The derivation's last step is already the numerically stable form (``derive.engine.stable``,
checked like every step); here it is renamed, SymPy's C99 rewrites (log1p, expm1) are
applied to anything left, constants are folded, and common subexpressions named.
The same ``Kernel`` feeds every backend, so C and numpy print one expression.
"""
from __future__ import annotations

import sympy as sp
from sympy.codegen.rewriting import optimize, optims_c99

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


def _prepare(expr: sp.Expr, names: dict[sp.Symbol, sp.Symbol]) -> sp.Expr:
    return fold_constants(optimize(sp.sympify(expr).xreplace(names), optims_c99))


def _name_terms(result: sp.Expr, spec: KernelSpec, dimension: sp.Symbol) -> sp.Expr:
    """The result with each term the template computes replaced by its name: each must occur
    exactly once, and nothing but the names and the dimension may remain."""
    for name, term in spec.terms:
        count = sum(1 for e in sp.preorder_traversal(result) if e == term)
        if count != 1:
            raise ValueError(f"kernel {spec.name}: term {name} occurs {count} times in {spec.derivation}'s result")
        result = result.xreplace({term: sp.Symbol(name)})
    result = result.xreplace({dimension: sp.Symbol("d")})
    if not result.free_symbols <= {sp.Symbol(name) for name, _ in spec.terms} | {sp.Symbol("d")}:
        raise ValueError(f"kernel {spec.name}: {result} has parts the template does not compute")
    return result


def build(spec: KernelSpec) -> Kernel:
    derivation = derivations.get(spec.derivation)
    # the same assumptions as the models' symbols: SymPy caches equal symbols, and srepr would vary
    names = {p.symbol: sp.Symbol(p.name, **({"positive": True} if p.positive else {"real": True}))
             for p in spec.parameters}
    definitions = tuple((symbol, _prepare(value, names)) for symbol, value in derivation.context.definitions)
    result = derivation.result
    if spec.reduction == "cholesky":
        result = _name_terms(result, spec, derivation.context.dimension)
    if spec.reduction == "sum":
        if not isinstance(result, sp.Sum):
            raise ValueError(f"kernel {spec.name}: result of {spec.derivation} is not a sum")
        result = result.function  # the kernel prints the term and sums it
    result = _prepare(result, names)
    known = set(names.values()) | {symbol for symbol, _ in definitions} | {sp.Symbol(t) for t, _ in spec.terms}
    known |= {sp.Symbol("d")} if spec.terms else set()
    if not result.free_symbols <= known:
        raise ValueError(f"kernel {spec.name}: result of {spec.derivation} uses "
                         f"{result.free_symbols - known} beyond its parameters")
    temporaries, (output,) = sp.cse(result, symbols=sp.numbered_symbols("_tmp"), order="canonical")
    return Kernel(spec, formula=sp.sstr(sp.sympify(derivation.closed_form)),
                  formula_latex=latex(derivation.closed_form),
                  temporaries=definitions + tuple(temporaries), output=output)
