"""The special functions' recipes, in exact arithmetic: each is its definition once the fitted
polynomial is replaced by the function it approximates, and that polynomial is within its
stated error.  (The printed kernels, in doubles, are held to the definition over the hard
grid in tests/codegen/test_accuracy.py.)"""
from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp

from derive.engine.special import (ATANH_TAIL, ATANH_TAIL_BOUND, BinaryExponent, ScaleTerm, Significand,
                                   atanh_tail, horner)

DIGITS = 80  # the exact tail cancels by log10(1/w) digits: 25 at r = 1 + 1e-12
w = sp.Symbol("w", nonnegative=True)
TAIL = horner(ATANH_TAIL, w)


def _exact_tail(expr: sp.Expr) -> sp.Expr:
    """The recipe with the fitted polynomial replaced by (atanh(√w)/√w − 1)/w."""
    assert expr.has(TAIL), "the recipe no longer uses the fitted tail"
    return expr.xreplace({TAIL: atanh_tail(w)})


def _evaluate(local_values, expr: sp.Expr, arguments: dict) -> sp.Expr:
    """``expr`` after the recipe's assignments, in order, at ``arguments``, to DIGITS digits."""
    values = {k: sp.Float(v, DIGITS) for k, v in arguments.items()}
    for symbol, value in local_values:
        values[symbol] = _exact_tail(value).subs(values).evalf(DIGITS) if value.has(TAIL) \
            else value.subs(values).evalf(DIGITS)
    return (_exact_tail(expr) if expr.has(TAIL) else expr).subs(values).evalf(DIGITS)


def _psi(sigma_q: float, sigma_p: float) -> mpmath.mpf:
    with mpmath.workdps(DIGITS):
        r = mpmath.mpf(sigma_q) / mpmath.mpf(sigma_p)
        return (r * r - 1) / 2 - mpmath.log(r)


def test_atanh_tail_fit_is_within_two_parts_in_1e17():
    """The polynomial printed (its double coefficients, evaluated exactly) against the exact
    tail at 2001 points of [0, 0.09]; at w = 0 the tail is its limit, 1/3."""
    coefficients = [mpmath.mpf(c) for c in ATANH_TAIL]
    worst = mpmath.mpf(0)
    with mpmath.workdps(DIGITS):
        for i in range(2001):
            x = mpmath.mpf(float(ATANH_TAIL_BOUND)) * i / 2000
            exact = mpmath.mpf(1) / 3 if x == 0 else (mpmath.atanh(mpmath.sqrt(x)) / mpmath.sqrt(x) - 1) / x
            fitted = mpmath.polyval(coefficients[::-1], x)
            worst = max(worst, abs(fitted - exact))
    assert worst < 2e-17, worst


def test_atanh_tail_gives_atanh():
    """2 atanh s = 2s + 2s³ tail(s²), symbolically."""
    s = sp.Symbol("s", positive=True)
    assert sp.simplify(2 * s + 2 * s**3 * atanh_tail(w).subs(w, s**2) - 2 * sp.atanh(s)) == 0


def test_horner_keeps_its_nesting():
    x = sp.Symbol("x")
    nested = horner((1, 2, 3), x)
    assert sp.count_ops(nested) == 4  # two multiply-adds: the powers of x are never formed
    assert sp.expand(nested) == 1 + 2 * x + 3 * x**2


@pytest.mark.parametrize("x, exponent, significand", [
    (3.0, 1, 1.5), (1.0, 0, 1.0), (0.75, -1, 1.5), (2.0**-1022, -1022, 1.0), (1.7976931348623157e308, 1023, None)])
def test_binary_exponent_and_significand(x, exponent, significand):
    assert float(BinaryExponent(sp.Float(x, DIGITS)).evalf(DIGITS)) == exponent
    value = float(Significand(sp.Float(x, DIGITS)).evalf(DIGITS))
    assert 1 <= value < 2
    assert value * 2.0**exponent == x
    if significand is not None:
        assert value == significand


# σ_q/σ_p across both of the helper's branches: near 1 (the series), the switch at 13/7 and
# 7/13, either side of m = √2, and ratios from 1e-300 to 1e300.
RATIOS = [1 + 1e-12, 1 - 1e-9, 1.3, 0.6, 1.85, 0.54, 1.9, 0.53, 2.0**0.5 * 1.0001, 2.0**0.5 * 0.9999,
          2.8, 3.5, 0.3, 1e-5, 1e5, 1e-300, 1e300, 2.0**-1021]


SCALE_PAIRS = [(ratio * sigma_p, sigma_p) for ratio in RATIOS for sigma_p in (1.0, 3e-7, 2e200)
               if 0 < ratio * sigma_p < math.inf]


@pytest.mark.parametrize("sigma_q, sigma_p", SCALE_PAIRS)
def test_scale_term_recipes_are_exact_but_for_the_tail(sigma_q, sigma_p):
    """Both recipes: far/near (numpy, and C's scalar fallback) and fast (the C loops)."""
    arguments = dict(zip(ScaleTerm.parameters, (sigma_q, sigma_p)))
    want = _psi(sigma_q, sigma_p)
    near = abs(math.log(sigma_q / sigma_p)) < float(ScaleTerm.bound)
    robust = _evaluate(ScaleTerm.near_locals, ScaleTerm.near, arguments) if near else \
        _evaluate(ScaleTerm.far_locals, ScaleTerm.far, arguments)
    fast = _evaluate(ScaleTerm.fast_locals, ScaleTerm.fast, arguments)
    for name, got in (("near" if near else "far", robust), ("fast", fast)):
        with mpmath.workdps(DIGITS):
            error = abs(mpmath.mpf(str(got)) / want - 1)
        if name == "far":
            bound = 1e-28  # its constants (900 log 2 for tiny r) carry 30 digits
        elif name == "fast" and not near:
            bound = 1e-25  # log 2 is two doubles whose sum is off by 1.2e-26 (k log 2, |k| ≤ 1022)
        else:
            bound = 1e-40
        assert error <= bound, (name, error)


def test_fast_recipe_is_nan_below_the_normal_range():
    arguments = dict(zip(ScaleTerm.parameters, (1e-200, 1e110)))  # r = 1e-310, subnormal
    assert _evaluate(ScaleTerm.fast_locals, ScaleTerm.fast, arguments) is sp.nan
