"""The Rényi family between multivariate normals: each derivation's steps, the checker refusing
wrong stable forms (the mistakes a person makes: α on the wrong covariance, a lost factor), and
the limits.  The kernels' values against mpmath, quadrature and Monte Carlo are in
tests/codegen/test_renyi_mvn_kernels.py."""
from __future__ import annotations

import pytest
import sympy as sp

import derive
from derive.derivations import renyi_mvn
from derive.derivations.renyi import alpha, complement
from derive.engine.check import Refutation, Verdict, check_step
from derive.engine.rules import STABLE_FORM
from derive.models.mvn import mvn_1, mvn_2, n

NAMES = ["renyi-mvn-mvn", "bhattacharyya-mvn-mvn", "hellinger-mvn-mvn", "renyi-entropy-mvn"]


@pytest.mark.parametrize("name", NAMES)
def test_every_step_is_checked_and_the_last_is_the_stable_form(name):
    derivation = derive.get(name)
    assert all(isinstance(step.verdict, Verdict) and step.verdict.points >= 3 for step in derivation.steps)
    assert derivation.steps[-1].rule == STABLE_FORM


def _refuted(name: str, wrong: sp.Expr) -> bool:
    derivation = derive.get(name)
    before = derivation.steps[-1].before
    return isinstance(check_step(before, wrong, derivation.context, seed=name), Refutation)


def test_the_checker_refuses_alpha_on_the_wrong_covariance():
    """Σ_α = αΣ₁ + (1 − α)Σ₂ (the common slip) in place of αΣ₂ + (1 − α)Σ₁: refused."""
    q, p = mvn_1(), mvn_2()
    swapped = renyi_mvn.renyi_closed_form(p, q, alpha).xreplace({p.mean: q.mean, q.mean: p.mean})
    assert _refuted("renyi-mvn-mvn", swapped)
    assert not _refuted("renyi-mvn-mvn", renyi_mvn.renyi_stable_form())


def test_the_checker_refuses_a_lost_factor():
    terms = renyi_mvn.bhattacharyya_terms()
    assert _refuted("bhattacharyya-mvn-mvn", terms["mahalanobis"] / 4 + terms["scale_terms"])
    assert _refuted("renyi-mvn-mvn", renyi_mvn.renyi_terms()["mahalanobis"] * alpha + renyi_mvn.renyi_terms()["scale_terms"])


def test_the_order_lives_where_the_issue_says():
    """Σ_α = αΣ₂ + (1 − α)Σ₁: α multiplies p's covariance."""
    q, p = mvn_1(), mvn_2()
    assert renyi_mvn.combined_covariance(q, p, alpha) == alpha * p.cov + (1 - alpha) * q.cov


def test_alpha_one_branch_is_the_kl_scale_term():
    """At α = 1 the per-eigenvalue term is −½ log1pmx(λ) = ½(λ − log(1 + λ)), the KL's."""
    lam = sp.Symbol("lam", positive=True)
    term = renyi_mvn.renyi_scale_term(lam).xreplace({alpha: 1, complement: 0})
    value = sp.N(derive.engine.special.realise_special(term).xreplace({lam: sp.Rational(3, 7)}), 30)
    assert abs(value - sp.N((sp.Rational(3, 7) - sp.log(1 + sp.Rational(3, 7))) / 2, 30)) < 1e-25


def test_derivations_are_checked_at_orders_on_both_sides_of_one():
    """The checker's points for renyi-mvn-mvn draw α from (0, 4) and keep Σ_α ≻ 0."""
    context = derive.get("renyi-mvn-mvn").context
    assert dict(context.assumptions)[alpha] == sp.Interval.open(0, 4)
    assert context.conditions and context.dimension == n
