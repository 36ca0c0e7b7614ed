"""The five univariate derivations: their results against published closed forms, SymPy's own
integration of the defining integral, and scipy quadrature; and the classic cross-entropy mistake."""
from __future__ import annotations

import random

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

import derive
from derive import StepRejected
from derive.derivations import UnknownDerivation
from derive.engine import DerivationBuilder
from derive.engine.rules import EXPAND_LOG_DENSITY
from tests.helpers import (DEFINITION, DEVIATIONS, MEANS, PUBLISHED, UNIVARIATE, mu, mu1, mu2, sample, sigma, sigma1,
                           sigma2, z)

R = (z, -sp.oo, sp.oo)
OUR_SYMBOLS = set(MEANS) | set(DEVIATIONS)


def at_random_points(expr_a: sp.Expr, expr_b: sp.Expr, seed: int, count: int = 10, digits: int = 30) -> None:
    """Both expressions agree at seeded points (σ log-uniform in [10⁻², 10²], μ in [−5, 5]), at 30 digits.

    Tolerance 10⁻²⁵ relative: two closed forms evaluated at 30 digits lose at most a few digits
    to cancellation (the largest terms here are ~10⁸ against results ≥ 10⁻³)."""
    rng = random.Random(seed)
    symbols = expr_a.free_symbols | expr_b.free_symbols
    for _ in range(count):
        point = {s: sp.Float(v, digits + 10) for s, v in sample(rng, symbols).items()}
        with mp.workdps(digits):
            va, vb = (mp.mpf(sp.N(e.xreplace(point), digits)) for e in (expr_a, expr_b))
            assert abs(va - vb) <= mp.mpf(10) ** -25 * max(1, abs(vb)), f"{va} != {vb} at {point}"


class TestPublishedClosedForms:
    @pytest.mark.parametrize("name", UNIVARIATE)
    def test_symbolically(self, name):
        result = derive.get(name).explicit_result
        assert result.free_symbols <= OUR_SYMBOLS, f"unexpected symbols (or assumptions) in {result}"
        assert sp.simplify(result - PUBLISHED[name]) == 0

    @pytest.mark.parametrize("name", UNIVARIATE)
    def test_at_random_points(self, name):
        at_random_points(derive.get(name).explicit_result, PUBLISHED[name], seed=UNIVARIATE.index(name))

    def test_kl_std_normal_passes_through_the_vae_form(self):
        # The published VAE form, −½(1 + log σ² − μ² − σ²), is written out as one of the steps (as an
        # expression, not only in value): the write-ups promise readers that form.
        vae = sp.Mul(-sp.Rational(1, 2), sp.Add(1, sp.log(sigma**2), -mu**2, -sigma**2, evaluate=False), evaluate=False)
        lines = [sp.srepr(expr) for expr, _, _ in derive.get("kl-normal-std-normal").lines]
        assert sp.srepr(vae) in lines


@pytest.mark.slow
@pytest.mark.parametrize("name", UNIVARIATE)
def test_against_sympy_integrate_of_the_definition(name):
    """SymPy's own ``integrate`` of the defining integral, densities typed in the test (slow: ~4 s for KL)."""
    direct = DEFINITION[name].doit()
    assert not direct.has(sp.Integral), f"SymPy could not integrate {DEFINITION[name]}"
    result = derive.get(name).explicit_result
    assert sp.simplify(direct - result) == 0
    at_random_points(direct, result, seed=100 + UNIVARIATE.index(name), count=4)


# --- scipy quadrature of the defining integral --------------------------------------------------------

def _entropy(p):
    m, s = p[mu], p[sigma]
    return (m, s), lambda x: -stats.norm.pdf(x, m, s) * stats.norm.logpdf(x, m, s)


def _ce_std(p):
    m, s = p[mu], p[sigma]
    return (m, s), lambda x: -stats.norm.pdf(x, m, s) * stats.norm.logpdf(x, 0, 1)


def _kl_std(p):
    m, s = p[mu], p[sigma]
    return (m, s), lambda x: stats.norm.pdf(x, m, s) * (stats.norm.logpdf(x, m, s) - stats.norm.logpdf(x, 0, 1))


def _ce(p):
    m1, s1, m2, s2 = p[mu1], p[sigma1], p[mu2], p[sigma2]
    return (m1, s1), lambda x: -stats.norm.pdf(x, m1, s1) * stats.norm.logpdf(x, m2, s2)


def _kl(p):
    m1, s1, m2, s2 = p[mu1], p[sigma1], p[mu2], p[sigma2]
    return (m1, s1), lambda x: stats.norm.pdf(x, m1, s1) * (stats.norm.logpdf(x, m1, s1) - stats.norm.logpdf(x, m2, s2))


SCIPY_DEFINITION = {"entropy-normal": _entropy, "cross-entropy-normal-std-normal": _ce_std,
                    "kl-normal-std-normal": _kl_std, "cross-entropy-normal-normal": _ce, "kl-normal-normal": _kl}
PARAMETERS = {"entropy-normal": (mu, sigma), "cross-entropy-normal-std-normal": (mu, sigma),
              "kl-normal-std-normal": (mu, sigma), "cross-entropy-normal-normal": (mu1, sigma1, mu2, sigma2),
              "kl-normal-normal": (mu1, sigma1, mu2, sigma2)}


def scipy_value(name: str, point: dict) -> tuple[float, float]:
    """The defining integral by QUADPACK over q's mean ± 40 q's deviations (the rest of q's mass is
    below e⁻⁸⁰⁰ and the integrands grow only polynomially), with QUADPACK's error estimate."""
    (centre, scale), f = SCIPY_DEFINITION[name](point)
    return integrate.quad(f, centre - 40 * scale, centre + 40 * scale,
                          points=[centre - scale, centre, centre + scale], epsabs=0, epsrel=1e-13, limit=400)


