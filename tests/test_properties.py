"""Properties every correct entropy / cross-entropy / KL must have, checked on the derived results.

Symbolically (SymPy simplifies the identity to 0) and numerically with Hypothesis. Numeric checks
run in mpmath at 50 digits on double inputs (converted exactly), so the tolerances below are
rounding budgets of a 50-digit evaluation, not allowances for a wrong formula.
"""
from __future__ import annotations

import functools

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import derive
from tests.helpers import mu, mu1, mu2, sigma, sigma1, sigma2

DPS = 50
TOL = mp.mpf(10) ** -35
"""Relative budget at 50 digits: terms reach ~10⁸ (σ₁ = 10², σ₂ = 10⁻²), so rounding costs at most
~10⁻⁴² of the result; 10⁻³⁵ leaves margin, while any wrong identity is off by O(1)."""

means = st.floats(min_value=-5, max_value=5, allow_nan=False, allow_infinity=False)
sigmas = st.floats(min_value=-2, max_value=2).map(lambda e: 10.0**e)  # log-uniform-ish in [10⁻², 10²]
shifts = st.floats(min_value=-100, max_value=100, allow_nan=False, allow_infinity=False)
property_settings = settings(max_examples=200, deadline=None)

GENERAL = (mu1, sigma1, mu2, sigma2)


@functools.cache
def result(name: str) -> sp.Expr:
    return derive.get(name).explicit_result


@functools.cache
def mp_function(name: str, args: tuple[sp.Symbol, ...]):
    expr = result(name)
    assert expr.free_symbols <= set(args), f"{name}: unexpected parameters {expr.free_symbols - set(args)}"
    compiled = sp.lambdify(args, expr, "mpmath")

    def f(*values: float) -> mp.mpf:
        with mp.workdps(DPS):
            return +compiled(*(mp.mpf(v) for v in values))
    return f


def kl(m1, s1, m2, s2):
    return mp_function("kl-normal-normal", GENERAL)(m1, s1, m2, s2)


def close(a: mp.mpf, b: mp.mpf) -> bool:
    with mp.workdps(DPS):
        return abs(a - b) <= TOL * (1 + abs(a) + abs(b))


# --- KL ≥ 0 (Gibbs' inequality) ---------------------------------------------------------------------

@property_settings
@given(means, sigmas, means, sigmas)
def test_kl_is_not_negative(m1, s1, m2, s2):
    assert kl(m1, s1, m2, s2) >= -TOL


@property_settings
@given(means, sigmas)
def test_kl_std_normal_is_not_negative(m, s):
    assert mp_function("kl-normal-std-normal", (mu, sigma))(m, s) >= -TOL


def test_kl_is_positive_away_from_q_equals_p():
    # Strictly positive when q ≠ p: a mean apart by 1 at unit variance costs exactly ½ nat (Δ²/2σ²).
    with mp.workdps(DPS):
        assert close(kl(1.0, 1.0, 0.0, 1.0), mp.mpf(1) / 2)


def test_kl_float64_is_not_negative_either():
    # In double precision as a user would evaluate it: at q = p rounding may leave ±1 ulp of ½, no more.
    f = sp.lambdify(GENERAL, result("kl-normal-normal"), "numpy")
    rng = np.random.default_rng(20240601)
    m1, m2 = rng.uniform(-5, 5, (2, 10_000))
    s1, s2 = 10.0 ** rng.uniform(-2, 2, (2, 10_000))
    assert np.all(f(m1, s1, m2, s2) >= -4 * np.finfo(float).eps)
    assert np.all(np.abs(f(m1, s1, m1, s1)) <= 4 * np.finfo(float).eps)


# --- KL(q ‖ q) = 0 ---------------------------------------------------------------------------------

def test_kl_of_a_distribution_with_itself_is_zero_symbolically():
    assert sp.simplify(result("kl-normal-normal").subs({mu2: mu1, sigma2: sigma1})) == 0


@property_settings
@given(means, sigmas)
def test_kl_of_a_distribution_with_itself_is_zero(m, s):
    assert abs(kl(m, s, m, s)) <= TOL


# --- cross-entropy = entropy + KL --------------------------------------------------------------------

def entropy_of_q1() -> sp.Expr:
    """H(q) for q = N(μ₁, σ₁²), from the derived entropy of N(μ, σ²)."""
    return result("entropy-normal").subs({mu: mu1, sigma: sigma1}, simultaneous=True)


