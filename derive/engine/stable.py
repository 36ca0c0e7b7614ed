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
    definitions = tuple((symbol, value) for symbol, value in
                        ((d, (q_location - p_location) / p_scale), (r, q_scale / p_scale)) if e.has(symbol))
    if standard:
        return _tidy_constants(e.xreplace(dict(definitions))), ()
    return _tidy_constants(e), definitions
