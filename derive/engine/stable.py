"""The rewrite pass to numerically stable forms, applied as a derivation's last, checked step.

Printed naively, Gaussian KL formulas overflow (σ² for σ ≈ 1e300), and cancel where users
need them most, near q = p: ½(r² − 1) − log r → 0 as r → 1.  The pass rewrites a closed
form in scale-free variables (d = (μ_q − μ_p)/σ_p, r = σ_q/σ_p, log σ rather than
½ log σ²) and replaces the cancelling core by the special function ψ, whose printed
helper evaluates it without cancellation.  The checker proves the rewrite, like any step.
"""
from __future__ import annotations

import sympy as sp

from derive.engine.special import ScaleTerm
from derive.models.family import FamilyBase

Definitions = tuple[tuple[sp.Symbol, sp.Expr], ...]

d = sp.Symbol("d", real=True)
r = sp.Symbol("r", positive=True)
x = sp.Symbol("x", real=True)
"""The location gap μ_q − μ_p, a symbol of its own: d's rare branch tests it."""
LARGEST = sp.Float(1.7976931348623157e308)
"""The largest double: beyond it (±∞) a difference of two finite doubles has overflowed."""


def _tidy_constants(expr: sp.Expr) -> sp.Expr:
    """log 2/2 + log π/2 + 1/2 -> (1 + log 2π)/2: one constant, as a reader expects."""
    constant, rest = expr.as_independent(*expr.free_symbols, as_Add=True)
    if constant == 0:
        return expr
    tidy = sp.Mul(sp.Rational(1, 2), sp.logcombine(sp.expand(2 * constant), force=True), evaluate=False)
    return sp.Add(*sp.Add.make_args(rest), tidy, evaluate=False)


def expand_scales(expr: sp.Expr) -> sp.Expr:
    """½ log(2πσ²) -> log σ + ½ log 2π: no σ² to overflow or underflow."""
    return _tidy_constants(sp.expand(sp.expand_log(expr, force=True)))


def scale_free(expr: sp.Expr, q: FamilyBase, p: FamilyBase) -> tuple[sp.Expr, Definitions]:
    """Rewrite in d = (μ_q − μ_p)/σ_p and r = σ_q/σ_p, with ψ(σ_q, σ_p) for ½(r² − 1) − log r.

    Returns the stable expression and the definitions of the auxiliary symbols it keeps;
    for p = N(0, 1), d and r are μ_q and σ_q themselves and none are kept.
    """
    (q_location, q_scale), (p_location, p_scale) = q.location_scale(), p.location_scale()
    e = sp.expand(sp.expand_log(expr.subs({q_location: p_location + p_scale * d, q_scale: p_scale * r},
                                          simultaneous=True), force=True))
    core = sp.expand(ScaleTerm.definition(r, sp.Integer(1)))
    rest = sp.expand(e - core)
    if not rest.has(r):
        e = sp.Add(*sp.Add.make_args(rest), ScaleTerm(q_scale, p_scale), evaluate=False)
    standard = p_location == 0 and p_scale == 1
    if standard:
        return _tidy_constants(e.xreplace({d: q_location, r: q_scale})), ()
    definitions = ((x, q_location - p_location), (d, scaled_gap(q_location, p_location, p_scale)),
                   (r, q_scale / p_scale))
    return _tidy_constants(e), tuple((s, v) for s, v in definitions if e.has(s) or s == x and e.has(d))


def scaled_gap(q_location: sp.Expr, p_location: sp.Expr, p_scale: sp.Expr) -> sp.Expr:
    """d = (μ_q − μ_p)/σ_p in terms of x = μ_q − μ_p, which overflows (to ±∞) for locations of
    opposite signs near the ends of the double range although d may be small (μ = ±1e308,
    σ_p = 1e308: d = 2).  Only there, d = μ_q/σ_p − μ_p/σ_p: two quotients of opposite signs, so
    a sum of magnitudes that neither cancels nor gives ∞ − ∞, and a quotient overflows only
    where d does.  Elsewhere x/σ_p, one rounding fewer."""
    return sp.Piecewise((q_location / p_scale - p_location / p_scale, overflowed(x)), (x / p_scale, True))


def overflowed(value: sp.Expr) -> sp.Boolean:
    """Whether ``value``, a difference of finite doubles, overflowed: it is beyond the largest double."""
    return (value > LARGEST) | (value < -LARGEST)


def is_overflow_test(condition: sp.Basic) -> bool:
    """Whether a Piecewise condition is ``overflowed``'s: a branch taken only where a value overflowed,
    which the vectorised C loops leave to the exact function (see the C printer)."""
    return any(abs(float(f)) == float(LARGEST) for f in condition.atoms(sp.Float))