def test_cross_entropy_is_entropy_plus_kl_symbolically():
    difference = result("cross-entropy-normal-normal") - (entropy_of_q1() + result("kl-normal-normal"))
    assert sp.simplify(sp.expand_log(difference)) == 0


@property_settings
@given(means, sigmas, means, sigmas)
def test_cross_entropy_is_entropy_plus_kl(m1, s1, m2, s2):
    ce = mp_function("cross-entropy-normal-normal", GENERAL)(m1, s1, m2, s2)
    h = mp_function("entropy-normal", (mu, sigma))(m1, s1)
    with mp.workdps(DPS):  # the sum at 50 digits too
        assert close(ce, h + kl(m1, s1, m2, s2))


@property_settings
@given(means, sigmas)
def test_cross_entropy_std_normal_is_entropy_plus_kl(m, s):
    ce = mp_function("cross-entropy-normal-std-normal", (mu, sigma))(m, s)
    h = mp_function("entropy-normal", (mu, sigma))(m, s)
    with mp.workdps(DPS):  # the sum at 50 digits too
        assert close(ce, h + mp_function("kl-normal-std-normal", (mu, sigma))(m, s))


# --- invariance under a common shift of the means ----------------------------------------------------

def test_kl_is_shift_invariant_symbolically():
    c = sp.Symbol("c", real=True)
    shifted = result("kl-normal-normal").subs({mu1: mu1 + c, mu2: mu2 + c}, simultaneous=True)
    assert sp.simplify(shifted - result("kl-normal-normal")) == 0


@property_settings
@given(means, sigmas, means, sigmas, shifts)
def test_kl_is_shift_invariant(m1, s1, m2, s2, c):
    f = sp.lambdify(GENERAL, result("kl-normal-normal"), "mpmath")
    with mp.workdps(DPS):  # the shifted means are rounded to 50 digits, not to doubles
        shifted = +f(mp.mpf(m1) + mp.mpf(c), mp.mpf(s1), mp.mpf(m2) + mp.mpf(c), mp.mpf(s2))
    assert close(shifted, kl(m1, s1, m2, s2))


def test_entropy_does_not_depend_on_the_mean():
    assert mu not in result("entropy-normal").free_symbols


# --- the standard-normal case is the general case at μ₂ = 0, σ₂ = 1 ---------------------------------------

def test_kl_std_normal_is_the_general_kl_symbolically():
    general = result("kl-normal-normal").subs({mu1: mu, sigma1: sigma, mu2: 0, sigma2: 1}, simultaneous=True)
    assert sp.simplify(general - result("kl-normal-std-normal")) == 0


def test_cross_entropy_std_normal_is_the_general_one_symbolically():
    general = result("cross-entropy-normal-normal").subs({mu1: mu, sigma1: sigma, mu2: 0, sigma2: 1},
                                                         simultaneous=True)
    assert sp.simplify(general - result("cross-entropy-normal-std-normal")) == 0


@property_settings
@given(means, sigmas)
def test_kl_std_normal_is_the_general_kl(m, s):
    assert close(mp_function("kl-normal-std-normal", (mu, sigma))(m, s), kl(m, s, 0.0, 1.0))


# --- scaling: KL is invariant under z → a z for a > 0, which scales every mean and deviation -----------

@property_settings
@given(means, sigmas, means, sigmas, st.floats(min_value=-2, max_value=2).map(lambda e: 10.0**e))
def test_kl_is_scale_invariant(m1, s1, m2, s2, a):
    f = sp.lambdify(GENERAL, result("kl-normal-normal"), "mpmath")
    with mp.workdps(DPS):
        A = mp.mpf(a)
        scaled = +f(A * mp.mpf(m1), A * mp.mpf(s1), A * mp.mpf(m2), A * mp.mpf(s2))
    assert close(scaled, kl(m1, s1, m2, s2))


@pytest.mark.parametrize("name", ["entropy-normal", "cross-entropy-normal-normal", "kl-normal-normal"])
def test_entropies_shift_by_log_a_under_scaling(name):
    # h(aZ) = h(Z) + log a (Cover & Thomas, Thm 8.6.4); the same holds for the cross-entropy, and KL is unchanged.
    a = sp.Symbol("a", positive=True)
    expr = result(name)
    scaled = expr.subs({s: a * s for s in expr.free_symbols}, simultaneous=True)
    expected_shift = 0 if name.startswith("kl") else sp.log(a)
    assert sp.simplify(sp.expand_log(scaled - expr - expected_shift)) == 0
