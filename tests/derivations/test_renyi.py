"""The Rényi family between normals: each result against quadrature of its definition, with the
densities typed in here, and the limits the issue names.

Independent routes: mpmath quadrature of ∫ q^α p^(1−α), ∫ √(qp) and ∫ q^α at 30 digits;
the KL (the α → 1 limit) and the entropy (h_α → H) from the published closed forms
KL = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½ and H = ½ log(2πeσ²).
"""
from __future__ import annotations

import random

import mpmath as mp
import pytest
import sympy as sp

import derive
from derive.derivations.renyi import alpha
from derive.models import mu, mu1, mu2, sigma, sigma1, sigma2


def _normal(x, m, s):
    return mp.exp(-(x - m) ** 2 / (2 * s**2)) / (mp.sqrt(2 * mp.pi) * s)


def _points(seed: str, count: int = 4):
    """μ in [−2, 2], σ in [¼, 4], α in (0, 3) with σ_α² > 0 (α > 1 needs it)."""
    rng, points = random.Random(seed), []
    while len(points) < count:
        point = {mu1: rng.uniform(-2, 2), mu2: rng.uniform(-2, 2), sigma1: 4 ** rng.uniform(-1, 1),
                 sigma2: 4 ** rng.uniform(-1, 1), alpha: rng.uniform(0.05, 3), mu: rng.uniform(-2, 2),
                 sigma: 4 ** rng.uniform(-1, 1)}
        if point[alpha] * point[sigma2] ** 2 + (1 - point[alpha]) * point[sigma1] ** 2 > 0:
            points.append(point)
    return points


def _value(expr: sp.Expr, point: dict) -> mp.mpf:
    return mp.mpf(sp.N(expr.xreplace({k: sp.Float(v, 40) for k, v in point.items()}), 35))


def _quad(f) -> mp.mpf:
    return mp.quad(f, [-mp.inf, -10, -3, 0, 3, 10, mp.inf])


@pytest.mark.parametrize("name", ["renyi-normal-normal", "bhattacharyya-normal-normal", "hellinger-normal-normal",
                                  "renyi-entropy-normal"])
def test_result_against_quadrature_of_the_definition(name):
    result = derive.get(name).explicit_result
    for point in _points(name):
        with mp.workdps(30):
            m1, s1, m2, s2, a = (mp.mpf(point[k]) for k in (mu1, sigma1, mu2, sigma2, alpha))
            m, s = mp.mpf(point[mu]), mp.mpf(point[sigma])
            expected = {
                "renyi-normal-normal": lambda: mp.log(_quad(lambda x: _normal(x, m1, s1) ** a * _normal(x, m2, s2) ** (1 - a))) / (a - 1),
                "bhattacharyya-normal-normal": lambda: -mp.log(_quad(lambda x: mp.sqrt(_normal(x, m1, s1) * _normal(x, m2, s2)))),
                "hellinger-normal-normal": lambda: 1 - _quad(lambda x: mp.sqrt(_normal(x, m1, s1) * _normal(x, m2, s2))),
                "renyi-entropy-normal": lambda: mp.log(_quad(lambda x: _normal(x, m, s) ** a)) / (1 - a),
            }[name]()
            assert abs(_value(result, point) - expected) <= mp.mpf(10) ** -20 * (1 + abs(expected)), point


def test_renyi_tends_to_the_kl_as_alpha_tends_to_one():
    result = derive.get("renyi-normal-normal").explicit_result
    for point in _points("limit"):
        with mp.workdps(35):
            m1, s1, m2, s2 = (mp.mpf(point[k]) for k in (mu1, sigma1, mu2, sigma2))
            kl = mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2
            for gap in (mp.mpf("1e-8"), -mp.mpf("1e-8")):
                near_one = _value(result, point | {alpha: 1 + gap})
                assert abs(near_one - kl) <= mp.mpf("1e-6") * (1 + kl)


def test_renyi_entropy_tends_to_the_entropy():
    result = derive.get("renyi-entropy-normal").result
    with mp.workdps(35):
        for s in (mp.mpf("0.3"), mp.mpf(2)):
            value = _value(result, {sigma: s, alpha: 1 + mp.mpf("1e-10")})
            assert abs(value - mp.log(2 * mp.pi * mp.e * s**2) / 2) <= mp.mpf("1e-9")


@pytest.mark.parametrize("name", ["bhattacharyya-normal-normal", "hellinger-normal-normal"])
def test_zero_when_q_is_p(name):
    result = derive.get(name).explicit_result
    point = {mu1: sp.Rational(3, 7), mu2: sp.Rational(3, 7), sigma1: sp.Rational(5, 3), sigma2: sp.Rational(5, 3)}
    assert sp.simplify(result.xreplace(point)) == 0


def test_bhattacharyya_is_half_the_renyi_divergence_of_order_one_half():
    """Shown as a checked step in the derivation; here by the two results, at points."""
    renyi = derive.get("renyi-normal-normal").explicit_result
    bhattacharyya = derive.get("bhattacharyya-normal-normal").explicit_result
    for point in _points("half"):
        with mp.workdps(35):
            half = _value(renyi, point | {alpha: sp.Rational(1, 2)}) / 2
            assert abs(half - _value(bhattacharyya, point)) <= mp.mpf(10) ** -30


def test_the_condition_for_alpha_above_one_is_stated():
    """σ_α² > 0: in the rule statements (LaTeX) of the steps that need it."""
    derivation = derive.get("renyi-normal-normal")
    statements = [step.rule.statement for step in derivation.steps[:2]]
    assert all(r"\text{given }" in s and r"\alpha \sigma_{2}^{2}" in s for s in statements), statements
