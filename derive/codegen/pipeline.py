"""Spec → kernel: the derivation's stable result, in argument names, constants folded, CSE'd.

The derivation's last step is already the numerically stable form (``derive.engine.stable``,
checked like every step); here it is renamed, SymPy's C99 rewrites (log1p, expm1) are
applied to anything left, constants are folded, and common subexpressions named.
The same ``Kernel`` feeds every backend, so C and numpy print one expression.

What the printers receive is checked again: the kernel's output, its temporaries substituted
back, must equal the derivation's checked result by the same checker at the same seeded
points (``verify``); a rewrite that changed the value raises ``UnverifiedKernel``.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp
from sympy.codegen.rewriting import optimize, optims_c99

from derive import derivations
from derive.codegen import probe
from derive.codegen.spec import Kernel, KernelSpec, Parameter
from derive.emit.printing import latex
from derive.engine import Derivation
from derive.engine.check import Refutation, check_step


class UnverifiedKernel(ValueError):
    """A kernel whose printed expression is not the derivation's checked result."""

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
    exactly once, and nothing but the names, the dimension and the spec's scalar parameters (α)
    may remain."""
    for name, term in spec.terms:
        count = sum(1 for e in sp.preorder_traversal(result) if e == term)
        if count != 1:
            raise ValueError(f"kernel {spec.name}: term {name} occurs {count} times in {spec.derivation}'s result")
        result = result.xreplace({term: sp.Symbol(name)})
    result = result.xreplace({dimension: sp.Symbol("d")})
    allowed = {sp.Symbol(name) for name, _ in spec.terms} | {sp.Symbol("d")} | {p.symbol for p in spec.parameters}
    if not result.free_symbols <= allowed:
        raise ValueError(f"kernel {spec.name}: {result} has parts the template does not compute")
    return result


def _argument(parameter: Parameter) -> sp.Symbol:
    """The symbol a kernel argument is printed as, with the model symbol's assumptions (SymPy
    caches equal symbols, and srepr would vary)."""
    return sp.Symbol(parameter.name, **({"positive": True} if parameter.positive else {"real": True}))


def _inlined(kernel: Kernel) -> sp.Expr:
    """The kernel's output with its temporaries (and definitions) substituted back, last first."""
    printed = kernel.output
    for symbol, value in reversed(kernel.temporaries):
        printed = printed.xreplace({symbol: value})
    return printed


def verify(kernel: Kernel, derivation: Derivation) -> None:
    """Check that ``kernel`` computes ``derivation``'s result: the printed output with every
    temporary and definition substituted back, in the derivation's own symbols, against the
    checked result (same checker, same seed)."""
    spec = kernel.spec
    symbols = {_argument(p): p.symbol for p in spec.parameters}
    symbols |= {sp.Symbol(name): term for name, term in spec.terms}
    if spec.terms:
        symbols[sp.Symbol("d")] = derivation.context.dimension
    printed = _inlined(kernel).xreplace(symbols)
    expected = derivation.result
    if spec.reduction == "sum":
        printed = expected.func(printed, *expected.limits)
    outcome = check_step(expected, printed, derivation.context, seed=derivation.name)
    if isinstance(outcome, Refutation):
        raise UnverifiedKernel(f"kernel {spec.name}: the printed expression is not the checked result of "
                               f"{derivation.name} ({outcome.route} check: {outcome.detail})")
    if not spec.reduction:
        _probe(kernel, derivation)


def _probe(kernel: Kernel, derivation: Derivation) -> None:
    """The printed form, in simulated double precision, may not lose digits against the
    checked stable form, at seeded points and where q ≈ p (``probe``)."""
    spec = kernel.spec
    arguments = [_argument(p) for p in spec.parameters]
    to_arguments = {p.symbol: a for p, a in zip(spec.parameters, arguments)}
    checked = derivation.result
    for symbol, definition in reversed(derivation.context.definitions):
        checked = checked.xreplace({symbol: definition})
    printed = _inlined(kernel)
    symbols = [p.symbol for p in spec.parameters]
    models = derivation.context.models
    pairs = [(symbols.index(a), symbols.index(b)) for a, b in zip(models[0].parameters, models[-1].parameters)
             if len(models) > 1 and a in symbols and b in symbols]
    worst = probe.worst_loss(checked.xreplace(to_arguments), printed, arguments, pairs, derivation.name)
    if worst is not None:
        error, point = worst
        where = ", ".join(f"{a} = {x:.17g}" for a, x in zip(arguments, point))
        raise UnverifiedKernel(f"kernel {spec.name}: the printed expression cancels where the checked stable form "
                               f"does not (relative error {error:.2g} in double precision at {where})")


@lru_cache(maxsize=None)
def build(spec: KernelSpec) -> Kernel:
    """The kernel for ``spec``, verified (once per spec: every language prints the same kernel)."""
    kernel = _build(spec)
    verify(kernel, derivations.get(spec.derivation))
    return kernel


def _build(spec: KernelSpec) -> Kernel:
    derivation = derivations.get(spec.derivation)
    names = {p.symbol: _argument(p) for p in spec.parameters}
    definitions = tuple((symbol, _prepare(value, names)) for symbol, value in derivation.context.definitions
                        if not isinstance(symbol, sp.MatrixSymbol))  # matrices: the template computes them
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
    closed_form = derivation.closed_form
    for symbol, value in reversed(derivation.context.definitions):  # in the parameters a caller passes
        closed_form = closed_form.xreplace({symbol: value})
    return Kernel(spec, formula=sp.sstr(sp.sympify(closed_form)), formula_latex=latex(closed_form),
                  temporaries=definitions + tuple(temporaries), output=output)
