"""Does a rewrite keep the stable form stable?  A probe in simulated double precision.

Equal values are not enough: ½ log1p(r²) − ½ log r − ½ log 2 equals log(1 + (r − 1)²/(2r)),
but cancels as r → 1.  The probe evaluates an expression operation by operation at 53 bits
(mpmath at double precision: every operation rounds as a double would), with the special
functions exact (their printed helpers are accurate, and tested so), at seeded points and at
points where q ≈ p, and compares with the exact value.  A rewrite may not lose more than a
few digits against the checked stable form at any of them.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import mpmath as mp
import sympy as sp

from derive.engine.special import SPECIAL_FUNCTIONS, realise_special

DOUBLE_BITS = 53
NEAR = (1e-4, 1e-7, 1e-10)
"""Relative gaps between q's and p's parameters at the near points."""
ALLOWED_LOSS = 64
"""How many times the checked form's own double-precision error a rewrite may make (or 64 u)."""
U = 2.0**-53


def _exact(function: type) -> callable:
    def value(*args):
        with mp.workdps(60):
            result = mp.mpf(sp.N(function.definition(*[sp.Float(a, 60) for a in args]), 60))
        return +result  # rounded to the caller's (double) precision
    return value


def _double(expr: sp.Expr, arguments: Sequence[sp.Symbol]):
    modules = [{f.__name__: _exact(f) for f in SPECIAL_FUNCTIONS}, "mpmath"]
    return sp.lambdify(list(arguments), expr, modules=modules)


def error_in_double(expr: sp.Expr, arguments: Sequence[sp.Symbol]) -> Callable[[Sequence[float]], mp.mpf]:
    """point ↦ |value in simulated double − exact value| / |exact value|, compiled once."""
    double, exact_form = _double(expr, arguments), realise_special(expr)

    def error(point: Sequence[float]) -> mp.mpf:
        with mp.workdps(60):
            exact = mp.mpf(sp.N(exact_form.xreplace({a: sp.Float(x, 60) for a, x in zip(arguments, point)}), 60))
        with mp.workprec(DOUBLE_BITS):
            approximate = double(*[mp.mpf(x) for x in point])
        with mp.workdps(60):
            return abs(approximate - exact) / abs(exact) if exact != 0 else abs(approximate)
    return error


def relative_error_in_double(expr: sp.Expr, arguments: Sequence[sp.Symbol], point: Sequence[float]) -> mp.mpf:
    """|value in simulated double − exact value| / |exact value| at ``point``."""
    return error_in_double(expr, arguments)(point)


def probe_points(arguments: Sequence[sp.Symbol], pairs: Sequence[tuple[int, int]], seed: str,
                 count: int = 3) -> list[list[float]]:
    """Seeded points (scales in [¼, 4], the rest in [−2, 2]) and, for each, copies where the
    second of each pair of arguments is the first times (1 + ε): q ≈ p."""
    rng = random.Random(seed)
    points = []
    for _ in range(count):
        base = [4.0 ** rng.uniform(-1, 1) if a.is_positive else rng.uniform(-2, 2) for a in arguments]
        points.append(base)
        for epsilon in NEAR:
            near = list(base)
            for first, second in pairs:
                near[second] = base[first] * (1 + epsilon) if arguments[first].is_positive else base[first] + epsilon
            points.append(near)
    return points


def worst_loss(checked: sp.Expr, rewritten: sp.Expr, arguments: Sequence[sp.Symbol],
               pairs: Sequence[tuple[int, int]], seed: str) -> tuple[float, list[float]] | None:
    """The point where ``rewritten`` loses most against ``checked`` beyond ``ALLOWED_LOSS``, or None."""
    worst = None
    checked_error, rewritten_error = error_in_double(checked, arguments), error_in_double(rewritten, arguments)
    for point in probe_points(arguments, pairs, seed):
        allowed = ALLOWED_LOSS * max(float(checked_error(point)), U)
        error = float(rewritten_error(point))
        if error > allowed and (worst is None or error > worst[0]):
            worst = (error, point)
    return worst
