"""A non-Gaussian family through the same engine: the Laplace distribution.

The entropy of Laplace(m, b), and KL(N(μ, σ²) ‖ Laplace(m, b)) — a normal variational
posterior against a Laplace prior, as in Bayesian neural networks — which needs the mean of
|z − m| under a normal (the folded-normal mean, with erf).  The integrals have a kink at m:
they are split there, over half-infinite limits, and the checker's quadrature honours them.
"""
from __future__ import annotations

import sympy as sp

from derive.codegen.spec import KernelSpec, Parameter
from derive.derivations.citation import cite
from derive.derivations.lemmas import NORMALISATION
from derive.derivations.registry import publish
from derive.derivations.univariate import entropy_normal
from derive.engine import Context, Derivation, DerivationBuilder, Rule
from derive.engine.gaussian_integrals import WRITE_OUT_DENSITIES
from derive.engine.rules import (ALGEBRA, EXPAND_LOG_DENSITY, INTEGRATES_TO_ONE, LINEARITY, LOG_OF_QUOTIENT,
                                 PULL_CONSTANTS, SPLIT_AT_KINKS, STABLE_FORM)
from derive.models import Normal, mu, normal, sigma, z
from derive.models.laplace import b, laplace, m

ERF_ARGUMENT = (mu - m) / (sp.sqrt(2) * sigma)
gap, ratio = sp.Symbol("t", real=True), sp.Symbol("u", positive=True)
"""t = (μ − m)/σ and u = σ/b, the stable form's variables."""
offset = sp.Symbol("g", real=True)
"""g = (μ − m)/b = u·t, formed directly: finite where σ is so small that t overflows."""


def _integral(integrand: sp.Expr, lo: sp.Expr = -sp.oo, hi: sp.Expr = sp.oo) -> sp.Integral:
    return sp.Integral(integrand, (z, lo, hi))


