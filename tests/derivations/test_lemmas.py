"""The Gaussian moment lemmas (derive.derivations.lemmas) and citing derivations (citation.py)."""
from __future__ import annotations

import random

import pytest
import sympy as sp
from scipy import integrate, stats

import derive
from derive.derivations.citation import cite
from derive.derivations.lemmas import LEMMAS, MEAN, NORMALISATION, SECOND_MOMENT, SQUARE_DISTANCE
from derive.engine import Context
from derive.models import Normal
from tests.helpers import DEFINITION, LEMMAS as LEMMA_NAMES, PUBLISHED, a, mu, mu1, mu2, sample, sigma, sigma1, \
    sigma2, z

R = (z, -sp.oo, sp.oo)


@pytest.mark.parametrize("name", LEMMA_NAMES)
def test_result_is_the_published_moment(name):
    assert sp.simplify(derive.get(name).explicit_result - PUBLISHED[name]) == 0


@pytest.mark.parametrize("name", LEMMA_NAMES)
def test_against_sympy_integrate_of_the_definition(name):
    direct = DEFINITION[name].doit()
    assert not direct.has(sp.Integral)
    assert sp.simplify(direct - derive.get(name).explicit_result) == 0


# E_q[g(z)] for q = N(μ, σ²), integrand g written with numpy; (z − a)² takes a as a parameter.
G = {"normal-normalisation": lambda x, p: 1.0, "normal-mean": lambda x, p: x,
     "normal-second-moment": lambda x, p: x * x, "normal-expected-square-distance": lambda x, p: (x - p[a]) ** 2}


@pytest.mark.parametrize("name", LEMMA_NAMES)
def test_against_scipy_quadrature(name):
    """Seeded points, σ log-uniform in [10⁻², 10²], μ and a in [−5, 5]; 10⁻⁹ relative plus 10× QUADPACK's
    error estimate. QUADPACK is asked for 10⁻¹³ relative or 10⁻¹³ of the integrand's scale (|μ| + σ + |a|)²,
    whichever is looser: a mean near 0 cancels, and relative error means nothing there."""
    derivation = derive.get(name)
    symbols = (mu, sigma, a)
    derived = sp.lambdify(symbols, derivation.explicit_result, "numpy")
    rng = random.Random(f"lemma:{name}")
    for _ in range(8):
        point = sample(rng, symbols)
        m, s = point[mu], point[sigma]
        scale = (1 + abs(m) + s + abs(point[a])) ** 2
        expected, error = integrate.quad(lambda x: G[name](x, point) * stats.norm.pdf(x, m, s), m - 40 * s, m + 40 * s,
                                         points=[m - s, m, m + s], epsabs=1e-13 * scale, epsrel=1e-13, limit=400)
        value = float(derived(*(point[x] for x in symbols)))
        assert abs(value - expected) <= 1e-9 * abs(expected) + 10 * error, (point, value, expected)


@pytest.mark.parametrize("name", LEMMA_NAMES)
def test_lemmas_integrate_symbolically_and_prove_every_step(name):
    derivation = derive.get(name)
    assert derivation.context.integrate_symbolically
    assert all(step.verdict.symbolic == "proved" for step in derivation.steps)


def test_every_lemma_is_published():
    assert [lemma.name for lemma in LEMMAS] == list(LEMMA_NAMES)
    assert {e.name for e in derive.entries()} >= set(LEMMA_NAMES)


class TestLemmaRules:
    """A lemma's rule replaces ∫ g(z) w(z) dz by its value for any Gaussian weight w in the context."""

    q, p = Normal("q", mu1, sigma1), Normal("p", mu2, sigma2)
    context = Context((q, p))

    def test_normalisation_of_either_density(self):
        expr = 3 * sp.Integral(self.q.at(z), R) + sp.Integral(self.p.at(z), R)
        assert NORMALISATION.rule(expr, self.context) == 4

    def test_mean_and_second_moment(self):
        assert MEAN.rule(sp.Integral(z * self.p.at(z), R), self.context) == mu2
        assert sp.expand(SECOND_MOMENT.rule(sp.Integral(z**2 * self.q.at(z), R), self.context)
                         - (mu1**2 + sigma1**2)) == 0

    def test_square_distance_to_the_other_mean(self):
        # E_q[(z − μ₂)²] = σ₁² + (μ₁ − μ₂)²: the lemma's constant a matched to μ₂.
        value = SQUARE_DISTANCE.rule(sp.Integral((z - mu2) ** 2 * self.q.at(z), R), self.context)
        assert sp.expand(value - (sigma1**2 + (mu1 - mu2) ** 2)) == 0

    def test_leaves_other_integrals_alone(self):
        # z³ is no moment the lemmas know, and a cited rule must not guess.
        cubic = sp.Integral(z**3 * self.q.at(z), R)
        for lemma in LEMMAS:
            assert lemma.rule(cubic, self.context) == cubic


class TestCite:
    def test_cite_replaces_the_definition_by_the_result(self):
        entropy = derive.get("entropy-normal")
        context = Context((Normal("q", mu1, sigma1), Normal("p", mu2, sigma2)))
        rule = cite(entropy, {mu: mu1, sigma: sigma1})
        integral = (-entropy.definition).xreplace({mu: mu1, sigma: sigma1})
        value = rule(integral, context)
        # −H(q) for q = N(μ₁, σ₁²), from the published entropy formula.
        assert sp.simplify(value - (-PUBLISHED["entropy-normal"].subs(sigma, sigma1))) == 0

    def test_cite_refuses_a_different_density(self):
        # entropy-normal is about q = N(μ, σ²); a context whose q is N(μ₁, σ₁²) must rename first.
        entropy = derive.get("entropy-normal")
        context = Context((Normal("q", mu1, sigma1),))
        with pytest.raises(ValueError, match="different q"):
            cite(entropy)(sp.Integer(0), context)

    def test_cite_needs_a_signed_integral(self):
        kl_final = derive.get("kl-normal-std-normal")
        from derive.engine import Derivation

        closed = Derivation("closed", "t", kl_final.context, PUBLISHED["kl-normal-std-normal"], "why", ())
        with pytest.raises(ValueError, match="not ±∫"):
            cite(closed)
