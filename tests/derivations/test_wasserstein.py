"""w2-normal-normal against independent routes: the optimal transport between seeded samples
(an assignment solved by scipy, which knows nothing of quantiles), the quantile integral by
mpmath quadrature with the inverse CDFs typed in here, and the published formula
W₂² = (μ₁ − μ₂)² + (σ₁ − σ₂)² (Givens & Shortt 1984, d = 1)."""
from __future__ import annotations

import random

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from scipy.optimize import linear_sum_assignment

import derive
from derive.derivations.lemmas import phi, t
from derive.derivations.wasserstein import u
from derive.engine import Context, DerivationBuilder, StepRejected
from derive.engine.rules import ALGEBRA
from derive.engine.special import NormalQuantile, elementary
from derive.models import mu1, mu2, normal_1, normal_2, sigma1, sigma2


def _points(count=3):
    rng = random.Random("w2")
    return [(rng.uniform(-2, 2), 4 ** rng.uniform(-1, 1), rng.uniform(-2, 2), 4 ** rng.uniform(-1, 1))
            for _ in range(count)]


def _at(expr, point):
    values = dict(zip((mu1, sigma1, mu2, sigma2), point))
    return mp.mpf(sp.N(expr.xreplace({k: sp.Float(v, 40) for k, v in values.items()}), 35))


@pytest.mark.parametrize("point", _points())
def test_every_line_equals_the_quantile_integral(point):
    m1, s1, m2, s2 = map(mp.mpf, point)
    derivation = derive.get("w2-normal-normal")
    with mp.workdps(30):
        quantile = lambda v, m, s: m + s * mp.sqrt(2) * mp.erfinv(2 * v - 1)  # noqa: E731
        expected = mp.sqrt(mp.quad(lambda v: (quantile(v, m1, s1) - quantile(v, m2, s2)) ** 2, [0, 0.5, 1]))
        assert mp.almosteq(expected, mp.hypot(m1 - m2, s1 - s2), rel_eps=1e-25)
        for expr, _, _ in derivation.lines[3:]:  # past the integral over (0, 1): no quadrature needed
            explicit = derivation.context.realise(expr)
            assert mp.almosteq(_at(explicit.doit(), point), expected, rel_eps=1e-25)


def test_the_quantile_coupling_is_the_optimal_one_on_samples():
    """The cited theorem, seen on data: among all pairings of 300 seeded draws from q with 300
    from p, the cheapest (scipy's assignment solver) costs what the sorted pairing costs, and
    that cost estimates W₂² (standard error ~ 2(a² + b²)/√n, a 4σ tolerance)."""
    rng = np.random.default_rng(20261204)
    (m1, s1, m2, s2), n = (0.5, 1.5, -1.0, 0.7), 300
    x, y = rng.normal(m1, s1, n), rng.normal(m2, s2, n)
    cost = (x[:, None] - y[None, :]) ** 2
    rows, cols = linear_sum_assignment(cost)
    optimal = cost[rows, cols].mean()
    sorted_cost = np.mean((np.sort(x) - np.sort(y)) ** 2)
    assert optimal == pytest.approx(sorted_cost, rel=1e-12)
    expected = float(derive.get("w2-normal-normal").explicit_result.subs({mu1: m1, sigma1: s1, mu2: m2, sigma2: s2}))
    assert abs(optimal - expected**2) < 4 * 2 * expected**2 / np.sqrt(n)
    assert np.mean((x - rng.permutation(y)) ** 2) > optimal  # another pairing costs more


def test_the_result_and_its_stable_form():
    derivation = derive.get("w2-normal-normal")
    closed = derivation.context.expand_definitions(derivation.closed_form)
    assert sp.simplify(closed - sp.sqrt((mu1 - mu2) ** 2 + (sigma1 - sigma2) ** 2)) == 0
    assert elementary(derivation.explicit_result).subs({mu2: mu1, sigma2: sigma1}) == 0  # q = p
    assert derivation.steps[1].rule.name == "substitute u = Φ(t)"


def test_a_substitution_that_forgets_the_jacobian_is_refused():
    """du = φ(t) dt dropped: the checker's quadrature of both sides tells them apart."""
    q, p = normal_1(), normal_2()
    gap = (mu1 - mu2) + (sigma1 - sigma2) * NormalQuantile(u)
    builder = DerivationBuilder("w2-slip", "a slip", Context((q, p, phi)), sp.Integral(gap**2, (u, 0, 1)), "quantiles")
    with pytest.raises(StepRejected, match="w2-slip.*step 1"):
        builder.to(sp.Integral(((mu1 - mu2) + (sigma1 - sigma2) * t) ** 2, (t, -5, 5)), ALGEBRA, "u = Φ(t)")
