"""The Laplace family through the engine: results against published formulas and quadrature.

Published: H(Laplace(m, b)) = 1 + log 2b (Cover & Thomas, Table 17.1); the folded-normal mean
E|z − m| = σ√(2/π) e^{−(μ−m)²/(2σ²)} + (μ − m) erf((μ − m)/(σ√2)) (Leone, Nelson & Nottingham,
Technometrics 1961).  The KL divergence is held to mpmath quadrature of ∫ q log(q/p) with the
densities typed in here.
"""
from __future__ import annotations

import random

import mpmath as mp
import sympy as sp

import derive
from derive.engine.rules import SPLIT_AT_KINKS

mu, m = sp.Symbol("mu", real=True), sp.Symbol("m", real=True)
sigma, b = sp.Symbol("sigma", positive=True), sp.Symbol("b", positive=True)


def _points(seed: str, count: int = 5):
    rng = random.Random(seed)
    return [{mu: rng.uniform(-2, 2), m: rng.uniform(-2, 2), sigma: 4 ** rng.uniform(-1, 1), b: 4 ** rng.uniform(-1, 1)}
            for _ in range(count)]


def _value(expr: sp.Expr, point: dict) -> mp.mpf:
    return mp.mpf(sp.N(expr.xreplace({k: sp.Float(v, 40) for k, v in point.items()}), 35))


def test_entropy_is_the_published_one():
    result = derive.get("entropy-laplace").result
    for point in _points("entropy"):
        with mp.workdps(35):
            assert abs(_value(result, point) - (1 + mp.log(2 * mp.mpf(point[b])))) < mp.mpf(10) ** -30


def test_folded_normal_mean_is_the_published_one():
    result = derive.get("normal-expected-absolute-deviation").result
    for point in _points("folded"):
        with mp.workdps(35):
            s, d = mp.mpf(point[sigma]), mp.mpf(point[mu]) - mp.mpf(point[m])
            published = s * mp.sqrt(2 / mp.pi) * mp.exp(-d**2 / (2 * s**2)) + d * mp.erf(d / (s * mp.sqrt(2)))
            assert abs(_value(result, point) - published) < mp.mpf(10) ** -30


def test_kl_against_quadrature_of_the_definition():
    result = derive.get("kl-normal-laplace").explicit_result
    for point in _points("kl"):
        with mp.workdps(30):
            M, S, L, B = (mp.mpf(point[x]) for x in (mu, sigma, m, b))
            log_q = lambda z: -mp.log(2 * mp.pi * S**2) / 2 - (z - M) ** 2 / (2 * S**2)
            log_p = lambda z: -mp.log(2 * B) - abs(z - L) / B
            expected = mp.quad(lambda z: mp.exp(log_q(z)) * (log_q(z) - log_p(z)), [-mp.inf, *sorted((L, M)), mp.inf])
            assert abs(_value(result, point) - expected) < mp.mpf(10) ** -20 * (1 + abs(expected))


def test_kl_is_positive_and_its_minimum_is_not_zero():
    # Different families: KL ≥ its minimum over b, 1/2 log(π/2) − 1/2 + 1/√(2π)·√(2/π)… at b = σ√(2/π), μ = m.
    result = derive.get("kl-normal-laplace").explicit_result
    at_best = _value(result, {mu: 0.0, m: 0.0, sigma: 1.0, b: float(mp.sqrt(2 / mp.pi))})
    with mp.workdps(35):
        assert abs(at_best - (mp.log(2 * mp.sqrt(2 / mp.pi)) - mp.log(2 * mp.pi * mp.e) / 2 + 1)) < mp.mpf(10) ** -15
        assert at_best > 0


def test_every_step_is_checked_and_the_kink_is_split():
    kl = derive.get("normal-expected-absolute-deviation")
    assert kl.steps[0].rule.name == SPLIT_AT_KINKS.name
    limits = {i.limits[0][1:] for i in kl.steps[0].after.atoms(sp.Integral)}
    assert limits == {(-sp.oo, m), (m, sp.oo)}
    assert derive.get("entropy-laplace").steps[0].rule.statement.startswith(r"\log \operatorname{Laplace}")
