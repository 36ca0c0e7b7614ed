"""Building derivations (derive.engine.derivation): wrong steps are refused, steps chain, rules apply."""
from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

import derive
from derive import StepRejected
from derive.engine import Context, DerivationBuilder
from derive.engine.rules import (ALGEBRA, DEFINITION, EXPAND_LOG_DENSITY, LINEARITY, LOG_ALGEBRA, LOG_OF_QUOTIENT,
                                 PULL_CONSTANTS)
from derive.models import Normal
from tests.helpers import PUBLISHED, UNIVARIATE, mu, mu1, mu2, sigma, sigma1, sigma2, z

R = (z, -sp.oo, sp.oo)


def kl_general_builder(name: str = "kl-sign-flip") -> DerivationBuilder:
    kl = derive.get("kl-normal-normal")
    return DerivationBuilder(name, "KL with a sign flipped", kl.context, kl.definition, "KL(q ‖ p) = ∫ q log(q/p)")


class TestWrongAlgebraIsRejected:
    def test_kl_with_a_sign_flipped(self):
        # The published KL with + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) turned into −: off by a whole term.
        flipped = sp.log(sigma2 / sigma1) - (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - sp.Rational(1, 2)
        with pytest.raises(StepRejected) as caught:
            kl_general_builder().to(flipped, ALGEBRA, "collect")
        message = str(caught.value)
        assert "'kl-sign-flip'" in message and "step 1" in message and "collect and simplify" in message

    def test_wrong_step_later_in_a_correct_chain(self):
        # Three correct steps, then log(σ₂/σ₁) written as log(σ₁/σ₂): the message names step 4 and its rule.
        builder = kl_general_builder("kl-late-mistake")
        builder.apply(LOG_OF_QUOTIENT, "split the log").apply(LINEARITY, "split").apply(PULL_CONSTANTS, "sign")
        wrong = sp.log(sigma1 / sigma2) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - sp.Rational(1, 2)
        with pytest.raises(StepRejected, match=r"'kl-late-mistake', step 4 \(logarithm algebra\)"):
            builder.to(wrong, LOG_ALGEBRA, "combine the logs")

    def test_the_published_result_is_accepted_in_one_step(self):
        # Positive control for the two tests above: the checker is not simply rejecting everything.
        derivation = kl_general_builder("kl-one-step").to(PUBLISHED["kl-normal-normal"], ALGEBRA, "all at once").build()
        assert len(derivation.steps) == 1

    def test_closed_form_to_closed_form(self):
        # No integrals at all: −½(1 + log σ² − μ² − σ²) is not −½(1 + log σ² + μ² − σ²).
        q, p = Normal("q", mu, sigma), Normal("p", sp.Integer(0), sp.Integer(1))
        builder = DerivationBuilder("vae", "t", Context((q, p)), PUBLISHED["kl-normal-std-normal"], "start")
        with pytest.raises(StepRejected, match="step 1"):
            builder.to(-(1 + sp.log(sigma**2) + mu**2 - sigma**2) / 2, ALGEBRA, "a sign slips")

    def test_step_rejected_is_a_value_error(self):
        assert issubclass(StepRejected, ValueError)


class TestNoEmptySteps:
    q = Normal("q", mu, sigma)

    def builder(self) -> DerivationBuilder:
        return DerivationBuilder("trivial", "t", Context((self.q,)), sp.Integral(self.q.at(z), R), "∫ q")

    def test_apply_a_rule_that_changes_nothing(self):
        # There is no log in ∫ q, so "log of a quotient" has nothing to do.
        with pytest.raises(ValueError, match="'trivial'.*unchanged"):
            self.builder().apply(LOG_OF_QUOTIENT, "nothing to split")

    def test_to_the_same_expression(self):
        builder = self.builder()
        with pytest.raises(ValueError, match="unchanged"):
            builder.to(builder.current, ALGEBRA, "no change")

    def test_optional_rule_with_nothing_to_do_is_skipped(self):
        builder = self.builder().apply(LOG_OF_QUOTIENT, "nothing to split", optional=True)
        assert builder.build().steps == ()

    def test_rule_without_a_transform_needs_the_expression(self):
        with pytest.raises(TypeError, match="written out"):
            self.builder().apply(ALGEBRA, "algebra cannot compute anything by itself")


class TestBuiltDerivations:
    @pytest.mark.parametrize("name", UNIVARIATE)
    def test_steps_chain(self, name):
        d = derive.get(name)
        assert d.steps[0].before == d.definition
        for previous, step in zip(d.steps, d.steps[1:]):
            assert step.before == previous.after
        assert d.result == d.steps[-1].after
        assert d.explicit_result == d.context.realise(d.result)

    @pytest.mark.parametrize("name", UNIVARIATE)
    def test_lines(self, name):
        d = derive.get(name)
        assert len(d.lines) == len(d.steps) + 1
        assert d.lines[0] == (d.definition, DEFINITION, d.definition_why)
        assert [rule for _, rule, _ in d.lines[1:]] == [s.rule for s in d.steps]
        assert all(why.strip() for _, _, why in d.lines), "every step needs a reason a student can read"

    def test_frozen(self):
        d = derive.get("entropy-normal")
        with pytest.raises(dataclasses.FrozenInstanceError):
            d.name = "something else"
        with pytest.raises(dataclasses.FrozenInstanceError):
            d.steps[0].after = sp.Integer(0)

    def test_each_step_keeps_its_rule_and_reason(self):
        d = derive.get("entropy-normal")
        # the rule, stated for the family it acts on (a normal here)
        assert d.steps[0].rule.name == EXPAND_LOG_DENSITY.name and d.steps[0].rule.apply is EXPAND_LOG_DENSITY.apply
        assert d.steps[0].rule.statement == r"\log \mathcal{N}(z; m, s^2) = -\tfrac12\log(2\pi s^2) - \frac{(z-m)^2}{2s^2}"
        assert d.steps[0].why == d.lines[1][2]
