"""The checker: no step is accepted until its two sides are shown equal.

Numerically, always: both sides are realised (placeholders replaced by explicit
densities), evaluated at seeded random parameter points with mpmath, integrals by
quadrature.  Symbolically, where SymPy can decide: every Gaussian integral of a
polynomial is reduced to the proven moment lemmas (or, for the lemmas themselves, to
SymPy's ``integrate``) and the difference is simplified.  A refutation by either route
rejects the step.
"""
from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import mpmath as mp
import sympy as sp

from derive.engine.context import Context

DIGITS = 30
"""Working precision of the numeric check, in decimal digits."""
TOLERANCE = mp.mpf(10) ** -20
"""Relative agreement demanded; quadrature at 30 digits gives about 25 correct ones."""
POINTS = 3


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


def sample_points(symbols: set[sp.Symbol], seed: str, count: int = POINTS) -> list[dict[sp.Symbol, mp.mpf]]:
    """Seeded parameter points: real symbols in [-2, 2], positive ones log-uniform in [1/4, 4]."""
    rng = random.Random(zlib.crc32(seed.encode()))
    points = []
    for _ in range(count):
        point = {}
        for s in sorted(symbols, key=lambda s: s.name):
            point[s] = mp.mpf(rng.uniform(-2, 2)) if not s.is_positive else mp.mpf(4) ** rng.uniform(-1, 1)
        points.append(point)
    return points


@lru_cache(maxsize=4)
def _hermite_rule(n: int) -> tuple[tuple[mp.mpf, mp.mpf], ...]:
    from sympy.integrals.quadrature import gauss_hermite
    nodes, weights = gauss_hermite(n, DIGITS + 10)
    return tuple((mp.mpf(str(x)), mp.mpf(str(w))) for x, w in zip(nodes, weights))


@lru_cache(maxsize=1024)
def _compiled(integrand: sp.Expr, var: sp.Symbol, params: tuple[sp.Symbol, ...]):
    return sp.lambdify((var, *params), integrand, "mpmath", cse=True)


def _quadrature(integrand: sp.Expr, var: sp.Symbol, point: dict[sp.Symbol, mp.mpf],
                centre: mp.mpf, scale: mp.mpf) -> mp.mpf:
    """∫ integrand d(var) over the real line at a parameter point.

    In u = (var − centre)/scale a Gaussian-weighted polynomial is integrated exactly by
    Gauss–Hermite: when the 12- and 16-node rules agree, that is the value.  Anything
    else (they disagree) goes to tanh-sinh quadrature split at the weight's peak.
    """
    params = tuple(sorted(integrand.free_symbols - {var}, key=lambda s: s.name))
    compiled = _compiled(integrand, var, params)
    values = [point[p] for p in params]

    def f(u: mp.mpf) -> mp.mpf:
        return compiled(centre + scale * u, *values) * scale

    with mp.workdps(DIGITS):
        root2 = mp.sqrt(2)
        estimates = [root2 * mp.fsum(w * mp.exp(x * x) * f(root2 * x) for x, w in _hermite_rule(n)) for n in (12, 16)]
        if abs(estimates[0] - estimates[1]) <= TOLERANCE * 1e-3 * (1 + abs(estimates[1])):
            return estimates[1]
        return mp.quad(f, [-mp.inf, 0, mp.inf])


Frames = dict[sp.Symbol, tuple[sp.Expr, sp.Expr]]


def _frames(exprs: tuple[sp.Expr, ...], context: Context) -> Frames:
    """For each integration variable, the centre and scale of the density weighting it."""
    frames: Frames = {}
    for expr in exprs:
        for integral in expr.atoms(sp.Integral):
            (var, *_), = integral.limits
            for f in integral.function.atoms(sp.Function):
                model = context.model(f.func)
                if model and f.args == (var,) and var not in frames:
                    frames[var] = (model.mean, model.std)
    return frames


