"""The special functions' recipes, in exact arithmetic: each is its definition once the fitted
polynomial is replaced by the function it approximates, and that polynomial is within its
stated error.  (The printed kernels, in doubles, are held to the definition over the hard
grid in tests/codegen/test_accuracy.py.)"""
from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp

from derive.engine.special import (ATANH_TAIL, ATANH_TAIL_BOUND, EXPM1_TAIL, EXPM1_TAIL_BOUND, BinaryExponent,
                                   Expm1mx, PowerOfTwo, RoundToInteger, ScaleTerm, Significand, atanh_tail,
                                   expm1_tail, horner)

DIGITS = 80  # the exact tail cancels by log10(1/w) digits: 25 at r = 1 + 1e-12
w = sp.Symbol("w", nonnegative=True)
x, f = sp.Symbol("x", real=True), sp.Symbol("f", real=True)
# each fitted polynomial, as the recipes use it, and the function it approximates
TAILS = {horner(ATANH_TAIL, w): atanh_tail(w), horner(EXPM1_TAIL, x): expm1_tail(x),
         horner(EXPM1_TAIL, f): expm1_tail(f)}


def _exact_tail(expr: sp.Expr) -> sp.Expr:
    """The recipe with each fitted polynomial replaced by the function it approximates."""
    return expr.xreplace(TAILS)


def _uses_a_tail(*exprs: sp.Expr) -> bool:
    return any(e.has(tail) for e in exprs for tail in TAILS)


def _evaluate(local_values, expr: sp.Expr, arguments: dict, series: bool = True) -> sp.Expr:
    """``expr`` after the recipe's assignments, in order, at ``arguments``, to DIGITS digits;
    ``series``: the recipe uses a fitted tail (which this replaces by the exact function)."""
    assert _uses_a_tail(expr, *(v for _, v in local_values)) == series, "the recipe's use of a tail changed"
    values = {k: sp.Float(v, DIGITS) for k, v in arguments.items()}
    for symbol, value in local_values:
        values[symbol] = _exact_tail(value).subs(values).evalf(DIGITS)
    return _exact_tail(expr).subs(values).evalf(DIGITS)


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


def test_expm1_tail_fit_is_within_two_parts_in_1e17():
    """As above, relative error, at 4001 points of [−½, ½]; at x = 0 the tail is ½."""
    coefficients = [mpmath.mpf(c) for c in EXPM1_TAIL]
    worst = mpmath.mpf(0)
    with mpmath.workdps(DIGITS):
        bound = mpmath.mpf(float(EXPM1_TAIL_BOUND))
        for i in range(4001):
            t = -bound + 2 * bound * i / 4000
            exact = mpmath.mpf(1) / 2 if t == 0 else (mpmath.expm1(t) - t) / t**2
            worst = max(worst, abs(mpmath.polyval(coefficients[::-1], t) / exact - 1))
    assert worst < 2e-17, worst


def test_atanh_tail_gives_atanh():
    """2 atanh s = 2s + 2s³ tail(s²), symbolically."""
    s = sp.Symbol("s", positive=True)
    assert sp.simplify(2 * s + 2 * s**3 * atanh_tail(w).subs(w, s**2) - 2 * sp.atanh(s)) == 0


@pytest.mark.parametrize("value, nearest", [(2.5, 2), (3.5, 4), (-2.5, -2), (0.49999999999999994, 0), (-7.2, -7)])
def test_round_to_integer_is_to_nearest_even(value, nearest):
    assert float(RoundToInteger(sp.Float(value, DIGITS)).evalf(DIGITS)) == nearest


@pytest.mark.parametrize("k", [-1022, -1, 0, 1, 1023])
def test_power_of_two(k):
    assert float(PowerOfTwo(sp.Float(k, DIGITS)).evalf(DIGITS)) == 2.0**k


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
        _evaluate(ScaleTerm.far_locals, ScaleTerm.far, arguments, series=False)
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


LOGVARS = [1e-12, -1e-9, 0.3, -0.49, 0.49, 0.51, -0.51, 0.7, 1.0, -1.0, 2.5, -3.3, 30.0, -30.0, 100.0, -300.0,
           -707.5, 699.0]


@pytest.mark.parametrize("value", LOGVARS)
def test_expm1mx_recipes_are_exact_but_for_the_tail(value):
    """Both recipes: far/near (numpy, and the C fallback) and fast (the C loops), whose log 2
    is two doubles whose sum is off by 1.2e-26."""
    with mpmath.workdps(DIGITS):
        want = mpmath.expm1(mpmath.mpf(value)) - mpmath.mpf(value)
    arguments = {Expm1mx.parameters[0]: value}
    near = abs(value) < float(EXPM1_TAIL_BOUND)
    if near:
        robust = _evaluate((), Expm1mx.near, arguments)
        assert abs(mpmath.mpf(str(robust)) / want - 1) <= 1e-40
    fast = _evaluate(Expm1mx.fast_locals, Expm1mx.fast, arguments)
    with mpmath.workdps(DIGITS):
        error = abs(mpmath.mpf(str(fast)) / want - 1)
    assert error <= (1e-40 if near else 1e-22), error


@pytest.mark.parametrize("value", [-709.0, 700.0, 1e300])
def test_expm1mx_fast_recipe_is_nan_where_two_to_the_k_leaves_the_normal_range(value):
    assert _evaluate(Expm1mx.fast_locals, Expm1mx.fast, {Expm1mx.parameters[0]: value}) is sp.nan