@pytest.mark.parametrize("name", UNIVARIATE)
def test_against_scipy_quadrature(name):
    """At 12 seeded points, σ log-uniform in [10⁻², 10²], μ uniform in [−5, 5].

    Tolerance: 10⁻⁹ relative (asked of QUADPACK at 10⁻¹³, it lands within ~10⁻¹⁴ here, so a wrong
    closed form cannot hide in it), plus 10× QUADPACK's own error estimate, which only matters where
    the integral nearly cancels (an entropy near 0 at σ ≈ 0.24, a KL near 0)."""
    derivation = derive.get(name)
    symbols = PARAMETERS[name]
    assert derivation.explicit_result.free_symbols <= set(symbols)
    derived = sp.lambdify(symbols, derivation.explicit_result, "numpy")
    rng = random.Random(f"scipy:{name}")
    for _ in range(12):
        point = sample(rng, symbols)
        expected, error = scipy_value(name, point)
        value = float(derived(*(point[s] for s in symbols)))
        assert np.isfinite(value)
        assert error <= 1e-11 * max(abs(expected), 1), f"QUADPACK did not converge at {point}: error {error}"
        assert abs(value - expected) <= 1e-9 * abs(expected) + 10 * error, (point, value, expected)


# --- the classic mistake --------------------------------------------------------------------------------

CROSS_ENTROPIES = ("cross-entropy-normal-std-normal", "cross-entropy-normal-normal")


def log_arguments(expr: sp.Expr) -> list[str]:
    """Names of the placeholder densities each ``log`` is taken of, e.g. ['p'] for log p(z)."""
    return [arg.func.__name__ for log in expr.atoms(sp.log) for arg in [log.args[0]]
            if isinstance(arg, sp.Function) and arg.args == (z,)]


class TestClassicMistake:
    """The classic blog's Cross Entropy section starts from −∫ q log q (the entropy). Ours must not."""

    @pytest.mark.parametrize("name", CROSS_ENTROPIES)
    def test_definition_integrates_q_against_log_p(self, name):
        definition = derive.get(name).definition
        sign, integral = definition.as_independent(sp.Integral, as_Add=False)
        assert sign == -1 and isinstance(integral, sp.Integral)
        assert integral.limits == (R,)
        assert log_arguments(integral.function) == ["p"], f"want log p(z) and no log q(z): {definition}"
        weights = [f.func.__name__ for f in sp.Mul.make_args(integral.function) if isinstance(f, sp.Function)
                   and not isinstance(f, sp.log)]
        assert weights == ["q"], f"want the integral weighted by q(z): {definition}"

    @pytest.mark.parametrize("name", ["kl-normal-std-normal", "kl-normal-normal"])
    def test_kl_splits_into_log_q_minus_log_p(self, name):
        # KL's first step: log(q/p) → log q − log p; one log of each density.
        first = derive.get(name).steps[0].after
        assert sorted(log_arguments(first)) == ["p", "q"]

    @staticmethod
    def blog_line(q_mean, q_std):
        """The blog's first cross-entropy line, −∫ q(z)(−½ log(2πσ²) − (z − μ)²/(2σ²)) dz: log q, not log p."""
        q = sp.Function("q", real=True)(z)
        return -sp.Integral(q * (-sp.log(2 * sp.pi * q_std**2) / 2 - (z - q_mean) ** 2 / (2 * q_std**2)), R)

    @pytest.mark.parametrize("name, q_mean, q_std", [("cross-entropy-normal-std-normal", mu, sigma),
                                                     ("cross-entropy-normal-normal", mu1, sigma1)])
    def test_the_blogs_wrong_line_is_rejected(self, name, q_mean, q_std):
        ce = derive.get(name)
        builder = DerivationBuilder("blog-cross-entropy", ce.title, ce.context, ce.definition, ce.definition_why)
        with pytest.raises(StepRejected) as caught:
            builder.to(self.blog_line(q_mean, q_std), EXPAND_LOG_DENSITY, "the blog's first line")
        message = str(caught.value)
        assert "'blog-cross-entropy'" in message
        assert "step 1" in message
        assert EXPAND_LOG_DENSITY.name in message

    def test_the_right_line_is_accepted(self):
        # Positive control: log p(z) for p = N(0, 1) written out, −∫ q(z)(−½ log 2π − z²/2) dz, passes.
        ce = derive.get("cross-entropy-normal-std-normal")
        q = sp.Function("q", real=True)(z)
        right = -sp.Integral(q * (-sp.log(2 * sp.pi) / 2 - z**2 / 2), R)
        builder = DerivationBuilder("right-cross-entropy", ce.title, ce.context, ce.definition, ce.definition_why)
        step = builder.to(right, EXPAND_LOG_DENSITY, "log p written out").build().steps[0]
        assert step.verdict.symbolic == "proved"


class TestRegistry:
    def test_contract_names_are_published(self):
        names = [e.name for e in derive.entries()]
        assert set(UNIVARIATE) <= set(names)
        assert len(names) == len(set(names))

    def test_titles(self):
        for entry in derive.entries():
            assert entry.title.strip() and "\n" not in entry.title
            assert derive.get(entry.name).title == entry.title
            assert derive.get(entry.name).name == entry.name

    def test_built_once(self):
        assert derive.get("kl-normal-normal") is derive.get("kl-normal-normal")

    def test_unknown_name(self):
        with pytest.raises(UnknownDerivation):
            derive.get("kl-normal-cauchy")
        assert issubclass(UnknownDerivation, KeyError)