def _merge_integrals(expr: sp.Expr) -> sp.Expr:
    """Σ cᵢ ∫ fᵢ dz -> ∫ Σ cᵢ fᵢ dz: one quadrature per expression instead of one per term.

    Only terms that are a plain multiple of a single integral are merged; anything
    else keeps its own integrals, so the value is unchanged.
    """
    merged: dict[tuple, sp.Expr] = {}
    rest = []
    for term in sp.Add.make_args(expr):
        integrals = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.Integral)]
        if len(integrals) == 1 and len(integrals[0].limits) == 1:
            (integral,) = integrals
            coefficient = term / integral
            if not coefficient.has(sp.Integral):
                key = integral.limits[0]
                merged[key] = merged.get(key, sp.Integer(0)) + coefficient * integral.function
                continue
        rest.append(term)
    return sp.Add(*rest, *(sp.Integral(f, key) for key, f in merged.items()))


def evaluate(expr: sp.Expr, point: dict[sp.Symbol, mp.mpf], frames: Frames | None = None) -> mp.mpf:
    """Value of a realised expression at a parameter point; integrals by mpmath quadrature
    over the whole real line (``frames`` says where each variable's weight sits)."""
    exact = {s: sp.Float(v, DIGITS) for s, v in point.items()}
    with mp.workdps(DIGITS):
        def quad(integral: sp.Integral) -> sp.Expr:
            (var, lo, hi), = integral.limits
            if (lo, hi) != (-sp.oo, sp.oo):
                raise ValueError(f"only integrals over the real line are checked, not {integral}")
            centre, scale = ((frames or {}).get(var) or (sp.Integer(0), sp.Integer(1)))
            at = (mp.mpf(sp.Float(centre.xreplace(exact), DIGITS)), mp.mpf(sp.Float(scale.xreplace(exact), DIGITS)))
            return sp.Float(_quadrature(integral.function, var, point, *at), DIGITS)
        numeric = _merge_integrals(expr).replace(lambda e: isinstance(e, sp.Integral), quad)
        return mp.mpf(sp.N(numeric.xreplace(exact), DIGITS))


def numeric_refutation(before: sp.Expr, after: sp.Expr, context: Context, seed: str) -> Refutation | None:
    lhs, rhs = context.realise(before), context.realise(after)
    frames = _frames((before, after), context)
    for point in sample_points(lhs.free_symbols | rhs.free_symbols, seed):
        a, b = evaluate(lhs, point, frames), evaluate(rhs, point, frames)
        if abs(a - b) > TOLERANCE * (1 + abs(a)):
            at = ", ".join(f"{s}={mp.nstr(v, 6)}" for s, v in point.items())
            return Refutation("numeric", f"{mp.nstr(a, 15)} != {mp.nstr(b, 15)} at {at}")
    return None


@lru_cache(maxsize=256)
def _moment(context: Context, weight: sp.Expr, power: int) -> sp.Expr | None:
    """∫ x^k w(x) dx: from the published moment lemmas (k ≤ 2), or, inside the lemmas
    themselves, from SymPy's ``integrate``."""
    model = context.model(weight.func)
    (var,) = weight.args
    if context.integrate_symbolically:
        return sp.integrate(var**power * model.density(var), (var, -sp.oo, sp.oo))
    if power > 2:
        return None
    return (sp.Integer(1), model.mean, model.mean**2 + model.std**2)[power]


@lru_cache(maxsize=1024)
def _reduce_integral(integral: sp.Integral, context: Context) -> sp.Expr | None:
    """A Gaussian integral of a polynomial as a polynomial in the parameters, or None."""
    (var, lo, hi), = integral.limits
    if (lo, hi) != (-sp.oo, sp.oo):
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

    lhs, rhs = reduce(context.expand_definitions(before)), reduce(context.expand_definitions(after))
    if lhs is None or rhs is None:
        return None
    return sp.simplify(sp.expand_log(lhs - rhs))


def check_step(before: sp.Expr, after: sp.Expr, context: Context, seed: str) -> Verdict | Refutation:
    """Verify ``before == after``; return how, or why not."""
    refuted = numeric_refutation(before, after, context, seed)
    if refuted:
        return refuted
    difference = symbolic_difference(before, after, context)
    if difference is not None and difference != 0 and difference.is_number:
        return Refutation("symbolic", f"difference simplifies to {difference}")
    return Verdict("proved" if difference == 0 else "undecided", POINTS)
