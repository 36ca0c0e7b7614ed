"""The checker (derive.engine.check): its quadrature, its sample points and its verdicts."""
from __future__ import annotations

import mpmath as mp
import pytest
import sympy as sp

import derive
from derive.engine import check
from derive.engine.check import Refutation, Verdict, check_step, evaluate, sample_points
from derive.engine.context import Context
from derive.models import Normal
from tests.helpers import UNIVARIATE, density, mu, sigma, z

DIGITS = 25
"""The checker works at 30 digits and claims about 25 correct ones (check.py); we hold it to that."""


def close_to_digits(value: mp.mpf, expected: mp.mpf, digits: int = DIGITS) -> bool:
    return abs(value - expected) <= mp.mpf(10) ** -digits * (1 + abs(expected))


@pytest.fixture
def quad_calls(monkeypatch):
    """Counts calls to mpmath's tanh-sinh quadrature made by the checker (the non-polynomial route)."""
    calls = []
    original = check.mp.quad

    def spy(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(check.mp, "quad", spy)
    return calls


class TestEvaluate:
    def test_absolute_value_by_tanh_sinh(self, quad_calls):
        # E|Z| for Z ~ N(0, σ²) is σ√(2/π) (the half-normal mean). |z| is not a polynomial, so
        # Gauss–Hermite cannot settle it and the checker must fall back to tanh-sinh.
        s = mp.mpf("1.7")
        value = evaluate(sp.Integral(sp.Abs(z) * density(z, 0, sigma), (z, -sp.oo, sp.oo)), {sigma: s})
        with mp.workdps(40):
            expected = s * mp.sqrt(2 / mp.pi)
        assert quad_calls, "the tanh-sinh fallback was not used"
        assert close_to_digits(value, expected)

    def test_cosine_by_tanh_sinh(self, quad_calls):
        # E cos Z for Z ~ N(0, 1) is the characteristic function at 1: e^{−1/2}.
        value = evaluate(sp.Integral(sp.cos(z) * density(z, 0, 1), (z, -sp.oo, sp.oo)), {})
        with mp.workdps(40):
            expected = mp.exp(mp.mpf(-1) / 2)
        assert quad_calls, "the tanh-sinh fallback was not used"
        assert close_to_digits(value, expected)

    def test_off_centre_cosine_with_frame(self):
        # E cos Z for Z ~ N(μ, σ²) is cos(μ) e^{−σ²/2}; the frame tells the checker where the weight sits.
        point = {mu: mp.mpf("1.25"), sigma: mp.mpf("0.375")}
        value = evaluate(sp.Integral(sp.cos(z) * density(z, mu, sigma), (z, -sp.oo, sp.oo)), point,
                         {z: (mu, sigma)})
        with mp.workdps(40):
            expected = mp.cos(point[mu]) * mp.exp(-point[sigma] ** 2 / 2)
        assert close_to_digits(value, expected)

    def test_polynomial_by_gauss_hermite(self, quad_calls):
        # E Z⁴ for Z ~ N(μ, σ²) is μ⁴ + 6μ²σ² + 3σ⁴ (the normal's fourth raw moment); a Gaussian times a
        # polynomial is integrated exactly by Gauss–Hermite, without the fallback.
        point = {mu: mp.mpf("0.3"), sigma: mp.mpf("1.3")}
        value = evaluate(sp.Integral(z**4 * density(z, mu, sigma), (z, -sp.oo, sp.oo)), point, {z: (mu, sigma)})
        m, s = point[mu], point[sigma]
        with mp.workdps(40):
            expected = m**4 + 6 * m**2 * s**2 + 3 * s**4
        assert not quad_calls
        assert close_to_digits(value, expected)

    def test_sum_of_integrals_and_constants(self):
        # 3 + ∫ z² φ − 2 ∫ φ = 3 + 1 − 2 = 2: merged integrals keep their coefficients.
        phi = density(z, 0, 1)
        expr = 3 + sp.Integral(z**2 * phi, (z, -sp.oo, sp.oo)) - 2 * sp.Integral(phi, (z, -sp.oo, sp.oo))
        assert close_to_digits(evaluate(expr, {}), mp.mpf(2))

    def test_no_integral(self):
        s = mp.mpf("0.5")
        with mp.workdps(40):
            expected = mp.log(2 * mp.pi * s**2) / 2
        assert close_to_digits(evaluate(sp.log(2 * sp.pi * sigma**2) / 2, {sigma: s}), expected)

    def test_only_the_real_line(self):
        with pytest.raises(ValueError, match="real line"):
            evaluate(sp.Integral(density(z, 0, 1), (z, 0, sp.oo)), {})


class TestSamplePoints:
    def test_deterministic_for_a_seed(self):
        symbols = {mu, sigma}
        assert sample_points(symbols, "seed-a") == sample_points(symbols, "seed-a")
        assert sample_points(symbols, "seed-a") != sample_points(symbols, "seed-b")

    def test_count_and_keys(self):
        points = sample_points({mu, sigma}, "x", count=7)
        assert len(points) == 7
        assert all(set(p) == {mu, sigma} for p in points)

    def test_respects_positivity_and_ranges(self):
        # Documented ranges: real symbols in [−2, 2], positive ones in [¼, 4].
        points = sample_points({mu, sigma}, "ranges", count=200)
        assert all(mp.mpf(1) / 4 <= p[sigma] <= 4 for p in points)
        assert all(-2 <= p[mu] <= 2 for p in points)
        assert any(p[mu] < 0 for p in points), "a real parameter should also be sampled negative"


class TestCheckStep:
    q = Normal("q", mu, sigma)
    context = Context((q,))

    def integral(self, f):
        return sp.Integral(f, (z, -sp.oo, sp.oo))

    def test_true_polynomial_step_is_proved(self):
        # −∫ q log q = −∫ q (−½ log 2πσ² − (z − μ)²/(2σ²)): the log-density written out by hand.
        q = self.q.at(z)
        before = -self.integral(q * sp.log(q))
        after = -self.integral(q * (-sp.log(2 * sp.pi * sigma**2) / 2 - (z - mu) ** 2 / (2 * sigma**2)))
        verdict = check_step(before, after, self.context, seed="test:1")
        assert verdict == Verdict("proved", check.POINTS)

    def test_true_but_not_reducible_step_is_undecided(self):
        # E|z − μ| = σ√(2/π) holds, but |z − μ| is no polynomial: numerics pass, SymPy cannot decide.
        before = self.integral(sp.Abs(z - mu) * self.q.at(z))
        after = sigma * sp.sqrt(2 / sp.pi)
        verdict = check_step(before, after, self.context, seed="test:2")
        assert isinstance(verdict, Verdict) and verdict.symbolic == "undecided"

    def test_wrong_step_is_refuted_numerically(self):
        verdict = check_step(self.integral(self.q.at(z)), sp.Integer(2), self.context, seed="test:3")
        assert isinstance(verdict, Refutation) and verdict.route == "numeric"

    def test_tiny_error_is_refuted_symbolically(self):
        # Off by 10⁻²⁵: below the numeric tolerance (10⁻²⁰), so only the symbolic route can see it.
        verdict = check_step(self.integral(self.q.at(z)), 1 + sp.Rational(1, 10**25), self.context, seed="test:4")
        assert isinstance(verdict, Refutation) and verdict.route == "symbolic"


@pytest.mark.parametrize("name", UNIVARIATE)
def test_every_univariate_step_proved_symbolically(name):
    """Not only numerically: every step of the five univariate derivations is a symbolic proof."""
    derivation = derive.get(name)
    assert derivation.steps
    undecided = [(i, s.rule.name) for i, s in enumerate(derivation.steps, 1) if s.verdict.symbolic != "proved"]
    assert not undecided, f"{name}: steps only checked numerically: {undecided}"
    assert all(s.verdict.points >= 3 for s in derivation.steps)
