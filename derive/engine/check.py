"""The checker: no step is accepted until its two sides are shown equal.

Numerically, always (``derive.engine.numeric``): both sides are realised (placeholders
replaced by explicit densities) and evaluated at seeded random parameter points with
mpmath, integrals by quadrature.  Symbolically, where SymPy can decide: every Gaussian integral of a
polynomial is reduced to the proven moment lemmas (or, for the lemmas themselves, to
SymPy's ``integrate``) and the difference is simplified.  A refutation by either route
rejects the step.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import sympy as sp

from derive.engine.context import Context
from derive.engine.numeric import POINTS, merge_integrals, numeric_refutation
from derive.engine.special import elementary

ROUNDING = sp.Float("1e-30")
"""Below this a difference of decimal constants (log 2π to 36 digits) is their rounding."""


class StepRejected(ValueError):
    """A step whose two sides differ: it names the derivation, the step and the rule."""


@dataclass(frozen=True)
class Verdict:
    """How a step was verified: ``symbolic`` is ``proved`` or ``undecided``; numerics always ran."""

    symbolic: Literal["proved", "undecided"]
    points: int


@dataclass(frozen=True)
class Refutation:
    route: str
    detail: str


@lru_cache(maxsize=256)
def _moment(context: Context, weight: sp.Expr, power: int) -> sp.Expr | None:
    """∫ x^k w(x) dx: from the published moment lemmas (k ≤ 2), or, inside the lemmas
    themselves, from SymPy's ``integrate``."""
    model = context.model(weight.func)
    (var,) = weight.args
    if isinstance(var, sp.MatrixSymbol):
        return None
    if context.integrate_symbolically:
        support = model.support
        return sp.integrate(var**power * model.realise_at(var), (var, support.inf, support.sup))
    return model.moment(var, power)


@lru_cache(maxsize=1024)
def _reduce_integral(integral: sp.Integral, context: Context) -> sp.Expr | None:
    """A Gaussian integral of a polynomial as a polynomial in the parameters, or None."""
    if len(integral.limits) != 1 or len(integral.limits[0]) != 3:
        return None
    (var, lo, hi), = integral.limits
    if (lo, hi) != (-sp.oo, sp.oo) or isinstance(var, sp.MatrixSymbol):
        return None
    total = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(integral.function, log=False, power_base=False, power_exp=False)):
        weights = [f for f in sp.Mul.make_args(term)
                   if isinstance(f, sp.Function) and context.model(f.func) and f.args == (var,)]
        if len(weights) != 1:
            return None
        (weight,) = weights
        rest = sp.expand(_expand_logs(term / weight, context))
        if rest.has(*(m.placeholder for m in context.models)) or not rest.is_polynomial(var):
            return None
        coefficients = sp.Poly(rest, var).all_coeffs()[::-1]
        moments = [_moment(context, weight, k) for k in range(len(coefficients))]
        if any(m is None for m in moments):
            return None
        total += sp.Add(*(c * m for c, m in zip(coefficients, moments)))
    return total


def _expand_logs(expr: sp.Expr, context: Context) -> sp.Expr:
    from derive.engine.rules import EXPAND_LOG_DENSITY, LOG_OF_QUOTIENT
    return EXPAND_LOG_DENSITY(LOG_OF_QUOTIENT(expr, context), context)


def symbolic_difference(before: sp.Expr, after: sp.Expr, context: Context) -> sp.Expr | None:
    """before − after with every integral reduced, simplified; None when SymPy cannot reduce it."""
    def reduce(expr: sp.Expr) -> sp.Expr | None:
        failed = []

        def one(integral: sp.Integral) -> sp.Expr:
            value = _reduce_integral(integral, context)
            if value is None:
                failed.append(integral)
                return integral
            return value
        reduced = expr.replace(lambda e: isinstance(e, sp.Integral), one)
        return None if failed or reduced.has(sp.Integral) else reduced

    if before.has(sp.MatrixSymbol) or after.has(sp.MatrixSymbol):
        return None  # SymPy's simplify does not handle matrix expressions: numeric only
    if _branches(context.expand_definitions(after)):
        return None
    lhs, rhs = reduce(context.expand_definitions(before)), reduce(context.expand_definitions(after))
    if lhs is None or rhs is None:
        return None
    difference = elementary(lhs - rhs)
    return sp.simplify(sp.expand_log(difference))


def _branches(expr: sp.Expr) -> bool:
    """Whether ``expr`` selects between several floating-point recipes (more than one Piecewise,
    or a Max or Min): each branch is exact where it is taken, which SymPy's simplify does not
    decide there (it spends tens of seconds failing), so the numeric check, which takes the
    branches as the points do, stands alone.  One Piecewise SymPy can still prove."""
    return expr.has(sp.Max, sp.Min) or len(expr.atoms(sp.Piecewise)) > 1


def pointwise_difference(before: sp.Expr, after: sp.Expr, context: Context) -> sp.Expr | None:
    """The integrand of before − after, simplified, when the difference is one integral: equal
    integrands over the same limits prove the step (unequal ones prove nothing)."""
    if before.has(sp.MatrixSymbol) or after.has(sp.MatrixSymbol):
        return None
    before, after = context.expand_definitions(before), context.expand_definitions(after)
    old, new = (set(e.atoms(sp.Integral)) for e in (before, after))
    if len(old - new) == 1 and len(new - old) == 1:  # one integral rewritten in place, wherever it stands
        (was,), (now,) = old - new, new - old
        if was.limits == now.limits and before.xreplace({was: now}) == after:
            return sp.simplify(context.realise(was.function - now.function))
    difference = merge_integrals(sp.expand(before - after, deep=False))
    if not isinstance(difference, sp.Integral):
        return None
    return sp.simplify(context.realise(difference.function))


def _symbolic_verdict(before: sp.Expr, after: sp.Expr, context: Context) -> Literal["proved", "undecided"] | str:
    """"proved", "undecided", or why SymPy shows the sides differ."""
    difference = symbolic_difference(before, after, context)
    if difference is not None and difference != 0 and difference.is_number:
        if difference.has(sp.Float) and abs(sp.N(difference, 50)) < ROUNDING:
            return "undecided"  # constants folded to decimals (printed kernels) agree to their digits
        return f"difference simplifies to {difference}"
    if difference == 0 or pointwise_difference(before, after, context) == 0:
        return "proved"
    return "undecided"


def check_step(before: sp.Expr, after: sp.Expr, context: Context, seed: str) -> Verdict | Refutation:
    """Verify ``before == after``; return how, or why not.  A side the checker cannot evaluate
    refuses the step (with the reason); a symbolic route that fails leaves it undecided."""
    refuted = numeric_refutation(before, after, context, seed)
    if refuted:
        return Refutation("numeric", refuted)
    try:
        symbolic = _symbolic_verdict(before, after, context)
    except Exception:  # noqa: BLE001 — SymPy gave up; the numeric check stands
        symbolic = "undecided"
    if symbolic not in ("proved", "undecided"):
        return Refutation("symbolic", symbolic)
    return Verdict(symbolic, POINTS)