def _truncated_moments(expr: sp.Expr, context: Context) -> sp.Expr:
    """∫_a^b q and ∫_a^b z q for a normal q, over any limits."""
    def at(model: Normal, x: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        """(½ erf((x − μ)/(√2σ)), q(x)) with their limits at ±∞."""
        if x in (sp.oo, -sp.oo):
            return sp.sign(x) / 2, sp.Integer(0)
        return sp.erf((x - model.mean) / (sp.sqrt(2) * model.std)) / 2, model.density(x)

    def moment(integral: sp.Integral) -> sp.Expr:
        (var, lo, hi), = integral.limits
        for model in context.models:
            if not isinstance(model, Normal):
                continue
            (cdf_lo, q_lo), (cdf_hi, q_hi) = at(model, lo), at(model, hi)
            mass = cdf_hi - cdf_lo
            if integral.function == model.at(var):
                return mass
            if integral.function == var * model.at(var):
                return model.mean * mass - model.std**2 * (q_hi - q_lo)
        return integral
    return expr.replace(lambda e: isinstance(e, sp.Integral) and len(e.limits[0]) == 3, moment)


def _integrate(expr: sp.Expr, context: Context) -> sp.Expr:
    return expr.replace(lambda e: isinstance(e, sp.Integral), lambda i: sp.integrate(i.function, *i.limits))


TRUNCATED_MOMENTS = Rule(
    "truncated moments of the normal",
    r"\int_a^b q = \tfrac12\left[\operatorname{erf}\tfrac{b - \mu}{\sqrt2\sigma} - \operatorname{erf}\tfrac{a - \mu}"
    r"{\sqrt2\sigma}\right],\ \int_a^b z\,q = \mu\int_a^b q - \sigma^2\left[q(b) - q(a)\right]",
    _truncated_moments)
ELEMENTARY = Rule("elementary integrals", r"\int_0^\infty t\,e^{-t/b}\,dt = b^2", _integrate)


@publish("laplace-expected-absolute-deviation", "The mean absolute deviation of a Laplace distribution")
def laplace_absolute_deviation(name: str, title: str) -> Derivation:
    q = laplace("q")
    builder = DerivationBuilder(
        name, title, Context((q,), integrate_symbolically=True, lhs=r"\mathbb{E}_q|z - m|"),
        _integral(sp.Abs(z - m) * q.at()), "the expectation under q = Laplace(m, b) of |z − m|",
        summary=f"A lemma for q = {q.text}: its mean absolute deviation is its scale b")
    builder.apply(WRITE_OUT_DENSITIES, "q(z) = e^{−|z − m|/b}/(2b)")
    builder.apply(SPLIT_AT_KINKS, "|z − m| = m − z below m and z − m above it")
    builder.apply(ELEMENTARY, "each half is b/2: ∫₀^∞ t e^{−t/b} dt/(2b) with t = |z − m|")
    if builder.current != b:
        builder.to(b, ALGEBRA, "b/2 + b/2")
    return builder.build()


@publish("normal-expected-absolute-deviation", "The expected absolute deviation from a point under a normal")
def normal_absolute_deviation(name: str, title: str) -> Derivation:
    q = normal()
    builder = DerivationBuilder(
        name, title, Context((q,), lhs=r"\mathbb{E}_q|z - m|"), _integral(sp.Abs(z - m) * q.at()),
        "the expectation under q = N(μ, σ²) of |z − m|, for any point m",
        summary=f"A lemma for q = {q.text}: the mean of the folded normal |z − m|")
    builder.apply(SPLIT_AT_KINKS, "|z − m| = m − z below m and z − m above it")
    builder.apply(LINEARITY, "integrate term by term on each side")
    builder.apply(PULL_CONSTANTS, "m does not depend on z")
    builder.apply(TRUNCATED_MOMENTS, "the mass and the first moment of q on each side of m")
    builder.to(sigma * sp.sqrt(2 / sp.pi) * sp.exp(-(mu - m) ** 2 / (2 * sigma**2)) + (mu - m) * sp.erf(ERF_ARGUMENT),
               ALGEBRA, "erf is odd, q(m) = e^{−(μ − m)²/(2σ²)}/√(2πσ²): the folded-normal mean")
    return builder.build()


@publish("entropy-laplace", "Entropy of a Laplace distribution", kernels=(
    KernelSpec("entropy_laplace", "entropy-laplace", (Parameter("b", b, positive=True),),
               "Entropy H(q) of q = Laplace(m, b), in nats (it does not depend on m)."),))
def entropy_laplace(name: str, title: str) -> Derivation:
    q = laplace("q")
    builder = DerivationBuilder(
        name, title, Context((q,), lhs=r"H(q)"), -_integral(q.at() * sp.log(q.at())),
        "differential entropy: H(q) = −∫ q log q", summary=f"H(q) for q = {q.text}")
    builder.apply(EXPAND_LOG_DENSITY, "write log q(z) out: a constant and |z − m|/b")
    builder.apply(LINEARITY, "integrate the two terms separately")
    builder.apply(PULL_CONSTANTS, "log 2b and 1/b do not depend on z")
    builder.apply(INTEGRATES_TO_ONE, "q integrates to one")
    builder.apply(cite(laplace_absolute_deviation()), "E_q|z − m| = b, which cancels against 1/b")
    builder.to(sp.log(b) + (1 + sp.log(2)), STABLE_FORM, "log b, not log 2b: one constant, 1 + log 2")
    return builder.build()


@publish("kl-normal-laplace", "KL divergence of a normal from a Laplace distribution", kernels=(
    KernelSpec("kl_normal_laplace", "kl-normal-laplace",
               (Parameter("mu", mu), Parameter("sigma", sigma, positive=True), Parameter("m", m),
                Parameter("b", b, positive=True)),
               "KL divergence KL(q || p) for q = N(mu, sigma^2), p = Laplace(m, b)."),))
def kl_normal_laplace(name: str, title: str) -> Derivation:
    q, p = normal(), laplace()
    builder = DerivationBuilder(
        name, title, Context((q, p), lhs=r"\mathrm{KL}(q \,\|\, p)"), _integral(q.at() * sp.log(q.at() / p.at())),
        "KL(q ‖ p) = ∫ q log(q/p)",
        summary=f"KL(q ‖ p) for q = {q.text}, p = {p.text}: a normal posterior against a Laplace prior")
    builder.apply(LOG_OF_QUOTIENT, "log(q/p) = log q − log p")
    builder.apply(LINEARITY, "split: ∫ q log q − ∫ q log p")
    builder.apply(PULL_CONSTANTS, "the sign comes out")
    builder.apply(cite(entropy_normal()), "∫ q log q is minus the entropy of the normal q")
    builder.apply(EXPAND_LOG_DENSITY, "log p(z) = −log 2b − |z − m|/b")
    builder.apply(LINEARITY, "integrate the two terms separately")
    builder.apply(PULL_CONSTANTS, "log 2b and 1/b do not depend on z")
    builder.apply(NORMALISATION.rule, "q integrates to one")
    builder.apply(cite(normal_absolute_deviation()), "E_q|z − m|, the folded-normal mean")
    # log(b/σ) as −log u, which does not cancel; where u leaves the normal range, log b − log σ
    # (|log u| > 667 there, so the difference loses nothing)
    log_ratio = sp.Piecewise((sp.log(b) - sp.log(sigma), (ratio < sp.Float("1e-290")) | (ratio > sp.Float("1e290"))),
                             (-sp.log(ratio), True))
    builder.to(log_ratio + sp.log(2) - (1 + sp.log(2 * sp.pi)) / 2
               + ratio * sp.sqrt(2 / sp.pi) * sp.exp(-gap**2 / 2) + offset * sp.erf(gap / sp.sqrt(2)), STABLE_FORM,
               "in t = (μ − m)/σ, u = σ/b and g = (μ − m)/b = ut, log(b/σ) = −log u: no σ² or (μ − m)² to over- "
               "or underflow, no difference of large logarithms, and where σ is so small that t overflows, "
               "e^{−t²/2} = 0 and erf(t/√2) = ±1 leave g's |μ − m|/b",
               where=((gap, (mu - m) / sigma), (ratio, sigma / b), (offset, (mu - m) / b)))
    return builder.build()
