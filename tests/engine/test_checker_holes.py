"""The checker's former holes, each shown closed: limits, kinks, pointwise proofs, no tracebacks.

Expected values are typed in from calculus (∫₀¹ z dz = ½, the half-normal mean), not taken
from the checker.
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath as mp
import pytest
import sympy as sp

from derive.engine import Context, DerivationBuilder, StepRejected
from derive.engine.check import Refutation, Verdict, check_step
from derive.engine.numeric import evaluate, kinks
from derive.engine.rules import ALGEBRA, LINEARITY, Rule
from derive.models import Normal, normal
from tests.helpers import mu, sigma, z

EMPTY = Context(())
q = normal()


class TestLimits:
    def test_finite_limits_are_honoured(self):
        # ∫₀¹ z dz = ½: integrating over the whole line instead would give "0" (or diverge).
        integral = sp.Integral(z, (z, 0, 1))
        assert isinstance(check_step(integral, sp.Rational(1, 2), EMPTY, "limits"), Verdict)
        assert isinstance(check_step(integral, sp.Integer(0), EMPTY, "limits"), Refutation)

    def test_half_infinite_limits_against_a_density(self):
        # ∫_μ^∞ q = ½ for a normal q: half of the mass on each side of the mean.
        half = sp.Integral(q.at(), (z, mu, sp.oo))
        assert isinstance(check_step(half, sp.Rational(1, 2), Context((q,)), "half"), Verdict)
        assert isinstance(check_step(half, sp.Integer(1), Context((q,)), "half"), Refutation)

    def test_symbolic_limits_are_evaluated_at_the_point(self):
        # ∫_{μ−σ}^{μ+σ} q = erf(1/√2) ≈ 0.6827, whatever μ and σ.
        one_sigma = sp.Integral(q.at(), (z, mu - sigma, mu + sigma))
        assert isinstance(check_step(one_sigma, sp.erf(1 / sp.sqrt(2)), Context((q,)), "band"), Verdict)

    def test_a_kink_gets_a_breakpoint(self):
        m = sp.Symbol("m", real=True)
        integrand = (sp.Abs(z - m) + sp.Max(z, 2)).xreplace({m: sp.Float("0.3", 30)})
        assert [float(x) for x in kinks(integrand, z)] == pytest.approx([0.3, 2.0])

    def test_the_folded_normal_mean_checks_off_centre(self):
        # E|z − m| for z ~ N(μ, σ²): σ√(2/π) e^{−(μ−m)²/(2σ²)} + (μ − m) erf((μ − m)/(σ√2)), a kink at m
        # far from the frame's centre (the case that failed with "error estimate too large").
        m = sp.Symbol("m", real=True)
        folded = (sigma * sp.sqrt(2 / sp.pi) * sp.exp(-(mu - m) ** 2 / (2 * sigma**2))
                  + (mu - m) * sp.erf((mu - m) / (sigma * sp.sqrt(2))))
        integral = sp.Integral(sp.Abs(z - m) * q.at(), (z, -sp.oo, sp.oo))
        assert isinstance(check_step(integral, folded, Context((q,)), "folded"), Verdict)
        assert isinstance(check_step(integral, folded + sp.Rational(1, 10**12), Context((q,)), "folded"), Refutation)
        value = evaluate(integral, Context((q,)), {mu: sp.Float("1.5", 30), sigma: sp.Float("0.25", 30),
                                                   m: sp.Float("-0.5", 30)})
        with mp.workdps(30):
            expected = mp.mpf("0.25") * mp.sqrt(2 / mp.pi) * mp.exp(-32) + 2 * mp.erf(8 / mp.sqrt(2))
        assert abs(value - expected) < mp.mpf(10) ** -24


class TestPointwise:
    def test_equal_integrands_are_proved(self):
        # Not a polynomial moment, so only the pointwise route can prove it.
        before = sp.Integral(sp.exp(-z**2) * (sp.cos(z) ** 2 + sp.sin(z) ** 2), (z, -sp.oo, sp.oo))
        after = sp.Integral(sp.exp(-z**2), (z, -sp.oo, sp.oo))
        verdict = check_step(before, after, EMPTY, "pointwise")
        assert verdict == Verdict("proved", verdict.points)

    def test_over_different_limits_nothing_is_proved_pointwise(self):
        before = sp.Integral(sp.exp(-z**2), (z, 0, sp.oo))
        after = sp.Integral(sp.exp(-z**2), (z, -sp.oo, 0))
        verdict = check_step(before, after, EMPTY, "mirror")
        assert verdict == Verdict("undecided", verdict.points)


@dataclass(frozen=True)
class BrokenNormal(Normal):
    """A model whose density cannot be realised: the checker must refuse, not crash."""

    def realise_at(self, x):
        raise AttributeError("no density here")


class TestNoTraceback:
    def test_a_model_that_cannot_be_realised_refuses_the_step(self):
        broken = BrokenNormal("q", mu, sigma)
        outcome = check_step(sp.Integral(broken.at(), (z, -sp.oo, sp.oo)), sp.Integer(1), Context((broken,)), "x")
        assert isinstance(outcome, Refutation)
        assert "AttributeError" in outcome.detail and "no density here" in outcome.detail

    def test_an_expression_as_a_parameter_is_evaluated(self):
        # A scale that is an expression of the parameters (√2·σ₁σ₂/…) used to fail in mpf().
        s1, s2 = sp.symbols("sigma_1 sigma_2", positive=True)
        combined = Normal("g", mu, sp.sqrt(2) * s1 * s2 / sp.sqrt(s1**2 + s2**2))
        outcome = check_step(sp.Integral(combined.at(), (z, -sp.oo, sp.oo)), sp.Integer(1), Context((combined,)), "e")
        assert isinstance(outcome, Verdict)

    def test_a_rule_that_raises_is_refused_by_name(self):
        def crash(expr, context):
            return expr.args[7]

        builder = DerivationBuilder("crashing", "t", Context((q,)), sp.Integral(q.at(), (z, -sp.oo, sp.oo)), "def")
        with pytest.raises(StepRejected, match=r"'crashing', step 1 \(crash\): the rule cannot be applied: IndexError"):
            builder.apply(Rule("crash", "x", crash), "why")

    def test_the_builder_refuses_with_the_reason(self):
        broken = BrokenNormal("q", mu, sigma)
        builder = DerivationBuilder("broken", "t", Context((broken,)),
                                    sp.Integral(broken.at() * (1 + z), (z, -sp.oo, sp.oo)), "def")
        with pytest.raises(StepRejected, match=r"'broken', step 1 \(linearity.*AttributeError"):
            builder.apply(LINEARITY, "split")

    def test_written_out_step_still_checked(self):
        builder = DerivationBuilder("algebra", "t", EMPTY, sp.Integral(z, (z, 0, 2)), "def")
        builder.to(sp.Integer(2), ALGEBRA, "∫₀² z dz = 2")
        with pytest.raises(StepRejected, match="numeric"):
            DerivationBuilder("algebra", "t", EMPTY, sp.Integral(z, (z, 0, 2)), "def").to(sp.Integer(0), ALGEBRA, "")


class TestConditions:
    def test_points_satisfy_the_stated_conditions(self):
        # ∫ q^α p^(1−α) is finite only while ασ₂² + (1 − α)σ₁² > 0; with α ∈ (1, 3) the checker
        # must draw only such points, or the integral diverges.
        from derive.models import normal_1, normal_2, sigma1, sigma2
        alpha = sp.Symbol("alpha", positive=True)
        q1, p2 = normal_1(), normal_2()
        context = Context((q1, p2), assumptions=((alpha, sp.Interval.open(1, 3)),),
                          conditions=(alpha * sigma2**2 + (1 - alpha) * sigma1**2 > 0,))
        integral = sp.Integral(q1.at() ** alpha * p2.at() ** (1 - alpha), (z, -sp.oo, sp.oo))
        from derive.engine.numeric import sample
        values = sample((context.realise(integral),), context, "renyi")
        assert 1 < values[alpha] < 3
        assert values[alpha] * values[sigma2] ** 2 + (1 - values[alpha]) * values[sigma1] ** 2 > 0
        assert isinstance(check_step(integral, 2 * integral, context, "renyi"), Refutation)

    def test_a_divergent_integral_is_refused(self):
        divergent = sp.Integral(sp.exp(z**2 / 10), (z, -sp.oo, sp.oo))
        assert isinstance(check_step(divergent, sp.Integer(1), EMPTY, "divergent"), Refutation)
